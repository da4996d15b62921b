//! A run as a sequence diagram: one column (lifeline) per socket, time downward, each call and
//! state change on its socket's lifeline, and arrows for what crosses the network — the
//! handshake, data, FIN and RST. Drawn in the terminal, or written as Mermaid (which GitHub
//! renders); [`super::page`] draws the same rows as SVG.
//!
//! Where the run's wire was captured, each arrow is a segment seen on it ([`super::captured`]);
//! where it was not, the arrows are inferred from the calls and drawn dashed, so a picture never
//! passes off a guess for a fact.

use super::captured;
use super::lifelines::{self, Lifelines};
use super::rows::{Arrow, ArrowKind, On, Row};
use crate::i18n::{f, t, Count, M};
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{names, Arg, Detail, Event, Kind, Syscall};
use crate::transitions::{self, Segment};
use nix::errno::Errno;

/// A run laid out for drawing: the lifelines, and the rows, top to bottom.
pub(crate) struct Diagram {
    /// Each lifeline's name, in drawing order.
    pub lifelines: Vec<String>,
    pub rows: Vec<Row>,
    /// A close's state is marked as seen on the wire (`LAST-ACK*`): the picture says what the
    /// mark means under itself.
    pub wire_states: bool,
}

/// Lays out a run: `groups` names each group of actors that share one fd table (see
/// [`lifelines`]).
pub(crate) fn layout(events: &[Event], groups: &[(String, Vec<String>)]) -> Diagram {
    let lines = lifelines::of(events, groups);
    // With a capture, the wire draws every TCP arrow: none is inferred from the calls.
    let captured = captured::any(events);
    // Which lifelines have had an event yet: a connection not yet accepted is the listener's.
    let mut started = vec![false; lines.lines.len()];
    let mut rows = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match (e.kind, lines.of_event[i]) {
            (Kind::Note, _) => rows.extend(e.note.clone().map(Row::Note)),
            (Kind::Segment, _) => rows.extend(
                e.segment
                    .as_deref()
                    .and_then(|s| captured::row(&lines, &started, s)),
            ),
            (_, Some(c)) => {
                started[c] = true;
                if let Some(&new) = lines.accepted.get(&i) {
                    started[new] = true;
                }
                event_rows(&mut rows, &lines, (i, e, c), captured);
            }
            _ => {}
        }
    }
    Diagram {
        lifelines: lines.lines.iter().map(|l| l.name.clone()).collect(),
        rows,
        wire_states: events.iter().any(|e| e.fd_gone && e.wire_state.is_some()),
    }
}

/// The rows of event `i`, on lifeline `c`. `captured`: the wire draws the TCP arrows, so
/// none is inferred here.
fn event_rows(
    out: &mut Vec<Row>,
    lines: &Lifelines,
    (i, e, c): (usize, &Event, usize),
    captured: bool,
) {
    match e.kind {
        // A call shown as blocked draws when it returns.
        Kind::Call if matches!(e.detail, Some(Detail::Blocked)) => {}
        Kind::Call => call_rows(out, lines, (i, e, c), captured),
        Kind::Kernel => kernel_rows(out, lines, (e, c), captured),
        Kind::Wait => out.push(on(
            c,
            format!("{}: {}", e.args_text(), state_or_gone(e.kernel)),
            None,
        )),
        // A segment draws its own row (see `layout`).
        Kind::Note | Kind::Check | Kind::Segment => {}
    }
}

/// A row of words on lifeline `line`, and the state it leaves there (`None`: unchanged).
fn on(line: usize, text: String, after: Option<Option<TcpState>>) -> Row {
    Row::On(On { line, text, after })
}

/// An inferred segment's arrow. A segment a socket sends itself (a connection to its own
/// port) has no arrow to draw: it is a row on its lifeline.
fn arrow(from: usize, to: usize, label: String) -> Row {
    match from == to {
        true => on(from, format!("↻ {label}"), None),
        false => Row::Arrow(Arrow {
            from,
            to,
            label,
            kind: ArrowKind::Inferred,
        }),
    }
}

