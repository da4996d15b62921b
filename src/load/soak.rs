//! `lab load --soak SECS`: well-behaved clients and abusive ones in the same room for a while —
//! the test of "nobody can harm anyone else". Abusive clients: readers that stop reading,
//! bursts of 4 KB lines, connections reset in the middle of a line, invalid UTF-8 and escape
//! sequences, command floods. The well-behaved send and read as a person would, and every line
//! one of them sends must reach every one of them. Reports who was kept and who dropped (with
//! the reason the room gave), deliveries lost among the well-behaved (must be 0), and the
//! server's memory and fds before and after.

use super::options::Options;
use super::server;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a soak measured.
#[derive(Debug, Default, serde::Serialize)]
pub struct SoakReport {
    pub secs: f64,
    pub well_behaved: usize,
    pub kept: usize,
    /// How many clients left, by the reason the room gave (as a well-behaved client saw it).
    pub left: BTreeMap<String, usize>,
    pub abusive_connections: u64,
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub rss_kb_before: u64,
    pub rss_kb_after: u64,
    pub fds_before: usize,
    pub fds_after: usize,
}

/// The marker of a well-behaved client's line.
const OK: &str = "#ok";

/// What the room says when someone leaves: the reason is in the parentheses.
fn leave_reason(line: &str) -> Option<String> {
    let rest = line.strip_prefix("* ")?.split_once(" left the chat")?.1;
    Some(
        rest.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .to_string(),
    )
    .map(|r| if r.is_empty() { "quit".into() } else { r })
}

/// Connects and registers as `name`; returns the stream once welcomed.
fn join(addr: SocketAddr, name: &str) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    (&s).write_all(format!("{name}\n").as_bytes())?;
    while !line.contains(&format!("Hi {name},")) {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(io::Error::other(format!("{name} was not welcomed")));
        }
    }
    Ok(s)
}

/// Runs a soak of `secs` seconds with `opts.clients` well-behaved clients.
pub fn run(opts: &Options, secs: f64) -> io::Result<SoakReport> {
    let (addr, child) = server::start(opts)?;
    let pid = child.id();
    let (rss_kb_before, fds_before) = (rss_kb(pid), fd_count(pid));
    let mut report = SoakReport {
        secs,
        well_behaved: opts.clients,
        rss_kb_before,
        fds_before,
        ..Default::default()
    };
    let well: Vec<TcpStream> = (0..opts.clients)
        .map(|i| join(addr, &format!("w{i}")))
        .collect::<io::Result<_>>()?;
    let delivered = Arc::new(AtomicU64::new(0));
    let left = Arc::new(Mutex::new(BTreeMap::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<JoinHandle<bool>> = well
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.try_clone()
                .map(|s| spawn_reader(s, i == 0, &delivered, &left, &stop))
        })
        .collect::<io::Result<_>>()?;
    let made = Arc::new(AtomicU64::new(0));
    let abusers = spawn_abusers(addr, &stop, &made);
    let sent = send_well(&well, Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for a in abusers {
        let _ = a.join();
    }
    report.expected = sent * opts.clients as u64;
    wait_deliveries(&delivered, report.expected);
    report.delivered = delivered.load(Ordering::Relaxed);
    report.lost = report.expected.saturating_sub(report.delivered);
    // The abusive connections are gone: wait (bounded) until the server has closed its ends —
    // all but the well-behaved clients' — then measure.
    let settled = fds_before + opts.clients;
    crate::kernel::check::wait_until(Duration::from_secs(5), || fd_count(pid) <= settled);
    (report.rss_kb_after, report.fds_after) = (rss_kb(pid), fd_count(pid));
    // Our own end of each: a reader that meets EOF now was still connected.
    for s in &well {
        let _ = s.shutdown(std::net::Shutdown::Both);
    }
    report.kept = readers
        .into_iter()
        .map(|r| r.join().unwrap_or(false))
        .filter(|kept| *kept)
        .count();
    report.left = std::mem::take(&mut *left.lock().unwrap_or_else(|p| p.into_inner()));
    report.abusive_connections = made.load(Ordering::Relaxed);
    server::stop(child);
    Ok(report)
}

/// A well-behaved reader: counts every `#ok` line; the first also notes why others left.
/// Returns whether it was still connected when the soak ended (`over`: its end was ours).
fn spawn_reader(
    s: TcpStream,
    notes: bool,
    delivered: &Arc<AtomicU64>,
    left: &Arc<Mutex<BTreeMap<String, usize>>>,
    over: &Arc<AtomicBool>,
) -> JoinHandle<bool> {
    let (delivered, left, over) = (delivered.clone(), left.clone(), over.clone());
    std::thread::spawn(move || {
        let _ = s.set_read_timeout(None);
        let mut r = BufReader::new(s);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return over.load(Ordering::Relaxed),
                Ok(_) if line.contains(OK) => {
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) if notes => {
                    if let Some(why) = leave_reason(line.trim_end()) {
                        *left
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(why)
                            .or_default() += 1;
                    }
                }
                Ok(_) => {}
            }
        }
    })
}

