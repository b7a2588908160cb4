#![allow(unused)]
fn main() {
#[inline(always)]
fn something() {}
}