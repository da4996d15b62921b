//! What moves a TCP connection from one state to the next — every rule the lab uses, in one
//! place, with the words it says for each.
//!
//! Two kinds of move:
//!
//! - **A call moves it.** `connect()` sends SYN; `close()` and `shutdown(SHUT_WR)` send FIN (or
//!   RST, for an abortive close). RFC 9293 §3.10 ("Event Processing") says where each call leads.
//! - **The kernel moves it by itself**, when a segment arrives from the peer: the SYN-ACK ends
//!   SYN-SENT, the ACK of our FIN ends FIN-WAIT-1, the peer's FIN ends FIN-WAIT-2, a timer ends
//!   TIME-WAIT. No call of the program is involved, which is why the trace must look again, a
//!   bounded time, instead of assuming.
//!
//! The rest of the lab asks this module; none of these rules is written anywhere else. The words
//! themselves are in `locales/*.ftl`, but each rule says beside it what the student reads: a
//! `Says: "…"` comment holds the English of the message the rule names (`M::MoveHandshake` is
//! `move-handshake` in the files), and a test holds each to `locales/en.ftl`.

use crate::i18n::{f, t, M};
use crate::tcp_state::{
    state_or_gone,
    TcpState::{self, *},
};
use crate::verdict::Verdict;
use std::net::Shutdown;

/// A state the connection leaves by itself, without the program calling anything, as soon as a
/// segment arrives from the peer (a SYN-ACK, an ACK of our FIN). The trace waits a bounded time
/// for such a state to settle, instead of sleeping a fixed time.
pub fn is_transient(s: TcpState) -> bool {
    matches!(
        s,
        SynSent | SynRecv | NewSynRecv | FinWait1 | Closing | LastAck
    )
}

/// A state whose orphaned socket Linux swaps for a lighter "timewait" socket (`tcp_time_wait()`:
/// an orphan entering FIN-WAIT-2, or TIME-WAIT). For a moment during the swap a lookup may find
/// neither: a row that vanishes right after one of these states is looked for again (bounded)
/// before it is called gone.
pub fn hands_over_to_timewait(s: TcpState) -> bool {
    matches!(s, FinWait1 | FinWait2 | Closing)
}

/// Whether the kernel is about to move a connection in `ours` by itself, `theirs` being the
/// state of the peer's end when it is on this machine too (loopback: both ends are in the
/// table): a transient state ends within a delayed ACK; FIN-WAIT-2 ends as soon as the peer's
/// FIN, already sent (the peer's end in LAST-ACK or CLOSING), is handled. What a run's last
/// look at the table waits (bounded) for, so that the move is in the trace before it ends.
pub fn moves_soon(ours: TcpState, theirs: Option<TcpState>) -> bool {
    is_transient(ours) || ours == FinWait2 && matches!(theirs, Some(LastAck | Closing))
}

/// A state reached by a call that the trace waits (bounded) to see end, right after the call:
/// the peer's *kernel* acknowledges our FIN without its program doing anything, within a delayed
/// ACK (40 ms on Linux, at most 200 ms). SYN-SENT is transient too but is not waited for: a
/// non-blocking `connect()` must not be made to block by its trace.
pub fn awaits_ack(s: TcpState) -> bool {
    matches!(s, FinWait1 | Closing | LastAck)
}

/// A state in which `close()` or `shutdown(SHUT_WR)` sends a FIN: one where this side may still
/// send (RFC 9293 §3.10.4: "form a FIN segment and send it"). In FIN-WAIT-* it was sent already;
/// a listener or a connection in progress has nobody to send it to.
pub fn sends_fin(before: TcpState) -> bool {
    matches!(before, Established | CloseWait | SynRecv)
}

/// Whether `shutdown(how)` from `before` sends a FIN: only a shutdown of the writing side does
/// (`SHUT_RD` sends nothing: the peer is not told that we stopped reading).
pub fn shutdown_sends_fin(how: Shutdown, before: TcpState) -> bool {
    how != Shutdown::Read && sends_fin(before)
}

/// Whether `recv()` on a connection in `state` (as the table shows it, `None`: no row) returns
/// at once even with nothing queued: end of stream once the peer's FIN arrived (CLOSE-WAIT and
/// after), or an error once the connection is reset or over.
pub fn recv_returns_at_once(state: Option<TcpState>) -> bool {
    !matches!(
        state,
        Some(Established | SynSent | SynRecv | NewSynRecv | FinWait1 | FinWait2 | Listen)
    )
}

/// What `accept()` failing with EINVAL means on a listener this program shut down for reading.
pub fn accept_after_shut_rd() -> &'static str {
    // Says: "the listener was shut down for reading (shutdown(SHUT_RD)): accept() fails with EINVAL
    // — how a blocked accept() is woken to stop".
    t(M::AcceptAfterShutRd)
}

/// What a `close()` does when another fd still holds the socket (a `dup()`, or the same fd in a
/// `fork()`ed process): it drops one reference; only the last one's close sends FIN. `who`:
/// the holders, as `python3/4312 fd=4`.
pub fn close_held_by(who: &str) -> String {
    // Says: "{ $a1 } still holds this socket (a dup(), or a fork()ed process): this close()
    // dropped one reference, no FIN was sent", $a1 the holders.
    f(M::CloseHeldBy, &[&who])
}

/// The same, when the holder is a child between `vfork()` (or `posix_spawn()`) and `exec()`:
/// it holds a copy of every fd of its parent until its `exec()` closes the close-on-exec ones.
pub fn close_held_passing(who: &str) -> String {
    // Says: "{ $a1 } still holds this socket: a child between fork() and exec() holds a copy of
    // every fd of its parent until exec() closes them; no FIN yet", $a1 the holders.
    f(M::CloseHeldPassing, &[&who])
}

/// The same, when no process lab may look into holds it: another user's, or a fd in flight in
/// a Unix socket's message (SCM_RIGHTS).
pub fn close_held_unseen() -> &'static str {
    // Says: "a reference lab cannot see still holds this socket (another user's process, or a
    // fd in flight between processes): this close() dropped one reference, no FIN was sent".
    t(M::CloseHeldUnseen)
}

/// Why a close's FIN left late: a child between `fork()` and `exec()` held the socket `held`
/// after the close (in µs: most let go within a millisecond), and the FIN left when it let go.
pub fn close_let_go(held: std::time::Duration) -> String {
    // Says: "a child between fork() and exec() held this socket { $a1 } µs after close() (it
    // holds a copy of every fd of its parent): the FIN left when it let go", $a1 the time.
    f(M::CloseLetGo, &[&held.as_micros()])
}

