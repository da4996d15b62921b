//! # socket lab
//!
//! A teaching lab for TCP sockets on Linux: every socket call a program makes is shown with its
//! fd, its result and the TCP state it leaves, and each state is checked against the kernel's
//! own socket table — the one `ss` reads.
//!
//! ## Crate map, in the order to read it
//!
//! 1. [`tcp_state`] — the TCP states as a type, printed as `ss` prints them.
//! 2. `transitions` — every rule of what moves a connection from one state to the next (a
//!    call, or the kernel by itself), the words for each, and the verdict on `close()`.
//! 3. `wire` — the TCP segments themselves: a segment as a type (flags, sequence numbers
//!    counted from each side's first, window, SYN options), read from a captured packet, and
//!    what it is in Wireshark's words (retransmission, duplicate ACK, zero window, …).
//! 4. `verdict` — the outcome of comparing a fd with the kernel's table (✓ ✗ – ?).
//! 5. `sys` — the few unsafe libc calls (reading TCP_INFO), each with its reason;
//!    `netns` — lab's own network (user + network namespaces made at start-up), where the
//!    wire is captured.
//! 6. [`kernel`] — the kernel's socket table: the sock_diag netlink codec, rows and lookups,
//!    the check "the kernel agrees", and which process owns a socket.
//! 7. [`trace`] — the calls as a type ([`trace::Syscall`]), the typed [`trace::Event`] each
//!    call makes, the recorder every traced call goes through, the traced socket (one method
//!    per system call), the kernel observer (what the kernel does between calls), and the one
//!    funnel every event goes through, in the order the calls took effect; the writer thread
//!    that writes a busy server's trace file off its hot path.
//! 8. [`render`] — how events and tables are shown: human (colored, strace-like), JSON Lines,
//!    the socket table, sequence diagrams; where a trace goes and `--step`'s pause.
//! 9. `watch` — every state change of every socket on the machine: the kernel observer with
//!    the whole table as its scope.
//! 10. `netcat` — `lab listen` / `lab connect`, a netcat whose every step is traced.
//! 11. [`chat`] — the course's chat: the protocol, framing, the artifact game, the room's rules
//!     (no sockets) and its typed messages, the seeds' dialects worded at the edge, and what
//!     moves bytes — three server models (threads, poll, epoll), and a client.
//!     `load` — `lab load`, a tool that drives a chat and is not part of it: many real
//!     clients, deliveries per second and latency; `--soak`, abusive clients among the rest.
//! 12. [`lesson`] — lesson scripts: the format (with `file:line` errors), the runner, the
//!     expectations checked against the kernel and the wire, and the `lab lesson` commands;
//!     a lesson on hosts runs over `net`'s link.
//! 13. `ptrace` — `lab trace`: another program's socket calls (a student's C or Python
//!     chat), through ptrace and a seccomp filter, as the same events, checked the same way.
//! 14. `net` — `lab net`: a network that can fail. Hosts (a network namespace each) joined
//!     by lab's own link, whose rules delay, lose, duplicate, reorder and slow segments; the
//!     relay that moves every packet and so captures it; programs on hosts traced by `ptrace`.
//! 15. `explain` — errors in words; `i18n` — lab's own messages, one Fluent file per language.
//! 16. [`cli`] — the command line: its arguments, and which module each command goes to.
//!
//! Layers only call downwards (`tests/layers.rs` holds every import to this line): `cli` →
//! `lesson`, `load` → `net` → `chat`, `ptrace` → `render`, `watch`, `netcat`, `explain` →
//! `trace` → `kernel` → `transitions`, `wire`, `netns` → `tcp_state`, `sys`, `verdict` →
//! `i18n`. Within a module the files form layers too: no two files import each other, even
//! through others.
//!
//! ## What is public, and why
//!
//! Everything is private to the crate unless a user of the library needs it: the `lab` binary
//! and the programs in `tests/` and `benches/`, which use lab as any other program would.
//!
//! - [`cli`] — `cli::main`, all the binary calls.
//! - [`trace`] — the traced socket, the [`trace::Event`]s it makes and the sinks they go to:
//!   the tests trace real sockets and read the events; [`trace::observer`] is what the kernel
//!   does between calls (tests, benches); [`trace::syscall`]'s table is where the tests learn
//!   every call's name.
//! - [`kernel`] — the kernel's table ([`kernel::table`]), the check against it and its bounded
//!   waits ([`kernel::check`]), and the netlink codec ([`kernel::sock_diag`]) the tests and the
//!   benches read the table with, to hold lab's claims against the kernel.
//! - [`tcp_state`] — the states events and rows carry.
//! - [`render`] — its human and JSON sinks: the benches measure what writing a trace costs.
//! - [`chat`] — the chat's pieces the tests drive from outside: the room's rules and messages,
//!   the framing and protocol (property tests), a server of each model, and the dialects —
//!   `tests/new_dialect` adds one from outside the crate, the way a new seed would be added.
//! - [`lesson`] — its [`lesson::format`]: the property tests parse arbitrary lesson text.
//!
//! The rest (`transitions`, `wire`, `verdict`, `sys`, `netns`, `watch`, `netcat`, `load`,
//! `ptrace`, `net`, `explain`, `i18n`, and the inner modules not named above) is reached
//! through these, never by a user; `cargo doc --document-private-items` shows it too.

pub mod chat;
pub mod cli;
mod explain;
mod i18n;
pub mod kernel;
pub mod lesson;
mod load;
mod net;
mod netcat;
mod netns;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod ptrace;
pub mod render;
mod sys;
pub mod tcp_state;
pub mod trace;
mod transitions;
mod verdict;
mod watch;
mod wire;
