#![allow(unused)]
fn main() {
#[deprecated(note)] // error!
fn i_am_deprecated() {}
}