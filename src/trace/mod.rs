//! The trace: every socket call a program makes, as an event with its fd, result and TCP state,
//! checked against the kernel's table.
//!
//! - [`syscall`]: the calls the lab knows, as one type: [`Syscall`].
//! - [`event`]: the [`Event`] every call produces, with typed facts.
//! - [`record`]: the recorder every traced call goes through.
//! - [`socket`]: [`TracedSocket`], one method per system call.
//! - [`sockopt`]: the socket options, as one type: [`SockOpt`].
//! - [`sink`]: where events go — one funnel, many readers.
//! - [`names`]: constants and errnos by name, as strace prints them.
//! - [`poll`]: `poll(2)`, traced: what a readiness loop waits for, and what woke it.
//!
//! [`Tracer`] is the funnel itself: it numbers events, times them, reads the kernel's table for
//! the checks, follows connections after their fd is closed, and hands every event to the one
//! sink.

pub mod event;
pub mod names;
pub mod poll;
pub mod record;
pub mod sink;
pub mod socket;
pub mod sockopt;
pub mod syscall;

pub use event::{Arg, Detail, Event, Kind};
pub use sink::{Collector, Discard, Sink, Tee};
pub use socket::TracedSocket;
pub use sockopt::SockOpt;
pub use syscall::Syscall;

use crate::kernel::check::{self, Verdict};
use crate::kernel::table::{KernelTable, SocketRow};
use crate::tcp_state::TcpState;
use crate::transitions;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many closed connections are followed at once.
pub const MAX_FOLLOWED: usize = 32;

/// Called before each traced call with the actor and the call about to be made (`--step`).
pub type Stepper = Box<dyn Fn(&str, &Event) + Send + Sync>;

/// The trace funnel, shared (`Arc`) by every traced socket of a run.
pub struct Tracer {
    start: Instant,
    sink: Arc<dyn Sink>,
    table: Option<KernelTable>,
    /// Why the table is missing, if it is (shown as the "unavailable" reason).
    table_error: Option<String>,
    /// The bound on every wait for an asynchronous state change, in µs.
    settle_us: AtomicU64,
    stepper: Option<Stepper>,
    inner: Mutex<Inner>,
}

struct Inner {
    seq: u64,
    followed: Vec<Followed>,
}

/// A connection whose fd was closed while the kernel still held it (FIN-WAIT-2, LAST-ACK…).
struct Followed {
    actor: String,
    local: SocketAddr,
    peer: SocketAddr,
    state: Option<TcpState>,
}

impl Tracer {
    /// A tracer that sends every event to `sink`, and checks against the kernel's table if it
    /// can be opened (if not, every verdict says why).
    pub fn new(sink: Arc<dyn Sink>) -> Arc<Tracer> {
        Arc::new(Tracer::build(sink, None))
    }

    /// The same, with a stepper called before each call (`--step`).
    pub fn with_stepper(sink: Arc<dyn Sink>, stepper: Stepper) -> Arc<Tracer> {
        Arc::new(Tracer::build(sink, Some(stepper)))
    }

    fn build(sink: Arc<dyn Sink>, stepper: Option<Stepper>) -> Tracer {
        let (table, table_error) = match KernelTable::open() {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Tracer {
            start: Instant::now(),
            sink,
            table,
            table_error,
            settle_us: AtomicU64::new(check::SETTLE_TIMEOUT.as_micros() as u64),
            stepper,
            inner: Mutex::new(Inner { seq: 0, followed: Vec::new() }),
        }
    }

    /// The kernel's table, if it could be opened.
    pub fn table(&self) -> Option<&KernelTable> {
        self.table.as_ref()
    }

    /// The bound on waits for asynchronous state changes.
    pub fn settle_timeout(&self) -> Duration {
        Duration::from_micros(self.settle_us.load(Ordering::Relaxed))
    }

    /// Sets that bound. A server sets zero: it must never wait on one connection, so states are
    /// read right after each call, and a later change shows as the next call's "before" (or, for
    /// a closed connection, as a kernel event).
    pub fn set_settle_timeout(&self, d: Duration) {
        self.settle_us.store(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// Numbers, times and delivers one event, then reports any followed connection whose state
    /// the kernel has since changed. Events are delivered under one lock, so lines from
    /// several threads never interleave and `seq` is the order of delivery.
    pub fn emit(&self, mut ev: Event) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        self.deliver(&mut inner, &mut ev);
        self.observe_locked(&mut inner);
    }

    /// Pushes out whatever the sink buffered (called before the program waits).
    pub fn flush(&self) {
        self.sink.flush();
    }

    /// Adds a note for the student, attached to no call.
    pub fn note(&self, actor: &str, text: &str) {
        self.emit(Event::words(Kind::Note, actor, text.to_string()));
    }

    /// Looks at every followed connection once and reports what changed (FIN-WAIT-2 →
    /// TIME-WAIT once the peer closed too).
    pub fn observe(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        self.observe_locked(&mut inner);
    }

    fn deliver(&self, inner: &mut Inner, ev: &mut Event) {
        inner.seq += 1;
        ev.seq = inner.seq;
        ev.t_us = u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.sink.event(ev);
    }

    fn observe_locked(&self, inner: &mut Inner) {
        let Some(table) = &self.table else { return };
        let mut changes = Vec::new();
        for f in inner.followed.iter_mut() {
            let now = table.lookup(f.local, f.peer).ok().flatten().and_then(|r| r.state);
            if now != f.state {
                changes.push((f.actor.clone(), f.local, f.peer, f.state, now));
                f.state = now;
            }
        }
        // Gone connections need no more following; TIME-WAIT holds still for 60 s.
        inner.followed.retain(|f| f.state.is_some_and(|s| s != TcpState::TimeWait));
        for (actor, local, peer, old, new) in changes {
            let mut ev = Event::new(Kind::Kernel, &actor);
            ev.args = vec![Arg::Tuple(local, peer)];
            (ev.local, ev.peer) = (Some(local), Some(peer));
            (ev.before, ev.kernel) = (old, new);
            ev.fd_gone = true;
            ev.note = Some(transitions::kernel_move_words(old, new).to_string());
            self.deliver(inner, &mut ev);
        }
    }

    /// Starts following a closed connection, if the kernel still holds it. At most
    /// [`MAX_FOLLOWED`] are followed (each costs a lookup per event); the oldest gives way.
    fn follow(&self, actor: &str, local: SocketAddr, peer: SocketAddr, state: Option<TcpState>) {
        if state.is_some_and(|s| s != TcpState::TimeWait) {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if inner.followed.len() >= MAX_FOLLOWED {
                inner.followed.remove(0);
            }
            inner.followed.push(Followed { actor: actor.to_string(), local, peer, state });
        }
    }

    fn step(&self, actor: &str, call: &Event) {
        if let Some(s) = &self.stepper {
            s(actor, call);
        }
    }

    /// Fills an event's kernel fields from a check.
    fn apply_check(&self, ev: &mut Event, c: &check::Check) {
        ev.verdict = c.verdict;
        ev.reason = c.reason.clone();
        if c.verdict == Verdict::Unavailable && ev.reason.is_none() {
            ev.reason = self.table_error.clone();
        }
        if let Some(row) = &c.row {
            apply_row(ev, row);
        }
    }
}

/// Fills an event's kernel fields from a row of the table.
fn apply_row(ev: &mut Event, row: &SocketRow) {
    ev.kernel = row.state;
    ev.recv_q = Some(row.recv_q);
    ev.send_q = Some(row.send_q);
}
