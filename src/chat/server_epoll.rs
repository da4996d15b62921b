//! The epoll model's half of the readiness loop ([`super::server_poll`] runs it; `--model
//! epoll`). The loop, the room and every rule are the poll model's; what differs is how the
//! thread waits.
//!
//! `poll()` is handed the whole list of fds on every call, and the kernel checks each one:
//! a call costs as much as the number of clients, even when one of them is ready. With epoll
//! the list lives in the kernel: a client is registered once (`epoll_ctl(EPOLL_CTL_ADD)`), its
//! interest changed only when it changes (`EPOLL_CTL_MOD`: EPOLLOUT while output waits), and
//! `epoll_wait()` returns only the fds that are ready — a call costs as much as what happened.
//! Level-triggered, like poll: a socket stays ready while it has unread data, so nothing is
//! lost if one round reads only once.

use super::room::ClientId;
use crate::trace::epoll::{Ctl, TracedEpoll};
use crate::trace::{TracedSocket, Tracer};
use nix::poll::PollFlags;
use nix::sys::epoll::{EpollEvent, EpollFlags, EpollTimeout};
use rustc_hash::FxHashMap as HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

/// How many ready fds one `epoll_wait()` returns at most (the rest wait for the next round).
const MAX_EVENTS: usize = 1024;

/// What one wait (`poll()` or `epoll_wait()`) found ready.
pub struct Ready {
    pub stopping: bool,
    pub can_accept: bool,
    pub clients: Vec<(ClientId, PollFlags)>,
}

/// The kernel's interest list, and lab's copy of what each fd is registered for.
pub struct EpollWaiter {
    epoll: TracedEpoll,
    events: Vec<EpollEvent>,
    /// Each registration's data is its fd: this maps it back to the client.
    by_fd: HashMap<RawFd, ClientId>,
    interest: HashMap<ClientId, (RawFd, EpollFlags)>,
    stop: RawFd,
    listener: RawFd,
    accepting: bool,
}

/// What a client is registered for: input unless it is leaving, output while some waits.
pub fn flags(reading: bool, writing: bool) -> EpollFlags {
    let mut f = EpollFlags::empty();
    if reading {
        f |= EpollFlags::EPOLLIN;
    }
    if writing {
        f |= EpollFlags::EPOLLOUT;
    }
    f
}

impl EpollWaiter {
    /// An interest list holding the stop pipe and the listener, both for input.
    pub fn new(
        tracer: Option<&Tracer>,
        stop: BorrowedFd<'_>,
        listener: BorrowedFd<'_>,
    ) -> io::Result<EpollWaiter> {
        let epoll = TracedEpoll::new()?;
        epoll.ctl(tracer, "server", Ctl::Add, stop, EpollFlags::EPOLLIN)?;
        epoll.ctl(tracer, "server", Ctl::Add, listener, EpollFlags::EPOLLIN)?;
        Ok(EpollWaiter {
            epoll,
            events: vec![EpollEvent::empty(); MAX_EVENTS],
            by_fd: HashMap::default(),
            interest: HashMap::default(),
            stop: stop.as_raw_fd(),
            listener: listener.as_raw_fd(),
            accepting: true,
        })
    }

    /// A new client, registered for input.
    pub fn add(
        &mut self,
        tracer: Option<&Tracer>,
        actor: &str,
        id: ClientId,
        fd: BorrowedFd<'_>,
    ) -> io::Result<()> {
        self.epoll
            .ctl(tracer, actor, Ctl::Add, fd, EpollFlags::EPOLLIN)?;
        self.by_fd.insert(fd.as_raw_fd(), id);
        self.interest
            .insert(id, (fd.as_raw_fd(), EpollFlags::EPOLLIN));
        Ok(())
    }

    /// Changes what `id` is registered for, if that changed (one `epoll_ctl` per change).
    pub fn sync(
        &mut self,
        tracer: Option<&Tracer>,
        sock: &TracedSocket,
        id: ClientId,
        want: EpollFlags,
    ) {
        let Some((_, now)) = self.interest.get_mut(&id) else {
            return;
        };
        if *now != want
            && self
                .epoll
                .ctl(tracer, &sock.actor(), Ctl::Modify, sock.as_fd(), want)
                .is_ok()
        {
            *now = want;
        }
    }

    /// The client is about to be closed: closing its fd takes it off the kernel's list (no
    /// `EPOLL_CTL_DEL` needed); lab forgets it too.
    pub fn forget(&mut self, id: ClientId) {
        if let Some((fd, _)) = self.interest.remove(&id) {
            self.by_fd.remove(&fd);
        }
    }

    /// Stops or resumes watching the listener (out of fds: accepting pauses).
    pub fn set_accepting(&mut self, tracer: Option<&Tracer>, listener: BorrowedFd<'_>, on: bool) {
        if on != self.accepting {
            let want = if on {
                EpollFlags::EPOLLIN
            } else {
                EpollFlags::empty()
            };
            if self
                .epoll
                .ctl(tracer, "server", Ctl::Modify, listener, want)
                .is_ok()
            {
                self.accepting = on;
            }
        }
    }

    /// One `epoll_wait()`: what is ready, by client; `why` says on its line why it waits that
    /// long.
    pub fn wait(
        &mut self,
        tracer: Option<&Tracer>,
        timeout: Option<u16>,
        why: Option<String>,
    ) -> io::Result<Ready> {
        let timeout = timeout.map_or(EpollTimeout::NONE, EpollTimeout::from);
        let n = self
            .epoll
            .wait_why(tracer, "server", &mut self.events, timeout, why)?;
        let mut ready = Ready {
            stopping: false,
            can_accept: false,
            clients: Vec::with_capacity(n),
        };
        for ev in &self.events[..n] {
            let fd = ev.data() as RawFd;
            let flags = PollFlags::from_bits_truncate(ev.events().bits() as i16);
            match fd {
                _ if fd == self.stop => ready.stopping = true,
                _ if fd == self.listener => ready.can_accept = true,
                _ => ready
                    .clients
                    .extend(self.by_fd.get(&fd).map(|id| (*id, flags))),
            }
        }
        Ok(ready)
    }
}
