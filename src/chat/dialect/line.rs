//! lab's own line protocol: every message a UTF-8 line in the server's language (`--lang`),
//! marked so people and programs can tell them apart — `* ` a notice, `! ` an error,
//! `[private] ` a private message, `name (you): ` a user's own line (marked by the server,
//! which knows who sent it). Commands come in as typed (`:p bob hola`), parsed by
//! [`crate::chat::protocol::parse`].

use super::speech::{Conversation, Speech, Wire};
use crate::chat::artifacts;
use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};
use crate::i18n::{self, f, t, M};

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
        vec![Wire::Framed(words(msg))]
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

/// The room's message as one line of lab's protocol (without its `\n`).
pub fn words(msg: &Msg) -> String {
    match msg {
        Msg::Welcome => t(M::RoomWelcome).into(),
        Msg::BadName(why) => f(M::RoomBadName, &[why]),
        Msg::NameTaken(name) => f(M::RoomNameTaken, &[name]),
        Msg::Hi { name, others, .. } => f(M::RoomHi, &[name, others]),
        Msg::Dealt(hand) if hand.is_empty() => t(M::RoomDeckEmpty).into(),
        Msg::Hand(hand) if hand.is_empty() => t(M::RoomNoArtifacts).into(),
        Msg::Dealt(hand) | Msg::Hand(hand) => {
            f(M::RoomYourArtifacts, &[&labels(hand, i18n::lang())])
        }
        Msg::Artifact(id) => artifact(*id, i18n::lang()),
        Msg::Joined { name, .. } => f(M::RoomJoined, &[name]),
        Msg::Left { name, why, .. } => f(M::RoomLeft, &[name, &why.words()]),
        Msg::Said { from, text } => format!("{from}: {text}"),
        Msg::Mine { from, text } => f(M::RoomMine, &[from, text]),
        Msg::Action { from, text } => format!("* {from} {text}"),
        Msg::PrivateIn { from, text } => f(M::RoomPrivateIn, &[from, text]),
        Msg::PrivateOut { to, text } => f(M::RoomPrivateOut, &[to, text]),
        Msg::Users { total, shown } => f(M::RoomUsers, &[total, &listed(*total, shown)]),
        Msg::Bye(name) => f(M::RoomBye, &[name]),
        Msg::Shutdown => t(M::RoomShutdown).into(),
        Msg::Notice(text) | Msg::Verbatim(text) => text.clone(),
    }
}

/// The room's message in lab's words, without the mark its kind gets on a line: for a
/// dialect that marks its server's words its own way (seed 001's `[SERVER] `).
pub fn unmarked(msg: &Msg) -> String {
    let line = words(msg);
    Mark::split(&line).1.to_string()
}

/// `ana, bob` and, past the names shown, "… and N more".
pub fn listed(total: usize, shown: &[String]) -> String {
    let mut s = shown.join(", ");
    if total > shown.len() {
        s.push_str(&f(M::ListMore, &[&(total - shown.len())]));
    }
    s
}

/// A hand's artifacts, `[3] Arrowhead, [9] Rare Disc`, named in `lang`.
pub fn labels(hand: &[u32], lang: crate::i18n::Lang) -> String {
    hand.iter()
        .map(|id| artifacts::label_in(*id, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `:artifact N`'s answer: `* [3] Arrowhead: A crudely fashioned point used for hunting.`
fn artifact(id: u32, lang: crate::i18n::Lang) -> String {
    match artifacts::catalog().iter().find(|i| i.id == id) {
        Some(i) => format!(
            "* [{}] {}: {}",
            i.id,
            i.name_in(lang),
            i.description_in(lang)
        ),
        None => format!("* [{id}]"),
    }
}
