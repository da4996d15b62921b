//! The thread-per-client server, as the course builds it (seeds 000, 001, 003, 004) — minus
//! their bug.
//!
//! Each client gets a thread that blocks in `recv()` and applies the room's rules; the room is
//! shared behind one mutex.
//!
//! The seeds broadcast by calling a *blocking* `send()` to every client while holding the lock:
//! one client that stops reading fills its socket buffer, that `send()` blocks forever, the
//! lock is never released, and the whole chat freezes. Here nothing that holds the lock can
//! block:
//!
//! - a line for a client is sent with `send(MSG_DONTWAIT)`, which sends what fits into the
//!   socket buffer and returns at once;
//! - what does not fit waits in the client's *outbox* (bounded: [`outbox`]), and only then
//!   does the client get a second, *writer* thread, which does the blocking `send()`s, holding
//!   no lock, and ends once the outbox is empty;
//! - a client whose outbox passes the hard limit, or stays over the soft one without draining,
//!   is dropped. Nobody else ever waits for it.
//!
//! Most clients read as fast as they are written to and never need a writer thread, so 10,000
//! clients are about 10,000 threads, not 20,000.

use super::dialect::speaker::Speaker;
use super::dialect::{self, Choice, Dialect, Wire};
use super::outbox::{self, Backlog};
use super::pacing::{Next, Paced};
use super::room::{ClientId, Effect, Leave, Room};
use super::server::{self, out_of_fds, Config, Outlet, Stopper, Worded, GOODBYE_GRACE, RECV_CHUNK};
use crate::trace::{poll::poll_why, SockOpt, TracedSocket};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use rustc_hash::FxHashMap as HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Small stacks: the threads keep their buffers on the heap.
const STACK: usize = 128 * 1024;

/// Threads alive, readers and writers.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// How many threads this machine lets one process map: each thread takes about four memory
/// mappings (its stack and guard page, its signal stack and guard page) and a process may have
/// `vm.max_map_count` of them. Past that, starting a thread aborts the process, so the server
/// refuses new clients before it gets there.
fn thread_budget() -> usize {
    let maps: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530);
    maps.saturating_sub(4_096) / 4
}

/// What waits to be sent to one client.
#[derive(Default)]
struct OutState {
    buf: Vec<u8>,
    /// A writer thread is draining `buf`; new lines queue behind it, in order.
    writer: Option<JoinHandle<()>>,
    writing: bool,
    /// Flush what is queued, then end the connection.
    done: bool,
    /// The client said `:q`: its leave notice has no "(disconnected)".
    quit: bool,
    /// The client was dropped: send nothing more.
    dropped: bool,
    /// A send met the client's RST (ECONNRESET). The kernel reports a reset once, to the first
    /// call that asks: that send took it, and the reader's `recv()` then sees only the end of
    /// the stream — so the reset is remembered here for the leave notice.
    reset: bool,
    /// Bytes the writer thread took from `buf` and has not sent yet.
    inflight: usize,
    /// Whether the client keeps up (see [`outbox`]).
    backlog: Option<Backlog>,
    /// Messages of an unframed dialect: one per send(), a pause apart.
    paced: Paced,
}

