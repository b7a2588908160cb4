#![allow(unused)]
fn main() {
let dolphins = r##"Dolphins!"#; // error!
}