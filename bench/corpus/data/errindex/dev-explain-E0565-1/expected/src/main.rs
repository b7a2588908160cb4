#[repr(C)] // ok!
struct Repr {}

fn main() {}