//! `lab watch`: every state change of every TCP socket on the machine, like bcc's `tcpstates`,
//! but without root or eBPF: the kernel's table is read again and again, and two readings are
//! compared. It is the trace's kernel observer ([`crate::trace::observer`]) with another
//! scope: every socket the filter keeps, instead of the sockets a trace follows.
//!
//! What polling can and cannot see: a state that lasts longer than the interval is always
//! seen; a shorter one (SYN-SENT on loopback lasts microseconds) may be skipped, and the line
//! then shows the jump (`(new) -> ESTAB`). The interval is the resolution of "ms in OLD".

use crate::kernel::table::{ss_addr, Filter, KernelTable};
use crate::tcp_state::TcpState;
use crate::trace::observer::{self, Key};
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

/// Compares successive readings of the table: the kernel observer's whole-table scope
/// ([`observer::read_table`], [`observer::diff`]) with `lab watch`'s filter.
pub struct Watcher {
    table: KernelTable,
    filter: Filter,
    start: Instant,
    /// The last reading.
    known: HashMap<Key, Option<TcpState>>,
    /// When each socket entered its state; missing if it was in it when the watch began.
    since: HashMap<Key, Instant>,
}

impl Watcher {
    /// Takes the first reading: what exists now is known, not reported.
    pub fn new(filter: Filter) -> io::Result<Watcher> {
        let table = KernelTable::open()?;
        let known = observer::read_table(&table, &filter)?;
        Ok(Watcher {
            table,
            filter,
            start: Instant::now(),
            known,
            since: HashMap::new(),
        })
    }

    /// How many sockets the last reading held.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Reads the table again and returns what changed since the last reading.
    pub fn poll(&mut self) -> io::Result<Vec<Change>> {
        let now_states = observer::read_table(&self.table, &self.filter)?;
        let now = Instant::now();
        let t_ms = ms(now - self.start);
        let mut changes = Vec::new();
        for (k, old, new) in observer::diff(&self.known, &now_states) {
            let was_there = self.known.contains_key(&k);
            let ms_in_old = self
                .since
                .remove(&k)
                .filter(|_| was_there)
                .map(|s| ms(now - s));
            if now_states.contains_key(&k) {
                self.since.insert(k, now);
            }
            let old = if was_there { old } else { None };
            changes.push(Change {
                t_ms,
                local: k.0,
                peer: k.1,
                old,
                new,
                ms_in_old,
            });
        }
        self.known = now_states;
        Ok(changes)
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `lab watch`: reads the table every `interval` until `limit` (or Ctrl+C) and prints each
/// change as a line (or a JSON object) on stdout.
pub fn run(
    filter: Filter,
    interval: Duration,
    limit: Option<Duration>,
    json: bool,
) -> io::Result<()> {
    let port = filter.port;
    let mut w = Watcher::new(filter)?;
    let start = Instant::now();
    let mut out = io::stdout().lock();
    // On stderr, so that stdout holds only the changes (and JSON stays JSON).
    let on = port
        .map(|p| crate::i18n::f(crate::i18n::M::OnPort, &[&p]))
        .unwrap_or_default();
    eprintln!(
        "{}",
        crate::i18n::f(
            crate::i18n::M::Watching,
            &[&crate::i18n::Count(w.len()), &on]
        )
    );
    if !json {
        writeln!(out, "{}", header())?;
    }
    while limit.is_none_or(|l| start.elapsed() < l) {
        let reading = Instant::now();
        for c in w.poll()? {
            if json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&c).map_err(io::Error::other)?
                )?;
            } else {
                writeln!(out, "{}", line(&c))?;
            }
        }
        out.flush()?;
        // The polling period: the watch reads the table this often, it waits for nothing.
        std::thread::sleep(observer::pace(interval, reading.elapsed()));
    }
    Ok(())
}

/// The column titles of [`line()`].
pub fn header() -> String {
    format!(
        "{:>9}  {:<24} {:<24} {:<28} {:>8}",
        "TIME(s)", "LOCAL", "PEER", "OLD -> NEW", "MS"
    )
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
