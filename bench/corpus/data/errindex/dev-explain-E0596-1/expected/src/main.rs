#![allow(unused)]
fn main() {
let mut x = 1;
let y = &mut x; // ok!
}