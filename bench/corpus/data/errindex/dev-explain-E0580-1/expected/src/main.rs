fn main() {
    // your code
}