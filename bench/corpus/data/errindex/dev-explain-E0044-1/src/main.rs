#![allow(unused)]
fn main() {
extern "C" { fn some_func<T>(x: T); }
}