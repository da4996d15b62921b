//! Does the kernel's table agree with what a fd says? The verdict the trace prints after every
//! call, and the bounded waits that let an asynchronous state change finish before checking.
//!
//! Two views of one socket are compared: the fd's own state (`getsockopt(TCP_INFO)`) and the
//! row the kernel's table holds for the socket's 4-tuple (what `ss` shows). They read the same
//! kernel field, so they agree — unless the program holds a fd whose socket is not where it
//! thinks, or the state moved between the two reads. The second case is retried; the first is
//! reported in red.

use super::table::{self, KernelTable, SocketRow};
use crate::i18n::{t, M};
use crate::tcp_state::TcpState;
use std::net::SocketAddr;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

pub use crate::verdict::Verdict;

/// A verdict with the row it was based on and, where useful, the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub verdict: Verdict,
    pub row: Option<SocketRow>,
    pub reason: Option<String>,
}

impl Check {
    fn new(verdict: Verdict, row: Option<SocketRow>, reason: Option<&str>) -> Check {
        Check {
            verdict,
            row,
            reason: reason.map(str::to_string),
        }
    }

    /// The state the table reports, if it has a row.
    pub fn kernel_state(&self) -> Option<TcpState> {
        self.row.as_ref().and_then(|r| r.state)
    }
}

/// How long the trace waits, at most, for an asynchronous state change (an ACK, a SYN-ACK).
/// A delayed ACK on Linux takes 40 ms, at most 200 ms (TCP_DELACK_MAX).
pub const SETTLE_TIMEOUT: Duration = Duration::from_millis(500);

/// Compares the fd's live state with the table's row for its 4-tuple. `state` is the fd's state
/// as the caller just read it (`getsockopt(TCP_INFO)`); `local` its address if the caller has it
/// (else `getsockname`); `peer_hint` is the peer the program gave or got (connect, accept) —
/// also the one `getpeername` has none for in SYN-SENT or once the connection is over.
///
/// The fd is read again after the lookup: if its state moved in between (a FIN arrived), the
/// comparison is done again, so a race is never reported as a mismatch. Returns the state the
/// comparison was made with.
pub fn check_fd(
    table: Option<&KernelTable>,
    fd: BorrowedFd<'_>,
    mut state: Option<TcpState>,
    local: Option<SocketAddr>,
    peer_hint: Option<SocketAddr>,
) -> (Option<TcpState>, Check) {
    for _ in 0..3 {
        let check = check_once(table, fd, state, local, peer_hint);
        // The table showed the state just read from the fd: both views agree, no race to rule out.
        if check.verdict == Verdict::Agrees && check.kernel_state() == state {
            return (state, check);
        }
        let again = table::fd_state(fd).ok().flatten();
        if again == state {
            return (state, check);
        }
        state = again;
    }
    let check = check_once(table, fd, state, local, peer_hint);
    (state, check)
}

fn check_once(
    table: Option<&KernelTable>,
    fd: BorrowedFd<'_>,
    state: Option<TcpState>,
    local: Option<SocketAddr>,
    peer_hint: Option<SocketAddr>,
) -> Check {
    let Some(state) = state else {
        return Check::new(Verdict::NotApplicable, None, Some(t(M::NotTcp)));
    };
    let Some(table) = table.map(|t| t.of_socket(fd)) else {
        return Check::new(Verdict::Unavailable, None, Some(table::UNAVAILABLE));
    };
    let sock = socket2::SockRef::from(&fd);
    let Some(local) = local.or_else(|| sock.local_addr().ok().and_then(|a| a.as_socket())) else {
        return Check::new(Verdict::NotVisible, None, Some(t(M::NoLocal)));
    };
    if local.port() == 0 {
        return Check::new(Verdict::NotVisible, None, Some(t(M::Unbound)));
    }
    // A connection's peer never changes, so the one the program gave or got saves a syscall.
    let peer = peer_hint.or_else(|| sock.peer_addr().ok().and_then(|a| a.as_socket()));
    match state {
        // Several listeners may share a port (SO_REUSEPORT): the inode tells which is ours.
        TcpState::Listen => {
            let inode = table::fd_inode(fd).ok();
            let row = match inode {
                Some(i) => table.listener(local, i),
                None => table.lookup(local, table::key(local, Some(state), peer).1),
            };
            compare(row, state, inode)
        }
        TcpState::Close => check_closed_fd(table, local, peer, table::fd_inode(fd).ok()),
        // A connection's 4-tuple is unique: the row found is this socket's.
        _ => match peer {
            Some(peer) => compare(table.lookup(local, peer), state, None),
            None => Check::new(Verdict::NotVisible, None, Some(t(M::NoPeer))),
        },
    }
}

