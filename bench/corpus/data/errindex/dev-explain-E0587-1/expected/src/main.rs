#![allow(unused)]
fn main() {
#[repr(packed(8))] // ok!
struct Umbrella(i32);
}