#[allow(clippy::filter_map)] // ok!
fn main() {
    // business logic
}