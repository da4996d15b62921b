//! The link's rules as a student writes them: `delay 30ms loss 5%`, `a>b drop data 2`.
//!
//! ```text
//! SPEC   := CLAUSE*                      clauses may be separated by ',' or ';'
//! CLAUSE := [FROM>TO] RULE               no direction: the rule holds both ways
//! RULE   := delay DURATION [jitter DURATION]
//!         | loss PERCENT                 each segment dropped with that chance (seeded)
//!         | drop KIND N                  scripted: `data 2` the 2nd data segment,
//!                                        `SYN 3` the first three SYNs (each retry counts)
//!         | duplicate PERCENT
//!         | reorder K [PERCENT]          hold a data segment back behind the next K
//!         | rate RATE [queue N]          a slower link with a queue of N packets (tail drop)
//!         | mtu N                        nothing bigger than N bytes crosses
//!         | partition                    everything dropped, silently, both ways
//!         | heal                         (alone) the partition ends, the other rules stay
//! ```
//!
//! A bad word is refused before anything starts, with its column: `column 6: 'loss 120%': a
//! loss is a percentage from 0 to 100`. The parser knows the hosts, so `a>c` with no host `c`
//! is caught here too.

use crate::i18n::{f, M};
use std::fmt;
use std::time::Duration;

/// Which way a rule holds: from one host to another, or every way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Way {
    Both,
    /// `a>b`: segments from host `a` to host `b`, by the hosts' indexes.
    From {
        from: usize,
        to: usize,
    },
}

impl Way {
    /// Whether a segment from `from` to `to` is subject to the rule.
    pub fn holds(&self, from: usize, to: usize) -> bool {
        match self {
            Way::Both => true,
            Way::From { from: f, to: t } => (*f, *t) == (from, to),
        }
    }
}

/// What `drop KIND N` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scripted {
    /// The Nth segment that carries data (its retransmissions pass: that is the lesson).
    Data(u32),
    /// The first N SYNs (a connect's retries are SYNs too: `SYN 3` makes it try 4 times).
    Syn(u32),
    /// The first N FINs.
    Fin(u32),
    /// The first N RSTs.
    Rst(u32),
}

/// One rule of the link. Each is one variant here and one function in `link.rs`.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Delay { base: Duration, jitter: Duration },
    Loss { percent: f64 },
    Drop(Scripted),
    Duplicate { percent: f64 },
    Reorder { behind: u32, percent: f64 },
    Rate { bits_per_sec: u64, queue: usize },
    Mtu(usize),
    Partition,
}

/// A rule and the way it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub way: Way,
    pub rule: Rule,
}

impl fmt::Display for Clause {
    /// The clause in the words it was written in (`a>b loss 5%`), with hosts by number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Way::From { from, to } = self.way {
            write!(
                f,
                "{}>{} ",
                crate::net::host::name_of(from),
                crate::net::host::name_of(to)
            )?;
        }
        match &self.rule {
            Rule::Delay { base, jitter } if jitter.is_zero() => write!(f, "delay {base:?}"),
            Rule::Delay { base, jitter } => write!(f, "delay {base:?} jitter {jitter:?}"),
            Rule::Loss { percent } => write!(f, "loss {percent}%"),
            Rule::Drop(s) => write!(f, "drop {s}"),
            Rule::Duplicate { percent } => write!(f, "duplicate {percent}%"),
            Rule::Reorder { behind, percent } => write!(f, "reorder {behind} {percent}%"),
            Rule::Rate {
                bits_per_sec,
                queue,
            } => write!(f, "rate {bits_per_sec}bit queue {queue}"),
            Rule::Mtu(n) => write!(f, "mtu {n}"),
            Rule::Partition => write!(f, "partition"),
        }
    }
}

impl fmt::Display for Scripted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scripted::Data(n) => write!(f, "data {n}"),
            Scripted::Syn(n) => write!(f, "SYN {n}"),
            Scripted::Fin(n) => write!(f, "FIN {n}"),
            Scripted::Rst(n) => write!(f, "RST {n}"),
        }
    }
}

/// A parsed `--link` value. `heal` is not a rule but a change: see [`Spec::heal`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    pub clauses: Vec<Clause>,
    /// The spec was the single word `heal`.
    pub heal: bool,
}

