#[repr("C")] // error: meta item in `repr` must be an identifier
struct Repr {}

fn main() {}