#![allow(unused)]
fn main() {
struct Foo;

trait Bar { }

impl Bar for Foo { } // ok!
}