#![allow(unused)]
fn main() {
0u8[2]; // error: cannot index into a value of type `u8`
}