impl OutState {
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

#[derive(Default)]
struct Outbox {
    state: Mutex<OutState>,
    wake: Condvar,
}

/// Whether a line could be queued.
enum Pushed {
    Ok,
    /// The outbox is full: the client does not read.
    Full,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, OutState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `out` now if the socket takes it — lines together, each paced message alone and
    /// only once its pause is over; what does not go now is queued for a writer thread.
    fn push(self: &Arc<Self>, sock: &Arc<TracedSocket>, out: Outgoing) -> Pushed {
        let mut st = self.lock();
        if st.done || st.dropped {
            return Pushed::Ok;
        }
        let Outgoing {
            framed: mut data,
            alone,
        } = out;
        if !st.writing && !data.is_empty() {
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
        if st.pending() + data.len() + alone_bytes > outbox::HARD_LIMIT {
            return Pushed::Full;
        }
        st.buf.extend_from_slice(&data);
        alone.into_iter().for_each(|m| st.paced.push(m));
        if !st.writing && st.buf.is_empty() {
            send_paced_now(&mut st, sock);
        }
        if st.pending() == 0 {
            return Pushed::Ok;
        }
        let pending = st.pending();
        if st.backlog().queued(pending, Instant::now) == outbox::Verdict::TooSlow {
            return Pushed::Full;
        }
        if st.writing {
            self.wake.notify_one();
        } else {
            self.start_writer(&mut st, sock);
        }
        Pushed::Ok
    }

    /// Starts a writer thread for the queued bytes (the previous one, if any, has finished).
    fn start_writer(self: &Arc<Self>, st: &mut OutState, sock: &Arc<TracedSocket>) {
        if let Some(old) = st.writer.take() {
            // It set `writing = false` as its last act: joining is immediate.
            let _ = old.join();
        }
        let (me, theirs) = (self.clone(), sock.clone());
        let spawned = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || {
                THREADS.fetch_add(1, Ordering::Relaxed);
                write_loop(&theirs, &me);
                THREADS.fetch_sub(1, Ordering::Relaxed);
            });
        match spawned {
            Ok(h) => {
                st.writer = Some(h);
                st.writing = true;
            }
            // No thread to be had: this client cannot be served its backlog.
            Err(_) => {
                st.dropped = true;
                st.buf = Vec::new();
                let _ = sock.shutdown(Shutdown::Both);
            }
        }
    }

    /// No more lines: flush, then end the connection (at once if nothing is queued).
    fn finish(&self, sock: &TracedSocket, quit: bool) {
        let mut st = self.lock();
        st.quit |= quit;
        if st.done {
            return;
        }
        st.done = true;
        if st.writing {
            self.wake.notify_one();
        } else {
            // Ends the connection both ways: the client sees EOF after our last line, and our
            // reader's blocked recv() returns.
            let _ = sock.shutdown(Shutdown::Both);
        }
    }