/// The first few well-behaved clients take turns sending a short line every 10 ms; returns how
/// many lines were sent.
fn send_well(well: &[TcpStream], secs: Duration) -> u64 {
    let start = Instant::now();
    let senders = well.len().min(4);
    let mut n = 0u64;
    while start.elapsed() < secs && senders > 0 {
        let mut s = &well[n as usize % senders];
        if s.write_all(format!("{OK} {n}\n").as_bytes()).is_err() {
            break;
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    n
}

/// Waits until every expected delivery arrived, or 5 s pass without one.
fn wait_deliveries(delivered: &AtomicU64, expected: u64) {
    let (mut last, mut since) = (0, Instant::now());
    while delivered.load(Ordering::Relaxed) < expected && since.elapsed() < Duration::from_secs(5) {
        let now = delivered.load(Ordering::Relaxed);
        if now != last {
            (last, since) = (now, Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every kind of abuse, each in its own thread, until `stop`.
fn spawn_abusers(
    addr: SocketAddr,
    stop: &Arc<AtomicBool>,
    made: &Arc<AtomicU64>,
) -> Vec<JoinHandle<()>> {
    type Abuse = fn(SocketAddr, usize, &AtomicBool, &AtomicU64);
    let kinds: [(Abuse, usize); 5] = [
        (stall, 5),
        (burst, 3),
        (reset_mid_line, 3),
        (bad_bytes, 2),
        (flood, 2),
    ];
    let mut out = Vec::new();
    for (abuse, count) in kinds {
        for i in 0..count {
            let (stop, made) = (stop.clone(), made.clone());
            out.push(std::thread::spawn(move || abuse(addr, i, &stop, &made)));
        }
    }
    out
}

/// Registers with a tiny receive buffer and never reads again.
fn stall(addr: SocketAddr, i: usize, stop: &AtomicBool, made: &AtomicU64) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None);
    let Ok(s) = s else { return };
    let _ = s.set_recv_buffer_size(4096);
    if s.connect(&addr.into()).is_err() {
        return;
    }
    made.fetch_add(1, Ordering::Relaxed);
    let mut s: TcpStream = s.into();
    let _ = s.write_all(format!("stall{i}\n").as_bytes());
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends bursts of ten 4,000-byte lines, reading what comes back.
fn burst(addr: SocketAddr, i: usize, stop: &AtomicBool, made: &AtomicU64) {
    let line = format!("{}\n", "B".repeat(4000));
    abuse_loop(
        addr,
        &format!("burst{i}"),
        stop,
        made,
        Duration::from_millis(200),
        |s| (0..10).try_for_each(|_| s.write_all(line.as_bytes())),
    );
}

/// Sends invalid UTF-8 and escape sequences, reading what comes back.
fn bad_bytes(addr: SocketAddr, i: usize, stop: &AtomicBool, made: &AtomicU64) {
    abuse_loop(
        addr,
        &format!("bad{i}"),
        stop,
        made,
        Duration::from_millis(20),
        |s| s.write_all(b"\xff\xfe caf\xc3 \x1b[2J\x1b]0;title\x07 \xe2\x80\n"),
    );
}

/// Floods the room with commands, reading what comes back.
fn flood(addr: SocketAddr, i: usize, stop: &AtomicBool, made: &AtomicU64) {
    let burst = ":u\n:i\n:h\n:artifacts\n:nope\n".repeat(20);
    abuse_loop(
        addr,
        &format!("flood{i}"),
        stop,
        made,
        Duration::from_millis(20),
        |s| s.write_all(burst.as_bytes()),
    );
}

/// Joins as `name`, then until `stop`: `act`, read whatever is there, pause.
fn abuse_loop(
    addr: SocketAddr,
    name: &str,
    stop: &AtomicBool,
    made: &AtomicU64,
    pause: Duration,
    mut act: impl FnMut(&mut TcpStream) -> io::Result<()>,
) {
    let Ok(mut s) = join(addr, name) else { return };
    made.fetch_add(1, Ordering::Relaxed);
    let _ = s.set_nonblocking(true);
    let mut sink = vec![0u8; 1 << 16];
    while !stop.load(Ordering::Relaxed) {
        if act(&mut s).is_err() {
            return;
        }
        while s.read(&mut sink).is_ok_and(|n| n > 0) {}
        std::thread::sleep(pause);
    }
}

/// Connects, registers, sends half a line and resets the connection (SO_LINGER 0), again
/// and again.
fn reset_mid_line(addr: SocketAddr, i: usize, stop: &AtomicBool, made: &AtomicU64) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut s) = join(addr, &format!("rst{i}x{n}")) {
            made.fetch_add(1, Ordering::Relaxed);
            let _ = s.write_all(b"half a li");
            let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A process's resident memory, in KiB, from `/proc/PID/status`.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmRSS:")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// How many fds a process holds.
fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

impl SoakReport {
    /// The report as the lines `lab load --soak` prints.
    pub fn text(&self) -> String {
        let left: Vec<String> = self
            .left
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        format!(
            "soak {:.0} s: {} of {} well-behaved clients kept; {} abusive connections; left: {}\n\
             deliveries among the well-behaved: {} of {} ({} lost)\n\
             server: RSS {} → {} KiB, fds {} → {}",
            self.secs,
            self.kept,
            self.well_behaved,
            self.abusive_connections,
            if left.is_empty() {
                "none".into()
            } else {
                left.join(", ")
            },
            self.delivered,
            self.expected,
            self.lost,
            self.rss_kb_before,
            self.rss_kb_after,
            self.fds_before,
            self.fds_after
        )
    }
}
