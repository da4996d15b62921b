//! The single-threaded server: non-blocking sockets and a `poll(2)` readiness loop (seed 002
//! used `select`).
//!
//! One thread serves everyone, so it must never wait on one client: every socket is
//! non-blocking, and the only place the thread waits is `poll()`, which returns as soon as
//! *any* fd is ready. Each round of the loop:
//!
//! 1. `poll()` on the stop pipe, the listener and every client (POLLIN; POLLOUT too for those
//!    with output waiting);
//! 2. accept new connections, read from every readable client (one `recv()` each), and run
//!    complete lines through the room, which appends replies to clients' output buffers;
//! 3. send each client's buffered output with one `send()` (batching: many lines, one call);
//! 4. close the connections that ended.
//!
//! Seed 002's loop blocked on one silent client and spun on EOF; here a `recv()` that would
//! block returns EAGAIN, and EOF closes the connection. A client that does not read sees its
//! buffer bounded ([`outbox`]) and is dropped.

use super::dialect::speaker::Speaker;
use super::dialect::{self, Choice, Wire};
use super::message::Leave;
use super::outbox::{self, Backlog};
use super::outlet::{self, Outlet, Worded};
use super::pacing::{Next, Paced};
use super::room::{ClientId, Effect, Room};
use super::server_epoll::{self, EpollWaiter, Ready};
use super::serving::{self, accept_again, not_now, out_of_fds, Config, GOODBYE_GRACE, RECV_CHUNK};
use super::stopper::Stopper;
use crate::trace::poll::{poll, poll_why};
use crate::trace::{SockOpt, TracedSocket, Tracer};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections accepted per round at most, so a flood of new clients cannot starve the rest.
const ACCEPT_BATCH: usize = 64;

/// How long accepting pauses after EMFILE (out of fds), instead of spinning on the error.
const EMFILE_PAUSE: Duration = Duration::from_millis(100);

/// How often clients over their soft limit are looked at when nothing else wakes the loop.
const LAG_CHECK: Duration = Duration::from_secs(1);

/// When each paced client may be sent its next message, soonest first.
type Timers = BinaryHeap<Reverse<(Instant, ClientId)>>;

/// One client connection.
struct Conn {
    sock: TracedSocket,
    /// Its dialect: how its bytes become messages, and its messages words.
    speaker: Speaker,
    /// Output not yet sent; `out[sent..]` is what remains (lines, batched).
    out: Vec<u8>,
    sent: usize,
    /// Messages of an unframed dialect: one per send(), a pause apart.
    paced: Paced,
    /// Has a name: gets the broadcasts.
    registered: bool,
    /// Said `:q`: close once the goodbye is sent.
    quitting: bool,
    /// Why it ended, once it has.
    ended: Option<Leave>,
    /// Whether it keeps up with what it is sent (see [`outbox`]).
    backlog: Backlog,
}

impl Conn {
    fn new(sock: TracedSocket, speaker: Speaker) -> Conn {
        let backlog = Backlog::new(Instant::now());
        let (out, paced) = (Vec::new(), Paced::default());
        Conn {
            sock,
            speaker,
            out,
            sent: 0,
            paced,
            registered: false,
            quitting: false,
            ended: None,
            backlog,
        }
    }

    fn pending(&self) -> usize {
        self.out.len() - self.sent + self.paced.pending()
    }

    /// Whether to ask poll() for POLLOUT: lines waiting, or a message half sent. A message
    /// waiting for its pause asks for nothing (the socket is writable: that would spin); the
    /// loop's timer comes back for it.
    fn wants_write(&self) -> bool {
        self.out.len() > self.sent || self.paced.in_progress()
    }
}

