//! When is a client that does not keep up "too slow"? One rule for both server models, after
//! Redis's `client-output-buffer-limit`: a *hard* limit that cuts a client at once, and a *soft*
//! limit that cuts it only if it stays above it for a while **without draining**.
//!
//! A byte count alone is the wrong test. When a few dozen clients send large lines at the same
//! moment, every reader's outbox briefly holds far more than usual — and every one of them is
//! reading. What tells a reader that fell behind from one that stopped is progress: bytes
//! leaving the outbox. A client over the soft limit that still drains is kept; one that has
//! sent nothing for [`SOFT_TIME`] is cut, with the reason "it stopped reading".

use std::time::{Duration, Instant};

/// Above this many bytes waiting, a client is cut at once: no buffer grows without bound.
pub const HARD_LIMIT: usize = 1 << 20;

/// Above this many bytes waiting, a client must make progress.
pub const SOFT_LIMIT: usize = 128 << 10;

/// How long a client may stay above [`SOFT_LIMIT`] with nothing drained.
pub const SOFT_TIME: Duration = Duration::from_secs(5);

/// How one client's outbox has been doing.
#[derive(Debug, Clone, Copy)]
pub struct Backlog {
    /// Since when it has been above the soft limit, if it is.
    over_since: Option<Instant>,
    /// When bytes last left it.
    drained_at: Instant,
}

/// Whether a client may be given more to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// It stopped reading: over the hard limit, or over the soft one without draining.
    TooSlow,
}

impl Backlog {
    pub fn new(now: Instant) -> Backlog {
        Backlog {
            over_since: None,
            drained_at: now,
        }
    }

    /// `pending` bytes wait now, after more were queued. `now` is read only when the clock
    /// matters — over the soft limit: a server calls this once per delivery, and reading the
    /// clock that often was a tenth of its time.
    pub fn queued(&mut self, pending: usize, now: impl FnOnce() -> Instant) -> Verdict {
        if pending > HARD_LIMIT {
            return Verdict::TooSlow;
        }
        if pending <= SOFT_LIMIT && self.over_since.is_none() {
            return Verdict::Keep;
        }
        let now = now();
        if pending > SOFT_LIMIT {
            self.over_since.get_or_insert(now);
        }
        self.check(now)
    }

    /// Some bytes were sent; `pending` remain. When it drained only matters while it is over
    /// the soft limit (see [`Backlog::check`]), so only then is the clock read.
    pub fn drained(&mut self, pending: usize, now: impl FnOnce() -> Instant) {
        if self.over_since.is_some() {
            self.drained_at = now();
        }
        if pending <= SOFT_LIMIT {
            self.over_since = None;
        }
    }

    /// Whether it has been over the soft limit, without draining, for too long.
    pub fn check(&self, now: Instant) -> Verdict {
        match self.over_since {
            Some(since) if now.duration_since(since.max(self.drained_at)) >= SOFT_TIME => {
                Verdict::TooSlow
            }
            _ => Verdict::Keep,
        }
    }

    /// Whether it is over the soft limit (the server must look again later, even if idle).
    pub fn is_over(&self) -> bool {
        self.over_since.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_soft_limit_is_kept_while_it_drains() {
        let t0 = Instant::now();
        let mut b = Backlog::new(t0);
        assert_eq!(b.queued(SOFT_LIMIT * 4, || t0), Verdict::Keep);
        // Ten seconds over the soft limit, but draining all along.
        for s in 1..=10 {
            let now = t0 + Duration::from_secs(s);
            b.drained(SOFT_LIMIT * 3, || now);
            assert_eq!(b.queued(SOFT_LIMIT * 4, || now), Verdict::Keep);
        }
    }

    #[test]
    fn a_client_that_stopped_is_cut_after_the_soft_time() {
        let t0 = Instant::now();
        let mut b = Backlog::new(t0);
        assert_eq!(b.queued(SOFT_LIMIT + 1, || t0), Verdict::Keep);
        assert_eq!(
            b.check(t0 + SOFT_TIME - Duration::from_millis(1)),
            Verdict::Keep
        );
        assert_eq!(b.check(t0 + SOFT_TIME), Verdict::TooSlow);
    }

    #[test]
    fn the_hard_limit_cuts_at_once() {
        let t0 = Instant::now();
        assert_eq!(
            Backlog::new(t0).queued(HARD_LIMIT + 1, || t0),
            Verdict::TooSlow
        );
    }

    #[test]
    fn draining_below_the_soft_limit_forgets_the_past() {
        let t0 = Instant::now();
        let mut b = Backlog::new(t0);
        b.queued(SOFT_LIMIT * 2, || t0);
        b.drained(10, || t0 + Duration::from_secs(4));
        assert!(!b.is_over());
        assert_eq!(
            b.queued(SOFT_LIMIT * 2, || t0 + Duration::from_secs(8)),
            Verdict::Keep
        );
        assert_eq!(b.check(t0 + Duration::from_secs(12)), Verdict::Keep);
        assert_eq!(b.check(t0 + Duration::from_secs(13)), Verdict::TooSlow);
    }
}