/// A call's rows: the segments it sent or received (unless the wire draws them), then the call
/// on its socket's lifeline — or, for an `accept()`, on the listener's, with the connection's
/// own lifeline starting beside it.
fn call_rows(
    out: &mut Vec<Row>,
    lines: &Lifelines,
    (i, e, c): (usize, &Event, usize),
    captured: bool,
) {
    // Only TCP is captured (a UDP socket has no state): a datagram's arrow is still inferred.
    let tcp = e.before.is_some() || e.state.is_some() || e.kernel.is_some();
    let handshake = e.call == Some(Syscall::Connect);
    let inferred = if captured && tcp {
        Vec::new()
    } else {
        segments(e)
    };
    if let Some(to) = lines.reached(e.local, e.peer, handshake) {
        for (forward, label) in inferred {
            let (from, to) = if forward { (c, to) } else { (to, c) };
            out.push(arrow(from, to, label));
        }
    }
    match lines.accepted.get(&i) {
        // The listener stays as it was; the connection starts its own lifeline.
        Some(&new) => {
            out.push(on(c, call_label(e), None));
            let fd = e.ret.unwrap_or_default();
            out.push(on(
                new,
                f(M::DiagramAccepted, &[&fd, &state_or_gone(e.state)]),
                Some(e.state),
            ));
        }
        None => {
            let after = if e.fd_gone {
                Some(e.kernel)
            } else {
                e.state.map(Some)
            };
            out.push(on(c, label(e), after));
        }
    }
}

/// What the kernel did on its own: on the socket's lifeline, and, when it was a segment from
/// the peer that did it (an ACK, a SYN-ACK), that segment's arrow (unless the wire draws it).
fn kernel_rows(out: &mut Vec<Row>, lines: &Lifelines, (e, c): (&Event, usize), captured: bool) {
    let handshake = e.before == Some(TcpState::SynSent);
    let from = lines
        .reached(e.local, e.peer, handshake)
        .filter(|_| !captured);
    if let (Some(seg), Some(from)) = (transitions::segment_received(e.before, e.kernel), from) {
        out.push(arrow(from, c, seg.name().to_string()));
    }
    let old = e.before.map_or("-".into(), |s| s.to_string());
    out.push(on(
        c,
        format!("(kernel) {old} → {}", state_or_gone(e.kernel)),
        Some(e.kernel),
    ));
}

/// The segments a call puts on the wire, as (towards the peer?, label); the rules of which call
/// sends what are [`transitions`]'.
fn segments(e: &Event) -> Vec<(bool, String)> {
    let ok = !e.failed();
    let tcp = |list: &[(bool, Segment)]| {
        list.iter()
            .map(|(fwd, s)| (*fwd, s.name().to_string()))
            .collect()
    };
    // Only a TCP socket has a state: UDP's connect() sends nothing, its datagrams do.
    let before = e.before;
    match (e.call, e.args.last()) {
        (Some(Syscall::Connect), _)
            if before.is_some() && (ok || e.failed_with(Errno::EINPROGRESS)) =>
        {
            tcp(transitions::connect_segments(false))
        }
        (Some(Syscall::Connect), _) if e.failed_with(Errno::ECONNREFUSED) => {
            tcp(transitions::connect_segments(true))
        }
        (
            Some(
                Syscall::Send
                | Syscall::Sendto
                | Syscall::Write
                | Syscall::Sendmsg
                | Syscall::Writev
                | Syscall::Sendmmsg
                | Syscall::Sendfile,
            ),
            _,
        ) if ok && e.ret.unwrap_or(0) > 0 => {
            let data = e.buffer().map(Arg::to_string).unwrap_or_default();
            // sendmmsg() returns how many messages went: the bytes are its data's length.
            let bytes = if e.call == Some(Syscall::Sendmmsg) {
                e.data().map(|d| d.1 as i64)
            } else {
                e.ret
            };
            vec![(
                true,
                f(M::DiagramBytes, &[&data, &Count(bytes.unwrap_or(0))]),
            )]
        }
        (Some(Syscall::Shutdown), Some(Arg::Shutdown(how)))
            if ok && before.is_some_and(|b| transitions::shutdown_sends_fin(*how, b)) =>
        {
            tcp(&[(true, Segment::Fin)])
        }
        (Some(Syscall::Close), _) if ok && before.is_some_and(transitions::sends_fin) => {
            let rst = transitions::close_sent_rst(before, &e.kernel_path);
            tcp(&[(true, if rst { Segment::Rst } else { Segment::Fin })])
        }
        _ => Vec::new(),
    }
}

