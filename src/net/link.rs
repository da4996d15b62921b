//! lab's link: what happens to a segment between two hosts, rule by rule.
//!
//! A real link loses, delays, duplicates and reorders; loopback never does, so TCP's repairs
//! (retransmission, duplicate ACKs, the window) cannot be seen on it. Here every packet one host
//! sends is *offered* to the link, which decides its fate: dropped (and why), or due at some
//! time — then the relay writes it out on the other side when [`Link::take_next`] hands it back.
//!
//! Time is a `Duration` since the link started, passed in by the caller, so the rules are pure
//! and a test can play a whole exchange in no time. The chance rules (loss, duplicate, jitter,
//! reorder) draw from a ChaCha generator seeded by `--seed` *and the segment itself* — its
//! direction, flags, sequence and acknowledgment numbers counted from each side's first one,
//! its length, and how many times that same segment was sent before. So the same seed drops
//! the same segments run after run, even when the kernel's timing interleaves them differently
//! (one generator drawn in arrival order would not: a delayed ACK that comes a little earlier
//! would shift every later draw).

use super::spec::{Clause, Rule, Scripted, MAX_DELAY};
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

/// Why the link dropped a segment: the words a dropped arrow carries.
pub use crate::wire::Dropped as Why;

/// What the link did with an offered segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Dropped(Why),
    /// Due at `at`; `copies` is 2 when `duplicate` struck.
    Due {
        at: Duration,
        copies: u8,
    },
    /// Held back by `reorder` until `behind` more segments have passed.
    Held,
}

/// The few facts of a TCP segment the rules look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    /// Payload bytes.
    pub data: usize,
    /// The whole IP packet's size, what `mtu` and `rate` count.
    pub size: usize,
    /// The TCP header's numbers, raw: what makes a segment itself (see [`Link`]'s draws).
    pub ports: (u16, u16),
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
}

impl Shape {
    /// Reads an IP packet's TCP header; anything that is not TCP has only a size.
    pub fn of(packet: &[u8]) -> Shape {
        let size = packet.len();
        let Ok(sliced) = etherparse::SlicedPacket::from_ip(packet) else {
            return Shape {
                size,
                ..Shape::default()
            };
        };
        match sliced.transport {
            Some(etherparse::TransportSlice::Tcp(tcp)) => Shape {
                syn: tcp.syn(),
                fin: tcp.fin(),
                rst: tcp.rst(),
                data: tcp.payload().len(),
                size,
                ports: (tcp.source_port(), tcp.destination_port()),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags: tcp.slice()[13],
            },
            _ => Shape {
                size,
                ..Shape::default()
            },
        }
    }
}

/// How long a segment held by `reorder` waits for the segments it should let pass: a stream
/// that stops must not keep its last segment forever.
pub const REORDER_WAIT: Duration = Duration::from_millis(100);

/// The most packets the link holds (delayed, queued or held) at once: anything past it is
/// dropped as a full queue, so a fast sender behind a long delay cannot grow lab's memory.
pub const MAX_IN_FLIGHT: usize = 65_536;

/// A packet on its way, due at `at`; `order` keeps equal times first-come first-served.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    at: Duration,
    order: u64,
    from: usize,
    to: usize,
    sent: Duration,
    id: u64,
    packet: Vec<u8>,
}

/// A packet the link hands over: from host `from` to host `to`, offered at `sent`; `id` is
/// the number [`Link::offered`] gave it (a duplicate has its original's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub from: usize,
    pub to: usize,
    pub sent: Duration,
    /// When the link made it due: the relay may write it later (a loaded machine).
    pub due: Duration,
    pub id: u64,
    pub packet: Vec<u8>,
}

/// A segment `reorder` holds back.
#[derive(Debug)]
struct Held {
    packet: Vec<u8>,
    sent: Duration,
    id: u64,
    /// How many more segments must pass before it.
    behind: u32,
    /// When it goes anyway.
    deadline: Duration,
}

