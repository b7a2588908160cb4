#![allow(unused)]
fn main() {
<Self>::foo; // error: use of `Self` outside of an impl, trait, or type
             // definition
}