#![allow(unused)]
fn main() {
fn foo() {
    let y = 5;
    let bar = || {
        y
    };
}
}