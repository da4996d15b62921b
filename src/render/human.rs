//! The human trace: one aligned line per event, read like strace, plus what strace cannot show —
//! the TCP state before and after, and whether the kernel's table agrees.
//!
//! ```text
//!   #  time ms  who     call                   result  state             kernel
//!   3    0.412  server  bind(3, 0.0.0.0:8888)  = 0     CLOSE             ✓ BOUND-INACTIVE
//!   4    0.431  server  listen(3, 128)         = 0     CLOSE → LISTEN    ✓ LISTEN 0/128
//! ```
//!
//! With color off (a pipe, `--color never`, `NO_COLOR`) the same text is printed plain.

use crate::i18n::{t, M};
use crate::kernel::check::Verdict;
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{Event, Kind, Sink};
use colored::Colorize;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Column widths. Lines stream out one by one, so the widths are fixed, not measured. The time
/// column holds up to 99999.999 ms (then one decimal, then none): a long run stays aligned.
const W_TIME: usize = 9;
const W_WHO: usize = 12;
const W_CALL: usize = 56;
const W_RESULT: usize = 6;
const W_STATE: usize = 26;

/// The wide layout's width up to the kernel column, plus room for a short verdict. A terminal
/// narrower than this gets the narrow layout: the state and kernel columns on a second line.
pub const WIDE: usize =
    3 + 2 + W_TIME + 2 + W_WHO + 2 + W_CALL + 2 + W_RESULT + 2 + W_STATE + 2 + 30;

/// Where a narrow line's second row (state, kernel) and a note start.
const INDENT: usize = 3 + 2 + W_TIME + 2;

/// Prints events as aligned, optionally colored lines to a writer.
pub struct HumanSink<W: Write + Send> {
    out: Mutex<W>,
    color: bool,
    header_done: Mutex<bool>,
    /// Flush after every event (a terminal, a live view); otherwise only when told.
    eager: bool,
    /// The terminal's width (0: a file or a pipe, nothing to fit): narrower than [`WIDE`], the
    /// narrow layout; wider, the wide one with what overflows cut.
    width: AtomicUsize,
    /// The terminal whose width is followed as it changes, if any.
    live: Option<LiveWidth>,
    /// What reached `out`, and whether a write failed.
    written: super::Written,
}

/// A terminal's width, followed: measured again before each line (`TIOCGWINSZ`, one ioctl,
/// less than the line's own write). Not on SIGWINCH: a handler would interrupt the traced
/// program's own `poll()` with EINTR, and the trace would show a call lab caused.
struct LiveWidth {
    measure: fn() -> Option<usize>,
}

/// How lines are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// A file or a pipe: the wide layout, nothing cut.
    Wide,
    /// A terminal at least [`WIDE`] columns wide: the wide layout, what overflows cut.
    WideIn(usize),
    /// A narrower terminal: the state and the verdict on a second row.
    Narrow(usize),
}

impl Layout {
    fn of(width: usize) -> Layout {
        match width {
            0 => Layout::Wide,
            w if w >= WIDE => Layout::WideIn(w),
            w => Layout::Narrow(w.max(INDENT + 20)),
        }
    }
}

impl<W: Write + Send> HumanSink<W> {
    pub fn new(out: W, color: bool) -> HumanSink<W> {
        HumanSink {
            out: Mutex::new(out),
            color,
            header_done: Mutex::new(false),
            eager: true,
            width: AtomicUsize::new(0),
            live: None,
            written: Default::default(),
        }
    }

    /// Buffer events until [`Sink::flush`] (a trace file of a busy server).
    pub fn buffered(mut self) -> HumanSink<W> {
        self.eager = false;
        self
    }

    /// Fit lines to a terminal `width` columns wide (`None`: a file or pipe, the wide layout).
    pub fn fit(self, width: Option<usize>) -> HumanSink<W> {
        self.width.store(width.unwrap_or(0), Ordering::Relaxed);
        self
    }

    /// Fit lines to the terminal `measure` measures, and follow its width as the window is
    /// resized: the layout changes at the next event (under a header of its own if it went
    /// from wide to narrow or back).
    pub fn fit_live(mut self, measure: fn() -> Option<usize>) -> HumanSink<W> {
        self.live = Some(LiveWidth { measure });
        self.fit(measure())
    }

