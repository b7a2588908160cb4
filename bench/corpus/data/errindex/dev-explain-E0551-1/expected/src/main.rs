#![allow(unused)]
fn main() {
#[deprecated(note = "because")] // ok!
fn i_am_deprecated() {}
}