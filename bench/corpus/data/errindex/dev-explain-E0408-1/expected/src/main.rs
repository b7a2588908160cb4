#![allow(unused)]
fn main() {
let x = Some(1);
match x {
    Some(y) => { /* use y */ }
    None => { /* ... */ }
}
}