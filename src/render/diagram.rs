//! A run as a sequence diagram: one column (lifeline) per socket, time downward, each call and
//! state change on its socket's lifeline, and arrows for what crosses the network — the
//! handshake, data, FIN and RST. Drawn in the terminal, or written as Mermaid (which GitHub
//! renders); [`super::page`] draws the same rows as SVG.

use super::lifelines::{self, Lifelines};
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{names, Arg, Detail, Event, Kind, Syscall};
use crate::transitions::{self, Segment};
use nix::errno::Errno;

/// Width of one lifeline's column in the terminal.
const COL: usize = 34;

/// A run laid out for drawing: the lifelines, and the rows, top to bottom.
pub(crate) struct Diagram {
    /// Each lifeline's name, in drawing order.
    pub lifelines: Vec<String>,
    pub rows: Vec<Row>,
}

/// One row of the diagram.
pub(crate) enum Row {
    /// A call or state change on one lifeline.
    On(On),
    /// Something that crossed from one lifeline to another.
    Arrow(Arrow),
    /// Words for the student where they happen in the run (a lesson's `note:`). Pictures that
    /// have room for them draw them beside the diagram; the terminal's diagram leaves them to
    /// the trace above it.
    Note(String),
}

/// A call or state change on one lifeline.
pub(crate) struct On {
    pub line: usize,
    /// `connect() = 0 CLOSE → ESTAB`.
    pub text: String,
    /// The lifeline's TCP state after it: `None` unchanged or unknown; `Some(None)` gone.
    pub after: Option<Option<TcpState>>,
}

/// An arrow between two lifelines.
pub(crate) struct Arrow {
    pub from: usize,
    pub to: usize,
    /// `SYN`, `"hola\n" (5 bytes)`.
    pub label: String,
    pub kind: ArrowKind,
}

/// What an arrow stands for. Each kind is drawn its own way, so a picture never passes off
/// one for another (a segment seen on the wire would be a kind of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArrowKind {
    /// A segment the traced call or kernel move implies, by [`transitions`]' rules.
    Implied,
}

/// Lays out a run: `groups` names each group of actors that share one fd table (see
/// [`lifelines`]).
pub(crate) fn layout(events: &[Event], groups: &[(String, Vec<String>)]) -> Diagram {
    let lines = lifelines::of(events, groups);
    let mut rows = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match (e.kind, lines.of_event[i]) {
            (Kind::Note, _) => rows.extend(e.note.clone().map(Row::Note)),
            (_, Some(c)) => event_rows(&mut rows, &lines, i, e, c),
            _ => {}
        }
    }
    Diagram { lifelines: lines.lines.iter().map(|l| l.name.clone()).collect(), rows }
}

