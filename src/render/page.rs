//! A picture of the run (`--svg FILE`, `--html FILE`): the sequence diagram as Wireshark's flow
//! graph and seed 000's handshake drawing show it — one lifeline per socket, calls on
//! it, segments as arrows between them, kernel events, each lifeline banded in colour by its
//! TCP state — and, in the HTML page, the trace table and the verdicts beside it. Self-contained
//! (no scripts or fonts fetched), readable printed on paper.
//!
//! The page checks itself when a browser opens it: a few lines of script look for the diagram
//! and the table and write the outcome into `<body data-check="…">`, which the test reads with
//! headless Chromium (`tests/page.rs`).

use super::diagram::layout;
use super::human;
use super::rows::{Arrow, ArrowKind, On, Row};
use crate::kernel::check::Verdict;
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{Event, Kind};
use std::fmt::Write as _;

/// The page is read on a projector, from the back of a room: every text at 16 px at least,
/// the diagram laid out for a 1280 px screen's width.
const FONT: usize = 16;
/// A monospace character's width at [`FONT`] px (0.6 em), in tenths of a pixel.
const CHAR_TENTHS: usize = 96;
/// The width the diagram is laid out for: a 1280 px screen less the page's margins (32 px
/// each side) and a scrollbar. The page draws it at least this wide, never smaller.
pub const WIDTH: usize = 1180;
/// The narrowest a lifeline's column gets: more lifelines than fit make the diagram wider than
/// the screen (it scrolls) rather than its text smaller.
const MIN_COL: usize = 230;
/// The lesson's notes' column, right of the lifelines, when the run has notes.
const NOTES: usize = 280;
/// How many characters of a note fit a line of that column (16 px sans-serif).
const NOTE_CHARS: usize = 30;
const NOTE_LINE: usize = 21;
const ROW: usize = 30;
/// The height of each more line of an arrow's label.
const LABEL_LINE: usize = 19;
const TOP: usize = 56;
const PAD: usize = 12;
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
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `s` in at most `n` characters, `…` marking a cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
}

/// Where things go in the SVG.
struct Geometry {
    /// A lifeline's column width, and the notes' column's left edge (0: no notes).
    col: usize,
    notes_x: usize,
    width: usize,
}

impl Geometry {
    fn new(lifelines: usize, notes: bool) -> Geometry {
        let n = lifelines.max(1);
        let notes_w = if notes { NOTES } else { 0 };
        let col = ((WIDTH - notes_w - 2 * PAD) / n).max(MIN_COL);
        let lines_end = PAD + n * col;
        Geometry {
            col,
            notes_x: if notes { lines_end + PAD } else { 0 },
            width: WIDTH.max(lines_end + notes_w + PAD),
        }
    }

    /// A lifeline's x: near its column's left edge, its labels to the right.
    fn x(&self, c: usize) -> usize {
        PAD + c * self.col + 14
    }

    /// How many characters of a label fit beside a lifeline.
    fn label_chars(&self) -> usize {
        chars(self.col - 24)
    }
}

/// How many monospace characters fit `px` pixels.
fn chars(px: usize) -> usize {
    px * 10 / CHAR_TENTHS
}

/// A label cut to fit `chars`, with the whole text as its tooltip when cut.
fn label_text(class: &str, x: usize, y: usize, anchor: &str, text: &str, chars: usize) -> String {
    let shown = cut(text, chars);
    let title = if shown == text {
        String::new()
    } else {
        format!("<title>{}</title>", esc(text))
    };
    format!(
        r#"<text class="{class}" x="{x}" y="{y}" text-anchor="{anchor}">{title}{}</text>"#,
        esc(&shown)
    )
}