/// What is wrong with a spec, and where: the column (from 1) of the word, and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub column: usize,
    pub words: String,
    pub problem: Problem,
}

/// The kinds of mistake a spec can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    UnknownRule,
    NoHost(String),
    BadDuration,
    BadPercent,
    BadCount,
    BadRate,
    BadKind,
    Missing(&'static str),
    HealAlone,
    /// The same rule again for a way an earlier clause already covers (`loss 5% loss 6%`):
    /// both would hold, one after the other, which no one means. The rule's word, and the
    /// column of the first.
    Repeated(&'static str, usize),
}

impl fmt::Display for SpecError {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match &self.problem {
            Problem::UnknownRule => f(M::LinkUnknownRule, &[]),
            Problem::NoHost(h) => f(M::LinkNoHost, &[h]),
            Problem::BadDuration => f(M::LinkBadDuration, &[]),
            Problem::BadPercent => f(M::LinkBadPercent, &[]),
            Problem::BadCount => f(M::LinkBadCount, &[]),
            Problem::BadRate => f(M::LinkBadRate, &[]),
            Problem::BadKind => f(M::LinkBadKind, &[]),
            Problem::Missing(what) => f(M::LinkMissing, &[what]),
            Problem::HealAlone => f(M::LinkHealAlone, &[]),
            Problem::Repeated(rule, first) => f(M::LinkRepeated, &[rule, first]),
        };
        let words = cut(&self.words, 60);
        write!(out, "{}", f(M::LinkError, &[&self.column, &words, &why]))
    }
}

impl std::error::Error for SpecError {}

/// At most `max` characters of `text`, with `…` where it was cut: an error quotes the words it
/// is about, and a megabyte of digits must not come back whole.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// A word of the spec and the column it starts at.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    column: usize,
}

