#[inline(unknown)] // error: invalid argument
pub fn something() {}

fn main() {}