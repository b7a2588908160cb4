#![allow(unused)]
fn main() {
let v: Vec(&str) = vec!["foo"];
}