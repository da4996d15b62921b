//! Where the tracer sleeps between stops, and who wakes it early.
//!
//! A traced program stops twice per call, and the tracer sleeps before most stops. It sleeps
//! where strace does: in a blocking `waitpid()`, which returns the stop itself — one system
//! call per stop. (Sleeping on a signalfd for SIGCHLD took three: its `read()`, the `waitpid()`
//! that took the stop, and one more `waitpid()` to be sure no other stop was waiting, as
//! SIGCHLDs that come together are one. That was 3 µs of every traced call's 40.)
//!
//! Two things must end that sleep when no thread stops: a signal to lab (Ctrl+C, SIGTERM,
//! SIGHUP: read from a signalfd) and a call that has waited long enough to be shown as
//! blocked. A thread of its own, the waker, watches both and sends the tracer's thread
//! [`KICK`], whose handler does nothing: `waitpid()` returns EINTR. It sends it only while the
//! tracer sleeps (or is about to), and again every [`AGAIN`] until the tracer has seen to it:
//! a kick that lands just before `waitpid()` is entered cannot leave the tracer asleep.

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::EventFd;
use nix::sys::pthread::{pthread_kill, pthread_self, Pthread};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{siginfo, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The signal that ends the tracer's sleep: no other use in lab, ignored by default, and not
/// queued (kicks that come together are one).
pub const KICK: Signal = Signal::SIGURG;

/// How soon the waker kicks again while the tracer has not seen to what it was woken for.
const AGAIN: Duration = Duration::from_millis(2);

/// The longest the waker sleeps: no longer than a call waits before it is shown as blocked, so
/// that a wait that starts while it sleeps is never overslept.
const IDLE: Duration = super::calls::BLOCKED_AFTER;

/// What the tracer and the waker share.
struct Shared {
    /// The tracer is in `waitpid()`, or about to be.
    asleep: AtomicBool,
    /// When the next waiting call is to be shown as blocked: µs since `epoch` (`u64::MAX`: none).
    due_us: AtomicU64,
    epoch: Instant,
    /// Signals to lab, not yet seen to by the tracer.
    signals: Mutex<Vec<siginfo>>,
    has_signals: AtomicBool,
    /// The tracer is done: the waker ends (woken by `stop`).
    done: AtomicBool,
    stop: EventFd,
    tracer: Pthread,
}

impl Shared {
    /// Whether the tracer has something to see to besides a stop.
    fn wanted(&self) -> bool {
        self.has_signals.load(SeqCst) || self.due_us.load(SeqCst) <= self.now_us()
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// The tracer's side: its sleep, and what it was woken for.
pub struct Waker {
    shared: Shared,
}

/// Runs `follow` with a waker watching `signals` (lab's own, not SIGCHLD) beside it; the
/// calling thread is the tracer, the one [`KICK`] is sent to.
pub fn watch<R>(signals: &SignalFd, follow: impl FnOnce(&Waker) -> R) -> nix::Result<R> {
    crate::sys::interrupting(KICK)?;
    let waker = Waker {
        shared: Shared {
            asleep: AtomicBool::new(false),
            due_us: AtomicU64::new(u64::MAX),
            epoch: Instant::now(),
            signals: Mutex::new(Vec::new()),
            has_signals: AtomicBool::new(false),
            done: AtomicBool::new(false),
            stop: EventFd::new()?,
            tracer: pthread_self(),
        },
    };
    let kick = SigSet::from(KICK);
    kick.thread_unblock()?;
    let result = std::thread::scope(|scope| {
        let shared = &waker.shared;
        let spawned = std::thread::Builder::new()
            .name("lab-waker".into())
            .spawn_scoped(scope, move || run(shared, signals));
        if let Err(e) = spawned {
            return Err(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EAGAIN)));
        }
        // Ends the waker however `follow` ends (a panic included), or the scope would wait.
        let _ending = Ending(shared);
        Ok(follow(&waker))
    });
    let _ = nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&kick), None);
    result
}

/// Ends the waker when dropped.
struct Ending<'s>(&'s Shared);

impl Drop for Ending<'_> {
    fn drop(&mut self) {
        self.0.done.store(true, SeqCst);
        let _ = self.0.stop.write(1);
    }
}

impl Waker {
    /// Sleeps until a traced thread stops (its status), or until the waker wakes the tracer
    /// for something else (`None`: see [`Waker::signals`] and the calls waiting).
    /// Corresponds to `waitpid(-1, &status, __WALL)`.
    pub fn wait(&self) -> nix::Result<Option<WaitStatus>> {
        let s = &self.shared;
        s.asleep.store(true, SeqCst);
        // Asleep first, then the look: the waker looks the other way round, so that one of the
        // two sees the other's news.
        if s.wanted() {
            s.asleep.store(false, SeqCst);
            return Ok(None);
        }
        let status = waitpid(None::<Pid>, Some(WaitPidFlag::__WALL));
        s.asleep.store(false, SeqCst);
        match status {
            Ok(status) => Ok(Some(status)),
            Err(Errno::EINTR) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The signals lab was sent since the last look, in order.
    pub fn signals(&self) -> Vec<siginfo> {
        let s = &self.shared;
        if !s.has_signals.load(SeqCst) {
            return Vec::new();
        }
        let mut queued = s.signals.lock().unwrap_or_else(|p| p.into_inner());
        s.has_signals.store(false, SeqCst);
        std::mem::take(&mut *queued)
    }

    /// The next waiting call is to be shown as blocked in `wait` (`None`: no call waits).
    pub fn until(&self, wait: Option<Duration>) {
        let s = &self.shared;
        let due = wait.map_or(u64::MAX, |w| {
            s.now_us()
                .saturating_add(u64::try_from(w.as_micros()).unwrap_or(u64::MAX))
        });
        s.due_us.store(due, SeqCst);
    }
}

/// The waker's thread: reads lab's signals, and kicks the tracer when it sleeps while a
/// signal or a blocked call waits for it.
fn run(s: &Shared, signals: &SignalFd) {
    while !s.done.load(SeqCst) {
        let wanted = s.wanted();
        let sleep = if wanted {
            if s.asleep.load(SeqCst) {
                let _ = pthread_kill(s.tracer, KICK);
            }
            AGAIN
        } else {
            let due = s.due_us.load(SeqCst).saturating_sub(s.now_us());
            IDLE.min(Duration::from_micros(due))
        };
        // Rounded up: woken before the call is due, it would only sleep again.
        let ms = i32::try_from(sleep.as_millis() + 1).unwrap_or(i32::MAX);
        let mut fds = [
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            PollFd::new(s.stop.as_fd(), PollFlags::POLLIN),
        ];
        let ready = poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        );
        let readable = fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        if ready.is_ok_and(|n| n > 0) && readable {
            if let Ok(Some(info)) = signals.read_signal() {
                s.signals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(info);
                s.has_signals.store(true, SeqCst);
            }
        }
    }
}
