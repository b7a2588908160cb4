#[inline(never)] // ok!
pub fn something() {}

fn main() {}