/// The sequence diagram as one SVG element: a lifeline per socket, banded by its state, the
/// calls on it, arrows between them, and the lesson's notes beside them where they happen.
pub fn svg(events: &[Event], groups: &[(String, Vec<String>)]) -> String {
    let d = layout(events, groups);
    let n = d.lifelines.len().max(1);
    let g = Geometry::new(n, d.rows.iter().any(|r| matches!(r, Row::Note(_))));
    let mut drawn = Drawing {
        bands: String::new(),
        body: String::new(),
        now: vec![(None, 0); n],
    };
    let mut y = TOP + ROW;
    for row in &d.rows {
        y += drawn.row(&g, row, y);
    }
    let end = y;
    // The legends go under the lifelines' ends, not across their last band.
    y += ROW / 2;
    // A dashed arrow is a guess: the picture says so under itself.
    if d.rows.iter().any(|r| {
        matches!(
            r,
            Row::Arrow(Arrow {
                kind: ArrowKind::Inferred,
                ..
            })
        )
    }) {
        drawn.body.push_str(&inferred_legend(&g, y));
        y += ROW;
    }
    if d.wire_states {
        drawn.body.push_str(&wire_legend(&g, y));
        y += ROW;
    }
    let height = y + ROW;
    for (c, start) in drawn.now.iter().enumerate() {
        band(&mut drawn.bands, g.x(c), *start, end);
    }
    let heads = heads(&g, &d.lifelines, end);
    frame(
        g.width,
        height,
        &format!("{}{heads}{}", drawn.bands, drawn.body),
    )
}

/// The diagram as it is drawn, row by row.
struct Drawing {
    /// The state bands of the lifelines, drawn under everything else.
    bands: String,
    body: String,
    /// Each lifeline's current state and the y it started at.
    now: Vec<(Option<TcpState>, usize)>,
}

