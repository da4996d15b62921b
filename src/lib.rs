//! # socket lab
//!
//! A teaching lab for TCP sockets on Linux: every socket call a program makes is shown with its
//! fd, its result and the TCP state it leaves, and each state is checked against the kernel's
//! own socket table — the one `ss` reads.
//!
//! ## Crate map, in the order to read it
//!
//! 1. [`tcp_state`] — the TCP states as a type, printed as `ss` prints them.
//! 2. [`sys`] — the few unsafe libc calls (reading TCP_INFO), each with its reason.
//! 3. [`kernel`] — the kernel's socket table: the sock_diag netlink codec, rows and lookups,
//!    the verdict "the kernel agrees", and which process owns a socket.
//! 4. [`trace`] — the traced socket (one method per system call), the event each call makes,
//!    and the one funnel every event goes through.
//! 5. [`render`] — how events and tables are shown: human (colored, strace-like), JSON Lines,
//!    the socket table, sequence diagrams.
//! 6. [`watch`] — every state change of every socket on the machine, from successive reads of
//!    the table.
//! 7. [`netcat`] — `lab listen` / `lab connect`, a netcat whose every step is traced.
//! 8. [`chat`] — the course's chat: the protocol, framing, the artifact game, the room's rules
//!    (no sockets), and what moves bytes — two server models, a client, a load generator.
//! 9. [`lesson`] — lesson scripts: the format (with `file:line` errors) and the runner that
//!    checks every expectation against the kernel.
//! 10. [`explain`] — errors in words.
//! 11. [`cli`] — the command line.
//!
//! Layers only call downwards: `cli` → `chat`, `lesson`, `netcat`, `watch`, `render` →
//! `trace` → `kernel` → `sys`, `tcp_state`.

pub mod chat;
pub mod cli;
pub mod explain;
pub mod kernel;
pub mod lesson;
pub mod netcat;
pub mod render;
pub mod sys;
pub mod tcp_state;
pub mod trace;
pub mod transitions;
pub mod verdict;
pub mod watch;
