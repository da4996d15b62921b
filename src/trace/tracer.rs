//! The funnel: every event of a run goes through one [`Tracer`], which numbers it in the order
//! the calls took effect ([`super::order`]), times it, checks it against the kernel's table,
//! follows every traced socket in the table (also after its fd is closed), puts the captured
//! wire's segments in their place among the calls (`super::wire`), and hands it to the one
//! sink.

use super::doorbell::Doorbell;
use super::event::{Actor, Event, Kind};
use super::observer::{self, Change, Watch};
use super::order::{Clock, Inner, SocketInfo, Ticket, Waiting};
use super::sink::Sink;
use super::wire::{name_sender, Pcap, Show, Tap};
use super::{attribution, ending};
use crate::kernel::check::{self, Verdict};
use crate::kernel::table::{self, KernelTable};
use crate::tcp_state::TcpState;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Called before each traced call with the actor and the call about to be made (`--step`).
pub type Stepper = Box<dyn Fn(&str, &Event) + Send + Sync>;

/// The trace funnel, shared (`Arc`) by every traced socket of a run.
pub struct Tracer {
    clock: Clock,
    sink: Arc<dyn Sink>,
    table: Option<KernelTable>,
    /// Why the table is missing, if it is (shown as the "unavailable" reason).
    table_error: Option<String>,
    /// The bound on every wait for an asynchronous state change, in µs.
    settle_us: AtomicU64,
    stepper: Option<Stepper>,
    /// The next place in the order of events (see [`Ticket`]).
    tickets: AtomicU64,
    /// The next id for a traced socket.
    ids: AtomicU64,
    /// An observer thread looks at the table; otherwise it is looked at after each event.
    live: AtomicBool,
    /// Every segment of the run's connections comes through the funnel as an event (a capture
    /// or lab's link, showing them): what the wire did not show did not happen.
    wire_shown: AtomicBool,
    inner: Mutex<Inner>,
    /// The wire's capture, in lab's own network (see `super::wire`).
    tap: OnceLock<Tap>,
    /// Called before a ticket is handed out: a lesson on hosts waits there (bounded) until
    /// lab's link has moved every packet the hosts sent, so that a call comes after the
    /// segments it caused (see `net::lesson`).
    settle: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// The sink reads the table's verdicts itself, in batches ([`Sink::checks_later`]).
    sink_checks: bool,
    /// How a traced process is named, by its pid, as its calls' lifeline is: the holder a
    /// connection is handed over to when another process closes its copy (see `close::held`).
    namer: OnceLock<Namer>,
    /// A busy server's doorbell, opened by its first `send()` or `recv()` (see `doorbell`).
    doorbell: OnceLock<Option<Doorbell>>,
}

