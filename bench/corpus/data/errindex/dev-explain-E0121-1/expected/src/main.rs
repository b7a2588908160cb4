#![allow(unused)]
fn main() {
fn foo() -> i32 { 5 } // ok!

static BAR: &str = "test"; // ok!
}