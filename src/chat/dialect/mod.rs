//! Dialects: the seeds' own chat clients in lab's room.
//!
//! Four of the course's reports ship a chat client of their own (`DIALECTS.md`). None of
//! their protocols frames its messages: each client sends one message per `send()` and reads
//! one message per `recv()`, and that works only while the two sides take turns or pause. A
//! dialect is a translation at the edge of the room, nothing more:
//!
//! - **in**: a client's bytes become messages — at a newline, *or when the client paused*
//!   ([`INPUT_PAUSE`] of silence after a chunk) — and then names, commands and answers for
//!   the [`Room`];
//! - **out**: the room's [`Msg`]s become that client's words. Lab's line clients get lines
//!   (`\n`, batched); the seeds' clients get each message alone ([`Wire::Alone`]): one
//!   `send()`, TCP_NODELAY, and [`OUTPUT_PAUSE`] between two messages to the same client, so
//!   that each arrives in its own `recv()`. The trace says so at every pause.
//!
//! The rules — names, who gets what, trades — stay the room's. Which dialect a client speaks
//! is told from its first bytes ([`Speaker`]): `USERNAME:` (poli), `CONNECT:` (chatbid), a
//! first line ending in `\n` (lab's line protocol). The other two, `el4005` (waits for a
//! greeting) and `stardew` (sends a bare name at once), look alike on the wire, so the server
//! is told which with `--dialect`; it still serves line clients beside them.

pub mod chatbid;
pub mod el4005;
pub mod line;
pub mod poli;
pub mod stardew;

use super::framing::{Frame, LineReader};
use super::message::Msg;
use super::protocol;
use super::room::{ClientId, Effect, Room};
use crate::i18n::{f, M};
use crate::trace::TracedSocket;
use std::time::{Duration, Instant};

/// How long a new client may take to speak first before it is greeted: the seeds' poli and
/// chatbid clients send their name right after `connect()`, and chatbid's quits on any
/// greeting it does not expect. On loopback they take well under a millisecond.
pub const FIRST_WORDS: Duration = Duration::from_millis(150);

/// Silence that ends an unframed message: a chunk followed by this long without more bytes.
pub const INPUT_PAUSE: Duration = Duration::from_millis(50);

/// The pause a client of an unframed dialect leaves between two messages (`lab client
/// --dialect`, `lab load --mix`): clearly longer than the [`INPUT_PAUSE`] the server takes as
/// the end of a message, so that a late wake-up on a busy machine does not glue two together.
pub const SENDER_PAUSE: Duration = Duration::from_millis(120);

/// The pause between two messages to a client whose protocol has no framing: without it, the
/// second can arrive before the client read the first, and one `recv()` returns both.
pub const OUTPUT_PAUSE: Duration = Duration::from_millis(50);

/// Bytes a new client may send before its dialect is decided (the longest marker is 9 bytes):
/// past them, no marker can come, and the bytes held stay bounded.
const FIRST_MAX: usize = 64;

/// A wire protocol a client may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Dialect {
    /// lab's own: UTF-8 lines ending in `\n` (nc, telnet, `lab client`).
    Line,
    /// Seed 000 (C, threads): `USERNAME:ana`, then lines.
    Poli,
    /// Seed 001 (Python, threads): a bare name, the artifact handshake, `:` commands.
    Stardew,
    /// Seed 002 (Python, select): greeted first, a bare nickname, `yes`/`no`.
    El4005,
    /// Seed 004 (Python, threads): `CONNECT:`, `MESSAGE:`, `DISCONNECT:`; `USER_LIST:`.
    Chatbid,
}

/// `lab server --dialect`: what the server expects of its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Choice {
    /// Tell poli, chatbid and line clients apart by their first bytes.
    #[default]
    Auto,
    /// Line clients only; greet at once (no waiting for a client to speak first).
    Line,
    /// As auto (poli is told by its first bytes).
    Poli,
    /// As auto, and a bare name followed by a pause is a stardew client.
    Stardew,
    /// As auto, and a client that stays silent is greeted as el4005's server greets.
    El4005,
    /// As auto (chatbid is told by its first bytes).
    Chatbid,
}

/// How one message goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// A line of lab's protocol (the `\n` is added); lines to one client may share a `send()`.
    Framed(String),
    /// A message of an unframed protocol: alone in its `send()`, paced.
    Alone(Vec<u8>),
}