/// What the link remembers about one way (`a>b`).
#[derive(Debug, Default)]
struct WayState {
    data_segments: u32,
    syns: u32,
    fins: u32,
    rsts: u32,
    /// When the last packet due on this way is due: jitter never lets one overtake another.
    last_due: Duration,
    /// `rate`: when each queued packet leaves the queue.
    departures: VecDeque<Duration>,
    held: Option<Held>,
}

/// The link between the hosts, with its rules and what it holds.
pub struct Link {
    clauses: Vec<Clause>,
    ways: HashMap<(usize, usize), WayState>,
    seed: u64,
    /// Each direction of each connection's initial sequence number, by (from, to, ports).
    isn: HashMap<(usize, usize, u16, u16), u32>,
    /// How many times each segment (by its identity without the count) was offered.
    sent: HashMap<u64, u32>,
    due: BinaryHeap<Reverse<Due>>,
    order: u64,
    /// How many packets were offered: the last one's id.
    offered: u64,
}

/// The most connections (and segments) the draws remember; then they start afresh. Bounded
/// so that a long run does not grow lab's memory.
const MAX_REMEMBERED: usize = 65_536;

impl Link {
    /// A link with these rules, its chances drawn from `seed`.
    pub fn new(clauses: Vec<Clause>, seed: u64) -> Link {
        Link {
            clauses,
            ways: HashMap::new(),
            seed,
            isn: HashMap::new(),
            sent: HashMap::new(),
            due: BinaryHeap::new(),
            order: 0,
            offered: 0,
        }
    }

    /// The link's rules from now on (`lab net link`); `heal` is a new rule set without
    /// `partition`. What is already on its way keeps its fate. A scripted drop counts from
    /// now: `drop a>b data 1` is the next data segment, not the first one ever.
    pub fn set_rules(&mut self, clauses: Vec<Clause>) {
        self.clauses = clauses;
        for way in self.ways.values_mut() {
            (way.data_segments, way.syns, way.fins, way.rsts) = (0, 0, 0, 0);
        }
    }

    /// `heal`: the partition ends; every other rule stays.
    pub fn heal(&mut self) {
        self.clauses.retain(|c| c.rule != Rule::Partition);
    }

    /// No rules and nothing on its way: a packet offered now would be due at once, untouched.
    pub fn is_perfect(&self) -> bool {
        self.clauses.is_empty() && self.in_flight() == 0
    }

    /// Numbers a packet that goes straight through a perfect link (see [`Link::is_perfect`]).
    pub fn pass(&mut self) -> u64 {
        self.offered += 1;
        self.offered
    }

    /// The id of the last packet offered (they are numbered from 1).
    pub fn offered(&self) -> u64 {
        self.offered
    }

    /// The rules in force.
    pub fn rules(&self) -> &[Clause] {
        &self.clauses
    }

    /// A packet host `from` sent to host `to`, at `now`: its fate.
    pub fn offer(&mut self, from: usize, to: usize, now: Duration, packet: Vec<u8>) -> Fate {
        self.offered += 1;
        let id = self.offered;
        let shape = Shape::of(&packet);
        let mut rng = self.draws(from, to, shape);
        let full = self.due.len() >= MAX_IN_FLIGHT;
        let way = self.ways.entry((from, to)).or_default();
        let (at, copies) = match decide(&self.clauses, way, (from, to, shape), now, full, &mut rng)
        {
            Decision::Dropped(why) => return Fate::Dropped(why),
            Decision::Held { at, behind } => {
                way.held = Some(Held {
                    packet,
                    sent: now,
                    id,
                    behind,
                    deadline: at + REORDER_WAIT,
                });
                return Fate::Held;
            }
            Decision::Due { at, copies } => (at, copies),
        };
        let due = |packet| Due {
            at,
            order: 0,
            from,
            to,
            sent: now,
            id,
            packet,
        };
        if copies == 2 {
            self.push(due(packet.clone()));
        }
        self.push(due(packet));
        self.let_pass(from, to, at);
        Fate::Due { at, copies }
    }

