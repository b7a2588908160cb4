#![allow(unused)]
fn main() {
let y = 0u32;
*y; // error: type `u32` cannot be dereferenced
}