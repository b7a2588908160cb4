fn main(x: i32) { // error: main function has wrong type
    println!("{}", x);
}