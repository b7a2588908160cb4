#![allow(unused)]
fn main() {
#[repr(D)] // error: unrecognized representation hint
struct MyStruct {
    my_field: usize
}
}