impl Wire {
    /// A message of an unframed protocol, as its text.
    pub fn alone(text: impl Into<String>) -> Wire {
        Wire::Alone(text.into().into_bytes())
    }
}

impl Dialect {
    /// Its name, as `--dialect` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Line => "line",
            Dialect::Poli => "poli",
            Dialect::Stardew => "stardew",
            Dialect::El4005 => "el4005",
            Dialect::Chatbid => "chatbid",
        }
    }

    /// Every dialect, for tests and `lab load`.
    pub const ALL: [Dialect; 5] = [
        Dialect::Line,
        Dialect::Poli,
        Dialect::Stardew,
        Dialect::El4005,
        Dialect::Chatbid,
    ];

    /// Finds a dialect by name.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether its messages end only where the client paused (no newline to frame them).
    pub fn unframed(self) -> bool {
        self != Dialect::Line
    }

    /// The room's message in this dialect's words.
    pub fn words(self, msg: &Msg) -> Vec<Wire> {
        match self {
            Dialect::Line => vec![Wire::Framed(line::words(msg))],
            Dialect::Poli => poli::words(msg),
            Dialect::Stardew => stardew::words(msg),
            Dialect::El4005 => el4005::words(msg),
            Dialect::Chatbid => chatbid::words(msg),
        }
    }
}

/// Where a connection is in the dialect's handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Its dialect is not known yet: waiting (bounded) for its first bytes.
    Undecided { greeted: bool },
    /// Known; `step` counts the dialect's own handshake (stardew's questions).
    Speaking(Dialect, stardew::Step),
}

/// One connection's side of the dialect: how its bytes are framed, which dialect it speaks,
/// and where it is in that dialect's handshake. Owned by whoever reads the connection.
#[derive(Debug)]
pub struct Speaker {
    choice: Choice,
    phase: Phase,
    reader: LineReader,
    /// The first bytes, kept until they tell the dialect.
    first: Vec<u8>,
    /// When to act if nothing more arrives: greet a silent client, or end an unframed message.
    deadline: Option<Instant>,
}

impl Speaker {
    /// A new connection's speaker, accepted at `now`.
    pub fn new(choice: Choice, now: Instant) -> Speaker {
        let (phase, deadline) = match choice {
            Choice::Line => (Phase::Speaking(Dialect::Line, stardew::Step::Name), None),
            _ => (Phase::Undecided { greeted: false }, Some(now + FIRST_WORDS)),
        };
        Speaker {
            choice,
            phase,
            reader: LineReader::new(),
            first: Vec::new(),
            deadline,
        }
    }

    /// The dialect, once known.
    pub fn dialect(&self) -> Option<Dialect> {
        match self.phase {
            Phase::Speaking(d, _) => Some(d),
            Phase::Undecided { .. } => None,
        }
    }

    /// The words to use for this client now: its dialect, or the one it was greeted in.
    pub fn output(&self) -> Dialect {
        self.dialect().unwrap_or(match self.choice {
            Choice::El4005 => Dialect::El4005,
            _ => Dialect::Line,
        })
    }

    /// Whether the deadline is the wait for the client's first words (nothing heard yet, its
    /// dialect to be told from them): a poll() that ends on it is explained so in the trace.
    pub fn awaits_first_words(&self) -> bool {
        matches!(self.phase, Phase::Undecided { greeted: false }) && self.first.is_empty()
    }

    /// Whether the server should greet this client at once (line only: nothing to wait for).
    pub fn greets_at_once(&self) -> bool {
        self.choice == Choice::Line
    }

    /// When [`Speaker::tick`] must run if no bytes arrive before.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Bytes held for a message not yet ended (bounded by the line limit).
    pub fn pending(&self) -> usize {
        self.reader.pending() + self.first.len()
    }

    /// Bytes arrived from the client: the room's effects of every message they end.
    pub fn hear(
        &mut self,
        room: &mut Room,
        id: ClientId,
        data: &[u8],
        now: Instant,
    ) -> Vec<Effect> {
        let mut fx = Vec::new();
        let mut frames = Vec::new();
        match self.phase {
            Phase::Undecided { greeted } => {
                self.first.extend_from_slice(data);
                let Some(d) = self.detect(false) else {
                    self.deadline = Some(now + INPUT_PAUSE);
                    return fx;
                };
                let held = self.decide(d, greeted, id, &mut fx);
                self.reader.push(&held, &mut frames);
            }
            Phase::Speaking(..) => self.reader.push(data, &mut frames),
        }
        for frame in frames {
            fx.extend(self.message(room, id, frame));
        }
        self.deadline = match self.dialect() {
            Some(d) if d.unframed() && self.reader.pending() > 0 => Some(now + INPUT_PAUSE),
            _ => None,
        };
        fx
    }