    /// The generator for this segment's chances: the seed and the segment's identity.
    fn draws(&mut self, from: usize, to: usize, shape: Shape) -> ChaCha8Rng {
        use std::hash::{Hash, Hasher};
        if self.isn.len() >= MAX_REMEMBERED || self.sent.len() >= MAX_REMEMBERED {
            self.isn.clear();
            self.sent.clear();
        }
        let (sport, dport) = shape.ports;
        if shape.syn {
            self.isn.insert((from, to, sport, dport), shape.seq);
        }
        let own = self
            .isn
            .get(&(from, to, sport, dport))
            .copied()
            .unwrap_or(0);
        let theirs = self
            .isn
            .get(&(to, from, dport, sport))
            .copied()
            .unwrap_or(0);
        let mut h = rustc_hash::FxHasher::default();
        (self.seed, from, to, shape.flags, shape.data).hash(&mut h);
        (shape.seq.wrapping_sub(own), shape.ack.wrapping_sub(theirs)).hash(&mut h);
        // How many times this connection sent this segment (its ports tell connections apart;
        // they are left out of the draw itself, being random from run to run).
        let times = self
            .sent
            .entry(h.finish() ^ (u64::from(sport) << 16 | u64::from(dport)))
            .or_default();
        *times += 1;
        times.hash(&mut h);
        ChaCha8Rng::seed_from_u64(h.finish())
    }

    /// One more segment passed on way `from>to`: a held one goes once enough have.
    fn let_pass(&mut self, from: usize, to: usize, at: Duration) {
        let Some(way) = self.ways.get_mut(&(from, to)) else {
            return;
        };
        let Some(held) = way.held.as_mut() else {
            return;
        };
        held.behind = held.behind.saturating_sub(1);
        if held.behind == 0 {
            let held = way.held.take().expect("checked just above");
            self.push(Due {
                at,
                order: 0,
                from,
                to,
                sent: held.sent,
                id: held.id,
                packet: held.packet,
            });
        }
    }

    /// Puts a packet on its way, after every packet already due at the same time.
    fn push(&mut self, mut due: Due) {
        self.order += 1;
        due.order = self.order;
        self.due.push(Reverse(due));
    }

    /// When the next packet is due (delayed, queued, or held past its wait), if any.
    pub fn next_due(&self) -> Option<Duration> {
        let held = self
            .ways
            .values()
            .filter_map(|w| w.held.as_ref().map(|h| h.deadline));
        self.due
            .peek()
            .map(|d| d.0.at)
            .into_iter()
            .chain(held)
            .min()
    }

    /// Every packet due by `now`, in order.
    #[cfg(test)]
    pub fn take_due(&mut self, now: Duration) -> Vec<Delivered> {
        std::iter::from_fn(|| self.take_next(now)).collect()
    }

    /// The packet due first, if it is due by `now`. One at a time: what the host it goes to
    /// answers may be due before the next one (see the relay's `deliver_due`).
    pub fn take_next(&mut self, now: Duration) -> Option<Delivered> {
        self.release_held(now);
        if self.due.peek().is_none_or(|d| d.0.at > now) {
            return None;
        }
        let Reverse(d) = self.due.pop()?;
        Some(Delivered {
            from: d.from,
            to: d.to,
            sent: d.sent,
            due: d.at,
            id: d.id,
            packet: d.packet,
        })
    }

    /// Puts each held segment whose wait is over by `now` on its way.
    fn release_held(&mut self, now: Duration) {
        let mut late = Vec::new();
        for (&(from, to), way) in &mut self.ways {
            if way.held.as_ref().is_some_and(|h| h.deadline <= now) {
                let h = way.held.take().expect("checked just above");
                late.push(Due {
                    at: h.deadline,
                    order: 0,
                    from,
                    to,
                    sent: h.sent,
                    id: h.id,
                    packet: h.packet,
                });
            }
        }
        late.into_iter().for_each(|due| self.push(due));
    }

