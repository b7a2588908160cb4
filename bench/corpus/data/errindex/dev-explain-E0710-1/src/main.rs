#[allow(clipp::filter_map)] // error!
fn main() {
    // business logic
}