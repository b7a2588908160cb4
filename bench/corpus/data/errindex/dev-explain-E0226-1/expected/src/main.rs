#![allow(unused)]
fn main() {
trait Foo {}

type T<'a> = dyn Foo + 'a;
}