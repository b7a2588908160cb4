fn main() {
    // The following doc comment will fail:
    /// This is a useless doc comment!
}