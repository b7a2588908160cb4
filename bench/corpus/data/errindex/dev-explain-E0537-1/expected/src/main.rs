#[cfg(not(target_os = "linux"))] // ok!
pub fn something() {}

pub fn main() {}