struct Server<'a> {
    room: Room,
    conns: HashMap<ClientId, Conn>,
    /// Clients whose output went from empty to not empty this round: they get a `send()` now
    /// rather than after the next `poll()`.
    fresh: Vec<ClientId>,
    tracer: Option<&'a Tracer>,
    next_id: ClientId,
    /// After EMFILE, no accepting until then.
    paused_until: Option<Instant>,
    /// What new clients may speak.
    choice: Choice,
    /// When a client needs looking at with no event of its own: a greeting owed, a message
    /// ended by a pause, a paced message due. Stale entries are harmless (checked on use).
    timers: Timers,
    waiter: Waiter,
    /// The clients something happened to this round: only they can have ended, or need
    /// their epoll interest changed — so a round costs what happened, not how many are here.
    touched: Vec<ClientId>,
    /// When to look for clients that stopped reading (set once one is over its soft limit).
    lag_due: Option<Instant>,
}

/// How the loop waits: `poll()` with every fd each round, or epoll's kernel-kept list.
enum Waiter {
    Poll,
    Epoll(EpollWaiter),
}

/// Runs the loop in this thread until `stop`; `epoll`: wait with epoll(7) instead of poll(2).
pub fn run(
    cfg: &Config,
    listener: TracedSocket,
    stop: Arc<Stopper>,
    epoll: bool,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let waiter = match epoll {
        true => Waiter::Epoll(EpollWaiter::new(
            cfg.tracer.as_deref(),
            stop.fd(),
            listener.as_fd(),
        )?),
        false => Waiter::Poll,
    };
    let mut s = Server::new(cfg, waiter);
    let mut buf = vec![0u8; RECV_CHUNK];
    loop {
        // 1. Wait until something is ready.
        let ready = match s.wait(&listener, &stop) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if ready.stopping {
            break;
        }
        // 2. New connections, then input.
        if ready.can_accept {
            s.accept_batch(&listener, cfg.max_clients)?;
        }
        for (id, flags) in &ready.clients {
            if flags.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
                s.read_once(*id, &mut buf);
            }
        }
        s.run_timers();
        // 3. Output: one send() per client with something to say.
        s.send_round(&ready);
        // 4. Cut who stopped reading; close what ended (a freed fd lets accepting resume).
        s.check_lag();
        if s.reap() {
            s.paused_until = None;
        }
        s.sync_interest();
    }
    s.shut_down()?;
    listener.close()
}

/// The poll model's half of [`outlet::apply`]: lines go into each connection's output
/// buffer, sent by the loop's next round.
struct Outbound<'s> {
    conns: &'s mut HashMap<ClientId, Conn>,
    /// Clients to flush (and look at) this round.
    fresh: &'s mut Vec<ClientId>,
    /// Set when a client goes over its soft limit: the loop looks again by then.
    lag_due: &'s mut Option<Instant>,
}

impl Outlet for Outbound<'_> {
    fn socket(&self, id: ClientId) -> Option<&TracedSocket> {
        self.conns.get(&id).map(|c| &c.sock)
    }

    fn push(&mut self, id: ClientId, msg: &mut Worded) -> bool {
        match self.conns.get_mut(&id) {
            Some(c) => queue(c, id, msg, self.fresh, self.lag_due),
            None => true,
        }
    }

    fn push_all(
        &mut self,
        _room: &Room,
        except: Option<ClientId>,
        msg: &mut Worded,
    ) -> Vec<ClientId> {
        let mut full = Vec::new();
        for (id, c) in self.conns.iter_mut() {
            if c.registered && Some(*id) != except && !queue(c, *id, msg, self.fresh, self.lag_due)
            {
                full.push(*id);
            }
        }
        full
    }

    fn named(&mut self, id: ClientId) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.registered = true;
        }
    }

    fn finish(&mut self, id: ClientId) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.quitting = true;
            self.fresh.push(id);
        }
    }

    fn cut(&mut self, id: ClientId) {
        if let Some(c) = self.conns.get_mut(&id) {
            c.ended = Some(Leave::TooSlow);
            c.out = Vec::new();
            c.sent = 0;
            c.paced.clear();
            self.fresh.push(id);
        }
    }
}

