#![allow(unused)]
fn main() {
fn foo<T, const N: T>() {} // error!
}