    /// Time passed with no bytes: greet a client that has not spoken, or end the message a
    /// client paused after.
    pub fn tick(&mut self, room: &mut Room, id: ClientId, now: Instant) -> Vec<Effect> {
        if self.deadline.is_none_or(|d| now < d) {
            return Vec::new();
        }
        self.deadline = None;
        let mut fx = Vec::new();
        match self.phase {
            Phase::Undecided { greeted: false } if self.first.is_empty() => {
                self.phase = Phase::Undecided { greeted: true };
                fx.push(Effect::To(id, Msg::Welcome));
            }
            Phase::Undecided { greeted } => {
                // A first chunk and then silence: it said all it will say for now.
                let d = self.detect(true).unwrap_or(Dialect::Line);
                let data = self.decide(d, greeted, id, &mut fx);
                self.reader.push(&data, &mut Vec::new());
                fx.extend(self.flush_partial(room, id));
            }
            Phase::Speaking(..) => fx.extend(self.flush_partial(room, id)),
        }
        fx
    }

    /// Which dialect the first bytes tell; `paused`: the client stopped after them.
    fn detect(&self, paused: bool) -> Option<Dialect> {
        let b = &self.first;
        let marker = |m: &[u8]| b.starts_with(m);
        let maybe = |m: &[u8]| m.starts_with(b);
        if marker(poli::HELLO) {
            return Some(Dialect::Poli);
        }
        if marker(chatbid::HELLO) {
            return Some(Dialect::Chatbid);
        }
        if b.contains(&b'\n') {
            return Some(Dialect::Line);
        }
        if !paused && (maybe(poli::HELLO) || maybe(chatbid::HELLO) || b.len() < FIRST_MAX) {
            return None;
        }
        Some(match self.choice {
            Choice::Stardew => Dialect::Stardew,
            Choice::El4005 => Dialect::El4005,
            _ => Dialect::Line,
        })
    }

    /// The dialect is known: a line client not greeted yet is greeted now; returns the bytes
    /// held so far, to be framed as the dialect frames.
    fn decide(&mut self, d: Dialect, greeted: bool, id: ClientId, fx: &mut Vec<Effect>) -> Vec<u8> {
        self.phase = Phase::Speaking(d, stardew::Step::Name);
        if d == Dialect::Line && !greeted {
            fx.push(Effect::To(id, Msg::Welcome));
        }
        let mut data = std::mem::take(&mut self.first);
        // Poli's and chatbid's clients send their name alone, right after connect(): it ends
        // at the first newline or at the end of the chunk that carried it.
        if matches!(d, Dialect::Poli | Dialect::Chatbid) && !data.contains(&b'\n') {
            data.push(b'\n');
        }
        data
    }

    /// The client paused: what it sent since its last message is a message.
    fn flush_partial(&mut self, room: &mut Room, id: ClientId) -> Vec<Effect> {
        match self.reader.take_partial() {
            Some(frame) => self.message(room, id, frame),
            None => Vec::new(),
        }
    }

    /// One whole message, in this connection's dialect.
    fn message(&mut self, room: &mut Room, id: ClientId, frame: Frame) -> Vec<Effect> {
        let Phase::Speaking(d, step) = self.phase else {
            return Vec::new();
        };
        let text = match &frame {
            Frame::Line(bytes) => protocol::sanitize(bytes),
            Frame::TooLong => return room.receive(id, frame),
        };
        match d {
            Dialect::Line => room.hear(id, &text),
            Dialect::Poli => poli::heard(room, id, &text),
            Dialect::El4005 => el4005::heard(room, id, &text),
            Dialect::Chatbid => chatbid::heard(room, id, &text),
            Dialect::Stardew => {
                let (next, fx) = stardew::heard(room, id, step, &text);
                self.phase = Phase::Speaking(d, next);
                fx
            }
        }
    }
}

