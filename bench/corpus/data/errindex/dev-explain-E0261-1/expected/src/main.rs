#![allow(unused)]
fn main() {
struct Foo<'a> {
    x: &'a str,
}

fn foo<'a>(x: &'a str) {}
}