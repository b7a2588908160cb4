#![allow(unused)]
fn main() {
trait Foo {
    #[derive(Clone)] // error!
    type Bar;
}
}