//! When is a client that does not keep up "too slow"? One rule for both server models, after
//! Redis's `client-output-buffer-limit`: a *hard* limit that cuts a client at once, and a *soft*
//! limit that cuts it only if it stays above it for a while **without draining**.
//!
//! A byte count alone is the wrong test. When a few dozen clients send large lines at the same
//! moment, every reader's outbox briefly holds far more than usual — and every one of them is
//! reading. What tells a reader that fell behind from one that stopped is progress: bytes
//! leaving the outbox. A client over the soft limit that still drains is kept; one that has
//! sent nothing for [`SOFT_TIME`] is cut, with the reason "it stopped reading".
//!
//! Below the rule, the threads server's [`Outbox`]: what waits for one client, and the writer
//! thread that sends it when the socket is full — its life one enum, changed in one place.

use super::dialect::note_pause;
use super::pacing::{Next, Paced};
use crate::trace::TracedSocket;
use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
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

// The threads server's outbox: what waits to be sent to one client, and its writer thread.

/// Small stacks: the threads keep their buffers on the heap.
pub const STACK: usize = 128 * 1024;

/// Threads alive in the threads server, readers and writers.
pub static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Where a client's output is in its life. A writer thread runs only in `Writing`, `Flushing`
/// and `Dropping`; once it stops, its handle is kept (a `Stopped`) to be joined before the next
/// starts and before the socket is closed. The `bool` of the dropped states: the end of the
/// connection was asked for already. Changed only by [`OutState::set`].
#[derive(Debug)]
enum Life {
    /// Open, no writer thread: output goes straight to the socket (MSG_DONTWAIT).
    Direct(Stopped),
    /// Open, and a writer thread drains the backlog; new output queues behind it, in order.
    Writing(JoinHandle<()>),
    /// No more output: the writer thread sends what is queued, then ends the connection.
    Flushing(JoinHandle<()>),
    /// Everything was sent and the connection ended: nothing more goes out.
    Ended(Stopped),
    /// Dropped while its writer thread runs: it stops at its next look.
    Dropping(JoinHandle<()>, bool),
    /// Dropped: nothing more goes out, what waited was thrown away.
    Dropped(Stopped, bool),
}

/// A writer thread that has stopped (or none): joined before another starts.
type Stopped = Option<JoinHandle<()>>;

impl Life {
    /// Whether the end of the connection was asked for.
    fn finished(&self) -> bool {
        matches!(
            self,
            Life::Flushing(_) | Life::Ended(_) | Life::Dropping(_, true) | Life::Dropped(_, true)
        )
    }
}

/// Joins a writer thread that has stopped: it changed the state as its last act, so at once.
fn reap(stopped: Stopped) {
    if let Some(writer) = stopped {
        let _ = writer.join();
    }
}

/// What happens to a client's output.
enum Event {
    /// A backlog, and a writer thread was started for it.
    Started(JoinHandle<()>),
    /// No thread could be started for its backlog.
    NoThread,
    /// No more output: flush, then end the connection.
    Finish,
    /// It stopped reading (or the server stops): throw away what waits, send nothing more.
    Cut,
    /// The writer thread found nothing left to do (or that it was dropped), and stops.
    WriterIdle,
    /// A blocking send failed: the connection is broken.
    WriterFailed,
}

/// What the caller must do after a change, once the lock is released or at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Nothing,
    /// Wake the writer thread (new work, or told to stop).
    Wake,
    /// End the connection both ways: the client sees EOF after our last byte, and our reader's
    /// blocked recv() returns.
    Shutdown,
    /// Both: a writer blocked in send() gets EPIPE, the reader's recv() sees EOF.
    WakeAndShutdown,
}

/// What waits to be sent to one client.
#[derive(Debug)]
struct OutState {
    life: Life,
    /// Lines not yet taken by a writer thread.
    buf: Vec<u8>,
    /// The client said `:q`: its leave notice has no "(disconnected)".
    quit: bool,
    /// A send met the client's RST (ECONNRESET). The kernel reports a reset once, to the first
    /// call that asks: that send took it, and the reader's `recv()` then sees only the end of
    /// the stream — so the reset is remembered here for the leave notice.
    reset: bool,
    /// Bytes the writer thread took from `buf` and has not sent yet.
    inflight: usize,
    /// Whether the client keeps up (see [`Backlog`]).
    backlog: Option<Backlog>,
    /// Messages of an unframed dialect: one per send(), a pause apart.
    paced: Paced,
}