/// The words of a spec, with their columns; `,` and `;` separate like spaces.
fn words(spec: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in spec.char_indices().chain([(spec.len(), ' ')]) {
        let gap = c.is_whitespace() || c == ',' || c == ';';
        match (gap, start) {
            (true, Some(s)) => {
                out.push(Word {
                    text: &spec[s..i],
                    column: spec[..s].chars().count() + 1,
                });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

/// Reads a `--link` value. `hosts` are the network's host names, in order.
pub fn parse(spec: &str, hosts: &[&str]) -> Result<Spec, SpecError> {
    let words = words(spec);
    if words.len() == 1 && words[0].text == "heal" {
        return Ok(Spec {
            clauses: Vec::new(),
            heal: true,
        });
    }
    let mut p = Parser {
        words: &words,
        at: 0,
        hosts,
    };
    let mut clauses: Vec<(usize, Clause)> = Vec::new();
    while p.at < words.len() {
        let start = p.at;
        let clause = p.clause()?;
        if let Some((first, _)) = clauses.iter().find(|(_, c)| repeats(c, &clause)) {
            let problem = Problem::Repeated(clause.rule.word(), words[*first].column);
            return Err(p.error(start, problem));
        }
        clauses.push((start, clause));
    }
    let clauses = clauses.into_iter().map(|(_, c)| c).collect();
    Ok(Spec {
        clauses,
        heal: false,
    })
}

/// Whether `later` says again what `earlier` said, for a way both cover: the same rule (a
/// second `loss`, `delay`, `mtu`…) on the same way, or on one way and both ways (`loss 5%,
/// a>b loss 6%`). Each would hold in turn — two losses compound, two delays add up — so the
/// student is asked to say it once. Scripted drops are the exception: `drop data 1, drop
/// data 2` strikes two segments; only the same script twice, or two `drop SYN N` (which first
/// N?), repeat.
fn repeats(earlier: &Clause, later: &Clause) -> bool {
    let overlap = match (&earlier.way, &later.way) {
        (Way::Both, _) | (_, Way::Both) => true,
        (a, b) => a == b,
    };
    let same = match (&earlier.rule, &later.rule) {
        (Rule::Drop(Scripted::Data(a)), Rule::Drop(Scripted::Data(b))) => a == b,
        (Rule::Drop(a), Rule::Drop(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    };
    overlap && same
}

impl Rule {
    /// The word a rule is written with (`loss`, `delay`…).
    pub fn word(&self) -> &'static str {
        match self {
            Rule::Delay { .. } => "delay",
            Rule::Loss { .. } => "loss",
            Rule::Drop(_) => "drop",
            Rule::Duplicate { .. } => "duplicate",
            Rule::Reorder { .. } => "reorder",
            Rule::Rate { .. } => "rate",
            Rule::Mtu(_) => "mtu",
            Rule::Partition => "partition",
        }
    }
}

/// The words of a spec being read, left to right.
struct Parser<'a> {
    words: &'a [Word<'a>],
    at: usize,
    hosts: &'a [&'a str],
}

impl<'a> Parser<'a> {
    fn clause(&mut self) -> Result<Clause, SpecError> {
        let way = self.way()?;
        let start = self.at;
        let rule = self.rule().map_err(|problem| self.error(start, problem))?;
        Ok(Clause { way, rule })
    }

    /// An error at the word `start`, quoting the words from there to where reading stopped.
    fn error(&self, start: usize, problem: Problem) -> SpecError {
        let start = start.min(self.words.len().saturating_sub(1));
        let end = self.at.clamp(start + 1, self.words.len());
        let words = self.words[start..end]
            .iter()
            .map(|w| w.text)
            .collect::<Vec<_>>()
            .join(" ");
        let column = self.words.get(start).map_or(1, |w| w.column);
        SpecError {
            column,
            words,
            problem,
        }
    }

    fn next(&mut self, what: &'static str) -> Result<&'a str, Problem> {
        let word = self.words.get(self.at).ok_or(Problem::Missing(what))?;
        self.at += 1;
        Ok(word.text)
    }

    /// The next word if it is `keyword` (then it is taken).
    fn take(&mut self, keyword: &str) -> bool {
        let found = self
            .words
            .get(self.at)
            .is_some_and(|w| w.text.eq_ignore_ascii_case(keyword));
        self.at += usize::from(found);
        found
    }

    /// `a>b` before a rule, or nothing (both ways).
    fn way(&mut self) -> Result<Way, SpecError> {
        let Some((from, to)) = self.words.get(self.at).and_then(|w| w.text.split_once('>')) else {
            return Ok(Way::Both);
        };
        let start = self.at;
        self.at += 1;
        let host = |name: &str| self.hosts.iter().position(|h| *h == name);
        match (host(from), host(to)) {
            (Some(from), Some(to)) if from != to => Ok(Way::From { from, to }),
            (None, _) => Err(self.error(start, Problem::NoHost(from.to_string()))),
            _ => Err(self.error(start, Problem::NoHost(to.to_string()))),
        }
    }

    fn rule(&mut self) -> Result<Rule, Problem> {
        let keyword = self.next("rule")?.to_ascii_lowercase();
        Ok(match keyword.as_str() {
            "delay" => {
                let base = duration(self.next("duration")?)?;
                let jitter = if self.take("jitter") {
                    duration(self.next("jitter")?)?
                } else {
                    Duration::ZERO
                };
                Rule::Delay { base, jitter }
            }
            "loss" => Rule::Loss {
                percent: percent(self.next("percent")?)?,
            },
            "duplicate" => Rule::Duplicate {
                percent: percent(self.next("percent")?)?,
            },
            "drop" => Rule::Drop(self.scripted()?),
            "reorder" => self.reorder()?,
            "rate" => self.rate()?,
            "mtu" => Rule::Mtu(mtu(self.next("bytes")?)?),
            "partition" => Rule::Partition,
            "heal" => return Err(Problem::HealAlone),
            _ => return Err(Problem::UnknownRule),
        })
    }

    fn scripted(&mut self) -> Result<Scripted, Problem> {
        let kind = self.next("data, SYN, FIN or RST")?.to_ascii_uppercase();
        let n = count(self.next("count")?)?;
        match kind.as_str() {
            "DATA" => Ok(Scripted::Data(n)),
            "SYN" => Ok(Scripted::Syn(n)),
            "FIN" => Ok(Scripted::Fin(n)),
            "RST" => Ok(Scripted::Rst(n)),
            _ => Err(Problem::BadKind),
        }
    }

    fn reorder(&mut self) -> Result<Rule, Problem> {
        let behind = count(self.next("count")?)?;
        let percent = match self.words.get(self.at) {
            Some(w) if w.text.ends_with('%') => percent(self.next("percent")?)?,
            _ => 100.0,
        };
        Ok(Rule::Reorder { behind, percent })
    }

    fn rate(&mut self) -> Result<Rule, Problem> {
        let bits_per_sec = rate(self.next("rate")?)?;
        let queue = if self.take("queue") {
            count(self.next("queue")?)? as usize
        } else {
            DEFAULT_QUEUE
        };
        Ok(Rule::Rate {
            bits_per_sec,
            queue,
        })
    }
}

/// A `rate` link's queue when none is given: Linux's default `txqueuelen` is 1000; a short
/// queue shows tail drop sooner.
pub const DEFAULT_QUEUE: usize = 100;

/// The most a delay (or jitter) may be: anything longer is a typo, and every delayed packet
/// is held in memory for that long.
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// `30ms`, `1s`, `250us`, `1.5s`.
fn duration(word: &str) -> Result<Duration, Problem> {
    let split = word
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or(Problem::BadDuration)?;
    let (number, unit) = word.split_at(split);
    let value: f64 = number.parse().map_err(|_| Problem::BadDuration)?;
    let seconds = match unit {
        "s" => value,
        "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        _ => return Err(Problem::BadDuration),
    };
    let ok = seconds.is_finite() && seconds >= 0.0 && seconds <= MAX_DELAY.as_secs_f64();
    ok.then(|| Duration::from_secs_f64(seconds))
        .ok_or(Problem::BadDuration)
}

/// `5%`, `0.5%`: from 0 to 100.
fn percent(word: &str) -> Result<f64, Problem> {
    let value: f64 = word
        .strip_suffix('%')
        .ok_or(Problem::BadPercent)?
        .parse()
        .map_err(|_| Problem::BadPercent)?;
    (value.is_finite() && (0.0..=100.0).contains(&value))
        .then_some(value)
        .ok_or(Problem::BadPercent)
}

/// A whole number from 1 to a million.
fn count(word: &str) -> Result<u32, Problem> {
    word.parse()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or(Problem::BadCount)
}

/// An MTU: IPv4's minimum (68) to lo's 65536.
fn mtu(word: &str) -> Result<usize, Problem> {
    word.parse()
        .ok()
        .filter(|n| (68..=65_536).contains(n))
        .ok_or(Problem::BadCount)
}

/// `1mbit`, `100kbit`, `2gbit`, `9600bit`.
fn rate(word: &str) -> Result<u64, Problem> {
    let lower = word.to_ascii_lowercase();
    let split = lower
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or(Problem::BadRate)?;
    let (number, unit) = lower.split_at(split);
    let value: f64 = number.parse().map_err(|_| Problem::BadRate)?;
    let scale = match unit {
        "bit" | "bps" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        _ => return Err(Problem::BadRate),
    };
    let bits = value * scale;
    (bits.is_finite() && (1_000.0..=100e9).contains(&bits))
        .then_some(bits as u64)
        .ok_or(Problem::BadRate)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: [&str; 2] = ["a", "b"];

    fn ok(spec: &str) -> Vec<Clause> {
        parse(spec, &HOSTS)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .clauses
    }

    fn err(spec: &str) -> SpecError {
        parse(spec, &HOSTS).expect_err(spec)
    }

    #[test]
    fn delay_and_loss_hold_both_ways() {
        let clauses = ok("delay 30ms loss 5%");
        assert_eq!(
            clauses[0],
            Clause {
                way: Way::Both,
                rule: Rule::Delay {
                    base: Duration::from_millis(30),
                    jitter: Duration::ZERO
                }
            }
        );
        assert_eq!(
            clauses[1],
            Clause {
                way: Way::Both,
                rule: Rule::Loss { percent: 5.0 }
            }
        );
    }

    #[test]
    fn a_direction_names_two_hosts() {
        let clauses = ok("a>b drop data 2, b>a delay 1s jitter 10ms");
        assert_eq!(
            clauses[0],
            Clause {
                way: Way::From { from: 0, to: 1 },
                rule: Rule::Drop(Scripted::Data(2))
            }
        );
        assert_eq!(clauses[1].way, Way::From { from: 1, to: 0 });
        assert!(clauses[0].way.holds(0, 1) && !clauses[0].way.holds(1, 0));
    }

    #[test]
    fn every_rule_reads() {
        let clauses = ok("duplicate 1% a>b reorder 2 b>a reorder 1 30% \
             rate 1mbit queue 10 mtu 576 partition drop SYN 3");
        let rules: Vec<Rule> = clauses.into_iter().map(|c| c.rule).collect();
        assert_eq!(
            rules,
            vec![
                Rule::Duplicate { percent: 1.0 },
                Rule::Reorder {
                    behind: 2,
                    percent: 100.0
                },
                Rule::Reorder {
                    behind: 1,
                    percent: 30.0
                },
                Rule::Rate {
                    bits_per_sec: 1_000_000,
                    queue: 10
                },
                Rule::Mtu(576),
                Rule::Partition,
                Rule::Drop(Scripted::Syn(3)),
            ]
        );
    }

    #[test]
    fn heal_alone_is_a_change() {
        assert!(parse("heal", &HOSTS).unwrap().heal);
        assert_eq!(err("loss 1% heal").problem, Problem::HealAlone);
    }

    #[test]
    fn loss_over_a_hundred_is_refused_at_its_column() {
        let e = err("delay 1ms loss 120%");
        assert_eq!(
            (e.column, e.words.as_str(), &e.problem),
            (11, "loss 120%", &Problem::BadPercent)
        );
    }

    /// `loss 5% loss 6%` would drop with both chances in turn: refused at the second, naming
    /// its word and the first's column. Each rule alike; one way and both ways overlap; two
    /// different ways, and two different `drop data N`, do not.
    #[test]
    fn the_same_rule_twice_for_a_way_is_refused_at_the_second() {
        let e = err("loss 5% loss 6%");
        assert_eq!(
            (e.column, e.words.as_str(), &e.problem),
            (9, "loss 6%", &Problem::Repeated("loss", 1))
        );
        crate::i18n::set(crate::i18n::Lang::En);
        let text = e.to_string();
        assert!(
            text.contains("column 9") && text.contains("'loss'"),
            "{text}"
        );
        for (spec, word) in [
            ("delay 1ms, a>b delay 2ms", "delay"),
            ("a>b loss 1% delay 3ms a>b loss 2%", "loss"),
            ("duplicate 1% duplicate 2%", "duplicate"),
            ("reorder 1 reorder 2", "reorder"),
            ("rate 1mbit rate 2mbit", "rate"),
            ("mtu 600 mtu 700", "mtu"),
            ("partition partition", "partition"),
            ("drop data 2 drop data 2", "drop"),
            ("drop SYN 1 drop SYN 3", "drop"),
        ] {
            assert!(
                matches!(err(spec).problem, Problem::Repeated(w, _) if w == word),
                "{spec}"
            );
        }
        for spec in [
            "a>b loss 1% b>a loss 2%",
            "b>a drop data 1, b>a drop data 2",
            "drop SYN 1 drop FIN 1",
        ] {
            assert!(parse(spec, &HOSTS).is_ok(), "{spec}");
        }
    }

    #[test]
    fn a_negative_delay_is_refused() {
        assert_eq!(err("delay -3ms").problem, Problem::BadDuration);
        assert_eq!(err("delay 3").problem, Problem::BadDuration);
        assert_eq!(err("delay 11s").problem, Problem::BadDuration);
    }

    #[test]
    fn a_host_that_does_not_exist_is_named() {
        let e = err("loss 1% a>c drop data 1");
        assert_eq!((e.column, e.problem), (9, Problem::NoHost("c".into())));
    }

    #[test]
    fn an_unknown_word_and_a_missing_value_are_refused() {
        assert_eq!(err("jitter 3ms").problem, Problem::UnknownRule);
        assert_eq!(err("delay").problem, Problem::Missing("duration"));
        assert_eq!(err("drop ack 1").problem, Problem::BadKind);
        assert_eq!(err("rate fast").problem, Problem::BadRate);
        assert_eq!(err("mtu 20").problem, Problem::BadCount);
    }

    #[test]
    fn an_error_says_its_column_and_words() {
        crate::i18n::set(crate::i18n::Lang::En);
        let text = err("delay 1ms loss 120%").to_string();
        assert!(text.contains("11") && text.contains("loss 120%"), "{text}");
    }

    #[test]
    fn a_huge_word_is_cut_in_the_error() {
        let spec = format!("loss {}%", "9".repeat(1_000_000));
        let text = err(&spec).to_string();
        assert!(text.len() < 300, "{} bytes", text.len());
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = err("delay 1ms ñ");
        assert_eq!(e.column, 11);
    }
}
