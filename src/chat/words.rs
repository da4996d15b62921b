//! lab's own words for what the room says: one line each, in the server's language (`--lang`),
//! marked as lab's line protocol shows them (`* ` a notice, `! ` an error). The line dialect
//! speaks them as they are; the seeds' dialects fall back on them for what their protocols
//! have no words of their own for. The sentences themselves are the catalog's.

use crate::chat::artifacts;
use crate::chat::message::Msg;
use crate::i18n::{self, f, t, Count, M};

/// The room's message as one line of lab's protocol (without its `\n`).
pub fn of(msg: &Msg) -> String {
    match msg {
        Msg::Welcome => t(M::RoomWelcome).into(),
        Msg::BadName(why) => f(M::RoomBadName, &[why]),
        Msg::NameTaken(name) => f(M::RoomNameTaken, &[name]),
        Msg::Hi { name, others, .. } => f(M::RoomHi, &[name, &Count(*others)]),
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
