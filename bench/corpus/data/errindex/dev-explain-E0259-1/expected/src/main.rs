extern crate core;
extern crate std as other_name;

fn main() {}