#![allow(unused)]
fn main() {
mod foo {
    pub(foo) struct Bar {
        x: i32
    }
}
}