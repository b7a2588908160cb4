fn foo() {}
//! foo
// ^ error!
fn main() {}