//! A blocking call no table can vouch for beforehand: a `send()` waits for room in the
//! buffers, and in a lesson no step runs while it waits — a peer that does not read never
//! makes room. Nothing tells in advance how much fits (the buffers grow, their accounting
//! counts overhead), so the call is made under a kernel timer: if it still waits after the
//! limit, the timer sends the lesson's thread a signal whose handler does nothing. The call
//! returns what it did by then (bytes sent, or EINTR), and the trace shows exactly that.
//! A blocking `connect()` nobody answers is bounded the same way: its SYN retries would end
//! it only after about two minutes, and bounding it by a timer changes nothing of the socket
//! (TCP_SYNCNT would: the retries the lesson teaches would no longer be its own).
//! No thread is started: a `send()` that returns at once costs two more system calls.

use nix::sys::signal::{SigEvent, SigSet, SigevNotify, Signal};
use nix::sys::time::{TimeSpec, TimeValLike};
use nix::sys::timer::{Expiration, Timer, TimerSetTimeFlags};
use nix::time::ClockId;
use std::time::{Duration, Instant};

/// The signal that interrupts: ignored by default, and not queued (the same one `lab trace`
/// wakes its tracer with; the two never run in one thread).
const INTERRUPT: Signal = Signal::SIGURG;

/// How often the signal is sent again while the call still waits: one that lands just before
/// the call enters the kernel interrupts nothing.
const AGAIN: Duration = Duration::from_millis(20);

/// Runs `call`, interrupting it if it still runs after `limit`: its result, and whether it ran
/// that long (`None`: the timer could not be set up, and `call` was not made).
/// Corresponds to `timer_create(CLOCK_MONOTONIC, {SIGEV_THREAD_ID, SIGURG})`, `timer_settime`.
pub fn run<T>(limit: Duration, call: impl FnOnce() -> T) -> Option<(T, bool)> {
    crate::sys::interrupting(INTERRUPT).ok()?;
    SigSet::from(INTERRUPT).thread_unblock().ok()?;
    let me = SigevNotify::SigevThreadId {
        signal: INTERRUPT,
        thread_id: nix::unistd::gettid().as_raw(),
        si_value: 0,
    };
    let mut timer = Timer::new(ClockId::CLOCK_MONOTONIC, SigEvent::new(me)).ok()?;
    let ms = |d: Duration| TimeSpec::milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let when = Expiration::IntervalDelayed(ms(limit), ms(AGAIN));
    timer.set(when, TimerSetTimeFlags::empty()).ok()?;
    let start = Instant::now();
    let result = call();
    // Dropping the timer deletes it (`timer_delete`): no signal comes after this.
    drop(timer);
    Some((result, start.elapsed() >= limit))
}
