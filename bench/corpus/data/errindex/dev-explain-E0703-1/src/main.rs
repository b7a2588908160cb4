extern "invalid" fn foo() {} // error!
fn main() {}