/// A fd in CLOSE: fresh and bound, or a connection that ended while the fd stayed open (reset,
/// or moved on to TIME-WAIT without it).
fn check_closed_fd(
    table: &KernelTable,
    local: SocketAddr,
    peer: Option<SocketAddr>,
    inode: Option<u64>,
) -> Check {
    if let Some(peer) = peer {
        if let Ok(Some(row)) = table.lookup(local, peer) {
            if row.state == Some(TcpState::TimeWait) {
                return Check::new(Verdict::Agrees, Some(row), Some(t(M::FdCloseTimeWait)));
            }
        }
        return Check::new(Verdict::Agrees, None, Some(t(M::ConnectionOver)));
    }
    if !table::kernel_lists_bound_sockets() {
        return Check::new(Verdict::NotVisible, None, Some(t(M::BoundInvisible)));
    }
    let filter = table::Filter {
        state: Some(TcpState::BoundInactive),
        bound: true,
        port: Some(local.port()),
        ..Default::default()
    };
    match table.rows(&filter) {
        Ok(rows) => match rows.into_iter().find(|r| Some(r.inode) == inode) {
            // The kernel reports such a socket with state CLOSE, like the fd.
            Some(row) => Check::new(Verdict::Agrees, Some(row), Some(t(M::BoundIdle))),
            // getsockname() still shows the port, but the socket may have given it back: a
            // socket whose connection or listening ends keeps its port only if bind() named it
            // (an ephemeral port, or one from port 0, is released). Then it has no row at all.
            None => Check::new(Verdict::NotVisible, None, Some(t(M::ClosePortGiven))),
        },
        Err(e) => Check::new(Verdict::Unavailable, None, Some(&e.to_string())),
    }
}

fn compare(
    found: std::io::Result<Option<SocketRow>>,
    state: TcpState,
    inode: Option<u64>,
) -> Check {
    match found {
        Err(e) => Check::new(Verdict::Unavailable, None, Some(&e.to_string())),
        Ok(None) => Check::new(Verdict::Differs, None, Some(t(M::NoRow))),
        Ok(Some(row)) => {
            let same_socket = row.inode == 0 || inode.is_none_or(|i| i == row.inode);
            if !same_socket {
                Check::new(Verdict::Differs, Some(row), Some(t(M::OtherInode)))
            } else if row.state.is_some_and(|k| k.same_as(state)) {
                Check::new(Verdict::Agrees, Some(row), None)
            } else {
                Check::new(Verdict::Differs, Some(row), None)
            }
        }
    }
}

/// Whether a fd's own state (`getsockopt(TCP_INFO)`) says what the table's row says (`None`: no
/// row). They name some states differently: a bound, idle socket is CLOSE to its fd and
/// BOUND-INACTIVE (or no row) in the table; a fd whose connection ended is CLOSE while the
/// 4-tuple lives on in TIME-WAIT, or is gone.
pub fn fd_agrees_with_row(fd: Option<TcpState>, row: Option<TcpState>) -> bool {
    match (fd, row) {
        (Some(f), Some(r)) => f.same_as(r) || (f == TcpState::Close && r == TcpState::TimeWait),
        (Some(TcpState::Close), None) | (None, None) => true,
        _ => false,
    }
}

/// Waits, at most `timeout`, for a fd to leave a transient state (SYN-SENT, FIN-WAIT-1, …).
/// Returns every state seen after `first`, in order. Polls TCP_INFO (0.6 µs) with a backoff
/// from 50 µs to 5 ms: a bounded wait for a condition, never a fixed sleep.
pub fn settle_fd(fd: BorrowedFd<'_>, first: Option<TcpState>, timeout: Duration) -> Vec<TcpState> {
    let mut seen = Vec::new();
    let mut current = first;
    wait_until(timeout, || {
        let now = table::fd_state(fd).ok().flatten();
        if now != current {
            if let Some(s) = now {
                seen.push(s);
            }
            current = now;
        }
        !current.is_some_and(crate::transitions::is_transient)
    });
    seen
}

