//! A picture of the run (`--svg FILE`, `--html FILE`): the sequence diagram as Wireshark's flow
//! graph and seed 000's handshake drawing show it — one lifeline per socket, calls on
//! it, segments as arrows between them, kernel events, each lifeline banded in colour by its
//! TCP state — and, in the HTML page, the trace table and the verdicts beside it. Self-contained
//! (no scripts or fonts fetched), readable printed on paper.
//!
//! The page checks itself when a browser opens it: a few lines of script look for the diagram
//! and the table and write the outcome into `<body data-check="…">`, which the test reads with
//! headless Chromium (`tests/page.rs`).

use super::diagram::{layout, Arrow, ArrowKind, On, Row};
use crate::kernel::check::Verdict;
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{Event, Kind, Sink};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Pictures asked for and not written yet: the last reference to the tracer may be dropped by
/// the kernel observer's thread, a moment after the command is done, and the process must not
/// exit before that picture is on disk.
static UNWRITTEN: AtomicUsize = AtomicUsize::new(0);

/// Waits, at most `timeout`, until every picture asked for is written (called before exit).
pub fn wait_written(timeout: Duration) {
    let start = Instant::now();
    while UNWRITTEN.load(Ordering::Acquire) > 0 && start.elapsed() < timeout {
        std::thread::sleep(Duration::from_millis(1));
    }
}

const COL: usize = 250;
const ROW: usize = 22;
const TOP: usize = 50;
/// How many characters of a label fit between two lifelines.
const LABEL: usize = 36;
/// Extra room right of the last lifeline, in pixels (7 per character of a label).
const LAST_ROOM: usize = 200;
/// The most events a page draws: a server's long run would make a page no one can open.
pub const MAX_EVENTS: usize = 5_000;

/// A state's band colour (light, so the black text on it stays readable on paper).
fn colour(state: Option<TcpState>) -> &'static str {
    use TcpState::*;
    match state {
        Some(Listen) => "#cfe2ff",
        Some(SynSent | SynRecv) => "#ffe5b4",
        Some(Established) => "#c8f0c8",
        Some(FinWait1 | FinWait2 | Closing | LastAck) => "#fff3a0",
        Some(CloseWait) => "#e6d0f5",
        Some(TimeWait) => "#e0d6c8",
        _ => "#eeeeee",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    s.chars().take(n - 1).chain(['…']).collect()
}

