#![allow(unused)]
fn main() {
struct S<'a, T>(&'a T);

type X = S<'static, ()>; // ok
}