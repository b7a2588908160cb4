#![allow(unused)]
fn main() {
fn foo<T>(x: T) {
    type MaybeT = Option<T>;
    // ...
}
}