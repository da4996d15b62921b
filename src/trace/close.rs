//! What `close(2)` leaves behind.
//!
//! The fd is gone at once, but the connection may live on in the kernel (FIN-WAIT-1/2,
//! LAST-ACK, TIME-WAIT), or end with RST instead of FIN. So a close is recorded in three steps,
//! the same for lab's own sockets ([`super::TracedSocket`]) and a traced program's
//! ([`crate::ptrace`]):
//!
//! 1. [`LastLook::take`], before the call: what only the fd can tell — its ends, its inode,
//!    whether closing it aborts. Afterwards the table finds the connection by its 4-tuple alone.
//! 2. [`record_gone`], after it: the fd is gone; the note says why RST is sent, if it is.
//! 3. [`judge_close`]: what the table shows for the connection afterwards, and the verdict.

use super::record::Recording;
use crate::kernel::check::{self, Verdict};
use crate::kernel::table;
use crate::tcp_state::TcpState;
use crate::transitions::{self, Abort};
use socket2::SockRef;
use std::net::SocketAddr;
use std::os::fd::BorrowedFd;

/// What `close()` must learn before the fd is gone: afterwards only the 4-tuple finds it.
pub(crate) struct LastLook {
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) inode: Option<u64>,
    pub(crate) abort: Option<Abort>,
}

impl LastLook {
    /// The socket's ends, inode and whether closing it aborts, read while `fd` still exists.
    /// `peer` is the one the program gave `connect()` or got from `accept()` (`getpeername()`
    /// has none in SYN-SENT, or once the connection is over); `inode` its inode if known
    /// already (else `fstat(2)`); `linger0`: SO_LINGER with timeout 0 was set.
    pub(crate) fn take(
        fd: BorrowedFd<'_>,
        peer: Option<SocketAddr>,
        inode: Option<u64>,
        linger0: bool,
    ) -> LastLook {
        let s = SockRef::from(&fd);
        LastLook {
            local: s.local_addr().ok().and_then(|a| a.as_socket()),
            peer: s.peer_addr().ok().and_then(|a| a.as_socket()).or(peer),
            inode: inode.or_else(|| table::fd_inode(fd).ok()),
            abort: abort_at_close(fd, linger0),
        }
    }
}

/// Whether closing a connection about to be closed sends RST instead of FIN: data in its
/// receive queue the program never read (Linux resets, RFC 2525 §2.17; the peer's FIN does
/// not count: [`crate::sys::unread_bytes`]), else SO_LINGER 0 (`linger0`).
fn abort_at_close(fd: BorrowedFd<'_>, linger0: bool) -> Option<Abort> {
    if crate::sys::unread_bytes(fd).unwrap_or(0) > 0 {
        Some(Abort::UnreadData)
    } else {
        linger0.then_some(Abort::Linger0)
    }
}

/// Records that the fd is gone, the socket's last ends, and — if the close sends RST from the
/// state the socket was in — why, in the note.
pub(crate) fn record_gone(rec: &mut Recording<'_>, look: &LastLook) {
    rec.ev.fd_gone = true;
    if let (Some(abort), Some(before)) = (look.abort, rec.ev.before) {
        if transitions::close_resets(before) {
            rec.ev.note = Some(abort.words().into());
        }
    }
    rec.addresses(look.local, look.peer);
}

/// The verdict on a `close()`: what the table shows for the connection afterwards, judged by
/// [`transitions::close_verdict`]. (A connection still in the table is followed from now on by
/// the kernel observer, from the state this event shows.)
pub(crate) fn judge_close(rec: &mut Recording<'_>, look: &LastLook) {
    let t = rec.tracer();
    let ev = &mut rec.ev;
    let Some(tab) = t.table() else {
        (ev.verdict, ev.reason) = (Verdict::Unavailable, Some(table::UNAVAILABLE.into()));
        return;
    };
    let (Some(before), Some(local)) = (ev.before, look.local.filter(|l| l.port() != 0)) else {
        (ev.verdict, ev.reason) = (Verdict::NotVisible, Some("was never in the table".into()));
        return;
    };
    let handover = transitions::close_may_hand_over(before, look.abort);
    let wait = (t.settle_timeout(), handover);
    let Some(path) = check::after_close(tab, local, before, look.peer, look.inode, wait) else {
        // A connection whose peer is not known cannot be found once its fd is gone.
        ev.verdict = Verdict::NotApplicable;
        return;
    };
    let states: Vec<Option<TcpState>> = path
        .iter()
        .map(|r| r.as_ref().and_then(|r| r.state))
        .collect();
    (ev.verdict, ev.reason) = transitions::close_verdict(before, look.abort, &states);
    // The state between our FIN and its ACK, as the wire shows it (the table rarely can).
    let fin_seen = |p: SocketAddr| t.fin_on_wire(local, p) == Some(true);
    ev.wire_state = transitions::close_waits_for_ack(before, look.abort)
        .filter(|_| look.peer.is_some_and(fin_seen));
    if let Some(Some(row)) = path.last() {
        (ev.recv_q, ev.send_q) = (Some(row.recv_q), Some(row.send_q));
    }
    ev.kernel = states.last().copied().flatten();
    ev.kernel_path = states;
}
