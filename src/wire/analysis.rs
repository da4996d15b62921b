//! What a segment *is*, judged from its connection's history, in Wireshark's words.
//!
//! Each direction of a connection keeps what its segments have said so far: where its data
//! ends (the next sequence number expected), the last thing it acknowledged, the last window it
//! offered, how many duplicate ACKs in a row it sent. A new segment is compared with that —
//! with its own side (is it data sent again?) and with the other (did three duplicate ACKs ask
//! for it?) — before it is added. The rules are Wireshark's (`tcp_analyze_sequence_number`),
//! the few a teaching lab needs, one function each. Pure: no sockets, no clock; tested below
//! as `<situation>_<verdict>`.

use super::segment::{Analysis, Flags, Header, Segment};
use std::collections::HashMap;
use std::net::SocketAddr;

/// A segment that carries data (or a SYN, a FIN) and starts before the end of what its sender
/// had already sent is sent again, and Wireshark names it by the first of these rules that
/// fits (`tcp_analyze_sequence_number` in `epan/dissectors/packet-tcp.c`, with its default
/// preferences), which lab follows in the same order so that a segment gets the same word in
/// lab's trace and in Wireshark opening lab's `--pcap`:
///
/// 1. **spurious retransmission** — every byte of it was already acknowledged by the receiver;
/// 2. **fast retransmission** — the receiver sent ≥ 2 duplicate ACKs asking for exactly this
///    sequence number, the last one less than [`FAST_RETRANSMISSION_US`] before;
/// 3. **out-of-order** — it came sooner after the sender's highest segment than the
///    connection's first round-trip time (SYN to the handshake's ACK; [`OUT_OF_ORDER_US`] when
///    the handshake was not seen), and does not end where that segment ended;
/// 4. **retransmission** — any other.
///
/// A segment of more than one byte starting one byte before the end is new data after a
/// zero-window probe, not sent again.
pub const FAST_RETRANSMISSION_US: u64 = 20_000;

/// Wireshark's out-of-order threshold when it has no round-trip time (no handshake seen): 3 ms.
/// With one (on loopback, tens of µs), a resend a millisecond after the highest segment is a
/// retransmission, not bytes overtaken on the way.
pub const OUT_OF_ORDER_US: u64 = 3_000;

/// How many connections are followed at once; past it the longest idle is forgotten.
pub const MAX_STREAMS: usize = 4096;

/// One direction of a connection: what its segments have said so far.
#[derive(Debug, Clone, Default)]
struct Side {
    /// Its initial sequence number (the SYN's), or one before the first seen if no SYN was.
    isn: u32,
    /// The sequence number after the last byte (or SYN, FIN) it sent, and when that was seen.
    next: Option<u32>,
    next_at_us: u64,
    /// The last acknowledgment number it sent, and when its last segment was seen.
    last_ack: Option<u32>,
    last_at_us: u64,
    /// The last window it offered, scaled.
    win: Option<u32>,
    /// Duplicate ACKs it sent in a row.
    dup_acks: u32,
    /// The window scale its SYN offered; `None` if no SYN was seen, `Some(None)` if it offered
    /// none.
    wscale: Option<Option<u8>>,
    /// The acknowledgment numbers that would answer its SYN and its FIN.
    syn_end: Option<u32>,
    fin_end: Option<u32>,
}

/// A connection, its two directions keyed by the sender's address.
#[derive(Debug, Clone)]
struct Stream {
    sides: [(SocketAddr, Side); 2],
    touched: u64,
    /// When the last SYN (without ACK) was seen, and the first round-trip time: from it to
    /// the handshake's ACK (Wireshark's "iRTT").
    syn_at_us: Option<u64>,
    first_rtt_us: Option<u64>,
}

