//! A doorbell for the kernel's moves: how a busy server's `send()` knows the state its
//! connection is in without asking the kernel on every call.
//!
//! Every traced call shows the state its socket was in at its start. Asking costs a
//! `getsockopt(TCP_INFO)` per call: on a server with 10,000 connections about 1 µs, because
//! the kernel gathers the whole `tcp_info` from a socket long out of the cache. But a
//! connection in ESTABLISHED, CLOSE-WAIT or FIN-WAIT-2 leaves that state in only three ways:
//!
//! - by the program's own calls (`shutdown()`, `close()`), which lab makes and sees;
//! - by the peer's FIN: the kernel marks the read side hung up (EPOLLRDHUP; EPOLLHUP too once
//!   both sides are) and wakes whoever waits on the socket (`tcp_fin()`, `sk_state_change`);
//! - by a reset or a timeout: the kernel sets the socket's error (EPOLLERR) and wakes them
//!   (`tcp_done_with_error()`, `sk_error_report`).
//!
//! So lab waits there too: an epoll instance of its own, where each connection is added,
//! edge-triggered, for EPOLLRDHUP (epoll always adds EPOLLERR and EPOLLHUP). Data arriving, or
//! room freed to send, wakes the socket's waiters with EPOLLIN or EPOLLOUT, which this
//! interest ignores: the doorbell rings only when the connection may have moved. Before a
//! `send()` or `recv()`, lab asks it (`epoll_wait()` with a timeout of 0: about 0.17 µs,
//! nothing read from the socket itself). Silent for this socket since its state was last read:
//! the state is the one read, proven as a verdict read later is (no connection comes back to
//! these states: `transitions::held_between`). Rung: the state is read again. A ring that
//! means nothing (a wake-up whose state had not moved) only costs that read.

use crate::tcp_state::TcpState;
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use rustc_hash::FxHashSet;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, TryLockError};

/// How many rings one `epoll_wait()` takes; more are taken by the next.
const RINGS_AT_ONCE: usize = 32;

/// One tracer's doorbell: every followed socket by its id (see the module's doc).
pub struct Doorbell {
    epoll: Epoll,
    /// Rings taken out of the kernel while asking about another socket, kept until their own
    /// socket asks. The lock is held over the asking too, so that no ring is ever between the
    /// kernel and this set unseen by an asker.
    rung: Mutex<FxHashSet<u64>>,
}

impl Doorbell {
    /// A doorbell with nothing followed yet. Corresponds to `epoll_create1(EPOLL_CLOEXEC)`.
    pub fn open() -> nix::Result<Doorbell> {
        Ok(Doorbell {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            rung: Mutex::new(FxHashSet::default()),
        })
    }

    /// Starts following socket `id` (before its state is read: a move after the read rings).
    /// Corresponds to `epoll_ctl(EPOLL_CTL_ADD)`, edge-triggered, for EPOLLRDHUP. A socket
    /// already hung up or in error rings at once; one already followed (another thread's call
    /// followed it first) stays followed.
    pub fn follow(&self, fd: BorrowedFd<'_>, id: u64) -> nix::Result<()> {
        let interest = EpollFlags::EPOLLRDHUP | EpollFlags::EPOLLET;
        match self.epoll.add(fd, EpollEvent::new(interest, id)) {
            Err(Errno::EEXIST) => Ok(()),
            done => done,
        }
    }

    /// Stops following socket `id` (its fd is about to be closed or untraced), and forgets a
    /// ring it never asked for. Corresponds to `epoll_ctl(EPOLL_CTL_DEL)`.
    pub fn unfollow(&self, fd: BorrowedFd<'_>, id: u64) {
        let _ = self.epoll.delete(fd);
        let mut rung = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        self.take_rings(&mut rung);
        rung.remove(&id);
    }

