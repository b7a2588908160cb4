#![allow(unused)]
fn main() {
let mut x = 3; // ok!
let mut c = || { x += 1 };
}