#[cfg(unknown())] // error: invalid predicate `unknown`
pub fn something() {}

pub fn main() {}