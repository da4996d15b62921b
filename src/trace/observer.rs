//! The kernel observer: what the kernel does to a traced socket *between* two calls.
//!
//! A TCP connection changes state without its program doing anything: the peer's FIN moves it
//! from ESTAB to CLOSE-WAIT, the SYN-ACK ends SYN-SENT, the ACK of our FIN ends FIN-WAIT-1, a
//! timer ends TIME-WAIT. The trace sees a socket only when the program calls it, so these moves
//! would show late — at the next call — or never, once the fd is closed. The observer follows
//! every socket the trace knows (open fds, and connections whose fd is gone) in the kernel's
//! table, and reports each change as a kernel event when it sees it.
//!
//! Two ways to read the table for N followed sockets: N exact lookups (about 1.5 µs each), or one
//! dump of every row of the table (about 1.2 µs a row, whatever N). Lookups win for a few
//! sockets, the dump for thousands when they are most of the table: [`read`] weighs one against
//! the other.
//!
//! A change made *by a call* is the call's to report (its event shows `ESTAB → FIN-WAIT-1`): a
//! socket is not looked at while a traced call on it is in progress (`busy`).

use super::event::Actor;
use crate::kernel::table::{self, Filter, KernelTable, SocketRow};
use crate::tcp_state::TcpState;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Up to this many followed sockets the observer always asks the table for each by its 4-tuple;
/// above, it reads the whole table at once when that is cheaper: a lookup costs about 1.5 µs, a
/// dump about 1.2 µs per row of the *whole* table, which holds both ends of every loopback
/// connection — so a dump wins only when the followed sockets are most of the table (see
/// `cargo bench --bench observer`).
pub const LOOKUP_MAX: usize = 64;

/// How many rows the last dump had (0: none yet), to weigh a dump against lookups.
static TABLE_ROWS: AtomicUsize = AtomicUsize::new(0);

/// How often the observer looks, at most: fast enough that a delayed ACK (40 ms) is seen as its
/// own step.
pub const INTERVAL: Duration = Duration::from_millis(5);

/// At most this many sockets are followed; past it the oldest closed connection gives way.
pub const MAX_WATCHED: usize = 20_000;

/// The pause before the next reading: `interval`, or longer when a reading took long — nine
/// times its cost, so that the observer never takes more than about a tenth of a core.
pub fn pace(interval: Duration, reading_took: Duration) -> Duration {
    interval.max(reading_took * 9)
}

/// How long a socket's last look stays fresh enough for a reading to pass it over: the period
/// a reading of all `followed` sockets would be paced at ([`pace`]), from what each of the
/// `read` looks of the last reading cost (`took`). Every socket is then looked at — by a call,
/// which reads its state at its start, or by a reading — at least as often as if every reading
/// read them all, and the observer still takes at most about a tenth of a core; when a busy
/// server's calls look at its connections anyway, the observer's readings have little left.
/// At most [`FRESH_MAX`]: a slow reading of a few sockets (the machine busy) must not leave the
/// rest unread for long.
pub fn fresh_for(interval: Duration, took: Duration, read: usize, followed: usize) -> Duration {
    let each = took / u32::try_from(read.max(1)).unwrap_or(u32::MAX);
    let all = each.saturating_mul(u32::try_from(followed).unwrap_or(u32::MAX));
    pace(interval, all).min(FRESH_MAX.max(interval))
}

/// The longest a look stays fresh ([`fresh_for`]): a move the kernel makes right after a call is
/// seen at most about this long after, however many sockets are followed.
pub const FRESH_MAX: Duration = Duration::from_millis(500);

/// A socket as the table knows it: its 4-tuple, and for a listener (peer `*:*`) its inode too,
/// because several may share a port (SO_REUSEPORT). A connection keeps its key when it moves to
/// TIME-WAIT, where its inode becomes 0.
pub type Key = (SocketAddr, SocketAddr, u64);

