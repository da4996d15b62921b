//! `poll(2)`, traced: which fds a single-threaded server waits on, for what, and which were
//! ready when it woke — the heart of a readiness loop, shown like strace shows it:
//! `poll([{fd=3, events=POLLIN}, {fd=5, events=POLLIN|POLLOUT}], 2, -1)
//! = 1 ([{fd=3, revents=POLLIN}])`.

use super::event::{Arg, Detail};
use super::record::Recording;
use super::syscall::Syscall;
use super::tracer::Tracer;
use nix::poll::{PollFd, PollTimeout};
use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Waits until one of `fds` is ready or `timeout` passes. Corresponds to `poll(2)`.
/// Returns how many fds are ready; each one's `revents()` says for what.
pub fn poll(
    tracer: Option<&Tracer>,
    actor: &str,
    fds: &mut [PollFd<'_>],
    timeout: PollTimeout,
) -> io::Result<usize> {
    poll_why(tracer, actor, fds, timeout, None)
}

/// [`poll`], with why the program waits that long said on the call's line (`note`).
pub fn poll_why(
    tracer: Option<&Tracer>,
    actor: &str,
    fds: &mut [PollFd<'_>],
    timeout: PollTimeout,
    note: Option<String>,
) -> io::Result<usize> {
    let Some(t) = tracer else {
        return Ok(nix::poll::poll(fds, timeout)?.try_into().unwrap_or(0));
    };
    let watched = Arg::poll_fds(fds.iter().map(|f| (f.as_fd().as_raw_fd(), f.events())));
    let args = vec![
        watched,
        Arg::Int(fds.len() as i64),
        Arg::Int(i64::from(i32::from(timeout))),
    ];
    let mut rec = Recording::start(t, actor, Syscall::Poll, None, args);
    // About to wait: whatever the trace holds must be out (a file may be read meanwhile).
    t.idle();
    let result = nix::poll::poll(fds, timeout).map_err(io::Error::from);
    rec.result(&result, |ev, n| {
        let ready = fds.iter().filter_map(|f| {
            f.revents()
                .filter(|r| !r.is_empty())
                .map(|r| (f.as_fd().as_raw_fd(), r))
        });
        ev.detail = Some(if *n == 0 {
            Detail::Timeout
        } else {
            Detail::ready(ready)
        });
        ev.note = note;
        i64::from(*n)
    });
    rec.emit();
    Ok(result?.try_into().unwrap_or(0))
}
