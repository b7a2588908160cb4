#![allow(unused)]
fn main() {
struct Foo;

impl SomeTrait for Foo {} // error: trait `SomeTrait` is not in scope
}