/// The mark on a state seen on the wire, not in the kernel's table (a lifeline's column is
/// too narrow for words; the legend under the picture says them).
pub(crate) const WIRE_MARK: char = '*';

/// `connect() = 0 CLOSE → ESTAB`, `recv "hola\n" = 5`, `close() = 0 → TIME-WAIT`.
fn label(e: &Event) -> String {
    format!("{}{}", call_label(e), states(e))
}

/// The states a call moved its socket through, as the trace's columns show them: `ESTAB →
/// FIN-WAIT-1 → FIN-WAIT-2` (the states passed on the way are the close's own), and after a
/// `close()`, the kernel's path for the connection: `→ LAST-ACK → gone`.
fn states(e: &Event) -> String {
    if e.fd_gone {
        // The state seen on the wire (FIN-WAIT-1, LAST-ACK) first, marked as the wire's.
        let wire = e.wire_state.map(|w| format!("{w}{WIRE_MARK}"));
        let skip = usize::from(e.kernel_path.len() > 1 && e.kernel_path[0] == e.wire_state);
        let path: Vec<String> = match e.kernel_path.is_empty() {
            true => e.kernel.iter().map(|k| k.to_string()).collect(),
            false => e.kernel_path[skip..]
                .iter()
                .map(|k| state_or_gone(*k))
                .collect(),
        };
        let path: Vec<String> = wire.into_iter().chain(path).collect();
        return path.iter().map(|s| format!(" → {s}")).collect();
    }
    match (e.before, e.state) {
        (Some(b), Some(a)) if a != b || !e.transit.is_empty() => {
            let path: Vec<String> = e
                .transit
                .iter()
                .chain([&a])
                .map(|s| s.to_string())
                .collect();
            format!(" {b} → {}", path.join(" → "))
        }
        (None, Some(a)) => format!(" {a}"),
        _ => String::new(),
    }
}

/// The call and its result, without states: `accept4() = 6`, `recv "hola\n" = 5`.
fn call_label(e: &Event) -> String {
    let result = match (e.errno, e.ret) {
        (Some(err), _) => format!(" = -1 {}", names::errno_name(err)),
        (None, Some(r)) => format!(" = {r}"),
        _ => String::new(),
    };
    let name = e.call.map_or("", Syscall::name);
    let call = match e.call {
        Some(
            Syscall::Recv
            | Syscall::Recvfrom
            | Syscall::Read
            | Syscall::Recvmsg
            | Syscall::Readv
            | Syscall::Recvmmsg,
        ) => {
            format!(
                "{name} {}",
                e.buffer().map(Arg::to_string).unwrap_or_default()
            )
        }
        _ => format!("{name}()"),
    };
    format!("{call}{result}")
}

