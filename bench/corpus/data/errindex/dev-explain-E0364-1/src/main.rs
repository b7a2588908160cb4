#![allow(unused)]
fn main() {
mod a {
    fn foo() {}

    mod a {
        pub use super::foo; // error!
    }
}
}