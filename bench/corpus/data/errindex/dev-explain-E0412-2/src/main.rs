#![allow(unused)]
fn main() {
use std::fs::File;

mod foo {
    fn some_function(f: File) {}
}
}