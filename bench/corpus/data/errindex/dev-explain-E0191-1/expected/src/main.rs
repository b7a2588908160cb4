#![allow(unused)]
fn main() {
trait Trait {
    type Bar;
}

type Foo = dyn Trait<Bar=i32>; // ok!
}