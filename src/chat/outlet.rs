//! How the room's effects reach the clients, whatever the server model: each message worded
//! once per dialect ([`Worded`]), handed to the model's [`Outlet`], and [`apply`] for the rest
//! (names into the trace, goodbyes, a client too slow to keep).

use super::dialect::{Dialect, Wire};
use super::message::{Leave, Msg};
use super::room::{ClientId, Effect, Room};
use crate::trace::TracedSocket;
use std::collections::VecDeque;

/// One message, worded in each dialect the first time a recipient of that dialect needs it: a
/// broadcast to 10,000 line clients is formatted once, not 10,000 times.
pub struct Worded<'m> {
    msg: &'m Msg,
    cache: [Option<Vec<Wire>>; Dialect::ALL.len()],
}

impl<'m> Worded<'m> {
    pub fn new(msg: &'m Msg) -> Worded<'m> {
        Worded {
            msg,
            cache: Default::default(),
        }
    }

    /// The message in `d`'s words.
    pub fn words(&mut self, d: Dialect) -> &[Wire] {
        self.cache[d as usize].get_or_insert_with(|| d.words(self.msg))
    }
}

/// How a server model moves the room's messages to its clients: the one thing the models do
/// differently with the room's effects. [`apply`] does the rest.
pub trait Outlet {
    /// The socket of client `id`, if it is still connected.
    fn socket(&self, id: ClientId) -> Option<&TracedSocket>;
    /// Queues one message for client `id`, in the words of its dialect; `false` if its outbox
    /// is full.
    fn push(&mut self, id: ClientId, msg: &mut Worded) -> bool;
    /// Queues one message for every registered client but `except`; returns those whose
    /// outbox is full. By default one [`Outlet::push`] per id the room lists; a model that
    /// can walk its own connections in memory order does that instead (no lookup per
    /// recipient: at 10,000 clients, a cache miss each).
    fn push_all(
        &mut self,
        room: &Room,
        except: Option<ClientId>,
        msg: &mut Worded,
    ) -> Vec<ClientId> {
        room.registered()
            .filter(|id| Some(*id) != except)
            .filter(|id| !self.push(*id, msg))
            .collect()
    }
    /// The client registered (a model that keeps its own list of recipients notes it).
    fn named(&mut self, _id: ClientId) {}
    /// The client asked to leave: send what is queued, then end the connection.
    fn finish(&mut self, id: ClientId);
    /// The client stopped reading: throw away what waits for it, and cut it.
    fn cut(&mut self, id: ClientId);
}

/// Carries out the room's effects through a model's outlet: each message worded in each
/// recipient's dialect, names into the trace, goodbyes. A client whose outbox overflows leaves
/// (too slow), and the notices of its leaving are carried out in turn.
pub fn apply(room: &mut Room, out: &mut impl Outlet, effects: Vec<Effect>) {
    let mut todo = VecDeque::from(effects);
    while let Some(e) = todo.pop_front() {
        let mut full = Vec::new();
        match e {
            Effect::To(id, msg) => {
                if !out.push(id, &mut Worded::new(&msg)) {
                    full.push(id);
                }
            }
            Effect::All { except, msg } => {
                full.extend(out.push_all(room, except, &mut Worded::new(&msg)));
            }
            // From now on the trace calls this connection after its user.
            Effect::Named(id, name) => {
                if let Some(s) = out.socket(id) {
                    s.set_actor(&format!("srv:{name}"));
                }
                out.named(id);
            }
            Effect::Close(id) => out.finish(id),
        }
        for id in full {
            out.cut(id);
            todo.extend(room.leave(id, Leave::TooSlow));
        }
    }
}
