//! What a dialect is: both sides of one wire protocol, in one value.
//!
//! A dialect file holds everything about its protocol — what its client sends and how it is
//! told apart, what the room's messages become in its words, its own handshake — behind the
//! [`Speech`] trait. Nothing outside the file knows a dialect's words: the server asks its
//! [`Speech`], the client and `lab load` ask the same one.

use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};
use std::fmt::Debug;

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

/// One wire protocol, both sides: the server's (how a client's messages reach the room, and
/// the room's messages become the client's words) and the client's (what `lab client
/// --dialect` and `lab load` send, and what tells them they are in).
pub trait Speech: Sync {
    /// Its name, as `--dialect` spells it.
    fn name(&self) -> &'static str;

    /// The first bytes its client sends, when they tell it apart from every other dialect
    /// (`USERNAME:`, `CONNECT:`). Such a client sends its name alone, right after `connect()`:
    /// the name ends at the first newline or at the end of the chunk that carried it.
    fn hello_marker(&self) -> Option<&'static [u8]> {
        None
    }

    /// Whether its messages end at a newline (lab's lines); else they end where the client
    /// paused, and each message to it goes alone, paced.
    fn framed(&self) -> bool {
        false
    }

    /// What its user types to leave.
    fn quit_word(&self) -> &'static str {
        ":q"
    }

    /// Whether a typed line says goodbye in this dialect's own way (besides lab's `:q`).
    fn is_goodbye(&self, _typed: &str) -> bool {
        false
    }

    /// Whether its client is sent its own lines back (lab marks them `(you)`, seed 000 echoes
    /// them; the other seeds' clients show their own lines themselves).
    fn echoes_own_line(&self) -> bool {
        false
    }

    /// Whether its client takes one `recv()` as one message (`joined`: the handshake is over);
    /// else it reads lines.
    fn one_message_per_recv(&self, _joined: bool) -> bool {
        true
    }

    /// The room's message in this dialect's words.
    fn words(&self, msg: &Msg) -> Vec<Wire>;

    /// A new connection's side of the conversation, with its own handshake state.
    fn conversation(&self) -> Box<dyn Conversation>;

    /// Client side: sent right after `connect()`, before anything is read (none: wait to be
    /// greeted).
    fn hello(&self, _name: &str) -> Option<Vec<u8>> {
        None
    }

    /// Client side: what is sent for one typed line (each element is one `send()`).
    fn typed(&self, text: &str) -> Vec<Vec<u8>> {
        vec![text.as_bytes().to_vec()]
    }

    /// Client side: the reply a seed's client gives, unasked by its user, to a message
    /// (el4005's nickname after the greeting, stardew's answers). Used by `lab load`.
    fn answer(&self, _received: &str, _name: &str, _hand: &str) -> Option<Vec<u8>> {
        None
    }

    /// Client side: whether a message tells client `name` it may chat now.
    fn joined(&self, received: &str, name: &str) -> bool;

    /// Client side: the messages in one `recv()` of a client that received several together,
    /// cut before each message the handshake knows. A seed's own client does not do this;
    /// lab's load generator must not hang.
    fn split_glued<'a>(&self, received: &'a str) -> Vec<&'a str> {
        vec![received]
    }
}

/// One connection's conversation in its dialect: what each of its whole messages does in the
/// room. A dialect with a handshake keeps where it is here.
pub trait Conversation: Send + Debug {
    /// One whole, cleaned message from client `id`.
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect>;
}

/// `received` cut before every occurrence of each of `marks` (not at its start), and at `more`.
pub fn cut_before<'a>(received: &'a str, marks: &[&str], more: Option<usize>) -> Vec<&'a str> {
    let mut cuts: Vec<usize> = marks
        .iter()
        .flat_map(|m| received.match_indices(m).map(|(i, _)| i))
        .chain(more)
        .filter(|i| *i > 0)
        .collect();
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

/// A name that may be given only once, after the dialect's `marker` (poli and chatbid clients
/// send it once, at connect): refused, the client is told in its own words and let go.
pub fn name_once(room: &mut Room, id: ClientId, text: &str, marker: &str) -> Vec<Effect> {
    let name = text.trim();
    let name = name.strip_prefix(marker).unwrap_or(name).trim();
    let mut fx = room.hear(id, name);
    if !room.is_registered(id) {
        fx.push(Effect::Close(id));
    }
    fx
}
