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

/// A printing sink's record of what reached its destination, so that a trace file that cannot
/// be written (a full disk) says so once, on stderr, with the last event known to be out —
/// instead of dropping events silently. A reader that went away (a closed pipe) is not an
/// error: the printing ends quietly, as `ls | head` does.
#[derive(Default)]
pub struct WriteFailure {
    /// The last event known to be written (after a flush, or an unbuffered write).
    out: std::sync::atomic::AtomicU64,
    failed: std::sync::atomic::AtomicBool,
}

impl WriteFailure {
    /// Notes the result of a write or flush; `out` is the last event it would have put out
    /// (`None`: a write into a buffer, which proves nothing yet).
    pub fn note(&self, written: std::io::Result<()>, out: Option<u64>) {
        use std::sync::atomic::Ordering::Relaxed;
        match written {
            Ok(()) => {
                if let Some(seq) = out {
                    self.out.fetch_max(seq, Relaxed);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                if !self.failed.swap(true, Relaxed) {
                    let out = self.out.load(Relaxed);
                    eprintln!("lab: the trace could not be written ({e}): the events after #{out} are missing");
                }
            }
        }
    }

    /// Whether a write failed.
    pub fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}
