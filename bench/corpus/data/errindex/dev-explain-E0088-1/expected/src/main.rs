fn f() {}

fn main() {
    f() // ok!
}