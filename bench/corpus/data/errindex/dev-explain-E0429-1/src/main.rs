#![allow(unused)]
fn main() {
use std::fmt::self; // error: `self` imports are only allowed within a { } list
}