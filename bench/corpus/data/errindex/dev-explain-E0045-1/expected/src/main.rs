#![allow(unused)]
fn main() {
extern "C" {
    fn foo (x: u8, ...);
}
}