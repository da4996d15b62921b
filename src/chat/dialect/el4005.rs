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

use super::{line, Wire};
use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};

/// The greeting the client waits for.
pub const GREETING: &str = "Welcome to the best chat in the universe!";

/// The answer to a nickname that was accepted ("in use? no").
pub const ACCEPTED: &str = "no";

/// The answer to a nickname that cannot be used ("in use? yes": the client asks again).
pub const REFUSED: &str = "yes";

/// The room's message in seed 002's words.
pub fn words(msg: &Msg) -> Vec<Wire> {
    let text = match msg {
        Msg::Welcome => return vec![Wire::alone(GREETING)],
        // Its client knows one answer other than "no": "yes", and asks again.
        Msg::BadName(_) | Msg::NameTaken(_) => return vec![Wire::alone(REFUSED)],
        Msg::Hi { .. } => return vec![Wire::alone(ACCEPTED)],
        // The seed has no artifact game, and the client already shows its own lines.
        Msg::Dealt(_) | Msg::Mine { .. } => return Vec::new(),
        Msg::Said { from, text } => format!("<{from}>: {text}"),
        Msg::PrivateIn { from, text } => format!("<Mensaje privado de: {from}>: {text}"),
        other => line::words(other),
    };
    vec![Wire::alone(format!("{text}\n"))]
}

/// One message from an el4005 client: its nickname, then commands and messages.
pub fn heard(room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
    room.hear(id, text)
}