/// A row's [`Key`].
pub fn key(r: &SocketRow) -> Key {
    let inode = if r.peer.port() == 0 { r.inode } else { 0 };
    (r.local, r.peer, inode)
}

/// One reading of every socket `filter` keeps, by key: the observer's whole-table scope, which
/// is `lab watch` (the trace's own scope is its followed sockets: [`read`]).
pub fn read_table(
    table: &KernelTable,
    filter: &Filter,
) -> std::io::Result<HashMap<Key, Option<TcpState>>> {
    Ok(table
        .rows(filter)?
        .iter()
        .map(|r| (key(r), r.state))
        .collect())
}

/// What differs between two readings of the same scope, as (key, old, new) with `None` for
/// "not in that reading": a socket that appeared, moved, or vanished.
pub type Diff = (Key, Option<TcpState>, Option<TcpState>);

/// The changes from `before` to `after`.
pub fn diff(
    before: &HashMap<Key, Option<TcpState>>,
    after: &HashMap<Key, Option<TcpState>>,
) -> Vec<Diff> {
    let moved = after
        .iter()
        .filter(|(k, s)| before.get(*k) != Some(*s))
        .map(|(k, s)| (*k, before.get(k).copied().flatten(), *s));
    let gone = before
        .iter()
        .filter(|(k, _)| !after.contains_key(*k))
        .map(|(k, s)| (*k, *s, None));
    moved.chain(gone).collect()
}

/// One socket the trace knows, as the table knows it.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Who the trace says owns the socket, as it is named now.
    pub actor: Arc<Mutex<Actor>>,
    pub local: SocketAddr,
    /// `None` for a listener: its row has the wildcard peer, and the inode tells it apart from
    /// another listener on the same port (SO_REUSEPORT).
    pub peer: Option<SocketAddr>,
    pub inode: Option<u64>,
    /// What the trace last said the table holds for it (`None`: no row).
    pub state: Option<TcpState>,
    /// The program still holds a fd for it.
    pub fd_open: bool,
    /// A traced call on this socket is in progress.
    pub busy: Arc<AtomicBool>,
    /// When it entered `state` (a connection gone long after is told as timed out, not reset).
    pub since: Instant,
    /// When a traced call last looked at its state (every call reads it at its start): a
    /// reading of the observer's may pass over a socket looked at since the one before it.
    pub looked: Instant,
    /// Handed over at another process's close to a holder that has not used it since (see
    /// [`Watches::hand_over`]).
    pub handed: bool,
}

/// A change the observer saw.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: u64,
    pub old: Option<TcpState>,
    pub new: Option<TcpState>,
}

/// Every followed socket, by the id of its [`super::TracedSocket`].
#[derive(Default)]
pub struct Watches {
    map: FxHashMap<u64, Watch>,
    /// Ids in the order they were first watched, for evicting the oldest closed one.
    order: Vec<u64>,
    /// The last few connections no longer followed, with their owner: a FIN a closed socket
    /// sends after its fd is gone still has a sender.
    gone: std::collections::VecDeque<(SocketAddr, Option<SocketAddr>, Arc<Mutex<Actor>>)>,
    /// No socket a reading may look at was looked at before this (`None`: not known yet).
    /// A reading whose cut-off is no later has nothing to read, and skips the pass over every
    /// watch — which runs under the trace's lock, while a busy server's calls wait for it.
    floor: Option<Instant>,
}

/// How many connections no longer followed keep their owner's name.
const GONE_KEPT: usize = 64;