    fn drop_all(&self, sock: &TracedSocket) {
        let mut st = self.lock();
        st.dropped = true;
        st.buf = Vec::new();
        st.paced.clear();
        self.wake.notify_one();
        drop(st);
        // Wakes a writer blocked in send (EPIPE) and the reader blocked in recv (EOF).
        let _ = sock.shutdown(Shutdown::Both);
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
                    dialect::note_pause(sock, waited);
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
    /// Nothing left: end (and end the connection, if it is done).
    Stop { end: bool },
}

fn next_job(st: &mut OutState) -> Job {
    if st.dropped {
        st.writing = false;
        return Job::Stop { end: false };
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
        Next::Idle => {
            st.writing = false;
            Job::Stop { end: st.done }
        }
    }
}

/// A writer thread: blocking sends of everything queued, all the lines in one `send()` when
/// possible (batching), each paced message alone after its pause; ends when the outbox is
/// empty.
fn write_loop(sock: &TracedSocket, outbox: &Outbox) {
    loop {
        let job = next_job(&mut outbox.lock());
        let sent = match job {
            Job::Lines(data) => send_draining(sock, outbox, &data),
            Job::Paced(data) => send_paced(sock, outbox, &data),
            Job::Wait(d) => {
                // Woken early by a new push or a drop: next_job looks again.
                let st = outbox.lock();
                let _ = outbox.wake.wait_timeout(st, d);
                Ok(())
            }
            Job::Stop { end } => {
                if end {
                    let _ = sock.shutdown(Shutdown::Both);
                }
                return;
            }
        };
        if let Err(e) = sent {
            let mut st = outbox.lock();
            st.send_failed(&e);
            (st.writing, st.dropped, st.inflight) = (false, true, 0);
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
    let mut st = outbox.lock();
    if let Some(waited) = st.paced.sent(n, now) {
        dialect::note_pause(sock, waited);
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
        let mut st = outbox.lock();
        st.inflight = data.len();
        let pending = st.pending();
        st.backlog().drained(pending, Instant::now);
    }
    Ok(())
}

struct Client {
    sock: Arc<TracedSocket>,
    outbox: Arc<Outbox>,
    /// The words its messages are put in (its reader thread updates it as it learns).
    dialect: Dialect,
}

/// What one round of effects sends one client.
#[derive(Default)]
struct Outgoing {
    /// Lines, sent together.
    framed: Vec<u8>,
    /// Messages of an unframed dialect, each alone.
    alone: Vec<Vec<u8>>,
}

/// Everything the threads share, behind one lock.
struct Shared {
    room: Room,
    clients: HashMap<ClientId, Client>,
    stopping: bool,
}

type Lock = Arc<(Mutex<Shared>, Condvar)>;

fn lock(l: &Lock) -> MutexGuard<'_, Shared> {
    l.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// The threads model's half of [`server::apply`], for the effects of one `recv()`: the lines
/// for each client are gathered first, then sent together — one `send()` per client for all
/// the lines a sender's chunk held, where a line-by-line broadcast makes one per line. Sent at
/// once if the socket takes them, else queued in the client's outbox for its writer thread.
/// Called with the lock held, which is safe because nothing here blocks: sends are
/// MSG_DONTWAIT, the rest waits.
struct Batch<'a> {
    clients: &'a HashMap<ClientId, Client>,
    /// Each client's lines so far, in the order they were pushed, and the clients in the order
    /// they first got one.
    lines: HashMap<ClientId, Outgoing>,
    order: Vec<ClientId>,
}

impl<'a> Batch<'a> {
    fn new(clients: &'a HashMap<ClientId, Client>) -> Batch<'a> {
        Batch {
            clients,
            lines: HashMap::default(),
            order: Vec::new(),
        }
    }

    /// Sends what was gathered for `id`; false if its outbox is full (it does not read).
    fn send(&mut self, id: ClientId) -> bool {
        let (Some(data), Some(c)) = (self.lines.remove(&id), self.clients.get(&id)) else {
            return true;
        };
        matches!(c.outbox.push(&c.sock, data), Pushed::Ok)
    }

    /// Sends everything gathered; returns the clients whose outbox was full.
    fn send_all(&mut self) -> Vec<ClientId> {
        let order = std::mem::take(&mut self.order);
        order.into_iter().filter(|id| !self.send(*id)).collect()
    }
}

impl Outlet for Batch<'_> {
    fn socket(&self, id: ClientId) -> Option<&TracedSocket> {
        self.clients.get(&id).map(|c| &*c.sock)
    }

    fn push(&mut self, id: ClientId, msg: &mut Worded) -> bool {
        let Some(c) = self.clients.get(&id) else {
            return true;
        };
        let out = self.lines.entry(id).or_insert_with(|| {
            self.order.push(id);
            Outgoing::default()
        });
        for wire in msg.words(c.dialect) {
            match wire {
                Wire::Framed(line) => {
                    out.framed.extend_from_slice(line.as_bytes());
                    out.framed.push(b'\n');
                }
                Wire::Alone(msg) => out.alone.push(msg.clone()),
            }
        }
        true
    }

    fn finish(&mut self, id: ClientId) {
        // Its last lines go before the end.
        self.send(id);
        if let Some(c) = self.clients.get(&id) {
            c.outbox.finish(&c.sock, true);
        }
    }

    fn cut(&mut self, id: ClientId) {
        self.lines.remove(&id);
        if let Some(c) = self.clients.get(&id) {
            c.outbox.drop_all(&c.sock);
        }
    }
}

/// Carries out the room's effects (of one `recv()`, or one event) through a [`Batch`]; a client
/// whose outbox overflowed is cut, and the notices of its leaving go out in turn.
fn apply(sh: &mut Shared, effects: Vec<Effect>) {
    let mut todo = effects;
    loop {
        let mut batch = Batch::new(&sh.clients);
        server::apply(&mut sh.room, &mut batch, todo);
        let full = batch.send_all();
        if full.is_empty() {
            return;
        }
        todo = Vec::new();
        for id in full {
            batch.cut(id);
            todo.extend(sh.room.leave(id, Leave::TooSlow));
        }
    }
}

/// Runs the accept loop in this thread until `stop`.
pub fn run(cfg: &Config, listener: TracedSocket, stop: Arc<Stopper>) -> io::Result<()> {
    let listener = Arc::new(listener);
    let shared: Lock = Arc::new((
        Mutex::new(Shared {
            room: Room::new(cfg.max_clients, cfg.seed),
            clients: HashMap::default(),
            stopping: false,
        }),
        Condvar::new(),
    ));
    let limits = Limits {
        max_clients: cfg.max_clients,
        threads: thread_budget(),
        dialect: cfg.dialect,
    };
    // The stop watcher blocks on the stop pipe, says goodbye to everyone, then wakes the
    // blocked accept(): shutdown(SHUT_RD) on a listening socket makes accept() fail (EINVAL).
    let watcher = {
        let (shared, listener) = (shared.clone(), listener.clone());
        std::thread::Builder::new()
            .name("lab-stop".into())
            .spawn(move || {
                stop.wait();
                say_goodbye(&shared);
                let _ = listener.shutdown(Shutdown::Read);
            })?
    };
    let mut readers: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id: ClientId = 1;
    let result = loop {
        match listener.accept() {
            Ok((sock, peer)) => {
                readers.retain(|h| !h.is_finished());
                match admit(&shared, sock, peer, next_id, limits) {
                    Admitted::Refused => {}
                    Admitted::Joined(reader) => {
                        readers.push(reader);
                        next_id += 1;
                    }
                    Admitted::NoThread => next_id += 1,
                }
            }
            Err(_) if lock(&shared).stopping => break Ok(()),
            Err(e) if out_of_fds(&e) => {
                // Out of fds: retrying now would fail again and spin. Wait until a client
                // leaves (its fd is freed), or a second, then try again.
                let sh = lock(&shared);
                let _ = shared.1.wait_timeout(sh, Duration::from_secs(1));
            }
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ECONNABORTED) | Some(libc::EINTR)
                ) =>
            {
                continue
            }
            Err(e) => break Err(e),
        }
    };
    for h in readers {
        let _ = h.join();
    }
    let _ = watcher.join();
    // Every client thread is done, so this is the last reference.
    if let Ok(l) = Arc::try_unwrap(listener) {
        l.close()?;
    }
    result
}

/// What became of a new connection.
enum Admitted {
    /// Turned away (the room is full, or the server is stopping): its id is not used.
    Refused,
    /// Registered as `id`, served by this reader thread.
    Joined(JoinHandle<()>),
    /// Registered as `id`, but no thread could be started for it: let go.
    NoThread,
}

/// What a new connection is admitted under.
#[derive(Clone, Copy)]
struct Limits {
    max_clients: usize,
    /// Threads this process may start.
    threads: usize,
    /// What clients may speak.
    dialect: Choice,
}

/// A new connection: turned away if the room is full (clients, or threads), else registered
/// as `id` and given its reader thread.
fn admit(
    shared: &Lock,
    sock: TracedSocket,
    peer: SocketAddr,
    id: ClientId,
    limits: Limits,
) -> Admitted {
    let Limits {
        max_clients,
        threads: budget,
        dialect: choice,
    } = limits;
    let mut sh = lock(shared);
    if sh.stopping {
        drop(sh);
        let _ = sock.close();
        return Admitted::Refused;
    }
    if sh.room.len() >= max_clients || THREADS.load(Ordering::Relaxed) >= budget {
        drop(sh);
        server::refuse_full(sock, max_clients.min(budget));
        return Admitted::Refused;
    }
    sock.set_actor(&format!("srv:#{id}"));
    // Short lines go out at once, without Nagle's wait for more data (which meets the peer's
    // delayed ACK in a 40 ms stall).
    let _ = sock.setsockopt(SockOpt::NoDelay(true));
    let sock = Arc::new(sock);
    let outbox = Arc::new(Outbox::default());
    let speaker = Speaker::new(choice, Instant::now());
    sh.clients.insert(
        id,
        Client {
            sock: sock.clone(),
            outbox: outbox.clone(),
            dialect: speaker.output(),
        },
    );
    sh.room.join(id, sock.fd(), peer);
    if speaker.greets_at_once() {
        let fx = sh.room.welcome(id);
        apply(&mut sh, fx);
    }
    drop(sh);
    let theirs = shared.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("lab-c{id}"))
        .stack_size(STACK)
        .spawn(move || {
            THREADS.fetch_add(1, Ordering::Relaxed);
            serve(&theirs, id, sock, outbox, speaker);
            THREADS.fetch_sub(1, Ordering::Relaxed);
        });
    match spawned {
        Ok(h) => Admitted::Joined(h),
        Err(e) => {
            // No thread for it: let it go (its socket closes with the last Arc).
            let mut sh = lock(shared);
            if let Some(c) = sh.clients.remove(&id) {
                c.outbox.drop_all(&c.sock);
            }
            let fx = sh.room.leave(id, Leave::Reset);
            apply(&mut sh, fx);
            eprintln!("lab server: no thread for a new client: {e}");
            Admitted::NoThread
        }
    }
}

