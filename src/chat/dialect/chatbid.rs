//! Seed 004's protocol ("chatbid", Python, one thread per client, port 59420): typed
//! messages, `TYPE:content`, no newlines.
//!
//! - in: `CONNECT:<name>`, then `MESSAGE:<text>` per input; `MESSAGE:chao` and then
//!   `DISCONNECT:` when its user quits.
//! - out, each alone in its `recv()` (the client splits it at the first `:`):
//!   `USER_LIST:<a>,<b>,…` to everyone on every join and leave; `MESSAGE:<sender>: <text>` to
//!   the others (the client shows its own lines itself); `DISCONNECT:` before the server
//!   closes. Anything else the room says goes as `MESSAGE:<lab's words>`.

use super::{line, name_once, Wire};
use crate::chat::message::Msg;
use crate::chat::protocol::Command;
use crate::chat::room::{ClientId, Effect, Room};
use crate::i18n::{f, M};

/// The first bytes of a chatbid client.
pub const HELLO: &[u8] = b"CONNECT:";
/// Who is here.
pub const USER_LIST: &str = "USER_LIST:";
/// A message.
pub const MESSAGE: &str = "MESSAGE:";
/// The end of the conversation, either way.
pub const DISCONNECT: &str = "DISCONNECT:";

/// The room's message in seed 004's words.
pub fn words(msg: &Msg) -> Vec<Wire> {
    match msg {
        Msg::Welcome | Msg::Dealt(_) | Msg::Mine { .. } => Vec::new(),
        Msg::Hi { roster, .. } | Msg::Joined { roster, .. } | Msg::Left { roster, .. } => {
            vec![Wire::alone(format!("{USER_LIST}{}", roster.join(",")))]
        }
        // Refused: told why, then let go (the client sends its name only once).
        Msg::BadName(_) | Msg::NameTaken(_) => {
            vec![
                Wire::alone(format!("{MESSAGE}{}", line::words(msg))),
                Wire::alone(DISCONNECT),
            ]
        }
        Msg::Said { from, text } => vec![Wire::alone(format!("{MESSAGE}{from}: {text}"))],
        Msg::Bye(_) | Msg::Shutdown => vec![Wire::alone(DISCONNECT)],
        other => vec![Wire::alone(format!("{MESSAGE}{}", line::words(other)))],
    }
}

/// One message from a chatbid client.
pub fn heard(room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
    if !room.is_registered(id) {
        let name = text.trim();
        return name_once(
            room,
            id,
            name.strip_prefix("CONNECT:").unwrap_or(name).trim(),
        );
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

/// Seed 004's goodbye: `chao`, in any case, as a whole message.
fn is_goodbye(text: &str) -> bool {
    text.trim().eq_ignore_ascii_case("chao")
}

/// What its client sends for one typed line: `chao` also says `DISCONNECT:`.
pub fn typed(text: &str) -> Vec<Vec<u8>> {
    let mut out = vec![format!("{MESSAGE}{text}").into_bytes()];
    if is_goodbye(text) {
        out.push(DISCONNECT.as_bytes().to_vec());
    }
    out
}
