#![allow(unused)]
fn main() {
/// I'm THE island!
trait Island {
    /// I'm lost!
    fn lost();
}
}