#![allow(unused)]
fn main() {
static C: char = '●; // error!
}