impl OutState {
    /// The one place a client's output changes state; returns what the caller must do.
    fn set(&mut self, event: Event) -> Then {
        use Event::*;
        use Life::*;
        let discard = matches!(event, Cut | NoThread);
        let old = std::mem::replace(&mut self.life, Direct(None));
        let finished = old.finished();
        let (life, then) = match (old, event) {
            // A backlog and no writer: the new thread drains it.
            (Direct(stopped), Started(writer)) => {
                reap(stopped);
                (Writing(writer), Then::Nothing)
            }
            // A backlog nobody can send: the client cannot be served.
            (Direct(stopped), NoThread) => (Dropped(stopped, false), Then::Shutdown),
            // Nothing is queued: end the connection now.
            (Direct(stopped), Finish) => (Ended(stopped), Then::Shutdown),
            // The writer sends the rest first, and ends the connection itself.
            (Writing(writer), Finish) => (Flushing(writer), Then::Wake),
            // Dropped, not yet ended: end it now, or let its writer see to it.
            (Dropped(stopped, false), Finish) => (Dropped(stopped, true), Then::Shutdown),
            (Dropping(writer, false), Finish) => (Dropping(writer, true), Then::Wake),
            // Ending or ended already: once is enough.
            (life, Finish) => (life, Then::Nothing),
            // It stopped reading: what waits is thrown away, nothing more goes out. A running
            // writer is told to stop; the shutdown wakes it from a blocked send (EPIPE) and the
            // reader from its recv (EOF).
            (Writing(w) | Flushing(w) | Dropping(w, _), Cut) => {
                (Dropping(w, finished), Then::WakeAndShutdown)
            }
            (Direct(s) | Ended(s) | Dropped(s, _), Cut) => {
                (Dropped(s, finished), Then::WakeAndShutdown)
            }
            // The writer drained everything: output goes straight to the socket again.
            (Writing(writer), WriterIdle) => (Direct(Some(writer)), Then::Nothing),
            // The writer drained everything after the end was asked: it ends the connection.
            (Flushing(writer), WriterIdle) => (Ended(Some(writer)), Then::Shutdown),
            // The writer saw the drop, or a send failed: nothing more goes out.
            (Writing(w) | Flushing(w) | Dropping(w, _), WriterIdle | WriterFailed) => {
                (Dropped(Some(w), finished), Then::Nothing)
            }
            // No other event meets these states (a writer's events come only while it runs; a
            // thread is started only from `Direct`): nothing changes.
            (life, _) => (life, Then::Nothing),
        };
        if discard {
            self.discard();
        }
        self.life = life;
        then
    }

    /// Throws away everything waiting (a client cut for not reading).
    fn discard(&mut self) {
        self.buf = Vec::new();
        self.paced.clear();
    }

    /// Whether more output may be queued (not ending, not ended, not dropped).
    fn open(&self) -> bool {
        matches!(self.life, Life::Direct(_) | Life::Writing(_))
    }

    /// Whether a writer thread runs.
    fn writing(&self) -> bool {
        matches!(
            self.life,
            Life::Writing(_) | Life::Flushing(_) | Life::Dropping(..)
        )
    }

    /// Bytes waiting for the client: queued, and taken by the writer but not yet sent.
    fn pending(&self) -> usize {
        self.buf.len() + self.inflight + self.paced.pending()
    }

    /// Notes why a send failed: a reset is the client's, whoever saw it first.
    fn send_failed(&mut self, e: &io::Error) {
        self.reset |= e.kind() == io::ErrorKind::ConnectionReset;
    }

    fn backlog(&mut self) -> &mut Backlog {
        self.backlog
            .get_or_insert_with(|| Backlog::new(Instant::now()))
    }
}

