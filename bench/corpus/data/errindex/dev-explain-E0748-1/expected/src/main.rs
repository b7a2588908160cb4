#![allow(unused)]
fn main() {
let dolphins = r#"Dolphins!"#; // One `#` at the beginning, one at the end so
                               // all good!
}