#![allow(unused)]
fn main() {
type A1 = fn(mut param: u8); // error!
type A2 = fn(&param: u32); // error!
}