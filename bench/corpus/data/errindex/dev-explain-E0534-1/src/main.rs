#[inline()] // error: expected one argument
pub fn something() {}

fn main() {}