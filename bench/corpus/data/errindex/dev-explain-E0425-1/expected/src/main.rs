#![allow(unused)]
fn main() {
enum something_that_does_exist {
    Foo,
}
}