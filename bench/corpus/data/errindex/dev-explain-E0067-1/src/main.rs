#![allow(unused)]
fn main() {
12 += 1; // error!
}