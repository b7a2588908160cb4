#![allow(unused)]
fn main() {
// We declare a function:
fn i_am_a_function() {}

// And we call it:
i_am_a_function();
}