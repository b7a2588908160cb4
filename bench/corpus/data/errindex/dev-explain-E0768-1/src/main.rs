#![allow(unused)]
fn main() {
let s: i32 = 0b; // error!
}