/// The same, when lab saw no child between `fork()` and `exec()` holding it — the holder was
/// another user's process, or let go before lab looked: who it was is not said.
pub fn close_let_go_unseen(held: std::time::Duration) -> String {
    // Says: "a reference lab could not see (another user's process, or one that let go before
    // lab looked) held this socket { $a1 } µs after close(): the FIN left when it let go".
    f(M::CloseLetGoUnseen, &[&held.as_micros()])
}

/// A segment of TCP's own, as a sequence diagram draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Syn,
    SynAck,
    Ack,
    Fin,
    Rst,
}

impl Segment {
    pub fn name(self) -> &'static str {
        match self {
            Segment::Syn => "SYN",
            Segment::SynAck => "SYN-ACK",
            Segment::Ack => "ACK",
            Segment::Fin => "FIN",
            Segment::Rst => "RST",
        }
    }
}

/// The segments `connect()` exchanges, each with whether the caller sent it. The handshake:
/// SYN, SYN-ACK, ACK. Refused: the peer's kernel answers the SYN with RST (nobody listens).
pub fn connect_segments(refused: bool) -> &'static [(bool, Segment)] {
    if refused {
        &[(true, Segment::Syn), (false, Segment::Rst)]
    } else {
        &[
            (true, Segment::Syn),
            (false, Segment::SynAck),
            (true, Segment::Ack),
        ]
    }
}

/// Why `close()` sends RST instead of FIN: an abortive close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abort {
    /// `SO_LINGER` with a zero timeout was set.
    Linger0,
    /// Data had arrived that the program never read (RFC 2525 §2.17: Linux resets, so the peer
    /// learns its data was lost).
    UnreadData,
}

impl Abort {
    /// The words the trace says on the `close()` line.
    pub fn words(self) -> &'static str {
        match self {
            // Says: "SO_LINGER 0: close() sends RST, not FIN".
            Abort::Linger0 => t(M::AbortLinger0),
            // Says: "unread data in the receive queue: close() sends RST, not FIN".
            Abort::UnreadData => t(M::AbortUnread),
        }
    }
}

/// Whether a `close()` with a reason to abort ([`Abort`]) sends RST from `before`: from any
/// state with a connection — CLOSE-WAIT with data unread too, not only ESTAB (Linux's
/// `tcp_close()`: unread data, or SO_LINGER 0, means RST whatever the state).
pub fn close_resets(before: TcpState) -> bool {
    matches!(
        before,
        Established | CloseWait | SynRecv | FinWait1 | FinWait2 | Closing | LastAck
    )
}

/// Whether a close, seen from the table, was an RST: from ESTAB, the row was gone at once (a FIN
/// would have left FIN-WAIT-1 or -2 behind).
pub fn close_sent_rst(before: Option<TcpState>, seen: &[Option<TcpState>]) -> bool {
    before == Some(Established) && seen == [None]
}

/// Where a `close()` that sent a FIN puts its connection until the FIN is acknowledged (RFC
/// 9293 §3.10.4): FIN-WAIT-1 from ESTAB, LAST-ACK from CLOSE-WAIT. On loopback this state often
/// passes before any look at the table can catch it (LAST-ACK nearly always does), but the wire
/// shows it: our FIN left, and its ACK had not come yet. `None`: the close sends no FIN from
/// `before`, or aborts (RST).
pub fn close_waits_for_ack(before: TcpState, abort: Option<Abort>) -> Option<TcpState> {
    match (before, abort) {
        (_, Some(_)) => None,
        (Established | SynRecv, None) => Some(FinWait1),
        (CloseWait, None) => Some(LastAck),
        _ => None,
    }
}

/// Whether the first look at the table after a `close()` from `before` may find no row only
/// because the kernel is swapping the orphan for its timewait socket (see
/// [`hands_over_to_timewait`]): a close that leaves FIN-WAIT-1, -2 or CLOSING behind.
pub fn close_may_hand_over(before: TcpState, abort: Option<Abort>) -> bool {
    abort.is_none()
        && (close_waits_for_ack(before, abort).is_some_and(hands_over_to_timewait)
            || hands_over_to_timewait(before))
}

/// A state the table may show right after `close()`, and why, when it needs saying.
type Landing = (Option<TcpState>, Option<M>);

/// Why an ESTAB connection's close may land past FIN-WAIT-2.
/// Says: "the peer's FIN crossed ours".
const CROSSED: Option<M> = Some(M::Crossed);

/// What the table may hold for a connection right after its last fd is closed, given the state
/// before (RFC 9293 §3.10.4, "CLOSE call"). `None` means "no row: gone".
pub fn after_close(before: TcpState, abort: Option<Abort>) -> &'static [Landing] {
    if abort.is_some() {
        // Linux sends RST instead of FIN and the connection is gone at once, with no TIME-WAIT.
        return &[(None, None)];
    }
    match before {
        // "Queue this until all preceding SENDs have been segmentized, then form a FIN segment
        // and send it. In any case, enter FIN-WAIT-1 state." The ACK may already be back. If
        // the peer closed at the same moment, the FINs crossed: CLOSING, then TIME-WAIT.
        // TIME-WAIT at the first look says only that the peer's FIN is already back — through
        // CLOSING (crossed) or with the ACK of ours (it closed on reading our FIN): not which.
        Established | SynRecv => &[
            (Some(FinWait1), None),
            (Some(FinWait2), None),
            (Some(Closing), CROSSED),
            // Says: "the peer's FIN was already back at the first look".
            (Some(TimeWait), Some(M::FinAlreadyBack)),
        ],
        // "Queue this request until all preceding SENDs have been segmentized; then send a FIN
        // segment, enter LAST-ACK state." On loopback the ACK may already have freed it.
        CloseWait => &[(Some(LastAck), None), (None, None)],
        // Already shut down for writing (shutdown(SHUT_WR)): the orphan keeps waiting for the
        // peer's FIN, or already got it and entered TIME-WAIT (through CLOSING if it crossed).
        FinWait1 | FinWait2 => &[
            (Some(FinWait1), None),
            (Some(FinWait2), None),
            (Some(Closing), CROSSED),
            (Some(TimeWait), None),
        ],
        // Both FINs crossed: finish the exchange, then TIME-WAIT.
        Closing => &[(Some(Closing), None), (Some(TimeWait), None)],
        LastAck => &[(Some(LastAck), None), (None, None)],
        TimeWait => &[(Some(TimeWait), None)],
        // The fd's socket already left the connection: its 4-tuple, if any, lives on in a
        // TIME-WAIT entry that no fd holds, which closing the fd does not touch.
        Close => &[(None, None), (Some(TimeWait), None)],
        // "Delete the TCB": a listener, a connect in progress, or a socket with no connection.
        Listen | SynSent | NewSynRecv | BoundInactive => &[(None, None)],
    }
}

