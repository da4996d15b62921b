//! `lab`: the binary only parses arguments and dispatches (see `cli/`).

fn main() {
    std::process::exit(lab::cli::main());
}
