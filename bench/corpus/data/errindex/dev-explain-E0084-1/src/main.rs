#![allow(unused)]
fn main() {
#[repr(i32)]
enum NightsWatch {} // error: unsupported representation for zero-variant enum
}