#![allow(unused)]
fn main() {
trait Foo {}

impl Foo for i32 {
    const BAR: bool = true;
}
}