#![allow(unused)]
fn main() {
struct Foo {
    field1: i32,
    field2: i32, // ok!
}
}