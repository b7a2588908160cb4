#![allow(unused)]
fn main() {
/// I'm documenting the following struct:
struct Foo;

/// I'm documenting the following function:
fn foo() {}
}