/// Queues one message for client `id` in its dialect's words: lines into its output buffer,
/// unframed messages into its paced queue. `false` if its outbox is full.
fn queue(
    c: &mut Conn,
    id: ClientId,
    msg: &mut Worded,
    fresh: &mut Vec<ClientId>,
    lag_due: &mut Option<Instant>,
) -> bool {
    if c.ended.is_some() {
        return true;
    }
    for wire in msg.words(c.speaker.output()) {
        let len = match wire {
            Wire::Framed(line) => line.len() + 1,
            Wire::Alone(msg) => msg.len(),
        };
        if c.pending() + len > outbox::HARD_LIMIT {
            return false;
        }
        if c.pending() == 0 {
            // Start over at the front rather than grow behind bytes already sent.
            c.out.clear();
            c.sent = 0;
            fresh.push(id);
        }
        match wire {
            Wire::Framed(line) => {
                c.out.extend_from_slice(line.as_bytes());
                c.out.push(b'\n');
            }
            Wire::Alone(msg) => c.paced.push(msg.clone()),
        }
    }
    let verdict = c.backlog.queued(c.pending(), Instant::now);
    if c.backlog.is_over() && lag_due.is_none() {
        *lag_due = Some(Instant::now() + LAG_CHECK);
    }
    verdict == outbox::Verdict::Keep
}

/// Sends what waits for `c`: its lines in one `send()`, then its paced messages whose pause is
/// over.
fn send_waiting(c: &mut Conn, id: ClientId, timers: &mut Timers) {
    if c.ended.is_some() || c.pending() == 0 {
        return;
    }
    if c.out.len() > c.sent {
        match c.sock.send(&c.out[c.sent..]) {
            Ok(n) => {
                c.sent += n;
                c.backlog.drained(c.pending(), Instant::now);
                if c.sent < c.out.len() {
                    return;
                }
                c.out.clear();
                c.sent = 0;
            }
            Err(e) if not_now(&e) => return,
            Err(_) => return c.ended = Some(Leave::Reset),
        }
    }
    flush_paced(c, id, timers);
}

/// The paced messages of `c` whose pause is over, each in its own `send()`; a timer for the
/// next one.
fn flush_paced(c: &mut Conn, id: ClientId, timers: &mut Timers) {
    if c.paced.is_empty() {
        return;
    }
    loop {
        let now = Instant::now();
        let result = match c.paced.next(now) {
            Next::Send(data) => c.sock.send(data),
            Next::WaitUntil(due) => return timers.push(Reverse((due, id))),
            Next::Idle => return,
        };
        match result {
            Ok(n) => {
                if let Some(waited) = c.paced.sent(n, now) {
                    dialect::note_pause(&c.sock, waited);
                }
                c.backlog.drained(c.pending(), || now);
            }
            // Half sent: POLLOUT brings it back ([`Conn::wants_write`]).
            Err(e) if not_now(&e) => return,
            Err(_) => return c.ended = Some(Leave::Reset),
        }
    }
}

