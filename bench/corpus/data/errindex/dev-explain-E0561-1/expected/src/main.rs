#![allow(unused)]
fn main() {
type A1 = fn(param: u8); // ok!
type A2 = fn(_: u32); // ok!
}