#![allow(unused)]
fn main() {
struct Good<T: ?Sized>{
    inner: T
}
}