/// One client's thread: read until the connection ends, then clean up and close.
fn serve(
    shared: &Lock,
    id: ClientId,
    sock: Arc<TracedSocket>,
    outbox: Arc<Outbox>,
    speaker: Speaker,
) {
    let why = read_loop(shared, id, &sock, speaker);
    {
        let mut sh = lock(shared);
        let why = if sh.stopping {
            Leave::Shutdown
        } else if outbox.lock().quit {
            Leave::Quit
        } else if matches!(why, Leave::Disconnected) && outbox.lock().reset {
            Leave::Reset
        } else {
            why
        };
        // A no-op if the room already let it go (dropped as too slow).
        let fx = sh.room.leave(id, why);
        apply(&mut sh, fx);
        sh.clients.remove(&id);
    }
    shared.1.notify_all();
    outbox.finish(&sock, false);
    let writer = outbox.lock().writer.take();
    if let Some(w) = writer {
        let _ = w.join();
    }
    if outbox.lock().dropped {
        // What it did not read is thrown away anyway: close with RST (SO_LINGER 0), so the
        // kernel does not keep its unsent megabytes queued behind a FIN.
        let _ = sock.setsockopt(SockOpt::Linger(Some(Duration::ZERO)));
    }
    // The writer is done and the client is out of the map: this is the last reference.
    match Arc::try_unwrap(sock) {
        Ok(s) => {
            let _ = s.close();
        }
        Err(s) => drop(s),
    }
}

