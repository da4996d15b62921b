//! The recorder every traced call goes through, so that each call is recorded the same way:
//!
//! 1. [`Recording::start`]: the event for the call about to be made (with `--step`, the pause
//!    that shows it), and the fd's state *before*;
//! 2. the call itself, made by the caller;
//! 3. [`Recording::result`]: its return value or errno;
//! 4. [`Recording::settle`], [`Recording::addresses`], [`Recording::check`]: the state *after*
//!    (waiting, bounded, for a FIN's ACK), the socket's ends, and the kernel table's verdict;
//! 5. [`Recording::emit`]: into the one funnel.

use super::event::{Arg, Event};
use super::syscall::Syscall;
use super::Tracer;
use crate::kernel::check;
use crate::kernel::table;
use crate::tcp_state::TcpState;
use crate::transitions;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};

/// One call being recorded.
pub struct Recording<'t> {
    tracer: &'t Tracer,
    pub ev: Event,
}

impl<'t> Recording<'t> {
    /// Starts the record of `call` on `fd` (`None` before there is one, as for `socket()`):
    /// `--step` pauses here, showing the call about to be made.
    pub fn start(tracer: &'t Tracer, actor: &str, call: Syscall, fd: Option<RawFd>, args: Vec<Arg>) -> Recording<'t> {
        let ev = Event::call(actor, call, fd, args);
        tracer.step(actor, &ev);
        Recording { tracer, ev }
    }

    /// Reads the fd's state before the call (`getsockopt(TCP_INFO)`, 0.6 µs).
    pub fn before(mut self, fd: BorrowedFd<'_>) -> Recording<'t> {
        self.ev.before = table::fd_state(fd).ok().flatten();
        self
    }

    /// Records the call's result; `ret` turns a success into the return value shown (and may
    /// fill in what else the call handed back).
    pub fn result<T>(&mut self, r: &io::Result<T>, ret: impl FnOnce(&mut Event, &T) -> i64) {
        match r {
            Ok(v) => self.ev.ret = Some(ret(&mut self.ev, v)),
            Err(e) => self.ev.fail(e),
        }
    }

    /// Reads the fd's state after the call, waiting (bounded) while it awaits an ACK that the
    /// peer's kernel sends by itself. Returns the state the check should compare.
    pub fn settle(&mut self, fd: BorrowedFd<'_>) -> Option<TcpState> {
        let first = table::fd_state(fd).ok().flatten();
        let path = if first.is_some_and(transitions::awaits_ack) {
            check::settle_fd(fd, first, self.tracer.settle_timeout())
        } else {
            vec![]
        };
        self.ev.state = path.last().copied().or(first);
        if !path.is_empty() {
            // Every state on the way, except the last, which is `state`.
            self.ev.transit = first.into_iter().chain(path.iter().copied()).collect();
            self.ev.transit.pop();
        }
        self.ev.state
    }

    /// The socket's ends after the call.
    pub fn addresses(&mut self, local: Option<SocketAddr>, peer: Option<SocketAddr>) {
        self.ev.local = local;
        self.ev.peer = peer;
    }

    /// Compares the fd's state with the kernel's table and records the verdict (see
    /// [`check::check_fd`], which rules out a race between the two reads).
    pub fn check(
        &mut self,
        fd: BorrowedFd<'_>,
        now: Option<TcpState>,
        local: Option<SocketAddr>,
        peer_hint: Option<SocketAddr>,
    ) {
        let (state, c) = check::check_fd(self.tracer.table(), fd, now, local, peer_hint);
        if self.ev.state.is_some() {
            self.ev.state = state;
        }
        self.tracer.apply_check(&mut self.ev, &c);
    }

    /// Hands the event to the funnel.
    pub fn emit(self) {
        self.tracer.emit(self.ev);
    }

    /// The tracer this call is recorded by.
    pub fn tracer(&self) -> &'t Tracer {
        self.tracer
    }
}
