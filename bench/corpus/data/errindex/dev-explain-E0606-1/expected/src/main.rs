#![allow(unused)]
fn main() {
let x = &0u8;
let y: u32 = *x as u32; // We dereference it first and then cast it.
}