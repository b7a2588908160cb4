#![allow(unused)]
fn main() {
0u32 as char; // error: only `u8` can be cast as `char`, not `u32`
}