impl Stream {
    /// The out-of-order threshold for a segment seen at `t_us` (see [`FAST_RETRANSMISSION_US`]):
    /// the first round-trip time, learnt from the handshake as it passes; 3 ms until then.
    fn first_rtt(&mut self, h: &Header, t_us: u64) -> u64 {
        let syn_ack = h.flags.0 & (Flags::SYN.0 | Flags::ACK.0);
        if syn_ack == Flags::SYN.0 {
            self.syn_at_us = Some(t_us);
        } else if syn_ack == Flags::ACK.0 && self.first_rtt_us.is_none() {
            // Zero is "unknown" to Wireshark too (a clock that did not tick).
            self.first_rtt_us = self
                .syn_at_us
                .map(|s| t_us.saturating_sub(s))
                .filter(|r| *r > 0);
        }
        self.first_rtt_us.unwrap_or(OUT_OF_ORDER_US)
    }

    /// The sender's side and the receiver's.
    fn sides(&mut self, src: SocketAddr) -> (&mut Side, &mut Side) {
        let [(a, sa), (_, sb)] = &mut self.sides;
        if *a == src {
            (sa, sb)
        } else {
            (sb, sa)
        }
    }
}

/// Every connection a capture has seen, each with its history.
#[derive(Debug, Default)]
pub struct Streams {
    map: HashMap<(SocketAddr, SocketAddr), Stream>,
    clock: u64,
}

/// Is sequence number `a` after `b` (modulo 2^32, as TCP compares them)?
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl Streams {
    pub fn new() -> Streams {
        Streams::default()
    }

    /// The segment `h`, seen at `t_us`, as the trace shows it: numbers relative to each side's
    /// initial sequence number, the window scaled, and what it is.
    pub fn see(&mut self, h: &Header, t_us: u64) -> Segment {
        let stream = self.stream(h);
        let ooo_us = stream.first_rtt(h, t_us);
        let (me, peer) = stream.sides(h.src);
        let analysis = judge(h, me, peer, t_us, ooo_us);
        // The first acknowledgment of the peer's SYN or FIN: the ACK that moves a state.
        let acks_control = h.flags.has(Flags::ACK)
            && Some(h.ack) != me.last_ack
            && (Some(h.ack) == peer.syn_end || Some(h.ack) == peer.fin_end);
        learn(h, me, t_us);
        if peer.next.is_none() && h.flags.has(Flags::ACK) && peer.wscale.is_none() {
            // The other side has said nothing yet: count its numbers from what this one acks.
            peer.isn = h.ack.wrapping_sub(1);
        }
        let win = scaled(h, me, peer);
        me.win = Some(win);
        Segment {
            src: h.src,
            dst: h.dst,
            flags: h.flags,
            seq: h.seq.wrapping_sub(me.isn),
            ack: if h.flags.has(Flags::ACK) {
                h.ack.wrapping_sub(peer.isn)
            } else {
                0
            },
            len: h.len,
            data: h.head.clone(),
            win,
            options: h.flags.has(Flags::SYN).then_some(h.options),
            analysis,
            acks_control,
            inferred: false,
            dropped: None,
        }
    }

    /// The connection `h` belongs to; a new one for a SYN that starts the 4-tuple over.
    fn stream(&mut self, h: &Header) -> &mut Stream {
        self.clock += 1;
        let key = if h.src <= h.dst {
            (h.src, h.dst)
        } else {
            (h.dst, h.src)
        };
        let fresh_syn = h.flags.has(Flags::SYN) && !h.flags.has(Flags::ACK);
        if let Some(s) = self.map.get_mut(&key) {
            let (me, _) = s.sides(h.src);
            if fresh_syn && me.wscale.is_some() && me.isn != h.seq {
                self.map.remove(&key);
            }
        }
        if !self.map.contains_key(&key) && self.map.len() >= MAX_STREAMS {
            if let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, s)| s.touched)
                .map(|(k, _)| *k)
            {
                self.map.remove(&oldest);
            }
        }
        let stream = self.map.entry(key).or_insert_with(|| Stream {
            sides: [(key.0, Side::default()), (key.1, Side::default())],
            touched: 0,
            syn_at_us: None,
            first_rtt_us: None,
        });
        stream.touched = self.clock;
        stream
    }

    /// Whether `src` has sent its FIN to `dst` in their current connection (a new SYN starts
    /// the 4-tuple over).
    pub fn sent_fin(&self, src: SocketAddr, dst: SocketAddr) -> bool {
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        self.map.get(&key).is_some_and(|s| {
            let [(a, sa), (_, sb)] = &s.sides;
            let me = if *a == src { sa } else { sb };
            me.fin_end.is_some()
        })
    }
}

