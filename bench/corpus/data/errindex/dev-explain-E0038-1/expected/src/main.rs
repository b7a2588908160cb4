#![allow(unused)]
fn main() {
trait Trait {
    fn foo(&self) -> Self where Self: Sized;
    // more functions
}
}