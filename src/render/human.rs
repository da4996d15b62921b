//! The human trace: one aligned line per event, read like strace, plus what strace cannot show —
//! the TCP state before and after, and whether the kernel's table agrees.
//!
//! ```text
//!   #  time ms  who     call                                        result  state             kernel
//!   3    0.412  server  bind(3, 0.0.0.0:8888)                       = 0     CLOSE             ✓ BOUND-INACTIVE
//!   4    0.431  server  listen(3, 128)                              = 0     CLOSE → LISTEN    ✓ LISTEN 0/128
//! ```
//!
//! With color off (a pipe, `--color never`, `NO_COLOR`) the same text is printed plain.

use crate::kernel::check::Verdict;
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{Event, Kind, Sink};
use colored::Colorize;
use std::io::Write;
use std::sync::Mutex;

/// Column widths. Lines stream out one by one, so the widths are fixed, not measured.
const W_WHO: usize = 12;
const W_CALL: usize = 56;
const W_RESULT: usize = 6;
const W_STATE: usize = 26;

/// Prints events as aligned, optionally colored lines to a writer.
pub struct HumanSink<W: Write + Send> {
    out: Mutex<W>,
    color: bool,
    header_done: Mutex<bool>,
    /// Flush after every event (a terminal, a live view); otherwise only when told.
    eager: bool,
}

impl<W: Write + Send> HumanSink<W> {
    pub fn new(out: W, color: bool) -> HumanSink<W> {
        HumanSink { out: Mutex::new(out), color, header_done: Mutex::new(false), eager: true }
    }

    /// Buffer events until [`Sink::flush`] (a trace file of a busy server).
    pub fn buffered(mut self) -> HumanSink<W> {
        self.eager = false;
        self
    }
}

impl<W: Write + Send> Sink for HumanSink<W> {
    fn event(&self, ev: &Event) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut header = self.header_done.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = String::new();
        if !*header {
            *header = true;
            text = paint(&header_line(), Style::Dim, self.color) + "\n";
        }
        // One buffer, one write (stderr is unbuffered).
        text.push_str(&line(ev, self.color));
        text.push('\n');
        let _ = out.write_all(text.as_bytes());
        if self.eager {
            let _ = out.flush();
        }
    }

    fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|p| p.into_inner()).flush();
    }
}

/// The column titles.
pub fn header_line() -> String {
    format!(
        "{:>3}  {:>8}  {:<W_WHO$}  {:<W_CALL$}  {:<W_RESULT$}  {:<W_STATE$}  kernel",
        "#", "time ms", "who", "call", "result", "state"
    )
}

/// One event as one line (a note on a second line, indented).
pub fn line(ev: &Event, color: bool) -> String {
    let time = format!("{:.3}", ev.t_us as f64 / 1000.0);
    let who = truncate(&ev.actor, W_WHO);
    let head = format!("{:>3}  {:>8}  {:<W_WHO$}", ev.seq, time, who);
    let body = match ev.kind {
        Kind::Call => call_columns(ev, color),
        Kind::Kernel | Kind::Wait => kernel_columns(ev, color),
        Kind::Note | Kind::Check => String::new(),
    };
    let mut s = format!("{head}  {body}").trim_end().to_string();
    if let Some(note) = &ev.note {
        let text = format!("     ↳ {note}");
        if ev.kind == Kind::Note {
            s = format!("{head}  {}", paint(note, Style::Note, color));
        } else if ev.kind == Kind::Check {
            let (mark, style) = if ev.verdict == Verdict::Agrees { ("✓", Style::Good) } else { ("✗", Style::Bad) };
            s = format!("{head}  {}", paint(&format!("{mark} {note}"), style, color));
        } else {
            s.push('\n');
            s.push_str(&paint(&text, Style::Note, color));
        }
    }
    s
}

