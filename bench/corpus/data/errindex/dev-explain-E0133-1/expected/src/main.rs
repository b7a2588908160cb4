unsafe fn f() { return; }

fn main() {
    unsafe { f(); } // ok!
}