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
//! - what does not fit waits in the client's *outbox* (bounded: [`super::outbox`]), and only then
//!   does the client get a second, *writer* thread, which does the blocking `send()`s, holding
//!   no lock, and ends once the outbox is empty;
//! - a client whose outbox passes the hard limit, or stays over the soft one without draining,
//!   is dropped. Nobody else ever waits for it.
//!
//! Most clients read as fast as they are written to and never need a writer thread, so 10,000
//! clients are about 10,000 threads, not 20,000.

use super::dialect::speaker::Speaker;
use super::dialect::{Choice, Dialect, Wire};
use super::message::Leave;
use super::outbox::{Outbox, Outgoing, Pushed, STACK, THREADS};
use super::outlet::{self, Outlet, Worded};
use super::room::{ClientId, Effect, Room};
use super::serving::{self, accept_again, out_of_fds, Config, GOODBYE_GRACE, RECV_CHUNK};
use super::stopper::Stopper;
use crate::trace::{poll::poll_why, SockOpt, TracedSocket};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use rustc_hash::FxHashMap as HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

struct Client {
    sock: Arc<TracedSocket>,
    outbox: Arc<Outbox>,
    /// The words its messages are put in (its reader thread updates it as it learns).
    dialect: Dialect,
}

/// Everything the threads share, behind one lock. Whoever holds it does memory work (the
/// room's rules) and sends only with MSG_DONTWAIT (through [`Batch`] into each client's
/// [`Outbox`], whose own lock is never held across a blocking call): so a thread waits for this
/// lock only while another works, never while one waits for a client.
struct Shared {
    room: Room,
    clients: HashMap<ClientId, Client>,
    stopping: bool,
}

type Lock = Arc<(Mutex<Shared>, Condvar)>;

/// Takes the shared lock (see [`Shared`] for why it is never held across a wait).
fn lock(l: &Lock) -> MutexGuard<'_, Shared> {
    l.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// The threads model's half of [`outlet::apply`], for the effects of one `recv()`: the lines
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
            c.outbox.cut(&c.sock);
        }
    }
}

/// Carries out the room's effects (of one `recv()`, or one event) through a [`Batch`]; a client
/// whose outbox overflowed is cut, and the notices of its leaving go out in turn.
fn apply(sh: &mut Shared, effects: Vec<Effect>) {
    let mut todo = effects;
    loop {
        let mut batch = Batch::new(&sh.clients);
        outlet::apply(&mut sh.room, &mut batch, todo);
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
    let watcher = watch_stop(&shared, &listener, stop)?;
    let mut readers: Vec<JoinHandle<()>> = Vec::new();
    let result = accept_all(&listener, &shared, limits, &mut readers);
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

/// The stop watcher: blocks on the stop pipe, says goodbye to everyone, then wakes the blocked
/// accept(): shutdown(SHUT_RD) on a listening socket makes accept() fail (EINVAL).
fn watch_stop(
    shared: &Lock,
    listener: &Arc<TracedSocket>,
    stop: Arc<Stopper>,
) -> io::Result<JoinHandle<()>> {
    let (shared, listener) = (shared.clone(), listener.clone());
    std::thread::Builder::new()
        .name("lab-stop".into())
        .spawn(move || {
            stop.wait();
            say_goodbye(&shared);
            let _ = listener.shutdown(Shutdown::Read);
        })
}

/// Accepts connections until the server stops, each admitted (its reader thread kept in
/// `readers`) or turned away.
fn accept_all(
    listener: &TracedSocket,
    shared: &Lock,
    limits: Limits,
    readers: &mut Vec<JoinHandle<()>>,
) -> io::Result<()> {
    let mut next_id: ClientId = 1;
    loop {
        match listener.accept() {
            Ok((sock, peer)) => {
                readers.retain(|h| !h.is_finished());
                match admit(shared, sock, peer, next_id, limits) {
                    Admitted::Refused => {}
                    Admitted::Joined(reader) => {
                        readers.push(reader);
                        next_id += 1;
                    }
                    Admitted::NoThread => next_id += 1,
                }
            }
            // The shared lock: never held across a wait (see `Shared`).
            Err(_) if lock(shared).stopping => return Ok(()),
            Err(e) if out_of_fds(&e) => {
                // Out of fds: retrying now would fail again and spin. Wait until a client
                // leaves (its fd is freed), or a second, then try again. The shared lock is
                // never held across a wait, and the wait releases it.
                let sh = lock(shared);
                let _ = shared.1.wait_timeout(sh, Duration::from_secs(1));
            }
            Err(e) if accept_again(&e) => continue,
            Err(e) => return Err(e),
        }
    }
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
    let Some((sock, outbox, speaker)) = register(shared, sock, peer, id, limits) else {
        return Admitted::Refused;
    };
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
            // No thread for it: let it go (its socket closes with the last Arc). The shared
            // lock: never held across a wait (see `Shared`).
            let mut sh = lock(shared);
            if let Some(c) = sh.clients.remove(&id) {
                c.outbox.cut(&c.sock);
            }
            let fx = sh.room.leave(id, Leave::Reset);
            apply(&mut sh, fx);
            eprintln!("lab server: no thread for a new client: {e}");
            Admitted::NoThread
        }
    }
}

