//! Faults lab puts into a program's calls (`--short-reads`, `--short-writes`, `--eintr`), so
//! that a bug a perfect loopback hides shows at once.
//!
//! TCP is a stream: `recv(fd, buf, 100)` may return any part of what arrived, and `send()` may
//! take any part of what it was given. On loopback both nearly always move everything, so a
//! program that treats one `send()` as one `recv()` — the framing bug of most student chats —
//! works in the lab and breaks on a real network. With `--short-reads`, lab shrinks the length
//! each read on a socket asks for, at the call's entry, to a random part of it (at least one
//! byte); the kernel then does exactly what it would do for that length. Every altered call is
//! marked in the trace, with what the program had asked.

use crate::trace::Syscall;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// Which faults, each with its seed (the same seed shortens the same calls the same way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    pub short_reads: Option<u64>,
    pub short_writes: Option<u64>,
    /// `--eintr`: a call that may block is interrupted, half the time, before it runs.
    pub eintr: Option<u64>,
}

/// The calls `--eintr` interrupts: those that may wait (for a connection, for data, for room),
/// as a signal arriving while they wait would. Not `connect()`: an interrupted connect goes on
/// in the kernel (its next call says EALREADY), which skipping it would not show.
pub fn interruptible(call: Syscall) -> bool {
    use Syscall::*;
    matches!(
        call,
        Accept | Accept4 | Recv | Recvfrom | Recvmsg | Read | Send | Sendto | Sendmsg | Write
    )
}

/// Which way a call moves data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Read,
    Write,
}

/// The calls lab may shorten, and which way each moves data. Each takes its length as its
/// third argument: `read(fd, buf, count)`, `recvfrom(fd, buf, len, …)`, `sendto(fd, buf,
/// len, …)`.
pub fn way_of(call: Syscall) -> Option<Way> {
    match call {
        Syscall::Read | Syscall::Recv | Syscall::Recvfrom => Some(Way::Read),
        Syscall::Write | Syscall::Send | Syscall::Sendto => Some(Way::Write),
        _ => None,
    }
}

/// The faults of one run, with their generators.
pub struct Injector {
    reads: Option<RefCell<ChaCha8Rng>>,
    writes: Option<RefCell<ChaCha8Rng>>,
    interrupts: Option<RefCell<ChaCha8Rng>>,
}

impl Injector {
    pub fn new(faults: Faults) -> Injector {
        let rng = |seed: Option<u64>| seed.map(|s| RefCell::new(ChaCha8Rng::seed_from_u64(s)));
        Injector {
            reads: rng(faults.short_reads),
            writes: rng(faults.short_writes),
            interrupts: rng(faults.eintr),
        }
    }

    /// Whether this call is interrupted before it runs (`--eintr`): half of the calls that
    /// may wait, drawn. A program that retries on EINTR gets through; one that takes EINTR
    /// for a lost connection shows it.
    pub fn interrupt(&self, call: Syscall) -> bool {
        let Some(rng) = self.interrupts.as_ref().filter(|_| interruptible(call)) else {
            return false;
        };
        rng.borrow_mut().next_u64() & 1 == 1
    }

    /// Whether `shorten` may shorten this call: asked first, so that a run without
    /// `--short-reads` or `--short-writes` makes no system call for it (`ioctl(FIONREAD)`).
    pub fn may_shorten(&self, call: Syscall) -> bool {
        match way_of(call) {
            Some(Way::Read) => self.reads.is_some(),
            Some(Way::Write) => self.writes.is_some(),
            None => false,
        }
    }

    /// The length this call gets instead of `asked`, if lab shortens it. `waiting`: for a
    /// read, the bytes already in the socket's receive queue. A read of a message that is
    /// there gets a part of it (1 to `waiting - 1` bytes, drawn evenly): that is what shows the
    /// bug. Otherwise (a write; a read that will wait for its data) the length is drawn
    /// between 1 and `asked - 1` as evenly over its *digits* as over its values (log-uniform):
    /// a 4,096-byte read becomes 1–9 bytes as often as 1,000–4,095, so short messages are cut
    /// too. A call that asks for 0 or 1 byte is left alone.
    pub fn shorten(&self, call: Syscall, asked: u64, waiting: u64) -> Option<u64> {
        let way = way_of(call)?;
        let rng = match way {
            Way::Read => self.reads.as_ref()?,
            Way::Write => self.writes.as_ref()?,
        };
        let mut rng = rng.borrow_mut();
        if way == Way::Read && waiting >= 2 && waiting <= asked {
            return Some(1 + rng.next_u64() % (waiting - 1));
        }
        if asked < 2 {
            return None;
        }
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let n = ((asked - 1) as f64).powf(unit).floor() as u64;
        Some(n.clamp(1, asked - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_read_moves_at_least_one_byte_and_less_than_asked() {
        let i = Injector::new(Faults {
            short_reads: Some(3),
            ..Faults::default()
        });
        for asked in [2, 3, 100, 65536] {
            for _ in 0..100 {
                let n = i.shorten(Syscall::Recvfrom, asked, 0).unwrap();
                assert!((1..asked).contains(&n), "{n} of {asked}");
            }
        }
        assert_eq!(i.shorten(Syscall::Recvfrom, 1, 0), None);
        assert_eq!(
            i.shorten(Syscall::Sendto, 100, 0),
            None,
            "writes are left alone"
        );
        assert_eq!(i.shorten(Syscall::Connect, 100, 0), None);
    }

    #[test]
    fn a_read_of_a_message_already_there_gets_a_part_of_it() {
        let i = Injector::new(Faults {
            short_reads: Some(1),
            ..Faults::default()
        });
        for _ in 0..100 {
            let n = i.shorten(Syscall::Read, 1024, 33).unwrap();
            assert!((1..33).contains(&n), "{n}");
        }
    }

    #[test]
    fn eintr_strikes_about_half_of_the_calls_that_may_wait_and_no_other() {
        let i = Injector::new(Faults {
            eintr: Some(9),
            ..Faults::default()
        });
        let struck = (0..1000).filter(|_| i.interrupt(Syscall::Recvfrom)).count();
        assert!((400..600).contains(&struck), "{struck}");
        assert!(!(0..100).any(|_| i.interrupt(Syscall::Connect)));
        assert!(!(0..100).any(|_| i.interrupt(Syscall::Socket)));
    }

    #[test]
    fn the_same_seed_shortens_the_same_way() {
        let draws = |seed| {
            let i = Injector::new(Faults {
                short_writes: Some(seed),
                ..Faults::default()
            });
            (0..20)
                .map(|_| i.shorten(Syscall::Write, 1000, 0))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(5), draws(5));
        assert_ne!(draws(5), draws(6));
    }
}