/// Says in the trace why a message to `sock` waited: the pause is the protocol's framing.
pub fn note_pause(sock: &TracedSocket, waited: Duration) {
    if let Some(t) = sock.tracer() {
        t.note(&sock.actor(), &f(M::PacedPause, &[&waited.as_millis()]));
    }
}

/// A name that may be given only once (poli and chatbid clients send it once, at connect):
/// refused, the client is told in its own words and let go.
fn name_once(room: &mut Room, id: ClientId, name: &str) -> Vec<Effect> {
    let mut fx = room.hear(id, name);
    if !room.is_registered(id) {
        fx.push(Effect::Close(id));
    }
    fx
}

/// What a client of `dialect` sends, seen from the client's side: `lab client --dialect` and
/// `lab load` speak each seed's protocol with these.
pub mod client {
    use super::{chatbid, el4005, poli, stardew, Dialect};

    /// Sent right after `connect()`, before anything is read (none: wait to be greeted).
    pub fn hello(d: Dialect, name: &str) -> Option<Vec<u8>> {
        match d {
            Dialect::Line | Dialect::El4005 => None,
            Dialect::Poli => Some([poli::HELLO, name.as_bytes()].concat()),
            Dialect::Chatbid => Some([chatbid::HELLO, name.as_bytes()].concat()),
            Dialect::Stardew => Some(name.as_bytes().to_vec()),
        }
    }

    /// What the client sends for one typed line (each element is one `send()`).
    pub fn typed(d: Dialect, text: &str) -> Vec<Vec<u8>> {
        match d {
            Dialect::Line | Dialect::Poli => vec![format!("{text}\n").into_bytes()],
            Dialect::Stardew | Dialect::El4005 => vec![text.as_bytes().to_vec()],
            Dialect::Chatbid => chatbid::typed(text),
        }
    }

    /// The reply a seed's client gives, unasked by its user, to a message: el4005's nickname
    /// after the greeting, stardew's answers (`hand`, then `si`). Used by `lab load`.
    pub fn answer(d: Dialect, received: &str, name: &str, hand: &str) -> Option<Vec<u8>> {
        match d {
            Dialect::El4005 if received == el4005::GREETING => Some(name.as_bytes().to_vec()),
            Dialect::Stardew if received == stardew::ASK_HAND => Some(hand.as_bytes().to_vec()),
            Dialect::Stardew if received == stardew::IS_IT_RIGHT => Some(b"si".to_vec()),
            _ => None,
        }
    }

    /// The messages in one `recv()` of a client that received several together: cut before
    /// each message the handshake knows (stardew's questions, el4005's answer, chatbid's
    /// types). A seed's own client does not do this; lab's load generator must not hang.
    pub fn split_glued(d: Dialect, received: &str) -> Vec<&str> {
        let marks: &[&str] = match d {
            Dialect::Stardew => &[
                stardew::WELCOME,
                stardew::ASK_HAND,
                stardew::IS_IT_RIGHT,
                stardew::OK,
                "[SERVER] ",
            ],
            Dialect::Chatbid => &[chatbid::USER_LIST, chatbid::MESSAGE, chatbid::DISCONNECT],
            Dialect::El4005 => &[el4005::GREETING],
            Dialect::Line | Dialect::Poli => &[],
        };
        let mut cuts: Vec<usize> = marks
            .iter()
            .flat_map(|m| received.match_indices(m).map(|(i, _)| i))
            .filter(|i| *i > 0)
            .collect();
        if d == Dialect::El4005 && received.starts_with(el4005::ACCEPTED) && received.len() > 2 {
            cuts.push(el4005::ACCEPTED.len());
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut parts = Vec::new();
        let mut from = 0;
        for cut in cuts {
            parts.push(&received[from..cut]);
            from = cut;
        }
        parts.push(&received[from..]);
        parts
    }

    /// Whether a message tells client `name` it may chat now (lab's line server: its `Hi`).
    pub fn joined(d: Dialect, received: &str, name: &str) -> bool {
        match d {
            Dialect::Line => received.contains(&format!("Hi {name},")),
            Dialect::Poli => received.starts_with("Hi ") && received.contains(poli::WELCOME_TAIL),
            Dialect::Stardew => received == stardew::OK,
            Dialect::El4005 => received == el4005::ACCEPTED,
            Dialect::Chatbid => received.starts_with(chatbid::USER_LIST),
        }
    }
}

#[cfg(test)]
mod tests;