fn call_columns(ev: &Event, color: bool) -> String {
    let mut call = ev.call_text();
    if let Some(d) = ev.detail_text() {
        call.push_str(" → ");
        call.push_str(&d);
    }
    let result = ev.result_text();
    let result = if ev.failed() { paint(&result, Style::Bad, color) } else { result };
    format!(
        "{}  {}  {}  {}",
        pad(&call, W_CALL, call.chars().count()),
        pad(&result, W_RESULT, ev.result_text().chars().count()),
        {
            let (text, len) = state_text(ev, color);
            pad(&text, W_STATE, len)
        },
        kernel_text(ev, color)
    )
}

fn kernel_columns(ev: &Event, color: bool) -> String {
    let what = format!("(kernel) {}", ev.args_text());
    let now = state_or_gone(ev.kernel);
    // A change the kernel made on its own shows OLD → NEW; a look (a lesson's wait) just NOW.
    let change = match ev.before {
        Some(b) => format!("{b} → {now}"),
        None => now,
    };
    format!(
        "{}  {}  {}",
        pad(&paint(&what, Style::Dim, color), W_CALL, what.chars().count()),
        " ".repeat(W_RESULT),
        paint(&change, Style::State, color)
    )
}

/// `CLOSE → LISTEN`, `ESTAB`, `ESTAB → FIN-WAIT-1 → FIN-WAIT-2`, `ESTAB → (fd gone)`.
/// Returns the text and its printed width (color codes take no columns).
fn state_text(ev: &Event, color: bool) -> (String, usize) {
    let mut parts: Vec<String> = Vec::new();
    if let Some(b) = ev.before {
        parts.push(b.to_string());
    }
    for s in &ev.transit {
        parts.push(s.to_string());
    }
    if ev.fd_gone {
        parts.push("(fd gone)".into());
    } else if let Some(s) = ev.state {
        if ev.before != Some(s) || !ev.transit.is_empty() {
            parts.push(s.to_string());
        }
    }
    if parts.is_empty() {
        return (String::new(), 0);
    }
    let plain = parts.join(" → ");
    let len = plain.chars().count();
    (paint(&plain, Style::State, color), len)
}

/// `✓ LISTEN 0/128`, `✗ CLOSE-WAIT (fd: ESTAB)`, `– not listed (unbound)`.
fn kernel_text(ev: &Event, color: bool) -> String {
    let kernel = if ev.fd_gone && !ev.kernel_path.is_empty() {
        ev.kernel_path.iter().map(|s| state_or_gone(*s)).collect::<Vec<_>>().join(" → ")
    } else {
        state_or_gone(ev.kernel)
    };
    let queues = match (ev.kernel, ev.recv_q, ev.send_q) {
        (Some(TcpState::Listen), Some(r), Some(s)) => format!(" {r}/{s}"),
        _ => String::new(),
    };
    let reason = ev.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    match ev.verdict {
        Verdict::Agrees => paint(&format!("✓ {kernel}{queues}{reason}"), Style::Good, color),
        Verdict::Differs => {
            let fd = ev.state.map(|s| format!(", fd says {s}")).unwrap_or_default();
            let k = if kernel.is_empty() { "no row".to_string() } else { kernel };
            paint(&format!("✗ kernel: {k}{fd}{reason}"), Style::Bad, color)
        }
        Verdict::NotVisible => paint(&format!("– {}", ev.reason.as_deref().unwrap_or("not listed")), Style::Dim, color),
        Verdict::Unavailable => {
            paint(&format!("? {}", ev.reason.as_deref().unwrap_or("kernel view unavailable")), Style::Dim, color)
        }
        Verdict::NotApplicable => {
            ev.reason.as_deref().map(|r| paint(&format!("– {r}"), Style::Dim, color)).unwrap_or_default()
        }
    }
}

fn pad(s: &str, width: usize, printed: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(printed)))
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The few looks the trace uses.
#[derive(Clone, Copy)]
pub enum Style {
    Good,
    Bad,
    State,
    Dim,
    Note,
}

/// Colors `s` if `color` is on.
pub fn paint(s: &str, style: Style, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    match style {
        Style::Good => s.green().to_string(),
        Style::Bad => s.red().bold().to_string(),
        Style::State => s.cyan().to_string(),
        Style::Dim => s.dimmed().to_string(),
        Style::Note => s.yellow().to_string(),
    }
}
