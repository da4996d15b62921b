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

use super::{line, Wire};
use crate::chat::artifacts;
use crate::chat::message::Msg;
use crate::chat::room::{ClientId, Effect, Room};
use crate::i18n::Lang;

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

/// Where a stardew client is in the handshake (other dialects stay at `Name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Its next message is a name.
    Name,
    /// Its next message says which artifacts it has.
    Hand,
    /// Its next message answers "¿Está Bien?".
    Confirm,
    /// Chatting.
    Chat,
}

/// The room's message in seed 001's words.
pub fn words(msg: &Msg) -> Vec<Wire> {
    let text = match msg {
        // The client speaks first.
        Msg::Welcome | Msg::Mine { .. } => return Vec::new(),
        Msg::BadName(why) => {
            return vec![Wire::alone(format!("[SERVER] {why}")), Wire::alone(TAKEN)]
        }
        Msg::NameTaken(_) => TAKEN.to_string(),
        Msg::Hi { .. } => WELCOME.to_string(),
        // The dealt hand is not told: the client declares its own, when asked.
        Msg::Dealt(_) => ASK_HAND.to_string(),
        // The seed's catalog is Spanish, whatever language the server speaks.
        Msg::Hand(hand) => format!(
            "[SERVER] Tus artefactos son: \n{}",
            line::labels(hand, Lang::Es)
        ),
        Msg::Artifact(id) => match artifacts::catalog().iter().find(|i| i.id == *id) {
            Some(i) => format!("[SERVER] El artefacto es: [{}] {}", i.id, i.nombre),
            None => format!("[SERVER] El artefacto es: [{id}]"),
        },
        Msg::Joined { name, .. } => format!("[SERVER] Cliente {name} conectado"),
        Msg::Left { name, .. } => format!("[SERVER] {name} desconectado."),
        Msg::Said { from, text } => format!("{from}: {text}"),
        Msg::Users { shown, .. } => format!("[SERVER] Usuarios conectados: {}", shown.join(", ")),
        Msg::Bye(_) => "[SERVER] Adiós y suerte completando tu colección!".to_string(),
        Msg::Verbatim(text) => text.clone(),
        other => {
            let text = line::words(other);
            let bare = text
                .strip_prefix("* ")
                .or_else(|| text.strip_prefix("! "))
                .unwrap_or(&text);
            format!("[SERVER] {bare}")
        }
    };
    vec![Wire::alone(text)]
}

/// One message from a stardew client at `step`: the next step, and the room's effects.
pub fn heard(room: &mut Room, id: ClientId, step: Step, text: &str) -> (Step, Vec<Effect>) {
    let say = |s: &str| Effect::To(id, Msg::Verbatim(s.to_string()));
    match step {
        Step::Name => {
            let fx = room.hear(id, text.trim());
            (
                if room.is_registered(id) {
                    Step::Hand
                } else {
                    Step::Name
                },
                fx,
            )
        }
        Step::Hand => {
            let mut fx = room.declare_hand(id, text);
            fx.push(say(IS_IT_RIGHT));
            (Step::Confirm, fx)
        }
        Step::Confirm if text.trim().to_lowercase() == "si" => (Step::Chat, vec![say(OK)]),
        Step::Confirm => (Step::Hand, vec![say(ASK_HAND)]),
        Step::Chat => (Step::Chat, room.hear(id, text)),
    }
}