/// What waits to be sent to one client, and the thread that sends it when the socket is full.
///
/// Its lock is held only for memory work and for sends with MSG_DONTWAIT, never across a
/// blocking call: the writer thread takes what it sends out of the state and sends it with the
/// lock released. So a lock of an outbox never waits for a client.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<OutState>,
    /// The writer thread waits here for more to send, or for a pause to pass.
    wake: Condvar,
    /// The writer thread stopped (the reader waits here before closing the socket).
    idle: Condvar,
}

/// Whether output could be queued.
pub enum Pushed {
    Ok,
    /// The outbox is full: the client does not read.
    Full,
}

/// What one round of effects sends one client.
#[derive(Default)]
pub struct Outgoing {
    /// Lines, sent together.
    pub framed: Vec<u8>,
    /// Messages of an unframed dialect, each alone.
    pub alone: Vec<Vec<u8>>,
}

/// Why a client's connection ended, as its outbox saw it.
pub struct Ending {
    /// It said `:q`.
    pub quit: bool,
    /// A send met its RST.
    pub reset: bool,
}

impl Default for Outbox {
    fn default() -> Outbox {
        let state = OutState {
            life: Life::Direct(None),
            buf: Vec::new(),
            quit: false,
            reset: false,
            inflight: 0,
            backlog: None,
            paced: Paced::default(),
        };
        Outbox {
            state: Mutex::new(state),
            wake: Condvar::new(),
            idle: Condvar::new(),
        }
    }
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, OutState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Does what a change of state asks.
    fn then(&self, then: Then, sock: &TracedSocket) {
        if matches!(then, Then::Wake | Then::WakeAndShutdown) {
            self.wake.notify_one();
        }
        if matches!(then, Then::Shutdown | Then::WakeAndShutdown) {
            let _ = sock.shutdown(Shutdown::Both);
        }
    }

    /// Sends `out` now if the socket takes it — lines together, each paced message alone and
    /// only once its pause is over; what does not go now is queued for a writer thread.
    pub fn push(self: &Arc<Self>, sock: &Arc<TracedSocket>, out: Outgoing) -> Pushed {
        // Cannot block: see [`Outbox`] (the sends below are MSG_DONTWAIT).
        let mut st = self.lock();
        if !st.open() {
            return Pushed::Ok;
        }
        let Outgoing {
            framed: mut data,
            alone,
        } = out;
        if !st.writing() && !data.is_empty() {
            // Nothing queued: try the socket directly. MSG_DONTWAIT: never block here.
            match sock.send_with_flags(&data, libc::MSG_DONTWAIT) {
                Ok(n) => {
                    data.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // A broken connection: its reader will see it end and leave.
                Err(e) => {
                    st.send_failed(&e);
                    return Pushed::Ok;
                }
            }
        }
        let alone_bytes: usize = alone.iter().map(Vec::len).sum();
        if st.pending() + data.len() + alone_bytes > HARD_LIMIT {
            return Pushed::Full;
        }
        st.buf.extend_from_slice(&data);
        alone.into_iter().for_each(|m| st.paced.push(m));
        if !st.writing() && st.buf.is_empty() {
            send_paced_now(&mut st, sock);
        }
        if st.pending() == 0 {
            return Pushed::Ok;
        }
        let pending = st.pending();
        if st.backlog().queued(pending, Instant::now) == Verdict::TooSlow {
            return Pushed::Full;
        }
        if st.writing() {
            self.wake.notify_one();
        } else {
            self.start_writer(&mut st, sock);
        }
        Pushed::Ok
    }

    /// Starts a writer thread for the queued bytes (the previous one, if any, has stopped).
    fn start_writer(self: &Arc<Self>, st: &mut OutState, sock: &Arc<TracedSocket>) {
        let (me, theirs) = (self.clone(), sock.clone());
        let spawned = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || {
                THREADS.fetch_add(1, Ordering::Relaxed);
                write_loop(&theirs, &me);
                THREADS.fetch_sub(1, Ordering::Relaxed);
            });
        let then = match spawned {
            Ok(writer) => st.set(Event::Started(writer)),
            // No thread to be had: this client cannot be served its backlog.
            Err(_) => st.set(Event::NoThread),
        };
        self.then(then, sock);
    }

