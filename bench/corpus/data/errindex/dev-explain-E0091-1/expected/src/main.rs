#![allow(unused)]
fn main() {
type Foo = u32; // ok!
type Foo2<A> = Box<A>; // ok!
}