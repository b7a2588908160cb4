#![allow(unused)]
fn main() {
'a: loop {
    || {
        loop { break 'a } // error: use of unreachable label `'a`
    };
}
}