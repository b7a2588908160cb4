#![allow(unused)]
fn main() {
trait Foo {
    fn foo(x_and_y: (i32, i32)); // ok!
}
}