    /// How many packets the link holds now (delayed, queued or held).
    pub fn in_flight(&self) -> usize {
        self.due.len() + self.ways.values().filter(|w| w.held.is_some()).count()
    }
}

/// What the rules of a way decide for a packet.
enum Decision {
    Dropped(Why),
    /// Held back, to be let go `behind` packets later (reordering); due at `at` otherwise.
    Held {
        at: Duration,
        behind: u32,
    },
    /// Due at `at`, in one copy or two.
    Due {
        at: Duration,
        copies: u8,
    },
}

/// The rules of the way `from` → `to` (those of `clauses` that hold for it), applied to a
/// packet of `shape` sent at `now`, in order: each rule that drops; a full queue (`full`); each
/// that delays; then duplication and reordering. The draws from `rng` come in that order, so a
/// seed gives the same fates run after run.
fn decide(
    clauses: &[Clause],
    way: &mut WayState,
    (from, to, shape): (usize, usize, Shape),
    now: Duration,
    full: bool,
    rng: &mut ChaCha8Rng,
) -> Decision {
    // The rules of this way, read in place (no copy per packet: this runs for every one).
    let rules = || {
        clauses
            .iter()
            .filter(move |c| c.way.holds(from, to))
            .map(|c| &c.rule)
    };
    count(way, shape);
    if let Some(why) = rules().find_map(|r| dropped(r, way, shape, rng)) {
        return Decision::Dropped(why);
    }
    if full {
        return Decision::Dropped(Why::QueueFull);
    }
    let mut at = now;
    for rule in rules() {
        at = match later(rule, way, shape, at, rng) {
            Some(at) => at,
            None => return Decision::Dropped(Why::QueueFull),
        };
    }
    // Jitter may draw a shorter delay than the packet before: keep the way in order
    // (reordering is its own rule).
    at = at.max(way.last_due);
    way.last_due = at;
    let copies = 1 + u8::from(rules().any(|r| duplicated(r, rng)));
    if shape.data > 0 && way.held.is_none() && rules().any(|r| holds(r, rng)) {
        let behind = rules().find_map(behind).unwrap_or(1);
        return Decision::Held { at, behind };
    }
    Decision::Due { at, copies }
}

/// Counts the segment's kinds on its way, for `drop KIND N`.
fn count(way: &mut WayState, shape: Shape) {
    way.data_segments += u32::from(shape.data > 0);
    way.syns += u32::from(shape.syn);
    way.fins += u32::from(shape.fin);
    way.rsts += u32::from(shape.rst);
}

/// The rules that drop: `partition`, `mtu`, `drop …`, `loss`.
fn dropped(rule: &Rule, way: &WayState, shape: Shape, rng: &mut ChaCha8Rng) -> Option<Why> {
    match *rule {
        Rule::Partition => Some(Why::Partition),
        Rule::Mtu(mtu) => (shape.size > mtu).then_some(Why::TooBig),
        Rule::Drop(script) => scripted(script, way, shape).then_some(Why::Scripted),
        Rule::Loss { percent } => chance(rng, percent).then_some(Why::Lost),
        _ => None,
    }
}

/// `drop data N` strikes the Nth data segment only; `drop SYN N` the first N SYNs.
fn scripted(script: Scripted, way: &WayState, shape: Shape) -> bool {
    match script {
        Scripted::Data(n) => shape.data > 0 && way.data_segments == n,
        Scripted::Syn(n) => shape.syn && way.syns <= n,
        Scripted::Fin(n) => shape.fin && way.fins <= n,
        Scripted::Rst(n) => shape.rst && way.rsts <= n,
    }
}