impl Watches {
    pub fn get(&self, id: u64) -> Option<&Watch> {
        self.map.get(&id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Watch> {
        self.map.get_mut(&id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Stops following socket `id`.
    pub fn remove(&mut self, id: u64) {
        if let Some(w) = self.map.remove(&id) {
            if self.gone.len() >= GONE_KEPT {
                self.gone.pop_front();
            }
            self.gone.push_back((w.local, w.peer, w.actor));
            self.order.retain(|o| *o != id);
        }
    }

    /// Starts or updates following socket `id`.
    pub fn put(&mut self, id: u64, w: Watch) {
        if !self.map.contains_key(&id) {
            if self.map.len() >= MAX_WATCHED {
                self.evict_oldest_closed();
            }
            self.order.push(id);
        }
        // A watch taken over from another process keeps its old look: the floor comes down to it.
        self.floor = self.floor.map(|f| f.min(w.looked));
        self.map.insert(id, w);
    }

    /// Socket `id` is used by a process that does not follow it yet (a forking server's child,
    /// at its first call on the connection its parent accepted): the connection's watch, if
    /// another process's fd still holds it, becomes this one's, named after it. One watch per
    /// connection, so that each move the kernel makes is told once, on the lifeline of the
    /// process that used the connection last. `handed_only`: only a watch handed over to this
    /// process at another's close (this call is its close of the last fd: no other is left).
    pub fn take_over(
        &mut self,
        id: u64,
        (actor, busy): (&Arc<Mutex<Actor>>, &Arc<AtomicBool>),
        (local, peer): (SocketAddr, SocketAddr),
        handed_only: bool,
    ) {
        if self.map.contains_key(&id) {
            return;
        }
        let other = self.following((local, Some(peer), None), id, handed_only);
        let Some(mut w) = other.and_then(|o| self.forget(o)) else {
            return;
        };
        (w.actor, w.busy, w.handed) = (actor.clone(), busy.clone(), false);
        self.put(id, w);
    }

    /// Socket `id`'s fd was closed, and another fd still holds its connection (`heir`'s: see
    /// `Event::heir`): the connection is followed on the holder's lifeline, its fd open —
    /// by the holder's own watch if it has one already, else by this one, handed over.
    pub fn hand_over(&mut self, id: u64, mut w: Watch, heir: Actor) {
        if self
            .following((w.local, w.peer, w.inode), id, false)
            .is_some()
        {
            self.forget(id);
            return;
        }
        let named = w.actor.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if named != heir {
            w.actor = Arc::new(Mutex::new(heir));
        }
        (w.fd_open, w.handed) = (true, true);
        self.put(id, w);
    }

    /// The socket other than `id` whose watch follows the same socket — the connection `local
    /// ⇄ peer`, or the listener on `local` with that inode (`peer` `None`) — through a fd still
    /// open (`handed_only`: handed over, [`Watches::hand_over`]). (Looked for only at a
    /// process's first call on a connection, and after a close that left a socket held: never
    /// on a busy server's every call.)
    fn following(
        &self,
        (local, peer, inode): (SocketAddr, Option<SocketAddr>, Option<u64>),
        id: u64,
        handed_only: bool,
    ) -> Option<u64> {
        let same =
            |w: &Watch| w.local == local && w.peer == peer && (peer.is_some() || w.inode == inode);
        self.map
            .iter()
            .find(|(o, w)| **o != id && w.fd_open && (w.handed || !handed_only) && same(w))
            .map(|(o, _)| *o)
    }

    /// Stops following socket `id` without keeping its owner's name: another watch follows
    /// its connection. Returns its watch.
    fn forget(&mut self, id: u64) -> Option<Watch> {
        self.order.retain(|o| *o != id);
        self.map.remove(&id)
    }

    fn evict_oldest_closed(&mut self) {
        if let Some(pos) = self
            .order
            .iter()
            .position(|id| self.map.get(id).is_some_and(|w| !w.fd_open))
        {
            let id = self.order.remove(pos);
            self.map.remove(&id);
        }
    }

    /// Who owns the socket at `local` talking to `remote` (a listener's, for a segment its
    /// connection sends before it is accepted): the name a segment's sender goes by.
    pub fn owner(&self, local: SocketAddr, remote: SocketAddr) -> Option<Actor> {
        let name = |a: &Arc<Mutex<Actor>>| a.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let exact = self
            .map
            .values()
            .find(|w| w.local == local && w.peer == Some(remote))
            .map(|w| &w.actor);
        let gone = || {
            self.gone
                .iter()
                .rev()
                .find(|(l, p, _)| *l == local && *p == Some(remote))
                .map(|g| &g.2)
        };
        let listener = || {
            self.map
                .values()
                .find(|w| w.local.port() == local.port() && w.peer.is_none())
                .map(|w| &w.actor)
        };
        exact.or_else(gone).or_else(listener).map(name)
    }

    /// What to look up: every socket not in a call right now. A former listener (shut down
    /// for reading: bound and idle) is left out: a lookup by address finds only listeners and
    /// connections, so it would seem gone while it still holds its port.
    pub fn idle(&mut self) -> Vec<(u64, Watch)> {
        self.idle_unlooked_since(None)
    }

    /// The idle ones nothing has looked at since `since` (all, for `None`): neither a traced
    /// call, which reads its socket's state at its start, nor a reading (see [`fresh_for`]).
    /// A move the kernel makes right after a look is seen by the socket's next call or by the
    /// first reading after the look is no longer fresh.
    pub fn idle_unlooked_since(&mut self, since: Option<Instant>) -> Vec<(u64, Watch)> {
        if since
            .zip(self.floor)
            .is_some_and(|(cut, floor)| floor >= cut)
        {
            // Every one was looked at since the cut-off (a busy server's calls look at each).
            return Vec::new();
        }
        let lookable = |w: &Watch| w.peer.is_some() || w.state == Some(TcpState::Listen);
        let unlooked = |w: &Watch| since.is_none_or(|s| w.looked < s);
        // Calls only ever look later, and a socket made lookable is looked at as it is; so the
        // earliest look seen now stays a floor until a watch is put with an older one.
        let mut floor = Instant::now();
        // The tests that read only the watch itself come first, so that a socket a call looked
        // at lately costs no visit to its `busy` flag, which lives elsewhere in memory and is
        // written by the program's own thread.
        let idle = self
            .map
            .iter()
            .filter(|(_, w)| lookable(w))
            .inspect(|(_, w)| floor = floor.min(w.looked))
            .filter(|(_, w)| unlooked(w) && !w.busy.load(Ordering::Acquire))
            .map(|(id, w)| (*id, w.clone()))
            .collect();
        self.floor = Some(floor);
        idle
    }

    /// Notes that a reading started at `at` looked at these sockets.
    pub fn looked_at(&mut self, read: &[(u64, Watch)], at: Instant) {
        for (id, _) in read {
            if let Some(w) = self.map.get_mut(id) {
                w.looked = w.looked.max(at);
            }
        }
    }

    /// Records the changes seen, if the trace has not moved on meanwhile (a call made since
    /// the reading told a newer state: that one stands). Forgets connections gone for good.
    /// Returns the changes that stand, with each socket's watch.
    pub fn apply(&mut self, changes: Vec<Change>) -> Vec<(Change, Watch)> {
        let mut out = Vec::new();
        for c in changes {
            let Some(w) = self.map.get_mut(&c.id) else {
                continue;
            };
            if w.state != c.old || w.busy.load(Ordering::Acquire) {
                continue;
            }
            let entered = std::mem::replace(&mut w.since, Instant::now());
            w.state = c.new;
            // The event says how long it was in the state it left.
            out.push((
                c,
                Watch {
                    since: entered,
                    ..w.clone()
                },
            ));
        }
        let gone: Vec<u64> = self
            .map
            .iter()
            .filter(|(_, w)| !w.fd_open && w.state.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.map.remove(&id);
            self.order.retain(|o| *o != id);
        }
        out
    }
}

/// Reads the table for `watched` and returns what differs from what the trace last said:
/// by lookups up to [`LOOKUP_MAX`] sockets, by one dump above.
pub fn read(table: &KernelTable, watched: &[(u64, Watch)]) -> Vec<Change> {
    let rows = TABLE_ROWS.load(Ordering::Relaxed);
    let dump = watched.len() > LOOKUP_MAX && watched.len() * 4 > rows * 3;
    let now = if dump {
        by_dump(table, watched)
    } else {
        by_lookups(table, watched)
    };
    watched
        .iter()
        .zip(now)
        .filter(|((_, w), now)| *now != w.state)
        .map(|((id, w), now)| Change {
            id: *id,
            old: w.state,
            new: now,
        })
        .collect()
}

/// Each socket's state now, one exact lookup each (asked for many at a time; one at a time
/// if that fails, so that a failed batch never reads as every socket gone).
pub fn by_lookups(table: &KernelTable, watched: &[(u64, Watch)]) -> Vec<Option<TcpState>> {
    let tuples: Vec<_> = watched
        .iter()
        .map(|(_, w)| table::tuple(w.local, w.peer))
        .collect();
    match table.lookup_many(&tuples) {
        Ok(rows) => rows
            .iter()
            .zip(watched)
            .map(
                |(r, (_, w))| match pick(r.as_ref().map(std::slice::from_ref), w) {
                    // Another listener on its address answered (SO_REUSEPORT): looked for by inode.
                    None if r.is_some() => lookup(table, w),
                    now => now,
                },
            )
            .collect(),
        Err(_) => watched.iter().map(|(_, w)| lookup(table, w)).collect(),
    }
}

/// Each socket's state now, from one dump of the whole table.
pub fn by_dump(table: &KernelTable, watched: &[(u64, Watch)]) -> Vec<Option<TcpState>> {
    // Unread, the table says nothing new of any socket (see `read_or_last`).
    let Ok(rows) = table.rows(&Filter::default()) else {
        return watched.iter().map(|(_, w)| w.state).collect();
    };
    TABLE_ROWS.store(rows.len(), Ordering::Relaxed);
    let mut by_tuple: HashMap<(SocketAddr, SocketAddr), Vec<SocketRow>> =
        HashMap::with_capacity(rows.len());
    for r in rows {
        by_tuple.entry((r.local, r.peer)).or_default().push(r);
    }
    watched
        .iter()
        .map(|(_, w)| {
            pick(
                by_tuple
                    .get(&table::tuple(w.local, w.peer))
                    .map(Vec::as_slice),
                w,
            )
        })
        .collect()
}

/// One socket's state in the table, by its exact 4-tuple.
fn lookup(table: &KernelTable, w: &Watch) -> Option<TcpState> {
    let (local, peer) = table::tuple(w.local, w.peer);
    let row = match (w.peer, w.inode) {
        (None, Some(inode)) => table.listener(local, inode),
        _ => table.lookup(local, peer),
    };
    read_or_last(row, w)
}

/// The state a lookup's answer gives the socket — or, if the table could not be read, what the
/// trace last said: an error reading the table is no news of the socket, and read as "no row"
/// it would print a connection the kernel still holds as gone.
fn read_or_last(row: io::Result<Option<SocketRow>>, w: &Watch) -> Option<TcpState> {
    match row {
        Ok(row) => pick(row.as_ref().map(std::slice::from_ref), w),
        Err(_) => w.state,
    }
}

/// The row that is this socket's: a listener's must have its inode.
fn pick(rows: Option<&[SocketRow]>, w: &Watch) -> Option<TcpState> {
    let ours = |r: &&SocketRow| w.peer.is_some() || w.inode.is_none_or(|i| r.inode == i);
    rows?.iter().find(ours).and_then(|r| r.state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(port: u16) -> Key {
        (
            SocketAddr::from(([127, 0, 0, 1], port)),
            SocketAddr::from(([127, 0, 0, 1], 9)),
            0,
        )
    }

    #[test]
    fn a_diff_tells_what_appeared_moved_and_vanished() {
        use TcpState::*;
        let before = HashMap::from([
            (k(1), Some(Established)),
            (k(2), Some(FinWait2)),
            (k(3), Some(Listen)),
        ]);
        let after = HashMap::from([
            (k(1), Some(Established)),
            (k(2), Some(TimeWait)),
            (k(4), Some(SynSent)),
        ]);
        let mut d = diff(&before, &after);
        d.sort_by_key(|(key, _, _)| key.0.port());
        assert_eq!(
            d,
            vec![
                (k(2), Some(FinWait2), Some(TimeWait)),
                (k(3), Some(Listen), None),
                (k(4), None, Some(SynSent))
            ]
        );
    }

    #[test]
    fn a_slow_reading_stretches_the_interval() {
        assert_eq!(pace(INTERVAL, Duration::from_micros(10)), INTERVAL);
        assert_eq!(
            pace(INTERVAL, Duration::from_millis(16)),
            Duration::from_millis(144)
        );
    }

    /// 100 of 10,000 sockets read in 200 µs (2 µs a look): all 10,000 would take 20 ms, paced
    /// at 180 ms — a look stays fresh that long. A quick table stays at the interval.
    #[test]
    fn a_look_stays_fresh_as_long_as_a_reading_of_every_socket_would_be_paced() {
        let took = Duration::from_micros(200);
        assert_eq!(
            fresh_for(INTERVAL, took, 100, 10_000),
            Duration::from_millis(180)
        );
        assert_eq!(fresh_for(INTERVAL, took, 100, 100), INTERVAL);
        assert_eq!(fresh_for(INTERVAL, took, 0, 0), INTERVAL);
        // One socket read slowly (a busy machine) does not make every look fresh for minutes.
        let slow = Duration::from_millis(3);
        assert_eq!(fresh_for(INTERVAL, slow, 1, 10_000), FRESH_MAX);
    }

    fn watch(port: u16, looked: Instant) -> Watch {
        Watch {
            actor: Arc::new(Mutex::new("c".into())),
            local: SocketAddr::from(([127, 0, 0, 1], port)),
            peer: Some(SocketAddr::from(([127, 0, 0, 1], 9))),
            inode: None,
            state: Some(TcpState::Established),
            fd_open: true,
            busy: Arc::new(AtomicBool::new(false)),
            since: looked,
            looked,
            handed: false,
        }
    }

    /// A watch whose holder has just closed its fd.
    fn closed_watch(port: u16, t0: Instant) -> Watch {
        Watch {
            fd_open: false,
            ..watch(port, t0)
        }
    }

    fn name(w: &Watch) -> String {
        w.actor.lock().unwrap().to_string()
    }

    /// A forking server's parent closes its copy before the child used the connection: the
    /// watch goes to the child's lifeline, its fd open; at the child's first call it is the
    /// child's socket's own. Either way one watch follows the connection, so each move is
    /// told once.
    #[test]
    fn a_connection_closed_by_one_holder_is_followed_once_on_the_others_lifeline() {
        let t0 = Instant::now();
        let mut ws = Watches::default();
        ws.put(1, watch(1001, t0));
        let closed = closed_watch(1001, t0);
        ws.hand_over(1, closed, "child".into());
        let w = ws.get(1).unwrap();
        assert_eq!((ws.len(), name(w).as_str(), w.fd_open), (1, "child", true));
        // The child's first call on it (its own socket, id 2).
        let own = watch(1001, t0);
        let (local, peer) = (own.local, own.peer.unwrap());
        ws.take_over(2, (&own.actor, &own.busy), (local, peer), false);
        assert!(ws.get(1).is_none());
        assert!(Arc::ptr_eq(&ws.get(2).unwrap().actor, &own.actor));
        assert_eq!(ws.len(), 1);

        // The child used it first: the parent's close leaves only the child's watch.
        let mut ws = Watches::default();
        ws.put(1, watch(1001, t0));
        ws.take_over(2, (&own.actor, &own.busy), (local, peer), false);
        let closed = closed_watch(1001, t0);
        ws.hand_over(1, closed, "child".into());
        assert!(ws.get(1).is_none() && ws.get(2).is_some());
        assert_eq!(ws.len(), 1);

        // The child's first call on it closes its last fd: it takes over the watch handed to
        // it — and only a handed one (another process's own watch is that one's to keep).
        let mut ws = Watches::default();
        ws.put(1, watch(1001, t0));
        let closed = closed_watch(1001, t0);
        ws.hand_over(1, closed, "child".into());
        ws.take_over(2, (&own.actor, &own.busy), (local, peer), true);
        assert!(ws.get(1).is_none() && !ws.get(2).unwrap().handed);
        ws.take_over(3, (&own.actor, &own.busy), (local, peer), true);
        assert!(ws.get(2).is_some() && ws.get(3).is_none());
    }

    /// A listener is one socket by its inode: closed by a child that inherited it, it stays
    /// with the parent's watch alone — and a listener with another inode on the same port
    /// (SO_REUSEPORT) is another socket.
    #[test]
    fn a_listener_closed_by_one_holder_stays_with_the_others_watch_alone() {
        let t0 = Instant::now();
        let listener = |inode| Watch {
            peer: None,
            inode: Some(inode),
            state: Some(TcpState::Listen),
            ..watch(1001, t0)
        };
        let mut ws = Watches::default();
        ws.put(1, listener(7));
        ws.put(2, listener(8));
        ws.hand_over(3, listener(7), "parent".into());
        assert_eq!(ws.len(), 2);
        assert!(ws.get(3).is_none());
        ws.hand_over(4, listener(9), "parent".into());
        assert_eq!(ws.len(), 3);
    }

    #[test]
    fn a_table_that_could_not_be_read_leaves_the_socket_as_the_trace_last_said() {
        let now = Instant::now();
        let w = watch(7000, now);
        let failed = Err(io::Error::from_raw_os_error(libc::ENOBUFS));
        assert_eq!(read_or_last(failed, &w), Some(TcpState::Established));
        // A table read that found no row is news: the connection is gone.
        assert_eq!(read_or_last(Ok(None), &w), None);
    }

    /// A reading passes over a socket looked at since the cut-off — by a call, or by a reading
    /// (`looked_at`) — and reads one looked at before it; without a cut-off, it reads every one.
    #[test]
    fn a_reading_passes_over_sockets_looked_at_since_its_cut_off() {
        let t0 = Instant::now();
        let cut = t0 + Duration::from_millis(10);
        let mut ws = Watches::default();
        ws.put(1, watch(1001, t0));
        ws.put(2, watch(1002, t0 + Duration::from_millis(20)));
        let ids = |v: Vec<(u64, Watch)>| {
            let mut ids: Vec<u64> = v.into_iter().map(|(id, _)| id).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(ws.idle_unlooked_since(Some(cut))), vec![1]);
        assert_eq!(ids(ws.idle_unlooked_since(None)), vec![1, 2]);
        let read = ws.idle_unlooked_since(Some(cut));
        ws.looked_at(&read, cut + Duration::from_millis(1));
        assert!(ws.idle_unlooked_since(Some(cut)).is_empty());
    }

    /// Once every socket was looked at since the cut-off, a reading skips its pass over them
    /// (its floor); a watch put with an older look — handed over from another process — still
    /// brings it down, and is read.
    #[test]
    fn a_reading_skips_its_pass_only_while_no_watch_is_older_than_its_cut_off() {
        let t0 = Instant::now() - Duration::from_millis(100);
        let cut = t0 + Duration::from_millis(10);
        let mut ws = Watches::default();
        ws.put(1, watch(1001, t0 + Duration::from_millis(20)));
        assert!(ws.idle_unlooked_since(Some(cut)).is_empty());
        assert_eq!(ws.floor, Some(t0 + Duration::from_millis(20)));
        ws.put(2, watch(1002, t0));
        let read: Vec<u64> = ws
            .idle_unlooked_since(Some(cut))
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(read, vec![2]);
    }
}
