//! `poll(2)`, traced: which fds a single-threaded server waits on, for what, and which were
//! ready when it woke — the heart of a readiness loop, shown like strace shows it:
//! `poll([{fd=3, events=POLLIN}, {fd=5, events=POLLIN|POLLOUT}], 2, -1) = 1 ([{fd=3, revents=POLLIN}])`.

use super::event::{Event, Kind};
use super::names;
use super::Tracer;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// How many fds the trace lists before `...` (a server may poll 10,000).
const SHOW_FDS: usize = 8;

/// Waits until one of `fds` is ready or `timeout` passes. Corresponds to `poll(2)`.
/// Returns how many fds are ready; each one's `revents()` says for what.
pub fn poll(tracer: Option<&Tracer>, actor: &str, fds: &mut [PollFd<'_>], timeout: PollTimeout) -> io::Result<usize> {
    let Some(t) = tracer else {
        return Ok(nix::poll::poll(fds, timeout)?.try_into().unwrap_or(0));
    };
    let ms = i32::from(timeout);
    let watched = list(fds.iter().map(|f| (f.as_fd().as_raw_fd(), f.events())), "events");
    let args = format!("{watched}, {}, {ms}", fds.len());
    t.step(actor, &format!("poll({args})"));
    // About to wait: whatever the trace holds must be out (a file may be read meanwhile).
    t.flush();
    let result = nix::poll::poll(fds, timeout).map_err(io::Error::from);
    let mut ev = Event::new(Kind::Call, actor, "poll", args);
    match &result {
        Ok(n) => {
            ev.ret = Some(i64::from(*n));
            let ready =
                fds.iter().filter_map(|f| f.revents().filter(|r| !r.is_empty()).map(|r| (f.as_fd().as_raw_fd(), r)));
            ev.detail = Some(if *n == 0 { "Timeout".to_string() } else { list(ready, "revents") });
        }
        Err(e) => {
            let (name, msg) = names::errno(e);
            ev.ret = Some(-1);
            ev.errno = Some(name);
            ev.errmsg = Some(msg);
        }
    }
    t.emit(ev);
    Ok(result?.try_into().unwrap_or(0))
}

/// `[{fd=3, events=POLLIN}, …]`, cut after [`SHOW_FDS`].
fn list(items: impl Iterator<Item = (i32, PollFlags)>, key: &str) -> String {
    let mut parts = Vec::new();
    let mut more = 0;
    for (fd, flags) in items {
        if parts.len() < SHOW_FDS {
            parts.push(format!("{{fd={fd}, {key}={}}}", flag_names(flags)));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        parts.push(format!("... {more} more"));
    }
    format!("[{}]", parts.join(", "))
}

/// `POLLIN|POLLOUT`, as strace writes poll flags.
pub fn flag_names(f: PollFlags) -> String {
    const NAMES: [(PollFlags, &str); 6] = [
        (PollFlags::POLLIN, "POLLIN"),
        (PollFlags::POLLPRI, "POLLPRI"),
        (PollFlags::POLLOUT, "POLLOUT"),
        (PollFlags::POLLERR, "POLLERR"),
        (PollFlags::POLLHUP, "POLLHUP"),
        (PollFlags::POLLNVAL, "POLLNVAL"),
    ];
    let names: Vec<&str> = NAMES.iter().filter(|(flag, _)| f.contains(*flag)).map(|(_, n)| *n).collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_by_name() {
        assert_eq!(flag_names(PollFlags::POLLIN | PollFlags::POLLOUT), "POLLIN|POLLOUT");
        assert_eq!(flag_names(PollFlags::empty()), "0");
    }

    #[test]
    fn long_lists_are_cut() {
        let items = (0..10).map(|fd| (fd, PollFlags::POLLIN));
        let s = list(items, "events");
        assert!(s.starts_with("[{fd=0, events=POLLIN}"));
        assert!(s.ends_with("... 2 more]"));
    }
}
