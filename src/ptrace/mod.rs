//! `lab trace`: the same trace, with kernel-checked states, for any program — a student's C or
//! Python chat, a seed's server — through ptrace.
//!
//! - [`start`]: start the program as our tracee, or attach to a running one; refusals in words.
//! - [`filter`]: the calls that stop it, and the seccomp-bpf filter that says so.
//! - [`stops`]: the tracer's loop — why each thread stopped, and letting it go on.
//! - [`waker`]: where the tracer sleeps between stops (`waitpid()`), and who wakes it early.
//! - [`calls`]: a call from entry to exit, as one lab [`crate::trace::Event`], checked.
//! - [`decode`]: six raw arguments as strace would print them.
//! - [`memory`]: reading what the arguments point to.
//! - [`fds`]: which fd is which socket, now.
//! - [`privileges`]: a set-user-ID program runs without its rights under the trace: said so.
//!
//! The events go through the same [`Tracer`] as lab's own sockets — the same renderers, the
//! same diagram, the same kernel observer following every socket between calls.

mod calls;
mod decode;
pub(crate) mod faults;
mod fds;
mod filter;
mod memory;
mod privileges;
mod start;
mod stops;
mod waker;

use crate::i18n::{self, M};
use crate::trace::{Kind, Tracer};
use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};
use stops::Stops;

/// How to trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Show calls on every fd, not only TCP and UDP sockets.
    pub all_fds: bool,
    /// Faults lab puts into the program's calls (`--short-reads`, `--short-writes`).
    pub faults: faults::Faults,
}

/// What to trace.
pub enum Target {
    /// Start this program (and its arguments); `filter`: under the seccomp filter, stopping
    /// at the socket calls only (else at every call: slower, but a set-user-ID program keeps
    /// its rights when lab runs as root).
    Launch { argv: Vec<OsString>, filter: bool },
    /// Attach to this running process.
    Attach(Pid),
    /// Start each program on its host (`lab net`); the first one's status is lab's.
    OnHosts(Vec<OnHost>),
}

/// A program to start on one of `lab net`'s hosts.
pub struct OnHost {
    pub argv: Vec<OsString>,
    /// The host's name, which starts its programs' actor names.
    pub host: String,
    /// The host's network namespace, which the program's process enters before its `exec()`.
    pub netns: std::os::fd::OwnedFd,
}

/// Traces `target` until it ends (or, attached, until Ctrl+C detaches). Returns the exit code
/// lab should end with: the program's (128 + signal if killed), 0 after a detach. `signals`
/// is [`block_signals`]'s, called before the tracer (and its observer thread) was made.
pub fn run(
    target: Target,
    tracer: &Tracer,
    opts: Options,
    signals: &SignalFd,
) -> Result<i32, String> {
    // The program is never held while lab waits for the kernel: a state that is still moving
    // after a call (FIN-WAIT-1 after `close()`, until the peer's ACK) is read as it is, the
    // verdict is made from that first reading, and the move that follows is the observer's to
    // report, as a kernel event in its place. Waiting for it held every close of an established
    // connection 2–4 ms (5,001 closes: 11 s instead of 0.03 s).
    tracer.set_settle_timeout(Duration::ZERO);
    let calls = calls::Calls::new(tracer, opts.all_fds).with_faults(opts.faults);
    let mut stops = match &target {
        Target::Launch { argv, filter } => {
            let pid = start::launch(argv, None, *filter)?;
            let mut s = Stops::new(calls, pid, *filter, false);
            s.adopt(pid, pid);
            s
        }
        Target::OnHosts(programs) => launch_on_hosts(calls, programs)?,
        Target::Attach(pid) => {
            let tids = start::attach(*pid)?;
            let mut s = Stops::new(calls, *pid, false, true);
            for tid in tids {
                s.adopt(tid, *pid);
            }
            tracer.note("lab", &i18n::f(M::TraceAttached, &[pid]));
            // Already running children are not followed: say where the work may be.
            let kids: Vec<String> = start::children(*pid)
                .iter()
                .map(|(p, cmd)| format!("lab trace -p {p}  ({cmd})"))
                .collect();
            if !kids.is_empty() {
                tracer.note("lab", &i18n::f(M::TraceChildren, &[pid, &kids.join("; ")]));
            }
            s
        }
    };
    // A connection another process still holds after one closes it is followed on the
    // holder's lifeline, named as the holder's calls are.
    tracer.name_processes_with(stops.namer());
    let detach = follow(&mut stops, signals).map_err(|e| format!("waitpid: {e}"))?;
    if detach {
        detach_all(&mut stops);
        tracer.note("lab", &i18n::f(M::TraceDetached, &[&stops.main]));
        return Ok(0);
    }
    let status = stops.exit_status.unwrap_or(0);
    let words = match stops.killed_by {
        Some(sig) => i18n::f(M::TraceKilled, &[&sig.as_str()]),
        None => i18n::f(M::TraceEnded, &[&status]),
    };
    tracer.emit(crate::trace::Event::words(Kind::Note, "lab", words));
    Ok(status)
}

