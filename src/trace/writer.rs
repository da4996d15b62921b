//! The trace written off the hot path: a [`Sink`] whose events are formatted and written by a
//! thread of its own, so that a busy traced server spends its time on its sockets, not on
//! JSON and `write(2)`.
//!
//! The traced program only moves each event into a queue (a lock, a push, no formatting); the
//! writer thread takes *everything* queued at once and hands it to the real sink (human or
//! JSON lines into a file). Waking a thread is a system call (`futex(2)`), so the program wakes
//! the writer only when a batch is worth writing: at the first event after a quiet spell, at
//! [`BATCH`] events, and when it is about to wait ([`Sink::idle`]); the writer, once awake,
//! gathers for at most [`GATHER`] before it writes.
//!
//! - **Order**: one queue, filled in the order the tracer delivers: the file's order is the
//!   trace's order.
//! - **Nothing lost**: the queue holds at most [`CAPACITY`] events. When the writer falls
//!   behind and the queue is full, the traced program *waits* for room (its next traced call
//!   blocks) — it slows down to the writer's pace; no event is ever dropped.
//! - **Complete when idle**: when the queue runs dry the writer waits at most [`FLUSH_AFTER`]
//!   for more, then flushes the file. [`Sink::flush`] waits until everything so far is
//!   written and flushed (the end of a run); dropping the sink does the same and ends the thread.

use super::event::Event;
use super::later::Later;
use super::sink::Sink;
use std::mem;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// At most this many events wait in the queue, besides the batch the writer is writing (at
/// most as many): the bound on the trace's memory, 2 × 4096 events of 320 bytes plus what
/// each holds (a name, the arguments, 32 bytes of data) — a few MB.
pub const CAPACITY: usize = 4096;

/// The program wakes a gathering writer once this many events wait. Small, so that a burst (a
/// broadcast to 10,000 clients is 10,000 `send()`s without a pause) finds the writer already
/// at work, with most of the queue left to fill. (Woken at half the queue, the writer read
/// fewer rows — more calls on one socket per batch — but the epoll model slowed: see
/// `docs/performance.md`, sixth round.)
pub const BATCH: usize = 256;

/// How long a woken writer gathers events before it writes them.
pub const GATHER: Duration = Duration::from_millis(2);

/// How long the writer waits for more events before flushing what it wrote: a file being read
/// while the program idles is complete this long after the last event.
pub const FLUSH_AFTER: Duration = Duration::from_millis(5);

/// A sink that hands its events to a writer thread (see the module's doc).
pub struct Background {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// The real sink, for writing inline should the thread not start.
    inline: Option<Arc<dyn Sink>>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// The writer waits here for events (or a flush, or the end).
    work: Condvar,
    /// The program waits here for room in the queue, or for a flush to be done.
    room: Condvar,
    capacity: usize,
}

struct Queue {
    events: Vec<Event>,
    /// Events handed to the queue so far, and of those, how many are written and flushed.
    queued: u64,
    flushed: u64,
    /// The writer wants waking once this many events wait (`usize::MAX`: it is awake).
    wake_at: usize,
    /// The program is about to wait: write what is queued without gathering more.
    nudged: bool,
    /// A flush is waited for.
    flush_wanted: bool,
    closing: bool,
}

impl Queue {
    /// Something the writer must see to at once.
    fn urgent(&self) -> bool {
        self.closing || self.flush_wanted || self.nudged
    }
}

impl Background {
    /// Starts the writer thread for `sink`.
    pub fn new(sink: Arc<dyn Sink>) -> Background {
        Background::with_capacity(sink, CAPACITY)
    }

    /// The same, with room for `capacity` events (the tests use a small one).
    pub fn with_capacity(sink: Arc<dyn Sink>, capacity: usize) -> Background {
        let queue = Queue {
            events: Vec::new(),
            queued: 0,
            flushed: 0,
            wake_at: usize::MAX,
            nudged: false,
            flush_wanted: false,
            closing: false,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(queue),
            work: Condvar::new(),
            room: Condvar::new(),
            capacity: capacity.max(1),
        });
        let (s, out) = (shared.clone(), sink.clone());
        match std::thread::Builder::new()
            .name("lab-trace-writer".into())
            .spawn(move || {
                crate::sys::stand_back();
                s.write_all(&*out)
            }) {
            Ok(writer) => Background {
                shared,
                writer: Some(writer),
                inline: None,
            },
            Err(_) => Background {
                shared,
                writer: None,
                inline: Some(sink),
            },
        }
    }
}

