#![allow(unused)]
fn main() {
fn get_dangling_reference() -> &'static i32 {
    let x = 0;
    &x
}
}