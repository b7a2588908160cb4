struct Foo {
    x: i32,
}

fn main() {
    let x = Foo { x: 0 }; // ok!
}