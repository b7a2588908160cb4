#![allow(unused)]
#![allow(foo)] // ok!
fn main() {
// or:
#![allow(foo, foo2)] // ok!
}