/// The rows of event `i`, on lifeline `c`.
fn event_rows(out: &mut Vec<Row>, lines: &Lifelines, i: usize, e: &Event, c: usize) {
    let on = |line: usize, text: String, after: Option<Option<TcpState>>| Row::On(On { line, text, after });
    // A segment a socket sends itself (a connection to its own port) has no arrow to draw.
    let arrow = |from: usize, to: usize, label: String| match from == to {
        true => on(from, format!("↻ {label}"), None),
        false => Row::Arrow(Arrow { from, to, label, kind: ArrowKind::Implied }),
    };
    match e.kind {
        // A call shown as blocked draws when it returns.
        Kind::Call if matches!(e.detail, Some(Detail::Blocked)) => {}
        Kind::Call => {
            let handshake = e.call == Some(Syscall::Connect);
            if let Some(to) = lines.reached(e.local, e.peer, handshake) {
                for (forward, label) in segments(e) {
                    let (from, to) = if forward { (c, to) } else { (to, c) };
                    out.push(arrow(from, to, label));
                }
            }
            match lines.accepted.get(&i) {
                // The listener stays as it was; the connection starts its own lifeline.
                Some(&new) => {
                    out.push(on(c, call_label(e), None));
                    let fd = e.ret.unwrap_or_default();
                    out.push(on(new, format!("fd {fd}, accepted: {}", state_or_gone(e.state)), Some(e.state)));
                }
                None => {
                    let after = if e.fd_gone { Some(e.kernel) } else { e.state.map(Some) };
                    out.push(on(c, label(e), after));
                }
            }
        }
        Kind::Kernel => {
            // What the kernel did on its own: on the socket's lifeline, and, when it was a
            // segment from the peer that did it (an ACK, a SYN-ACK), that segment's arrow.
            let handshake = e.before == Some(TcpState::SynSent);
            let from = lines.reached(e.local, e.peer, handshake);
            if let (Some(seg), Some(from)) = (transitions::segment_received(e.before, e.kernel), from) {
                out.push(arrow(from, c, seg.name().to_string()));
            }
            let old = e.before.map_or("-".into(), |s| s.to_string());
            out.push(on(c, format!("(kernel) {old} → {}", state_or_gone(e.kernel)), Some(e.kernel)));
        }
        Kind::Wait => out.push(on(c, format!("{}: {}", e.args_text(), state_or_gone(e.kernel)), None)),
        // Captured segments are not drawn yet: the arrows above are implied by the calls.
        Kind::Note | Kind::Check | Kind::Segment => {}
    }
}

/// The segments a call puts on the wire, as (towards the peer?, label); the rules of which call
/// sends what are [`transitions`]'.
fn segments(e: &Event) -> Vec<(bool, String)> {
    let ok = !e.failed();
    let tcp = |list: &[(bool, Segment)]| list.iter().map(|(fwd, s)| (*fwd, s.name().to_string())).collect();
    // Only a TCP socket has a state: UDP's connect() sends nothing, its datagrams do.
    let before = e.before;
    match (e.call, e.args.last()) {
        (Some(Syscall::Connect), _) if before.is_some() && (ok || e.failed_with(Errno::EINPROGRESS)) => {
            tcp(transitions::connect_segments(false))
        }
        (Some(Syscall::Connect), _) if e.failed_with(Errno::ECONNREFUSED) => tcp(transitions::connect_segments(true)),
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
            let bytes = if e.call == Some(Syscall::Sendmmsg) { e.data().map(|d| d.1 as i64) } else { e.ret };
            vec![(true, format!("{data} ({} bytes)", bytes.unwrap_or(0)))]
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

/// `connect() = 0 CLOSE → ESTAB`, `recv "hola\n" = 5`, `close() = 0 → TIME-WAIT`.
fn label(e: &Event) -> String {
    let state = if e.fd_gone {
        e.kernel.map_or(String::new(), |k| format!(" → {k}"))
    } else {
        match (e.before, e.state) {
            (Some(b), Some(a)) if a != b => format!(" {b} → {a}"),
            (None, Some(a)) => format!(" {a}"),
            _ => String::new(),
        }
    };
    format!("{}{state}", call_label(e))
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
            Syscall::Recv | Syscall::Recvfrom | Syscall::Read | Syscall::Recvmsg | Syscall::Readv | Syscall::Recvmmsg,
        ) => {
            format!("{name} {}", e.buffer().map(Arg::to_string).unwrap_or_default())
        }
        _ => format!("{name}()"),
    };
    format!("{call}{result}")
}

