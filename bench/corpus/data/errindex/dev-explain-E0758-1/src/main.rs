#![allow(unused)]
fn main() {
/* I am not terminated!
}