impl Sink for Background {
    fn event(&self, ev: &Event) {
        self.take(ev.clone());
    }

    /// Queues the event, waiting for room if the writer is behind (never dropping it).
    fn take(&self, ev: Event) {
        if let Some(s) = &self.inline {
            return s.take(ev);
        }
        let mut q = self.shared.lock();
        while q.events.len() >= self.shared.capacity {
            self.shared.wake(&mut q);
            q = self.shared.room.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        q.events.push(ev);
        q.queued += 1;
        if q.events.len() >= q.wake_at {
            self.shared.wake(&mut q);
        }
    }

    /// A writer thread reads the verdicts it is left, for the whole batch at once (`super::later`).
    fn checks_later(&self) -> bool {
        self.inline.is_none()
    }

    /// Waits until every event so far is written and the file flushed.
    fn flush(&self) {
        if let Some(s) = &self.inline {
            return s.flush();
        }
        let mut q = self.shared.lock();
        let target = q.queued;
        while q.flushed < target && self.writer.as_ref().is_some_and(|w| !w.is_finished()) {
            q.flush_wanted = true;
            self.shared.wake(&mut q);
            q = self.shared.room.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The program is about to wait: what is queued is written now, not after [`GATHER`].
    fn idle(&self) {
        let mut q = self.shared.lock();
        if !q.events.is_empty() {
            q.nudged = true;
            self.shared.wake(&mut q);
        }
    }
}

impl Drop for Background {
    /// Everything queued is written, then the thread ends.
    fn drop(&mut self) {
        let mut q = self.shared.lock();
        q.closing = true;
        self.shared.wake(&mut q);
        drop(q);
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes the writer if it waits.
    fn wake(&self, q: &mut Queue) {
        if q.wake_at != usize::MAX {
            q.wake_at = usize::MAX;
            self.work.notify_one();
        }
    }

    /// The writer thread: takes all that is queued, reads the table's verdicts left to it (for
    /// the whole batch at once), writes it without holding the lock, and flushes once the queue
    /// has stayed empty for [`FLUSH_AFTER`] (or at once if asked to).
    fn write_all(&self, out: &dyn Sink) {
        let mut batch: Vec<Event> = Vec::new();
        let mut later = Later::default();
        // Each event's argument list, handed back for the program's next calls (`super::spare`).
        let mut spares: Vec<Vec<super::event::Arg>> = Vec::new();
        let mut unflushed = false;
        loop {
            let mut q = self.next_batch(unflushed);
            mem::swap(&mut q.events, &mut batch);
            // Once this batch is written, every event queued so far is.
            let (written, closing) = (q.queued, q.closing);
            let flush = q.flush_wanted || closing || (batch.is_empty() && unflushed);
            drop(q);
            self.room.notify_all();
            unflushed |= !batch.is_empty();
            later.settle(&mut batch);
            for mut ev in batch.drain(..) {
                out.event(&ev);
                spares.push(mem::take(&mut ev.args));
            }
            super::spare::hand_back(&mut spares);
            if flush {
                out.flush();
                unflushed = false;
                let mut q = self.lock();
                q.flushed = q.flushed.max(written);
                q.flush_wanted = q.flushed < q.queued && q.flush_wanted;
                drop(q);
                self.room.notify_all();
            }
            if closing && self.lock().events.is_empty() {
                return;
            }
        }
    }

    /// Waits for something to write: the first event (with unflushed output, for at most
    /// [`FLUSH_AFTER`]: then the answer is an empty batch, time to flush), then gathers more
    /// for at most [`GATHER`], unless a batch is full or the program asks for it sooner.
    fn next_batch(&self, unflushed: bool) -> MutexGuard<'_, Queue> {
        let mut q = self.lock();
        while q.events.is_empty() && !q.urgent() {
            q.wake_at = 1;
            if !unflushed {
                q = self.work.wait(q).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            let (g, waited) = self
                .work
                .wait_timeout(q, FLUSH_AFTER)
                .unwrap_or_else(|p| p.into_inner());
            q = g;
            if waited.timed_out() && q.events.is_empty() {
                break;
            }
        }
        let started = Instant::now();
        while !q.events.is_empty() && q.events.len() < BATCH && !q.urgent() {
            let Some(left) = GATHER
                .checked_sub(started.elapsed())
                .filter(|l| !l.is_zero())
            else {
                break;
            };
            q.wake_at = BATCH;
            q = self
                .work
                .wait_timeout(q, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        q.wake_at = usize::MAX;
        q.nudged = false;
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::Kind;
    use crate::trace::sink::Collector;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn numbered(n: u64) -> Event {
        let mut ev = Event::new(Kind::Note, "t");
        ev.seq = n;
        ev
    }

    /// The nice value of each of this process's threads named `name`, as the kernel holds it
    /// (`/proc/self/task/TID/stat`, field 19).
    fn nice_of_threads(name: &str) -> Vec<i32> {
        let tasks = std::fs::read_dir("/proc/self/task").unwrap();
        let stat = |t: &std::fs::DirEntry| std::fs::read_to_string(t.path().join("stat")).ok();
        tasks
            .flatten()
            .filter_map(|t| stat(&t))
            .filter(|st| st.contains(&format!("({name})")))
            .filter_map(|st| {
                let after_name = &st[st.rfind(')')? + 1..];
                after_name.split_whitespace().nth(16)?.parse().ok()
            })
            .collect()
    }

    /// The writer stands back for the program's own threads: the kernel holds its nice value
    /// at `WRITER_NICE` (a thread's own: the program's threads keep theirs).
    #[test]
    fn the_writer_thread_yields_to_the_program_it_traces() {
        let kept = Collector::new();
        let bg = Background::new(kept.clone());
        bg.take(numbered(1));
        bg.flush();
        let writers = nice_of_threads("lab-trace-write");
        assert!(!writers.is_empty(), "no writer thread found");
        // At least WRITER_NICE: a test run under `nice` may start nicer, and stays so.
        assert!(
            writers.iter().all(|n| *n >= crate::sys::WRITER_NICE),
            "{writers:?}"
        );
        assert_eq!(kept.len(), 1);
    }

    /// A trace file as lab writes one: each event a line into a buffer, out when flushed.
    struct BufferedFile(std::sync::Mutex<std::io::BufWriter<std::fs::File>>);

    impl Sink for BufferedFile {
        fn event(&self, ev: &Event) {
            let mut out = self.0.lock().unwrap();
            std::io::Write::write_all(&mut *out, format!("{}\n", ev.seq).as_bytes()).unwrap();
        }

        fn flush(&self) {
            std::io::Write::flush(&mut *self.0.lock().unwrap()).unwrap();
        }
    }

    /// Waits (bounded) for `done`; panics with `what` if it never comes.
    fn within(what: &str, done: impl Fn() -> bool) {
        let until = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < until, "timed out waiting for: {what}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn every_event_arrives_once_in_the_order_given_and_flush_waits_for_them() {
        let kept = Collector::new();
        let bg = Background::with_capacity(kept.clone(), 64);
        for n in 1..=10_000 {
            bg.take(numbered(n));
        }
        bg.flush();
        let seqs: Vec<u64> = kept.events().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=10_000).collect::<Vec<u64>>());
    }

    /// A sink that holds its first event until the test lets it go: the writer stalls.
    struct Gate {
        open: Mutex<bool>,
        opened: Condvar,
        seen: AtomicUsize,
        kept: Arc<Collector>,
    }

    impl Sink for Gate {
        fn event(&self, ev: &Event) {
            self.seen.fetch_add(1, Ordering::SeqCst);
            let mut open = self.open.lock().unwrap();
            while !*open {
                open = self.opened.wait(open).unwrap();
            }
            self.kept.event(ev);
        }
    }

    impl Gate {
        fn new(kept: Arc<Collector>) -> Arc<Gate> {
            Arc::new(Gate {
                open: Mutex::new(false),
                opened: Condvar::new(),
                seen: AtomicUsize::new(0),
                kept,
            })
        }

        fn let_go(&self) {
            *self.open.lock().unwrap_or_else(|p| p.into_inner()) = true;
            self.opened.notify_all();
        }
    }

    #[test]
    fn a_writer_that_falls_behind_makes_the_program_wait_and_loses_nothing() {
        let kept = Collector::new();
        let gate = Arc::new(Gate {
            open: Mutex::new(false),
            opened: Condvar::new(),
            seen: 0.into(),
            kept: kept.clone(),
        });
        let bg = Arc::new(Background::with_capacity(gate.clone(), 8));
        let given = Arc::new(AtomicUsize::new(0));
        let (b, g) = (bg.clone(), given.clone());
        let program = std::thread::spawn(move || {
            for n in 1..=100 {
                b.take(numbered(n));
                g.store(n as usize, Ordering::SeqCst);
            }
        });
        // The writer holds the first event at the gate; the queue fills up to its capacity.
        within("the writer to stall on its first event", || {
            gate.seen.load(Ordering::SeqCst) == 1
        });
        within("the queue to fill", || bg.shared.lock().events.len() == 8);
        // Full, with the writer stalled: the program has handed over the batch in the writer's
        // hands (at most a queue's worth) and the eight queued, and no more — it waits.
        let in_hand = given.load(Ordering::SeqCst) - 8;
        assert!(
            (1..=8).contains(&in_hand),
            "{in_hand} events beyond the queue"
        );
        assert!(!program.is_finished());
        *gate.open.lock().unwrap() = true;
        gate.opened.notify_all();
        program.join().unwrap();
        bg.flush();
        let seqs: Vec<u64> = kept.events().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=100).collect::<Vec<u64>>());
    }

    #[test]
    fn dropping_it_writes_what_is_queued_and_the_file_is_flushed_when_idle() {
        let kept = Collector::new();
        let bg = Background::new(kept.clone());
        for n in 1..=3 {
            bg.take(numbered(n));
        }
        drop(bg);
        assert_eq!(kept.len(), 3);

        // Idle without a flush asked for: the writer writes and flushes on its own.
        let file = std::env::temp_dir().join(format!("lab-writer-{}.jsonl", std::process::id()));
        let out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let bg = Background::new(Arc::new(BufferedFile(std::sync::Mutex::new(out))));
        bg.take(numbered(7));
        bg.idle();
        let lines = || {
            std::fs::read_to_string(&file)
                .unwrap_or_default()
                .lines()
                .count()
        };
        within("the file to hold the event", || lines() == 1);
        drop(bg);
        let _ = std::fs::remove_file(&file);
    }

    /// The verdicts a trace file's writer reads later, for many calls at once
    /// (`super::super::later`), against the same calls' verdicts read at once.
    mod read_later {
        use super::Gate;
        use crate::kernel::check::wait_until;
        use crate::kernel::table::KernelTable;
        use crate::tcp_state::TcpState;
        use crate::trace::event::{Event, Kind};
        use crate::trace::sink::{Collector, Sink};
        use crate::trace::syscall::Syscall;
        use crate::trace::writer::Background;
        use crate::trace::{TracedSocket, Tracer};
        use crate::verdict::Verdict;
        use socket2::{Domain, Protocol, Type};
        use std::net::{SocketAddr, TcpStream};
        use std::sync::atomic::Ordering;
        use std::sync::Arc;
        use std::time::Duration;

        const PATIENCE: Duration = Duration::from_secs(10);

        /// A server's traced listener and one accepted connection, traced into `sink` as `lab
        /// server` traces (no waits: its verdicts may be left to the sink), and the client's end.
        fn server(sink: Arc<dyn Sink>) -> (Arc<Tracer>, TracedSocket, TracedSocket, TcpStream) {
            let tracer = Tracer::new(sink);
            tracer.set_settle_timeout(Duration::ZERO);
            let (v4, tcp) = (Domain::IPV4, Some(Protocol::TCP));
            let l = TracedSocket::new(Some(tracer.clone()), "srv", v4, Type::STREAM, tcp).unwrap();
            l.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            l.listen(8).unwrap();
            let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
            let (conn, _) = l.accept().unwrap();
            (tracer, l, conn, client)
        }

        fn sends(events: &[Event]) -> Vec<&Event> {
            let send = |e: &&Event| e.kind == Kind::Call && e.call == Some(Syscall::Send);
            events.iter().filter(send).collect()
        }

        /// Five sends into a trace file's writer: each verdict read later, with the others, says
        /// what reading it at once says — ✓, ESTABLISHED, the row's queues — and none is left
        /// waiting.
        #[test]
        fn verdicts_read_later_say_what_verdicts_read_at_once_say() {
            let mut seen = Vec::new();
            for later in [true, false] {
                let kept = Collector::new();
                let sink: Arc<dyn Sink> = if later {
                    Arc::new(Background::new(kept.clone()))
                } else {
                    kept.clone()
                };
                let (tracer, _l, conn, _client) = server(sink);
                assert_eq!(tracer.checks_later(), later);
                for _ in 0..5 {
                    conn.send(b"hola\n").unwrap();
                }
                tracer.flush();
                let events = kept.events();
                let s: Vec<_> = sends(&events)
                    .iter()
                    .map(|e| (e.state, e.verdict, e.kernel, e.recv_q, e.check_later))
                    .collect();
                seen.push(s);
            }
            let est = Some(TcpState::Established);
            assert_eq!(seen[0].len(), 5);
            assert!(seen[0]
                .iter()
                .all(|s| (s.0, s.1, s.2, s.3, s.4) == (est, Verdict::Agrees, est, Some(0), None)));
            assert_eq!(seen[0], seen[1]);
        }

        /// Lets the writer go however the test ends (a writer held at the gate would hold the
        /// test's end: dropping the sink waits for it).
        struct LetGo(Arc<Gate>);

        impl Drop for LetGo {
            fn drop(&mut self) {
                self.0.let_go();
            }
        }

        /// A send whose row is read only after the peer ends the connection — read and closed
        /// (FIN: CLOSE-WAIT), or closed unread (RST: no row). The table cannot tell whether that
        /// came before the send returned or after, so the send gets `?` with what the table
        /// showed: never a ✓ it did not see, never a ✗.
        #[test]
        fn a_connection_that_moved_before_its_row_was_read_is_not_confirmed_either_way() {
            for (read_first, says) in [(true, "CLOSE-WAIT"), (false, "gone")] {
                let kept = Collector::new();
                let gate = Gate::new(kept.clone());
                let _go = LetGo(gate.clone());
                let (tracer, _l, conn, mut client) =
                    server(Arc::new(Background::new(gate.clone())));
                // The writer holds the events so far at the gate: the send's is in its next batch.
                let stalled = || gate.seen.load(Ordering::SeqCst) == 1;
                assert!(wait_until(PATIENCE, stalled), "the writer never wrote");
                conn.send(b"hola\n").unwrap();
                let (local, peer) = (conn.local_addr().unwrap(), conn.peer_addr().unwrap());
                if read_first {
                    std::io::Read::read_exact(&mut client, &mut [0; 5]).unwrap();
                }
                drop(client);
                let table = KernelTable::open().unwrap();
                let want = read_first.then_some(TcpState::CloseWait);
                let moved = || state(&table, local, peer) == want;
                assert!(wait_until(PATIENCE, moved), "the peer never ended it");
                gate.let_go();
                tracer.flush();
                let events = kept.events();
                let send = sends(&events)[0];
                assert_eq!(send.state, Some(TcpState::Established));
                assert_eq!((send.verdict, send.kernel), (Verdict::Unavailable, None));
                let why = send.reason.as_deref().unwrap();
                assert!(why.contains(says), "{why}");
            }
        }

        /// A send whose row is read only after the server closed the connection (its FIN
        /// acknowledged: FIN-WAIT-2, the row now carrying inode 0, as every connection no fd
        /// holds). The connection is still in the table: the `?` says the state it was in,
        /// not that it was gone.
        #[test]
        fn a_connection_closed_before_its_row_was_read_is_told_by_the_state_it_was_in() {
            let kept = Collector::new();
            let gate = Gate::new(kept.clone());
            let _go = LetGo(gate.clone());
            let (tracer, _l, conn, _client) = server(Arc::new(Background::new(gate.clone())));
            let stalled = || gate.seen.load(Ordering::SeqCst) == 1;
            assert!(wait_until(PATIENCE, stalled), "the writer never wrote");
            conn.send(b"hola\n").unwrap();
            let (local, peer) = (conn.local_addr().unwrap(), conn.peer_addr().unwrap());
            conn.close().unwrap();
            let table = KernelTable::open().unwrap();
            let orphaned = || {
                let row = table.lookup(local, peer).ok().flatten();
                row.is_some_and(|r| r.state == Some(TcpState::FinWait2) && r.inode == 0)
            };
            assert!(
                wait_until(PATIENCE, orphaned),
                "the FIN was never acknowledged"
            );
            gate.let_go();
            tracer.flush();
            let events = kept.events();
            let send = sends(&events)[0];
            assert_eq!((send.verdict, send.kernel), (Verdict::Unavailable, None));
            let why = send.reason.as_deref().unwrap();
            assert!(why.contains("FIN-WAIT-2") && !why.contains("gone"), "{why}");
        }

        fn state(table: &KernelTable, local: SocketAddr, peer: SocketAddr) -> Option<TcpState> {
            table
                .lookup(local, peer)
                .ok()
                .flatten()
                .and_then(|r| r.state)
        }
    }
}
