//! The kernel table's verdicts on a busy server's calls, read after the calls, many at a time.
//!
//! A chat server traced into a file makes an event of every `send()`, hundreds of thousands a
//! run. Asking the table about each one as it returns costs a netlink request and its answer
//! per call (about 3 µs, as much as the `send()` itself), on the server's own thread. Instead,
//! a `send()` or `recv()` on a connection in a state it can only leave (ESTABLISHED, CLOSE-WAIT,
//! FIN-WAIT-2) still reads its state at its start (`getsockopt(TCP_INFO)`, as every traced call
//! does), and its event goes on with the socket's inode in [`Event::check_later`]. The trace
//! file's writer thread, before it writes a batch of events, reads the rows of all their
//! sockets at once — one netlink request per 64 lookups, about half the cost of one each — and
//! gives each call its verdict ([`transitions::verdict_read_later`]): the row carrying the fd's
//! own inode, in the state the call found, proves that state held over the whole call (a
//! connection never comes back to such a state); anything else is `?` with what the table
//! showed — never a ✓ that was not seen.

use super::event::Event;
use crate::kernel::table::{KernelTable, SocketRow};
use crate::transitions;
use crate::verdict::Verdict;
use rustc_hash::FxHashMap;
use std::io;
use std::net::SocketAddr;

/// The writer thread's own view of the table (its own netlink socket: it never waits for the
/// traced program's, nor the observer's), opened when the first event needs it.
#[derive(Default)]
pub struct Later {
    table: Option<io::Result<KernelTable>>,
    /// Each connection's place in the batch's lookups, and the lookups: kept from batch to
    /// batch, emptied (a busy server's batch has hundreds of connections: no map to build and
    /// grow for each).
    index: FxHashMap<(SocketAddr, SocketAddr), usize>,
    tuples: Vec<(SocketAddr, SocketAddr)>,
}

impl Later {
    /// Gives every event of `batch` that waits for its verdict ([`Event::check_later`]) its
    /// verdict and the row's Recv-Q and Send-Q, reading each socket's row once.
    pub fn settle(&mut self, batch: &mut [Event]) {
        let waits = |ev: &&mut Event| ev.check_later.is_some();
        if !batch.iter().any(|ev| ev.check_later.is_some()) {
            return;
        }
        let Later {
            table,
            index,
            tuples,
        } = self;
        for ev in batch.iter_mut().filter(waits) {
            if let (Some(l), Some(p)) = (ev.local, ev.peer) {
                index.entry((l, p)).or_insert_with(|| {
                    tuples.push((l, p));
                    tuples.len() - 1
                });
            }
        }
        let rows = read(table, tuples);
        for ev in batch.iter_mut().filter(waits) {
            let at = ev.local.zip(ev.peer).and_then(|t| index.get(&t).copied());
            match &rows {
                Ok(rows) => give(ev, at.and_then(|a| rows[a].as_ref())),
                Err(why) => unread(ev, why),
            }
        }
        index.clear();
        tuples.clear();
    }
}

/// The rows of `tuples`, in their order, from the writer's own table (opened the first time).
fn read(
    table: &mut Option<io::Result<KernelTable>>,
    tuples: &[(SocketAddr, SocketAddr)],
) -> Result<Vec<Option<SocketRow>>, String> {
    let table = table.get_or_insert_with(KernelTable::open);
    let table = table.as_ref().map_err(|e| e.to_string())?;
    table.lookup_many(tuples).map_err(|e| e.to_string())
}

/// The verdict on one call from its connection's row (`None`: the table had no row for its
/// ends).
fn give(ev: &mut Event, row: Option<&SocketRow>) {
    let Some(inode) = ev.check_later.take() else {
        return;
    };
    let ours = row.filter(|r| r.inode == inode);
    let Some(found) = ev.state else {
        return unread(ev, "");
    };
    // Once the fd is closed, its connection's row carries inode 0 (orphaned, or TIME-WAIT):
    // still there, in a state of its own — said so, not "gone".
    let closed = row.filter(|r| r.inode == 0);
    let (verdict, reason) = match (ours, closed) {
        (None, Some(r)) => transitions::moved_before_read(r.state),
        _ => transitions::verdict_read_later(found, ours.map(|r| r.state)),
    };
    (ev.verdict, ev.reason) = (verdict, reason);
    if let (Verdict::Agrees, Some(r)) = (verdict, ours) {
        ev.take_row(r);
    }
}

/// The table could not be read: `?`, and why.
fn unread(ev: &mut Event, why: &str) {
    ev.check_later = None;
    ev.verdict = Verdict::Unavailable;
    ev.reason = Some(why.to_string()).filter(|w| !w.is_empty());
}
