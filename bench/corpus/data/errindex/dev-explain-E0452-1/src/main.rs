#![allow(unused)]
#![allow(foo = "")] // error: malformed lint attribute
fn main() {
}