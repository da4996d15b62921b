//! What ended a connection that left the table by itself — the peer's RST, or this side's own
//! kernel giving up — told from what the trace saw, never assumed.
//!
//! The table shows only that the row is gone. A connection ends so while its fd is open when
//! the peer sends RST (its program aborted, its host forgot the connection), or when this
//! side's kernel gives up on a silent peer: keep-alive probes unanswered (then it sends RST),
//! retransmissions or TCP_USER_TIMEOUT run out (then it sends nothing). What tells them apart:
//! the errno of the call that found out (ECONNRESET, ETIMEDOUT), and the wire, when the trace
//! shows it — whose RST it was, and whether it arrived (lab's link may drop it). The rule that
//! weighs these is [`transitions::ending`]; this module keeps what the wire showed, and puts the
//! words on the kernel line when its turn comes (after every segment before it).

use super::event::{Event, Kind};
use crate::transitions::{self, OnTheWire};
use crate::wire::{Analysis, Flags};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

/// How many one-way connections' last RST and keep-alive are kept: a busy server's trace must
/// not grow without bound, and an RST explains a move that the trace tells moments later.
const KEPT: usize = 256;

/// What one side of a connection last sent that can explain its end.
#[derive(Debug, Clone, Copy, Default)]
struct Sent {
    /// An RST, and whether it arrived.
    rst: Option<bool>,
    /// A keep-alive probe, and no data since.
    keepalive: bool,
}

/// The RSTs and keep-alives the trace's segments showed, by (sender, receiver).
#[derive(Default)]
pub(super) struct WireFacts {
    map: HashMap<(SocketAddr, SocketAddr), Sent>,
    /// The keys in the order they were first kept, to forget the oldest first.
    order: VecDeque<(SocketAddr, SocketAddr)>,
    /// Something was forgotten: the RST that ended a connection may have been, so from now
    /// on no RST seen proves nothing.
    forgot: bool,
}

impl WireFacts {
    /// Keeps what a segment event shows: an RST, a keep-alive; data ends a run of keep-alives;
    /// a SYN starts the 4-tuple over. Segments drawn from the calls (inferred) say nothing.
    pub(super) fn see(&mut self, ev: &Event) {
        let (Kind::Segment, Some(seg)) = (ev.kind, ev.segment.as_deref()) else {
            return;
        };
        if seg.inferred {
            return;
        }
        let key = (seg.src, seg.dst);
        if seg.flags.has(Flags::SYN) {
            let back = (seg.dst, seg.src);
            self.map.retain(|k, _| *k != key && *k != back);
            self.order.retain(|k| *k != key && *k != back);
            return;
        }
        let rst = seg.flags.has(Flags::RST);
        let keepalive = seg.analysis.contains(&Analysis::KeepAlive);
        if rst || keepalive {
            let sent = self.entry(key);
            if rst {
                sent.rst = Some(seg.dropped.is_none());
            }
            sent.keepalive |= keepalive;
        } else if let Some(sent) = self.map.get_mut(&key).filter(|_| seg.len > 0) {
            sent.keepalive = false;
        }
    }

    fn entry(&mut self, key: (SocketAddr, SocketAddr)) -> &mut Sent {
        if !self.map.contains_key(&key) {
            if self.order.len() >= KEPT {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                    self.forgot = true;
                }
            }
            self.order.push_back(key);
        }
        self.map.entry(key).or_default()
    }

    /// What the wire showed of the connection `local ⇄ peer`, seen from `local`; `missed`:
    /// the capture missed packets, so the wire has holes.
    fn seen(&self, local: SocketAddr, peer: SocketAddr, missed: bool) -> OnTheWire {
        let theirs = self.map.get(&(peer, local)).copied().unwrap_or_default();
        let ours = self.map.get(&(local, peer)).copied().unwrap_or_default();
        OnTheWire {
            peer_rst: theirs.rst == Some(true),
            own_keepalive: ours.keepalive,
            whole: !missed && !self.forgot,
        }
    }
}

/// Puts on a kernel line that ends a connection what ended it, and its words: from what the
/// line already knows (the errno of the call that found out, a timer), then from the wire if
/// the trace shows it (`wire_shown`; `missed`: whether the capture missed packets, asked only
/// for a line that ends a connection).
pub(super) fn explain(
    ev: &mut Event,
    facts: &WireFacts,
    wire_shown: bool,
    missed: impl FnOnce() -> bool,
) {
    if ev.kind != Kind::Kernel || !transitions::ends_connection(ev.before, ev.kernel) {
        return;
    }
    let (Some(local), Some(peer)) = (ev.local, ev.peer) else {
        return;
    };
    let wire = wire_shown.then(|| facts.seen(local, peer, missed()));
    let ending = transitions::ending(ev.ended, wire);
    put(ev, ending);
}

/// What ended the connection, and the kernel line's words that say so.
fn put(ev: &mut Event, ending: transitions::Ending) {
    ev.ended = Some(ending);
    let words = transitions::kernel_move_words(ev.before, ev.kernel, !ev.fd_gone, ending);
    ev.note = Some(words.to_string());
}

/// What a call's errno says ended its connection, on the kernel line told at that call: its
/// words say so now, even if [`explain`] later has nothing to add (no peer known).
pub(super) fn said_by(ev: &mut Event, errno: Option<nix::errno::Errno>) {
    if let Some(ending) = ev.ended.or(errno.and_then(transitions::ending_of)) {
        put(ev, ending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, 1], port))
    }

    /// The wire's silence proves something only while nothing was missed or forgotten.
    #[test]
    fn silence_proves_nothing_once_something_was_missed_or_forgotten() {
        let mut facts = WireFacts::default();
        let (local, peer) = (addr(1), addr(2));
        assert!(facts.seen(local, peer, false).whole);
        assert!(!facts.seen(local, peer, true).whole);
        facts.entry((peer, local)).rst = Some(true);
        for port in 0..KEPT as u16 {
            assert!(facts.seen(local, peer, false).whole);
            facts.entry((addr(1000 + port), peer));
        }
        // The oldest, the peer's RST, is forgotten: nothing says whether it came.
        let seen = facts.seen(local, peer, false);
        assert!(!seen.peer_rst && !seen.whole);
    }
}
