//! Seed 002's protocol ("the best chat in the universe", Python, `select`, port 9998).
//!
//! - The server speaks first: `Welcome to the best chat in the universe!` (no newline); the
//!   client waits for it before asking its user for a nickname.
//! - in: the bare nickname, no newline; then each input as one `send()`. Commands, exact:
//!   `:q`, `:h`, `:i`, `:add`, `:p-<name>-<text>`.
//! - out: `yes` (taken: the client asks again) or `no` (accepted), alone in that `recv()`.
//!   Then lines ending in `\n`: its client reads the socket only after its user pressed Enter
//!   (a blocking `input()`), so messages pile up in its buffer and only newlines keep them
//!   apart. Messages show as the client's own prompt does, `<ana>: hola`; private ones as
//!   `<Mensaje privado de: ana>: hola`. (The seed's server never relayed plain messages: a bug.)

use super::speech::{cut_before, Conversation, Speech, Wire};
use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};
use crate::chat::words;

/// Seed 002's protocol.
#[derive(Debug)]
pub struct El4005;

/// The greeting the client waits for.
pub const GREETING: &str = "Welcome to the best chat in the universe!";

/// The answer to a nickname that was accepted ("in use? no").
pub const ACCEPTED: &str = "no";

/// The answer to a nickname that cannot be used ("in use? yes": the client asks again).
pub const REFUSED: &str = "yes";

impl Speech for El4005 {
    fn name(&self) -> &'static str {
        "el4005"
    }

    /// The greeting and its answer go alone; after them, lines.
    fn one_message_per_recv(&self, joined: bool) -> bool {
        !joined
    }

    fn words(&self, msg: &Msg) -> Vec<Wire> {
        let text = match msg {
            Msg::Welcome => return vec![Wire::alone(GREETING)],
            // Its client knows one answer other than "no": "yes", and asks again.
            Msg::BadName(_) | Msg::NameTaken(_) => return vec![Wire::alone(REFUSED)],
            Msg::Hi { .. } => return vec![Wire::alone(ACCEPTED)],
            // The seed has no artifact game, and the client already shows its own lines.
            Msg::Dealt(_) | Msg::Mine { .. } => return Vec::new(),
            Msg::Said { from, text } => format!("<{from}>: {text}"),
            Msg::PrivateIn { from, text } => format!("<Mensaje privado de: {from}>: {text}"),
            other => words::of(other),
        };
        vec![Wire::alone(format!("{text}\n"))]
    }

    fn conversation(&self) -> Box<dyn Conversation> {
        Box::new(El4005)
    }

    fn answer(&self, received: &str, name: &str, _hand: &str) -> Option<Vec<u8>> {
        (received == GREETING).then(|| name.as_bytes().to_vec())
    }

    fn joined(&self, received: &str, _name: &str) -> bool {
        received == ACCEPTED
    }

    /// The greeting, and a `no` with the first lines after it.
    fn split_glued<'a>(&self, received: &'a str) -> Vec<&'a str> {
        let after_no =
            (received.starts_with(ACCEPTED) && received.len() > 2).then_some(ACCEPTED.len());
        cut_before(received, &[GREETING], after_no)
    }
}

/// Its nickname, then commands and messages: all the room's own.
impl Conversation for El4005 {
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
        room.hear(id, text)
    }
}
