#![allow(unused)]
fn main() {
let w = || { break; }; // error: `break` inside of a closure
}