#![allow(unused)]
fn main() {
fn foo<T>(x: T) {
    struct Foo {
        x: T,
    }
    // ...
}
}