/// The diagram for a terminal.
pub fn terminal(events: &[Event], groups: &[(String, Vec<String>)]) -> String {
    let d = layout(events, groups);
    let n = d.lifelines.len();
    let width = n * COL;
    let life = |i: usize| i * COL + 2;
    let blank = || {
        let mut v = vec![' '; width];
        for i in 0..n {
            v[life(i)] = '│';
        }
        v
    };
    let mut out = String::new();
    let mut head = vec![' '; width];
    for (i, name) in d.lifelines.iter().enumerate() {
        for (k, ch) in name.chars().take(COL - 2).enumerate() {
            head[life(i) + k] = ch;
        }
    }
    out.push_str(head.iter().collect::<String>().trim_end());
    out.push('\n');
    for row in d.rows {
        let mut v = blank();
        match row {
            Row::On(On { line: c, text, .. }) => {
                let room = if c + 1 < n { COL - 3 } else { 60 };
                let text: String = text.chars().take(room).collect();
                v.resize(width.max(life(c) + 2 + text.chars().count()), ' ');
                v[life(c)] = '●';
                for (k, ch) in text.chars().enumerate() {
                    v[life(c) + 2 + k] = ch;
                }
            }
            Row::Arrow(Arrow { from, to, label, kind: ArrowKind::Implied }) => {
                let (a, b) = (life(from.min(to)), life(from.max(to)));
                for x in v.iter_mut().take(b).skip(a + 1) {
                    *x = '─';
                }
                if to > from {
                    v[b - 1] = '▶';
                } else {
                    v[a + 1] = '◀';
                }
                let label: String = format!(" {label} ").chars().take(b.saturating_sub(a + 4)).collect();
                let start = a + 1 + (b - a - 1).saturating_sub(label.chars().count()) / 2;
                for (k, ch) in label.chars().enumerate() {
                    v[start + k] = ch;
                }
            }
            Row::Note(_) => continue,
        }
        out.push_str(v.iter().collect::<String>().trim_end());
        out.push('\n');
    }
    out
}

/// The diagram as Mermaid `sequenceDiagram` source.
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
            Row::On(On { line, text, .. }) => out.push_str(&format!("    Note over {}: {}\n", id[line], esc(&text))),
            Row::Arrow(Arrow { from, to, label, kind: ArrowKind::Implied }) => {
                out.push_str(&format!("    {}->>{}: {}\n", id[from], id[to], esc(&label)));
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
        let mut send = call(Syscall::Send, Some(TcpState::Established), vec![Arg::Fd(3), Arg::data(b"x")]);
        (send.local, send.peer, send.ret) = (Some(a), Some(a), Some(1));
        let events = [listen, send];
        let text = terminal(&events, &[("c".into(), vec!["c".into()])]);
        assert!(text.contains("↻ \"x\" (1 bytes)"), "{text}");
    }

    fn names(e: &Event) -> Vec<String> {
        segments(e).into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn each_call_draws_what_it_puts_on_the_wire() {
        let estab = Some(TcpState::Established);
        assert_eq!(names(&call(Syscall::Connect, Some(TcpState::Close), vec![])), ["SYN", "SYN-ACK", "ACK"]);
        // UDP has no state and no handshake: connect() only sets the default peer.
        assert!(names(&call(Syscall::Connect, None, vec![])).is_empty());
        let mut refused = call(Syscall::Connect, Some(TcpState::Close), vec![]);
        refused.fail(&std::io::Error::from_raw_os_error(libc::ECONNREFUSED));
        assert_eq!(names(&refused), ["SYN", "RST"]);
        let wr = call(Syscall::Shutdown, estab, vec![Arg::Fd(3), Arg::Shutdown(Shutdown::Write)]);
        assert_eq!(names(&wr), ["FIN"]);
        let rd = call(Syscall::Shutdown, estab, vec![Arg::Fd(3), Arg::Shutdown(Shutdown::Read)]);
        assert!(names(&rd).is_empty());
        let mut send = call(Syscall::Send, estab, vec![Arg::Fd(3), Arg::data(b"hola\n")]);
        send.ret = Some(5);
        assert_eq!(names(&send), ["\"hola\\n\" (5 bytes)"]);
        let mut rst = call(Syscall::Close, estab, vec![Arg::Fd(3)]);
        rst.kernel_path = vec![None];
        assert_eq!(names(&rst), ["RST"]);
    }
}
