//! The recorder every traced call goes through, so that each call is recorded the same way:
//!
//! 1. [`Recording::start`]: the event for the call about to be made (with `--step`, the pause
//!    that shows it), and the fd's state *before*;
//! 2. [`Recording::about_to_call`] (the place in the order of a call another thread may see
//!    before it returns), then the call itself, made by the caller;
//! 3. [`Recording::result`]: its return value or errno;
//! 4. [`Recording::settle`], [`Recording::addresses`], [`Recording::check`]: the state *after*
//!    (waiting, bounded, for a FIN's ACK), the socket's ends, and the kernel table's verdict;
//! 5. [`Recording::emit`]: into the one funnel.

use super::ends::Ends;
use super::event::{Actor, Arg, Event};
use super::order::{SocketInfo, Ticket};
use super::syscall::Syscall;
use super::tracer::Tracer;
use crate::kernel::check;
use crate::kernel::table;
use crate::tcp_state::TcpState;
use crate::transitions;
use nix::errno::Errno;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::Ordering;

/// One call being recorded.
pub struct Recording<'t> {
    tracer: &'t Tracer,
    pub ev: Event,
    /// Its place in the order of events, once the call took effect.
    ticket: Option<Ticket>,
    /// The socket the call is on, which the observer leaves alone meanwhile.
    sock: Option<SocketInfo>,
}