/// The window `h` offers, in bytes: scaled once both SYNs agreed on scaling (RFC 7323: never
/// in a SYN itself); as it is when the handshake was not seen.
fn scaled(h: &Header, me: &Side, peer: &Side) -> u32 {
    match (h.flags.has(Flags::SYN), me.wscale, peer.wscale) {
        (false, Some(Some(mine)), Some(Some(_))) => u32::from(h.win) << mine.min(14),
        _ => u32::from(h.win),
    }
}

/// Adds `h` to its sender's history.
fn learn(h: &Header, me: &mut Side, t_us: u64) {
    if h.flags.has(Flags::SYN) {
        me.isn = h.seq;
        me.wscale = Some(h.options.wscale);
    } else if me.next.is_none() {
        me.isn = h.seq.wrapping_sub(1);
    }
    let end = h.seq.wrapping_add(
        h.len + u32::from(h.flags.has(Flags::SYN)) + u32::from(h.flags.has(Flags::FIN)),
    );
    if h.flags.has(Flags::SYN) {
        me.syn_end = Some(end);
    }
    if h.flags.has(Flags::FIN) {
        me.fin_end = Some(end);
    }
    if me.next.is_none_or(|n| after(end, n)) {
        me.next = Some(end);
        me.next_at_us = t_us;
    }
    if h.flags.has(Flags::ACK) {
        me.last_ack = Some(h.ack);
    }
    me.last_at_us = t_us;
}

/// What `h` is, from its sender's history (`me`) and its receiver's (`peer`); counts a
/// duplicate ACK in `me` (any other segment from `me` starts the count over, as Wireshark does).
fn judge(h: &Header, me: &mut Side, peer: &Side, t_us: u64, ooo_us: u64) -> Vec<Analysis> {
    let mut out = Vec::new();
    let control = h.flags.any(Flags::SYN | Flags::FIN | Flags::RST);
    let win = scaled(h, me, peer);
    if h.win == 0 && !control {
        out.push(Analysis::ZeroWindow);
    }
    let Some(next) = me.next else { return out };
    if zero_window_probe(h, next, peer) {
        out.push(Analysis::ZeroWindowProbe);
    } else if !control && h.len <= 1 && h.seq == next.wrapping_sub(1) {
        out.push(Analysis::KeepAlive);
    } else if after(h.seq, next) && !h.flags.has(Flags::RST) {
        out.push(Analysis::PreviousSegmentNotCaptured);
    } else if h.len > 0 || h.flags.any(Flags::SYN | Flags::FIN) {
        out.extend(sent_again(h, next, me, peer, (t_us, ooo_us)));
    } else if !control && h.seq == next && Some(h.ack) == me.last_ack {
        if me.win.is_some_and(|w| w != win) {
            out.push(Analysis::WindowUpdate);
        } else if win != 0 {
            out.push(Analysis::DuplicateAck);
        }
    }
    if out.contains(&Analysis::DuplicateAck) {
        me.dup_acks += 1;
    } else {
        me.dup_acks = 0;
    }
    out
}

/// A probe into a zero window: at most one byte at (Linux: one before) the end, while the peer's
/// last window was zero.
fn zero_window_probe(h: &Header, next: u32, peer: &Side) -> bool {
    peer.win == Some(0)
        && !h.flags.any(Flags::SYN | Flags::FIN | Flags::RST)
        && h.len <= 1
        && (h.seq == next || h.seq == next.wrapping_sub(1))
}

