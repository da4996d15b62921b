//! A lesson's `wire` step: a segment expected on the wire, as packetdrill expects one.
//!
//! ```text
//! wire cli>srv FIN,ACK                      the next FIN,ACK from cli's address to srv's
//! wire srv>cli ACK ack 8                    then an ACK from srv's side, acknowledging 8
//! wire a>b data len 5 dropped               host a's next data segment to b, lost on the link
//! wire a>b data seq 1 retransmission after 200ms   sent again, at least 200 ms later
//! ```
//!
//! The ends are sockets (their addresses, kept after `close()`) or hosts (their addresses).
//! The flags are the exact set (`FIN,ACK` is not `FIN,PSH,ACK`), or `data` for any segment
//! that carries bytes. Then any of `seq N`, `ack N`, `len N`, `win N` (relative numbers, as the
//! trace shows them), the words Wireshark would say (`retransmission`, `fast-retransmission`,
//! `duplicate-ack`, `zero-window`, `zero-window-probe`, `window-update`, `keep-alive`,
//! `out-of-order`), `dropped` or `delivered` (lab's link), and `after D[..D]`: how long after
//! the segment the previous `wire` step matched (`after 200ms`: at least; `after 1s..1.5s`: a
//! tolerance, because the kernel's timers are not exact).
//!
//! The runner keeps a cursor over the segments captured so far: each step takes the first
//! segment after the previous step's that matches, waiting (bounded) for it to be captured.
//! This file is the step as a type, read from its words, and the match; pure.

use crate::wire::{Analysis, Flags, Segment};
use std::fmt;
use std::time::Duration;

/// Which flags a segment must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagsWant {
    /// Exactly these.
    Exact(Flags),
    /// Any segment that carries data.
    Data,
}

/// One `wire` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireExpect {
    /// The sender and the receiver: socket or host names.
    pub from: String,
    pub to: String,
    pub flags: FlagsWant,
    pub seq: Option<u32>,
    pub ack: Option<u32>,
    pub len: Option<u32>,
    pub win: Option<u32>,
    /// Wireshark's words the segment must have (all of them).
    pub analysis: Vec<Analysis>,
    /// `dropped` (true) or `delivered` (false) by lab's link.
    pub dropped: Option<bool>,
    /// How long after the previous `wire` step's segment: at least, and at most.
    pub after: Option<(Duration, Option<Duration>)>,
}

/// Every analysis word a lesson may write, hyphenated (`fast-retransmission`).
const ANALYSES: [Analysis; 9] = [
    Analysis::Retransmission,
    Analysis::FastRetransmission,
    Analysis::OutOfOrder,
    Analysis::DuplicateAck,
    Analysis::ZeroWindow,
    Analysis::ZeroWindowProbe,
    Analysis::WindowUpdate,
    Analysis::KeepAlive,
    Analysis::PreviousSegmentNotCaptured,
];

/// The longest `after` a lesson may expect: every wait of a lesson is bounded.
pub const MAX_AFTER: Duration = Duration::from_secs(60);

/// An analysis as a lesson writes it: Wireshark's words, hyphenated.
fn analysis_word(a: Analysis) -> String {
    a.words().replace(' ', "-").to_ascii_lowercase()
}

/// What words a `wire` step takes, for error messages.
fn usage() -> String {
    let words: Vec<String> = ANALYSES.iter().map(|a| analysis_word(*a)).collect();
    format!(
        "wire FROM>TO FLAGS|data [seq N] [ack N] [len N] [win N] [{}] [dropped|delivered] \
            [after D[..D]]",
        words.join("|")
    )
}

/// Reads a `wire` step from its words after `wire`; `known` says whether a name is a socket
/// or host the lesson has.
pub fn parse(words: &[&str], known: &dyn Fn(&str) -> bool) -> Result<WireExpect, String> {
    let ends = words
        .first()
        .ok_or_else(|| format!("wire needs its ends: {}", usage()))?;
    let Some((from, to)) = ends.split_once('>') else {
        return Err(format!("'{ends}': the ends are FROM>TO (cli>srv, a>b)"));
    };
    for end in [from, to] {
        if !known(end) {
            return Err(format!(
                "'{end}' in '{ends}' is neither a socket nor a host of this lesson"
            ));
        }
    }
    let flags =
        match words.get(1) {
            Some(&"data") => FlagsWant::Data,
            Some(w) => FlagsWant::Exact(w.parse().map_err(|bad| {
                format!("unknown flag '{bad}' (SYN, ACK, FIN, RST, PSH; or data)")
            })?),
            None => return Err(format!("wire needs the flags: {}", usage())),
        };
    let mut e = WireExpect {
        from: from.to_string(),
        to: to.to_string(),
        flags,
        seq: None,
        ack: None,
        len: None,
        win: None,
        analysis: Vec::new(),
        dropped: None,
        after: None,
    };
    let mut rest = words[2..].iter();
    while let Some(w) = rest.next() {
        e.attribute(w, &mut rest)?;
    }
    Ok(e)
}

