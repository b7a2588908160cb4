#![allow(unused)]
fn main() {
#[repr(packed)] // ok!
struct Company(i32);
}