/// How long a row that vanished mid-close is looked for again (see
/// [`crate::transitions::hands_over_to_timewait`]).
const HANDOVER_GRACE: Duration = Duration::from_millis(20);

/// Follows a connection whose fd is gone, by its 4-tuple: the states the table shows for it,
/// waiting at most `timeout` for transient ones to pass. `None` in the path means "gone".
/// `handover`: the first look may fall in the kernel's swap of the orphan for its timewait
/// socket (a close that sent FIN from ESTAB), so a first "no row" is looked at again too.
pub fn follow_tuple(
    table: &KernelTable,
    local: SocketAddr,
    peer: SocketAddr,
    timeout: Duration,
    handover: bool,
) -> Vec<Option<SocketRow>> {
    let mut path: Vec<Option<SocketRow>> = Vec::new();
    let mut gone_since: Option<Instant> = None;
    wait_until(timeout, || {
        let row = table.lookup(local, peer).ok().flatten();
        let state = row.as_ref().and_then(|r| r.state);
        let last = path.last().map(|r| r.as_ref().and_then(|r| r.state));
        // Vanished right after a state whose socket the kernel swaps for a timewait one: look
        // again for a moment before calling it gone. (Measured: under load, exact lookups
        // missed an orphan between FIN-WAIT-1 and its timewait FIN-WAIT-2 in 7 of 3,000
        // closes; a look a moment later found it.)
        let swapping = match last {
            Some(l) => l.is_some_and(crate::transitions::hands_over_to_timewait),
            None => handover,
        };
        if state.is_none() && swapping {
            let since = *gone_since.get_or_insert_with(Instant::now);
            if since.elapsed() < HANDOVER_GRACE {
                return false;
            }
        }
        if last != Some(state) {
            path.push(row);
        }
        !state.is_some_and(crate::transitions::is_transient)
    });
    path
}

/// Calls `done` until it returns true or `timeout` passes, sleeping 50 µs, then doubling up
/// to 5 ms between calls. Returns whether `done` returned true.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    let mut pause = Duration::from_micros(50);
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

/// The row of a socket one of whose fds was just closed, if it still carries the socket's
/// `inode`: then another fd holds it, and the close only dropped one reference and sent nothing
/// (a socket no fd holds is an orphan, and the table shows inode 0 for it). `before`: its state
/// before the close, which [`table::key`] finds it by.
pub fn still_held(
    table: &KernelTable,
    local: SocketAddr,
    before: TcpState,
    peer: Option<SocketAddr>,
    inode: u64,
) -> Option<SocketRow> {
    let (l, r) = table::key(local, Some(before), peer);
    let row = table.lookup(l, r).ok().flatten()?;
    (row.inode == inode && inode != 0).then_some(row)
}

/// What the table shows for a socket after its fd was closed, in order, waiting (bounded) for
/// transient states to pass: `None` in the path means "gone". `before` is its state before the
/// close: a listener is looked up by its address ([`table::key`]) and told apart by `inode` from
/// another on the same port (SO_REUSEPORT), which is not ours. `None`: a connection whose peer
/// is not known, which cannot be found once its fd is gone. `handover`: see [`follow_tuple`].
pub fn after_close(
    table: &KernelTable,
    local: SocketAddr,
    before: TcpState,
    peer: Option<SocketAddr>,
    inode: Option<u64>,
    (timeout, handover): (Duration, bool),
) -> Option<Vec<Option<SocketRow>>> {
    let listener = before == TcpState::Listen;
    if !listener && peer.is_none() {
        return None;
    }
    let (local, remote) = table::key(local, Some(before), peer);
    let mut path = follow_tuple(table, local, remote, timeout, handover && !listener);
    if listener {
        path.retain(|r| r.as_ref().is_some_and(|r| Some(r.inode) == inode));
        if path.is_empty() {
            path.push(None);
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_is_bounded() {
        let start = Instant::now();
        assert!(!wait_until(Duration::from_millis(20), || false));
        assert!(start.elapsed() < Duration::from_millis(500));
        let mut n = 0;
        assert!(wait_until(Duration::from_secs(5), || {
            n += 1;
            n == 3
        }));
    }
}
