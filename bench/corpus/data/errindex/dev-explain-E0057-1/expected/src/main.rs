#![allow(unused)]
fn main() {
fn foo<F: Fn()>(f: F) {
    f(); // this is valid, but f(3) would not work
}
}