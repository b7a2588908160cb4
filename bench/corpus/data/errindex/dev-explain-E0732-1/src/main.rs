enum Enum { // error!
    Unit = 1,
    Tuple() = 2,
    Struct{} = 3,
}
fn main() {}