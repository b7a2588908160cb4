#![allow(unused)]
fn main() {
let x: Vec<char> = "hello".chars().rev().collect();
}