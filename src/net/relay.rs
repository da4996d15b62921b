//! The relay: lab's hands on the link. It reads every packet a host sends out of its `lab0`,
//! offers it to the [`Link`], and writes it into the other host's `lab0` when the link says
//! it is due — or never, when the link dropped it.
//!
//! Because every packet passes through here, the relay *is* the capture: each one is handed
//! to the caller as a [`Passage`], dropped ones included, with the time it was sent and the
//! time it arrived. Nothing crosses the link unseen.

use super::host::{destination, Host};
use super::link::{Fate, Link, Why};
use crate::i18n::{self, Count, M};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The largest packet a TUN device hands over (its MTU can be at most 65535).
const MAX_PACKET: usize = 65_536;

/// How many packets one host may send before the relay looks at the others: one busy sender
/// must not starve the rest.
const BATCH: usize = 64;

/// How long the relay waits with nothing to do before it looks at `stop` again.
const IDLE: Duration = Duration::from_millis(50);

/// What happened to one packet on the link. A packet is seen in this order: when it is sent
/// (`Sent` or `Dropped`), then, unless dropped, when it arrives — `Arriving` just before it is
/// written into the other host, then `Arrived` (or `Dropped`, the host's queue full) — as often
/// as the link delivers it (a duplicate arrives twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Taken by the link, on its way (the order packets are sent in: what a capture at the
    /// sender would see).
    Sent,
    /// About to be written into the other host: whatever shows the packet takes its place in
    /// the trace now, before a program there can read the bytes it carries.
    Arriving,
    /// Written into the other host at this time (since the link started).
    Arrived(Duration),
    /// Never arrives, and why.
    Dropped(Why),
}

/// One packet's crossing, as the relay saw it.
#[derive(Debug, Clone, Copy)]
pub struct Passage<'a> {
    /// The packet's number on the link: its `Sent` and its `Arrived` share it.
    pub id: u64,
    pub from: usize,
    /// When the sending host handed it to its `lab0`.
    pub sent: Duration,
    pub outcome: Outcome,
    /// The IP packet.
    pub packet: &'a [u8],
}

/// What the relay counted, for the run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: u64,
    pub arrived: u64,
    pub dropped: u64,
    /// Packets for an address no host has (nothing routes them anywhere).
    pub unroutable: u64,
}

