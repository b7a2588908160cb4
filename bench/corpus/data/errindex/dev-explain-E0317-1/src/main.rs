#![allow(unused)]
fn main() {
let x = 5;
let a = if x == 5 {
    1
};
}