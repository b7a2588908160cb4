fn main() {
    let x: i32 = 0;
    let y = x; // ok!
}