impl Counts {
    /// Counts where a packet ended (arrived or dropped) and tells `seen` of it in the same step,
    /// so the summary's counts and the trace's arrows cannot disagree.
    fn tell(&mut self, seen: &mut impl FnMut(Passage<'_>), passage: Passage<'_>) {
        self.arrived += u64::from(matches!(passage.outcome, Outcome::Arrived(_)));
        self.dropped += u64::from(matches!(passage.outcome, Outcome::Dropped(_)));
        seen(passage);
    }

    /// The run's summary in words: "the hosts sent 7 packets: 5 arrived, 2 were dropped…".
    pub fn summary(&self) -> String {
        let counts = [self.sent, self.arrived, self.dropped, self.unroutable].map(Count);
        let args: Vec<&dyn i18n::Arg> = counts.iter().map(|c| c as &dyn i18n::Arg).collect();
        i18n::f(M::NetSummary, &args)
    }
}

/// Moves packets between `hosts` through `link` until `stop` is set; `seen` is told of each.
/// `start` is the link's time zero.
pub fn run(
    hosts: &[Host],
    link: &Mutex<Link>,
    start: Instant,
    stop: &AtomicBool,
    mut seen: impl FnMut(Passage<'_>),
) -> Counts {
    let mut counts = Counts::default();
    let mut buf = vec![0u8; MAX_PACKET];
    while !stop.load(Ordering::Relaxed) {
        let wait = {
            let link = link.lock().unwrap_or_else(|e| e.into_inner());
            link.next_due()
                .map_or(IDLE, |due| due.saturating_sub(start.elapsed()).min(IDLE))
        };
        let ready = wait_readable(hosts, wait);
        for from in ready {
            read_from(hosts, from, link, start, &mut buf, &mut counts, &mut seen);
        }
        deliver_due(hosts, (link, start), &mut buf, &mut counts, &mut seen);
    }
    counts
}

/// Which hosts have packets waiting, after at most `wait`. Corresponds to `poll()` on every
/// host's TUN fd.
fn wait_readable(hosts: &[Host], wait: Duration) -> Vec<usize> {
    let mut fds: Vec<PollFd> = hosts
        .iter()
        .map(|h| PollFd::new(h.tun.as_fd(), PollFlags::POLLIN))
        .collect();
    let ms = u16::try_from(wait.as_millis().max(u128::from(!wait.is_zero()))).unwrap_or(u16::MAX);
    match poll(&mut fds, PollTimeout::from(ms)) {
        Ok(n) if n > 0 => fds
            .iter()
            .enumerate()
            .filter(|(_, f)| f.revents().is_some_and(|r| r.contains(PollFlags::POLLIN)))
            .map(|(i, _)| i)
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads up to [`BATCH`] packets host `from` sent and offers each to the link. Corresponds to
/// `read()` on the host's TUN fd until EAGAIN.
fn read_from(
    hosts: &[Host],
    from: usize,
    link: &Mutex<Link>,
    start: Instant,
    buf: &mut [u8],
    counts: &mut Counts,
    seen: &mut impl FnMut(Passage<'_>),
) {
    for _ in 0..BATCH {
        let Some((to, packet)) = read_packet(hosts, from, buf, counts) else {
            return;
        };
        let Some(to) = to else { continue };
        let sent = start.elapsed();
        if !offer(hosts, (from, to, sent, packet), (link, start), counts, seen) {
            // A packet due now goes now, before the next is read: arrivals stay in send order.
            deliver_due(hosts, (link, start), buf, counts, seen);
        }
    }
}

/// One packet host `from` sent, if any, and the host it goes to (`None`: an address no host
/// has, counted). Corresponds to `read()` on the host's TUN fd.
fn read_packet<'b>(
    hosts: &[Host],
    from: usize,
    buf: &'b mut [u8],
    counts: &mut Counts,
) -> Option<(Option<usize>, &'b [u8])> {
    let n = loop {
        match nix::unistd::read(&hosts[from].tun, buf) {
            Ok(n) if n > 0 => break n,
            Err(Errno::EINTR) => continue,
            _ => return None,
        }
    };
    let packet = &buf[..n];
    counts.sent += 1;
    let to = destination(hosts, packet).filter(|to| *to != from);
    counts.unroutable += u64::from(to.is_none());
    Some((to, packet))
}

/// What host `to` answered at once to a packet just written into it — the kernel answers
/// inside the write (an ACK): offered to the link as sent `at`, when the packet it answers
/// was due plus the time the write took, not when the relay got to read it. Not delivered
/// here: [`deliver_due`] takes each in its turn.
fn answers(
    hosts: &[Host],
    to: usize,
    at: Duration,
    (link, start): (&Mutex<Link>, Instant),
    buf: &mut [u8],
    counts: &mut Counts,
    seen: &mut impl FnMut(Passage<'_>),
) {
    for _ in 0..BATCH {
        let Some((dest, packet)) = read_packet(hosts, to, buf, counts) else {
            return;
        };
        if let Some(dest) = dest {
            offer(hosts, (to, dest, at, packet), (link, start), counts, seen);
        }
    }
}

/// Hands one packet, sent by host `from` to host `to` at `sent`, to the link. Whether it went
/// straight through (a link with no rules): else it is due later, or dropped.
fn offer(
    hosts: &[Host],
    (from, to, sent, packet): (usize, usize, Duration, &[u8]),
    (link, start): (&Mutex<Link>, Instant),
    counts: &mut Counts,
    seen: &mut impl FnMut(Passage<'_>),
) -> bool {
    let crossing = |id| Crossing {
        id,
        from,
        to,
        sent,
        packet,
    };
    let mut l = link.lock().unwrap_or_else(|e| e.into_inner());
    // A link with no rules and nothing on its way is a plain wire: the packet goes straight
    // through, without a copy or a place in the link's queue.
    if l.is_perfect() {
        let crossing = crossing(l.pass());
        drop(l);
        seen(crossing.with(Outcome::Sent));
        deliver(hosts, crossing, start, counts, seen);
        return true;
    }
    let (fate, id) = (l.offer(from, to, sent, packet.to_vec()), l.offered());
    drop(l);
    let outcome = match fate {
        Fate::Dropped(why) => Outcome::Dropped(why),
        Fate::Due { .. } | Fate::Held => Outcome::Sent,
    };
    counts.tell(seen, crossing(id).with(outcome));
    false
}

/// Writes every packet the link says is due, one at a time, in the order they are due, each
/// followed by what its host answered at once ([`answers`]), timed on the link's schedule.
/// On a loaded machine the relay may run late; a packet written late is answered late, and
/// timed from when the relay read the answer, an ACK would cross behind segments it crosses
/// ahead of when the relay is on time (08-lossy-link/07 differed 2 runs in 40 so: a relay
/// 90 ms late wrote two segments at once, and their ACKs came after the next one).
fn deliver_due(
    hosts: &[Host],
    (link, start): (&Mutex<Link>, Instant),
    buf: &mut [u8],
    counts: &mut Counts,
    seen: &mut impl FnMut(Passage<'_>),
) {
    loop {
        let next = link
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take_next(start.elapsed());
        let Some(d) = next else {
            return;
        };
        let crossing = Crossing {
            id: d.id,
            from: d.from,
            to: d.to,
            sent: d.sent,
            packet: &d.packet[..],
        };
        let took = deliver(hosts, crossing, start, counts, seen);
        answers(hosts, d.to, d.due + took, (link, start), buf, counts, seen);
    }
}

/// A packet on the link, borrowed: all a [`Passage`] tells but what became of it.
#[derive(Clone, Copy)]
struct Crossing<'p> {
    id: u64,
    from: usize,
    to: usize,
    sent: Duration,
    packet: &'p [u8],
}

impl<'p> Crossing<'p> {
    /// The passage this packet makes with `outcome`.
    fn with(self, outcome: Outcome) -> Passage<'p> {
        Passage {
            id: self.id,
            from: self.from,
            sent: self.sent,
            outcome,
            packet: self.packet,
        }
    }
}

/// Writes a packet the link says is due into its host; how long the write took. Corresponds
/// to `write()` on that host's TUN fd: the host's kernel receives it as if from a wire, and
/// handles it inside the write (a TUN device without NAPI hands it to the stack at once).
fn deliver(
    hosts: &[Host],
    crossing: Crossing<'_>,
    start: Instant,
    counts: &mut Counts,
    seen: &mut impl FnMut(Passage<'_>),
) -> Duration {
    seen(crossing.with(Outcome::Arriving));
    let writing = Instant::now();
    // A full receive queue in the host (EAGAIN/ENOBUFS) loses the packet, as a real NIC's
    // full ring would: TCP repairs it, and the arrow says so.
    let outcome = match nix::unistd::write(&hosts[crossing.to].tun, crossing.packet) {
        Ok(_) => Outcome::Arrived(start.elapsed()),
        Err(_) => Outcome::Dropped(Why::QueueFull),
    };
    let took = writing.elapsed();
    counts.tell(seen, crossing.with(outcome));
    took
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::spec::parse;
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::Arc;

    /// Runs `f` on a thread inside `host`'s network.
    fn on<T: Send + 'static>(
        host: &Host,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let ns = host.netns().try_clone_to_owned().unwrap();
        std::thread::spawn(move || {
            setns_owned(&ns);
            f()
        })
    }

    /// The longest a test's end waits for the other over a lossy link.
    const PATIENCE: Duration = Duration::from_secs(120);

    /// A server on `host` at 10.0.0.1:9000 that accepts one connection and hands it to
    /// `serve`; returns once it listens (at most 30 s), with the thread to join.
    fn serve_once<T: Send + 'static>(
        host: &Host,
        serve: impl FnOnce(TcpStream) -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let (listening, ready) = std::sync::mpsc::channel();
        let server = on(host, move || {
            let l = TcpListener::bind("10.0.0.1:9000").unwrap();
            listening.send(()).unwrap();
            serve(l.accept().unwrap().0)
        });
        ready
            .recv_timeout(Duration::from_secs(30))
            .expect("the server on a listens");
        server
    }

    fn setns_owned(ns: &std::os::fd::OwnedFd) {
        nix::sched::setns(ns.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
    }

    /// What the relay saw: each packet's sender, outcome and size.
    type Log = Vec<(usize, Outcome, usize)>;

    /// Two hosts and a relay with `spec`; None where this process may not make namespaces.
    /// Two hosts, what stops the relay, and the relay's thread.
    struct Network {
        hosts: Arc<Vec<Host>>,
        stop: Arc<AtomicBool>,
        relay: std::thread::JoinHandle<Log>,
    }

    fn network(spec: &str) -> Option<Network> {
        network_with(spec, 1500, |_| {})
    }

    /// [`network`] with hosts of `mtu`, and `hook` told of every passage first (in the relay's
    /// thread: what it does, the relay waits for).
    fn network_with(
        spec: &str,
        mtu: u32,
        mut hook: impl FnMut(&Passage<'_>) + Send + 'static,
    ) -> Option<Network> {
        let a = match Host::create(0, "a", mtu) {
            Ok(a) => a,
            Err(e) => {
                eprintln!(
                    "SKIPPED: making a network namespace needs CAP_NET_ADMIN (run as root or \
                    in lab's user namespace): {e}"
                );
                return None;
            }
        };
        let hosts = Arc::new(vec![a, Host::create(1, "b", mtu).unwrap()]);
        let link = Mutex::new(Link::new(parse(spec, &["a", "b"]).unwrap().clauses, 7));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hosts.clone(), stop.clone());
        let relay = std::thread::spawn(move || {
            let mut log = Vec::new();
            run(&h, &link, Instant::now(), &s, |p| {
                hook(&p);
                log.push((p.from, p.outcome, p.packet.len()))
            });
            log
        });
        Some(Network { hosts, stop, relay })
    }

    /// A TCP segment's sequence number, acknowledgment number and payload length.
    fn tcp_of(packet: &[u8]) -> (u32, u32, usize) {
        let ihl = usize::from(packet[0] & 0xf) * 4;
        let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
        let tcp = &packet[ihl..];
        let word = |i: usize| u32::from_be_bytes([tcp[i], tcp[i + 1], tcp[i + 2], tcp[i + 3]]);
        let doff = usize::from(tcp[12] >> 4) * 4;
        (word(4), word(8), total - ihl - doff)
    }

    /// A relay that runs late — here it stalls 100 ms before writing the first data segment,
    /// as a loaded machine deschedules it — still keeps the link's schedule between the two
    /// ways: each segment's ACK crosses after the next segment and before the one after, as
    /// when the relay is on time (50 ms each way, a 576-byte packet takes 46 ms at 100 kbit/s,
    /// an ACK 4 ms). What a host answers at once is timed from when the packet it answers
    /// was due; timed from when the relay read it, the first ACKs crossed behind segment 4.
    #[test]
    fn a_late_relay_keeps_the_links_schedule_between_the_two_ways() {
        let mut stalled = false;
        let arrived = Arc::new(Mutex::new(Vec::new()));
        let log = arrived.clone();
        let hook = move |p: &Passage<'_>| match p.outcome {
            Outcome::Arriving if p.from == 1 && tcp_of(p.packet).2 > 0 && !stalled => {
                stalled = true;
                std::thread::sleep(Duration::from_millis(100));
            }
            Outcome::Arrived(_) => log.lock().unwrap().push((p.from, tcp_of(p.packet))),
            _ => {}
        };
        let spec = "delay 50ms, rate 100kbit queue 20";
        let Some(Network { hosts, stop, relay }) = network_with(spec, 576, hook) else {
            return;
        };
        let server = serve_once(&hosts[0], |mut c| {
            let mut all = vec![0u8; 4096];
            c.set_read_timeout(Some(PATIENCE)).unwrap();
            c.read_exact(&mut all).unwrap();
        });
        on(&hosts[1], || {
            let mut s = TcpStream::connect("10.0.0.1:9000").unwrap();
            s.write_all(&[b'x'; 4096]).unwrap();
            // Until every ACK is back: then nothing is left on the link.
            s.set_read_timeout(Some(PATIENCE)).unwrap();
            let _ = s.read(&mut [0u8; 1]);
        })
        .join()
        .unwrap();
        server.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        relay.join().unwrap();
        each_ack_after_the_next_segment(&arrived.lock().unwrap());
    }

    /// Checks what arrived (sender, and its TCP numbers) crossed on schedule: the ACK of data
    /// segment k from host 1 arrived after segment k + 1 and before k + 2 (the last ones,
    /// after all). A segment sent again is not a new one.
    fn each_ack_after_the_next_segment(arrived: &[(usize, (u32, u32, usize))]) {
        let end = |(seq, _, len): &(u32, u32, usize)| seq.wrapping_add(*len as u32);
        let data = |(from, (_, _, len)): &&(usize, (u32, u32, usize))| *from == 1 && *len > 0;
        let mut ends: Vec<u32> = Vec::new();
        for (_, tcp) in arrived.iter().filter(data) {
            if !ends.contains(&end(tcp)) {
                ends.push(end(tcp));
            }
        }
        assert_eq!(ends.len(), 8, "4096 bytes in segments of 524: {arrived:?}");
        let mut data_so_far = 0;
        for one in arrived {
            let (from, tcp) = one;
            if data(&one) {
                let k = ends.iter().position(|e| *e == end(tcp)).unwrap_or(0);
                data_so_far = data_so_far.max(k + 1);
            } else if let Some(k) = ends.iter().position(|e| *e == tcp.1).filter(|_| *from == 0) {
                let want = (k + 2).min(ends.len());
                assert_eq!(data_so_far, want, "ACK of segment {}: {arrived:?}", k + 1);
            }
        }
    }

    /// One packet in ten lost, each way. (One in five failed 2 of about 45 runs here: a segment
    /// and its ACK both get through only 64% of the time there, and TCP's timeout doubles with
    /// each retransmission lost — nine lost in a row is a wait of 100 s. At one in ten, 81% get
    /// through, and nine lost in a row is one chance in three million.)
    #[test]
    fn bytes_cross_a_lossy_link_in_order() {
        let Some(Network { hosts, stop, relay }) = network("loss 10%") else {
            return;
        };
        // The client starts once the server listens, and gives up after a bound: a server that
        // failed must fail the test, not leave the client connecting forever. Each side waits
        // for the other at most a bound too (a lost cause fails the test, it does not hang it).
        let server = serve_once(&hosts[0], |mut c| {
            c.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut all = Vec::new();
            c.read_to_end(&mut all)
                .expect("every byte before the client's FIN");
            all
        });
        let client = on(&hosts[1], || {
            let to: SocketAddr = "10.0.0.1:9000".parse().unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut s = loop {
                match TcpStream::connect_timeout(&to, Duration::from_secs(5)) {
                    Ok(s) => break s,
                    Err(e) if Instant::now() > deadline => panic!("no connection in 60 s: {e}"),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            };
            let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
            s.write_all(&data).unwrap();
            // Not closed at once: a socket closed with bytes still to send is orphaned, and the
            // kernel gives an orphan up after 8 lost retransmissions in a row
            // (`tcp_orphan_retries`), leaving the server waiting for the rest. Held until the
            // server has read it all and closed, the connection retries as long as one does.
            s.shutdown(std::net::Shutdown::Write).unwrap();
            s.set_read_timeout(Some(PATIENCE)).unwrap();
            let _ = s.read(&mut [0u8; 1]);
            data
        });
        let sent = client.join().unwrap();
        let got = server.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        let log = relay.join().unwrap();
        assert_eq!(got, sent, "every byte, in order");
        let dropped = log
            .iter()
            .filter(|(_, o, _)| matches!(o, Outcome::Dropped(Why::Lost)))
            .count();
        assert!(
            dropped > 0,
            "a 10% loss dropped something: {} passages",
            log.len()
        );
    }
}
