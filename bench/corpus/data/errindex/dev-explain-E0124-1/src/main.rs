#![allow(unused)]
fn main() {
struct Foo {
    field1: i32,
    field1: i32, // error: field is already declared
}
}