/// Starts every program on its host, in order, and follows them all.
fn launch_on_hosts<'t>(calls: calls::Calls<'t>, programs: &[OnHost]) -> Result<Stops<'t>, String> {
    let mut pids = Vec::new();
    for p in programs {
        pids.push(start::launch(&p.argv, Some(p.netns.as_fd()), true)?);
    }
    let first = *pids
        .first()
        .ok_or("lab net: which programs? (--on HOST 'COMMAND')")?;
    let mut stops = Stops::new(calls, first, true, false);
    let inode = |p: &OnHost| nix::sys::stat::fstat(&p.netns).map(|st| st.st_ino);
    let hosts = programs
        .iter()
        .filter_map(|p| Some((inode(p).ok()?, p.host.clone())))
        .collect();
    stops.name_hosts(hosts);
    for pid in &pids {
        stops.adopt(*pid, *pid);
    }
    stops.roots = pids;
    Ok(stops)
}

/// lab's own Ctrl+C, SIGTERM and SIGHUP, read from a signalfd instead of interrupting (by the
/// tracer's waker: see [`waker`]), and [`waker::KICK`], which only the tracer's thread takes.
/// To be called before any other thread starts, so that every thread of lab inherits the mask
/// (a thread that had them unblocked would take them); the program's child clears the mask
/// before exec. SIGCHLD is left alone: the tracer learns of a stop from `waitpid()` itself.
pub fn block_signals() -> nix::Result<SignalFd> {
    let mut set = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(s);
    }
    let mut blocked = set;
    blocked.add(waker::KICK);
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&blocked), None)?;
    // `--step`'s q sends lab SIGTERM: read here, it stops the program lab started, or detaches.
    crate::render::step::stops_on_sigterm();
    // Blocking: the waker polls it, then reads.
    SignalFd::with_flags(&set, nix::sys::signalfd::SfdFlags::SFD_CLOEXEC)
}

/// Handles stops until every traced thread is gone (returns false) or lab is asked to stop
/// while attached (returns true: detach). Launched, the terminal's Ctrl+C reaches the program
/// itself (same terminal, same process group); SIGTERM, SIGHUP or SIGINT sent to lab alone (by
/// `kill`) is passed on to it (to each, under `lab net`). Asked a second time, lab kills every
/// program it traces: one that ignores Ctrl+C does not keep lab, or its hosts, running.
fn follow(stops: &mut Stops<'_>, signals: &SignalFd) -> nix::Result<bool> {
    waker::watch(signals, |waker| {
        let mut asked = 0;
        while stops.alive() {
            match waker.wait() {
                Ok(Some(status)) => stops.handle(status),
                Ok(None) => {}
                Err(Errno::ECHILD) => stops.forget_all(),
                Err(e) => return Err(e),
            }
            for info in waker.signals() {
                let sig = Signal::try_from(info.ssi_signo as i32).unwrap_or(Signal::SIGTERM);
                if stops.seized {
                    return Ok(true);
                }
                asked += 1;
                pass_on(stops, sig, sent_by_a_process(info.ssi_code), asked);
            }
            let now = Instant::now();
            stops.show_blocked(now);
            waker.until(stops.next_blocked(now));
        }
        Ok(false)
    })?
}

/// lab was asked to stop (`asked` times so far) by `sig`. The first time, the programs get it
/// too — unless it is the terminal's Ctrl+C, which the kernel sent them already (SI_KERNEL).
/// The second time, every traced process is killed (SIGKILL cannot be ignored).
fn pass_on(stops: &Stops<'_>, sig: Signal, from_a_process: bool, asked: u32) {
    use nix::sys::signal::kill;
    if asked > 1 {
        for pid in stops.pids() {
            let _ = kill(pid, Signal::SIGKILL);
        }
    } else if sig != Signal::SIGINT || from_a_process {
        for pid in &stops.roots {
            let _ = kill(*pid, sig);
        }
    }
}

/// Whether a signal was sent by a process (`kill(2)`, `sigqueue(3)`, `tgkill(2)`: `si_code` ≤ 0,
/// SI_USER, SI_QUEUE, SI_TKILL…) rather than by the kernel for the terminal (SI_KERNEL, 0x80).
fn sent_by_a_process(si_code: i32) -> bool {
    si_code <= 0
}

/// Detaches from every thread: each is interrupted, and let go at its next stop with the
/// signal it was about to get, so the program goes on as if never traced.
fn detach_all(stops: &mut Stops<'_>) {
    stops.abandon_all();
    let mut left = stops.tids();
    for tid in &left {
        let _ = nix::sys::ptrace::interrupt(*tid);
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while !left.is_empty() && Instant::now() < deadline {
        let status = match waitpid(None::<Pid>, Some(WaitPidFlag::__WALL)) {
            Ok(s) => s,
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        };
        let (tid, sig) = match status {
            WaitStatus::Stopped(t, s) if !matches!(s, Signal::SIGTRAP | Signal::SIGSTOP) => {
                (t, Some(s))
            }
            WaitStatus::Stopped(t, _)
            | WaitStatus::PtraceEvent(t, _, _)
            | WaitStatus::PtraceSyscall(t) => (t, None),
            WaitStatus::Exited(t, _) | WaitStatus::Signaled(t, _, _) => {
                left.retain(|x| *x != t);
                continue;
            }
            _ => continue,
        };
        let _ = nix::sys::ptrace::detach(tid, sig);
        left.retain(|x| *x != tid);
    }
}
