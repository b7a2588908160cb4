trait Trait { type X; }

fn main() {
    let foo: Trait::X;
}