/// Reads until the connection ends; every message goes through its dialect to the room.
/// When the speaker has a deadline (a greeting owed, a message a pause would end), the thread
/// first waits for bytes with `poll()` until then — a traced call, so the wait shows.
fn read_loop(shared: &Lock, id: ClientId, sock: &TracedSocket, mut speaker: Speaker) -> Leave {
    let mut buf = vec![0u8; RECV_CHUNK];
    loop {
        if let Some(due) = speaker.deadline() {
            let why = speaker
                .awaits_first_words()
                .then(|| server::first_words_note(&sock.actor()));
            if !readable_before(sock, due, why) {
                let mut sh = lock(shared);
                let fx = speaker.tick(&mut sh.room, id, Instant::now());
                settle(&mut sh, id, &speaker, fx);
                continue;
            }
        }
        match sock.recv(&mut buf) {
            Ok(0) => return Leave::Disconnected,
            Ok(n) => {
                let mut sh = lock(shared);
                let fx = speaker.hear(&mut sh.room, id, &buf[..n], Instant::now());
                settle(&mut sh, id, &speaker, fx);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Leave::Reset,
        }
    }
}

/// Whether `sock` has something to read (or hung up) before `due`: `poll()` on it alone, with
/// why it waits that long said on its line.
fn readable_before(sock: &TracedSocket, due: Instant, why: Option<String>) -> bool {
    let ms = server::poll_ms(due.saturating_duration_since(Instant::now()));
    let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
    match poll_why(
        sock.tracer(),
        &sock.actor(),
        &mut fds,
        PollTimeout::from(ms),
        why,
    ) {
        Ok(n) => n > 0,
        // Interrupted: look at the clock again.
        Err(_) => Instant::now() < due,
    }
}

/// The effects of what a client said, carried out; its dialect noted for the words of what
/// it is sent from now on.
fn settle(sh: &mut Shared, id: ClientId, speaker: &Speaker, fx: Vec<Effect>) {
    if let Some(c) = sh.clients.get_mut(&id) {
        c.dialect = speaker.output();
    }
    apply(sh, fx);
}

/// Ctrl+C: everyone is told, every connection flushes and ends; after a grace period, those
/// that still have not (a client that does not read) are cut.
fn say_goodbye(shared: &Lock) {
    {
        let mut sh = lock(shared);
        sh.stopping = true;
        let fx = sh.room.shutdown_notice();
        apply(&mut sh, fx);
        for c in sh.clients.values() {
            c.outbox.finish(&c.sock, false);
        }
    }
    let (m, cv) = &**shared;
    let sh = m.lock().unwrap_or_else(|p| p.into_inner());
    let (sh, _) = cv
        .wait_timeout_while(sh, GOODBYE_GRACE, |sh| !sh.clients.is_empty())
        .unwrap_or_else(|p| p.into_inner());
    for c in sh.clients.values() {
        c.outbox.drop_all(&c.sock);
    }
}
