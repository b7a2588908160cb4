const FOO: u32 = return 0; // error: return statement outside of function body

fn main() {}