/// The diagram for a terminal.
pub fn terminal(events: &[Event], groups: &[(String, Vec<String>)]) -> String {
    let d = layout(events, groups);
    let grid = Grid::new(&d);
    let mut out = grid.head(&d.lifelines);
    for row in &d.rows {
        let lines = match row {
            Row::On(on) => vec![grid.on(on)],
            Row::Arrow(a) => grid.arrow(a),
            Row::Note(_) => continue,
        };
        for line in lines {
            out.push_str(line.iter().collect::<String>().trim_end());
            out.push('\n');
        }
    }
    if d.rows.iter().any(|r| {
        matches!(
            r,
            Row::Arrow(Arrow {
                kind: ArrowKind::Inferred,
                ..
            })
        )
    }) {
        out.push_str(&format!(
            "\n  ╌╌▷ {}\n",
            crate::i18n::t(crate::i18n::M::DiagramInferred)
        ));
    }
    if d.wire_states {
        out.push_str(&format!("\n  {WIRE_MARK} {}\n", t(M::DiagramOnTheWire)));
    }
    out
}

/// The narrowest a lifeline's column is in the terminal, and the widest it grows so that a
/// captured segment's label (`PSH,ACK seq=1 ack=1 len=87 [retransmission]`) fits its arrow.
const COL: usize = 34;
const MAX_COL: usize = 52;

/// The terminal's columns: lifeline `i` is drawn at character `i * col + 2`.
struct Grid {
    n: usize,
    col: usize,
}

impl Grid {
    fn new(d: &Diagram) -> Grid {
        // An arrow from lifeline a to lifeline b has `span` columns for its label plus a space
        // a dash each side and its head (6 more); a dropped one has half of that for its
        // reason, beside the ✗ (its label has a row of its own).
        let need = |a: &Arrow| {
            let span = a.from.abs_diff(a.to).max(1);
            let label = a.label.chars().count() + 6;
            match a.kind {
                ArrowKind::Dropped(why) => label.max(2 * (why.chars().count() + 3)) / span,
                _ => label / span,
            }
        };
        let arrows = d.rows.iter().filter_map(|r| {
            if let Row::Arrow(a) = r {
                Some(need(a))
            } else {
                None
            }
        });
        Grid {
            n: d.lifelines.len(),
            col: arrows.max().unwrap_or(0).clamp(COL, MAX_COL),
        }
    }

    fn life(&self, i: usize) -> usize {
        i * self.col + 2
    }

    /// A row with every lifeline's `│` and nothing else.
    fn blank(&self) -> Vec<char> {
        let mut v = vec![' '; self.n * self.col];
        for i in 0..self.n {
            v[self.life(i)] = '│';
        }
        v
    }

    /// Each lifeline's name above it (cut to its column).
    fn head(&self, names: &[String]) -> String {
        let mut head = vec![' '; self.n * self.col];
        for (i, name) in names.iter().enumerate() {
            for (k, ch) in name.chars().take(self.col - 2).enumerate() {
                head[self.life(i) + k] = ch;
            }
        }
        format!("{}\n", head.iter().collect::<String>().trim_end())
    }

    /// `● text` on lifeline `c`, the text cut before the next lifeline (the last one's runs on).
    fn on(&self, On { line: c, text, .. }: &On) -> Vec<char> {
        let mut v = self.blank();
        let room = if c + 1 < self.n { self.col - 3 } else { 60 };
        let x = self.life(*c);
        v.resize(v.len().max(x + 2 + room.min(text.chars().count())), ' ');
        v[x] = '●';
        put(&mut v, x + 2, text.chars().take(room));
        v
    }