    /// No more output: flush, then end the connection (at once if nothing is queued).
    /// `quit`: the client asked to leave.
    pub fn finish(&self, sock: &TracedSocket, quit: bool) {
        // Cannot block: see [`Outbox`].
        let mut st = self.lock();
        st.quit |= quit;
        let then = st.set(Event::Finish);
        self.then(then, sock);
    }

    /// The client stopped reading (or the server stops): throw away what waits, and cut it.
    pub fn cut(&self, sock: &TracedSocket) {
        // Cannot block: see [`Outbox`].
        let then = self.lock().set(Event::Cut);
        self.then(then, sock);
    }

    /// Waits until no writer thread runs, and joins the last one: after this, nothing but the
    /// caller uses the socket. Returns whether the client was dropped.
    pub fn close_out(&self) -> bool {
        // Waits only for the writer thread to stop, which its send's end (or the cut's
        // shutdown) brings about; the writer holds this lock only for memory work.
        let st = self.lock();
        let mut st = self
            .idle
            .wait_while(st, |st| st.writing())
            .unwrap_or_else(|p| p.into_inner());
        let stopped = match &mut st.life {
            Life::Direct(stopped) | Life::Ended(stopped) | Life::Dropped(stopped, _) => {
                stopped.take()
            }
            _ => None,
        };
        let dropped = matches!(st.life, Life::Dropped(..));
        drop(st);
        if let Some(w) = stopped {
            let _ = w.join();
        }
        dropped
    }

    /// Why the connection ended, as far as its output saw.
    pub fn ending(&self) -> Ending {
        // Cannot block: see [`Outbox`].
        let st = self.lock();
        Ending {
            quit: st.quit,
            reset: st.reset,
        }
    }
}

/// Sends the paced messages whose pause is over, MSG_DONTWAIT (called with the lock held).
fn send_paced_now(st: &mut OutState, sock: &TracedSocket) {
    loop {
        let now = Instant::now();
        let Next::Send(data) = st.paced.next(now) else {
            return;
        };
        match sock.send_with_flags(data, libc::MSG_DONTWAIT) {
            Ok(n) => {
                if let Some(waited) = st.paced.sent(n, now) {
                    note_pause(sock, waited);
                }
            }
            Err(e) => return st.send_failed(&e),
        }
    }
}

/// What a writer thread does next.
enum Job {
    /// Send these lines (taken from the outbox: in flight).
    Lines(Vec<u8>),
    /// Send (the rest of) the front paced message.
    Paced(Vec<u8>),
    /// The next paced message's pause is not over.
    Wait(Duration),
    /// Nothing left: stop, after doing what the change of state asks.
    Stop(Then),
}

fn next_job(st: &mut OutState) -> Job {
    if matches!(st.life, Life::Dropping(..)) {
        return Job::Stop(st.set(Event::WriterIdle));
    }
    if !st.buf.is_empty() {
        let data = std::mem::take(&mut st.buf);
        st.inflight = data.len();
        return Job::Lines(data);
    }
    let now = Instant::now();
    match st.paced.next(now) {
        Next::Send(data) => Job::Paced(data.to_vec()),
        Next::WaitUntil(due) => Job::Wait(due - now),
        Next::Idle => Job::Stop(st.set(Event::WriterIdle)),
    }
}

/// A writer thread: blocking sends of everything queued, all the lines in one `send()` when
/// possible (batching), each paced message alone after its pause; stops when the outbox is
/// empty.
fn write_loop(sock: &TracedSocket, outbox: &Outbox) {
    loop {
        // Cannot block: see [`Outbox`]; the job is done after the lock is released.
        let job = next_job(&mut outbox.lock());
        let sent = match job {
            Job::Lines(data) => send_draining(sock, outbox, &data),
            Job::Paced(data) => send_paced(sock, outbox, &data),
            Job::Wait(d) => {
                // Woken early by a new push or a cut: next_job looks again. The wait releases
                // the lock.
                let st = outbox.lock();
                let _ = outbox.wake.wait_timeout(st, d);
                Ok(())
            }
            Job::Stop(then) => {
                outbox.idle.notify_all();
                return outbox.then(then, sock);
            }
        };
        if let Err(e) = sent {
            // Cannot block: see [`Outbox`].
            let mut st = outbox.lock();
            st.send_failed(&e);
            st.inflight = 0;
            st.set(Event::WriterFailed);
            outbox.idle.notify_all();
            return;
        }
    }
}

