#![allow(unused)]
fn main() {
struct Foo;

impl Foo {
    fn bar(&self, other: &Self) {}
}
}