#![allow(unused)]
fn main() {
let c = b'a; // error!
}