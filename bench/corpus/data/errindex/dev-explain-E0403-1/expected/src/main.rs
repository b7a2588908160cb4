#![allow(unused)]
fn main() {
fn f<T, Y>(s: T, u: Y) {} // ok!
}