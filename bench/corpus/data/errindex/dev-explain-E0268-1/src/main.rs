#![allow(unused)]
fn main() {
fn some_func() {
    break; // error: `break` outside of a loop
}
}