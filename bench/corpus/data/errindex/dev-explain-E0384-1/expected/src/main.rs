fn main() {
    let mut x = 3;
    x = 5;
}