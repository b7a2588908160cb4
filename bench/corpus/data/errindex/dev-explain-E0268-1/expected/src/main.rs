#![allow(unused)]
fn main() {
fn some_func() {
    for _ in 0..10 {
        break; // ok!
    }
}
}