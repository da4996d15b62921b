//! One connection's side of the dialects: how its bytes are framed, which dialect it speaks
//! (told from its first bytes, by walking the dialects' hello markers), and its conversation
//! in that dialect. Owned by whoever reads the connection.

use super::speech::Conversation;
use super::{Choice, Dialect, FIRST_WORDS, INPUT_PAUSE};
use crate::chat::framing::{Frame, LineReader};
use crate::chat::message::Msg;
use crate::chat::protocol;
use crate::chat::room::{ClientId, Effect, Room};
use std::time::Instant;

/// Bytes a new client may send before its dialect is decided (the longest marker is 9 bytes):
/// past them, no marker can come, and the bytes held stay bounded.
pub(crate) const FIRST_MAX: usize = 64;

/// Where a connection is with its dialect.
#[derive(Debug)]
enum Phase {
    /// Its dialect is not known yet: waiting (bounded) for its first bytes.
    Undecided { greeted: bool },
    /// Known; the conversation keeps the dialect's own handshake.
    Speaking(Dialect, Box<dyn Conversation>),
}

/// One connection's side of the dialect.
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
            Choice::Line => (
                Phase::Speaking(Dialect::Line, Dialect::Line.speech().conversation()),
                None,
            ),
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

    /// The words to use for this client now: its dialect, or the one it was greeted in (a
    /// silent client is greeted as el4005's server greets when the server was told so).
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
        // The pause that ends a pending unframed message passed before these bytes were read:
        // the thread woke late (a busy machine), and an on-time one would have ended that
        // message at the pause, before reading on. It ends first, as `tick` ends it; glued to
        // these bytes it would be one message where the client sent two.
        let overdue = self.deadline.is_some_and(|d| now >= d);
        let mut fx = if overdue && matches!(self.phase, Phase::Speaking(..)) {
            self.tick(room, id, now)
        } else {
            Vec::new()
        };
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

    /// Which dialect the first bytes tell, walking the dialects' hello markers; `paused`: the
    /// client stopped after them.
    fn detect(&self, paused: bool) -> Option<Dialect> {
        let b = &self.first;
        let markers = Dialect::ALL
            .into_iter()
            .filter_map(|d| Some((d, d.speech().hello_marker()?)));
        let mut may_come = false;
        for (d, marker) in markers {
            if b.starts_with(marker) {
                return Some(d);
            }
            may_come |= marker.starts_with(b);
        }
        if b.contains(&b'\n') {
            return Some(Dialect::Line);
        }
        if !paused && (may_come || b.len() < FIRST_MAX) {
            return None;
        }
        Some(self.choice.unmarked())
    }

    /// The dialect is known: a line client not greeted yet is greeted now; returns the bytes
    /// held so far, to be framed as the dialect frames.
    fn decide(&mut self, d: Dialect, greeted: bool, id: ClientId, fx: &mut Vec<Effect>) -> Vec<u8> {
        let speech = d.speech();
        self.phase = Phase::Speaking(d, speech.conversation());
        if d == Dialect::Line && !greeted {
            fx.push(Effect::To(id, Msg::Welcome));
        }
        let mut data = std::mem::take(&mut self.first);
        // A client told by its marker sends its name alone, right after connect(): it ends at
        // the first newline or at the end of the chunk that carried it.
        if speech.hello_marker().is_some() && !data.contains(&b'\n') {
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
        let Phase::Speaking(_, talk) = &mut self.phase else {
            return Vec::new();
        };
        match &frame {
            Frame::Line(bytes) => talk.heard(room, id, &protocol::sanitize(bytes)),
            Frame::TooLong => room.receive(id, frame),
        }
    }
}
