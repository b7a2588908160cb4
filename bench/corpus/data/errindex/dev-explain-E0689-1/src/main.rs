#![allow(unused)]
fn main() {
2.0.neg(); // error!
}