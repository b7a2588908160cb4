fn main() {
    let x = 92;
}