impl<'a> Server<'a> {
    fn new(cfg: &'a Config, waiter: Waiter) -> Server<'a> {
        Server {
            room: Room::new(cfg.max_clients, cfg.seed),
            conns: HashMap::default(),
            fresh: Vec::new(),
            tracer: cfg.tracer.as_deref(),
            next_id: 1,
            paused_until: None,
            choice: cfg.dialect,
            timers: BinaryHeap::new(),
            waiter,
            touched: Vec::new(),
            lag_due: None,
        }
    }

    /// One `send()` per client with something to say: those the wait found writable, and
    /// those whose output went from empty to not empty this round.
    fn send_round(&mut self, ready: &Ready) {
        let mut to_flush: Vec<ClientId> = ready
            .clients
            .iter()
            .filter(|(_, f)| f.contains(PollFlags::POLLOUT))
            .map(|(id, _)| *id)
            .collect();
        to_flush.append(&mut self.fresh);
        to_flush.sort_unstable();
        to_flush.dedup();
        self.touched.extend(ready.clients.iter().map(|(id, _)| *id));
        for id in to_flush {
            self.flush(id);
        }
    }

    /// Carries out the room's effects: lines into output buffers, closes marked.
    fn apply(&mut self, effects: Vec<Effect>) {
        let mut out = Outbound {
            conns: &mut self.conns,
            fresh: &mut self.fresh,
            lag_due: &mut self.lag_due,
        };
        outlet::apply(&mut self.room, &mut out, effects);
    }

    /// Waits until something is ready, or the next timer is due.
    fn wait(&mut self, listener: &TracedSocket, stop: &Stopper) -> io::Result<Ready> {
        let accepting = self.paused_until.is_none_or(|t| Instant::now() >= t);
        let now = Instant::now();
        let timer = self
            .timers
            .peek()
            .map(|Reverse((t, _))| t.saturating_duration_since(now));
        let paused = (!accepting).then_some(EMFILE_PAUSE);
        let lag = self.lag_due.map(|t| t.saturating_duration_since(now));
        let ms = [paused, lag, timer]
            .into_iter()
            .flatten()
            .min()
            .map(serving::poll_ms);
        let why = self.first_words_due();
        match &mut self.waiter {
            Waiter::Epoll(w) => {
                w.set_accepting(self.tracer, listener.as_fd(), accepting);
                w.wait(self.tracer, ms, why)
            }
            Waiter::Poll => self.wait_poll(listener, stop, accepting, ms, why),
        }
    }

    /// `poll()` on the stop pipe, the listener (unless accepting is paused) and every client:
    /// POLLIN, and POLLOUT too for those with output waiting. The whole list, every round.
    fn wait_poll(
        &self,
        listener: &TracedSocket,
        stop: &Stopper,
        accepting: bool,
        ms: Option<u16>,
        why: Option<String>,
    ) -> io::Result<Ready> {
        let mut fds = Vec::with_capacity(self.conns.len() + 2);
        fds.push(PollFd::new(stop.fd(), PollFlags::POLLIN));
        fds.push(PollFd::new(
            listener.as_fd(),
            if accepting {
                PollFlags::POLLIN
            } else {
                PollFlags::empty()
            },
        ));
        let mut order = Vec::with_capacity(self.conns.len());
        for (id, c) in &self.conns {
            let mut events = if c.quitting {
                PollFlags::empty()
            } else {
                PollFlags::POLLIN
            };
            if c.wants_write() {
                events |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(c.sock.as_fd(), events));
            order.push(*id);
        }
        let timeout = ms.map_or(PollTimeout::NONE, PollTimeout::from);
        poll_why(self.tracer, "server", &mut fds, timeout, why)?;
        let ready = |f: &PollFd| f.revents().filter(|r| !r.is_empty());
        Ok(Ready {
            stopping: ready(&fds[0]).is_some(),
            can_accept: ready(&fds[1]).is_some(),
            clients: order
                .iter()
                .zip(&fds[2..])
                .filter_map(|(id, f)| ready(f).map(|r| (*id, r)))
                .collect(),
        })
    }

    /// If the next timer is a new client's wait for its first words (what sets poll's timeout
    /// then), the words that say so on the poll's line.
    fn first_words_due(&self) -> Option<String> {
        self.tracer?;
        let Reverse((_, id)) = self.timers.peek()?;
        let c = self
            .conns
            .get(id)
            .filter(|c| c.speaker.awaits_first_words())?;
        Some(serving::first_words_note(&c.sock.actor()))
    }

    /// epoll only: each client touched this round registered for what it now waits for.
    fn sync_interest(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        let Waiter::Epoll(w) = &mut self.waiter else {
            return;
        };
        for id in touched {
            if let Some(c) = self.conns.get(&id) {
                w.sync(
                    self.tracer,
                    &c.sock,
                    id,
                    server_epoll::flags(!c.quitting, c.wants_write()),
                );
            }
        }
    }

    /// Accepts up to [`ACCEPT_BATCH`] connections, each non-blocking and greeted by the room.
    fn accept_batch(&mut self, listener: &TracedSocket, max_clients: usize) -> io::Result<()> {
        for _ in 0..ACCEPT_BATCH {
            match listener.accept() {
                Ok((sock, _)) if self.room.len() >= max_clients => {
                    serving::refuse_full(sock, max_clients)
                }
                Ok((sock, peer)) => self.admit(sock, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if out_of_fds(&e) => {
                    // Out of fds: stop asking for a while instead of spinning on EMFILE.
                    self.paused_until = Some(Instant::now() + EMFILE_PAUSE);
                    break;
                }
                Err(e) if accept_again(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A new client: never block this thread on it, and send short lines at once, without
    /// Nagle's wait for more data (which meets the peer's delayed ACK in a 40 ms stall).
    fn admit(&mut self, sock: TracedSocket, peer: SocketAddr) {
        if sock
            .set_nonblocking(true)
            .and_then(|_| sock.setsockopt(SockOpt::NoDelay(true)))
            .is_err()
        {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        sock.set_actor(&format!("srv:#{id}"));
        let fd = sock.fd();
        if let Waiter::Epoll(w) = &mut self.waiter {
            if w.add(self.tracer, &sock.actor(), id, sock.as_fd()).is_err() {
                return;
            }
        }
        let speaker = Speaker::new(self.choice, Instant::now());
        let greet = speaker.greets_at_once();
        self.conns.insert(id, Conn::new(sock, speaker));
        self.room.join(id, fd, peer);
        if greet {
            let fx = self.room.welcome(id);
            self.apply(fx);
        } else {
            // Greeted once it is known what it speaks, or when it stays silent.
            self.schedule(id);
        }
    }

    /// Looks at `id` again at its speaker's deadline.
    fn schedule(&mut self, id: ClientId) {
        if let Some(due) = self.conns.get(&id).and_then(|c| c.speaker.deadline()) {
            self.timers.push(Reverse((due, id)));
        }
    }

    /// Runs the timers that are due: greetings owed, messages ended by a pause, paced
    /// messages whose pause is over.
    fn run_timers(&mut self) {
        let now = Instant::now();
        while let Some(&Reverse((due, id))) = self.timers.peek() {
            if due > now {
                break;
            }
            self.timers.pop();
            let Some(c) = self.conns.get_mut(&id).filter(|c| c.ended.is_none()) else {
                continue;
            };
            let fx = c.speaker.tick(&mut self.room, id, now);
            self.apply(fx);
            self.schedule(id);
            self.fresh.push(id);
        }
    }

    /// Cuts every client that stayed over its soft limit without draining. A look at every
    /// client, so only when one was over its soft limit, at most once per [`LAG_CHECK`].
    fn check_lag(&mut self) {
        let now = Instant::now();
        if self.lag_due.is_none_or(|t| now < t) {
            return;
        }
        let stalled: Vec<ClientId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.ended.is_none() && c.backlog.check(now) == outbox::Verdict::TooSlow)
            .map(|(id, _)| *id)
            .collect();
        let still_over = self.conns.values().any(|c| c.backlog.is_over());
        self.lag_due = still_over.then_some(now + LAG_CHECK);
        for id in stalled {
            Outbound {
                conns: &mut self.conns,
                fresh: &mut self.fresh,
                lag_due: &mut self.lag_due,
            }
            .cut(id);
            let fx = self.room.leave(id, Leave::TooSlow);
            self.apply(fx);
        }
    }

    /// One `recv()`: it never blocks, and one per round keeps a chatty client from starving
    /// the others.
    fn read_once(&mut self, id: ClientId, buf: &mut [u8]) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.ended.is_some() {
            return;
        }
        match c.sock.recv(buf) {
            // EOF: the client closed. Not reading again is what avoids seed 002's spin.
            Ok(0) => c.ended = Some(Leave::Disconnected),
            Ok(n) => {
                let fx = c
                    .speaker
                    .hear(&mut self.room, id, &buf[..n], Instant::now());
                self.apply(fx);
                self.schedule(id);
            }
            Err(e) if not_now(&e) => {}
            Err(_) => c.ended = Some(Leave::Reset),
        }
    }

    /// One `send()` of the lines waiting for `id`; then its paced messages, each in its own
    /// `send()`, as their pauses allow.
    fn flush(&mut self, id: ClientId) {
        // One lookup per recipient: at 10,000 clients each is a cache miss.
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        send_waiting(c, id, &mut self.timers);
        // Looked at again at the end of the round only if it ended, is leaving, or still has
        // output waiting (epoll: EPOLLOUT) — not the thousands whose send just went through.
        if c.ended.is_some() || c.quitting || c.wants_write() {
            self.touched.push(id);
        }
    }

    /// Closes connections that ended (or said `:q` and have nothing left to send), and tells
    /// the room. Returns whether any fd was freed.
    fn reap(&mut self) -> bool {
        // Only a client something happened to this round can have ended.
        // (Duplicates are harmless: a client is closed once, the second look finds it gone.)
        self.touched.extend_from_slice(&self.fresh);
        let conns = &self.conns;
        let done: Vec<ClientId> = self
            .touched
            .iter()
            .filter(|id| {
                conns
                    .get(id)
                    .is_some_and(|c| c.ended.is_some() || (c.quitting && c.pending() == 0))
            })
            .copied()
            .collect();
        for id in &done {
            let Some(c) = self.conns.remove(id) else {
                continue;
            };
            if let Waiter::Epoll(w) = &mut self.waiter {
                w.forget(*id);
            }
            let why = if c.quitting {
                Leave::Quit
            } else {
                c.ended.clone().unwrap_or(Leave::Disconnected)
            };
            if why == Leave::TooSlow {
                // What it did not read is thrown away anyway: close with RST (SO_LINGER 0), so
                // the kernel does not keep its unsent megabytes queued behind a FIN.
                let _ = c.sock.setsockopt(SockOpt::Linger(Some(Duration::ZERO)));
            }
            let _ = c.sock.close();
            let fx = self.room.leave(*id, why);
            self.apply(fx);
        }
        // Leave notices just queued: send them now.
        for id in std::mem::take(&mut self.fresh) {
            self.flush(id);
        }
        !done.is_empty()
    }

    /// Ctrl+C: tell everyone, give the goodbyes a bounded time to go out, close every socket.
    fn shut_down(&mut self) -> io::Result<()> {
        let fx = self.room.shutdown_notice();
        self.apply(fx);
        let deadline = Instant::now() + GOODBYE_GRACE;
        let waiting = |conns: &HashMap<ClientId, Conn>| -> Vec<ClientId> {
            conns
                .iter()
                .filter(|(_, c)| c.ended.is_none() && c.pending() > 0)
                .map(|(id, _)| *id)
                .collect()
        };
        loop {
            for id in waiting(&self.conns) {
                self.flush(id);
            }
            // Gone as soon as nothing is left to write: the grace is for clients slow to read.
            let ids = waiting(&self.conns);
            if ids.is_empty() || Instant::now() >= deadline {
                break;
            }
            // Wait for room in a socket buffer, or for the next paced message's pause.
            let now = Instant::now();
            let timer = self
                .timers
                .peek()
                .map(|Reverse((t, _))| *t)
                .filter(|t| *t > now)
                .unwrap_or(deadline);
            let left = timer.min(deadline).saturating_duration_since(now);
            let mut fds: Vec<PollFd> = ids
                .iter()
                .filter_map(|id| self.conns.get(id).filter(|c| c.wants_write()))
                .map(|c| PollFd::new(c.sock.as_fd(), PollFlags::POLLOUT))
                .collect();
            if poll(
                self.tracer,
                "server",
                &mut fds,
                PollTimeout::from(serving::poll_ms(left)),
            )
            .is_err()
            {
                break;
            }
            drop(fds);
            self.timers.retain(|Reverse((t, _))| *t > Instant::now());
        }
        for (id, c) in self.conns.drain() {
            let _ = c.sock.close();
            let _ = self.room.leave(id, Leave::Shutdown);
        }
        Ok(())
    }
}