    /// Whether socket `id` has been silent since it was followed or last asked about (taking
    /// every ring out of the kernel first). `rang`, called under the doorbell's lock when it
    /// was not, lets the caller forget the state it holds before any other caller can ask.
    /// An `epoll_wait()` that fails counts as a ring: then the state is read.
    /// Another thread asking at the same moment (a threaded server) is not waited for: the
    /// answer is then "rung", and the state is read — the lock never puts a call to sleep.
    pub fn silent(&self, id: u64, rang: impl FnOnce()) -> bool {
        let mut rung = match self.rung.try_lock() {
            Ok(rung) => rung,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return false,
        };
        let taken = self.take_rings(&mut rung);
        if taken && !rung.remove(&id) {
            return true;
        }
        rang();
        false
    }

    /// Moves every ring waiting in the kernel into `rung`. Corresponds to `epoll_wait()` with
    /// a timeout of 0. False if the kernel could not be asked.
    fn take_rings(&self, rung: &mut FxHashSet<u64>) -> bool {
        let mut events = [EpollEvent::empty(); RINGS_AT_ONCE];
        loop {
            match self.epoll.wait(&mut events, EpollTimeout::ZERO) {
                Ok(n) => {
                    rung.extend(events[..n].iter().map(EpollEvent::data));
                    if n < RINGS_AT_ONCE {
                        return true;
                    }
                }
                Err(Errno::EINTR) => continue,
                Err(_) => return false,
            }
        }
    }
}

/// The state a followed socket was last read in, while its doorbell stayed silent: the
/// state's code in the low byte; above it how many calls that may move the state are under way
/// on the socket (see [`Held::during`]); above that how many times the socket forgot its state
/// (a ring, such a call) — so that a read begun before one of those cannot keep a state that
/// one of them made stale (two threads may call on one socket).
#[derive(Default)]
pub struct Held(AtomicU64);

/// The low byte of [`Held`]: the state's code (0: none held).
const STATE_BITS: u64 = 0xff;
/// One call under way that may move the state, in [`Held`]'s next 16 bits.
const MOVING_ONE: u64 = 1 << 8;
const MOVING_BITS: u64 = 0xffff << 8;
/// One more time forgotten, in the bits above.
const FORGOT_ONE: u64 = 1 << 24;

impl Held {
    /// What is held now: a caller about to read the state passes it to [`Held::keep`].
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// The state in what [`Held::now`] returned, if one is held.
    pub fn state(now: u64) -> Option<TcpState> {
        TcpState::from_kernel((now & STATE_BITS) as u8)
    }

    /// Forgets the state: the next caller reads it, and a read begun before cannot keep it.
    pub fn forget(&self) {
        self.change(|v| (v & !STATE_BITS).wrapping_add(FORGOT_ONE));
    }

    /// Makes `call`, which may move the state without a ring (`shutdown(SHUT_WR)`). Forgetting
    /// before it is not enough: another thread may read the old state after that and keep it
    /// once the call has moved on. So no read begun while it is under way is kept either.
    /// (A call that panics leaves the socket reading its state on every call: never a lie.)
    pub fn during<T>(&self, call: impl FnOnce() -> T) -> T {
        self.change(|v| (v & !STATE_BITS).wrapping_add(MOVING_ONE + FORGOT_ONE));
        let done = call();
        self.change(|v| v.wrapping_sub(MOVING_ONE));
        done
    }

