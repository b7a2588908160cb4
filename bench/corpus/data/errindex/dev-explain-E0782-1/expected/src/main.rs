#![allow(unused)]
fn main() {
trait Foo {}
fn test(arg: Box<dyn Foo>) {} // ok!
}