#![allow(unused)]
fn main() {
while break {}
}