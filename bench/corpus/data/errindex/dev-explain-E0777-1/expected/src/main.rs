#![allow(unused)]
fn main() {
#[derive(Clone)] // ok!
struct Foo;
}