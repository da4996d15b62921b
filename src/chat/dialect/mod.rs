//! Dialects: the seeds' own chat clients in lab's room.
//!
//! Four of the course's reports ship a chat client of their own (`DIALECTS.md`). None of
//! their protocols frames its messages: each client sends one message per `send()` and reads
//! one message per `recv()`, and that works only while the two sides take turns or pause. A
//! dialect is a translation at the edge of the room, nothing more:
//!
//! - **in**: a client's bytes become messages — at a newline, *or when the client paused*
//!   ([`INPUT_PAUSE`] of silence after a chunk) — and then names, commands and answers for
//!   the room;
//! - **out**: the room's messages become that client's words. Lab's line clients get lines
//!   (`\n`, batched); the seeds' clients get each message alone ([`Wire::Alone`]): one
//!   `send()`, TCP_NODELAY, and [`OUTPUT_PAUSE`] between two messages to the same client, so
//!   that each arrives in its own `recv()`. The trace says so at every pause.
//!
//! The rules — names, who gets what, trades — stay the room's. Each dialect is one file:
//! both sides of its protocol behind [`speech::Speech`] (its words, its handshake, what its
//! client sends). Which dialect a client speaks is told from its first bytes
//! ([`speaker::Speaker`]): `USERNAME:` (poli), `CONNECT:` (chatbid), a first line ending in
//! `\n` (lab's line protocol). The other two, `el4005` (waits for a greeting) and `stardew`
//! (sends a bare name at once), look alike on the wire, so the server is told which with
//! `--dialect`; it still serves line clients beside them.

mod chatbid;
mod el4005;
pub(crate) mod line;
mod poli;
pub mod speaker;
pub mod speech;
mod stardew;

use crate::chat::message::Msg;
use crate::i18n::{f, M};
use crate::trace::TracedSocket;
pub use speech::{Speech, Wire};
use std::time::Duration;

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

impl Choice {
    /// The dialect a client with no marker speaks, when the server was told (stardew and
    /// el4005 look alike on the wire); else lab's lines.
    pub fn unmarked(self) -> Dialect {
        match self {
            Choice::Stardew => Dialect::Stardew,
            Choice::El4005 => Dialect::El4005,
            Choice::Auto | Choice::Line | Choice::Poli | Choice::Chatbid => Dialect::Line,
        }
    }
}

impl Dialect {
    /// Every dialect, for detection, tests and `lab load`.
    pub const ALL: [Dialect; 5] = [
        Dialect::Line,
        Dialect::Poli,
        Dialect::Stardew,
        Dialect::El4005,
        Dialect::Chatbid,
    ];

    /// Both sides of its protocol: the one place a dialect is looked up.
    pub fn speech(self) -> &'static dyn Speech {
        match self {
            Dialect::Line => &line::Line,
            Dialect::Poli => &poli::Poli,
            Dialect::Stardew => &stardew::Stardew,
            Dialect::El4005 => &el4005::El4005,
            Dialect::Chatbid => &chatbid::Chatbid,
        }
    }

    /// Its name, as `--dialect` spells it.
    pub fn name(self) -> &'static str {
        self.speech().name()
    }

    /// Finds a dialect by name.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether its messages end only where the client paused (no newline to frame them).
    pub fn unframed(self) -> bool {
        !self.speech().framed()
    }

    /// The room's message in this dialect's words.
    pub fn words(self, msg: &Msg) -> Vec<Wire> {
        self.speech().words(msg)
    }
}

/// Says in the trace why a message to `sock` waited: the pause is the protocol's framing.
pub fn note_pause(sock: &TracedSocket, waited: Duration) {
    if let Some(t) = sock.tracer() {
        t.note(&sock.actor(), &f(M::PacedPause, &[&waited.as_millis()]));
    }
}

#[cfg(test)]
mod tests;
