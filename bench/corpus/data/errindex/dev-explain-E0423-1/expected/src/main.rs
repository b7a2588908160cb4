#![allow(unused)]
fn main() {
fn Foo() -> u32 { 0 }

let f = Foo(); // ok!
}