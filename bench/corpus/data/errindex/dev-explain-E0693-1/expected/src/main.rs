#![allow(unused)]
fn main() {
#[repr(align(8))] // ok!
struct Align8(i8);
}