extern "Rust" fn foo() {} // ok!
fn main() { }