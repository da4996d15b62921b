//! lab's own line protocol: every message a UTF-8 line in the server's language (`--lang`),
//! marked so people and programs can tell them apart — `* ` a notice, `! ` an error,
//! `[private] ` a private message, `name (you): ` a user's own line (marked by the server,
//! which knows who sent it). Commands come in as typed (`:p bob hola`), parsed by
//! [`crate::chat::protocol::parse`].

use super::speech::{Conversation, Speech, Wire};
use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};
use crate::chat::words;

/// lab's line protocol (nc, telnet, `lab client`).
#[derive(Debug)]
pub struct Line;

impl Speech for Line {
    fn name(&self) -> &'static str {
        "line"
    }

    fn framed(&self) -> bool {
        true
    }

    fn echoes_own_line(&self) -> bool {
        true
    }

    fn one_message_per_recv(&self, _joined: bool) -> bool {
        false
    }

    fn words(&self, msg: &Msg) -> Vec<Wire> {
        vec![Wire::Framed(words::of(msg))]
    }

    fn conversation(&self) -> Box<dyn Conversation> {
        Box::new(Line)
    }

    fn typed(&self, text: &str) -> Vec<Vec<u8>> {
        vec![format!("{text}\n").into_bytes()]
    }

    fn joined(&self, received: &str, name: &str) -> bool {
        received.contains(&format!("Hi {name},"))
    }
}

impl Conversation for Line {
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
        room.hear(id, text)
    }
}

/// The mark a line of lab's protocol starts with, by what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `* `: the server tells something.
    Notice,
    /// `! `: something went wrong.
    Error,
    /// No mark (a user's line, a private message: marked otherwise).
    Plain,
}

impl Mark {
    const NOTICE: &'static str = "* ";
    const ERROR: &'static str = "! ";

    /// A line's mark, and the line after it.
    pub fn split(line: &str) -> (Mark, &str) {
        if let Some(rest) = line.strip_prefix(Mark::NOTICE) {
            (Mark::Notice, rest)
        } else if let Some(rest) = line.strip_prefix(Mark::ERROR) {
            (Mark::Error, rest)
        } else {
            (Mark::Plain, line)
        }
    }
}

/// The room's message in lab's words, without the mark its kind gets on a line: for a
/// dialect that marks its server's words its own way (seed 001's `[SERVER] `).
pub fn unmarked(msg: &Msg) -> String {
    let line = words::of(msg);
    Mark::split(&line).1.to_string()
}
