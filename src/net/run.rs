//! `lab net`: programs on hosts joined by lab's link, every call traced as `lab trace` traces
//! it (each state checked against *that host's* table), and every packet on the link in the
//! same trace — the dropped ones too.
//!
//! The order of things, which matters: lab enters its user namespace before any thread
//! exists (`cli`), then makes the hosts, gives the tracer their tables, starts the relay, and
//! only then starts the programs, each inside its host.

use super::host::{Host, DEFAULT_NAMES, MAX_HOSTS};
use super::link::Link;
use super::relay::{self, Counts, Outcome, Passage};
use super::spec::{self, Spec};
use crate::i18n::{f, M};
use crate::kernel::table::{HostTable, KernelTable};
use crate::ptrace::{OnHost, Target};
use crate::trace::wire::{Pcap, Show};
use crate::trace::{Event, Ticket, Tracer};
use crate::wire::{segment, Segment, Streams};
use nix::sys::signalfd::SignalFd;
use std::collections::HashMap;
use std::ffi::OsString;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What `lab net` was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The link's rules, as written (`delay 30ms loss 5%`).
    pub link: String,
    pub seed: u64,
    /// Each `--on HOST 'COMMAND'`, in order.
    pub on: Vec<(String, String)>,
    /// The hosts' devices' MTU.
    pub mtu: u32,
    /// How the programs are traced (`--all-fds`, faults).
    pub traced: crate::ptrace::Options,
}

/// The hosts a run needs: `a` and `b`, then any other `--on` names, in order of appearance.
pub fn host_names(on: &[(String, String)]) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
    for (host, _) in on {
        let ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(format!(
                "--on {host:?}: a host's name is letters, digits and '-'"
            ));
        }
        if !names.contains(host) {
            names.push(host.clone());
        }
    }
    if names.len() > MAX_HOSTS {
        return Err(format!("at most {MAX_HOSTS} hosts"));
    }
    Ok(names)
}

/// Reads `--link` against the hosts: a bad word is refused before anything starts.
pub fn check_link(opts: &Options) -> Result<Spec, String> {
    let names = host_names(&opts.on)?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let spec = spec::parse(&opts.link, &refs).map_err(|e| e.to_string())?;
    if spec.heal {
        return Err(
            "--link heal: there is no partition yet to heal (say it to a running network: lab net \
                link heal)"
                .into(),
        );
    }
    Ok(spec)
}

/// Makes the hosts, runs every program on its host until all have ended, and says what the
/// link did. Returns the first program's exit status.
pub fn run(
    opts: &Options,
    tracer: &Tracer,
    signals: &SignalFd,
    out: WireOut,
) -> Result<i32, String> {
    let spec = check_link(opts)?;
    let names = host_names(&opts.on)?;
    let hosts = make_hosts(&names, opts.mtu)?;
    if let Some(table) = tracer.table() {
        table.add_hosts(host_tables(&hosts)?);
    }
    let shown = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n} {}", hosts[i].v4))
        .collect::<Vec<_>>()
        .join(", ");
    let rules = if opts.link.trim().is_empty() {
        "-".to_string()
    } else {
        opts.link.clone()
    };
    tracer.note("lab", &f(M::NetHosts, &[&shown, &rules]));
    let programs = programs(opts, &names, &hosts)?;
    let link = Mutex::new(Link::new(spec.clauses, opts.seed));
    let stop = AtomicBool::new(false);
    let (code, counts) = std::thread::scope(|s| {
        let relay = s.spawn(|| watch_link(&hosts, &link, &stop, tracer, out));
        let code = crate::ptrace::run(Target::OnHosts(programs), tracer, opts.traced, signals);
        stop.store(true, Ordering::Relaxed);
        (code, relay.join().unwrap_or_default())
    });
    tracer.note("lab", &counts.summary());
    code
}

/// Every host, in order (host `i` has 10.0.0.(i+1)).
pub(super) fn make_hosts(names: &[String], mtu: u32) -> Result<Vec<Host>, String> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Host::create(i, n, mtu).map_err(|e| f(M::NetNoUserns, &[&e])))
        .collect()
}

/// Each host's own table, for the states of the sockets on it.
pub(super) fn host_tables(hosts: &[Host]) -> Result<Vec<HostTable>, String> {
    hosts
        .iter()
        .map(|h| {
            let table = KernelTable::open_in(h.netns())
                .map_err(|e| format!("{}: sock_diag: {e}", h.name))?;
            let netns_inode = nix::sys::stat::fstat(h.netns())
                .map_err(|e| e.to_string())?
                .st_ino;
            let addrs = vec![IpAddr::V4(h.v4), IpAddr::V6(h.v6)];
            Ok(HostTable {
                netns_inode,
                addrs,
                table,
            })
        })
        .collect()
}

/// Each `--on HOST 'COMMAND'` as a program to start there, through `sh -c` so a command line
/// may hold quotes and redirections as in a terminal.
fn programs(opts: &Options, names: &[String], hosts: &[Host]) -> Result<Vec<OnHost>, String> {
    opts.on
        .iter()
        .map(|(host, command)| {
            let i = names
                .iter()
                .position(|n| n == host)
                .ok_or_else(|| format!("no host {host}"))?;
            let netns = hosts[i]
                .netns()
                .try_clone_to_owned()
                .map_err(|e| e.to_string())?;
            let argv = ["/bin/sh", "-c", command]
                .iter()
                .map(OsString::from)
                .collect();
            Ok(OnHost {
                argv,
                host: host.clone(),
                netns,
            })
        })
        .collect()
}

