#![allow(unused)]
fn main() {
let mut x: i8 = 12;
x += 1; // ok!
}