use self::something::Foo; // Ok.

mod something {
    pub struct Foo;
}
fn main() {}