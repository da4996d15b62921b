//! A network for a lesson: hosts joined by lab's link inside lab's own process, its sockets
//! made on the hosts by the lesson's runner, its link's rules changed between steps.
//!
//! `lab net` starts programs on hosts; a lesson makes its sockets itself, on its own thread.
//! That thread enters a host's network namespace only for `socket()` — a socket belongs to the
//! namespace its creator was in then — and comes straight back; every later call on the
//! socket works wherever the thread is. The relay runs on a thread of its own, every packet a
//! segment event in the lesson's trace, dropped ones too.

use super::host::Host;
use super::link::Link;
use super::relay::{self, Counts, Outcome};
pub use super::run::WireOut;
use super::run::{host_tables, make_hosts, Wire};
use super::spec;
use crate::trace::Tracer;
use nix::sched::{setns, CloneFlags};
use std::collections::HashSet;
use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest a call waits for the link to settle before it takes its place in the trace.
const SETTLE: Duration = Duration::from_millis(100);

/// How long the link must look quiet to be: the relay may have just read a packet it has not
/// yet told of (a few µs), so one look is not enough.
const QUIET: Duration = Duration::from_micros(300);

/// The packets the relay is writing into their host, by their id on the link (from `Arriving`
/// to `Arrived`): what the host's kernel does with one (an ACK it answers with, a `connect()`
/// it completes) happens during that write.
type Moving = Arc<Mutex<HashSet<u64>>>;

/// The hosts, the link between them, and the relay moving packets.
pub struct LessonNet {
    hosts: Arc<Vec<Host>>,
    link: Arc<Mutex<Link>>,
    stop: Arc<AtomicBool>,
    relay: Option<JoinHandle<Counts>>,
    /// The network the calling thread was in: where it comes back to after `socket()`.
    home: OwnedFd,
}

impl LessonNet {
    /// Makes the hosts (named in order: 10.0.0.1, 10.0.0.2 …) with devices of `mtu`, gives the
    /// tracer their tables, and starts the relay with `rules`, its packets going to `out`.
    /// The error says why, in words.
    pub fn start(
        (names, rules): (&[String], &str),
        seed: u64,
        mtu: u32,
        tracer: &Arc<Tracer>,
        out: WireOut,
    ) -> Result<LessonNet, String> {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let clauses = spec::parse(rules, &refs)
            .map_err(|e| e.to_string())?
            .clauses;
        let home: OwnedFd = std::fs::File::open("/proc/thread-self/ns/net")
            .map_err(|e| e.to_string())?
            .into();
        let hosts = Arc::new(make_hosts(names, mtu)?);
        if let Some(table) = tracer.table() {
            table.add_hosts(host_tables(&hosts)?);
        }
        let link = Arc::new(Mutex::new(Link::new(clauses, seed)));
        let stop = Arc::new(AtomicBool::new(false));
        let moving = Moving::default();
        let (h, l, s, t, m) = (
            hosts.clone(),
            link.clone(),
            stop.clone(),
            tracer.clone(),
            moving.clone(),
        );
        let relay = std::thread::Builder::new()
            .name("lab-link".into())
            .spawn(move || relay_traced(&h, (&l, &s), &t, &m, out))
            .map_err(|e| e.to_string())?;
        settle_calls(tracer, hosts.clone(), moving, stop.clone());
        Ok(LessonNet {
            hosts,
            link,
            stop,
            relay: Some(relay),
            home,
        })
    }

