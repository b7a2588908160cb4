#![allow(unused)]
fn main() {
let x = Vec::new();
}