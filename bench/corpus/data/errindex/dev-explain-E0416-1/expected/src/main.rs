#![allow(unused)]
fn main() {
match (1, 2) {
    (x, y) => {} // ok!
}
}