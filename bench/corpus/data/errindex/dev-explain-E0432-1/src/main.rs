#![allow(unused)]
fn main() {
use something::Foo; // error: unresolved import `something::Foo`.
}