/// The rules that make a packet later: `rate` (it waits its turn in the queue, then takes
/// its size's time on the wire) and `delay` (the time the wire is long). `None`: the queue
/// was full.
fn later(
    rule: &Rule,
    way: &mut WayState,
    shape: Shape,
    at: Duration,
    rng: &mut ChaCha8Rng,
) -> Option<Duration> {
    match *rule {
        Rule::Rate {
            bits_per_sec,
            queue,
        } => {
            while way.departures.front().is_some_and(|d| *d <= at) {
                way.departures.pop_front();
            }
            if way.departures.len() >= queue {
                return None;
            }
            let start = way.departures.back().copied().unwrap_or(at).max(at);
            let wire = Duration::from_secs_f64(shape.size as f64 * 8.0 / bits_per_sec as f64);
            way.departures.push_back(start + wire);
            Some(start + wire)
        }
        Rule::Delay { base, jitter } => Some(at + jittered(base, jitter, rng)),
        _ => Some(at),
    }
}

/// `base` plus or minus up to `jitter`, drawn evenly, never below zero.
fn jittered(base: Duration, jitter: Duration, rng: &mut ChaCha8Rng) -> Duration {
    if jitter.is_zero() {
        return base;
    }
    let swing = (unit(rng) * 2.0 - 1.0) * jitter.as_secs_f64();
    Duration::from_secs_f64((base.as_secs_f64() + swing).clamp(0.0, MAX_DELAY.as_secs_f64() * 2.0))
}

/// `duplicate P%`: whether this packet goes twice.
fn duplicated(rule: &Rule, rng: &mut ChaCha8Rng) -> bool {
    matches!(*rule, Rule::Duplicate { percent } if chance(rng, percent))
}

/// `reorder K P%`: whether this data segment is held back.
fn holds(rule: &Rule, rng: &mut ChaCha8Rng) -> bool {
    matches!(*rule, Rule::Reorder { percent, .. } if chance(rng, percent))
}

fn behind(rule: &Rule) -> Option<u32> {
    match *rule {
        Rule::Reorder { behind, .. } => Some(behind),
        _ => None,
    }
}

