//! Who moved the connection: the call, or the peer meanwhile.
//!
//! A call's event shows the fd's state before and after it. Between the two, the peer may
//! have moved the connection too — its FIN arrives while `recv()` waits, or while lab waits
//! for the ACK of our own FIN after `shutdown()`. Shown on the call's line, that move would
//! read as the call's doing (`shutdown(SHUT_WR)` "ESTAB → CLOSE"). So the call's line keeps
//! only what the call did ([`transitions::attribute`] tells which moves those are), and what
//! the peer did is a kernel line of its own: before the call's line when it came first, right
//! after it when it came after the call's own moves — or after a call that moved bytes
//! (`send()` returned 4: its bytes went while the connection was where the call found it, and
//! the peer's FIN seen after it returned is most often the answer to them; see `told_after`).

use super::event::{Actor, Arg, Event, Kind};
use crate::i18n::{t, M};
use crate::kernel::table;
use crate::tcp_state::TcpState;
use crate::transitions::{self, Act, Ending};
use crate::verdict::Verdict;
use std::net::SocketAddr;
use std::time::Duration;

/// The event for a move the kernel made on its own, on the connection `local ⇄ peer` (`peer`
/// `None`: a listener) that `actor` holds (`fd_open`: still through a fd), `held` after it
/// entered `old`.
pub(crate) fn kernel_move(
    actor: impl Into<Actor>,
    (local, peer): (SocketAddr, Option<SocketAddr>),
    old: Option<TcpState>,
    new: Option<TcpState>,
    fd_open: bool,
    held: Duration,
) -> Event {
    let mut ev = Event::new(Kind::Kernel, actor);
    let (l, p) = table::tuple(local, peer);
    ev.args = vec![Arg::Tuple(l, p)];
    (ev.local, ev.peer) = (Some(local), peer);
    (ev.before, ev.kernel) = (old, new);
    ev.fd_gone = !fd_open;
    // What ended it, if it ended, is told when the event's turn comes (see `ending`): only
    // a timer is known here.
    let late = transitions::timed_out(held, table::fin_timeout());
    ev.ended = late.then_some(Ending::TimedOut);
    let words =
        transitions::kernel_move_words(old, new, fd_open, ev.ended.unwrap_or(Ending::Unknown));
    ev.note = Some(words.to_string());
    ev
}

/// A call's event as the events to print, added to `out`: the call's own, with the peer's moves
/// meanwhile as kernel events before or after it. Events that are not calls on a connection
/// pass as they are. (Added to the caller's list, not returned in one of their own: most calls
/// are one event, and a list each would be an allocation per call of a busy server.)
pub(crate) fn split(ev: Event, out: &mut Vec<Event>) {
    let (Kind::Call, Some(local), Some(before)) = (ev.kind, ev.local, ev.before) else {
        return out.push(ev);
    };
    if ev.fd_gone {
        return out.extend(split_close(ev, local));
    }
    if ev.transit.is_empty() && ev.state == Some(before) {
        // Left where it was found (most `send()`s and `recv()`s): nothing moved, nothing to
        // split — what `attribute` says of it, without the list of states seen.
        return out.push(ev);
    }
    split_moved(ev, local, before, out);
}

/// [`split`], for a call whose fd was seen in another state than the one it was found in.
fn split_moved(ev: Event, local: SocketAddr, before: TcpState, out: &mut Vec<Event>) {
    let seen = seen_after(&ev);
    let mut a = transitions::attribute(act(&ev), before, &seen);
    if told_after(&ev) && a.own.is_empty() && a.then.is_none() {
        (a.first, a.then) = (None, a.first);
    }
    if a.first.is_none() && a.then.is_none() {
        return out.push(ev);
    }
    let ends = (local, ev.peer);
    let mut ev = ev;
    if let Some(first) = a.first {
        // Only the peer moved it: the kernel line says where the table has it now.
        let new = if a.own.is_empty() && checked(&ev) {
            ev.kernel
        } else {
            Some(first)
        };
        let mut moved = kernel_move(&ev.actor, ends, Some(before), new, true, Duration::ZERO);
        // The call found the connection ended: its errno says what ended it.
        super::ending::said_by(&mut moved, ev.errno);
        out.push(moved);
        ev.before = Some(fd_view(first));
    }
    let own_end = a.own.last().copied().or(a.first).unwrap_or(before);
    ev.transit = a
        .own
        .iter()
        .copied()
        .filter(|s| *s != own_end)
        .map(fd_view)
        .collect();
    ev.state = Some(fd_view(own_end));
    let then = a.then.map(|then| {
        let new = if checked(&ev) { ev.kernel } else { Some(then) };
        let mut moved = kernel_move(&ev.actor, ends, Some(own_end), new, true, Duration::ZERO);
        super::ending::said_by(&mut moved, ev.errno);
        moved
    });
    if then.is_some() {
        // What the table showed is the peer's doing, and is on the kernel line.
        (ev.verdict, ev.reason) = (Verdict::NotApplicable, Some(t(M::PeerMovedOn).to_string()));
        (ev.kernel, ev.recv_q, ev.send_q) = (None, None, None);
    }
    out.push(ev);
    out.extend(then);
}

