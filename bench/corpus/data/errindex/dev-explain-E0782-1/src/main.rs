#![allow(unused)]
fn main() {
trait Foo {}
fn test(arg: Box<Foo>) {} // error!
}