/// How many of the states the table showed after a `close()`, in order (`seen`, `None`: gone),
/// are the close's own doing: the first (where it landed: [`close_verdict`] judges it), then
/// each answer to what it sent — the ACK of our FIN (FIN-WAIT-1 → FIN-WAIT-2, CLOSING →
/// TIME-WAIT, LAST-ACK → gone). From the first other move on (the peer's FIN: → CLOSING or
/// TIME-WAIT; its RST: gone), the rest is the peer's, and the trace tells it as a kernel move.
pub fn close_own_states(seen: &[Option<TcpState>]) -> usize {
    let answered = |a: Option<TcpState>, b: Option<TcpState>| {
        matches!(
            (a, b),
            (Some(FinWait1), Some(FinWait2))
                | (Some(Closing), Some(TimeWait))
                | (Some(LastAck), None)
        )
    };
    let steps = seen
        .windows(2)
        .take_while(|w| w[0] == w[1] || answered(w[0], w[1]))
        .count();
    (steps + 1).min(seen.len())
}

/// The verdict on a `close()`: `seen` is what the table showed for the connection's 4-tuple
/// afterwards, in order (`None`: no row). It agrees if the first state seen is one the RFC
/// allows from `before` — later ones are the kernel moving on by itself.
pub fn close_verdict(
    before: TcpState,
    abort: Option<Abort>,
    seen: &[Option<TcpState>],
) -> (Verdict, Option<String>) {
    let allowed = after_close(before, abort);
    let first = seen.first().copied().unwrap_or(None);
    match allowed.iter().find(|(s, _)| *s == first) {
        Some((_, why)) => (Verdict::Agrees, why.map(|m| t(m).to_string())),
        None => {
            let want: Vec<String> = allowed.iter().map(|(s, _)| state_or_gone(*s)).collect();
            (
                Verdict::Differs,
                // Says: "after close() from { $a1 } the table should show { $a2 }", the states
                // allowed joined by Says: " or ".
                Some(f(M::CloseShouldShow, &[&before, &want.join(t(M::Or))])),
            )
        }
    }
}

/// The verdict on a traced program's `close()` whose state before was read at the call's entry
/// stop, while the program's other threads and processes ran on: if the peer's FIN arrived in
/// between (RFC 9293 §3.10.7.4, ESTABLISHED → CLOSE-WAIT), the close was made from CLOSE-WAIT.
/// Only then is a second reading tried, and the reason says so.
pub fn close_verdict_after_gap(
    before: TcpState,
    abort: Option<Abort>,
    seen: &[Option<TcpState>],
) -> (Verdict, Option<String>) {
    let first = close_verdict(before, abort, seen);
    if first.0 != Verdict::Differs || before != Established {
        return first;
    }
    match close_verdict(CloseWait, abort, seen) {
        // Says: "the peer's FIN arrived between lab's look and the close itself: closed from
        // CLOSE-WAIT (FIN, LAST-ACK, gone)".
        (Verdict::Agrees, _) => (Verdict::Agrees, Some(t(M::CloseAfterGap).into())),
        _ => first,
    }
}

/// A traced call other than `close()`, as far as what it can do to its connection by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Connect,
    Listen,
    Shutdown(Shutdown),
    /// send, recv, poll, setsockopt…: they move no state by themselves.
    Other,
}

/// Where a call puts its connection from `before`, inside the call itself (the state the
/// kernel sets before the call returns): `connect()` sends SYN (SYN-SENT); `shutdown(SHUT_WR)`
/// sends FIN (FIN-WAIT-1, or LAST-ACK from CLOSE-WAIT: RFC 9293 §3.10.4); shutting down the
/// reading side of a listener or of a connect in progress disconnects it (Linux's
/// `inet_shutdown()`: CLOSE).
pub fn lands(act: Act, before: TcpState) -> Option<TcpState> {
    match (act, before) {
        (Act::Connect, Close) => Some(SynSent),
        (Act::Listen, Close) => Some(Listen),
        (Act::Shutdown(how), Established | SynRecv) if how != Shutdown::Read => Some(FinWait1),
        (Act::Shutdown(how), CloseWait) if how != Shutdown::Read => Some(LastAck),
        (Act::Shutdown(how), Listen | SynSent) if how != Shutdown::Write => Some(Close),
        _ => None,
    }
}

/// Whether `act` moves its connection from `from` to `to` by itself: where it lands, and the
/// peer's kernel's answer to what it sent (the SYN-ACK, the RST of a refused SYN, the ACK of our
/// FIN — also when the landing passed before the first look). Never the peer's FIN or an RST
/// out of the blue: those only the peer sends, and the trace tells them as kernel moves.
pub fn moves_itself(act: Act, from: TcpState, to: TcpState) -> bool {
    if lands(act, from) == Some(to) {
        return true;
    }
    match act {
        Act::Connect => matches!((from, to), (SynSent | Close, Established | Close)),
        Act::Shutdown(how) if how != Shutdown::Read => {
            matches!(
                (from, to),
                (FinWait1 | Established | SynRecv, FinWait2)
                    | (LastAck | CloseWait | Closing, Close)
            )
        }
        _ => false,
    }
}

/// Where the peer's FIN moves a connection from `s` (RFC 9293 §3.10.7.4, "check the FIN bit").
fn after_peer_fin(s: TcpState) -> Option<TcpState> {
    match s {
        Established | SynRecv => Some(CloseWait),
        FinWait1 => Some(Closing),
        FinWait2 => Some(TimeWait),
        _ => None,
    }
}

/// A call's states, told apart by who moved them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    /// The peer moved the connection before the call did anything, to this state: a kernel
    /// move told before the call.
    pub first: Option<TcpState>,
    /// The states the call itself moved it through, in order; the last is where it left it.
    pub own: Vec<TcpState>,
    /// The peer moved it on after the call's own moves, to this state: a kernel move told
    /// right after the call.
    pub then: Option<TcpState>,
}

