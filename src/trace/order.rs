//! The order of events. A call takes a place in it (a [`Ticket`]) when it takes effect, and its
//! events wait there until every earlier place's are out: `seq` follows the order in which the
//! calls happened, whichever thread finishes its event first. The funnel ([`super::tracer`])
//! keeps this state behind its lock; the wire's tap (`super::wire`) reads it to name a
//! segment's sender.

use super::event::Actor;
use super::event::Event;
use super::observer::Watches;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A place in the order of events, taken when a call takes effect: when it returns, or, for a
/// call whose effect another thread may see before it returns (`shutdown()` wakes a blocked
/// `recv()`), right before the system call (see `Recording::about_to_call`). Events are
/// delivered in ticket order, so `seq` follows the order in which the calls happened,
/// whichever thread finishes its event first.
#[derive(Debug)]
pub struct Ticket {
    pub(super) n: u64,
    pub(super) t_us: u64,
}

/// What the tracer knows of the socket a call was made on.
#[derive(Clone)]
pub struct SocketInfo {
    pub id: u64,
    pub busy: Arc<AtomicBool>,
    /// Its inode, if known; a listener's must be (another may share its port).
    pub inode: Option<u64>,
    /// Who the trace says owns it (a chat connection is renamed once its user says who).
    pub actor: Arc<Mutex<Actor>>,
}

/// The funnel's state, behind its lock.
#[derive(Default)]
pub(super) struct Inner {
    pub(super) seq: u64,
    /// The next ticket to deliver, and the events that wait for an earlier one.
    pub(super) next: u64,
    pub(super) waiting: BTreeMap<u64, Waiting>,
    pub(super) watches: Watches,
    /// The RSTs and keep-alives the wire showed, to tell what ended a connection.
    pub(super) wire_facts: super::ending::WireFacts,
}

/// The events of one ticket, waiting for every earlier ticket's to be out.
pub(super) struct Waiting {
    pub(super) t_us: u64,
    pub(super) evs: Vec<Event>,
    /// The socket a call event was made on: followed, and the event told apart from the peer's
    /// moves, when its turn comes — in the order of the calls, not of their events' making.
    pub(super) sock: Option<SocketInfo>,
}

/// The trace's clock: events are timed in microseconds since the tracer started.
pub(super) struct Clock {
    start: Instant,
    /// The same moment by the wall clock, since the epoch (capture times are wall-clock).
    start_wall: Duration,
}

impl Clock {
    pub(super) fn start() -> Clock {
        Clock {
            start: Instant::now(),
            start_wall: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }

    /// Microseconds since the tracer started.
    pub(super) fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Whether a wall-clock time (the kernel's capture times) is before the tracer started.
    pub(super) fn before_start(&self, at: Duration) -> bool {
        at < self.start_wall
    }

    /// Microseconds since the start at a wall-clock time; `None` before the start.
    pub(super) fn wall_us(&self, at: Duration) -> Option<u64> {
        let since = at.checked_sub(self.start_wall)?;
        u64::try_from(since.as_micros()).ok()
    }
}