    /// Runs `f` (a `socket()`) inside host `name`'s network, then brings the thread home.
    /// Corresponds to `setns(host, CLONE_NEWNET)`, then `setns(home, CLONE_NEWNET)`.
    pub fn on<T>(&self, name: &str, f: impl FnOnce() -> T) -> std::io::Result<T> {
        let host = self
            .hosts
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(|| std::io::Error::other(format!("no host {name}")))?;
        host.enter()?;
        let made = f();
        setns(self.home.as_fd(), CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
        Ok(made)
    }

    /// Host `name`'s addresses (IPv4, IPv6).
    pub fn addrs(&self, name: &str) -> Vec<IpAddr> {
        self.hosts
            .iter()
            .filter(|h| h.name == name)
            .flat_map(|h| [IpAddr::V4(h.v4), IpAddr::V6(h.v6)])
            .collect()
    }

    /// New rules for the link (`partition`, `heal`, `a>b drop data 1` …); the rules now, in
    /// words.
    pub fn change(&self, rules: &str, tracer: &Tracer) -> Result<String, String> {
        super::up::change(&self.link, rules, &self.names(), tracer)
    }

    fn names(&self) -> Vec<&str> {
        self.hosts.iter().map(|h| h.name.as_str()).collect()
    }

    /// Sets a TCP setting (`net.ipv4.tcp_early_retrans`, checked by the lesson's parser) on
    /// every host: written to `/proc/sys/…` from inside each host's network, whose own it is.
    /// `false`: this kernel has no such setting (an older one, which behaves as it did).
    pub fn sysctl(&self, name: &str, value: &str) -> std::io::Result<bool> {
        let path = format!("/proc/sys/{}", name.replace('.', "/"));
        for h in self.hosts.iter() {
            match self.on(&h.name, || std::fs::write(&path, value))? {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                other => other?,
            }
        }
        Ok(true)
    }

    /// Stops the relay; what it counted.
    pub fn stop(&mut self) -> Counts {
        self.stop.store(true, Ordering::Relaxed);
        self.relay
            .take()
            .and_then(|r| r.join().ok())
            .unwrap_or_default()
    }
}

/// The relay, each packet a segment event in the trace; `moving` holds the packets between
/// the moment the link took them and the moment they arrived or were dropped.
fn relay_traced(
    hosts: &[Host],
    (link, stop): (&Mutex<Link>, &AtomicBool),
    tracer: &Tracer,
    moving: &Moving,
    out: WireOut,
) -> Counts {
    if out.show != crate::trace::wire::Show::Off {
        tracer.tell_wire();
    }
    let mut wire = Wire::new(out);
    let counts = relay::run(hosts, link, Instant::now(), stop, |p| {
        {
            let mut m = moving.lock().unwrap_or_else(|e| e.into_inner());
            match p.outcome {
                Outcome::Arriving => m.insert(p.id),
                Outcome::Arrived(_) | Outcome::Dropped(_) => m.remove(&p.id),
                Outcome::Sent => false,
            };
        }
        wire.seen(hosts, tracer, p)
    });
    wire.flush();
    counts
}

/// Before a call of the lesson takes its place in the trace, the link settles: every packet
/// a host has sent is read by the relay and judged — dropped, delivered, or on its way (a
/// `delay`: it is shown when it arrives, after the call). Without it a `connect()` could be
/// printed before the handshake's last ACK, sent before `connect()` returned, one run in two.
/// Bounded by [`SETTLE`]; the relay's own thread never waits for itself.
fn settle_calls(tracer: &Tracer, hosts: Arc<Vec<Host>>, moving: Moving, stop: Arc<AtomicBool>) {
    tracer.settle_with(Box::new(move || {
        let relay = std::thread::current().name() == Some("lab-link");
        if relay || stop.load(Ordering::Relaxed) {
            return;
        }
        let start = Instant::now();
        let mut quiet_since: Option<Instant> = None;
        crate::kernel::check::wait_until(SETTLE, || {
            let quiet = !waiting(&hosts) && moving.lock().map(|m| m.is_empty()).unwrap_or(true);
            let since = *quiet_since.get_or_insert_with(Instant::now);
            if !quiet {
                quiet_since = None;
            }
            quiet && since.elapsed() >= QUIET || start.elapsed() >= SETTLE
        });
    }));
}

/// Whether any host has a packet waiting for the relay. Corresponds to `poll()` on every
/// host's TUN fd, not waiting.
fn waiting(hosts: &[Host]) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds: Vec<PollFd> = hosts
        .iter()
        .map(|h| PollFd::new(h.tun.as_fd(), PollFlags::POLLIN))
        .collect();
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}

impl Drop for LessonNet {
    fn drop(&mut self) {
        self.stop();
    }
}
