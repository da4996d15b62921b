//! `epoll(7)`, traced. Where `poll()` is handed every fd on every call — and the kernel looks
//! at each, so each call costs as much as the number of fds watched — epoll keeps the
//! interest list in the kernel: `epoll_ctl()` once per change, and `epoll_wait()` returns only
//! the fds that are ready. Shown as strace shows them: `epoll_ctl(4, EPOLL_CTL_ADD, 7, EPOLLIN)`,
//! `epoll_wait(4, 1024, -1) → [{events=EPOLLIN, data={u32=7, u64=7}}] = 1`.
//!
//! Each registration's data word holds the fd (a common convention, and what lets the trace
//! say which fds were ready).

use super::event::{Arg, Detail};
use super::names;
use super::record::Recording;
use super::syscall::Syscall;
use super::tracer::Tracer;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// An epoll instance whose calls are traced.
pub struct TracedEpoll {
    epoll: Epoll,
}

/// What `epoll_ctl()` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctl {
    Add,
    Modify,
}

impl TracedEpoll {
    /// A new instance. Corresponds to `epoll_create1(EPOLL_CLOEXEC)` (not a socket call: not
    /// traced).
    pub fn new() -> io::Result<TracedEpoll> {
        Ok(TracedEpoll {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
        })
    }

    /// Adds, changes or removes `fd`'s interest. Corresponds to `epoll_ctl(2)`.
    pub fn ctl(
        &self,
        tracer: Option<&Tracer>,
        actor: &str,
        op: Ctl,
        fd: BorrowedFd<'_>,
        events: EpollFlags,
    ) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        let ev = EpollEvent::new(events, raw as u64);
        let call = || -> io::Result<()> {
            match op {
                Ctl::Add => self.epoll.add(fd, ev),
                Ctl::Modify => self.epoll.modify(fd, &mut ev.clone()),
            }
            .map_err(io::Error::from)
        };
        let Some(t) = tracer else { return call() };
        let (code, shown) = match op {
            Ctl::Add => (
                libc::EPOLL_CTL_ADD,
                names::epoll_events(events.bits() as u32),
            ),
            Ctl::Modify => (
                libc::EPOLL_CTL_MOD,
                names::epoll_events(events.bits() as u32),
            ),
        };
        let args = vec![
            Arg::Fd(self.epoll.0.as_raw_fd()),
            Arg::Const(names::epoll_op(code)),
            Arg::Fd(raw),
            Arg::Const(shown),
        ];
        let mut rec = Recording::start(t, actor, Syscall::EpollCtl, None, args);
        let result = call();
        rec.result(&result, |_, _| 0);
        rec.emit();
        result
    }

    /// Waits until a registered fd is ready or `timeout` passes; fills `events` (each one's
    /// data is its fd). Corresponds to `epoll_wait(2)`.
    pub fn wait(
        &self,
        tracer: Option<&Tracer>,
        actor: &str,
        events: &mut [EpollEvent],
        timeout: EpollTimeout,
    ) -> io::Result<usize> {
        self.wait_why(tracer, actor, events, timeout, None)
    }

    /// [`TracedEpoll::wait`], with why the program waits that long said on the call's line.
    pub fn wait_why(
        &self,
        tracer: Option<&Tracer>,
        actor: &str,
        events: &mut [EpollEvent],
        timeout: EpollTimeout,
        note: Option<String>,
    ) -> io::Result<usize> {
        let Some(t) = tracer else {
            return Ok(self.epoll.wait(events, timeout)?);
        };
        let ms = i64::from(i32::from(timeout));
        let args = vec![
            Arg::Fd(self.epoll.0.as_raw_fd()),
            Arg::Int(events.len() as i64),
            Arg::Int(ms),
        ];
        let mut rec = Recording::start(t, actor, Syscall::EpollWait, None, args);
        // About to wait: whatever the trace holds must be out (a file may be read meanwhile).
        t.idle();
        let result = self.epoll.wait(events, timeout).map_err(io::Error::from);
        rec.result(&result, |ev, n| {
            let ready = events[..*n]
                .iter()
                .map(|e| (e.events().bits() as u32, e.data()));
            ev.detail = Some(if *n == 0 {
                Detail::Timeout
            } else {
                Detail::events(ready)
            });
            ev.note = note;
            *n as i64
        });
        rec.emit();
        result
    }
}
