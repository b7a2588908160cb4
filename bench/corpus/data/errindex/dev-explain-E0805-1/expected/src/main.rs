#![allow(unused)]
fn main() {
#[inline]
fn foo() {}
}