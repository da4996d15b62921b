//! Seed 000's protocol ("Poli Chat", C, one thread per client, port 8888).
//!
//! - in: `USERNAME:<name>` with no newline, sent alone right after `connect()`; then every
//!   typed line with its `\n`. A line starting with `chao` or `bye` quits.
//! - out: `Hi <name>!! Welcome to the Poli Chat!!\n`; `User "<name>" has joined the chat\n`
//!   and `… has left the chat\n`; every message as `<name>: <text>\n` to everyone, the
//!   sender included — its client recognises `<own name>: ` at the start of a `recv()` and
//!   shows it as `(you):`. That check looks only at the start of each `recv()`, which is why
//!   each message goes alone.

use super::{line, name_once, Wire};
use crate::chat::message::Msg;
use crate::chat::protocol::Command;
use crate::chat::room::{ClientId, Effect, Room};

/// The first bytes of a poli client.
pub const HELLO: &[u8] = b"USERNAME:";

/// How the welcome line ends (after the name).
pub const WELCOME_TAIL: &str = "!! Welcome to the Poli Chat!!";

/// The room's message in seed 000's words.
pub fn words(msg: &Msg) -> Vec<Wire> {
    let text = match msg {
        // The client speaks first; its user is never asked for a name.
        Msg::Welcome | Msg::Dealt(_) => return Vec::new(),
        Msg::BadName(why) => format!("Username refused: {why}. Connect again with another one."),
        Msg::NameTaken(name) => {
            format!("Username \"{name}\" is already taken. Connect again with another one.")
        }
        Msg::Hi { name, .. } => format!("Hi {name}{WELCOME_TAIL}"),
        Msg::Joined { name, .. } => format!("User \"{name}\" has joined the chat"),
        Msg::Left { name, .. } => format!("User \"{name}\" has left the chat"),
        Msg::Said { from, text } | Msg::Mine { from, text } => format!("{from}: {text}"),
        other => line::words(other),
    };
    vec![Wire::alone(format!("{text}\n"))]
}

/// Seed 000's goodbye: its client quits on any line that starts with `chao` or `bye`
/// (`strncmp`), and so does lab's side of it.
pub fn is_goodbye(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    lower.starts_with("chao") || lower.starts_with("bye")
}

/// One message from a poli client.
pub fn heard(room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
    if !room.is_registered(id) {
        let name = text.trim();
        return name_once(
            room,
            id,
            name.strip_prefix("USERNAME:").unwrap_or(name).trim(),
        );
    }
    if is_goodbye(text) {
        return room.command(id, Command::Quit);
    }
    room.hear(id, text)
}
