#![allow(unused)]
fn main() {
fn foo() -> _ { 5 } // error

static BAR: _ = "test"; // error
}