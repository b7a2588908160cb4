
mod řųśť; // error!

#[no_mangle]
fn řųśť() {} // error!

fn main() {}