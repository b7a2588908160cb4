#[cfg(for_demonstration_only)]
extern crate foo;
#[cfg(for_demonstration_only)]
use foo::ForeignTrait;
use std::panic::UnwindSafe as ForeignTrait;

impl<T> ForeignTrait for T { } // error
fn main() {}