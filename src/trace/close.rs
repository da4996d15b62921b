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
//! 3. [`judge_close`]: what the table shows for the connection afterwards, and the verdict —
//!    unless another fd still holds the socket (see [`held`]): then this close sent nothing.

use super::event::Actor;
use super::record::Recording;
use super::tracer::Tracer;
use crate::kernel::check::{self, Verdict};
use crate::kernel::owners::{self, Holders};
use crate::kernel::table::{self, SocketRow};
use crate::tcp_state::TcpState;
use crate::transitions::{self, Abort};
use socket2::SockRef;
use std::net::SocketAddr;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// What `close()` must learn before the fd is gone: afterwards only the 4-tuple finds it.
pub(crate) struct LastLook {
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) inode: Option<u64>,
    pub(crate) abort: Option<Abort>,
    /// The process that closes it (for lab's own sockets, lab itself).
    pub(crate) closer: u32,
}

impl LastLook {
    /// The socket's ends, inode and whether closing it aborts, read while `fd` still exists.
    /// `peer` is the one the program gave `connect()` or got from `accept()` (`getpeername()`
    /// has none in SYN-SENT, or once the connection is over); `inode` its inode if known
    /// already (else `fstat(2)`); `linger0`: SO_LINGER with timeout 0 was set; `closer`: the
    /// pid of the process that closes it.
    pub(crate) fn take(
        fd: BorrowedFd<'_>,
        peer: Option<SocketAddr>,
        (inode, linger0): (Option<u64>, bool),
        closer: u32,
    ) -> LastLook {
        let s = SockRef::from(&fd);
        LastLook {
            local: s.local_addr().ok().and_then(|a| a.as_socket()),
            peer: s.peer_addr().ok().and_then(|a| a.as_socket()).or(peer),
            inode: inode.or_else(|| table::fd_inode(fd).ok()),
            abort: abort_at_close(fd, linger0),
            closer,
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
/// [`transitions::close_verdict`] — or, while another fd still holds the socket, by [`held`].
/// (A connection still in the table is followed from now on by the kernel observer, from the
/// state this event shows.)
pub(crate) fn judge_close(rec: &mut Recording<'_>, look: &LastLook) {
    let closed = Instant::now();
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
    let follow = || check::after_close(tab, local, before, look.peer, look.inode, wait);
    let Some(mut path) = follow() else {
        // A connection whose peer is not known cannot be found once its fd is gone.
        ev.verdict = Verdict::NotApplicable;
        return;
    };
    let first = path.first().cloned().flatten();
    let held_row = first.filter(|r| look.inode == Some(r.inode) && r.inode != 0);
    let mut let_go = None;
    if let Some(row) = held_row.filter(|_| !ev.failed()) {
        match held(rec, &row, (local, before, closed), look) {
            Held::Said => return,
            Held::LetGo(words) => (path, let_go) = (follow().unwrap_or_default(), Some(words)),
        }
    }
    judge_path(rec, &path, (local, before), look);
    if let Some(words) = let_go {
        let ev = &mut rec.ev;
        ev.reason = Some(match ev.reason.take() {
            Some(why) => format!("{words}; {why}"),
            None => words,
        });
    }
}

/// How long a close waits, at most, for a passing holder — a child between `vfork()` and
/// `exec()` — to let go of the socket before judging it. Such a child execs within a few
/// milliseconds; the bound is for a loaded machine, and is paid only while one (or a holder lab
/// cannot see) is there. A tracer that must never wait (settle timeout 0) does not wait at all.
const LET_GO: Duration = Duration::from_secs(2);

/// What a close that left its socket held came to.
enum Held {
    /// It is still held, and the event says so (and by whom): this close sent nothing.
    Said,
    /// A passing holder held it after the close, and let go since (these words say it): the
    /// close is judged as every close.
    LetGo(String),
}

/// The rule for a socket that another fd still holds after this close (its `row` still carries
/// its inode): the close only dropped a reference, so no FIN went and the state did not move.
/// Who holds it ([`owners::holders`]) decides. A lasting holder (a forking server's child, a
/// `dup()`) keeps it: the event says who, and the table is right to show it unmoved; nothing is
/// waited for. A child between `vfork()` and `exec()` lets go by itself — the FIN leaves then —
/// and so does a holder lab no longer finds (exec'd or gone since; or one lab may not see, another
/// user's): the close waits for that,
/// bounded ([`LET_GO`]), and is then judged as every close, its reason saying how long it was
/// held. Still held after the bound: said, as for a lasting holder.
fn held(
    rec: &mut Recording<'_>,
    row: &SocketRow,
    (local, before, closed): (SocketAddr, TcpState, Instant),
    look: &LastLook,
) -> Held {
    let t = rec.tracer();
    let holders = owners::holders(row.inode, look.closer);
    if holders.lasting.is_empty() {
        let bound = if t.settle_timeout().is_zero() {
            Duration::ZERO
        } else {
            LET_GO
        };
        let let_go = t.table().is_some_and(|tab| {
            check::wait_until(bound, || {
                check::still_held(tab, local, before, look.peer, row.inode).is_none()
            })
        });
        if let_go {
            return Held::LetGo(let_go_words(&holders, closed.elapsed()));
        }
    }
    let ev = &mut rec.ev;
    // Nothing was sent: not the RST an abortive close sends either (that is the last one's).
    if ev.note.is_some() && ev.note.as_deref() == look.abort.map(Abort::words) {
        ev.note = None;
    }
    (ev.verdict, ev.kernel, ev.kernel_path) = (Verdict::Agrees, row.state, vec![row.state]);
    (ev.recv_q, ev.send_q) = (Some(row.recv_q), Some(row.send_q));
    ev.reason = Some(held_words(&holders));
    ev.heir = heir(t, &holders, look.closer);
    Held::Said
}

/// Whose lifeline a connection goes on after a close that left it held by another process (a
/// forking server's child), so that what the kernel does to it later is shown once, on the
/// lifeline of a process that holds a fd for it. None while the closer itself holds another fd
/// (a `dup()`: its lifeline keeps it, and a traced call on that fd says it is open), and for a
/// holder that lets go by itself or that lab cannot see: the closer's lifeline keeps the
/// connection then, its fd closed, as after any close.
fn heir(t: &Tracer, h: &Holders, closer: u32) -> Option<Actor> {
    if h.lasting.iter().any(|o| o.pid == closer) {
        return None;
    }
    t.process_actor(h.lasting.first()?.pid)
}

/// Who held a socket `held` after its close, and let go: a child between `fork()` and `exec()`
/// only if lab saw one; a holder lab did not see (another user's, or one gone before the look)
/// is not named by a guess.
fn let_go_words(h: &Holders, held: Duration) -> String {
    if h.passing.is_empty() {
        transitions::close_let_go_unseen(held)
    } else {
        transitions::close_let_go(held)
    }
}

/// Who still holds a socket, in words.
fn held_words(h: &Holders) -> String {
    if !h.lasting.is_empty() {
        transitions::close_held_by(&owners::describe(&h.lasting))
    } else if !h.passing.is_empty() {
        transitions::close_held_passing(&owners::describe(&h.passing))
    } else {
        transitions::close_held_unseen().to_string()
    }
}

/// Judges the close by the states the table showed for the connection afterwards (`path`,
/// [`transitions::close_verdict`]), and the state the wire saw between our FIN and its ACK.
fn judge_path(
    rec: &mut Recording<'_>,
    path: &[Option<SocketRow>],
    (local, before): (SocketAddr, TcpState),
    look: &LastLook,
) {
    let t = rec.tracer();
    let ev = &mut rec.ev;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::owners::Owner;

    /// A holder that let go is said to be a child between fork() and exec() only when lab saw
    /// one: a holder it did not see (gone before the look, or another user's) is not guessed at.
    #[test]
    fn a_holder_that_let_go_is_named_a_spawned_child_only_if_one_was_seen() {
        let held = Duration::from_micros(1500);
        let unseen = let_go_words(&Holders::default(), held);
        assert!(!unseen.contains("fork()"), "{unseen}");
        assert!(
            unseen.contains("1500 µs") && unseen.contains("FIN left"),
            "{unseen}"
        );
        let child = Owner {
            pid: 4312,
            program: "sh".into(),
            fd: 4,
        };
        let spawned = Holders {
            lasting: vec![],
            passing: vec![child],
        };
        let words = let_go_words(&spawned, held);
        assert!(
            words.contains("between fork() and exec() held this socket 1500 µs"),
            "{words}"
        );
    }
}