/// The sequence diagram as one SVG element.
pub fn svg(events: &[Event], groups: &[(String, Vec<String>)]) -> String {
    let d = layout(events, groups);
    let rows = d.rows;
    let n = d.lifelines.len().max(1);
    // The last lifeline's labels have the room to its right.
    let (width, height) = (n * COL + 40 + LAST_ROOM, TOP + (rows.len() + 2) * ROW + 40);
    let room = |c: usize| if c + 1 == n { LABEL + LAST_ROOM / 7 } else { LABEL };
    let x = |c: usize| 20 + c * COL + COL / 2;
    let mut bands = String::new();
    let mut body = String::new();
    // Each lifeline's current state and the row it started at.
    let mut now: Vec<(Option<TcpState>, usize)> = vec![(None, 0); n];
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + (i + 1) * ROW;
        match row {
            Row::On(On { line: c, text, after }) => {
                if let Some(state) = after.filter(|s| *s != now[*c].0) {
                    band(&mut bands, x(*c), now[*c], y);
                    now[*c] = (state, y);
                }
                let _ = write!(
                    body,
                    r#"<circle cx="{}" cy="{y}" r="3"/><text x="{}" y="{}">{}</text>"#,
                    x(*c),
                    x(*c) + 8,
                    y + 4,
                    esc(&cut(text, room(*c)))
                );
            }
            Row::Arrow(Arrow { from, to, label, kind: ArrowKind::Implied }) => {
                let _ = write!(
                    body,
                    r#"<line class="seg" x1="{}" y1="{y}" x2="{}" y2="{y}" marker-end="url(#head)"/><text class="seg" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                    x(*from),
                    x(*to),
                    (x(*from) + x(*to)) / 2,
                    y - 4,
                    esc(&cut(label, LABEL))
                );
            }
            Row::Note(_) => {}
        }
    }
    let end = TOP + (rows.len() + 1) * ROW;
    for (c, start) in now.iter().enumerate() {
        band(&mut bands, x(c), *start, end);
    }
    let heads: String = d
        .lifelines
        .iter()
        .enumerate()
        .map(|(c, name)| {
            format!(r#"<text class="head" x="{}" y="30" text-anchor="middle">{}</text><line class="life" x1="{0}" y1="38" x2="{0}" y2="{end}"/>"#, x(c), esc(name))
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="sequence diagram"><defs><marker id="head" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs><style>text{{font:11px monospace}} .head{{font-weight:bold;font-size:13px}} .life{{stroke:#555;stroke-dasharray:4 3}} .seg{{stroke:#0b4f9c;fill:#0b4f9c}} text.seg{{stroke:none}}</style>{bands}{heads}{body}</svg>"##
    )
}

/// A lifeline's band for one state, from where it started to `y`.
fn band(out: &mut String, x: usize, (state, from): (Option<TcpState>, usize), y: usize) {
    if state.is_some() && y > from {
        let _ = write!(
            out,
            r#"<rect x="{}" y="{from}" width="14" height="{}" fill="{}"><title>{}</title></rect>"#,
            x - 7,
            y - from,
            colour(state),
            state_or_gone(state)
        );
    }
}

/// The whole page: title, verdicts, the diagram, the legend, the trace table.
pub fn html(title: &str, events: &[Event], columns: &[(String, Vec<String>)]) -> String {
    let shown = &events[..events.len().min(MAX_EVENTS)];
    let count = |v: Verdict| shown.iter().filter(|e| e.verdict == v && e.kind == Kind::Call).count();
    let checks = shown.iter().filter(|e| e.kind == Kind::Check).count();
    let failed = shown.iter().filter(|e| e.kind == Kind::Check && e.verdict != Verdict::Agrees).count();
    let mut summary = format!(
        "{} events; the kernel's table agreed {} times, disagreed {} times",
        shown.len(),
        count(Verdict::Agrees),
        count(Verdict::Differs)
    );
    if checks > 0 {
        let _ = write!(summary, "; {checks} expectations, {failed} not met");
    }
    if events.len() > shown.len() {
        let _ = write!(summary, " (the first {MAX_EVENTS} of {} are drawn)", events.len());
    }
    let legend: String = [
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::Established,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::TimeWait,
        TcpState::Close,
    ]
    .iter()
    .map(|s| format!(r#"<span class="key" style="background:{}">{s}</span>"#, colour(Some(*s))))
    .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body data-check=\"pending\"><h1>{t}</h1><p class=\"summary\">{s}</p>\n<div class=\"diagram\">{svg}</div><p class=\"legend\">{legend}</p>\n{table}\n<script>{SCRIPT}</script></body></html>\n",
        t = esc(title),
        s = esc(&summary),
        svg = svg(shown, columns),
        table = table(shown)
    )
}

fn table(events: &[Event]) -> String {
    let mut out = String::from("<table class=\"trace\"><thead><tr><th>#</th><th>ms</th><th>who</th><th>call</th><th>result</th><th>state</th><th>kernel</th></tr></thead><tbody>");
    for e in events {
        let (call, state) = match e.kind {
            Kind::Call => {
                (e.call_text() + &e.detail_text().map(|d| format!(" → {d}")).unwrap_or_default(), state_cell(e))
            }
            Kind::Kernel | Kind::Wait => (format!("(kernel) {}", e.args_text()), state_or_gone(e.kernel)),
            Kind::Note | Kind::Check => (e.note.clone().unwrap_or_default(), String::new()),
        };
        let (mark, class) = match e.verdict {
            Verdict::Agrees => ("✓", "good"),
            Verdict::Differs => ("✗", "bad"),
            _ => ("", ""),
        };
        let kernel = format!("{mark} {}", e.kernel.map(|k| k.to_string()).or(e.reason.clone()).unwrap_or_default());
        let _ = write!(
            out,
            "<tr class=\"{:?} {class}\"><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.kind,
            e.seq,
            e.t_us as f64 / 1000.0,
            esc(&e.actor),
            esc(&call),
            esc(&e.result_text()),
            esc(&state),
            esc(kernel.trim())
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn state_cell(e: &Event) -> String {
    match (e.before, e.state, e.fd_gone) {
        (Some(b), _, true) => format!("{b} → (fd gone)"),
        (Some(b), Some(a), _) if a != b => format!("{b} → {a}"),
        (_, Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

const STYLE: &str = "body{font:14px sans-serif;margin:1.5em;color:#111} h1{font-size:1.3em} .diagram{overflow-x:auto;border:1px solid #ccc;padding:.5em} .key{display:inline-block;padding:.1em .5em;margin-right:.4em;border:1px solid #999;font:12px monospace} table.trace{border-collapse:collapse;font:12px monospace;margin-top:1em} table.trace td,table.trace th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top} tr.good td:last-child{color:#146c14} tr.bad td{color:#b00020;font-weight:bold} tr.Note td,tr.Check td{font-style:italic} @media print{.diagram{overflow:visible;border:none} body{margin:0}}";

/// Runs when the page is opened: the diagram and the table must be there and drawn.
const SCRIPT: &str = "(function(){var errs=[];window.addEventListener('error',function(e){errs.push(String(e.message))});window.addEventListener('load',function(){var svg=document.querySelector('.diagram svg');if(!svg){errs.push('no diagram')}else{var b=svg.getBBox();if(b.width<50||b.height<50){errs.push('empty diagram')}}if(document.querySelectorAll('table.trace tbody tr').length===0){errs.push('empty table')}document.body.setAttribute('data-check',errs.length?'errors: '+errs.join('; '):'ok')})})();";

/// The groups of a run that has no lesson to name them: one per actor, in order of
/// appearance (each socket is a lifeline of its own; a connection accepted by one actor and
/// used by another stays one lifeline: see `lifelines`).
pub fn actor_columns(events: &[Event]) -> Vec<(String, Vec<String>)> {
    let mut columns: Vec<(String, Vec<String>)> = Vec::new();
    for ev in events.iter().filter(|e| e.kind == Kind::Call) {
        if !columns.iter().any(|(a, _)| *a == ev.actor) {
            columns.push((ev.actor.clone(), vec![ev.actor.clone()]));
        }
    }
    columns
}

/// Writes the pictures asked for.
pub fn write(
    svg_path: Option<&std::path::Path>,
    html_path: Option<&std::path::Path>,
    title: &str,
    events: &[Event],
    columns: &[(String, Vec<String>)],
) -> std::io::Result<()> {
    if let Some(p) = svg_path {
        std::fs::write(p, svg(&events[..events.len().min(MAX_EVENTS)], columns))?;
    }
    if let Some(p) = html_path {
        std::fs::write(p, html(title, events, columns))?;
    }
    Ok(())
}

/// A sink that keeps the run's events (the first [`MAX_EVENTS`]) and draws them when the run
/// is over — when the tracer, and so this sink, is dropped.
pub struct PictureSink {
    events: Mutex<(Vec<Event>, usize)>,
    svg: Option<PathBuf>,
    html: Option<PathBuf>,
    title: String,
}

impl PictureSink {
    pub fn new(svg: Option<PathBuf>, html: Option<PathBuf>, title: &str) -> PictureSink {
        UNWRITTEN.fetch_add(1, Ordering::AcqRel);
        PictureSink { events: Mutex::new((Vec::new(), 0)), svg, html, title: title.to_string() }
    }
}

impl Sink for PictureSink {
    fn event(&self, ev: &Event) {
        let mut kept = self.events.lock().unwrap_or_else(|p| p.into_inner());
        kept.1 += 1;
        if kept.0.len() < MAX_EVENTS {
            kept.0.push(ev.clone());
        }
    }
}

impl Drop for PictureSink {
    fn drop(&mut self) {
        let (events, _) = &*self.events.lock().unwrap_or_else(|p| p.into_inner());
        let columns = actor_columns(events);
        if let Err(e) = write(self.svg.as_deref(), self.html.as_deref(), &self.title, events, &columns) {
            eprintln!("lab: cannot write the picture of the run: {e}");
        }
        UNWRITTEN.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Arg, Syscall};

    #[test]
    fn the_page_holds_the_diagram_the_table_and_escapes_what_it_shows() {
        let mut ev = Event::call("cli", Syscall::Send, Some(3), vec![Arg::Fd(3), Arg::data(b"<b>&\"")]);
        (ev.ret, ev.before, ev.state, ev.verdict, ev.seq) =
            (Some(5), Some(TcpState::Established), Some(TcpState::Established), Verdict::Agrees, 1);
        let events = vec![ev];
        let page = html("a <test>", &events, &actor_columns(&events));
        assert!(page.contains("<svg") && page.contains("<table class=\"trace\">"), "{page}");
        assert!(page.contains("a &lt;test&gt;") && !page.contains("<b>&"), "escaped");
        assert!(page.contains("agreed 1 times"));
        assert!(page.contains("#c8f0c8"), "an ESTAB band");
    }
}
