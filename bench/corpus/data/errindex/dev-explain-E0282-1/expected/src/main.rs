#![allow(unused)]
fn main() {
let x: Vec<i32> = Vec::new();
}