impl Drawing {
    /// Draws one row at `y`; returns its height.
    fn row(&mut self, g: &Geometry, row: &Row, y: usize) -> usize {
        match row {
            Row::On(On {
                line: c,
                text,
                after,
            }) => {
                if let Some(state) = after.filter(|s| *s != self.now[*c].0) {
                    band(&mut self.bands, g.x(*c), self.now[*c], y);
                    self.now[*c] = (state, y);
                }
                let x = g.x(*c);
                let _ = write!(self.body, r#"<circle cx="{x}" cy="{y}" r="4"/>"#);
                let label = label_text("call", x + 12, y + 5, "start", text, g.label_chars());
                self.body.push_str(&label);
                ROW
            }
            Row::Arrow(a) => {
                let (svg, h) = arrow(g, a, y);
                self.body.push_str(&svg);
                h
            }
            Row::Note(words) => {
                let (svg, h) = note(g, words, y);
                self.body.push_str(&svg);
                ROW.max(h)
            }
        }
    }
}

/// The legend under a diagram with inferred arrows: a dashed arrow, and what it means.
fn inferred_legend(g: &Geometry, y: usize) -> String {
    let (x, words) = (g.x(0), esc(crate::i18n::t(crate::i18n::M::DiagramInferred)));
    format!(
        "<line class=\"inferred\" x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" \
         marker-end=\"url(#head-inferred)\"/>\
         <text class=\"legend\" x=\"{}\" y=\"{}\">{words}</text>",
        x + 40,
        x + 50,
        y + 5
    )
}

/// What a state marked `LAST-ACK*` means, under the picture.
fn wire_legend(g: &Geometry, y: usize) -> String {
    let words = esc(crate::i18n::t(crate::i18n::M::DiagramOnTheWire));
    let mark = super::diagram::WIRE_MARK;
    format!(
        "<text class=\"legend\" x=\"{}\" y=\"{}\">{mark} {words}</text>",
        g.x(0),
        y + 5
    )
}

/// Each lifeline's name, and its dashed line down to `end`.
fn heads(g: &Geometry, names: &[String], end: usize) -> String {
    let head = |(c, name): (usize, &String)| {
        let head = label_text("head", g.x(c) - 8, 30, "start", name, chars(g.col - 10));
        format!(
            r#"{head}<line class="life" x1="{0}" y1="40" x2="{0}" y2="{end}"/>"#,
            g.x(c)
        )
    };
    names.iter().enumerate().map(head).collect()
}

/// The diagram's styles (all but its text's font, set in [`frame`] from [`FONT`]).
const DIAGRAM_STYLE: &str = include_str!("diagram.css");

/// The SVG element around the drawing: its size, the arrowheads, the styles.
fn frame(width: usize, height: usize, inner: &str) -> String {
    // A captured segment's arrowhead is filled; an inferred one's is drawn open.
    let arrowhead = |id: &str, path: &str| {
        format!(
            "<marker id=\"{id}\" markerWidth=\"10\" markerHeight=\"10\" refX=\"10\" refY=\"5\" \
             orient=\"auto\"><path {path}/></marker>"
        )
    };
    let heads = [
        arrowhead("head", r##"d="M0,0 L10,5 L0,10 z" fill="#0b4f9c""##),
        arrowhead(
            "head-inferred",
            r##"d="M0,0 L10,5 L0,10" fill="none" stroke="#777""##,
        ),
    ]
    .concat();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" style=\"min-width:{width}px\" role=\"img\" \
         aria-label=\"sequence diagram\"><defs>{heads}</defs><style>\
         text{{font:{FONT}px monospace;fill:#111}} .note{{font:{FONT}px sans-serif;fill:#6b4e00}}\n\
         {DIAGRAM_STYLE}</style>{inner}</svg>"
    )
}

/// A lesson's note in the notes' column, a dotted guide to where it happens in the run;
/// returns the SVG and the height its lines take.
fn note(g: &Geometry, words: &str, y: usize) -> (String, usize) {
    let lines = textwrap::wrap(words, NOTE_CHARS);
    let mut out = format!(
        "<line class=\"guide\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
            <text class=\"note\" x=\"{}\" y=\"{}\">",
        g.x(0) - 10,
        g.notes_x - 4,
        g.notes_x,
        y + 5
    );
    for (i, l) in lines.iter().enumerate() {
        let dy = if i == 0 { 0 } else { NOTE_LINE };
        let _ = write!(
            out,
            r#"<tspan x="{}" dy="{dy}">{}</tspan>"#,
            g.notes_x,
            esc(l)
        );
    }
    out.push_str("</text>");
    (out, lines.len() * NOTE_LINE + 10)
}

/// An arrow between two lifelines, its label above it: a captured segment solid, an inferred
/// one dashed (the legend under the diagram says why), a dropped one stopping half way at a ✗
/// with the reason under its label. A label longer than the arrow is wrapped onto
/// lines above it (a projector's text is never made smaller); returns the SVG and the row's
/// height.
fn arrow(g: &Geometry, a: &Arrow, top: usize) -> (String, usize) {
    let (x1, x2) = (g.x(a.from), g.x(a.to));
    let fit = chars(x1.abs_diff(x2).saturating_sub(20)).max(8);
    let mut lines = textwrap::wrap(&a.label, fit);
    // A dropped segment says why on a line of its own, under its label.
    if let ArrowKind::Dropped(why) = a.kind {
        lines.push(format!("✗ {why}").into());
    }
    // The line sits under its label's lines: the row grows by one line for each more (and a
    // little more under a dropped one's, for its ✗).
    let labels_y = top + (lines.len() - 1) * LABEL_LINE;
    let y = labels_y
        + if matches!(a.kind, ArrowKind::Dropped(_)) {
            8
        } else {
            0
        };
    let (mid, class) = ((x1 + x2) / 2, arrow_class(a.kind));
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let at = labels_y - 6 - (lines.len() - 1 - i) * LABEL_LINE;
        out.push_str(&label_text(class, mid, at, "middle", line, fit));
    }
    let ArrowKind::Dropped(_) = a.kind else {
        let head = if class == "seg" {
            "head"
        } else {
            "head-inferred"
        };
        let _ = write!(
            out,
            "<line class=\"{class}\" x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" \
                marker-end=\"url(#{head})\"/>"
        );
        return (out, ROW + y - top);
    };
    // The sender's half of the line, stopping at the ✗.
    let _ = write!(
        out,
        "<line class=\"{class}\" x1=\"{x1}\" y1=\"{y}\" x2=\"{mid}\" y2=\"{y}\"/>\
            <text class=\"cross\" x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">✗</text>",
        y + 7,
    );
    (out, ROW + y - top)
}

