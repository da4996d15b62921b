//! A run as a sequence diagram: one column (lifeline) per actor, time downward, each call and
//! state change on its lifeline, and arrows for what crosses the network — the handshake, data,
//! FIN and RST. Drawn in the terminal, or written as Mermaid (which GitHub renders).

use crate::tcp_state::state_or_gone;
use crate::trace::{names, Arg, Detail, Event, Kind, Syscall};
use crate::transitions::{self, Segment};
use nix::errno::Errno;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Width of one actor's column in the terminal.
const COL: usize = 34;

/// One row of the diagram.
pub(crate) enum Row {
    /// A call or state change on one lifeline, and the lifeline's TCP state after it (`None`:
    /// unchanged or unknown; `Some(None)`: gone).
    On(usize, String, Option<Option<crate::tcp_state::TcpState>>),
    /// A segment from one lifeline to another.
    Arrow { from: usize, to: usize, label: String },
}

/// Builds the rows: `columns` maps each actor to the sockets it owns.
pub(crate) fn rows(events: &[Event], columns: &[(String, Vec<String>)]) -> Vec<Row> {
    let col_of_sock: HashMap<&str, usize> =
        columns.iter().enumerate().flat_map(|(i, (_, socks))| socks.iter().map(move |s| (s.as_str(), i))).collect();
    // Which column owns which port: an arrow goes to whoever has the peer's port.
    let mut col_of_port: HashMap<u16, usize> = HashMap::new();
    for e in events {
        if let (Some(c), Some(port)) = (col_of_sock.get(e.actor.as_str()), port(e.local)) {
            col_of_port.entry(port).or_insert(*c);
        }
    }
    let mut out = Vec::new();
    for e in events {
        let Some(&c) = col_of_sock.get(e.actor.as_str()) else { continue };
        match e.kind {
            // A call shown as blocked draws when it returns.
            Kind::Call if matches!(e.detail, Some(Detail::Blocked)) => {}
            Kind::Call => {
                if let Some(to) = port(e.peer).and_then(|p| col_of_port.get(&p).copied()) {
                    for (forward, label) in segments(e) {
                        let (from, to) = if forward { (c, to) } else { (to, c) };
                        out.push(Row::Arrow { from, to, label });
                    }
                }
                let after = if e.fd_gone { Some(e.kernel) } else { e.state.map(Some) };
                out.push(Row::On(c, label(e), after));
            }
            Kind::Kernel => {
                // What the kernel did on its own: on the socket's lifeline, and, when it was a
                // segment from the peer that did it (an ACK, a SYN-ACK), that segment's arrow.
                let from = port(e.peer).and_then(|p| col_of_port.get(&p).copied());
                if let (Some(seg), Some(from)) = (transitions::segment_received(e.before, e.kernel), from) {
                    out.push(Row::Arrow { from, to: c, label: seg.name().to_string() });
                }
                let old = e.before.map_or("-".into(), |s| s.to_string());
                out.push(Row::On(c, format!("(kernel) {old} → {}", state_or_gone(e.kernel)), Some(e.kernel)));
            }
            Kind::Wait => out.push(Row::On(c, format!("{}: {}", e.args_text(), state_or_gone(e.kernel)), None)),
            // Captured segments are not drawn yet: the arrows above are inferred from the calls.
            Kind::Note | Kind::Check | Kind::Segment => {}
        }
    }
    out
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
        (Some(Syscall::Send | Syscall::Sendto | Syscall::Write | Syscall::Sendmsg), _)
            if ok && e.ret.unwrap_or(0) > 0 =>
        {
            let data = e.buffer().map(Arg::to_string).unwrap_or_default();
            vec![(true, format!("{data} ({} bytes)", e.ret.unwrap_or(0)))]
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

/// `connect() = 0 → ESTAB`, `recv "hola\n" = 5`, `close() → TIME-WAIT`.
fn label(e: &Event) -> String {
    let result = match (e.errno, e.ret) {
        (Some(err), _) => format!(" = -1 {}", names::errno_name(err)),
        (None, Some(r)) => format!(" = {r}"),
        _ => String::new(),
    };
    let name = e.call.map_or("", Syscall::name);
    let call = match (e.call, &e.detail) {
        (Some(Syscall::Recv | Syscall::Recvfrom | Syscall::Read | Syscall::Recvmsg), _) => {
            format!("{name} {}", e.buffer().map(Arg::to_string).unwrap_or_default())
        }
        (Some(Syscall::Accept4 | Syscall::Accept), Some(Detail::Accepted { fd, .. })) => format!("accept → {fd}"),
        (Some(Syscall::Accept4 | Syscall::Accept), _) => "accept → ".to_string(),
        _ => format!("{name}()"),
    };
    let state = if e.fd_gone {
        e.kernel.map_or(String::new(), |k| format!(" → {k}"))
    } else {
        match (e.before, e.state) {
            (Some(b), Some(a)) if a != b => format!(" {b} → {a}"),
            (None, Some(a)) => format!(" {a}"),
            _ => String::new(),
        }
    };
    format!("{call}{result}{state}")
}

/// The port of an address, if it has one (port 0: not bound yet).
fn port(addr: Option<SocketAddr>) -> Option<u16> {
    addr.map(|a| a.port()).filter(|p| *p != 0)
}

/// The diagram for a terminal.
pub fn terminal(events: &[Event], columns: &[(String, Vec<String>)]) -> String {
    let n = columns.len();
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
    for (i, (name, _)) in columns.iter().enumerate() {
        for (k, ch) in name.chars().take(COL - 2).enumerate() {
            head[life(i) + k] = ch;
        }
    }
    out.push_str(head.iter().collect::<String>().trim_end());
    out.push('\n');
    for row in rows(events, columns) {
        let mut v = blank();
        match row {
            Row::On(c, text, _) => {
                let room = if c + 1 < n { COL - 3 } else { 60 };
                let text: String = text.chars().take(room).collect();
                v.resize(width.max(life(c) + 2 + text.chars().count()), ' ');
                v[life(c)] = '●';
                for (k, ch) in text.chars().enumerate() {
                    v[life(c) + 2 + k] = ch;
                }
            }
            Row::Arrow { from, to, label } => {
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
        }
        out.push_str(v.iter().collect::<String>().trim_end());
        out.push('\n');
    }
    out
}

/// The diagram as Mermaid `sequenceDiagram` source.
pub fn mermaid(events: &[Event], columns: &[(String, Vec<String>)]) -> String {
    let esc = |s: &str| s.replace(';', ",").replace('#', "").replace('"', "'");
    let mut out = String::from("sequenceDiagram\n");
    for (name, _) in columns {
        out.push_str(&format!("    participant {name}\n"));
    }
    for row in rows(events, columns) {
        match row {
            Row::On(c, text, _) => out.push_str(&format!("    Note over {}: {}\n", columns[c].0, esc(&text))),
            Row::Arrow { from, to, label } => {
                out.push_str(&format!("    {}->>{}: {}\n", columns[from].0, columns[to].0, esc(&label)));
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
