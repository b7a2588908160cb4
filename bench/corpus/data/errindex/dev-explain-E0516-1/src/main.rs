fn main() {
    let x: typeof(92) = 92;
}