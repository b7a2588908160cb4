#![allow(unused)]
fn main() {
struct Foo;

unsafe trait Bar { }

impl Bar for Foo { } // error!
}