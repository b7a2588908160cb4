#![allow(unused)]
fn main() {
#[repr(C)] // ok!
struct MyStruct {
    my_field: usize
}
}