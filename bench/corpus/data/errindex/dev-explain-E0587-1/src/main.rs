#![allow(unused)]
fn main() {
#[repr(packed, align(8))] // error!
struct Umbrella(i32);
}