/// A number in [0, 1) from the generator's next 53 bits (an f64's precision).
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// True with the given chance. 0% and 100% draw nothing, so adding a certain rule does not
/// change which packets a chance rule strikes.
fn chance(rng: &mut ChaCha8Rng, percent: f64) -> bool {
    match percent {
        p if p <= 0.0 => false,
        p if p >= 100.0 => true,
        p => unit(rng) * 100.0 < p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::spec::parse;

    const A: usize = 0;
    const B: usize = 1;

    fn link(spec: &str, seed: u64) -> Link {
        Link::new(parse(spec, &["a", "b"]).unwrap().clauses, seed)
    }

    /// An IPv4 TCP segment from 10.0.0.1:5000 to 10.0.0.2:9000 with these flags and payload.
    fn segment(syn: bool, fin: bool, payload: &[u8]) -> Vec<u8> {
        let builder = etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(5000, 9000, 1, 65535);
        let builder = if syn { builder.syn() } else { builder.ack(1) };
        let builder = if fin { builder.fin() } else { builder };
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    fn data(n: usize) -> Vec<u8> {
        segment(false, false, &vec![b'x'; n])
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn no_rules_passes_everything_at_once() {
        let mut l = link("", 1);
        assert_eq!(
            l.offer(A, B, ms(5), data(10)),
            Fate::Due {
                at: ms(5),
                copies: 1
            }
        );
        assert_eq!(l.take_due(ms(5)).len(), 1);
    }

    #[test]
    fn delay_holds_a_packet_until_due() {
        let mut l = link("delay 30ms", 1);
        l.offer(A, B, ms(0), data(10));
        assert_eq!(l.next_due(), Some(ms(30)));
        assert!(l.take_due(ms(29)).is_empty());
        assert_eq!(l.take_due(ms(30)).len(), 1);
    }

    #[test]
    fn a_direction_rule_leaves_the_other_way_alone() {
        let mut l = link("a>b delay 30ms", 1);
        assert_eq!(
            l.offer(B, A, ms(0), data(10)),
            Fate::Due {
                at: ms(0),
                copies: 1
            }
        );
    }

    #[test]
    fn a_scripted_drop_set_later_counts_from_then() {
        let mut l = link("", 1);
        l.offer(A, B, ms(0), data(10));
        l.set_rules(parse("a>b drop data 1", &["a", "b"]).unwrap().clauses);
        assert_eq!(
            l.offer(A, B, ms(1), data(10)),
            Fate::Dropped(Why::Scripted),
            "the next data segment, not the first ever"
        );
        assert!(matches!(l.offer(A, B, ms(2), data(10)), Fate::Due { .. }));
    }

    #[test]
    fn drop_data_2_strikes_the_second_data_segment_only() {
        let mut l = link("a>b drop data 2", 1);
        let fates: Vec<Fate> = (0..4).map(|_| l.offer(A, B, ms(0), data(10))).collect();
        assert_eq!(
            fates
                .iter()
                .filter(|f| matches!(f, Fate::Dropped(Why::Scripted)))
                .count(),
            1
        );
        assert_eq!(fates[1], Fate::Dropped(Why::Scripted));
    }

    #[test]
    fn drop_syn_3_strikes_the_first_three_syns() {
        let mut l = link("drop SYN 3", 1);
        let fates: Vec<Fate> = (0..5)
            .map(|_| l.offer(A, B, ms(0), segment(true, false, b"")))
            .collect();
        assert!(fates[..3]
            .iter()
            .all(|f| *f == Fate::Dropped(Why::Scripted)));
        assert!(matches!(fates[3], Fate::Due { .. }));
    }

    #[test]
    fn the_same_seed_drops_the_same_segments() {
        let drops = |seed| {
            let mut l = link("loss 20%", seed);
            (0..200)
                .map(|_| matches!(l.offer(A, B, ms(0), data(10)), Fate::Dropped(_)))
                .collect::<Vec<_>>()
        };
        assert_eq!(drops(7), drops(7));
        assert_ne!(drops(7), drops(8));
    }

    #[test]
    fn a_segments_fate_does_not_depend_on_what_came_between() {
        let fates = |order: &[usize]| {
            let mut l = link("loss 50%", 9);
            let segs: Vec<Vec<u8>> = (1..=20).map(data).collect();
            let mut out = vec![None; 20];
            for &i in order {
                out[i] = Some(matches!(
                    l.offer(A, B, ms(0), segs[i].clone()),
                    Fate::Dropped(_)
                ));
            }
            out
        };
        let forward: Vec<usize> = (0..20).collect();
        let backward: Vec<usize> = (0..20).rev().collect();
        assert_eq!(fates(&forward), fates(&backward));
    }

    #[test]
    fn loss_5_percent_drops_about_5_percent() {
        let mut l = link("loss 5%", 42);
        let dropped = (0..10_000)
            .filter(|_| matches!(l.offer(A, B, ms(0), data(10)), Fate::Dropped(_)))
            .count();
        assert!((400..=600).contains(&dropped), "{dropped} of 10,000");
    }

    #[test]
    fn mtu_drops_what_is_bigger() {
        let mut l = link("mtu 576", 1);
        assert_eq!(l.offer(A, B, ms(0), data(1000)), Fate::Dropped(Why::TooBig));
        assert!(matches!(l.offer(A, B, ms(0), data(100)), Fate::Due { .. }));
    }

    #[test]
    fn partition_drops_both_ways() {
        let mut l = link("partition", 1);
        assert_eq!(l.offer(A, B, ms(0), data(1)), Fate::Dropped(Why::Partition));
        assert_eq!(l.offer(B, A, ms(0), data(1)), Fate::Dropped(Why::Partition));
    }

    #[test]
    fn rate_spaces_packets_and_tail_drops_a_full_queue() {
        // 1000-byte-ish packets at 1 Mbit/s take ~8 ms each; a queue of 2.
        let mut l = link("rate 1mbit queue 2", 1);
        let first = l.offer(A, B, ms(0), data(960));
        let second = l.offer(A, B, ms(0), data(960));
        assert_eq!(
            l.offer(A, B, ms(0), data(960)),
            Fate::Dropped(Why::QueueFull)
        );
        let (Fate::Due { at: t1, .. }, Fate::Due { at: t2, .. }) = (first, second) else {
            panic!()
        };
        assert_eq!(t1, ms(8));
        assert_eq!(t2, ms(16));
        assert!(
            matches!(l.offer(A, B, ms(9), data(960)), Fate::Due { .. }),
            "the queue drained one"
        );
    }

    #[test]
    fn jitter_never_reorders() {
        let mut l = link("delay 20ms jitter 15ms", 3);
        let mut last = Duration::ZERO;
        for i in 0..500 {
            let Fate::Due { at, .. } = l.offer(A, B, ms(i / 10), data(10)) else {
                panic!()
            };
            assert!(at >= last);
            last = at;
        }
    }

    #[test]
    fn heal_ends_the_partition_and_keeps_the_delay() {
        let mut l = link("partition delay 5ms", 1);
        l.heal();
        assert_eq!(
            l.offer(A, B, ms(0), data(1)),
            Fate::Due {
                at: ms(5),
                copies: 1
            }
        );
    }

    #[test]
    fn duplicate_sends_two_copies() {
        let mut l = link("duplicate 100%", 1);
        assert_eq!(
            l.offer(A, B, ms(0), data(10)),
            Fate::Due {
                at: ms(0),
                copies: 2
            }
        );
        assert_eq!(l.take_due(ms(0)).len(), 2);
    }

    #[test]
    fn reorder_lets_the_next_segments_pass_first() {
        let mut l = link("reorder 2", 1);
        let first = data(1);
        assert_eq!(l.offer(A, B, ms(0), first.clone()), Fate::Held);
        l.offer(A, B, ms(1), data(2));
        l.offer(A, B, ms(2), data(3));
        let out: Vec<Vec<u8>> = l.take_due(ms(2)).into_iter().map(|d| d.packet).collect();
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[2], first,
            "the held segment came after the two behind it"
        );
    }

    #[test]
    fn a_held_segment_goes_after_its_wait_when_the_stream_stops() {
        let mut l = link("reorder 5", 1);
        l.offer(A, B, ms(0), data(1));
        assert_eq!(l.next_due(), Some(REORDER_WAIT));
        assert_eq!(l.take_due(REORDER_WAIT).len(), 1);
        assert_eq!(l.in_flight(), 0);
    }

    #[test]
    fn pure_acks_are_never_held_by_reorder() {
        let mut l = link("reorder 1", 1);
        assert!(matches!(l.offer(A, B, ms(0), data(0)), Fate::Due { .. }));
    }

    #[test]
    fn what_the_link_holds_is_bounded() {
        let mut l = link("delay 10s", 1);
        let dropped = (0..MAX_IN_FLIGHT + 10)
            .filter(|_| l.offer(A, B, ms(0), data(1)) == Fate::Dropped(Why::QueueFull))
            .count();
        assert_eq!(dropped, 10);
    }

    #[test]
    fn shape_reads_flags_and_payload() {
        let s = Shape::of(&segment(true, false, b""));
        assert!(s.syn && !s.fin && s.data == 0);
        assert_eq!(Shape::of(&data(5)).data, 5);
        assert_eq!(
            Shape::of(b"not a packet"),
            Shape {
                size: 12,
                ..Shape::default()
            }
        );
    }
}
