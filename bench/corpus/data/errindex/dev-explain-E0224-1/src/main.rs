#![allow(unused)]
fn main() {
type Foo = dyn 'static +;
}