/// Registers a new connection as `id` (greeted at once if its dialect needs no waiting), or
/// turns it away: the server is stopping, or full (clients, or threads).
fn register(
    shared: &Lock,
    sock: TracedSocket,
    peer: SocketAddr,
    id: ClientId,
    limits: Limits,
) -> Option<(Arc<TracedSocket>, Arc<Outbox>, Speaker)> {
    // The shared lock: never held across a wait (see `Shared`); the refusals below send and
    // close after it is released.
    let mut sh = lock(shared);
    if sh.stopping {
        drop(sh);
        let _ = sock.close();
        return None;
    }
    let budget = limits.threads;
    if sh.room.len() >= limits.max_clients || THREADS.load(Ordering::Relaxed) >= budget {
        drop(sh);
        serving::refuse_full(sock, limits.max_clients.min(budget));
        return None;
    }
    sock.set_actor(&format!("srv:#{id}"));
    // Short lines go out at once, without Nagle's wait for more data (which meets the peer's
    // delayed ACK in a 40 ms stall).
    let _ = sock.setsockopt(SockOpt::NoDelay(true));
    let sock = Arc::new(sock);
    let outbox = Arc::new(Outbox::default());
    let speaker = Speaker::new(limits.dialect, Instant::now());
    let client = Client {
        sock: sock.clone(),
        outbox: outbox.clone(),
        dialect: speaker.output(),
    };
    sh.clients.insert(id, client);
    sh.room.join(id, sock.fd(), peer);
    if speaker.greets_at_once() {
        let fx = sh.room.welcome(id);
        apply(&mut sh, fx);
    }
    Some((sock, outbox, speaker))
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
        // The shared lock: never held across a wait (see `Shared`).
        let mut sh = lock(shared);
        let ending = outbox.ending();
        let why = if sh.stopping {
            Leave::Shutdown
        } else if ending.quit {
            Leave::Quit
        } else if matches!(why, Leave::Disconnected) && ending.reset {
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
    if outbox.close_out() {
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
                .then(|| serving::first_words_note(&sock.actor()));
            if !readable_before(sock, due, why) {
                // The shared lock: never held across a wait (see `Shared`).
                let mut sh = lock(shared);
                let fx = speaker.tick(&mut sh.room, id, Instant::now());
                settle(&mut sh, id, &speaker, fx);
                continue;
            }
        }
        match sock.recv(&mut buf) {
            Ok(0) => return Leave::Disconnected,
            Ok(n) => {
                // The shared lock: never held across a wait (see `Shared`).
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
    let ms = serving::poll_ms(due.saturating_duration_since(Instant::now()));
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
        // The shared lock: never held across a wait (see `Shared`).
        let mut sh = lock(shared);
        sh.stopping = true;
        let fx = sh.room.shutdown_notice();
        apply(&mut sh, fx);
        for c in sh.clients.values() {
            c.outbox.finish(&c.sock, false);
        }
    }
    // The shared lock, taken to wait (bounded) on its condvar, which releases it.
    let (sh, cv) = (lock(shared), &shared.1);
    let (sh, _) = cv
        .wait_timeout_while(sh, GOODBYE_GRACE, |sh| !sh.clients.is_empty())
        .unwrap_or_else(|p| p.into_inner());
    for c in sh.clients.values() {
        c.outbox.cut(&c.sock);
    }
}
