//! The lessons are built into lab (`include_dir!` in `src/lesson/mod.rs`): rebuild when a lesson
//! is added, changed or removed, so that `cargo run` always runs the lessons as they are on disk.
fn main() {
    println!("cargo:rerun-if-changed=lessons");
}
