#![allow(unused)]
fn main() {
struct Bar;
struct Bar2; // ok!
}