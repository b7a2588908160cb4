fn main() {
    const OH_NO: &'static mut usize = &mut 1; // error!
}