/// Whether the peer's move, seen only after a call that moves no state itself, is told after
/// the call's line rather than before it: when the call moved bytes and returned a count. A
/// `send()` that returned 4 gave its bytes while the connection was where the call found it
/// (its state was read at the call's start); the FIN or RST seen when lab looked after it
/// returned is most often the peer's answer to those very bytes, and told before them it would
/// read as a `send()` made on a connection the peer had already closed. A call that saw the
/// move itself — a `recv()` that returned 0 (the FIN), a call that failed (ECONNRESET, EPIPE)
/// — keeps the move before it.
fn told_after(ev: &Event) -> bool {
    let moved_bytes = ev.ret.is_some_and(|n| n > 0) && ev.errno.is_none();
    moved_bytes && ev.call.is_some_and(|c| c.moves_data())
}

/// What a call can do by itself.
fn act(ev: &Event) -> Act {
    use super::syscall::Syscall;
    match ev.call {
        Some(Syscall::Connect) => Act::Connect,
        Some(Syscall::Listen) => Act::Listen,
        Some(Syscall::Shutdown) => {
            ev.args.iter().find_map(|a| {
                if let Arg::Shutdown(how) = a {
                    Some(Act::Shutdown(*how))
                } else {
                    None
                }
            })
        }
        .unwrap_or(Act::Other),
        _ => Act::Other,
    }
}

/// The states the fd went through after the call, in order. A fd that went to CLOSE during
/// the call has left its connection; if the table holds that connection in TIME-WAIT, that is
/// where it went (this side closed first), not gone (reset, or closed from CLOSE-WAIT).
fn seen_after(ev: &Event) -> Vec<TcpState> {
    let mut seen: Vec<TcpState> = ev.transit.iter().copied().chain(ev.state).collect();
    let left_during_the_call =
        ev.before != Some(TcpState::Close) && ev.kernel == Some(TcpState::TimeWait);
    if let (Some(last @ TcpState::Close), true, true) =
        (seen.last_mut(), left_during_the_call, checked(ev))
    {
        *last = TcpState::TimeWait;
    }
    seen
}

/// A state as the fd shows it: a connection in TIME-WAIT has left its fd's socket, in CLOSE.
fn fd_view(s: TcpState) -> TcpState {
    if s == TcpState::TimeWait {
        TcpState::Close
    } else {
        s
    }
}

/// The check read the table's row for the connection.
fn checked(ev: &Event) -> bool {
    matches!(ev.verdict, Verdict::Agrees | Verdict::Differs)
}

