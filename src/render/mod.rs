//! How events and tables are shown. Every renderer reads the same event stream.
//!
//! - [`human`]: aligned, colored lines, strace-like (plain when color is off).
//! - [`json`]: JSON Lines (`--json`).
//! - [`table`]: the netstat-like socket table of `lab sockets`.
//! - [`diagram`]: a run as a sequence diagram (terminal, or Mermaid).
//! - [`output`]: where a trace goes (stderr or a file, human or JSON) and `--step`'s pause.

pub mod diagram;
pub mod human;
pub mod json;
pub mod output;
pub mod page;
pub mod table;

use std::io::IsTerminal;

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    /// Color when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color output written to a stream that is (or is not) a terminal.
    /// NO_COLOR (any non-empty value, <https://no-color.org>) turns `auto` off.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// Whether to color stdout.
    pub fn stdout(self) -> bool {
        self.enabled(std::io::stdout().is_terminal())
    }

    /// Whether to color stderr.
    pub fn stderr(self) -> bool {
        self.enabled(std::io::stderr().is_terminal())
    }
}
