#![allow(unused)]
fn main() {
#[derive("Clone")] // error!
struct Foo;
}