fn arrow_class(kind: ArrowKind) -> &'static str {
    match kind {
        ArrowKind::Captured => "seg",
        ArrowKind::Inferred => "inferred",
        ArrowKind::Dropped(_) => "dropped",
    }
}

/// A lifeline's band for one state, from where it started to `y`.
fn band(out: &mut String, x: usize, (state, from): (Option<TcpState>, usize), y: usize) {
    if state.is_some() && y > from {
        let _ = write!(
            out,
            r#"<rect x="{}" y="{from}" width="16" height="{}" fill="{}"><title>{}</title></rect>"#,
            x - 8,
            y - from,
            colour(state),
            state_or_gone(state)
        );
    }
}

/// The line under the page's title: how many events, what the kernel's table said of the calls,
/// the expectations met and not, and whether the picture holds only the first events.
fn summary(shown: &[Event], total: usize) -> String {
    use crate::i18n::{f, Count, M};
    let count = |v: Verdict| {
        shown
            .iter()
            .filter(|e| e.verdict == v && e.kind == Kind::Call)
            .count()
    };
    let checks = shown.iter().filter(|e| e.kind == Kind::Check).count();
    let failed = shown
        .iter()
        .filter(|e| e.kind == Kind::Check && e.verdict != Verdict::Agrees)
        .count();
    let (agreed, differed) = (count(Verdict::Agrees), count(Verdict::Differs));
    let mut summary = f(
        M::PageSummary,
        &[&Count(shown.len()), &Count(agreed), &Count(differed)],
    );
    if checks > 0 {
        summary.push_str(&f(M::PageChecks, &[&Count(checks), &Count(failed)]));
    }
    if total > shown.len() {
        summary.push_str(&f(M::PageFirst, &[&MAX_EVENTS, &total]));
    }
    summary
}

/// The whole page: title, verdicts, the diagram with the lesson's notes beside it, the legend,
/// the trace table — of the first [`MAX_EVENTS`] of `events`, the first of `total`.
pub fn html(
    title: &str,
    events: &[Event],
    total: usize,
    groups: &[(String, Vec<String>)],
) -> String {
    let shown = &events[..events.len().min(MAX_EVENTS)];
    let summary = summary(shown, total);
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
    .map(|s| {
        format!(
            r#"<span class="key" style="background:{}">{s}</span>"#,
            colour(Some(*s))
        )
    })
    .collect();
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title>\
         <style>\n{STYLE}</style></head>\n\
         <body data-check=\"pending\"><h1>{t}</h1><p class=\"summary\">{s}</p>\n\
         <div class=\"diagram\">{svg}</div><p class=\"legend\">{legend}</p>\n{table}\n\
         <script>\n{SCRIPT}</script></body></html>\n",
        lang = crate::i18n::lang().code(),
        t = esc(title),
        s = esc(&summary),
        svg = svg(shown, groups),
        table = table(shown)
    )
}

