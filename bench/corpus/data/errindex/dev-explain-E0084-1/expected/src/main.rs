#![allow(unused)]
fn main() {
#[repr(i32)]
enum NightsWatch {
    JonSnow,
    Commander,
}
}