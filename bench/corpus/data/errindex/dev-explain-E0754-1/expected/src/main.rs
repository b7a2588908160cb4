mod řųśť { // ok!
    const IS_GREAT: bool = true;
}

fn main() {}