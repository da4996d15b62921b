//! The trace: every socket call a program makes, as an event with its fd, result and TCP state,
//! checked against the kernel's table.
//!
//! - [`syscall`]: the calls the lab knows, as one type: [`Syscall`].
//! - [`event`]: the [`Event`] every call produces, with typed facts.
//! - `record`: the recorder every traced call goes through.
//! - [`socket`]: [`TracedSocket`], one method per system call.
//! - `ends`: a socket's two ends, asked of the kernel until they cannot change any more.
//! - `close`: what `close()` leaves behind — the last look, the abort, the verdict.
//! - [`sockopt`]: the socket options, as one type: [`SockOpt`].
//! - [`sink`]: where events go — one funnel, many readers.
//! - `names`: constants and errnos by name, as strace prints them.
//! - `poll`: `poll(2)`, traced: what a readiness loop waits for, and what woke it.
//! - `epoll`: `epoll(7)`, traced: the interest list kept in the kernel, only the ready fds back.
//! - [`observer`]: what the kernel does to a traced socket between two calls.
//! - `attribution`: who moved the connection — the call, or the peer meanwhile.
//! - `ending`: what ended a connection that left the table by itself, from what was seen.
//! - `writer`: the trace formatted and written by a thread of its own, off the hot path.
//! - `spare`: argument lists handed back by the trace file's writer, for reuse.
//! - `later`: a busy server's verdicts, read from the table after its calls, many at a time.
//! - `doorbell`: a busy server's states at each call's start, proven unmoved by the kernel's
//!   own wake-ups instead of read again on every call.
//! - `wire`: the segments a capture reads, as events in the same order as the calls.
//!
//! - `order`: a call's place in the order of events (`Ticket`), where its events wait for
//!   every earlier place's.
//! - `tracer`: [`Tracer`], the funnel itself: it numbers events in the order the calls took
//!   effect, times them, reads the kernel's table for the checks, follows every traced socket
//!   in the table (also after its fd is closed), and hands every event to the one sink.
//!
//! This file only names the parts and what the rest of lab uses of them; the parts name each
//! other by their own files, from the bottom (`event`, `syscall`) up to `socket`.

mod attribution;
pub(crate) mod close;
mod doorbell;
mod ending;
pub(crate) mod ends;
pub(crate) mod epoll;
pub mod event;
mod later;
pub(crate) mod names;
pub mod observer;
mod order;
pub(crate) mod poll;
pub(crate) mod record;
pub mod sink;
pub mod socket;
pub mod sockopt;
mod spare;
pub mod syscall;
mod tracer;
pub(crate) mod wire;
pub(crate) mod writer;

pub use event::{Actor, Arg, Detail, Event, Kind};
pub(crate) use order::{SocketInfo, Ticket};
pub use sink::{Collector, Discard, Sink, Tee};
pub use socket::TracedSocket;
pub use sockopt::SockOpt;
pub use syscall::Syscall;
pub use tracer::{Namer, Stepper, Tracer};
