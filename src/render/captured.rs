//! A captured segment in the sequence diagram: which two lifelines it joins, and what is
//! written on its arrow.
//!
//! When a run's wire was captured (lab's own network, `lab net`), the segments themselves
//! draw every TCP arrow, each at the time it was seen; nothing is inferred from the calls (a
//! `close()` implies a FIN, but only the capture shows its ACK, a retransmission, or that the
//! FIN never arrived). A segment knows only its addresses, so its ends are found by them: the
//! socket whose local and peer addresses the trace saw are the segment's source and
//! destination (see [`Lifelines::end`]).

use super::lifelines::Lifelines;
use super::rows::{Arrow, ArrowKind, On, Row};
use crate::trace::{Event, Kind};
use crate::wire::{Flags, Segment};

/// Was this run's wire captured: is there a segment seen on the wire, not inferred?
pub(super) fn any(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| e.kind == Kind::Segment && e.segment.as_deref().is_some_and(|s| !s.inferred))
}

/// `FIN,ACK seq=5 ack=1`, `PSH,ACK seq=1 ack=1 len=87 [retransmission]`: what Wireshark's flow
/// graph writes on an arrow. The window, the options and the data are in the trace's `wire`
/// line, one click away; an arrow has room for what tells one segment from the next.
pub(crate) fn label(seg: &Segment) -> String {
    let mut s = format!("{} seq={}", seg.flags, seg.seq);
    if seg.flags.has(Flags::ACK) {
        s.push_str(&format!(" ack={}", seg.ack));
    }
    if seg.len > 0 {
        s.push_str(&format!(" len={}", seg.len));
    }
    if !seg.analysis.is_empty() {
        let words: Vec<&str> = seg.analysis.iter().map(|a| a.words()).collect();
        s.push_str(&format!(" [{}]", words.join(", ")));
    }
    s
}

/// The row a segment draws: an arrow between the two sockets it joined; where the trace knows
/// only one of them (a SYN to a port nobody listens on yet), a line on that socket's lifeline
/// naming the other address; nothing where it knows neither (another program's segment).
/// `started`: which lifelines have had an event by now.
pub(super) fn row(lines: &Lifelines, started: &[bool], seg: &Segment) -> Option<Row> {
    // Until `accept()` hands a connection over, the listener is the one that answers: its
    // handshake (no data, no FIN) is drawn on the listener's lifeline, as the inferred
    // picture always drew it. Data that arrives before `accept()` is the connection's.
    let handshake = |c: usize| !started[c] && seg.len == 0 && !seg.flags.has(Flags::FIN);
    let from = lines.end(seg.src, seg.dst, handshake);
    let to = lines.end(seg.dst, seg.src, handshake);
    let kind = match (seg.inferred, seg.dropped) {
        (true, _) => ArrowKind::Inferred,
        (false, Some(why)) => ArrowKind::Dropped(why.said()),
        (false, None) => ArrowKind::Captured,
    };
    let label = label(seg);
    let lost = match kind {
        ArrowKind::Dropped(why) => format!(" ✗ {why}"),
        _ => String::new(),
    };
    let on = |line: usize, text: String| {
        Some(Row::On(On {
            line,
            text,
            after: None,
        }))
    };
    match (from, to) {
        // A socket connected to itself (its own port): no arrow to draw.
        (Some(f), Some(t)) if f == t => on(f, format!("↻ {label}{lost}")),
        (Some(from), Some(to)) => Some(Row::Arrow(Arrow {
            from,
            to,
            label,
            kind,
        })),
        (Some(f), None) => on(f, format!("{label} → {}{lost}", seg.dst)),
        (None, Some(t)) => on(t, format!("{label} ← {}{lost}", seg.src)),
        (None, None) => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::Analysis;

    /// A segment as the capture makes it (so the test names only the fields it looks at).
    pub(crate) fn seg(flags: &str, seq: u32, ack: u32, len: u32) -> Segment {
        let h = crate::wire::segment::Header {
            src: "10.0.0.2:40000".parse().unwrap(),
            dst: "10.0.0.1:9000".parse().unwrap(),
            flags: flags.parse().unwrap(),
            seq: 0,
            ack: 0,
            win: 512,
            options: Default::default(),
            len,
            head: Vec::new(),
        };
        let mut s = crate::wire::Streams::new().see(&h, 0);
        (s.seq, s.ack, s.analysis) = (seq, ack, Vec::new());
        s
    }

    #[test]
    fn an_arrow_says_flags_seq_ack_len_and_what_wireshark_would_call_it() {
        assert_eq!(label(&seg("FIN,ACK", 5, 1, 0)), "FIN,ACK seq=5 ack=1");
        assert_eq!(
            label(&seg("SYN", 0, 0, 0)),
            "SYN seq=0",
            "no ACK flag, no ack number"
        );
        let mut again = seg("PSH,ACK", 29, 1, 28);
        again.analysis = vec![Analysis::Retransmission];
        assert_eq!(
            label(&again),
            "PSH,ACK seq=29 ack=1 len=28 [retransmission]"
        );
    }
}
