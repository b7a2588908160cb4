//! A working comment applied to the module!
fn foo() {
    //! Another working comment!
}
fn main() {}