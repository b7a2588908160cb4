#![allow(unused)]
fn main() {
use std::fmt::{self, Debug};
}