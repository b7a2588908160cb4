#![allow(unused)]
fn main() {
fn f(u: i32) {}

f(); // error!
}