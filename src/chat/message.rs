//! What the room says, typed: the chat's vocabulary, before it is put into any client's words.
//!
//! The room decides *what* is said and to whom ([`super::room::Effect`]); each dialect
//! ([`super::dialect`]) decides *how* it is said on the wire — lab's own lines, seed 000's
//! `User "ana" has joined the chat`, seed 004's `USER_LIST:ana,bob`. So one room serves every
//! kind of client, and a dialect never changes a rule: it only translates.

use crate::i18n::{t, M};

/// One thing the room says to one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A new connection is greeted and asked for a name.
    Welcome,
    /// The name was refused: `why`, in lab's words.
    BadName(String),
    /// The name is someone else's (compared in canonical form).
    NameTaken(String),
    /// Registered as `name`; `others` users were already here; `roster` is everyone now here
    /// (empty past [`super::room::NOTICE_LIMIT`] users, where nobody is told of joins).
    Hi {
        name: String,
        others: usize,
        roster: Vec<String>,
    },
    /// The hand dealt at registration, as catalog ids (empty: the deck is empty); each dialect
    /// names them in its own words.
    Dealt(Vec<u32>),
    /// The client's hand as it now stands (`:artifacts`, or after declaring it), as catalog ids.
    Hand(Vec<u32>),
    /// `:artifact N`: one catalog entry, by id.
    Artifact(u32),
    /// Someone joined; `roster` is everyone now here, in id order.
    Joined { name: String, roster: Vec<String> },
    /// Someone left, and why; `roster` is everyone still here.
    Left {
        name: String,
        why: Leave,
        roster: Vec<String>,
    },
    /// A line of `from`, for the others.
    Said { from: String, text: String },
    /// The same line, for its sender (lab marks it `(you)`; some clients show their own).
    Mine { from: String, text: String },
    /// `:me`: an action, for everyone.
    Action { from: String, text: String },
    /// A private message from `from`.
    PrivateIn { from: String, text: String },
    /// A private message sent to `to` (the sender's copy).
    PrivateOut { to: String, text: String },
    /// `:u`: `total` users, the first of them by name.
    Users { total: usize, shown: Vec<String> },
    /// The client asked to leave: the goodbye before the server closes.
    Bye(String),
    /// The server is shutting down.
    Shutdown,
    /// Anything else (help, errors, trades, `:i`), already in lab's words.
    Notice(String),
    /// Words a dialect itself says to its own client during its handshake (seed 001's
    /// `[SERVER] ¡OK!`), sent as they are.
    Verbatim(String),
}

/// Why a connection ended, as the others are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leave {
    /// `:q`, `chao`, `bye`.
    Quit,
    /// The peer closed the connection (EOF) without saying goodbye.
    Disconnected,
    /// The connection was reset (RST, ECONNRESET) or failed.
    Reset,
    /// Its outgoing queue filled up: it does not read.
    TooSlow,
    /// The server is shutting down.
    Shutdown,
}

impl Leave {
    /// Lab's words for it, after a name ("" for a plain quit).
    pub fn words(&self) -> &'static str {
        match self {
            Leave::Quit => "",
            Leave::Disconnected => t(M::LeaveDisconnected),
            Leave::Reset => t(M::LeaveReset),
            Leave::TooSlow => t(M::LeaveTooSlow),
            Leave::Shutdown => t(M::LeaveShutdown),
        }
    }
}
