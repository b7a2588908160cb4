#![allow(unused)]
fn main() {
struct ListNode {
    head: u8,
    tail: Option<Box<ListNode>>,
}
}