    /// An arrow between two lifelines, its label in its middle: `│──── SYN seq=0 ───▶│`. A
    /// dropped segment's line stops half way, at a ✗ with the reason beside it; its label goes
    /// on a row of its own above, where it has the whole width.
    fn arrow(&self, a: &Arrow) -> Vec<Vec<char>> {
        let mut v = self.blank();
        // The characters strictly between the two lifelines: `lo+1 .. hi`.
        let (lo, hi) = (self.life(a.from.min(a.to)), self.life(a.from.max(a.to)));
        let right = a.to > a.from;
        let (dash, head) = match (a.kind, right) {
            (ArrowKind::Inferred, true) => ('╌', '▷'),
            (ArrowKind::Inferred, false) => ('╌', '◁'),
            (_, true) => ('─', '▶'),
            (_, false) => ('─', '◀'),
        };
        let mid = (lo + hi) / 2;
        if let ArrowKind::Dropped(why) = a.kind {
            let mut above = self.blank();
            centre(&mut above, lo + 1, hi, &a.label);
            // The sender's half of the line, up to the ✗ in the middle.
            let (from, to) = if right { (lo + 1, mid) } else { (mid + 1, hi) };
            v[from..to].fill(dash);
            dropped(&mut v, mid, right, why);
            return vec![above, v];
        }
        v[lo + 1..hi].fill(dash);
        let at = if right { hi - 1 } else { lo + 1 };
        v[at] = head;
        centre(&mut v, lo + 1, hi, &a.label);
        vec![v]
    }
}

/// `label` centred between characters `from` and `to` of row `v`, with a space each side, cut
/// to leave two dashes and the arrowhead visible.
fn centre(v: &mut [char], from: usize, to: usize, label: &str) {
    let label: Vec<char> = format!(" {label} ")
        .chars()
        .take((to - from).saturating_sub(3))
        .collect();
    put(v, from + (to - from - label.len()) / 2, label.into_iter());
}

/// The ✗ where a dropped segment's line stops, and why on the side it never reached.
fn dropped(v: &mut [char], mid: usize, right: bool, why: &str) {
    v[mid] = '✗';
    let why: Vec<char> = why.chars().collect();
    let at = if right {
        mid + 2
    } else {
        mid.saturating_sub(why.len() + 1)
    };
    // Only the blank space between the ✗ and the lifeline it never reached.
    let room = if right {
        v[at..].iter().take_while(|c| **c == ' ').count()
    } else {
        why.len()
    };
    put(v, at, why.into_iter().take(room));
}

/// Writes `text` into row `v` from character `at`.
fn put(v: &mut [char], at: usize, text: impl Iterator<Item = char>) {
    for (k, ch) in text.enumerate() {
        if let Some(x) = v.get_mut(at + k) {
            *x = ch;
        }
    }
}

/// The diagram as Mermaid `sequenceDiagram` source.
/// Mermaid's own arrow for a segment (`->>` solid, `-->>` dotted, `-x` ending in a cross), and
/// its label with what the arrow's kind adds.
fn mermaid_arrow(kind: ArrowKind, label: String) -> (&'static str, String) {
    match kind {
        ArrowKind::Captured => ("->>", label),
        ArrowKind::Dropped(why) => ("-x", format!("{label} ✗ {why}")),
        ArrowKind::Inferred => ("-->>", format!("{label} {}", t(M::DiagramInferredArrow))),
    }
}

