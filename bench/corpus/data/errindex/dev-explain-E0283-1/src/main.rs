#![allow(unused)]
fn main() {
let x = "hello".chars().rev().collect();
}