//! Pacing: the messages of a protocol without framing, one per `send()`, a pause apart.
//!
//! The seeds' clients read one message per `recv()`. Two messages sent back to back can be in
//! the client's buffer together when it reads, and one `recv()` returns both: its `==` fails,
//! or it shows two messages as one. Nothing in TCP prevents that; what makes it unlikely is
//! time — [`OUTPUT_PAUSE`] between two sends, so the client has read the first before the
//! second arrives. It is luck made likely, not a guarantee: the lesson of framing.

use super::dialect::OUTPUT_PAUSE;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One client's paced messages.
#[derive(Debug, Default)]
pub struct Paced {
    queue: VecDeque<Vec<u8>>,
    /// Bytes queued, all messages together.
    bytes: usize,
    /// Bytes of the front message already sent (a send may take only part of it).
    sent: usize,
    /// When the last message was sent whole.
    last: Option<Instant>,
    /// The front message had to wait for the pause.
    waited: bool,
}

/// What the front message may do now.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'a> {
    /// Send these bytes (the rest of the front message).
    Send(&'a [u8]),
    /// Wait until then: the pause after the previous message.
    WaitUntil(Instant),
    /// Nothing queued.
    Idle,
}

impl Paced {
    pub fn push(&mut self, msg: Vec<u8>) {
        self.bytes += msg.len();
        self.queue.push_back(msg);
    }

    /// Bytes waiting to be sent.
    pub fn pending(&self) -> usize {
        self.bytes - self.sent
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether a message is half sent (its rest must go before anything waits).
    pub fn in_progress(&self) -> bool {
        self.sent > 0
    }

    /// What the front message may do at `now`.
    pub fn next(&mut self, now: Instant) -> Next<'_> {
        let Some(front) = self.queue.front() else {
            return Next::Idle;
        };
        if self.sent == 0 {
            if let Some(due) = self.last.map(|t| t + OUTPUT_PAUSE).filter(|due| now < *due) {
                self.waited = true;
                return Next::WaitUntil(due);
            }
        }
        Next::Send(&front[self.sent..])
    }

    /// `n` bytes of the front message were sent at `now`. When that completes a message that
    /// had to wait, returns how long after the previous message it went (for the trace).
    pub fn sent(&mut self, n: usize, now: Instant) -> Option<Duration> {
        let len = self.queue.front().map(Vec::len)?;
        self.sent += n;
        if self.sent < len {
            return None;
        }
        self.queue.pop_front();
        self.bytes -= len;
        self.sent = 0;
        let previous = self.last.replace(now);
        let waited = std::mem::take(&mut self.waited);
        previous.filter(|_| waited).map(|p| now.duration_since(p))
    }

    /// Throws everything away (a client cut for not reading).
    pub fn clear(&mut self) {
        self.queue.clear();
        (self.bytes, self.sent, self.waited) = (0, 0, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_messages_go_a_pause_apart_and_the_wait_is_reported() {
        let t0 = Instant::now();
        let mut p = Paced::default();
        p.push(b"uno".to_vec());
        p.push(b"dos".to_vec());
        assert_eq!(p.next(t0), Next::Send(b"uno"));
        assert_eq!(p.sent(3, t0), None, "the first did not wait");
        assert_eq!(p.next(t0), Next::WaitUntil(t0 + OUTPUT_PAUSE));
        let later = t0 + OUTPUT_PAUSE;
        assert_eq!(p.next(later), Next::Send(b"dos"));
        assert_eq!(p.sent(3, later), Some(OUTPUT_PAUSE));
        assert_eq!(p.next(later), Next::Idle);
        assert_eq!(p.pending(), 0);
    }

    #[test]
    fn a_half_sent_message_finishes_without_a_pause() {
        let t0 = Instant::now();
        let mut p = Paced::default();
        p.push(b"abcdef".to_vec());
        assert_eq!(p.next(t0), Next::Send(b"abcdef"));
        p.sent(2, t0);
        assert!(p.in_progress());
        assert_eq!(p.next(t0), Next::Send(b"cdef"));
        assert_eq!(p.pending(), 4);
        p.sent(4, t0);
        assert!(p.is_empty());
    }
}
