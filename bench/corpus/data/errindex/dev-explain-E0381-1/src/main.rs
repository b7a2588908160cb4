fn main() {
    let x: i32;
    let y = x; // error, use of possibly-uninitialized variable
}