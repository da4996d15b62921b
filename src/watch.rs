//! `lab watch`: every state change of every TCP socket on the machine, like bcc's `tcpstates`,
//! but without root or eBPF: the kernel's table is read again and again, and two readings are
//! compared.
//!
//! What polling can and cannot see: a state that lasts longer than the interval is always
//! seen; a shorter one (SYN-SENT on loopback lasts microseconds) may be skipped, and the line
//! then shows the jump (`(new) -> ESTAB`). The interval is the resolution of "ms in OLD".

use crate::kernel::table::{ss_addr, Filter, KernelTable, SocketRow};
use crate::tcp_state::TcpState;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// One change seen between two readings of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Milliseconds since the watch started.
    pub t_ms: u64,
    #[serde(serialize_with = "ser_addr")]
    pub local: SocketAddr,
    #[serde(serialize_with = "ser_addr")]
    pub peer: SocketAddr,
    /// `None`: the socket is new (it was not in the previous reading).
    pub old: Option<TcpState>,
    /// `None`: the socket vanished.
    pub new: Option<TcpState>,
    /// How long it was in `old`, as far as the readings tell; `None` if it was already there
    /// when the watch started.
    pub ms_in_old: Option<u64>,
}

fn ser_addr<S: serde::Serializer>(a: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&a.to_string())
}

/// A connection is known by its 4-tuple; listeners (peer `*:*`) also by inode, because several
/// may share a port with SO_REUSEPORT. A connection keeps its key when it moves to TIME-WAIT
/// (where its inode becomes 0).
type Key = (SocketAddr, SocketAddr, u64);

fn key(r: &SocketRow) -> Key {
    let inode = if r.peer.port() == 0 { r.inode } else { 0 };
    (r.local, r.peer, inode)
}

struct Known {
    state: Option<TcpState>,
    /// When it entered `state`; `None` if it was in it when the watch began.
    since: Option<Instant>,
}

/// Compares successive readings of the table.
pub struct Watcher {
    table: KernelTable,
    filter: Filter,
    start: Instant,
    known: HashMap<Key, Known>,
}

impl Watcher {
    /// Takes the first reading: what exists now is known, not reported.
    pub fn new(filter: Filter) -> io::Result<Watcher> {
        let table = KernelTable::open()?;
        let start = Instant::now();
        let known = table.rows(&filter)?.iter().map(|r| (key(r), Known { state: r.state, since: None })).collect();
        Ok(Watcher { table, filter, start, known })
    }

    /// How many sockets the last reading held.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the last reading held no socket.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Reads the table again and returns what changed since the last reading.
    pub fn poll(&mut self) -> io::Result<Vec<Change>> {
        let rows = self.table.rows(&self.filter)?;
        let now = Instant::now();
        let t_ms = ms(now - self.start);
        let mut changes = Vec::new();
        let mut seen: HashMap<Key, Known> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let k = key(r);
            match self.known.remove(&k) {
                Some(old) if old.state == r.state => {
                    seen.insert(k, old);
                }
                Some(old) => {
                    changes.push(Change {
                        t_ms,
                        local: r.local,
                        peer: r.peer,
                        old: old.state,
                        new: r.state,
                        ms_in_old: old.since.map(|s| ms(now - s)),
                    });
                    seen.insert(k, Known { state: r.state, since: Some(now) });
                }
                None => {
                    changes.push(Change {
                        t_ms,
                        local: r.local,
                        peer: r.peer,
                        old: None,
                        new: r.state,
                        ms_in_old: None,
                    });
                    seen.insert(k, Known { state: r.state, since: Some(now) });
                }
            }
        }
        // What is left was in the last reading but not in this one: vanished.
        for (k, old) in self.known.drain() {
            changes.push(Change {
                t_ms,
                local: k.0,
                peer: k.1,
                old: old.state,
                new: None,
                ms_in_old: old.since.map(|s| ms(now - s)),
            });
        }
        self.known = seen;
        Ok(changes)
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `lab watch`: reads the table every `interval` until `limit` (or Ctrl+C) and prints each
/// change as a line (or a JSON object) on stdout.
pub fn run(filter: Filter, interval: Duration, limit: Option<Duration>, json: bool) -> io::Result<()> {
    let port = filter.port;
    let mut w = Watcher::new(filter)?;
    let start = Instant::now();
    let mut out = io::stdout().lock();
    // On stderr, so that stdout holds only the changes (and JSON stays JSON).
    let on = port.map(|p| format!(" on port {p}")).unwrap_or_default();
    eprintln!("watching {} socket(s){on}; Ctrl+C to stop", w.len());
    if !json {
        writeln!(out, "{}", header())?;
    }
    while limit.is_none_or(|l| start.elapsed() < l) {
        for c in w.poll()? {
            if json {
                writeln!(out, "{}", serde_json::to_string(&c).map_err(io::Error::other)?)?;
            } else {
                writeln!(out, "{}", line(&c))?;
            }
        }
        out.flush()?;
        // The polling period: the watch reads the table this often, it waits for nothing.
        std::thread::sleep(interval);
    }
    Ok(())
}

/// The column titles of [`line`].
pub fn header() -> String {
    format!("{:>9}  {:<24} {:<24} {:<28} {:>8}", "TIME(s)", "LOCAL", "PEER", "OLD -> NEW", "MS")
}

/// One change as `tcpstates` prints it: time, local, peer, `OLD -> NEW`, ms spent in OLD.
pub fn line(c: &Change) -> String {
    let old = c.old.map_or("(new)".to_string(), |s| s.to_string());
    let new = c.new.map_or("(gone)".to_string(), |s| s.to_string());
    let ms = c.ms_in_old.map_or("-".to_string(), |m| m.to_string());
    format!(
        "{:>9.3}  {:<24} {:<24} {:<28} {:>8}",
        c.t_ms as f64 / 1000.0,
        ss_addr(&c.local),
        ss_addr(&c.peer),
        format!("{old} -> {new}"),
        ms
    )
}
