#![allow(unused)]
fn main() {
enum Enum {
    P = 3,
    X = 3, // error!
    Y = 5,
}
}