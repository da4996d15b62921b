//! How events and tables are shown. Every renderer reads the same event stream.
//!
//! - [`human`]: aligned, colored lines, strace-like (plain when color is off).
//! - [`json`]: JSON Lines (`--json`).
//! - `table`: the netstat-like socket table of `lab sockets`.
//! - `diagram`: a run as a sequence diagram (terminal, or Mermaid), made of `rows`.
//! - `output`: where a trace goes (stderr or a file, human or JSON) and `--step`'s pause.
//! - `page`: the run as an SVG sequence diagram, and the HTML page around it.
//! - `picture`: the run's pictures (diagram, Mermaid, SVG, HTML), made in one place.

mod captured;
mod diagram;
pub mod human;
pub mod json;
mod lifelines;
pub(crate) mod output;
mod page;
pub(crate) mod picture;
mod rows;
pub(crate) mod step;
pub(crate) mod table;

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

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
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
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

/// What a printing sink put out: it writes each event through this, so that a trace file that
/// cannot be written (a full disk) says so once, on stderr, with the last event known to be
/// out — instead of dropping events silently. A reader that went away (a closed pipe) is not
/// an error: the printing ends quietly, as `ls | head` does.
#[derive(Default)]
pub struct Written {
    /// The last event handed over, and the last known to be out (flushed).
    handed: AtomicU64,
    out: AtomicU64,
    failed: AtomicBool,
}

impl Written {
    /// Writes event `seq`'s text to `to`, and flushes if `eager` (unbuffered output).
    pub fn event(&self, to: &mut impl Write, text: &[u8], seq: u64, eager: bool) {
        self.handed.store(seq, Relaxed);
        let written = to
            .write_all(text)
            .and_then(|()| if eager { to.flush() } else { Ok(()) });
        self.note(written, eager);
    }

    /// Flushes `to`: every event handed over so far is then out.
    pub fn flush(&self, to: &mut impl Write) {
        let flushed = to.flush();
        self.note(flushed, true);
    }

    fn note(&self, result: io::Result<()>, out: bool) {
        match result {
            Ok(()) if out => {
                self.out.fetch_max(self.handed.load(Relaxed), Relaxed);
            }
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                if !self.failed.swap(true, Relaxed) {
                    let out = self.out.load(Relaxed);
                    eprintln!(
                        "lab: the trace could not be written ({e}): the events after #{out} \
                        are missing"
                    );
                }
            }
        }
    }

    /// Whether a write failed.
    pub fn failed(&self) -> bool {
        self.failed.load(Relaxed)
    }
}