/// Splits what a call's fd went through — `before`, then the states `seen` after it, in order —
/// into the peer's moves before the call's own, the call's own, and the peer's after. A call's
/// `state` shows what the call did; what arrived from the peer meanwhile is the kernel's.
pub fn attribute(act: Act, before: TcpState, seen: &[TcpState]) -> Attribution {
    let mut a = Attribution::default();
    let mut cur = before;
    for &s in seen {
        if s == cur {
            continue;
        }
        if a.then.is_some() {
            a.then = Some(s);
        } else if moves_itself(act, cur, s) {
            a.own.push(s);
        } else if !a.own.is_empty() {
            a.then = Some(s);
        } else if let Some(fin) = after_peer_fin(cur).filter(|f| moves_itself(act, *f, s)) {
            // The peer's FIN came first; the call moved on from there.
            (a.first, a.own) = (Some(fin), vec![s]);
        } else if let Some(landing) = lands(act, cur) {
            // The call landed where it always does, inside the call; the peer moved it on
            // before the first look.
            (a.own, a.then) = (vec![landing], Some(s));
        } else {
            a.first = Some(s);
        }
        cur = s;
    }
    a
}

/// A state that, seen at two moments with only calls that move no state ([`Act::Other`]:
/// `send()`, `recv()`) made in between, held all along: one a connection never comes back to
/// once it left it — no segment, and no such call, leads back into ESTABLISHED, CLOSE-WAIT or
/// FIN-WAIT-2. So the state a `send()` found at its start, seen again in the table's row a
/// little after it returned, is proven for the whole call.
pub fn held_between(s: TcpState) -> bool {
    matches!(s, Established | CloseWait | FinWait2)
}

/// The verdict on a call that moves no state, whose socket's row was read after it returned:
/// `found`, the state at its start; `row`, the state the row showed, if the table had a row
/// carrying the fd's own socket. The same state proves it ([`held_between`]); another means the
/// kernel moved the connection on meanwhile — before the call returned or after, the table
/// cannot tell — so nothing is claimed: `?`, with what the table showed (the move itself is
/// the kernel's event, told when the trace sees it).
pub fn verdict_read_later(
    found: TcpState,
    row: Option<Option<TcpState>>,
) -> (Verdict, Option<String>) {
    match row {
        Some(Some(s)) if s == found && held_between(s) => (Verdict::Agrees, None),
        Some(now) => moved_before_read(now),
        // Says: "not confirmed: when the table was read, after the call, the connection was
        // gone".
        None => (Verdict::Unavailable, Some(t(M::ReadLaterGone).into())),
    }
}

/// The same call, when the row read later is its connection's but no longer carries the fd's
/// socket: its fd was closed meanwhile, and the row (orphaned, or in TIME-WAIT) carries inode 0
/// — the 4-tuple's one connection, in state `now`. Never a ✓ (only the fd's own row proves
/// one): `?`, with the state the table showed.
pub fn moved_before_read(now: Option<TcpState>) -> (Verdict, Option<String>) {
    let shown = state_or_gone(now);
    // Says: "not confirmed: when the table was read, after the call, the connection was
    // already { $a1 }".
    (Verdict::Unavailable, Some(f(M::ReadLaterMoved, &[&shown])))
}

/// What ended a connection that left the table by itself, as far as the trace can know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// The peer's RST arrived: the wire showed it come in, or the call that found out failed
    /// with ECONNRESET ("connection reset by peer": the kernel's own word for it).
    PeerReset,
    /// This side's kernel gave up after its keep-alive probes went unanswered (the wire showed
    /// them; the call that found out, if any, failed with ETIMEDOUT).
    KeepAlive,
    /// This side's kernel gave up on a silent peer: the call that found out failed with
    /// ETIMEDOUT (retransmissions, keep-alive probes or TCP_USER_TIMEOUT ran out), or the wire,
    /// shown, brought no RST from the peer (only this side's timers end a connection so).
    GaveUp,
    /// Late, long after its last state began: a timer let it go ([`timed_out`]).
    TimedOut,
    /// Nothing the trace saw tells which: no call found out, and the wire is not shown.
    Unknown,
}

/// What the wire, shown in the trace, showed of a connection, from one end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnTheWire {
    /// An RST from the peer arrived (one lab's link dropped did not).
    pub peer_rst: bool,
    /// This end sent keep-alive probes, and no data since.
    pub own_keepalive: bool,
    /// Every segment is known: the capture missed none and nothing seen was forgotten. Only
    /// then does the wire's silence (no RST from the peer) tell anything.
    pub whole: bool,
}

/// What a call's errno says ended its connection: ECONNRESET, an RST from the peer (RFC 9293
/// §3.10.7: "signal ... connection reset"); ETIMEDOUT, this side's kernel gave up (Linux's
/// `tcp_write_err()`: retransmissions, keep-alive, TCP_USER_TIMEOUT).
pub fn ending_of(errno: nix::errno::Errno) -> Option<Ending> {
    match errno {
        nix::errno::Errno::ECONNRESET => Some(Ending::PeerReset),
        nix::errno::Errno::ETIMEDOUT => Some(Ending::GaveUp),
        _ => None,
    }
}

/// What ended a connection that left the table by itself: what was `said` already (a call's
/// errno, a timer), else what the `wire` showed, if the trace shows it. The peer's RST counts
/// only if it arrived; with the wire shown whole and no RST from the peer, only this side's
/// kernel can have ended it (its own RST is no proof either way: retransmissions and
/// TCP_USER_TIMEOUT running out end a connection silently). Keep-alive probes seen name which
/// of its timers. A wire with holes proves nothing by its silence: the RST may be in one.
pub fn ending(said: Option<Ending>, wire: Option<OnTheWire>) -> Ending {
    match (said, wire) {
        (Some(Ending::GaveUp), Some(w)) if w.own_keepalive && !w.peer_rst => Ending::KeepAlive,
        (Some(e), _) => e,
        (None, Some(w)) if w.peer_rst => Ending::PeerReset,
        (None, Some(w)) if !w.whole => Ending::Unknown,
        (None, Some(w)) if w.own_keepalive => Ending::KeepAlive,
        (None, Some(_)) => Ending::GaveUp,
        (None, None) => Ending::Unknown,
    }
}

/// Whether a move the kernel made on its own ended a connection: from a state with one, to no
/// row (or, for the fd, CLOSE) — the moves whose words say what ended it ([`Ending`]).
pub fn ends_connection(old: Option<TcpState>, new: Option<TcpState>) -> bool {
    matches!(
        (old, new),
        (
            Some(Established | CloseWait | FinWait1 | FinWait2 | Closing | SynSent | SynRecv),
            None | Some(Close)
        )
    )
}