/// The trace as a table: each event's row holds what its line in the terminal holds (the same
/// [`human::cells`]), and its words (`↳ …`) in a row of their own under it.
fn table(events: &[Event]) -> String {
    use crate::i18n::{t, M};
    // `ms`, not the terminal's `time ms`: the column is narrow, and the unit says it.
    let head: String = [
        M::ColWho,
        M::ColCall,
        M::ColResult,
        M::ColState,
        M::ColKernel,
    ]
    .map(|m| format!("<th>{}</th>", esc(t(m))))
    .concat();
    let mut out = format!(
        "<table class=\"trace\"><thead><tr><th>#</th><th>ms</th>{head}</tr></thead><tbody>"
    );
    for e in events {
        let c = human::cells(e);
        let class = match e.verdict {
            Verdict::Agrees => "good",
            Verdict::Differs => "bad",
            _ => "",
        };
        let seq = e.seq;
        let head = format!("<td>{seq}</td><td>{}</td><td>{}</td>", c.time, esc(&c.who));
        match (e.kind, &c.words) {
            (Kind::Note | Kind::Check, Some(words)) => {
                let _ = write!(
                    out,
                    "<tr class=\"{:?} {class}\" data-seq=\"{seq}\">{head}\
                        <td colspan=\"4\">{}</td></tr>",
                    e.kind,
                    esc(words)
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "<tr class=\"{:?} {class}\" data-seq=\"{seq}\">{head}\
                        <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    e.kind,
                    esc(&c.call),
                    esc(&c.result),
                    esc(&c.state),
                    esc(&c.kernel)
                );
                if let Some(words) = &c.words {
                    let _ = write!(
                        out,
                        "<tr class=\"why\" data-seq=\"{seq}\"><td></td><td></td><td></td>\
                            <td colspan=\"4\">{}</td></tr>",
                        esc(words)
                    );
                }
            }
        }
    }
    out.push_str("</tbody></table>");
    out
}

/// The page's styles, sized for a projector.
const STYLE: &str = include_str!("page.css");

/// The page's check of itself, run when it is opened (see `tests/page.rs`).
const SCRIPT: &str = include_str!("page.js");

/// The groups of a run that has no lesson to name them: one per actor, in order of
/// appearance (each socket is a lifeline of its own; a connection accepted by one actor and
/// used by another stays one lifeline: see `lifelines`).
pub fn actor_columns(events: &[Event]) -> Vec<(String, Vec<String>)> {
    let mut columns: Vec<(String, Vec<String>)> = Vec::new();
    for ev in events.iter().filter(|e| e.kind == Kind::Call) {
        if !columns.iter().any(|(a, _)| *a == ev.actor) {
            columns.push((ev.actor.to_string(), vec![ev.actor.to_string()]));
        }
    }
    columns
}

/// The groups of a run of lab's own: one, every actor in it — a connection the server's
/// thread accepted and a client's thread serves (renamed `srv:ana` once she says her name) is
/// one socket, one lifeline.
pub fn one_process(events: &[Event]) -> Vec<(String, Vec<String>)> {
    let actors = actor_columns(events)
        .into_iter()
        .map(|(actor, _)| actor)
        .collect();
    vec![("lab".to_string(), actors)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Arg, Syscall};

    #[test]
    fn the_page_holds_the_diagram_the_table_and_escapes_what_it_shows() {
        let mut ev = Event::call(
            "cli",
            Syscall::Send,
            Some(3),
            vec![Arg::Fd(3), Arg::data(b"<b>&\"")],
        );
        (ev.ret, ev.before, ev.state, ev.verdict, ev.seq) = (
            Some(5),
            Some(TcpState::Established),
            Some(TcpState::Established),
            Verdict::Agrees,
            1,
        );
        let events = vec![ev];
        let page = html("a <test>", &events, 1, &actor_columns(&events));
        assert!(
            page.contains("<svg") && page.contains("<table class=\"trace\">"),
            "{page}"
        );
        assert!(
            page.contains("a &lt;test&gt;") && !page.contains("<b>&"),
            "escaped"
        );
        assert!(page.contains("agreed 1 time,"), "{page}");
        assert!(page.contains("#c8f0c8"), "an ESTAB band");
    }
}
