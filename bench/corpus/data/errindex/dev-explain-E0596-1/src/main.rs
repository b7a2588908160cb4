#![allow(unused)]
fn main() {
let x = 1;
let y = &mut x; // error: cannot borrow mutably
}