/// Names a process by its pid (see [`Tracer::name_processes_with`]).
pub type Namer = Box<dyn Fn(u32) -> Actor + Send + Sync>;

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
            clock: Clock::start(),
            sink_checks: sink.checks_later(),
            sink,
            table,
            table_error,
            settle_us: AtomicU64::new(check::SETTLE_TIMEOUT.as_micros() as u64),
            stepper,
            tickets: AtomicU64::new(0),
            ids: AtomicU64::new(1),
            live: AtomicBool::new(false),
            wire_shown: AtomicBool::new(false),
            inner: Mutex::new(Inner::default()),
            tap: OnceLock::new(),
            settle: OnceLock::new(),
            namer: OnceLock::new(),
            doorbell: OnceLock::new(),
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

    /// Whether a call's verdict may be left to the sink, which reads the table for many calls at
    /// once ([`Sink::checks_later`]): only while no wait is wanted (a busy server, whose trace
    /// file it is), and in lab's own namespace (under `lab net` each host has its own table).
    pub fn checks_later(&self) -> bool {
        self.sink_checks
            && self.settle_us.load(Ordering::Relaxed) == 0
            && self.table.as_ref().is_some_and(|t| !t.has_hosts())
    }

    /// The doorbell that proves a busy server's states at its calls' start (see `doorbell`),
    /// opened at its first use. Used only where verdicts are read later
    /// ([`Tracer::checks_later`]): elsewhere (lessons, `--step`) every call reads its
    /// socket's state itself.
    pub(crate) fn doorbell(&self) -> Option<&Doorbell> {
        self.doorbell.get_or_init(|| Doorbell::open().ok()).as_ref()
    }

    /// Sets that bound. A server sets zero: it must never wait on one connection, so states are
    /// read right after each call, and what the kernel does later is the observer's to tell.
    pub fn set_settle_timeout(&self, d: Duration) {
        self.settle_us
            .store(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// Starts the observer thread: the table is read every `interval` (at least; longer when a
    /// reading takes long: it never uses more than about a tenth of a core), and each change
    /// is reported when seen. Without it the table is read after each event, which is
    /// deterministic (lessons, tests) but reports a change only when something else happens.
    pub fn observe_live(self: &Arc<Self>, interval: Duration) {
        if self.table.is_none() || self.live.swap(true, Ordering::AcqRel) {
            return;
        }
        let me: Weak<Tracer> = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("lab-observer".into())
            .spawn(move || {
                let mut fresh = interval;
                loop {
                    let Some(t) = me.upgrade() else { return };
                    let started = Instant::now();
                    let reading = t.read_table(started.checked_sub(fresh));
                    let took = started.elapsed();
                    if let Some((read, followed, looking)) = reading {
                        fresh = observer::fresh_for(interval, looking, read, followed);
                    }
                    drop(t);
                    std::thread::sleep(observer::pace(interval, took));
                }
            });
        if spawned.is_err() {
            self.live.store(false, Ordering::Release);
        } else if self.tap.get().is_some() {
            self.drain_live();
        }
    }

    /// A place in the order of events, now. Every segment captured so far gets an earlier one
    /// (unless no segment is shown and a thread of the capture's own counts them: `--wire off`
    /// costs a traced call nothing then).
    pub fn ticket(&self) -> Ticket {
        if let Some(settle) = self.settle.get() {
            settle();
        }
        let live = self.live.load(Ordering::Acquire);
        if self.tap.get().is_some_and(|t| t.orders_calls(live)) {
            let mut inner = self.lock();
            self.drain_into(&mut inner);
        }
        self.bare_ticket()
    }

    /// Starts capturing the wire into this trace (lab's own network only): each segment an
    /// event, shown as `show` says, each packet also written to `pcap` (see `Tap::open`).
    pub fn capture_wire(self: &Arc<Self>, show: Show, pcap: Option<Pcap>) -> io::Result<()> {
        let Some(tap) = Tap::open(show, pcap)? else {
            return Ok(());
        };
        let shown = tap.shows_any();
        if self.tap.set(tap).is_err() {
            return Ok(());
        }
        if shown {
            self.tell_wire();
        }
        if self.live.load(Ordering::Acquire) {
            self.drain_live();
        }
        Ok(())
    }

    /// With an observer thread, segments are drained as they arrive by a thread of their own.
    fn drain_live(self: &Arc<Self>) {
        let me: Weak<Tracer> = Arc::downgrade(self);
        let _ = std::thread::Builder::new()
            .name("lab-capture".into())
            .spawn(move || loop {
                let Some(t) = me.upgrade() else { return };
                let Some(tap) = t.tap.get() else { return };
                if tap.wait(Duration::from_millis(50)) {
                    let mut inner = t.lock();
                    t.drain_into(&mut inner);
                    t.deliver_ready(&mut inner);
                }
            });
    }

    /// Whether the wire shows `local` sent its FIN to `peer` (segments captured so far are
    /// drained first); `None` when the wire is not captured.
    pub(crate) fn fin_on_wire(&self, local: SocketAddr, peer: SocketAddr) -> Option<bool> {
        let tap = self.tap.get()?;
        let mut inner = self.lock();
        self.drain_into(&mut inner);
        Some(tap.sent_fin(local, peer))
    }

    /// Is the wire captured in this trace?
    pub fn captures_wire(&self) -> bool {
        self.tap.get().is_some()
    }

    /// Every segment waiting in the capture, each an event with a ticket of its own, before
    /// any later ticket. Called with the trace's lock held. They are delivered with the next
    /// event: by then the call that sent a segment has told whose socket it was (a connecting
    /// socket's port is known only once `connect()` returns, after its SYN).
    fn drain_into(&self, inner: &mut Inner) {
        self.drain_packets(inner, false);
    }

    /// [`Self::drain_into`]; `last`: the end's look, which also tells of packets the kernel
    /// dropped after the last one came (see [`Tap::drain`]).
    fn drain_packets(&self, inner: &mut Inner, last: bool) {
        let Some(tap) = self.tap.get() else { return };
        for (t_us, ev) in tap.drain(&self.clock, last) {
            let n = self.tickets.fetch_add(1, Ordering::AcqRel);
            let (evs, sock) = (vec![ev], None);
            inner.waiting.insert(n, Waiting { t_us, evs, sock });
        }
    }

    /// Delivers every segment captured so far, now (a lesson's `wire` step waits for one).
    pub fn drain_wire(&self) {
        if self.tap.get().is_none() {
            return;
        }
        let mut inner = self.lock();
        self.drain_into(&mut inner);
        self.deliver_ready(&mut inner);
    }

    /// The end of a captured run: the last segments, the file flushed, and a line that says
    /// how many segments there were, how many the trace left out, and how many were missed.
    pub fn wire_summary(&self) {
        let Some(tap) = self.tap.get() else { return };
        {
            let mut inner = self.lock();
            self.drain_packets(&mut inner, true);
            self.deliver_ready(&mut inner);
        }
        self.emit(Event::words(Kind::Note, "wire", tap.summary()));
    }

    /// Sets what is called before each ticket (once): see [`Tracer::ticket`].
    pub fn settle_with(&self, f: Box<dyn Fn() + Send + Sync>) {
        let _ = self.settle.set(f);
    }

    /// Sets how a traced process is named by its pid (once): `lab trace` names each lifeline
    /// after its process. Without it (lab's own sockets) no connection is handed to another
    /// process's lifeline.
    pub fn name_processes_with(&self, f: Namer) {
        let _ = self.namer.set(f);
    }

    /// Process `pid`'s lifeline, if processes are named (see [`Tracer::name_processes_with`]).
    pub(crate) fn process_actor(&self, pid: u32) -> Option<Actor> {
        self.namer.get().map(|name| name(pid))
    }

    /// A place in the order of events, without looking at the wire (the caller drained it).
    fn bare_ticket(&self) -> Ticket {
        Ticket {
            n: self.tickets.fetch_add(1, Ordering::AcqRel),
            t_us: self.clock.now_us(),
        }
    }

    /// An id for a new traced socket.
    pub fn socket_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Numbers, times and delivers one event (notes, checks: they take effect when emitted).
    pub fn emit(&self, ev: Event) {
        let ticket = self.ticket();
        self.emit_at(ticket, vec![ev], None);
    }

    /// Delivers the events of one ticket, in order, once every earlier ticket's are out.
    /// `sock`: the socket a call event was made on; the observer follows it from its state.
    pub(crate) fn emit_at(&self, ticket: Ticket, evs: Vec<Event>, sock: Option<SocketInfo>) {
        {
            let mut inner = self.lock();
            let w = Waiting {
                t_us: ticket.t_us,
                evs,
                sock,
            };
            if ticket.n == inner.next {
                // Its turn already (every call of a one-threaded program): out at once.
                inner.next += 1;
                self.deliver(&mut inner, w);
            } else {
                inner.waiting.insert(ticket.n, w);
            }
            self.deliver_ready(&mut inner);
        }
        if !self.live.load(Ordering::Acquire) {
            self.observe();
        }
    }

    /// Gives up a ticket whose event will never come (a call whose record was dropped).
    pub(crate) fn cancel(&self, ticket: Ticket) {
        let mut inner = self.lock();
        inner.waiting.insert(
            ticket.n,
            Waiting {
                t_us: ticket.t_us,
                evs: Vec::new(),
                sock: None,
            },
        );
        self.deliver_ready(&mut inner);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn deliver_ready(&self, inner: &mut Inner) {
        while let Some(w) = inner.waiting.remove(&inner.next) {
            inner.next += 1;
            self.deliver(inner, w);
        }
    }

    /// Delivers the events of the ticket whose turn it is, numbered and timed.
    fn deliver(&self, inner: &mut Inner, w: Waiting) {
        let t_us = w.t_us;
        for mut ev in self.in_turn(inner, w) {
            name_sender(&mut ev, inner);
            // After every segment before it: what ended a connection, from what was seen.
            inner.wire_facts.see(&ev);
            let missed = || self.tap.get().is_some_and(Tap::missed_any);
            ending::explain(&mut ev, &inner.wire_facts, self.shows_wire(), missed);
            inner.seq += 1;
            (ev.seq, ev.t_us) = (inner.seq, t_us);
            self.sink.take(ev);
        }
    }

    /// A ticket's events, once it is their turn: the socket of a call is followed from
    /// everything the call's event saw; then the event keeps what the call did, and the peer's
    /// moves meanwhile are the kernel's (see `attribution`).
    fn in_turn(&self, inner: &mut Inner, w: Waiting) -> Vec<Event> {
        let Waiting { mut evs, sock, .. } = w;
        let Some(s) = sock else { return evs };
        if let Some(mut call) = evs.pop() {
            let catch_up = self.watch_call(inner, &s, &mut call);
            evs.extend(catch_up);
            attribution::split(call, &mut evs);
        }
        evs
    }

    /// The end of a run: a last look at the table, so that what the kernel did after the last
    /// call is in the trace, then whatever the sink buffered pushed out (returns once it is).
    /// Without an observer thread the table is read only after an event, so a move the peer
    /// makes after the last one — its FIN, when its program closes late — would be left out.
    /// A move the kernel is about to make ([`crate::transitions::moves_soon`]) is waited for,
    /// at most the settle timeout: a bounded wait for a condition, never a fixed sleep.
    pub fn flush(&self) {
        self.last_look();
        self.sink.flush();
    }

    /// The end of a run that may capture the wire: the last look at the table first (it
    /// drains the capture too), then the wire's summary, which counts every segment printed
    /// before it, then the sink pushed out — the order [`Tracer::flush`] alone would break.
    pub fn finish(&self) {
        self.last_look();
        self.wire_summary();
        self.sink.flush();
    }

    /// A last look at the table: waits, at most the settle timeout, for the move the kernel
    /// is about to make (see [`Tracer::flush`]).
    fn last_look(&self) {
        if self.table.is_some() {
            check::wait_until(self.settle_timeout(), || {
                self.observe();
                !self.moves_soon()
            });
        }
    }

    /// Whether a followed connection is about to be moved by the kernel: in a transient state,
    /// or waiting in FIN-WAIT-2 for a FIN the peer's end on this machine has already sent.
    fn moves_soon(&self) -> bool {
        let Some(table) = &self.table else {
            return false;
        };
        let idle = self.lock().watches.idle();
        idle.iter().any(|(_, w)| {
            let Some(ours) = w.state else {
                return false;
            };
            let theirs = || {
                let peer = w.peer?;
                table.lookup(peer, w.local).ok().flatten()?.state
            };
            // Only a FIN-WAIT-2 asks after the peer's end (one lookup, not one per socket).
            let theirs = (ours == TcpState::FinWait2).then(theirs).flatten();
            crate::transitions::moves_soon(ours, theirs)
        })
    }

    /// Every segment of the run's connections will come through the funnel as an event (lab's
    /// link, or a capture, that shows them): what ended a connection may be told from them.
    pub fn tell_wire(&self) {
        self.wire_shown.store(true, Ordering::Release);
    }

    /// Whether [`Tracer::tell_wire`] was said.
    pub fn shows_wire(&self) -> bool {
        self.wire_shown.load(Ordering::Acquire)
    }

    /// The program is about to wait (a traced `poll()`): the trace so far must reach its file.
    pub fn idle(&self) {
        self.sink.idle();
    }

    /// Adds a note for the student, attached to no call.
    pub fn note(&self, actor: &str, text: &str) {
        self.emit(Event::words(Kind::Note, actor, text.to_string()));
    }

    /// Reads the table once for every followed socket and reports what the kernel changed.
    /// The table is read without holding the trace's lock: a call that finishes meanwhile
    /// tells a newer state, and the older reading of its socket is dropped.
    pub fn observe(&self) {
        self.read_table(None);
    }

    /// [`Tracer::observe`], passing over the sockets looked at since `since` (see
    /// `Watches::idle_unlooked_since`). Returns, if it read any, how many of how many followed,
    /// and how long reading them took (the table alone, not waiting for the trace's lock).
    fn read_table(&self, since: Option<Instant>) -> Option<(usize, usize, Duration)> {
        let table = self.table.as_ref()?;
        let started = Instant::now();
        let (idle, followed) = {
            let mut inner = self.lock();
            (
                inner.watches.idle_unlooked_since(since),
                inner.watches.len(),
            )
        };
        if idle.is_empty() {
            return None;
        }
        let reading_began = Instant::now();
        let changes = observer::read(table, &idle);
        let reading = Some((idle.len(), followed, reading_began.elapsed()));
        // The ticket is taken under the lock and its events inserted before it is released: a
        // ticket taken and not yet filled holds back every later event, and this thread may be
        // the last one running when the program exits — its hole would swallow the final calls.
        let mut inner = self.lock();
        inner.watches.looked_at(&idle, started);
        if changes.is_empty() {
            return reading;
        }
        self.drain_into(&mut inner);
        let ticket = self.bare_ticket();
        let evs: Vec<Event> = inner
            .watches
            .apply(changes)
            .into_iter()
            .map(|(c, w)| kernel_event(&c, &w))
            .collect();
        inner.waiting.insert(
            ticket.n,
            Waiting {
                t_us: ticket.t_us,
                evs,
                sock: None,
            },
        );
        self.deliver_ready(&mut inner);
        reading
    }

    /// Follows the socket of a call event from the state it shows, after the move the kernel
    /// made unseen before the call, if it did (see [`Tracer::unseen_move`]).
    fn watch_call(&self, inner: &mut Inner, s: &SocketInfo, ev: &mut Event) -> Vec<Event> {
        s.busy.store(false, Ordering::Release);
        if quiet(inner, s, ev) {
            return Vec::new();
        }
        self.follow_call(inner, s, ev)
    }

    /// [`Tracer::watch_call`] for a call that may have changed what the trace knew.
    fn follow_call(&self, inner: &mut Inner, s: &SocketInfo, ev: &mut Event) -> Vec<Event> {
        take_over(inner, s, ev);
        let out: Vec<Event> = self.unseen_move(inner, s, ev).into_iter().collect();
        if ev.fd_gone && ev.kernel.is_none() {
            // Closed, and nothing left in the table: nothing more will happen to it.
            inner.watches.remove(s.id);
            return out;
        }
        let Some(local) = ev.local.filter(|l| l.port() != 0) else {
            return out;
        };
        // A listener is followed also once shut down (CLOSE: a bound, idle socket, which the
        // observer leaves alone), so that what the trace said of it stays known.
        let listening = ev.state == Some(TcpState::Listen) || ev.before == Some(TcpState::Listen);
        // The table knows a listener by its address alone ([`table::key`]).
        let peer = table::table_peer(listening.then_some(TcpState::Listen), ev.peer);
        if peer.is_none() && !listening || ev.state.is_none() && !ev.fd_gone {
            return out;
        }
        // What the table holds now, as far as the event tells: the row it checked, else the
        // fd's own state.
        let state = if ev.fd_gone || matches!(ev.verdict, Verdict::Agrees | Verdict::Differs) {
            ev.kernel
        } else {
            ev.state
        };
        let now = Instant::now();
        if !ev.fd_gone && refresh(inner, s, (local, peer, state), now) {
            return out;
        }
        // Since when it has been in that state: what the trace said before, or now.
        let since = inner.watches.get(s.id).filter(|w| w.state == state);
        let w = Watch {
            since: since.map_or(now, |w| w.since),
            looked: now,
            actor: s.actor.clone(),
            local,
            peer,
            inode: s.inode,
            state,
            fd_open: !ev.fd_gone,
            busy: s.busy.clone(),
            handed: false,
        };
        match ev.heir.clone().filter(|_| ev.fd_gone) {
            // Another fd holds it still: followed on its holder's lifeline.
            Some(heir) => inner.watches.hand_over(s.id, w, heir),
            None => inner.watches.put(s.id, w),
        }
        out
    }

    /// If the fd's state before the call is not what the trace last said, the kernel moved it
    /// in between, unseen: that move, as a kernel event seen at this call — unless the trace
    /// already told where the call ended (a call that blocked read its state before long ago,
    /// and another thread's call, or the kernel, moved the socket meanwhile, on a line of its
    /// own): then the call started, as far as the trace is concerned, from what it last said.
    fn unseen_move(&self, inner: &Inner, s: &SocketInfo, ev: &mut Event) -> Option<Event> {
        let w = inner.watches.get(s.id)?;
        if ev.before.is_none() || check::fd_agrees_with_row(ev.before, w.state) {
            return None;
        }
        let told = w.state.is_some() && check::fd_agrees_with_row(ev.state, w.state);
        if !ev.fd_gone && told {
            ev.before = ev.state;
            return None;
        }
        // A fd in CLOSE has left its connection, which may live on in TIME-WAIT or be gone:
        // only the table tells which.
        let new = match (ev.before, &self.table) {
            (Some(TcpState::Close), Some(table)) => observer::read(table, &[(s.id, w.clone())])
                .first()
                .map_or(w.state, |c| c.new),
            _ => ev.before,
        };
        let change = Change {
            id: s.id,
            old: w.state,
            new,
        };
        let mut moved = (new != w.state).then(|| kernel_event(&change, w))?;
        // The call found the connection ended: its errno says what ended it.
        ending::said_by(&mut moved, ev.errno);
        Some(moved)
    }

    pub(super) fn step(&self, actor: &str, call: &Event) {
        if let Some(s) = &self.stepper {
            s(actor, call);
        }
    }

    /// Fills an event's kernel fields from a check.
    pub(super) fn apply_check(&self, ev: &mut Event, c: &check::Check) {
        ev.verdict = c.verdict;
        ev.reason = c.reason.clone();
        if c.verdict == Verdict::Unavailable && ev.reason.is_none() {
            ev.reason = self.table_error.clone();
        }
        if let Some(row) = &c.row {
            ev.take_row(row);
        }
    }
}

/// A call on a socket followed already, its fd still open (a busy server's every call): its
/// watch updated in place, with since when it has been in its state — what the trace said
/// before, or `now`. False if it is not followed yet, or not on this socket's lifeline.
fn refresh(
    inner: &mut Inner,
    s: &SocketInfo,
    (local, peer, state): (SocketAddr, Option<SocketAddr>, Option<TcpState>),
    now: Instant,
) -> bool {
    let Some(w) = inner.watches.get_mut(s.id) else {
        return false;
    };
    // Followed on another lifeline (handed over, or taken over): made anew, as it was first.
    if !own_watch(w, s) {
        return false;
    }
    if w.state != state {
        w.since = now;
    }
    (w.local, w.peer, w.inode, w.state) = (local, peer, s.inode, state);
    (w.looked, w.fd_open) = (now, true);
    true
}

/// Whether watch `w` follows socket `s` on its own lifeline: named after it, and left alone
/// while its calls are under way (not another process's, nor handed over).
fn own_watch(w: &Watch, s: &SocketInfo) -> bool {
    Arc::ptr_eq(&w.actor, &s.actor) && Arc::ptr_eq(&w.busy, &s.busy)
}

/// A call that changed nothing the trace knew of its socket — most `send()`s and `recv()`s:
/// its own watch already follows it, from the same ends, in the state the call found and left
/// — is only the watch's newest look. This is what [`Tracer::watch_call`] would do with it,
/// with one lookup in the table of watches instead of three (each a cache miss on a busy
/// server, whose watches are touched once a round each).
fn quiet(inner: &mut Inner, s: &SocketInfo, ev: &Event) -> bool {
    let found = ev
        .before
        .filter(|b| *b != TcpState::Listen && ev.state == Some(*b));
    let local = ev.local.filter(|l| l.port() != 0 && ev.peer.is_some());
    let (Some(found), Some(local), false) = (found, local, ev.fd_gone) else {
        return false;
    };
    if matches!(ev.verdict, Verdict::Agrees | Verdict::Differs) && ev.kernel != ev.state {
        return false;
    }
    let Some(w) = inner.watches.get_mut(s.id) else {
        return false;
    };
    let same = own_watch(w, s)
        && w.state == Some(found)
        && (w.local, w.peer, w.inode, w.fd_open) == (local, ev.peer, s.inode, true);
    if same {
        w.looked = Instant::now();
    }
    same
}

/// A connection that was there before this call, on a socket this process has not used yet:
/// another process may have followed it so far (see `Watches::take_over`) — or, when this call
/// closes the last fd of it, had it handed over to this one at its own close.
fn take_over(inner: &mut Inner, s: &SocketInfo, ev: &Event) {
    let (Some(local), Some(peer)) = (ev.local, ev.peer) else {
        return;
    };
    let connected = ev.before.is_some_and(|b| b != TcpState::Close);
    let last_close = ev.fd_gone && ev.heir.is_none();
    if connected && !ev.fd_gone || last_close {
        let sock = (&s.actor, &s.busy);
        inner
            .watches
            .take_over(s.id, sock, (local, peer), last_close);
    }
}

/// The event for a change the kernel made on its own.
fn kernel_event(c: &Change, w: &Watch) -> Event {
    let actor = w.actor.lock().unwrap_or_else(|p| p.into_inner()).clone();
    attribution::kernel_move(
        &actor,
        (w.local, w.peer),
        c.old,
        c.new,
        w.fd_open,
        w.since.elapsed(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::observer::Watches;
    use crate::trace::sink::Discard;
    use crate::trace::syscall::Syscall;

    /// The funnel's state, following socket 1 as `w` says (if at all).
    fn following(w: Option<&Watch>) -> Inner {
        let mut watches = Watches::default();
        if let Some(w) = w {
            watches.put(1, w.clone());
        }
        Inner {
            watches,
            ..Inner::default()
        }
    }

    /// What a watch says, but the time of its last look.
    fn said(w: Option<&Watch>) -> Option<impl PartialEq + std::fmt::Debug> {
        w.map(|w| {
            let handles = (Arc::as_ptr(&w.actor), Arc::as_ptr(&w.busy));
            (
                handles, w.local, w.peer, w.inode, w.state, w.fd_open, w.since, w.handed,
            )
        })
    }

    /// A `send()`'s event in every shape the funnel may get it: each state before, after and in
    /// the table, each verdict, its fd open or gone, its ends known or not.
    fn every_send(local: SocketAddr, peer: SocketAddr) -> Vec<Event> {
        use TcpState::{CloseWait, Established, Listen};
        let states = [None, Some(Established), Some(CloseWait), Some(Listen)];
        let verdicts = [Verdict::NotApplicable, Verdict::Agrees, Verdict::Differs];
        let ends = [
            (Some(local), Some(peer)),
            (Some(local), None),
            (None, Some(peer)),
        ];
        let mut all = Vec::new();
        for (before, after, kernel) in states
            .iter()
            .flat_map(|b| states.iter().flat_map(move |a| states.map(|k| (*b, *a, k))))
        {
            for (verdict, gone, (l, p)) in verdicts.iter().flat_map(|v| {
                [false, true]
                    .iter()
                    .flat_map(move |g| ends.map(|e| (*v, *g, e)))
            }) {
                let mut ev = Event::call("srv", Syscall::Send, Some(5), Vec::new());
                (ev.before, ev.state, ev.kernel, ev.verdict) = (before, after, kernel, verdict);
                (ev.fd_gone, ev.local, ev.peer) = (gone, l, p);
                all.push(ev);
            }
        }
        all
    }

    /// Socket `s`'s connection `local ⇄ peer` followed by its own watch since `t0` (in
    /// ESTABLISHED, in CLOSE-WAIT, its fd closed), by another process's, or not at all.
    fn watched_as(
        s: &SocketInfo,
        (local, peer): (SocketAddr, SocketAddr),
        t0: Instant,
    ) -> [Option<Watch>; 5] {
        let own = Watch {
            actor: s.actor.clone(),
            local,
            peer: Some(peer),
            inode: s.inode,
            state: Some(TcpState::Established),
            fd_open: true,
            busy: s.busy.clone(),
            since: t0,
            looked: t0,
            handed: false,
        };
        let child = Arc::new(Mutex::new("child".into()));
        [
            Some(own.clone()),
            Some(Watch {
                state: Some(TcpState::CloseWait),
                ..own.clone()
            }),
            Some(Watch {
                actor: child,
                ..own.clone()
            }),
            Some(Watch {
                fd_open: false,
                ..own
            }),
            None,
        ]
    }

    /// Every call the quiet path takes, the full path would have followed to the same watch,
    /// with no event of the kernel's and the call's own event unchanged; only its look is new.
    #[test]
    fn a_quiet_call_leaves_its_watch_as_following_it_in_full_would() {
        let tracer = Tracer::new(Arc::new(Discard));
        let (local, peer) = (
            "127.0.0.1:7000".parse().unwrap(),
            "127.0.0.1:40000".parse().unwrap(),
        );
        let s = SocketInfo {
            id: 1,
            busy: Arc::new(AtomicBool::new(false)),
            inode: Some(77),
            actor: Arc::new(Mutex::new("srv".into())),
        };
        let t0 = Instant::now();
        let watches = watched_as(&s, (local, peer), t0);
        let mut quiet_calls = 0;
        for (w, ev) in watches
            .iter()
            .flat_map(|w| every_send(local, peer).into_iter().map(move |e| (w, e)))
        {
            let (mut quick, mut full) = (following(w.as_ref()), following(w.as_ref()));
            if !quiet(&mut quick, &s, &ev) {
                continue;
            }
            quiet_calls += 1;
            let mut followed = ev.clone();
            let told = tracer.follow_call(&mut full, &s, &mut followed);
            assert!(told.is_empty() && followed == ev, "{ev:?}");
            let (q, f) = (quick.watches.get(1), full.watches.get(1));
            assert_eq!(said(q), said(f), "{ev:?}");
            assert!(q.is_some_and(|q| q.looked > t0), "{ev:?}");
        }
        // Quiet: a send() on its own watch's connection in the state the watch says (ESTABLISHED,
        // CLOSE-WAIT), open, its ends known — its verdict still to come (4 table states each),
        // or given from a row in that state (2). Nothing else.
        assert_eq!(quiet_calls, 2 * (4 + 2));
    }
}
