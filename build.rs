//! The lessons and the message catalogs are built into lab (`include_dir!` in `src/lesson/mod.rs`
//! and `src/i18n.rs`): rebuild when a lesson or a `.ftl` file is added, changed or removed, so
//! that `cargo run` always runs the lessons and says the words as they are on disk.
fn main() {
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=locales");
}
