#![allow(unused)]
fn main() {
let s = ""; // ok!
}