#![allow(unused)]
fn main() {
trait Island {
    fn lost();

    /// I'm lost!
}
}