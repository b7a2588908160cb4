#![allow(unused)]
fn main() {
trait Foo {}

impl Foo for i32 {}
}