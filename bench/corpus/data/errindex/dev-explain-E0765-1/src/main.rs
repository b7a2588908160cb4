#![allow(unused)]
fn main() {
let s = "; // error!
}