/// Data (or a SYN, a FIN) that starts before `next`, the end of what its sender sent: which
/// resend it is, by Wireshark's rules in Wireshark's order (see [`FAST_RETRANSMISSION_US`]);
/// `None` if it is not a resend. `at`: when it was seen, and the out-of-order threshold.
fn sent_again(h: &Header, next: u32, me: &Side, peer: &Side, at: (u64, u64)) -> Option<Analysis> {
    let (t_us, ooo_us) = (at.0, at.1);
    let data_end = h.seq.wrapping_add(h.len);
    if h.len > 0 && peer.last_ack.is_some_and(|a| !after(data_end, a)) {
        return Some(Analysis::SpuriousRetransmission);
    }
    let after_probe = h.len > 1 && h.seq == next.wrapping_sub(1);
    if !after(next, h.seq) || after_probe {
        return None;
    }
    let end = data_end.wrapping_add(u32::from(h.flags.any(Flags::SYN | Flags::FIN)));
    Some(
        if peer.dup_acks >= 2
            && peer.last_ack == Some(h.seq)
            && t_us.saturating_sub(peer.last_at_us) < FAST_RETRANSMISSION_US
        {
            Analysis::FastRetransmission
        } else if t_us.saturating_sub(me.next_at_us) < ooo_us && end != next {
            Analysis::OutOfOrder
        } else {
            Analysis::Retransmission
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::segment::SynOptions;

    const CLI: &str = "127.0.0.1:40000";
    const SRV: &str = "127.0.0.1:8888";
    const CLI_ISN: u32 = 1_000;
    const SRV_ISN: u32 = u32::MAX - 10; // wraps: relative numbers must too

    /// A segment from `from` ("cli" or "srv"), numbers relative as in the trace.
    fn h(from: &str, flags: &str, seq: u32, ack: u32, len: u32, win: u16) -> Header {
        let (src, dst, isn, peer_isn) = if from == "cli" {
            (CLI, SRV, CLI_ISN, SRV_ISN)
        } else {
            (SRV, CLI, SRV_ISN, CLI_ISN)
        };
        let flags: Flags = flags.parse().unwrap();
        let options = if flags.has(Flags::SYN) {
            SynOptions {
                mss: Some(65495),
                wscale: Some(7),
                sack_perm: true,
                timestamps: true,
            }
        } else {
            SynOptions::default()
        };
        Header {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            flags,
            seq: isn.wrapping_add(seq),
            ack: peer_isn.wrapping_add(ack),
            win,
            options,
            len,
            head: vec![b'x'; len.min(4) as usize],
        }
    }

    /// A connection after its handshake, at t = 0.
    fn connected() -> Streams {
        let mut s = Streams::new();
        s.see(&h("cli", "SYN", 0, 0, 0, 65495), 0);
        s.see(&h("srv", "SYN,ACK", 0, 1, 0, 65483), 0);
        s.see(&h("cli", "ACK", 1, 1, 0, 512), 0);
        s
    }

    fn words(seg: &Segment) -> Vec<Analysis> {
        seg.analysis.clone()
    }

    #[test]
    fn handshake_counts_from_each_sides_isn() {
        let mut s = Streams::new();
        let syn = s.see(&h("cli", "SYN", 0, 0, 0, 65495), 0);
        let synack = s.see(&h("srv", "SYN,ACK", 0, 1, 0, 65483), 10);
        let ack = s.see(&h("cli", "ACK", 1, 1, 0, 512), 20);
        assert!(ack.acks_control, "the handshake's last ACK answers the SYN");
        assert_eq!((syn.seq, syn.ack, syn.win), (0, 0, 65495));
        assert_eq!((synack.seq, synack.ack), (0, 1));
        assert_eq!((ack.seq, ack.ack), (1, 1));
        assert!(syn.options.is_some_and(|o| o.wscale == Some(7)));
        assert_eq!(ack.options, None);
        assert!(syn.analysis.is_empty() && synack.analysis.is_empty() && ack.analysis.is_empty());
    }

    #[test]
    fn window_after_handshake_is_scaled() {
        let mut s = connected();
        let data = s.see(&h("cli", "PSH,ACK", 1, 1, 5, 512), 10);
        assert_eq!(data.win, 512 << 7);
    }

    #[test]
    fn window_without_handshake_is_unscaled_and_numbers_start_at_one() {
        let mut s = Streams::new();
        let data = s.see(&h("cli", "PSH,ACK", 1, 1, 5, 512), 10);
        assert_eq!((data.win, data.seq, data.ack), (512, 1, 1));
        let ack = s.see(&h("srv", "ACK", 1, 6, 0, 512), 20);
        assert_eq!((ack.seq, ack.ack), (1, 6));
        assert!(ack.analysis.is_empty(), "{:?}", ack.analysis);
    }

    #[test]
    fn close_fin_ack_fin_ack_is_ordinary() {
        let mut s = connected();
        for (i, seg) in [
            h("cli", "FIN,ACK", 1, 1, 0, 512),
            h("srv", "ACK", 1, 2, 0, 512),
            h("srv", "FIN,ACK", 1, 2, 0, 512),
            h("cli", "ACK", 2, 2, 0, 512),
        ]
        .iter()
        .enumerate()
        {
            let seen = s.see(seg, 10 + i as u64);
            assert!(seen.analysis.is_empty(), "segment {i}: {:?}", seen.analysis);
            assert_eq!(
                seen.acks_control,
                i % 2 == 1,
                "segment {i} is the first to acknowledge a FIN"
            );
        }
    }

    #[test]
    fn data_resent_after_rto_is_retransmission() {
        let mut s = connected();
        s.see(&h("cli", "PSH,ACK", 1, 1, 5, 512), 1_000);
        let again = s.see(&h("cli", "PSH,ACK", 1, 1, 5, 512), 201_000);
        assert_eq!(words(&again), [Analysis::Retransmission]);
    }

    #[test]
    fn syn_resent_is_retransmission() {
        let mut s = Streams::new();
        s.see(&h("cli", "SYN", 0, 0, 0, 65495), 0);
        let again = s.see(&h("cli", "SYN", 0, 0, 0, 65495), 1_000_000);
        assert_eq!(words(&again), [Analysis::Retransmission]);
        assert_eq!(again.seq, 0);
    }

    #[test]
    fn earlier_bytes_right_after_later_ones_are_out_of_order() {
        let mut s = connected();
        s.see(&h("cli", "ACK", 6, 1, 5, 512), 1_000);
        let early = s.see(&h("cli", "ACK", 1, 1, 5, 512), 1_500);
        assert_eq!(words(&early), [Analysis::OutOfOrder]);
    }

    #[test]
    fn same_ack_again_is_duplicate_ack_and_the_third_brings_fast_retransmission() {
        let mut s = connected();
        s.see(&h("cli", "ACK", 1, 1, 100, 512), 1_000);
        let gap = s.see(&h("cli", "ACK", 201, 1, 100, 512), 1_100);
        assert_eq!(words(&gap), [Analysis::PreviousSegmentNotCaptured]);
        s.see(&h("srv", "ACK", 1, 101, 0, 512), 1_200);
        for i in 0..3 {
            let dup = s.see(&h("srv", "ACK", 1, 101, 0, 512), 1_300 + i);
            assert_eq!(words(&dup), [Analysis::DuplicateAck], "dup {i}");
        }
        let data_ack = s.see(&h("srv", "ACK", 1, 101, 0, 512), 1_250);
        assert!(!data_ack.acks_control, "an ACK of data changes no state");
        let resent = s.see(&h("cli", "ACK", 101, 1, 100, 512), 1_400);
        assert_eq!(words(&resent), [Analysis::FastRetransmission]);
        let fresh = s.see(&h("srv", "ACK", 1, 301, 0, 512), 1_500);
        assert!(fresh.analysis.is_empty(), "{:?}", fresh.analysis);
    }

    /// A connection whose handshake took `rtt` µs (SYN at 0, its ACK at `rtt`), then 100 bytes
    /// at 1–101 sent at `rtt` + 1 ms, and bytes 201–301 right after: 101–201 never seen.
    fn with_a_gap(rtt: u64) -> (Streams, u64) {
        let mut s = Streams::new();
        s.see(&h("cli", "SYN", 0, 0, 0, 65495), 0);
        s.see(&h("srv", "SYN,ACK", 0, 1, 0, 65483), rtt / 2);
        s.see(&h("cli", "ACK", 1, 1, 0, 512), rtt);
        let t = rtt + 1_000;
        s.see(&h("cli", "ACK", 1, 1, 100, 512), t);
        let gap = s.see(&h("cli", "ACK", 201, 1, 100, 512), t + 10);
        assert_eq!(words(&gap), [Analysis::PreviousSegmentNotCaptured]);
        (s, t + 10)
    }

    /// The receiver acknowledges 1–101, then asks for 101 again `dups` times, from `t`.
    fn dup_acks(s: &mut Streams, dups: u64, t: u64) {
        s.see(&h("srv", "ACK", 1, 101, 0, 512), t);
        for i in 1..=dups {
            let dup = s.see(&h("srv", "ACK", 1, 101, 0, 512), t + i);
            assert_eq!(words(&dup), [Analysis::DuplicateAck], "dup {i}");
        }
    }

    #[test]
    fn resend_two_duplicate_acks_asked_for_within_20ms_is_fast_retransmission() {
        let (mut s, t) = with_a_gap(100);
        dup_acks(&mut s, 2, t + 100);
        let resent = s.see(&h("cli", "ACK", 101, 1, 100, 512), t + 5_000);
        assert_eq!(words(&resent), [Analysis::FastRetransmission]);
    }

    #[test]
    fn fast_retransmission_right_after_the_highest_segment_is_not_called_out_of_order() {
        // 1 ms after the highest segment: sooner than the 3 ms threshold (no RTT known), but
        // the duplicate ACKs asked for it, and Wireshark asks that question first.
        let (mut s, t) = with_a_gap(0);
        dup_acks(&mut s, 3, t + 100);
        let resent = s.see(&h("cli", "ACK", 101, 1, 100, 512), t + 1_000);
        assert_eq!(words(&resent), [Analysis::FastRetransmission]);
    }

    #[test]
    fn resend_long_after_the_duplicate_acks_is_retransmission() {
        let (mut s, t) = with_a_gap(100);
        dup_acks(&mut s, 3, t + 100);
        let resent = s.see(&h("cli", "ACK", 101, 1, 100, 512), t + 100 + 25_000);
        assert_eq!(words(&resent), [Analysis::Retransmission]);
    }

    #[test]
    fn one_duplicate_ack_is_not_enough_for_fast_retransmission() {
        let (mut s, t) = with_a_gap(100);
        dup_acks(&mut s, 1, t + 100);
        let resent = s.see(&h("cli", "ACK", 101, 1, 100, 512), t + 2_000);
        assert_eq!(words(&resent), [Analysis::Retransmission]);
    }

    #[test]
    fn another_segment_between_duplicate_acks_starts_their_count_over() {
        let (mut s, t) = with_a_gap(100);
        dup_acks(&mut s, 1, t + 100);
        let reply = s.see(&h("srv", "ACK", 1, 101, 10, 512), t + 200);
        assert!(reply.analysis.is_empty(), "{:?}", reply.analysis);
        s.see(&h("srv", "ACK", 11, 101, 0, 512), t + 300);
        let resent = s.see(&h("cli", "ACK", 101, 11, 100, 512), t + 2_000);
        assert_eq!(words(&resent), [Analysis::Retransmission]);
    }

    #[test]
    fn resend_of_acknowledged_bytes_is_spurious_retransmission() {
        let mut s = connected();
        s.see(&h("cli", "PSH,ACK", 1, 1, 5, 512), 1_000);
        s.see(&h("srv", "ACK", 1, 6, 0, 512), 1_100);
        let again = s.see(&h("cli", "PSH,ACK", 1, 1, 5, 512), 201_000);
        assert_eq!(words(&again), [Analysis::SpuriousRetransmission]);
    }

    #[test]
    fn earlier_bytes_sooner_than_the_handshakes_rtt_are_out_of_order() {
        let (mut s, t) = with_a_gap(10_000);
        let early = s.see(&h("cli", "ACK", 101, 1, 100, 512), t + 5_000);
        assert_eq!(words(&early), [Analysis::OutOfOrder]);
    }

    #[test]
    fn earlier_bytes_later_than_the_handshakes_rtt_are_retransmission() {
        // 1 ms after the highest segment: out of order by the 3 ms default, but this
        // connection's first round trip took 100 µs, and that is the threshold.
        let (mut s, t) = with_a_gap(100);
        let late = s.see(&h("cli", "ACK", 101, 1, 100, 512), t + 1_000);
        assert_eq!(words(&late), [Analysis::Retransmission]);
    }

    #[test]
    fn the_highest_segment_again_at_once_is_retransmission_not_out_of_order() {
        let mut s = connected();
        s.see(&h("cli", "ACK", 1, 1, 100, 512), 1_000);
        let again = s.see(&h("cli", "ACK", 1, 1, 100, 512), 1_500);
        assert_eq!(words(&again), [Analysis::Retransmission]);
    }

    #[test]
    fn new_data_one_byte_before_the_end_after_a_probe_is_not_sent_again() {
        let mut s = connected();
        s.see(&h("cli", "ACK", 1, 1, 100, 512), 1_000);
        let more = s.see(&h("cli", "ACK", 100, 1, 50, 512), 300_000);
        assert!(more.analysis.is_empty(), "{:?}", more.analysis);
    }

    #[test]
    fn full_receiver_is_zero_window_and_the_senders_poke_is_zero_window_probe() {
        let mut s = connected();
        s.see(&h("cli", "ACK", 1, 1, 100, 512), 1_000);
        let full = s.see(&h("srv", "ACK", 1, 101, 0, 0), 1_100);
        assert_eq!(words(&full), [Analysis::ZeroWindow]);
        let probe = s.see(&h("cli", "ACK", 100, 1, 0, 512), 201_100);
        assert_eq!(words(&probe), [Analysis::ZeroWindowProbe]);
        let room = s.see(&h("srv", "ACK", 1, 101, 0, 512), 300_000);
        assert_eq!(words(&room), [Analysis::WindowUpdate]);
    }

    #[test]
    fn one_byte_before_the_end_is_keep_alive() {
        let mut s = connected();
        let probe = s.see(&h("cli", "ACK", 0, 1, 0, 512), 7_200_000_000);
        assert_eq!(words(&probe), [Analysis::KeepAlive]);
    }

    #[test]
    fn rst_is_never_flagged() {
        let mut s = connected();
        let rst = s.see(&h("srv", "RST,ACK", 1, 1, 0, 0), 1_000);
        assert!(rst.analysis.is_empty(), "{:?}", rst.analysis);
    }

    #[test]
    fn new_syn_on_the_same_ports_starts_over() {
        let mut s = connected();
        s.see(&h("cli", "FIN,ACK", 1, 1, 0, 512), 10);
        let mut again = h("cli", "SYN", 0, 0, 0, 65495);
        again.seq = 555;
        let seg = s.see(&again, 20);
        assert_eq!((seg.seq, seg.analysis.len()), (0, 0));
        assert_eq!(s.map.len(), 1);
    }

    #[test]
    fn many_connections_stay_bounded() {
        let mut s = Streams::new();
        for port in 0..(MAX_STREAMS as u16 + 10) {
            let mut syn = h("cli", "SYN", 0, 0, 0, 100);
            syn.src.set_port(port);
            s.see(&syn, 0);
        }
        assert_eq!(s.map.len(), MAX_STREAMS);
    }
}
