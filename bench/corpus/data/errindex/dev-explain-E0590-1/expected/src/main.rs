#![allow(unused)]
fn main() {
'foo: while break 'foo {}
}