extern crate core;
extern crate std as core;

fn main() {}