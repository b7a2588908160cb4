#![allow(unused)]
fn main() {
struct Foo;

unsafe trait Bar { }

unsafe impl Bar for Foo { } // ok!
}