#![allow(unused)]
fn main() {
struct Foo;

trait Bar { }

unsafe impl Bar for Foo { } // error!
}