    /// The layout for the next event. A resized terminal is measured again; a changed layout
    /// gets its header again.
    fn layout(&self, header_done: &mut bool) -> Layout {
        if let Some(live) = &self.live {
            let now = (live.measure)().unwrap_or(0);
            let before = self.width.swap(now, Ordering::Relaxed);
            let narrow = |w| matches!(Layout::of(w), Layout::Narrow(_));
            if narrow(before) != narrow(now) {
                *header_done = false;
            }
        }
        Layout::of(self.width.load(Ordering::Relaxed))
    }
}

impl<W: Write + Send> Sink for HumanSink<W> {
    fn event(&self, ev: &Event) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut header = self.header_done.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = String::new();
        let layout = self.layout(&mut header);
        if !*header {
            *header = true;
            let head = match layout {
                Layout::Wide => header_line(),
                Layout::WideIn(w) => cut(&header_line(), w),
                Layout::Narrow(w) => narrow_header(w),
            };
            text = paint(&head, Style::Dim, self.color) + "\n";
        }
        // One buffer, one write (stderr is unbuffered).
        text.push_str(&match layout {
            Layout::Wide => line(ev, self.color),
            Layout::WideIn(w) => wide_line_in(ev, self.color, w),
            Layout::Narrow(w) => narrow_line(ev, self.color, w),
        });
        text.push('\n');
        self.written
            .event(&mut *out, text.as_bytes(), ev.seq, self.eager);
    }

    fn flush(&self) {
        self.written
            .flush(&mut *self.out.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// The column titles.
pub fn header_line() -> String {
    format!(
        "{:>3}  {:>W_TIME$}  {:<W_WHO$}  {:<W_CALL$}  {:<W_RESULT$}  {:<W_STATE$}  {}",
        t(M::ColNumber),
        t(M::ColTime),
        t(M::ColWho),
        t(M::ColCall),
        t(M::ColResult),
        t(M::ColState),
        t(M::ColKernel)
    )
}

/// The milliseconds since the start, in at most [`W_TIME`] characters.
fn time_text(t_us: u64) -> String {
    let ms = t_us as f64 / 1000.0;
    match ms {
        m if m < 100_000.0 => format!("{m:.3}"),
        m if m < 10_000_000.0 => format!("{m:.1}"),
        m => format!("{m:.0}"),
    }
}

/// What one event's line says, column by column, without color: every view of the trace shows
/// these (the terminal's line, the HTML page's table row), so a view cannot drop what another
/// shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells {
    /// `14.652`: milliseconds since the start.
    pub time: String,
    /// Who: the actor whole (the terminal's column cuts it: [`who`]).
    pub who: String,
    /// The call with what it handed back (`accept4(3, SOCK_CLOEXEC) → 6 from …`), `(kernel) …`
    /// for what the kernel did, `wire A → B  [SYN] …` for a segment; empty for words.
    pub call: String,
    /// `= 0`, `= -1 EADDRINUSE (Address already in use)`.
    pub result: String,
    /// `ESTAB → FIN-WAIT-1 → FIN-WAIT-2`; for the kernel's own move, `FIN-WAIT-2 → TIME-WAIT`.
    pub state: String,
    /// `✓ LISTEN 0/8`, `✗ kernel: …`, `– not listed (unbound): …`.
    pub kernel: String,
    /// The words under the line (`↳ the peer's FIN arrived: …`); for a note or a lesson's
    /// verdict (`✓ kernel TIME-WAIT (waited)`), the line's own words.
    pub words: Option<String>,
}

/// The cells of `ev`'s line.
pub fn cells(ev: &Event) -> Cells {
    let (call, result, state, kernel) = match ev.kind {
        Kind::Call => (
            call_and_detail(ev),
            ev.result_text(),
            state_text(ev, false).0,
            kernel_plain(ev).0,
        ),
        Kind::Kernel | Kind::Wait => (
            format!("(kernel) {}", ev.args_text()),
            String::new(),
            kernel_change(ev),
            String::new(),
        ),
        Kind::Segment => (
            wire_text(ev, false).0,
            String::new(),
            String::new(),
            String::new(),
        ),
        Kind::Note | Kind::Check => Default::default(),
    };
    let words = ev.note.as_ref().map(|note| match ev.kind {
        Kind::Note => note.clone(),
        Kind::Check => check_words(ev, note, false),
        _ => format!("↳ {note}"),
    });
    Cells {
        time: time_text(ev.t_us),
        who: whole_who(ev),
        call,
        result,
        state,
        kernel,
        words,
    }
}

/// One event in the wide layout on a terminal `width` columns wide: as [`line()`] if it fits;
/// else a call keeps its columns, its verdict cut first, then its arguments (never its result
/// or what it handed back); anything else is laid out as in the narrow layout, wrapped.
pub fn wide_line_in(ev: &Event, color: bool, width: usize) -> String {
    let fits = |text: &str| text.lines().all(|l| l.chars().count() <= width);
    let plain = line(ev, false);
    if fits(&plain) {
        return if color { line(ev, true) } else { plain };
    }
    match (ev.kind, &ev.note) {
        (Kind::Call, None) => {
            let head = format!(
                "{:>3}  {:>W_TIME$}  {:<W_WHO$}",
                ev.seq,
                time_text(ev.t_us),
                who(ev)
            );
            format!(
                "{head}  {}",
                call_columns_in(ev, color, width - head.chars().count() - 2)
            )
            .trim_end()
            .to_string()
        }
        _ => narrow_line(ev, color, width),
    }
}

/// A call's columns in `room` columns: the verdict cut to what is left, and if the call itself
/// leaves too little, the call cut too (its result and answer kept, see [`fit_call`]).
fn call_columns_in(ev: &Event, color: bool, room: usize) -> String {
    let (kernel, _) = kernel_plain(ev);
    const KERNEL_MIN: usize = 16;
    let call = call_and_detail(ev);
    let call_w = W_CALL.max(call.chars().count());
    let width = |call: &str, call_w: usize, kernel_room: usize| {
        columns_of(ev, call, call_w, kernel_room, false)
            .trim_end()
            .chars()
            .count()
    };
    // What is left for the verdict beside the call as it is, if that leaves enough.
    let beside_call = width(&call, call_w, 0);
    let kernel_room = room
        .saturating_sub(beside_call + 1)
        .max(KERNEL_MIN.min(kernel.chars().count()));
    let over = width(&call, call_w, kernel_room).saturating_sub(room);
    if over == 0 {
        return columns_of(ev, &call, call_w, kernel_room, color);
    }
    let call_w = call_w.saturating_sub(over);
    columns_of(ev, &fit_call(ev, call_w, false), call_w, kernel_room, color)
}

/// A call's columns with `call` as its text, padded to `call_w`, and the verdict cut to
/// `kernel_room`.
fn columns_of(ev: &Event, call: &str, call_w: usize, kernel_room: usize, color: bool) -> String {
    let result = ev.result_text();
    let (state, state_len) = state_text(ev, color);
    let (kernel, style) = kernel_plain(ev);
    let shown = if ev.failed() {
        paint(&result, Style::Bad, color)
    } else {
        result.clone()
    };
    let kernel = if kernel_room == 0 {
        String::new()
    } else {
        cut(&kernel, kernel_room)
    };
    format!(
        "{}  {}  {}  {}",
        pad(call, call_w, call.chars().count()),
        pad(&shown, W_RESULT, result.chars().count()),
        pad(&state, W_STATE, state_len),
        paint(&kernel, style, color)
    )
}

/// One event as one line (a note on a second line, indented).
pub fn line(ev: &Event, color: bool) -> String {
    let head = format!(
        "{:>3}  {:>W_TIME$}  {:<W_WHO$}",
        ev.seq,
        time_text(ev.t_us),
        who(ev)
    );
    let body = match ev.kind {
        Kind::Call => call_columns(ev, color),
        Kind::Kernel | Kind::Wait => kernel_columns(ev, color),
        Kind::Segment => wire_text(ev, color).0,
        Kind::Note | Kind::Check => String::new(),
    };
    let mut s = format!("{head}  {body}").trim_end().to_string();
    if let Some(note) = &ev.note {
        match ev.kind {
            Kind::Note => s = format!("{head}  {}", paint(note, Style::Note, color)),
            Kind::Check => s = format!("{head}  {}", check_words(ev, note, color)),
            _ => {
                s.push('\n');
                s.push_str(&paint(&format!("     ↳ {note}"), Style::Note, color));
            }
        }
    }
    s
}

/// A lesson's verdict: `✓ …` in green, `✗ …` in red.
fn check_words(ev: &Event, note: &str, color: bool) -> String {
    let (mark, style) = if ev.verdict == Verdict::Agrees {
        ("✓", Style::Good)
    } else {
        ("✗", Style::Bad)
    };
    paint(&format!("{mark} {note}"), style, color)
}

/// The narrow layout's titles: the second row's under the first's.
fn narrow_header(width: usize) -> String {
    let first = format!(
        "{:>3}  {:>W_TIME$}  {:<W_WHO$}  {}",
        "#",
        t(M::ColTime),
        t(M::ColWho),
        t(M::ColCallResult)
    );
    let second = format!(
        "{}{}  {}",
        " ".repeat(INDENT),
        t(M::ColState),
        t(M::ColKernel)
    );
    format!("{}\n{}", cut(&first, width), cut(&second, width))
}

/// One event fitted to `width` columns: who and the call with its result on the first row; the
/// state and the kernel's verdict on the second, under the call; a note wrapped below. What
/// does not fit is cut with `…` (`--json` has every field whole).
pub fn narrow_line(ev: &Event, color: bool, width: usize) -> String {
    let head = format!(
        "{:>3}  {:>W_TIME$}  {:<W_WHO$}  ",
        ev.seq,
        time_text(ev.t_us),
        who(ev)
    );
    let mut rows = narrow_rows(ev, &head, color, width);
    if let Some(note) = &ev.note {
        // Words for the student start after the head (a note, a verdict) or under the call.
        if matches!(ev.kind, Kind::Note | Kind::Check) {
            rows = narrow_words(ev, note, &head, color, width);
        } else {
            rows.extend(narrow_words(ev, note, &" ".repeat(INDENT), color, width));
        }
    }
    rows.iter()
        .map(|r| r.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An event's two rows in the narrow layout, after its `head` (number, time, who): what
/// happened on the first, cut to the room left; the states or the segment's words under it.
fn narrow_rows(ev: &Event, head: &str, color: bool, width: usize) -> Vec<String> {
    let room = width.saturating_sub(head.chars().count());
    match ev.kind {
        Kind::Call => {
            let style = if ev.failed() {
                Style::Bad
            } else {
                Style::Plain
            };
            let (state, _) = state_text(ev, false);
            let second = format!("{state}  {}", kernel_plain(ev).0);
            vec![
                format!("{head}{}", paint(&fit_call(ev, room, true), style, color)),
                second_row(&second, width, color, ev),
            ]
        }
        Kind::Kernel | Kind::Wait => {
            let what = format!("(kernel) {}", ev.args_text());
            vec![
                format!("{head}{}", paint(&cut(&what, room), Style::Dim, color)),
                second_row(&kernel_change(ev), width, color, ev),
            ]
        }
        Kind::Segment => {
            let (_, ends, what) = wire_parts(ev);
            let style = if ev.segment.as_ref().is_some_and(|s| s.analysis.is_empty()) {
                Style::Dim
            } else {
                Style::Note
            };
            vec![
                format!("{head}{}", paint(&cut(&ends, room), Style::Dim, color)),
                format!(
                    "{}{}",
                    " ".repeat(INDENT),
                    paint(&cut(&what, width.saturating_sub(INDENT)), style, color)
                ),
            ]
        }
        Kind::Note | Kind::Check => vec![head.trim_end().to_string()],
    }
}

/// An event's words (a note, a verdict, the `↳` under a call) wrapped to `width`, the first
/// row starting with `first` (the head, or the indent under the call), the others indented.
fn narrow_words(ev: &Event, note: &str, first: &str, color: bool, width: usize) -> Vec<String> {
    let (text, style) = match ev.kind {
        Kind::Check if ev.verdict == Verdict::Agrees => (check_words(ev, note, false), Style::Good),
        Kind::Check => (check_words(ev, note, false), Style::Bad),
        Kind::Note => (note.to_string(), Style::Note),
        _ => (format!("↳ {note}"), Style::Note),
    };
    let indent = " ".repeat(INDENT);
    let opts = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(&indent);
    let mut rows = Vec::new();
    for (i, l) in textwrap::wrap(&text, opts).iter().enumerate() {
        let at = if i == 0 {
            first.chars().count()
        } else {
            INDENT
        };
        let (lead, words): (String, String) =
            (l.chars().take(at).collect(), l.chars().skip(at).collect());
        rows.push(format!("{lead}{}", paint(&words, style, color)));
    }
    rows
}

/// The call, what it handed back and (`with_result`) its result in `room` columns. What matters
/// is kept whole as long as it can be — the result (`= 72`), then what the call answered (poll's
/// ready fds, accept's new fd) — and the call's own arguments are cut first.
fn fit_call(ev: &Event, room: usize, with_result: bool) -> String {
    let call = ev.call_text();
    let detail = ev
        .detail_text()
        .map(|d| format!(" → {d}"))
        .unwrap_or_default();
    let result = if with_result {
        ev.result_text()
    } else {
        String::new()
    };
    let result = result.trim_end();
    let full = format!("{call}{detail} {result}");
    let full = full.trim_end();
    if full.chars().count() <= room {
        return full.to_string();
    }
    let result_len = if result.is_empty() {
        0
    } else {
        result.chars().count() + 1
    };
    // The call keeps at least its name and first argument; the answer gets the rest.
    let call_min = call.chars().count().min(12);
    let detail_room = room.saturating_sub(result_len + call_min);
    let detail = cut(&detail, detail_room);
    let call_room = room.saturating_sub(result_len + detail.chars().count());
    format!("{}{detail} {result}", cut(&call, call_room))
        .trim_end()
        .to_string()
}

/// The second row of a narrow line, under the call, colored by what it says.
fn second_row(text: &str, width: usize, color: bool, ev: &Event) -> String {
    let style = match ev.verdict {
        Verdict::Agrees => Style::Good,
        Verdict::Differs => Style::Bad,
        _ => Style::Dim,
    };
    format!(
        "{}{}",
        " ".repeat(INDENT),
        paint(&cut(text, width.saturating_sub(INDENT)), style, color)
    )
}

/// `s` in at most `max` characters, `…` marking a cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The call as strace prints it, with what it handed back: `accept4(3, …) → 4 from …`.
fn call_and_detail(ev: &Event) -> String {
    let mut call = ev.call_text();
    if let Some(d) = ev.detail_text() {
        call.push_str(" → ");
        call.push_str(&d);
    }
    call
}

fn call_columns(ev: &Event, color: bool) -> String {
    let call = call_and_detail(ev);
    let result = ev.result_text();
    let result = if ev.failed() {
        paint(&result, Style::Bad, color)
    } else {
        result
    };
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

/// A segment's line: `wire 127.0.0.1:40000 → 127.0.0.1:8888  FIN,ACK seq=6 ack=1 win=65536
/// len=0`, its data after it; what Wireshark would flag stands out. Returns the text and
/// whether it was flagged.
fn wire_text(ev: &Event, color: bool) -> (String, bool) {
    let (flagged, ends, what) = wire_parts(ev);
    let style = if flagged { Style::Note } else { Style::Plain };
    (
        format!(
            "{}  {}",
            paint(&ends, Style::Dim, color),
            paint(&what, style, color)
        ),
        flagged,
    )
}

/// A segment's two halves: who to whom (`wire A → B`, `wire? …` when inferred), and the
/// segment itself with its first bytes; and whether Wireshark would flag it.
fn wire_parts(ev: &Event) -> (bool, String, String) {
    let Some(seg) = ev.segment.as_deref() else {
        return (false, "wire".into(), String::new());
    };
    let mark = if seg.inferred { "wire?" } else { "wire" };
    let arrow = if seg.dropped.is_some() {
        "→ ✗"
    } else {
        "→"
    };
    let ends = format!("{mark} {} {arrow} {}", seg.src, seg.dst);
    let mut what = seg.to_string();
    if seg.len > 0 {
        what.push(' ');
        what.push_str(&crate::trace::names::quoted(&seg.data, seg.data.len()));
        if seg.len as usize > seg.data.len() {
            what.push_str("...");
        }
    }
    if let Some(why) = seg.dropped {
        what.push_str(&format!(" ✗ {}", why.said()));
    }
    (
        !seg.analysis.is_empty() || seg.dropped.is_some(),
        ends,
        what,
    )
}

/// A change the kernel made on its own: OLD → NEW; a look (a lesson's wait) just NOW.
fn kernel_change(ev: &Event) -> String {
    let now = state_or_gone(ev.kernel);
    match ev.before {
        Some(b) => format!("{b} → {now}"),
        None => now,
    }
}

fn kernel_columns(ev: &Event, color: bool) -> String {
    let what = format!("(kernel) {}", ev.args_text());
    let change = kernel_change(ev);
    format!(
        "{}  {}  {}",
        pad(
            &paint(&what, Style::Dim, color),
            W_CALL,
            what.chars().count()
        ),
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
        parts.push(t(M::FdGone).into());
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
    let (text, style) = kernel_plain(ev);
    if text.is_empty() {
        return text;
    }
    paint(&text, style, color)
}

/// The states the kernel column names: after a `close()`, the wire's state (FIN-WAIT-1,
/// LAST-ACK: `FIN-WAIT-1 (on the wire) → `) and the table's path; else the table's state.
fn kernel_states(ev: &Event) -> (String, String) {
    let kernel = if ev.fd_gone && !ev.kernel_path.is_empty() {
        // The state the wire showed is told once, as the wire's (whether a look at the table
        // also caught it or not: that is luck of timing, and the trace must read the same).
        let skip = usize::from(ev.kernel_path.len() > 1 && ev.kernel_path[0] == ev.wire_state);
        ev.kernel_path[skip..]
            .iter()
            .map(|s| state_or_gone(*s))
            .collect::<Vec<_>>()
            .join(" → ")
    } else {
        state_or_gone(ev.kernel)
    };
    let wire = ev
        .wire_state
        .filter(|_| ev.fd_gone)
        .map(|w| format!("{w} ({}) → ", t(M::OnTheWire)))
        .unwrap_or_default();
    (wire, kernel)
}

/// The kernel column's text, and how it is colored.
fn kernel_plain(ev: &Event) -> (String, Style) {
    let (wire, kernel) = kernel_states(ev);
    let queues = match (ev.kernel, ev.recv_q, ev.send_q) {
        (Some(TcpState::Listen), Some(r), Some(s)) => format!(" {r}/{s}"),
        _ => String::new(),
    };
    let reason = ev
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    match ev.verdict {
        Verdict::Agrees => (format!("{wire}✓ {kernel}{queues}{reason}"), Style::Good),
        Verdict::Differs => {
            let fd = ev
                .state
                .map(|s| format!(", fd says {s}"))
                .unwrap_or_default();
            let k = if kernel.is_empty() {
                "no row".to_string()
            } else {
                kernel
            };
            (format!("{wire}✗ kernel: {k}{fd}{reason}"), Style::Bad)
        }
        Verdict::NotVisible => (
            format!("– {}", ev.reason.as_deref().unwrap_or("not listed")),
            Style::Dim,
        ),
        Verdict::Unavailable => (
            format!(
                "? {}",
                ev.reason.as_deref().unwrap_or("kernel view unavailable")
            ),
            Style::Dim,
        ),
        Verdict::NotApplicable => (
            ev.reason
                .as_deref()
                .map(|r| format!("– {r}"))
                .unwrap_or_default(),
            Style::Dim,
        ),
    }
}

fn pad(s: &str, width: usize, printed: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(printed)))
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The `who` column of an event: its actor as far as the column holds it (`30174 python3` shows
/// as `30174 python`), the lesson's own lines named in the run's language.
pub fn who(ev: &Event) -> String {
    who_text(&whole_who(ev))
}

/// An event's actor whole, the lesson's own lines named in the run's language.
fn whole_who(ev: &Event) -> String {
    if ev.kind == Kind::Note && ev.actor == crate::trace::event::LESSON_ACTOR {
        return t(M::ListLesson).to_string();
    }
    ev.actor.to_string()
}

/// An actor as the `who` column shows it (`--step`'s prompt names it the same way).
pub fn who_text(actor: &str) -> String {
    truncate(actor, W_WHO)
}

/// The few looks the trace uses.
#[derive(Clone, Copy)]
pub enum Style {
    Plain,
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
        Style::Plain => s.to_string(),
        Style::Good => s.green().to_string(),
        Style::Bad => s.red().bold().to_string(),
        Style::State => s.cyan().to_string(),
        Style::Dim => s.dimmed().to_string(),
        Style::Note => s.yellow().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Arg, Syscall};

    fn events() -> Vec<Event> {
        let mut call = Event::call(
            "srv:a-very-long-actor-name",
            Syscall::Send,
            Some(7),
            vec![Arg::Fd(7), Arg::data(&[b'x'; 200]), Arg::Int(200)],
        );
        (call.ret, call.before, call.state, call.t_us) = (
            Some(200),
            Some(TcpState::Established),
            Some(TcpState::Established),
            12_345_678,
        );
        call.verdict = Verdict::NotVisible;
        call.reason = Some("a long reason ".repeat(10));
        call.note = Some("a note for the student that goes on and on ".repeat(4));
        let note = Event::words(
            Kind::Note,
            "lesson",
            "words, words and more words ".repeat(8),
        );
        let mut kernel = Event::new(Kind::Kernel, "cli");
        kernel.args = vec![Arg::Text("127.0.0.1:40000 ⇄ 127.0.0.1:8888".into())];
        (kernel.before, kernel.kernel) = (Some(TcpState::FinWait2), Some(TcpState::TimeWait));
        vec![call, note, kernel, segment()]
    }

    fn segment() -> Event {
        let seg = crate::wire::Segment::retransmitted(200, &[b'x'; 32]);
        Event::segment("cli", seg)
    }

    #[test]
    fn a_segment_is_one_wire_line() {
        let text = line(&segment(), false);
        assert!(
            text.contains(
                "wire 127.0.0.1:40000 → 127.0.0.1:8888  PSH,ACK seq=1 ack=1 win=65536 len=200 \
                    [retransmission] \"xxxx"
            ),
            "{text}"
        );
        assert!(text.ends_with("x\"..."), "{text}");
        let narrow = narrow_line(&segment(), false, 80);
        assert!(
            narrow
                .lines()
                .nth(1)
                .is_some_and(|l| l.trim_start().starts_with("PSH,ACK seq=1")),
            "{narrow}"
        );
    }

    #[test]
    fn a_narrow_terminal_gets_lines_that_fit() {
        for width in [60, 80, 100, 120] {
            for ev in events() {
                let text = narrow_line(&ev, false, width);
                for row in text.lines() {
                    assert!(
                        row.chars().count() <= width,
                        "{width} columns: {row:?} is {}",
                        row.chars().count()
                    );
                }
            }
        }
        let text = narrow_line(&events()[0], false, 100);
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with(&" ".repeat(INDENT)) && l.contains("ESTAB")),
            "{text}"
        );
        assert!(
            text.contains('…'),
            "what does not fit is cut visibly: {text}"
        );
    }

    #[test]
    fn the_columns_stay_aligned_however_long_the_run() {
        let at = |t_us: u64| {
            let mut ev = events().remove(0);
            ev.t_us = t_us;
            line(&ev, false).find("srv:").unwrap()
        };
        let first = at(1);
        for t in [
            9_999_999,
            10_000_000,
            99_999_999,
            3_600_000_000,
            86_400_000_000,
        ] {
            assert_eq!(at(t), first, "t = {t} µs");
        }
        assert_eq!(
            header_line().find("who"),
            Some(first),
            "the header is aligned too"
        );
    }

    #[test]
    fn the_step_prompt_names_the_actor_as_the_column_does() {
        // The column holds 12 characters: `13204 python3` shows as `13204 python`, and so does
        // `--step`'s prompt.
        let ev = Event::words(Kind::Note, "13204 python3", "x".into());
        assert!(line(&ev, false).contains("  13204 python  "));
        assert_eq!(who_text("13204 python3"), "13204 python");
        assert_eq!(who(&ev), who_text(&ev.actor));
    }
}
