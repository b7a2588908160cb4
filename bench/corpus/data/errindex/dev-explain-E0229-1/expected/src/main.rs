#![allow(unused)]
fn main() {
struct Bar;
trait Foo { type A; }
fn baz<I: Foo<A=Bar>>(x: &<I as Foo>::A) {} // ok!
}