    /// Changes what is held as `f` says, however other threads change it meanwhile.
    fn change(&self, f: impl Fn(u64) -> u64) {
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| Some(f(v)));
    }

    /// Keeps `state`, read after `seen` was what [`Held::now`] returned, unless the socket
    /// forgot since, a call that may move it was under way then (see [`Held::during`]), or
    /// another caller kept what it read meanwhile.
    pub fn keep(&self, seen: u64, state: TcpState) {
        if seen & MOVING_BITS != 0 {
            return;
        }
        let mine = (seen & !STATE_BITS) | u64::from(state.code());
        let _ = self
            .0
            .compare_exchange(seen, mine, Ordering::AcqRel, Ordering::Acquire);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::check::wait_until;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsFd;
    use std::time::Duration;

    const PATIENCE: Duration = Duration::from_secs(10);

    /// A connection's two ends: the one followed (accepted), and its peer.
    fn connection() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (ours, _) = l.accept().unwrap();
        (ours, peer)
    }

    /// Waits (bounded) until the doorbell rings for `id`; false if it never does.
    fn rings(bell: &Doorbell, id: u64) -> bool {
        wait_until(PATIENCE, || !bell.silent(id, || ()))
    }

    /// A read begun before a call that may move the state, or while it is under way, is not
    /// kept (the call may have moved the state after it); one begun after it is.
    #[test]
    fn only_a_read_begun_after_a_call_that_may_move_the_state_is_kept() {
        let held = Held::default();
        let before = held.now();
        let during = held.during(|| held.now());
        held.keep(before, TcpState::Established);
        held.keep(during, TcpState::Established);
        assert_eq!(Held::state(held.now()), None);
        held.keep(held.now(), TcpState::FinWait2);
        assert_eq!(Held::state(held.now()), Some(TcpState::FinWait2));
    }

    #[test]
    fn data_and_room_to_send_do_not_ring_but_the_peers_fin_does_once() {
        let bell = Doorbell::open().unwrap();
        let (mut ours, mut peer) = connection();
        bell.follow(ours.as_fd(), 1).unwrap();
        peer.write_all(b"hola\n").unwrap();
        ours.write_all(b"hola\n").unwrap();
        std::io::Read::read_exact(&mut peer, &mut [0; 5]).unwrap();
        assert!(bell.silent(1, || panic!("data rang the doorbell")));
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(rings(&bell, 1), "the peer's FIN never rang");
        // Edge-triggered: one ring per move, not one per question while CLOSE-WAIT lasts.
        assert!(bell.silent(1, || panic!("CLOSE-WAIT rang again")));
    }

    #[test]
    fn a_reset_rings_in_established_and_in_close_wait() {
        for fin_first in [false, true] {
            let bell = Doorbell::open().unwrap();
            let (ours, peer) = connection();
            bell.follow(ours.as_fd(), 7).unwrap();
            if fin_first {
                peer.shutdown(std::net::Shutdown::Write).unwrap();
                assert!(rings(&bell, 7), "the FIN never rang");
            }
            socket2::SockRef::from(&peer)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(peer);
            assert!(
                rings(&bell, 7),
                "the RST never rang (FIN first: {fin_first})"
            );
        }
    }

    #[test]
    fn the_peers_fin_rings_in_fin_wait_2_and_a_ring_for_another_socket_waits_for_it() {
        let bell = Doorbell::open().unwrap();
        let (ours, peer) = connection();
        let (other, _other_peer) = connection();
        bell.follow(ours.as_fd(), 1).unwrap();
        bell.follow(other.as_fd(), 2).unwrap();
        ours.shutdown(std::net::Shutdown::Write).unwrap();
        let fin_wait_2 = || {
            crate::kernel::table::fd_state(ours.as_fd()).ok().flatten()
                == Some(crate::tcp_state::TcpState::FinWait2)
        };
        assert!(wait_until(PATIENCE, fin_wait_2), "our FIN was never acked");
        assert!(bell.silent(1, || panic!("our own FIN's ACK rang")));
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        // Asking about socket 2 takes socket 1's ring out of the kernel; it waits for 1.
        let taken = || {
            bell.silent(2, || panic!("socket 2 never moved"));
            bell.rung.lock().unwrap().contains(&1)
        };
        assert!(
            wait_until(PATIENCE, taken),
            "the FIN in FIN-WAIT-2 never rang"
        );
        assert!(!bell.silent(1, || ()));
        assert!(bell.silent(1, || panic!("a ring was told twice")));
    }

    #[test]
    fn an_unfollowed_socket_leaves_no_ring_behind() {
        let bell = Doorbell::open().unwrap();
        let (ours, peer) = connection();
        bell.follow(ours.as_fd(), 3).unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        let (other, _p) = connection();
        bell.follow(other.as_fd(), 4).unwrap();
        let held = || {
            bell.silent(4, || ());
            bell.rung.lock().unwrap().contains(&3)
        };
        assert!(wait_until(PATIENCE, held), "the FIN never rang");
        bell.unfollow(ours.as_fd(), 3);
        assert!(bell.rung.lock().unwrap().is_empty());
    }
}
