#![allow(unused)]
fn main() {
struct Bad<T: ?Sized + ?Sized>{
    inner: T,
}
}