/// One blocking `send()` of a paced message (or its rest), told to the outbox.
fn send_paced(sock: &TracedSocket, outbox: &Outbox, data: &[u8]) -> io::Result<()> {
    let n = loop {
        match sock.send(data) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    let now = Instant::now();
    // Cannot block: see [`Outbox`].
    let mut st = outbox.lock();
    if let Some(waited) = st.paced.sent(n, now) {
        note_pause(sock, waited);
    }
    let pending = st.pending();
    st.backlog().drained(pending, || now);
    Ok(())
}

/// Sends every byte with blocking `send()`s, telling the outbox after each one what is left: a
/// client that drains, however slowly, is not one that stopped reading.
fn send_draining(sock: &TracedSocket, outbox: &Outbox, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match sock.send(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        // Cannot block: see [`Outbox`].
        let mut st = outbox.lock();
        st.inflight = data.len();
        let pending = st.pending();
        st.backlog().drained(pending, Instant::now);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox's state in `life`, and a thread handle to put in it.
    fn state(life: impl FnOnce(JoinHandle<()>) -> Life) -> OutState {
        let mut st = Outbox::default()
            .state
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        st.life = life(std::thread::spawn(|| {}));
        st
    }

    #[test]
    fn direct_finish_ends_the_connection_at_once_and_only_once() {
        let mut st = state(|_| Life::Direct(None));
        assert_eq!(st.set(Event::Finish), Then::Shutdown);
        assert!(matches!(st.life, Life::Ended(None)));
        assert_eq!(st.set(Event::Finish), Then::Nothing);
        assert!(!st.open());
    }

    #[test]
    fn writing_finish_lets_the_writer_flush_and_end_the_connection() {
        let mut st = state(Life::Writing);
        assert_eq!(st.set(Event::Finish), Then::Wake);
        assert!(st.writing() && !st.open());
        assert_eq!(st.set(Event::WriterIdle), Then::Shutdown);
        assert!(matches!(st.life, Life::Ended(Some(_))) && !st.writing());
    }

    #[test]
    fn writing_cut_throws_away_what_waits_and_stops_the_writer() {
        let mut st = state(Life::Writing);
        st.buf.extend_from_slice(b"waiting");
        st.paced.push(b"paced".to_vec());
        assert_eq!(st.set(Event::Cut), Then::WakeAndShutdown);
        assert_eq!(st.pending(), 0);
        assert!(matches!(st.life, Life::Dropping(_, false)));
        // The end asked for later is the writer's to see; it stops, the connection is down.
        assert_eq!(st.set(Event::Finish), Then::Wake);
        assert_eq!(st.set(Event::WriterIdle), Then::Nothing);
        assert!(matches!(st.life, Life::Dropped(Some(_), true)));
        assert_eq!(st.set(Event::Finish), Then::Nothing);
    }

    #[test]
    fn flushing_writer_failed_drops_and_remembers_the_end_was_asked() {
        let mut st = state(Life::Flushing);
        assert_eq!(st.set(Event::WriterFailed), Then::Nothing);
        assert!(matches!(st.life, Life::Dropped(Some(_), true)));
    }

    #[test]
    fn direct_started_then_idle_goes_back_to_direct_keeping_the_stopped_writer() {
        let mut st = state(|_| Life::Direct(None));
        let writer = std::thread::spawn(|| {});
        assert_eq!(st.set(Event::Started(writer)), Then::Nothing);
        assert!(st.writing());
        assert_eq!(st.set(Event::WriterIdle), Then::Nothing);
        assert!(matches!(st.life, Life::Direct(Some(_))) && st.open());
    }

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
