//! A run as a sequence diagram: one column (lifeline) per actor, time downward, each call and
//! state change on its lifeline, and arrows for what crosses the network — the handshake, data,
//! FIN and RST. Drawn in the terminal, or written as Mermaid (which GitHub renders).

use crate::tcp_state::TcpState;
use crate::trace::{Event, Kind};
use std::collections::HashMap;

/// Width of one actor's column in the terminal.
const COL: usize = 34;

/// One row of the diagram.
enum Row {
    /// A call or state change on one lifeline.
    On(usize, String),
    /// A segment from one lifeline to another.
    Arrow { from: usize, to: usize, label: String },
}

/// Builds the rows: `columns` maps each actor to the sockets it owns.
fn rows(events: &[Event], columns: &[(String, Vec<String>)]) -> Vec<Row> {
    let col_of_sock: HashMap<&str, usize> =
        columns.iter().enumerate().flat_map(|(i, (_, socks))| socks.iter().map(move |s| (s.as_str(), i))).collect();
    // Which column owns which port: an arrow goes to whoever has the peer's port.
    let mut col_of_port: HashMap<u16, usize> = HashMap::new();
    for e in events {
        if let (Some(c), Some(port)) = (col_of_sock.get(e.actor.as_str()), e.local.as_ref().and_then(|a| port(a))) {
            col_of_port.entry(port).or_insert(*c);
        }
    }
    let mut out = Vec::new();
    for e in events {
        let Some(&c) = col_of_sock.get(e.actor.as_str()) else { continue };
        let peer_col = e.peer.as_ref().and_then(|a| port(a)).and_then(|p| col_of_port.get(&p).copied());
        match e.kind {
            Kind::Call => {
                let arrows = segments(e);
                if let (Some(to), false) = (peer_col, arrows.is_empty()) {
                    for (forward, label) in arrows {
                        let (from, to) = if forward { (c, to) } else { (to, c) };
                        out.push(Row::Arrow { from, to, label });
                    }
                }
                out.push(Row::On(c, label(e)));
            }
            Kind::Kernel => {
                let change = format!(
                    "{} → {}",
                    e.before.map_or("-".into(), |s| s.to_string()),
                    e.kernel.map_or("gone".into(), |s| s.to_string())
                );
                let text = if e.args.starts_with("wait") {
                    format!("{}: {}", e.args, e.kernel.map_or("gone".into(), |s| s.to_string()))
                } else {
                    format!("(kernel) {change}")
                };
                out.push(Row::On(c, text));
            }
            Kind::Note | Kind::Check => {}
        }
    }
    out
}

/// The segments a call puts on the wire, as (towards the peer?, label).
fn segments(e: &Event) -> Vec<(bool, String)> {
    let ok = e.errno.is_none();
    match e.call.as_str() {
        "connect" if ok || e.errno.as_deref() == Some("EINPROGRESS") => {
            vec![(true, "SYN".into()), (false, "SYN-ACK".into()), (true, "ACK".into())]
        }
        "connect" if e.errno.as_deref() == Some("ECONNREFUSED") => vec![(true, "SYN".into()), (false, "RST".into())],
        "send" | "sendto" if ok && e.ret.unwrap_or(0) > 0 => {
            let data = e.args.split(", ").nth(1).unwrap_or("").to_string();
            vec![(true, format!("{data} ({} bytes)", e.ret.unwrap_or(0)))]
        }
        "shutdown" if ok && !e.args.ends_with("SHUT_RD") && sends_fin(e.before) => vec![(true, "FIN".into())],
        "close" if ok && sends_fin(e.before) => {
            // An abortive close leaves no row at all, at once: that was an RST.
            let rst = e.kernel_path == [None] && e.before == Some(TcpState::Established);
            vec![(true, if rst { "RST".into() } else { "FIN".into() })]
        }
        _ => Vec::new(),
    }
}

fn sends_fin(before: Option<TcpState>) -> bool {
    matches!(before, Some(TcpState::Established) | Some(TcpState::CloseWait) | Some(TcpState::SynRecv))
}

/// `connect() = 0 → ESTAB`, `recv "hola\n" = 5`, `close() → TIME-WAIT`.
fn label(e: &Event) -> String {
    let result = match (&e.errno, e.ret) {
        (Some(err), _) => format!(" = -1 {err}"),
        (None, Some(r)) => format!(" = {r}"),
        _ => String::new(),
    };
    let call = match e.call.as_str() {
        "recv" | "recvfrom" => format!("{} {}", e.call, e.args.split(", ").nth(1).unwrap_or("")),
        "accept4" => format!("accept → {}", e.detail.as_deref().unwrap_or("").split(" from").next().unwrap_or("")),
        other => format!("{other}()"),
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

fn port(addr: &str) -> Option<u16> {
    addr.rsplit(':').next()?.parse().ok().filter(|p| *p != 0)
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
            Row::On(c, text) => {
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
            Row::On(c, text) => out.push_str(&format!("    Note over {}: {}\n", columns[c].0, esc(&text))),
            Row::Arrow { from, to, label } => {
                out.push_str(&format!("    {}->>{}: {}\n", columns[from].0, columns[to].0, esc(&label)));
            }
        }
    }
    out
}
