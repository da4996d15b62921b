//! The chat of the course material, done right and traced.
//!
//! - [`protocol`]: lines ↔ commands; names; cleaning what clients send.
//! - [`framing`]: bytes → lines, bounded.
//! - `artifacts`: the artifact game (catalog, hands, atomic swaps).
//! - [`message`]: what the room says, typed, before any client's words (and why one left).
//! - [`room`]: the rules — who gets what — with no sockets, shared by every server model.
//! - `words`: lab's own words for what the room says, the ones every dialect falls back on.
//! - [`dialect`]: the seeds' own wire protocols, translated at the edge of the room.
//! - `pacing`: unframed messages one per `send()`, a pause apart.
//! - `outbox`: when a client that does not keep up is too slow (hard and soft limits), and
//!   the threads model's outbox with its writer thread.
//! - `stopper`: Ctrl+C through a self-pipe.
//! - `serving`: what every server model shares (config, listener, limits).
//! - `outlet`: the room's effects carried out through a model's outlet.
//! - `server_threads`: one thread per client, blocking sockets.
//! - `server_epoll`: waiting with `epoll(7)` (`--model epoll`).
//! - `server_poll`: one thread, non-blocking sockets, a `poll(2)` loop (or epoll's).
//! - [`server`]: `lab server`, which picks a model and runs it.
//! - `client`: `lab client`, which shows what arrives while you type.
//! - `line_edit`: the client's input line, kept whole while messages arrive.

mod artifacts;
pub(crate) mod client;
pub mod dialect;
pub mod framing;
mod line_edit;
pub mod message;
mod outbox;
mod outlet;
mod pacing;
pub mod protocol;
pub mod room;
pub mod server;
mod server_epoll;
mod server_poll;
mod server_threads;
pub(crate) mod serving;
mod stopper;
mod words;