impl WireExpect {
    /// One attribute after the flags; a number or duration it needs is taken from `rest`.
    fn attribute<'a>(
        &mut self,
        w: &str,
        rest: &mut impl Iterator<Item = &'a &'a str>,
    ) -> Result<(), String> {
        let mut number = || -> Result<u32, String> {
            let n = rest.next().ok_or(format!("'{w}' needs a number"))?;
            n.parse().map_err(|_| format!("'{w} {n}': not a number"))
        };
        match w {
            "seq" => self.seq = Some(number()?),
            "ack" => self.ack = Some(number()?),
            "len" => self.len = Some(number()?),
            "win" => self.win = Some(number()?),
            "dropped" => self.dropped = Some(true),
            "delivered" => self.dropped = Some(false),
            "after" => {
                let d = rest.next().ok_or("'after' needs a time: after 200ms")?;
                self.after = Some(after(d)?);
            }
            _ => match ANALYSES.iter().find(|a| analysis_word(**a) == w) {
                Some(a) => self.analysis.push(*a),
                None => return Err(format!("unexpected '{w}': {}", usage())),
            },
        }
        Ok(())
    }

    /// Whether `seg`, sent from `src_ok` to `dst_ok` ends, is the segment this step expects
    /// (all but the time, which [`WireExpect::timely`] judges).
    pub fn matches(&self, seg: &Segment, ends_ok: bool) -> bool {
        let flags = match self.flags {
            FlagsWant::Exact(f) => seg.flags == f,
            FlagsWant::Data => seg.len > 0,
        };
        let same = |want: Option<u32>, have: u32| want.is_none_or(|w| w == have);
        ends_ok
            && flags
            && same(self.seq, seg.seq)
            && same(self.ack, seg.ack)
            && same(self.len, seg.len)
            && same(self.win, seg.win)
            && self.analysis.iter().all(|a| seg.analysis.contains(a))
            && self.dropped.is_none_or(|d| d == seg.dropped.is_some())
    }

    /// Whether `gap` (since the previous `wire` step's segment) is within `after`.
    pub fn timely(&self, gap: Duration) -> bool {
        match self.after {
            None => true,
            Some((min, max)) => gap >= min && max.is_none_or(|m| gap <= m),
        }
    }
}

