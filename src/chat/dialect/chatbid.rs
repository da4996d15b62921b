//! Seed 004's protocol ("chatbid", Python, one thread per client, port 59420): typed
//! messages, `TYPE:content`, no newlines.
//!
//! - in: `CONNECT:<name>`, then `MESSAGE:<text>` per input; `MESSAGE:chao` and then
//!   `DISCONNECT:` when its user quits.
//! - out, each alone in its `recv()` (the client splits it at the first `:`):
//!   `USER_LIST:<a>,<b>,…` to everyone on every join and leave; `MESSAGE:<sender>: <text>` to
//!   the others (the client shows its own lines itself); `DISCONNECT:` before the server
//!   closes. Anything else the room says goes as `MESSAGE:<lab's words>`.

use super::speech::{cut_before, name_once, Conversation, Speech, Wire};
use crate::chat::message::Msg;
use crate::chat::protocol::Command;
use crate::chat::room::{ClientId, Effect, Room};
use crate::chat::words;
use crate::i18n::{f, M};

/// Seed 004's protocol.
#[derive(Debug)]
pub struct Chatbid;

/// The first bytes of a chatbid client.
pub const HELLO: &str = "CONNECT:";
/// Who is here.
pub const USER_LIST: &str = "USER_LIST:";
/// A message.
pub const MESSAGE: &str = "MESSAGE:";
/// The end of the conversation, either way.
pub const DISCONNECT: &str = "DISCONNECT:";

impl Speech for Chatbid {
    fn name(&self) -> &'static str {
        "chatbid"
    }

    fn hello_marker(&self) -> Option<&'static [u8]> {
        Some(HELLO.as_bytes())
    }

    fn quit_word(&self) -> &'static str {
        "chao"
    }

    fn words(&self, msg: &Msg) -> Vec<Wire> {
        match msg {
            Msg::Welcome | Msg::Dealt(_) | Msg::Mine { .. } => Vec::new(),
            Msg::Hi { roster, .. } | Msg::Joined { roster, .. } | Msg::Left { roster, .. } => {
                vec![Wire::alone(format!("{USER_LIST}{}", roster.join(",")))]
            }
            // Refused: told why, then let go (the client sends its name only once).
            Msg::BadName(_) | Msg::NameTaken(_) => {
                vec![
                    Wire::alone(format!("{MESSAGE}{}", words::of(msg))),
                    Wire::alone(DISCONNECT),
                ]
            }
            Msg::Said { from, text } => vec![Wire::alone(format!("{MESSAGE}{from}: {text}"))],
            Msg::Bye(_) | Msg::Shutdown => vec![Wire::alone(DISCONNECT)],
            other => vec![Wire::alone(format!("{MESSAGE}{}", words::of(other)))],
        }
    }

    fn conversation(&self) -> Box<dyn Conversation> {
        Box::new(Chatbid)
    }

    fn hello(&self, name: &str) -> Option<Vec<u8>> {
        Some(format!("{HELLO}{name}").into_bytes())
    }

    /// `chao` also says `DISCONNECT:`.
    fn typed(&self, text: &str) -> Vec<Vec<u8>> {
        let mut out = vec![format!("{MESSAGE}{text}").into_bytes()];
        if is_goodbye(text) {
            out.push(DISCONNECT.as_bytes().to_vec());
        }
        out
    }

    fn joined(&self, received: &str, _name: &str) -> bool {
        received.starts_with(USER_LIST)
    }

    fn split_glued<'a>(&self, received: &'a str) -> Vec<&'a str> {
        cut_before(received, &[USER_LIST, MESSAGE, DISCONNECT], None)
    }
}

impl Conversation for Chatbid {
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
        if !room.is_registered(id) {
            return name_once(room, id, text, HELLO);
        }
        // `MESSAGE:chao` and `DISCONNECT:` sent back to back can arrive as one chunk.
        let (text, then_quit) = match text.strip_suffix(DISCONNECT) {
            Some(head) if !head.is_empty() => (head, true),
            _ => (text, false),
        };
        let mut fx = match text.split_once(':') {
            Some(("MESSAGE", body)) if is_goodbye(body) => room.command(id, Command::Quit),
            Some(("MESSAGE", body)) => room.hear(id, body.trim()),
            Some(("DISCONNECT", _)) => room.command(id, Command::Quit),
            _ => vec![Effect::To(id, Msg::Notice(f(M::ChatbidExpected, &[&text])))],
        };
        if then_quit && !fx.contains(&Effect::Close(id)) {
            fx.extend(room.command(id, Command::Quit));
        }
        fx
    }
}

/// Seed 004's goodbye: `chao`, in any case, as a whole message.
fn is_goodbye(text: &str) -> bool {
    text.trim().eq_ignore_ascii_case("chao")
}
