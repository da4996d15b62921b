//! Seed 000's protocol ("Poli Chat", C, one thread per client, port 8888).
//!
//! - in: `USERNAME:<name>` with no newline, sent alone right after `connect()`; then every
//!   typed line with its `\n`. A line starting with `chao` or `bye` quits.
//! - out: `Hi <name>!! Welcome to the Poli Chat!!\n`; `User "<name>" has joined the chat\n`
//!   and `… has left the chat\n`; every message as `<name>: <text>\n` to everyone, the
//!   sender included — its client recognises `<own name>: ` at the start of a `recv()` and
//!   shows it as `(you):`. That check looks only at the start of each `recv()`, which is why
//!   each message goes alone.

use super::speech::{name_once, Conversation, Speech, Wire};
use crate::chat::message::Msg;
use crate::chat::protocol::Command;
use crate::chat::room::{ClientId, Effect, Room};
use crate::chat::words;

/// Seed 000's protocol.
#[derive(Debug)]
pub struct Poli;

/// The first bytes of a poli client.
pub const HELLO: &str = "USERNAME:";

/// How the welcome line ends (after the name).
pub const WELCOME_TAIL: &str = "!! Welcome to the Poli Chat!!";

impl Speech for Poli {
    fn name(&self) -> &'static str {
        "poli"
    }

    fn hello_marker(&self) -> Option<&'static [u8]> {
        Some(HELLO.as_bytes())
    }

    fn quit_word(&self) -> &'static str {
        "bye"
    }

    /// Its client quits on any line that starts with `chao` or `bye` (`strncmp`), and so does
    /// lab's side of it.
    fn is_goodbye(&self, typed: &str) -> bool {
        let lower = typed.trim_start().to_lowercase();
        lower.starts_with("chao") || lower.starts_with("bye")
    }

    fn echoes_own_line(&self) -> bool {
        true
    }

    /// Every message it is sent ends in `\n`: it reads lines.
    fn one_message_per_recv(&self, _joined: bool) -> bool {
        false
    }

    fn words(&self, msg: &Msg) -> Vec<Wire> {
        let text = match msg {
            // The client speaks first; its user is never asked for a name.
            Msg::Welcome | Msg::Dealt(_) => return Vec::new(),
            Msg::BadName(why) => {
                format!("Username refused: {why}. Connect again with another one.")
            }
            Msg::NameTaken(name) => {
                format!("Username \"{name}\" is already taken. Connect again with another one.")
            }
            Msg::Hi { name, .. } => format!("Hi {name}{WELCOME_TAIL}"),
            Msg::Joined { name, .. } => format!("User \"{name}\" has joined the chat"),
            Msg::Left { name, .. } => format!("User \"{name}\" has left the chat"),
            Msg::Said { from, text } | Msg::Mine { from, text } => format!("{from}: {text}"),
            other => words::of(other),
        };
        vec![Wire::alone(format!("{text}\n"))]
    }

    fn conversation(&self) -> Box<dyn Conversation> {
        Box::new(Poli)
    }

    fn hello(&self, name: &str) -> Option<Vec<u8>> {
        Some(format!("{HELLO}{name}").into_bytes())
    }

    fn typed(&self, text: &str) -> Vec<Vec<u8>> {
        vec![format!("{text}\n").into_bytes()]
    }

    fn joined(&self, received: &str, _name: &str) -> bool {
        received.starts_with("Hi ") && received.contains(WELCOME_TAIL)
    }
}

impl Conversation for Poli {
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
        if !room.is_registered(id) {
            return name_once(room, id, text, HELLO);
        }
        if self.is_goodbye(text) {
            return room.command(id, Command::Quit);
        }
        room.hear(id, text)
    }
}
