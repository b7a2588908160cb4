#![allow(unused)]
fn main() {
extern "C" fn foo(userdata: Box<i32>) {
    /* ... */
}

fn callback(_: extern "C" fn(*mut i32)) {}
use std::mem::transmute;
unsafe {
    let f: extern "C" fn(*mut i32) = transmute(foo);
    callback(f);
}
}