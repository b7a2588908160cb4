#![allow(unused)]
fn main() {
extern "C" fn foo(_: Box<i32>) {}
use std::mem::transmute;
unsafe {
let f: extern "C" fn(*mut i32) = transmute(foo as extern "C" fn(_));
let f: extern "C" fn(*mut i32) = transmute(foo as usize); // works too
}
}