/// Whether a connection that left the table after `held` in its last state timed out rather
/// than being reset: nothing but a timer ends a connection that late — the longest the kernel
/// waits for a FIN-WAIT-2 orphan's peer is `fin_timeout` (tcp_fin_timeout); an RST ends one at
/// once.
pub fn timed_out(held: std::time::Duration, fin_timeout: std::time::Duration) -> bool {
    held >= fin_timeout
}

/// What a change the kernel made on its own means, in words. `fd_open`: the program still
/// holds a fd for the socket; `ending`: what ended it, if it left the table ([`ending`]).
pub fn kernel_move_words(
    old: Option<TcpState>,
    new: Option<TcpState>,
    fd_open: bool,
    ending: Ending,
) -> &'static str {
    match (old, new) {
        // RFC 9293 §3.10.7.3, SYN-SENT: "If the SYN bit is on ... enter ESTABLISHED state".
        // Says: "the handshake finished (the peer's program has not called accept yet)".
        (Some(SynSent), Some(Established)) => t(M::MoveHandshake),
        // §3.10.7.4: "If the FIN bit is set ... ESTABLISHED STATE: Enter the CLOSE-WAIT state".
        // Says: "the peer's FIN arrived: recv() will return 0".
        (Some(Established), Some(CloseWait)) => t(M::MoveFinArrived),
        // Says: "the peer's FIN crossed ours: both sides close at once".
        (Some(FinWait1), Some(Closing)) => t(M::MoveCrossedClosing),
        // §3.10.7.4: "if the FIN segment is now acknowledged, then enter FIN-WAIT-2".
        // Says: "the peer acknowledged our FIN".
        (Some(FinWait1), Some(FinWait2)) => t(M::MoveFinAcked),
        // FIN-WAIT-1: "if our FIN has been ACKed ... enter TIME-WAIT": the peer's FIN carried
        // the ACK of ours — it closed on reading our FIN. Nothing crossed.
        // Says: "the peer's FIN arrived with the ACK of ours (it closed on reading our FIN): who
        // closes first waits in TIME-WAIT (60 s)".
        (Some(FinWait1), Some(TimeWait)) => t(M::MoveFinWithAck),
        // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state" on the peer's FIN; CLOSING on its ACK.
        // Says: "the peer's FIN arrived: who closes first waits in TIME-WAIT (60 s)".
        (Some(FinWait2 | Closing), Some(TimeWait)) => t(M::MoveTimeWait),
        // "LAST-ACK STATE: ... If our FIN is now acknowledged, delete the TCB".
        // Says: "the peer acknowledged our FIN: the connection is gone".
        (Some(LastAck), None) => t(M::MoveLastAckGone),
        // "When the time-wait timeout expires, delete the TCB" (2·MSL, 60 s on Linux).
        // Says: "TIME-WAIT expired: the 4-tuple is free again".
        (Some(TimeWait), None) => t(M::MoveTimeWaitExpired),
        // A connection does not vanish by itself before its time: an RST ended it, or this
        // side's kernel gave up on the peer; late, a timer did. Which, only what the trace saw
        // can say ([`ending`]): never assumed.
        (
            Some(Established | CloseWait | FinWait1 | FinWait2 | Closing | SynSent | SynRecv),
            None | Some(Close),
            // Says: "timed out: nothing came from the peer, and the kernel's timer let it go".
        ) if ending == Ending::TimedOut => t(M::MoveTimedOut),
        (Some(Established | CloseWait | FinWait1 | FinWait2 | SynSent), None | Some(Close))
            if fd_open =>
        {
            ended_with_fd(ending)
        }
        (Some(Established | CloseWait | FinWait1 | FinWait2 | Closing | SynRecv), None) => {
            ended_orphan(ending)
        }
        // A listener has no connection: it stopped listening (closed by another process that
        // shared it, or shut down).
        // Says: "the listener is gone from the table: nothing listens on its port any more".
        (Some(Listen), None) => t(M::MoveListenerGone),
        // Says: "the connection is gone from the table".
        (_, None) => t(M::MoveGone),
        // Says: "the kernel changed the state".
        _ => t(M::MoveOther),
    }
}

/// The words for a connection that ended while its program still holds a fd.
fn ended_with_fd(ending: Ending) -> &'static str {
    match ending {
        // Says: "the peer reset the connection (RST): the fd remains, the connection is gone".
        Ending::PeerReset => t(M::MoveReset),
        // Says: "this side's kernel gave up: its keep-alive probes went unanswered, so it sent
        // RST and dropped the connection; the fd remains".
        Ending::KeepAlive => t(M::MoveKeepAliveGaveUp),
        // Says: "this side's kernel gave up on a silent peer (retransmissions, keep-alive probes
        // or TCP_USER_TIMEOUT ran out): the fd remains, the connection is gone".
        Ending::GaveUp | Ending::TimedOut => t(M::MoveGaveUp),
        // Says: "the connection is gone, the fd remains: an RST from the peer, or this side's
        // kernel gave up — nothing the trace saw tells which (the wire is not shown)".
        Ending::Unknown => t(M::MoveEndedUnknown),
    }
}

/// The words for a connection that ended after its fd was closed (no TIME-WAIT).
fn ended_orphan(ending: Ending) -> &'static str {
    match ending {
        // Says: "reset: an RST ended it, no TIME-WAIT (the peer aborted — e.g. it closed with
        // data unread)".
        Ending::PeerReset => t(M::MoveResetOrphan),
        // Says: "ended by this side's kernel, no TIME-WAIT: no RST came from the peer (data came
        // for the closed socket and it answered RST, or a timer gave up)".
        Ending::KeepAlive | Ending::GaveUp | Ending::TimedOut => t(M::MoveOwnEndOrphan),
        // Says: "gone, no TIME-WAIT: an RST from the peer or a timer of this side ended it —
        // nothing the trace saw tells which (the wire is not shown)".
        Ending::Unknown => t(M::MoveEndedUnknownOrphan),
    }
}