impl<'t> Recording<'t> {
    /// Starts the record of `call` on `fd` (`None` before there is one, as for `socket()`):
    /// `--step` pauses here, showing the call about to be made.
    pub fn start(
        tracer: &'t Tracer,
        actor: impl Into<Actor>,
        call: Syscall,
        fd: Option<RawFd>,
        args: Vec<Arg>,
    ) -> Recording<'t> {
        let ev = Event::call(actor, call, fd, args);
        tracer.step(&ev.actor, &ev);
        Recording {
            tracer,
            ev,
            ticket: None,
            sock: None,
        }
    }

    /// Called right before the system call itself, after every look lab takes of its own (the
    /// state before, the table): `shutdown()` and `close()` act on a connection that another
    /// thread may be blocked on — its `recv()` or `accept()` can return before this call does,
    /// and must come after it — so their place in the order is taken here, at the last moment.
    /// (Taken earlier, a `send()` another thread finished in between would print after them.)
    pub fn about_to_call(&mut self) {
        if self.ticket.is_none() && matches!(self.ev.call, Some(Syscall::Shutdown | Syscall::Close))
        {
            self.ticket = Some(self.tracer.ticket());
        }
    }

    /// The call's place in the order of events is `ticket`, taken before it went into the
    /// kernel (a write another process may see take effect before its exit: `ptrace`).
    pub fn keep_place(&mut self, ticket: Ticket) {
        if let Some(old) = self.ticket.replace(ticket) {
            self.tracer.cancel(old);
        }
    }

    /// The call is on this socket (from now until its event is out, the observer does not
    /// look at it: what changes is the call's doing). Replaces the socket given before — an
    /// `accept()` ends on the new connection's.
    pub fn on(mut self, sock: SocketInfo) -> Recording<'t> {
        self.set_socket(sock);
        self
    }

    pub fn set_socket(&mut self, sock: SocketInfo) {
        // The old one first: it may be the same socket (its inode learned), which stays busy.
        if let Some(old) = self.sock.take() {
            old.busy.store(false, Ordering::Release);
        }
        sock.busy.store(true, Ordering::Release);
        self.sock = Some(sock);
    }

    /// Reads the fd's state before the call (`getsockopt(TCP_INFO)`, 0.6–1 µs).
    pub fn before(mut self, fd: BorrowedFd<'_>) -> Recording<'t> {
        self.ev.before = table::fd_state(fd).ok().flatten();
        self
    }

    /// The fd's state before the call, proven without reading it again (see `super::doorbell`).
    pub fn found(mut self, state: TcpState) -> Recording<'t> {
        self.ev.before = Some(state);
        self
    }

    /// Records the call's result; `ret` turns a success into the return value shown (and may
    /// fill in what else the call handed back).
    pub fn result<T>(&mut self, r: &io::Result<T>, ret: impl FnOnce(&mut Event, &T) -> i64) {
        if self.ticket.is_none() {
            self.ticket = Some(self.tracer.ticket());
        }
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
        if let Some(old) = self.ev.state {
            // The fd moved on while it was compared: it passed through the state read first.
            if state != Some(old) && self.ev.before != Some(old) {
                self.ev.transit.push(old);
            }
            self.ev.state = state;
        }
        self.tracer.apply_check(&mut self.ev, &c);
    }

    /// The state after the call and the table's verdict in one look, when the socket's row can
    /// prove both: a connection whose two ends are known is looked up by its 4-tuple, and a row
    /// that carries the fd's own `inode` *is* the fd's socket — its state is the very field
    /// `getsockopt(TCP_INFO)` reads, so the fd agrees with the table by identity, and reading
    /// the fd as well (0.6 µs, one system call per traced call) would only read it twice.
    /// Returns false, having recorded nothing, when the row cannot prove it (no row, another
    /// inode, a state still moving, or the ends not yet known): then [`Recording::settle`] and
    /// [`Recording::check`] compare the two views.
    pub fn settle_by_row(&mut self, fd: BorrowedFd<'_>, ends: Ends, inode: u64) -> bool {
        let (Some(local), Some(peer), Some(table)) = (ends.local, ends.peer, self.tracer.table())
        else {
            return false;
        };
        let Ok(Some(row)) = table.of_socket(fd).lookup(local, peer) else {
            return false;
        };
        let settled = matches!(
            row.state,
            Some(TcpState::Established | TcpState::FinWait2 | TcpState::CloseWait)
        );
        if row.inode != inode || !settled {
            return false;
        }
        self.ev.state = row.state;
        self.addresses(ends.local, ends.peer);
        let c = check::Check {
            verdict: check::Verdict::Agrees,
            row: Some(row),
            reason: None,
        };
        self.tracer.apply_check(&mut self.ev, &c);
        true
    }

    /// Leaves the table's verdict to the sink, which reads many calls' rows at once (see
    /// `super::later`), when that proves as much as reading it now: a `send()` or `recv()`
    /// (they move no state by themselves) that returned, or would have blocked, on a connection
    /// whose two ends are known and that was, at the call's start, in a state it can only
    /// leave. Its state after is the one it found — what the row read later must show, with
    /// the fd's `inode`, for a ✓. Returns false, having recorded nothing, otherwise.
    pub fn check_later(&mut self, ends: Ends, inode: u64) -> bool {
        let moves_none = self.ev.call.is_some_and(Syscall::moves_no_state)
            && !matches!(self.ev.detail, Some(super::event::Detail::Eof { .. }))
            && self
                .ev
                .errno
                .is_none_or(|e| matches!(e, Errno::EAGAIN | Errno::EINTR));
        let found = self.ev.before.filter(|s| transitions::held_between(*s));
        let (Some(local), Some(peer), Some(found)) = (ends.local, ends.peer, found) else {
            return false;
        };
        if !moves_none || !self.tracer.checks_later() {
            return false;
        }
        self.ev.state = Some(found);
        self.addresses(Some(local), Some(peer));
        self.ev.check_later = Some(inode);
        true
    }

    /// Hands the event to the funnel, in its place in the order of events.
    pub fn emit(mut self) {
        let ticket = self.ticket.take().unwrap_or_else(|| self.tracer.ticket());
        let ev = std::mem::replace(&mut self.ev, Event::new(super::event::Kind::Note, ""));
        self.tracer.emit_at(ticket, vec![ev], self.sock.take());
    }

    /// The tracer this call is recorded by.
    pub fn tracer(&self) -> &'t Tracer {
        self.tracer
    }
}

impl Drop for Recording<'_> {
    /// A record dropped without its event (a panic on the way) gives its place up, so the
    /// events after it are not held back, and lets the observer look at its socket again.
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.tracer.cancel(t);
        }
        if let Some(s) = self.sock.take() {
            s.busy.store(false, Ordering::Release);
        }
    }
}
