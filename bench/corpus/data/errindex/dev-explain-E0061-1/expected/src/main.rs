#![allow(unused)]
fn main() {
fn f(a: u16, b: &str) {}
}