/// A `close()`: the table's states after it that the close did not make itself (the peer's FIN
/// arriving, its RST) go to a kernel event after it.
fn split_close(mut ev: Event, local: SocketAddr) -> Vec<Event> {
    let own = transitions::close_own_states(&ev.kernel_path);
    if own == 0 || own >= ev.kernel_path.len() {
        return vec![ev];
    }
    let (own_end, last) = (
        ev.kernel_path[own - 1],
        ev.kernel_path[ev.kernel_path.len() - 1],
    );
    ev.kernel_path.truncate(own);
    ev.kernel = own_end;
    let peer = if ev.before == Some(TcpState::Listen) {
        None
    } else {
        ev.peer
    };
    let then = kernel_move(
        &ev.actor,
        (local, peer),
        own_end,
        last,
        false,
        Duration::ZERO,
    );
    vec![ev, then]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call left where it was found passes as it is, as the whole split would pass it: every
    /// state, every table state (or none), every kind of call, failed or not.
    #[test]
    fn a_call_left_where_it_was_found_is_what_the_whole_split_makes_of_it() {
        use super::super::syscall::Syscall;
        use nix::errno::Errno;
        let (local, peer) = (
            SocketAddr::from(([127, 0, 0, 1], 1)),
            SocketAddr::from(([127, 0, 0, 1], 2)),
        );
        let calls = [
            Syscall::Send,
            Syscall::Recv,
            Syscall::Connect,
            Syscall::Listen,
            Syscall::Shutdown,
        ];
        let mut cases = 0;
        for (s, call) in TcpState::all().flat_map(|s| calls.map(|c| (s, c))) {
            for (kernel, errno) in TcpState::all()
                .map(Some)
                .chain([None])
                .flat_map(|k| [None, Some(Errno::EPIPE)].map(move |e| (k, e)))
            {
                let mut ev = Event::call(
                    "a",
                    call,
                    Some(3),
                    vec![Arg::Shutdown(std::net::Shutdown::Write)],
                );
                (ev.local, ev.peer, ev.before, ev.state, ev.kernel) =
                    (Some(local), Some(peer), Some(s), Some(s), kernel);
                ev.errno = errno;
                let (mut fast, mut whole) = (Vec::new(), Vec::new());
                split(ev.clone(), &mut fast);
                split_moved(ev, local, s, &mut whole);
                assert_eq!(fast, whole, "{s:?} {call:?} kernel {kernel:?} {errno:?}");
                cases += 1;
            }
        }
        assert!(cases > 1000, "{cases}");
    }

    /// A call on ESTABLISHED that found the connection in CLOSE-WAIT when it returned: split
    /// into its line and the kernel's, in the order `call` returning `ret` says.
    fn peer_fin_during(call: super::super::syscall::Syscall, ret: i64) -> Vec<(Kind, TcpState)> {
        let (local, peer) = (
            SocketAddr::from(([127, 0, 0, 1], 1)),
            SocketAddr::from(([127, 0, 0, 1], 2)),
        );
        let mut ev = Event::call("a", call, Some(3), vec![Arg::Fd(3)]);
        (ev.local, ev.peer, ev.ret) = (Some(local), Some(peer), Some(ret));
        (ev.before, ev.state) = (Some(TcpState::Established), Some(TcpState::CloseWait));
        (ev.kernel, ev.verdict) = (Some(TcpState::CloseWait), Verdict::Agrees);
        let mut out = Vec::new();
        split(ev, &mut out);
        out.iter()
            .map(|e| (e.kind, e.state.or(e.kernel).unwrap()))
            .collect()
    }

    /// A `send()` that returned a count gave its bytes in ESTABLISHED: the peer's FIN seen after
    /// it returned (most often its answer to those bytes) is told after it. A `recv()` that
    /// returned 0 saw the FIN itself: the FIN comes first, and the call found CLOSE-WAIT.
    #[test]
    fn the_peers_fin_is_told_after_a_call_that_moved_bytes_and_before_one_that_saw_it() {
        use super::super::syscall::Syscall;
        use TcpState::{CloseWait, Established};
        let after = [(Kind::Call, Established), (Kind::Kernel, CloseWait)];
        assert_eq!(peer_fin_during(Syscall::Sendto, 4), after);
        assert_eq!(peer_fin_during(Syscall::Recv, 7), after);
        let before = [(Kind::Kernel, CloseWait), (Kind::Call, CloseWait)];
        assert_eq!(peer_fin_during(Syscall::Recv, 0), before);
        assert_eq!(peer_fin_during(Syscall::Send, -1), before);
        assert_eq!(peer_fin_during(Syscall::Setsockopt, 0), before);
    }

    /// A move known at once to be a timer's says so in its words too, not only in `ended`:
    /// nothing later may replace them (a kernel line without a peer is not explained again).
    #[test]
    fn a_late_move_says_timed_out_in_its_words() {
        let local = SocketAddr::from(([127, 0, 0, 1], 1));
        let late = table::fin_timeout();
        let ev = kernel_move(
            "a",
            (local, None),
            Some(TcpState::FinWait2),
            None,
            false,
            late,
        );
        assert_eq!(ev.ended, Some(Ending::TimedOut));
        let words =
            transitions::kernel_move_words(Some(TcpState::FinWait2), None, false, Ending::TimedOut);
        assert_eq!(ev.note.as_deref(), Some(words));
        assert_ne!(
            words,
            transitions::kernel_move_words(Some(TcpState::FinWait2), None, false, Ending::Unknown)
        );
    }

    /// The errno of the call that found the connection ended is in the kernel line's words.
    #[test]
    fn the_calls_errno_is_in_the_words() {
        let local = SocketAddr::from(([127, 0, 0, 1], 1));
        let gone = Some(TcpState::SynSent);
        let mut ev = kernel_move("a", (local, None), gone, None, true, Duration::ZERO);
        super::super::ending::said_by(&mut ev, Some(nix::errno::Errno::ETIMEDOUT));
        assert_eq!(ev.ended, Some(Ending::GaveUp));
        let words = transitions::kernel_move_words(gone, None, true, Ending::GaveUp);
        assert_eq!(ev.note.as_deref(), Some(words));
    }
}
