#![allow(unused)]
fn main() {
trait Trait { fn foo<T>(&self, on: T); }
impl Trait for String { fn foo<T>(&self, on: T) {} }
impl Trait for u8 { fn foo<T>(&self, on: T) {} }
impl Trait for bool { fn foo<T>(&self, on: T) {} }
// etc.
fn call_foo(thing: Box<dyn Trait>) {
    thing.foo(true); // this could be any one of the 8 types above
    thing.foo(1);
    thing.foo("hello");
}
}