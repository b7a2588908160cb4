#![allow(unused)]
fn main() {
mod a {
    pub fn foo() {} // ok!

    mod a {
        pub use super::foo;
    }
}
}