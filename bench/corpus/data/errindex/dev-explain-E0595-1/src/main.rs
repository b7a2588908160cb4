#![allow(unused)]
fn main() {
let x = 3; // error: closure cannot assign to immutable local variable `x`
let mut c = || { x += 1 };
}