/// `200ms`, `1s`, `1.5s`, or a range `1s..1.5s` (a missing unit in the first takes the second's).
fn after(text: &str) -> Result<(Duration, Option<Duration>), String> {
    let bad = || format!("'after {text}': a time like 200ms, 1.5s, or a range 1s..1.5s");
    let (lo, hi_text) = match text.split_once("..") {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (text, None),
    };
    let hi = hi_text.map(|h| duration(h).ok_or_else(bad)).transpose()?;
    let lo = duration(lo)
        .or_else(|| {
            let unit = hi_text?.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
            duration(&format!("{lo}{unit}"))
        })
        .ok_or_else(bad)?;
    if hi.is_some_and(|h| h < lo) || lo.max(hi.unwrap_or_default()) > MAX_AFTER {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// `200ms`, `1.5s`.
fn duration(text: &str) -> Option<Duration> {
    let (n, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else {
        (text.strip_suffix('s')?, 1.0)
    };
    let n: f64 = n
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    Some(Duration::from_secs_f64(n * scale))
}

/// A duration as a lesson writes it: `200ms`, `1.5s`.
fn shown(d: Duration) -> String {
    if d.as_millis() < 1000 || !d.subsec_millis().is_multiple_of(100) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

impl fmt::Display for WireExpect {
    /// The step in its own words, normalised: `cli>srv FIN,ACK ack 8 after 200ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}>{} ", self.from, self.to)?;
        match self.flags {
            FlagsWant::Exact(fl) => write!(f, "{fl}")?,
            FlagsWant::Data => f.write_str("data")?,
        }
        let numbers = [
            ("seq", self.seq),
            ("ack", self.ack),
            ("len", self.len),
            ("win", self.win),
        ];
        for (k, v) in numbers {
            if let Some(v) = v {
                write!(f, " {k} {v}")?;
            }
        }
        for a in &self.analysis {
            write!(f, " {}", analysis_word(*a))?;
        }
        match self.dropped {
            Some(true) => f.write_str(" dropped")?,
            Some(false) => f.write_str(" delivered")?,
            None => {}
        }
        match self.after {
            Some((lo, Some(hi))) => write!(f, " after {}..{}", shown(lo), shown(hi)),
            Some((lo, None)) => write!(f, " after {}", shown(lo)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<WireExpect, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        parse(&words, &|n| ["cli", "srv", "a", "b"].contains(&n))
    }

    #[test]
    fn a_step_reads_back_in_its_own_words() {
        for text in [
            "cli>srv FIN,ACK",
            "srv>cli ACK seq 7 ack 8",
            "a>b data len 5 dropped",
            "a>b data seq 1 retransmission after 200ms",
            "b>a ACK duplicate-ack",
            "a>b data fast-retransmission after 1s..1.5s",
        ] {
            assert_eq!(p(text).unwrap().to_string(), text);
        }
        assert_eq!(
            p("a>b syn,ack").unwrap().flags,
            FlagsWant::Exact(Flags::SYN | Flags::ACK)
        );
        assert_eq!(
            p("a>b SYN after 1..1.5s").unwrap().after,
            Some((Duration::from_secs(1), Some(Duration::from_millis(1500))))
        );
    }

    #[test]
    fn a_malformed_step_says_what_is_wrong() {
        let e = |t: &str| p(t).unwrap_err();
        assert!(e("").starts_with("wire needs its ends"));
        assert!(e("cli FIN").contains("the ends are FROM>TO"));
        assert!(e("cli>nobody FIN").contains("'nobody' in 'cli>nobody' is neither"));
        assert!(e("cli>srv FIN,AKC").starts_with("unknown flag 'AKC'"));
        assert!(e("cli>srv").starts_with("wire needs the flags"));
        assert!(e("cli>srv ACK seq x").contains("not a number"));
        assert!(e("cli>srv ACK retransmision").starts_with("unexpected 'retransmision'"));
        assert!(e("cli>srv ACK after soon").contains("a time like 200ms"));
        assert!(e("cli>srv ACK after 2s..1s").contains("a time like"));
        assert!(e("cli>srv ACK after 99s").contains("a time like"));
    }

    fn seg(flags: &str, len: u32, analysis: Vec<Analysis>) -> Segment {
        let addr = "127.0.0.1:1".parse().unwrap();
        Segment {
            src: addr,
            dst: addr,
            flags: flags.parse().unwrap(),
            seq: 1,
            ack: 1,
            len,
            data: Vec::new(),
            win: 100,
            options: None,
            analysis,
            acks_control: false,
            inferred: false,
            dropped: None,
        }
    }

    #[test]
    fn flags_match_exactly_and_data_matches_any_segment_with_bytes() {
        let fin = p("cli>srv FIN,ACK").unwrap();
        assert!(fin.matches(&seg("FIN,ACK", 0, vec![]), true));
        assert!(
            !fin.matches(&seg("FIN,ACK", 0, vec![]), false),
            "other ends"
        );
        assert!(!fin.matches(&seg("FIN,PSH,ACK", 0, vec![]), true));
        assert!(!fin.matches(&seg("ACK", 0, vec![]), true));
        let data = p("cli>srv data len 5 retransmission delivered").unwrap();
        let resent = seg("PSH,ACK", 5, vec![Analysis::Retransmission]);
        assert!(data.matches(&resent, true));
        assert!(!data.matches(&seg("PSH,ACK", 5, vec![]), true));
        let mut lost = resent.clone();
        lost.dropped = Some(crate::wire::Dropped::Scripted);
        assert!(!data.matches(&lost, true));
    }

    #[test]
    fn after_is_at_least_or_within_a_range() {
        let at_least = p("a>b data after 200ms").unwrap();
        assert!(at_least.timely(Duration::from_millis(210)));
        assert!(!at_least.timely(Duration::from_millis(199)));
        let range = p("a>b data after 1s..1.5s").unwrap();
        assert!(range.timely(Duration::from_millis(1020)));
        assert!(!range.timely(Duration::from_millis(1600)));
        assert!(p("a>b data").unwrap().timely(Duration::ZERO));
    }
}
