//! `lab`: the binary only parses arguments and dispatches (see `cli.rs`).

fn main() {
    std::process::exit(lab::cli::main());
}
