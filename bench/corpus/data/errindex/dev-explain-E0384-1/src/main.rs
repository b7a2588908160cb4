fn main() {
    let x = 3;
    x = 5; // error, reassignment of immutable variable
}