/// The segment from the peer that a change the kernel made on its own shows arrived, if it is
/// one a sequence diagram draws as an arrow (the peer's FIN is drawn at the call that sent it).
pub fn segment_received(old: Option<TcpState>, new: Option<TcpState>) -> Option<Segment> {
    match (old, new) {
        (Some(FinWait1), Some(FinWait2))
        | (Some(LastAck), None)
        | (Some(Closing), Some(TimeWait)) => Some(Segment::Ack),
        (Some(SynSent), Some(Established)) => Some(Segment::SynAck),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::{text_in, Lang};
    use strum::IntoEnumIterator;

    /// Each `Says: "…"` in this file (wrapped over comment lines) with the message named on the
    /// code line below it, in order: the n-th sentence of a comment goes with the n-th `M::`.
    fn says_beside_rules() -> Vec<(String, M)> {
        let src = include_str!("transitions.rs");
        let src = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
        let (mut out, mut comment) = (Vec::new(), String::new());
        for line in src.lines().map(str::trim) {
            if let Some(text) = line.strip_prefix("///").or_else(|| line.strip_prefix("//")) {
                comment.push_str(text.trim());
                comment.push(' ');
                continue;
            }
            let sentences = comment
                .split("Says: \"")
                .skip(1)
                .filter_map(|s| s.split('"').next());
            let named = line
                .split("M::")
                .skip(1)
                .map(|n| n.split(|c: char| !c.is_alphanumeric()));
            let named = named
                .filter_map(|mut n| n.next())
                .filter_map(|n| M::iter().find(|m| format!("{m:?}") == n));
            out.extend(sentences.map(String::from).zip(named));
            comment.clear();
        }
        out
    }

    #[test]
    fn the_words_beside_each_rule_are_the_catalogs() {
        let says = says_beside_rules();
        for (english, m) in &says {
            // `{ $a1 }` as written in the file; unfilled, Fluent shows `{$a1}`.
            let english = english.replace("{ $", "{$").replace(" }", "}");
            assert_eq!(
                text_in(*m, Lang::En),
                english,
                "{m:?}: the words beside its rule"
            );
        }
        // Every message a rule names has its words beside it.
        let src = include_str!("transitions.rs");
        let src = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
        let named = |m: &M| {
            let at = format!("M::{m:?}");
            src.match_indices(&at)
                .any(|(i, _)| !src[i + at.len()..].starts_with(|c: char| c.is_alphanumeric()))
        };
        assert_eq!(
            says.len(),
            M::iter().filter(named).count(),
            "one Says: per message"
        );
        for m in M::iter().filter(named) {
            assert!(
                says.iter().any(|(_, s)| *s == m),
                "{m:?}: no Says: beside its rule"
            );
        }
    }

    use super::*;

    fn verdict(before: TcpState, abort: Option<Abort>, seen: &[Option<TcpState>]) -> Verdict {
        close_verdict(before, abort, seen).0
    }

    #[test]
    fn established_close_sends_fin() {
        assert!(sends_fin(Established));
        assert_eq!(
            verdict(Established, None, &[Some(FinWait1), Some(FinWait2)]),
            Verdict::Agrees
        );
        assert_eq!(
            verdict(Established, None, &[Some(FinWait2)]),
            Verdict::Agrees
        );
        // A FIN leaves a row behind: a connection that vanished at once was not closed with FIN.
        let (v, why) = close_verdict(Established, None, &[None]);
        assert_eq!(v, Verdict::Differs);
        assert_eq!(
            why.unwrap(),
            "after close() from ESTAB the table should show FIN-WAIT-1 or FIN-WAIT-2 or CLOSING or \
                TIME-WAIT"
        );
    }

    #[test]
    fn established_close_with_crossing_fins_passes_through_closing() {
        let (v, why) = close_verdict(Established, None, &[Some(Closing), Some(TimeWait)]);
        assert_eq!(
            (v, why.as_deref()),
            (Verdict::Agrees, Some("the peer's FIN crossed ours"))
        );
    }

    /// Issue 19, item 4: "crossed" only for a real simultaneous close (through CLOSING). When
    /// the peer closed on reading our FIN (its FIN carried the ACK: FIN-WAIT-1 → TIME-WAIT),
    /// nothing crossed; TIME-WAIT at the first look cannot tell which.
    #[test]
    fn established_close_into_time_wait_is_not_called_crossed_unless_through_closing() {
        for seen in [vec![Some(TimeWait)], vec![Some(FinWait1), Some(TimeWait)]] {
            let (v, why) = close_verdict(Established, None, &seen);
            assert_eq!(v, Verdict::Agrees);
            assert!(!why.unwrap_or_default().contains("crossed"), "{seen:?}");
        }
        assert!(
            !kernel_move_words(Some(FinWait1), Some(TimeWait), false, Ending::Unknown)
                .contains("crossed")
        );
        assert!(
            kernel_move_words(Some(FinWait1), Some(Closing), false, Ending::Unknown)
                .contains("crossed")
        );
        // The close's own states end where the peer's FIN comes in.
        assert_eq!(close_own_states(&[Some(FinWait1), Some(TimeWait)]), 1);
        assert_eq!(close_own_states(&[Some(FinWait1), Some(FinWait2)]), 2);
        assert_eq!(
            close_own_states(&[Some(FinWait1), Some(Closing), Some(TimeWait)]),
            1
        );
        assert_eq!(close_own_states(&[Some(LastAck), None]), 2);
        assert_eq!(close_own_states(&[Some(TimeWait)]), 1);
    }

    /// An attribution, in a line: what the peer did before the call, what the call did, what
    /// the kernel did after it.
    fn moves(first: Option<TcpState>, own: &[TcpState], then: Option<TcpState>) -> Attribution {
        Attribution {
            first,
            own: own.to_vec(),
            then,
        }
    }

    /// Issue 19, item 2: a call's state shows what the call did; the peer's moves meanwhile
    /// are the kernel's, before the call (they came first) or after it.
    #[test]
    fn established_moves_the_peer_caused_are_never_the_calls_own() {
        let wr = Act::Shutdown(Shutdown::Write);
        // shutdown(SHUT_WR), the peer's FIN back while lab waited for FIN-WAIT-2: TIME-WAIT
        // (the fd in CLOSE; the trace reads the connection's state from the table).
        let a = attribute(wr, Established, &[FinWait1, TimeWait]);
        assert_eq!(a, moves(None, &[FinWait1], Some(TimeWait)));
        // …and before the first look: FIN-WAIT-1 was where the call landed, inside the call.
        let a = attribute(wr, Established, &[TimeWait]);
        assert_eq!(a, moves(None, &[FinWait1], Some(TimeWait)));
        // Gone with no TIME-WAIT: the peer closed first; our FIN was the answer (LAST-ACK).
        let a = attribute(wr, Established, &[Close]);
        assert_eq!(a, moves(Some(CloseWait), &[Close], None));
        // The ACK of our FIN is the call's: nothing of the peer's.
        let a = attribute(wr, Established, &[FinWait1, FinWait2]);
        assert_eq!(a, moves(None, &[FinWait1, FinWait2], None));
        // recv() → EOF, send(): the peer's FIN arrived; the call moved nothing.
        let a = attribute(Act::Other, Established, &[CloseWait]);
        assert_eq!(a, moves(Some(CloseWait), &[], None));
        // The peer's FIN first, then shutdown() from CLOSE-WAIT: LAST-ACK.
        let a = attribute(wr, Established, &[LastAck]);
        assert_eq!(a, moves(Some(CloseWait), &[LastAck], None));
        // connect(): the handshake is the call's.
        assert_eq!(
            attribute(Act::Connect, Close, &[SynSent, Established]).own,
            vec![SynSent, Established]
        );
    }

    #[test]
    fn fin_wait_1_and_2_hand_over_to_a_timewait_socket() {
        assert!(
            hands_over_to_timewait(FinWait1)
                && hands_over_to_timewait(FinWait2)
                && hands_over_to_timewait(Closing)
        );
        assert!(
            !hands_over_to_timewait(LastAck),
            "LAST-ACK's row really goes"
        );
        assert!(!hands_over_to_timewait(Established));
    }

    #[test]
    fn established_close_seen_late_may_have_been_made_from_close_wait() {
        // Gone at once: the FIN came between the look and the call (CLOSE-WAIT, LAST-ACK, gone).
        let (v, why) = close_verdict_after_gap(Established, None, &[None]);
        assert_eq!(v, Verdict::Agrees);
        assert!(why.unwrap().contains("closed from CLOSE-WAIT"));
        // Still a mismatch when neither reading explains it; and a normal close is unchanged.
        assert_eq!(
            close_verdict_after_gap(Established, None, &[Some(Listen)]).0,
            Verdict::Differs
        );
        assert_eq!(
            close_verdict_after_gap(Established, None, &[Some(FinWait2)]),
            close_verdict(Established, None, &[Some(FinWait2)])
        );
        assert_eq!(
            close_verdict_after_gap(Listen, None, &[Some(FinWait2)]).0,
            Verdict::Differs
        );
    }

    #[test]
    fn established_abortive_close_leaves_nothing() {
        for abort in [Abort::Linger0, Abort::UnreadData] {
            assert_eq!(verdict(Established, Some(abort), &[None]), Verdict::Agrees);
            assert_eq!(
                verdict(Established, Some(abort), &[Some(FinWait1)]),
                Verdict::Differs
            );
        }
        assert!(close_sent_rst(Some(Established), &[None]));
        assert!(!close_sent_rst(Some(Established), &[Some(FinWait2)]));
        assert!(Abort::UnreadData.words().contains("RST"));
    }

    #[test]
    fn established_shutdown_sends_fin_unless_only_reading_stops() {
        assert!(shutdown_sends_fin(Shutdown::Write, Established));
        assert!(shutdown_sends_fin(Shutdown::Both, CloseWait));
        assert!(!shutdown_sends_fin(Shutdown::Read, Established));
        assert!(!shutdown_sends_fin(Shutdown::Write, FinWait2));
    }

    #[test]
    fn established_close_waits_for_its_ack_in_fin_wait_1_and_may_hand_over() {
        assert_eq!(close_waits_for_ack(Established, None), Some(FinWait1));
        assert_eq!(close_waits_for_ack(CloseWait, None), Some(LastAck));
        assert_eq!(
            close_waits_for_ack(Established, Some(Abort::UnreadData)),
            None
        );
        assert_eq!(close_waits_for_ack(Listen, None), None);
        assert!(close_may_hand_over(Established, None));
        assert!(close_may_hand_over(FinWait2, None));
        assert!(
            !close_may_hand_over(CloseWait, None),
            "LAST-ACK ends with no timewait"
        );
        assert!(!close_may_hand_over(Established, Some(Abort::Linger0)));
    }

    #[test]
    fn close_wait_close_sends_fin_and_waits_in_last_ack() {
        assert!(sends_fin(CloseWait));
        assert_eq!(
            verdict(CloseWait, None, &[Some(LastAck), None]),
            Verdict::Agrees
        );
        // On loopback the peer's ACK may free the connection before the first look.
        assert_eq!(verdict(CloseWait, None, &[None]), Verdict::Agrees);
        assert_eq!(
            verdict(CloseWait, None, &[Some(FinWait1)]),
            Verdict::Differs
        );
    }

    #[test]
    fn fin_wait_2_close_keeps_waiting_for_the_peers_fin() {
        assert!(!sends_fin(FinWait2));
        assert_eq!(verdict(FinWait2, None, &[Some(FinWait2)]), Verdict::Agrees);
        assert_eq!(verdict(FinWait2, None, &[Some(TimeWait)]), Verdict::Agrees);
    }

    #[test]
    fn listen_close_deletes_the_tcb() {
        assert!(!sends_fin(Listen));
        assert_eq!(verdict(Listen, None, &[None]), Verdict::Agrees);
        assert_eq!(verdict(Listen, None, &[Some(Listen)]), Verdict::Differs);
        assert_eq!(verdict(SynSent, None, &[None]), Verdict::Agrees);
    }

    #[test]
    fn close_close_leaves_a_time_wait_alone() {
        assert_eq!(verdict(Close, None, &[None]), Verdict::Agrees);
        assert_eq!(verdict(Close, None, &[Some(TimeWait)]), Verdict::Agrees);
    }

    #[test]
    fn syn_sent_synack_is_the_kernels_move() {
        assert!(is_transient(SynSent));
        // …but the trace does not wait for it: a non-blocking connect must not block.
        assert!(!awaits_ack(SynSent));
        assert_eq!(
            connect_segments(false)
                .iter()
                .map(|(_, s)| s.name())
                .collect::<Vec<_>>(),
            ["SYN", "SYN-ACK", "ACK"]
        );
        assert_eq!(
            connect_segments(true),
            &[(true, Segment::Syn), (false, Segment::Rst)]
        );
    }

    #[test]
    fn fin_wait_1_ack_moves_to_fin_wait_2() {
        assert!(is_transient(FinWait1) && awaits_ack(FinWait1));
        assert_eq!(
            segment_received(Some(FinWait1), Some(FinWait2)),
            Some(Segment::Ack)
        );
        assert_eq!(
            kernel_move_words(Some(FinWait1), Some(FinWait2), false, Ending::Unknown),
            "the peer acknowledged our FIN"
        );
    }

    #[test]
    fn fin_wait_2_fin_moves_to_time_wait() {
        assert!(!is_transient(FinWait2));
        assert!(
            kernel_move_words(Some(FinWait2), Some(TimeWait), false, Ending::Unknown)
                .contains("TIME-WAIT (60 s)")
        );
        assert!(
            kernel_move_words(Some(Closing), Some(TimeWait), false, Ending::Unknown)
                .contains("TIME-WAIT (60 s)")
        );
    }

    #[test]
    fn last_ack_ack_deletes_the_tcb() {
        assert!(awaits_ack(LastAck));
        assert_eq!(
            kernel_move_words(Some(LastAck), None, false, Ending::Unknown),
            "the peer acknowledged our FIN: the connection is gone"
        );
    }

    #[test]
    fn time_wait_timeout_frees_the_tuple() {
        assert!(!is_transient(TimeWait));
        assert_eq!(
            kernel_move_words(Some(TimeWait), None, false, Ending::Unknown),
            "TIME-WAIT expired: the 4-tuple is free again"
        );
    }

    #[test]
    fn established_fin_moves_to_close_wait() {
        assert!(
            kernel_move_words(Some(Established), Some(CloseWait), true, Ending::Unknown)
                .contains("recv() will return 0")
        );
        assert_eq!(segment_received(Some(Established), Some(CloseWait)), None);
    }

    #[test]
    fn syn_sent_synack_moves_to_established_before_accept() {
        assert!(
            kernel_move_words(Some(SynSent), Some(Established), true, Ending::Unknown)
                .contains("has not called accept")
        );
        assert_eq!(
            segment_received(Some(SynSent), Some(Established)),
            Some(Segment::SynAck)
        );
    }

    /// The words say what ended a connection only as far as the trace saw it: the peer's
    /// RST arriving, this side's kernel giving up (ETIMEDOUT, keep-alives, a whole wire with
    /// no RST from the peer), or, with nothing seen or a wire with holes, neither.
    #[test]
    fn established_gone_says_who_ended_it_only_from_what_was_seen() {
        use nix::errno::Errno;
        let words = |e| kernel_move_words(Some(Established), None, true, e);
        assert!(words(Ending::PeerReset).starts_with("the peer reset"));
        assert!(words(Ending::KeepAlive).contains("keep-alive probes went unanswered"));
        assert!(words(Ending::GaveUp).starts_with("this side's kernel gave up"));
        let unknown = words(Ending::Unknown);
        assert!(unknown.contains("tells which") && !unknown.starts_with("the peer reset"));
        let seen = |peer_rst, own_keepalive| {
            Some(OnTheWire {
                peer_rst,
                own_keepalive,
                whole: true,
            })
        };
        let with_holes = |peer_rst, own_keepalive| {
            Some(OnTheWire {
                peer_rst,
                own_keepalive,
                whole: false,
            })
        };
        // The errno of the call that found out is the kernel's own word.
        let timedout = ending_of(Errno::ETIMEDOUT);
        assert_eq!(
            ending(ending_of(Errno::ECONNRESET), None),
            Ending::PeerReset
        );
        assert_eq!(ending(timedout, None), Ending::GaveUp);
        assert_eq!(ending(timedout, seen(false, true)), Ending::KeepAlive);
        assert_eq!(ending_of(Errno::EAGAIN), None);
        // The wire: whose RST, and whether it arrived.
        assert_eq!(ending(None, seen(true, false)), Ending::PeerReset);
        assert_eq!(ending(None, seen(false, true)), Ending::KeepAlive);
        assert_eq!(ending(None, seen(false, false)), Ending::GaveUp);
        // A wire with holes: the peer's RST seen still counts, its silence proves nothing.
        assert_eq!(ending(None, with_holes(true, false)), Ending::PeerReset);
        assert_eq!(ending(None, with_holes(false, false)), Ending::Unknown);
        assert_eq!(ending(None, with_holes(false, true)), Ending::Unknown);
        assert_eq!(ending(timedout, with_holes(false, true)), Ending::KeepAlive);
        // Nothing seen: nothing claimed. A timer known stays.
        assert_eq!(ending(None, None), Ending::Unknown);
        assert_eq!(
            ending(Some(Ending::TimedOut), seen(true, false)),
            Ending::TimedOut
        );
        assert!(ends_connection(Some(Established), None));
        assert!(ends_connection(Some(FinWait2), Some(Close)));
        assert!(!ends_connection(Some(LastAck), None) && !ends_connection(Some(TimeWait), None));
        // Orphans alike.
        let orphan = |e| kernel_move_words(Some(FinWait2), None, false, e);
        assert!(orphan(Ending::PeerReset).contains("the peer aborted"));
        assert!(orphan(Ending::GaveUp).starts_with("ended by this side's kernel"));
        assert!(orphan(Ending::Unknown).contains("tells which"));
    }

    #[test]
    fn established_rst_leaves_the_fd_without_a_connection() {
        assert!(
            kernel_move_words(Some(Established), None, true, Ending::PeerReset).contains("RST")
        );
        // Issue 19, item 7: a closed fd's connection that leaves the table says why: reset
        // (at once), or timed out (late); LAST-ACK's and TIME-WAIT's ends are their own.
        assert!(kernel_move_words(Some(FinWait2), None, false, Ending::PeerReset).contains("RST"));
        assert!(
            kernel_move_words(Some(FinWait2), None, false, Ending::TimedOut).contains("timed out")
        );
        assert!(timed_out(
            std::time::Duration::from_secs(61),
            std::time::Duration::from_secs(60)
        ));
        assert!(!timed_out(
            std::time::Duration::from_millis(5),
            std::time::Duration::from_secs(60)
        ));
        assert!(!kernel_move_words(Some(LastAck), None, false, Ending::Unknown).contains("RST"));
    }

    #[test]
    fn close_wait_recv_returns_at_once() {
        assert!(recv_returns_at_once(Some(CloseWait)));
        assert!(recv_returns_at_once(None));
        assert!(!recv_returns_at_once(Some(Established)));
        assert!(!recv_returns_at_once(Some(FinWait2)));
    }

    #[test]
    fn fin_wait_2_moves_soon_once_the_loopback_peers_fin_is_sent() {
        assert!(moves_soon(FinWait1, None) && moves_soon(LastAck, None));
        assert!(moves_soon(FinWait2, Some(LastAck)));
        assert!(
            !moves_soon(FinWait2, Some(CloseWait)),
            "the peer may never close"
        );
        assert!(!moves_soon(FinWait2, None) && !moves_soon(TimeWait, None));
    }

    #[test]
    fn established_and_listen_are_stable() {
        for s in [Established, Listen, CloseWait, Close, BoundInactive] {
            assert!(!is_transient(s), "{s}");
        }
    }
}
