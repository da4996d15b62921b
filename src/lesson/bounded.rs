//! A blocking call no table can vouch for beforehand: a `send()` waits for room in the
//! buffers, and in a lesson no step runs while it waits — a peer that does not read never
//! makes room. Nothing tells in advance how much fits (the buffers grow, their accounting
//! counts overhead), so the call is made, and if it still waits after the limit, the lesson's
//! thread is interrupted: a signal whose handler does nothing, sent with `pthread_kill`. The
//! call returns what it did by then (bytes sent, or EINTR), and the trace shows exactly that.

use nix::sys::pthread::{pthread_kill, pthread_self};
use nix::sys::signal::{SigSet, Signal};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::Duration;

/// The signal that interrupts: ignored by default, and not queued (the same one `lab trace`
/// wakes its tracer with; the two never run in one thread).
const INTERRUPT: Signal = Signal::SIGURG;

/// How soon the signal is sent again while the call still waits: one that lands just before
/// the call enters the kernel interrupts nothing.
const AGAIN: Duration = Duration::from_millis(20);

/// Runs `call`, interrupting it if it still runs after `limit`: its result, and whether it was
/// interrupted (`None`: the signal could not be set up, and `call` was not made).
pub fn run<T>(limit: Duration, call: impl FnOnce() -> T) -> Option<(T, bool)> {
    crate::sys::interrupting(INTERRUPT).ok()?;
    SigSet::from(INTERRUPT).thread_unblock().ok()?;
    let me = pthread_self();
    let fired = AtomicBool::new(false);
    let (done, wait) = channel::<()>();
    let fired_ = &fired;
    let result = std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut pause = limit;
            while let Err(RecvTimeoutError::Timeout) = wait.recv_timeout(pause) {
                fired_.store(true, SeqCst);
                let _ = pthread_kill(me, INTERRUPT);
                pause = AGAIN;
            }
        });
        let result = call();
        drop(done);
        result
    });
    Some((result, fired.load(SeqCst)))
}
