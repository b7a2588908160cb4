#![allow(unused)]
fn main() {
impl Drop for u32 {}
}