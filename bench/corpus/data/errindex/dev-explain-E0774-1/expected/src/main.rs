#![allow(unused)]
fn main() {
#[derive(Clone)] // ok!
struct Bar {
    field: u32,
}
}