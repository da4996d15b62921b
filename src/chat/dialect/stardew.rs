//! Seed 001's protocol ("chat de Granjerxs", Python, one thread per client, port 5555).
//!
//! - in: the bare name, no newline; every later input is one `send()`, no newline.
//! - The handshake. Its client compares each whole `recv()` with `==`, so each of these goes
//!   alone, byte for byte, in this order:
//!   1. `[SERVER] Nombre ya en uso.` (the client asks again), else `Bienvenid@ al chat de
//!      Granjerxs!`;
//!   2. `[SERVER] Cuéntame, ¿qué artefactos tienes?` — the client answers catalog numbers
//!      (`1, 2`), which become the player's hand ([`Room::declare_hand`]);
//!   3. `[SERVER] Tus artefactos son: \n<names>`, then `[SERVER] ¿Está Bien?` — `si` gets
//!      `[SERVER] ¡OK!`, anything else goes back to 2.
//!
//!   Only after `¡OK!` does the client let its user chat.
//! - Commands as in the seed: `:q`, `:p <name> <text>`, `:u`, `:smile` `:angry` `:combito`
//!   `:larva`, `:artefactos`, `:artefacto <N>`, `:offer <name> <mine> <theirs>`, `:accept`,
//!   `:reject` — the room's own commands, which take these spellings.

use super::line;
use super::speech::{cut_before, Conversation, Speech, Wire};
use crate::chat::artifacts;
use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};
use crate::chat::words;
use crate::i18n::Lang;

/// Seed 001's protocol.
#[derive(Debug)]
pub struct Stardew;

/// A name taken (or refused): the client asks its user again.
pub const TAKEN: &str = "[SERVER] Nombre ya en uso.";
/// The name was accepted.
pub const WELCOME: &str = "Bienvenid@ al chat de Granjerxs!";
/// Step 2's question.
pub const ASK_HAND: &str = "[SERVER] Cuéntame, ¿qué artefactos tienes?";
/// Step 3's question.
pub const IS_IT_RIGHT: &str = "[SERVER] ¿Está Bien?";
/// The handshake is over.
pub const OK: &str = "[SERVER] ¡OK!";
/// How the server's own words start.
pub const SERVER: &str = "[SERVER] ";

impl Speech for Stardew {
    fn name(&self) -> &'static str {
        "stardew"
    }

    fn words(&self, msg: &Msg) -> Vec<Wire> {
        if let Msg::BadName(why) = msg {
            return vec![Wire::alone(format!("{SERVER}{why}")), Wire::alone(TAKEN)];
        }
        words(msg).map(Wire::alone).into_iter().collect()
    }

    fn conversation(&self) -> Box<dyn Conversation> {
        Box::new(Handshake::Name)
    }

    fn hello(&self, name: &str) -> Option<Vec<u8>> {
        Some(name.as_bytes().to_vec())
    }

    fn answer(&self, received: &str, _name: &str, hand: &str) -> Option<Vec<u8>> {
        match received {
            ASK_HAND => Some(hand.as_bytes().to_vec()),
            IS_IT_RIGHT => Some(b"si".to_vec()),
            _ => None,
        }
    }

    fn joined(&self, received: &str, _name: &str) -> bool {
        received == OK
    }

    fn split_glued<'a>(&self, received: &'a str) -> Vec<&'a str> {
        cut_before(
            received,
            &[WELCOME, ASK_HAND, IS_IT_RIGHT, OK, SERVER],
            None,
        )
    }
}

/// The room's message in seed 001's words (none: not told).
fn words(msg: &Msg) -> Option<String> {
    Some(match msg {
        // The client speaks first.
        Msg::Welcome | Msg::Mine { .. } => return None,
        Msg::NameTaken(_) => TAKEN.to_string(),
        Msg::Hi { .. } => WELCOME.to_string(),
        // The dealt hand is not told: the client declares its own, when asked.
        Msg::Dealt(_) => ASK_HAND.to_string(),
        // The seed's catalog is Spanish, whatever language the server speaks.
        Msg::Hand(hand) => format!(
            "{SERVER}Tus artefactos son: \n{}",
            words::labels(hand, Lang::Es)
        ),
        Msg::Artifact(id) => match artifacts::catalog().iter().find(|i| i.id == *id) {
            Some(i) => format!("{SERVER}El artefacto es: [{}] {}", i.id, i.nombre),
            None => format!("{SERVER}El artefacto es: [{id}]"),
        },
        Msg::Joined { name, .. } => format!("{SERVER}Cliente {name} conectado"),
        Msg::Left { name, .. } => format!("{SERVER}{name} desconectado."),
        Msg::Said { from, text } => format!("{from}: {text}"),
        Msg::Users { shown, .. } => format!("{SERVER}Usuarios conectados: {}", shown.join(", ")),
        Msg::Bye(_) => format!("{SERVER}Adiós y suerte completando tu colección!"),
        Msg::Verbatim(text) => text.clone(),
        // The rest in lab's words, marked as the seed marks its server's.
        other => format!("{SERVER}{}", line::unmarked(other)),
    })
}

/// Where a stardew client is in its handshake: its own state, which no other dialect has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handshake {
    /// Its next message is a name.
    Name,
    /// Its next message says which artifacts it has.
    Hand,
    /// Its next message answers "¿Está Bien?".
    Confirm,
    /// Chatting.
    Chat,
}

impl Conversation for Handshake {
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
        let say = |s: &str| Effect::To(id, Msg::Verbatim(s.to_string()));
        let (next, fx) = match *self {
            Handshake::Name => {
                let fx = room.hear(id, text.trim());
                match room.is_registered(id) {
                    true => (Handshake::Hand, fx),
                    false => (Handshake::Name, fx),
                }
            }
            Handshake::Hand => {
                let mut fx = room.declare_hand(id, text);
                fx.push(say(IS_IT_RIGHT));
                (Handshake::Confirm, fx)
            }
            Handshake::Confirm if text.trim().to_lowercase() == "si" => {
                (Handshake::Chat, vec![say(OK)])
            }
            Handshake::Confirm => (Handshake::Hand, vec![say(ASK_HAND)]),
            Handshake::Chat => (Handshake::Chat, room.hear(id, text)),
        };
        *self = next;
        fx
    }
}