pub fn mermaid(events: &[Event], groups: &[(String, Vec<String>)]) -> String {
    let esc = |s: &str| s.replace(';', ",").replace('#', "").replace('"', "'");
    let d = layout(events, groups);
    // A participant's id is its name when Mermaid takes that as it is, else an alias.
    let id: Vec<String> = d
        .lifelines
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain {
                name.clone()
            } else {
                format!("L{i}")
            }
        })
        .collect();
    let mut out = String::from("sequenceDiagram\n");
    for (i, name) in d.lifelines.iter().enumerate() {
        if id[i] == *name {
            out.push_str(&format!("    participant {name}\n"));
        } else {
            out.push_str(&format!("    participant {} as {}\n", id[i], esc(name)));
        }
    }
    for row in d.rows {
        match row {
            Row::On(On { line, text, .. }) => {
                out.push_str(&format!("    Note over {}: {}\n", id[line], esc(&text)))
            }
            // Mermaid's own arrows: `->>` solid, `-->>` dotted, `-x` ending in a cross.
            Row::Arrow(Arrow {
                from,
                to,
                label,
                kind,
            }) => {
                let (arrow, label) = mermaid_arrow(kind, label);
                out.push_str(&format!(
                    "    {}{arrow}{}: {}\n",
                    id[from],
                    id[to],
                    esc(&label)
                ));
            }
            // A lesson's words, across every lifeline.
            Row::Note(words) => {
                let last = id.len().saturating_sub(1);
                if let (Some(first), Some(last)) = (id.first(), id.get(last)) {
                    out.push_str(&format!("    Note over {first},{last}: {}\n", esc(&words)));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp_state::TcpState;
    use std::net::Shutdown;

    fn call(call: Syscall, before: Option<TcpState>, args: Vec<Arg>) -> Event {
        let mut e = Event::call("c", call, Some(3), args);
        (e.before, e.ret) = (before, Some(0));
        e
    }

    #[test]
    fn a_segment_to_the_same_lifeline_is_a_row_not_an_arrow() {
        let a: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut listen = call(Syscall::Listen, Some(TcpState::Close), vec![Arg::Fd(3)]);
        (listen.local, listen.state) = (Some(a), Some(TcpState::Listen));
        let mut send = call(
            Syscall::Send,
            Some(TcpState::Established),
            vec![Arg::Fd(3), Arg::data(b"x")],
        );
        (send.local, send.peer, send.ret) = (Some(a), Some(a), Some(1));
        let events = [listen, send];
        let text = terminal(&events, &[("c".into(), vec!["c".into()])]);
        assert!(text.contains("↻ \"x\" (1 byte)"), "{text}");
    }

    fn segment(flags: &str, seq: u32, len: u32, dropped: Option<crate::wire::Dropped>) -> Event {
        let mut seg = crate::render::captured::tests::seg(flags, seq, 0, len);
        seg.dropped = dropped;
        Event::segment("b", seg)
    }

    /// A listener on 0.0.0.0:9000 on host a, a client on host b, and what the wire showed.
    fn over_the_wire(wire: bool) -> String {
        let (srv, cli): (std::net::SocketAddr, std::net::SocketAddr) = (
            "10.0.0.1:9000".parse().unwrap(),
            "10.0.0.2:40000".parse().unwrap(),
        );
        let mut listen = call(Syscall::Listen, Some(TcpState::Close), vec![Arg::Fd(3)]);
        (listen.actor, listen.local, listen.state) = (
            "a".into(),
            Some("0.0.0.0:9000".parse().unwrap()),
            Some(TcpState::Listen),
        );
        let mut connect = call(Syscall::Connect, Some(TcpState::Close), vec![Arg::Fd(3)]);
        (connect.actor, connect.local, connect.peer, connect.state) = (
            "b".into(),
            Some(cli),
            Some(srv),
            Some(TcpState::Established),
        );
        let mut accept = call(Syscall::Accept4, None, vec![Arg::Fd(3)]);
        (accept.actor, accept.local, accept.peer, accept.ret) =
            ("a".into(), Some(srv), Some(cli), Some(4));
        accept.detail = Some(Detail::Accepted { fd: 4, peer: cli });
        let mut events = vec![listen, connect];
        if wire {
            events.insert(1, segment("SYN", 0, 0, None));
        }
        events.push(accept);
        if wire {
            events.push(segment(
                "PSH,ACK",
                1,
                5,
                Some(crate::wire::Dropped::Scripted),
            ));
        }
        terminal(
            &events,
            &[
                ("a".into(), vec!["a".into()]),
                ("b".into(), vec!["b".into()]),
            ],
        )
    }

    #[test]
    fn a_captured_segment_joins_the_sockets_of_its_addresses_and_a_dropped_one_stops_at_a_cross() {
        let text = over_the_wire(true);
        let rows: Vec<&str> = text.lines().collect();
        // The SYN reaches the listener bound to 0.0.0.0: the first lifeline, from the third.
        assert!(
            rows.iter()
                .any(|r| r.starts_with("  │◀─") && r.contains(" SYN seq=0 ") && r.ends_with("─│")),
            "{text}"
        );
        assert!(
            !text.contains("SYN-ACK") && !text.contains('╌'),
            "nothing inferred: {text}"
        );
        // The data, dropped, towards the accepted connection: its label above, the ✗ half way.
        let cross = rows
            .iter()
            .position(|r| r.contains("dropped as scripted ✗─"))
            .expect("a ✗");
        assert!(
            rows[cross - 1].contains(" PSH,ACK seq=1 ack=0 len=5 "),
            "{text}"
        );
        assert!(
            rows[cross].ends_with("─│"),
            "the line starts at the sender: {text}"
        );
    }

    #[test]
    fn without_a_capture_the_arrows_are_inferred_dashed_and_said_to_be() {
        let text = over_the_wire(false);
        assert!(
            text.contains("│◁╌╌")
                && text.contains("╌ SYN ╌")
                && text.contains("╌ SYN-ACK ╌")
                && text.contains("╌▷│"),
            "{text}"
        );
        assert!(
            text.ends_with("╌╌▷ inferred from the calls: no capture of the wire shows it\n"),
            "{text}"
        );
    }

    fn names(e: &Event) -> Vec<String> {
        segments(e).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn each_call_draws_what_it_puts_on_the_wire() {
        let estab = Some(TcpState::Established);
        assert_eq!(
            names(&call(Syscall::Connect, Some(TcpState::Close), vec![])),
            ["SYN", "SYN-ACK", "ACK"]
        );
        // UDP has no state and no handshake: connect() only sets the default peer.
        assert!(names(&call(Syscall::Connect, None, vec![])).is_empty());
        let mut refused = call(Syscall::Connect, Some(TcpState::Close), vec![]);
        refused.fail(&std::io::Error::from_raw_os_error(libc::ECONNREFUSED));
        assert_eq!(names(&refused), ["SYN", "RST"]);
        let wr = call(
            Syscall::Shutdown,
            estab,
            vec![Arg::Fd(3), Arg::Shutdown(Shutdown::Write)],
        );
        assert_eq!(names(&wr), ["FIN"]);
        let rd = call(
            Syscall::Shutdown,
            estab,
            vec![Arg::Fd(3), Arg::Shutdown(Shutdown::Read)],
        );
        assert!(names(&rd).is_empty());
        let mut send = call(Syscall::Send, estab, vec![Arg::Fd(3), Arg::data(b"hola\n")]);
        send.ret = Some(5);
        assert_eq!(names(&send), ["\"hola\\n\" (5 bytes)"]);
        let mut rst = call(Syscall::Close, estab, vec![Arg::Fd(3)]);
        rst.kernel_path = vec![None];
        assert_eq!(names(&rst), ["RST"]);
    }

    #[test]
    fn a_close_state_seen_on_the_wire_is_marked_and_the_mark_explained() {
        let mut close = call(Syscall::Close, Some(TcpState::CloseWait), vec![Arg::Fd(3)]);
        (close.fd_gone, close.kernel_path) = (true, vec![Some(TcpState::LastAck), None]);
        close.local = Some("127.0.0.1:9000".parse().unwrap());
        close.peer = Some("127.0.0.1:40000".parse().unwrap());
        assert_eq!(
            states(&close),
            " → LAST-ACK → gone",
            "the table saw it: no mark"
        );
        close.wire_state = Some(TcpState::LastAck);
        assert_eq!(
            states(&close),
            " → LAST-ACK* → gone",
            "told once, as the wire's"
        );
        let text = terminal(&[close], &[]);
        assert!(
            text.trim_end()
                .ends_with(&format!("* {}", crate::i18n::t(M::DiagramOnTheWire))),
            "{text}"
        );
    }
}
