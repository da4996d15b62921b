//! Argument lists handed back for reuse, across threads.
//!
//! A busy server traced into a file makes an argument list for every call, on its own thread;
//! the trace file's writer drops it, on another. A block allocated on one thread and freed on
//! another goes through the allocator's shared, locked path both times (glibc keeps a small
//! cache per thread only for what a thread frees itself): perf showed it at about 3% of a
//! traced epoll server's own thread. Handed back instead, a list costs neither: the writer
//! returns a whole batch's lists under one lock, and a thread whose own lists ran out takes
//! all that wait under one lock.

use super::event::Arg;
use std::cell::RefCell;
use std::sync::Mutex;

/// Lists handed back, waiting to be taken.
pub struct Spare(Mutex<Vec<Vec<Arg>>>);

/// The process's lists handed back.
static SPARE: Spare = Spare(Mutex::new(Vec::new()));

/// At most this many lists wait: 1 MB for a busy server's four-argument lists, 2 MB at most.
const KEPT: usize = 4096;

/// A list with room for more arguments than this (a rare long one) is not kept.
const ROOM: usize = 8;

thread_local! {
    /// The lists this thread took, each to be used once.
    static MINE: RefCell<Vec<Vec<Arg>>> = const { RefCell::new(Vec::new()) };
}

/// `args`, in a list handed back if one waits (else in a new one).
pub fn list<const N: usize>(args: [Arg; N]) -> Vec<Arg> {
    SPARE.list(args)
}

/// Hands `lists` back for reuse: see [`Spare::hand_back`].
pub fn hand_back(lists: &mut Vec<Vec<Arg>>) {
    SPARE.hand_back(lists);
}

impl Spare {
    fn list<const N: usize>(&self, args: [Arg; N]) -> Vec<Arg> {
        let reused = MINE.with(|mine| {
            let mut mine = mine.borrow_mut();
            if mine.is_empty() {
                std::mem::swap(&mut *mine, &mut *self.lock());
            }
            mine.pop()
        });
        let mut list = reused.unwrap_or_default();
        list.extend(args);
        list
    }

    /// Takes `lists`, emptied (their arguments dropped here, outside the lock), as many as
    /// are kept; the rest are freed.
    fn hand_back(&self, lists: &mut Vec<Vec<Arg>>) {
        lists.retain(|l| l.capacity() > 0 && l.capacity() <= ROOM);
        lists.iter_mut().for_each(Vec::clear);
        let mut spare = self.lock();
        let room = KEPT.saturating_sub(spare.len());
        spare.extend(lists.drain(..).take(room));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Arg>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_handed_back_on_one_thread_is_used_again_on_another_and_the_pool_is_bounded() {
        let spare: &'static Spare = Box::leak(Box::new(Spare(Mutex::new(Vec::new()))));
        // Threads of their own: each starts with no list taken.
        let made = std::thread::spawn(|| spare.list([Arg::Fd(3), Arg::Int(1)]));
        let made = made.join().unwrap();
        let block = made.as_ptr() as usize;
        spare.hand_back(&mut vec![made]);
        let again = std::thread::spawn(move || {
            let l = spare.list([Arg::Fd(4)]);
            (l.as_ptr() as usize == block, l)
        });
        let (same, l) = again.join().unwrap();
        assert!(same, "the list handed back was not used again");
        assert_eq!(l, vec![Arg::Fd(4)]);
        // Never more than KEPT wait, and a long list is not kept.
        let mut many: Vec<Vec<Arg>> = (0..KEPT + 10).map(|_| Vec::with_capacity(4)).collect();
        many.insert(0, Vec::with_capacity(ROOM + 1));
        spare.hand_back(&mut many);
        assert_eq!(spare.lock().len(), KEPT);
        assert!(spare
            .lock()
            .iter()
            .all(|l| l.capacity() == 4 && l.is_empty()));
    }
}
