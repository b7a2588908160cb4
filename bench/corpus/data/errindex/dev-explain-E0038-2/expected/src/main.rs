#![allow(unused)]
fn main() {
trait Trait {
    fn foo<T>(&self, on: T) where Self: Sized;
    // more methods
}
}