#![allow(unused)]
fn main() {
/* I am terminated! */
/*! I am also terminated! */
}