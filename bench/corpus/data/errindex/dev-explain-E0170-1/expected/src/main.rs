#![allow(unused)]
fn main() {
enum Method {
    GET,
    POST,
}
}