/// Where the link's packets go besides the link: the trace (`--wire`) and a pcapng file
/// (`--pcap`).
#[derive(Default)]
pub struct WireOut {
    /// Which segments the trace shows.
    pub show: Show,
    /// Every packet, as it arrives or is dropped, with the dropped ones marked.
    pub pcap: Option<Pcap>,
}

/// The relay, each packet it moves becoming a segment event in the trace and a packet in the
/// pcap file. With `--wire off` and no file the packets are only moved and counted.
pub(super) fn watch_link(
    hosts: &[Host],
    link: &Mutex<Link>,
    stop: &AtomicBool,
    tracer: &Tracer,
    out: WireOut,
) -> Counts {
    let watched = out.show != Show::Off || out.pcap.is_some();
    if out.show != Show::Off {
        tracer.tell_wire();
    }
    let mut wire = Wire::new(out);
    let counts = relay::run(hosts, link, Instant::now(), stop, |p| {
        if watched {
            wire.seen(hosts, tracer, p)
        }
    });
    wire.flush();
    counts
}

/// The wall clock now, as pcap files keep time.
fn since_epoch() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// The segments on their way: judged when sent, shown when they arrive (or are dropped).
#[derive(Default)]
pub(super) struct Wire {
    out: WireOut,
    /// The wall clock when the link started: a packet's time in the pcap file is this plus
    /// its time on the link.
    epoch: Duration,
    /// Every connection's history, for Wireshark's words — in the order segments are *sent*,
    /// as a capture beside the sender would see them.
    streams: Streams,
    /// Segments sent and not yet arrived, by their id on the link (at most the link's
    /// [`super::link::MAX_IN_FLIGHT`]).
    on_the_way: HashMap<u64, Segment>,
    /// The last segment that arrived: a duplicate arrives right after it, with its id.
    last: Option<(u64, Segment)>,
    /// The packet about to be written into its host, and its place in the trace: taken before
    /// the write, so that a `recv()` of its bytes never comes before it.
    arriving: Option<(u64, Ticket)>,
}

impl Wire {
    /// The link's packets going to `out`, from now on.
    pub(super) fn new(out: WireOut) -> Wire {
        Wire {
            out,
            epoch: since_epoch(),
            ..Wire::default()
        }
    }

    /// The pcap file's last packets written out, if there is one.
    pub(super) fn flush(&mut self) {
        if let Some(pcap) = &mut self.out.pcap {
            let _ = pcap.flush();
        }
    }

    /// One packet, as the trace shows it: a segment sent by its host, captured by the link.
    pub(super) fn seen(&mut self, hosts: &[Host], tracer: &Tracer, p: Passage<'_>) {
        self.record(&p);
        if self.out.show == Show::Off {
            return;
        }
        let actor = &hosts[p.from].name;
        let segment = match p.outcome {
            Outcome::Arriving => {
                self.arriving = Some((p.id, tracer.ticket()));
                return;
            }
            Outcome::Sent => {
                if let Some(seg) = self.judge(p) {
                    self.on_the_way.insert(p.id, seg);
                }
                return;
            }
            Outcome::Dropped(why) => {
                self.on_the_way
                    .remove(&p.id)
                    .or_else(|| self.judge(p))
                    .map(|mut seg| {
                        seg.dropped = Some(why);
                        seg
                    })
            }
            Outcome::Arrived(_) => match self.on_the_way.remove(&p.id) {
                Some(seg) => {
                    self.last = Some((p.id, seg.clone()));
                    Some(seg)
                }
                None => self
                    .last
                    .as_ref()
                    .filter(|(id, _)| *id == p.id)
                    .map(|(_, seg)| seg.clone()),
            },
        };
        let place = self
            .arriving
            .take()
            .filter(|(id, _)| *id == p.id)
            .map(|(_, t)| t);
        let segment = segment.filter(|seg| self.out.show.shows(seg));
        match (segment, place) {
            (Some(seg), Some(t)) => tracer.emit_at(t, vec![Event::segment(actor, seg)], None),
            (Some(seg), None) => tracer.emit(Event::segment(actor, seg)),
            // Not a TCP segment: its place is given up, or the trace would wait for it.
            (None, Some(t)) => tracer.cancel(t),
            (None, None) => {}
        }
    }

    /// A packet into the pcap file where the trace would show it: when it arrives, or when it
    /// is dropped — then with a comment that says so (see docs/network.md, "--pcap").
    fn record(&mut self, p: &Passage<'_>) {
        let Some(pcap) = &mut self.out.pcap else {
            return;
        };
        let (at, comment) = match p.outcome {
            Outcome::Arrived(at) => (at, None),
            Outcome::Dropped(why) => (p.sent, Some(why)),
            Outcome::Sent | Outcome::Arriving => return,
        };
        let comment = comment.map(|why| format!("dropped by lab's link: {}", why.words()));
        let at = self.epoch + at;
        let _ = pcap.packet_with_comment(p.packet, p.packet.len(), at, comment.as_deref());
    }

    /// The segment a packet holds, judged against its connection's history.
    fn judge(&mut self, p: Passage<'_>) -> Option<Segment> {
        let header = segment::parse(p.packet, p.packet.len(), crate::trace::event::SHOW_BYTES)?;
        Some(self.streams.see(&header, p.sent.as_micros() as u64))
    }
}
