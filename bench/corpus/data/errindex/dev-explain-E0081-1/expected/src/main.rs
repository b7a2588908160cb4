#![allow(unused)]
fn main() {
enum Enum {
    P,
    X = 3, // ok!
    Y = 5,
}
}