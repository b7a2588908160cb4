mod foo {
    pub(in crate::foo) struct Bar {
        x: i32
    }
}
fn main() {}