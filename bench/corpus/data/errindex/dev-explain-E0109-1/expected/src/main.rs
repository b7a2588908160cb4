#![allow(unused)]
fn main() {
type X = u32; // ok!
type Y = bool; // ok!
}