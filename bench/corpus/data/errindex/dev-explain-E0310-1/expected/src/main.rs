#![allow(unused)]
fn main() {
struct Foo<T: 'static> {
    foo: &'static T
}
}