//! The tracer's loop: every time a traced thread stops, `waitpid(2)` says why, the tracer
//! looks, and lets it go on.
//!
//! A thread stops (see `man 2 ptrace`, "Stopped states"):
//! - at a **system call** it must show: a seccomp stop (a launched program: the filter asked)
//!   or a syscall-entry stop (an attached one: every call stops), then a syscall-exit stop;
//! - at an **event**: `fork()`/`vfork()`/`clone()` made a new process or thread (traced from
//!   its first instruction on), `exec()` replaced the program, `PTRACE_INTERRUPT` or a
//!   group-stop (SIGSTOP, Ctrl+Z);
//! - when a **signal** is about to be delivered: the tracer passes it on, or the program would
//!   never see its Ctrl+C;
//! - when it is **gone**: exited or killed.

use super::calls::{Calls, Pending, Unseen, ERESTART_RESTARTBLOCK};
use super::fds::Process;
use super::filter;
use super::memory::Memory;
use crate::sys::{self, SyscallStop};
use crate::trace::{Event, Kind, Syscall};
use nix::errno::Errno;
use nix::sys::ptrace::{self, Event as PEvent};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The audit architecture of an x86_64 system call (`linux/audit.h`: EM_X86_64 with the 64-bit
/// and little-endian bits). A 32-bit call (`int 0x80`) has another, and other numbers.
const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;

/// One traced thread.
struct Task<'t> {
    /// Its process (thread group).
    pid: Pid,
    actor: String,
    pending: Option<Pending<'t>>,
    /// The last call a signal interrupted, which `restart_syscall` continues.
    interrupted: Option<(Syscall, [u64; 6])>,
    /// Made by fork/clone, its first stop (the attach's) not yet seen.
    fresh: bool,
    /// Told that its 32-bit calls are not shown.
    warned: bool,
}

/// Every traced process and thread, and what the tracer knows of them.
pub struct Stops<'t> {
    calls: Calls<'t>,
    procs: HashMap<Pid, Process>,
    tasks: HashMap<Pid, Task<'t>>,
    /// Started under the seccomp filter: only the filter's calls stop, and a thread is resumed
    /// with PTRACE_CONT, except to see the exit of a call being shown.
    filtered: bool,
    /// Attached with PTRACE_SEIZE (`-p`): group-stops are left stopped with PTRACE_LISTEN.
    pub seized: bool,
    /// The program started (or attached to), whose exit status lab exits with.
    pub main: Pid,
    /// Every program lab started itself (`lab net`: one per `--on`): a Ctrl+C sent to lab
    /// alone is passed on to each.
    pub roots: Vec<Pid>,
    pub exit_status: Option<i32>,
    /// The signal that killed it, if one did (its status is then 128 + the signal's number).
    pub killed_by: Option<Signal>,
    /// New threads whose first stop came before their creator's clone event.
    early: Vec<Pid>,
    /// `lab net`'s hosts, by their network namespace's inode: a program's actor name starts
    /// with the host it runs on (`a 4312 python3`), and so do its children's.
    hosts: Vec<(u64, String)>,
}

impl<'t> Stops<'t> {
    pub fn new(calls: Calls<'t>, main: Pid, filtered: bool, seized: bool) -> Stops<'t> {
        Stops {
            calls,
            procs: HashMap::new(),
            tasks: HashMap::new(),
            filtered,
            seized,
            main,
            roots: vec![main],
            exit_status: None,
            killed_by: None,
            early: Vec::new(),
            hosts: Vec::new(),
        }
    }

    /// Names `lab net`'s hosts by their network namespaces' inodes.
    pub fn name_hosts(&mut self, hosts: Vec<(u64, String)>) {
        self.hosts = hosts;
    }

    /// Starts following thread `tid` of process `pid`.
    pub fn adopt(&mut self, tid: Pid, pid: Pid) {
        self.procs.entry(pid).or_insert_with(|| Process::new(pid));
        let actor = named(&self.hosts, pid, tid);
        self.tasks.insert(
            tid,
            Task {
                pid,
                actor,
                pending: None,
                interrupted: None,
                fresh: false,
                warned: false,
            },
        );
    }

    /// How the trace names a process by its pid, as its first thread's lifeline (see
    /// [`crate::trace::Tracer::name_processes_with`]).
    pub fn namer(&self) -> crate::trace::Namer {
        let hosts = self.hosts.clone();
        Box::new(move |pid| {
            let pid = Pid::from_raw(i32::try_from(pid).unwrap_or(0));
            named(&hosts, pid, pid).into()
        })
    }

    /// Whether any thread is still traced.
    pub fn alive(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// Every traced process.
    pub fn pids(&self) -> Vec<Pid> {
        self.procs.keys().copied().collect()
    }

    /// Every traced thread.
    pub fn tids(&self) -> Vec<Pid> {
        self.tasks.keys().copied().collect()
    }

    /// Handles one stop, and lets the thread go on.
    pub fn handle(&mut self, status: WaitStatus) {
        match status {
            WaitStatus::PtraceSyscall(tid) => self.on_syscall(tid),
            WaitStatus::PtraceEvent(tid, sig, event) => self.on_event(tid, sig, event),
            WaitStatus::Stopped(tid, sig) => self.on_signal(tid, sig),
            WaitStatus::Exited(tid, code) => self.on_gone(tid, code, None),
            WaitStatus::Signaled(tid, sig, _) => self.on_gone(tid, 128 + sig as i32, Some(sig)),
            _ => {}
        }
    }

    /// A system call stop: its entry (the filter's stop, or PTRACE_SYSCALL's) or its exit.
    fn on_syscall(&mut self, tid: Pid) {
        let to_exit = match sys::syscall_info(tid) {
            Ok((arch, SyscallStop::Entry { .. })) if arch != AUDIT_ARCH_X86_64 => {
                self.once_note(tid, crate::i18n::t(crate::i18n::M::Trace32Bit));
                false
            }
            Ok((_, SyscallStop::Entry { nr, args })) => self.on_entry(tid, nr, args),
            Ok((_, SyscallStop::Exit { ret, .. })) => {
                self.on_exit(tid, ret);
                false
            }
            _ => false,
        };
        self.resume(tid, to_exit, None);
    }

    /// A call's entry; returns whether the tracer must see its exit.
    fn on_entry(&mut self, tid: Pid, nr: u64, raw: [u64; 6]) -> bool {
        let Some(task) = self.tasks.get_mut(&tid) else {
            return false;
        };
        if filter::IO_URING.contains(&nr) {
            self.calls.tell_once(Unseen::IoUring, &task.actor);
            return false;
        }
        let (call, raw) = match (nr, filter::call_of(nr)) {
            (filter::RESTART, _) => match task.interrupted.take() {
                Some(continued) => continued,
                None => return false,
            },
            (_, Some(call)) => (call, raw),
            (_, None) => return false,
        };
        let Some(proc) = self.procs.get_mut(&task.pid) else {
            return false;
        };
        let mem = Memory { pid: tid };
        task.pending = self.calls.entry(proc, mem, &task.actor, call, raw);
        // Our kept copies of the fds it closes go once its entry is recorded, before it runs:
        // in every process, as another may share this one's fd table (CLONE_FILES).
        if let Some((first, last)) = super::decode::fds_given_up(call, &raw) {
            self.procs.values_mut().for_each(|p| p.release(first, last));
        }
        task.pending.is_some()
    }

    fn on_exit(&mut self, tid: Pid, ret: i64) {
        let Some(task) = self.tasks.get_mut(&tid) else {
            return;
        };
        let Some(p) = task.pending.take() else { return };
        if -ret == ERESTART_RESTARTBLOCK {
            task.interrupted = Some((p.call, p.raw));
        }
        if let Some(proc) = self.procs.get_mut(&task.pid) {
            self.calls.exit(proc, Memory { pid: tid }, p, ret);
        }
    }

    /// fork, vfork, clone, exec, a seccomp stop, or a PTRACE_INTERRUPT / group-stop.
    fn on_event(&mut self, tid: Pid, sig: Signal, event: i32) {
        let is = |e: PEvent| event == e as i32;
        if !self.tasks.contains_key(&tid) {
            // A new thread's first stop (seized), before its creator's clone event.
            self.early.push(tid);
            return;
        }
        if let Some(t) = self
            .tasks
            .get_mut(&tid)
            .filter(|t| t.fresh && is(PEvent::PTRACE_EVENT_STOP))
        {
            t.fresh = false;
            return self.resume(tid, false, None);
        }
        if is(PEvent::PTRACE_EVENT_SECCOMP) {
            return self.on_syscall(tid);
        }
        if is(PEvent::PTRACE_EVENT_FORK)
            || is(PEvent::PTRACE_EVENT_VFORK)
            || is(PEvent::PTRACE_EVENT_CLONE)
        {
            if let Ok(new) = ptrace::getevent(tid) {
                self.born(
                    tid,
                    Pid::from_raw(new as i32),
                    is(PEvent::PTRACE_EVENT_CLONE),
                );
            }
        } else if is(PEvent::PTRACE_EVENT_EXEC) {
            self.exec(tid);
        } else if is(PEvent::PTRACE_EVENT_EXIT) {
            // The thread is exiting: if it is the last, the kernel is about to close the
            // process's fds, and our copies must not keep its sockets open.
            let pid = self.tasks.get(&tid).map(|t| t.pid);
            if let Some(proc) = pid.and_then(|p| self.procs.get_mut(&p)) {
                proc.release_all();
            }
        } else if is(PEvent::PTRACE_EVENT_STOP) && self.seized && is_group_stop(sig) {
            // Stay stopped, as without a tracer, until SIGCONT; the next stop is reported.
            let _ = sys::ptrace_listen(tid);
            return;
        }
        self.resume(tid, false, None);
    }

    /// A new thread or process. Its own first stop may already have come (then it waits in
    /// `early`) or comes next; it is resumed once both are in.
    fn born(&mut self, parent: Pid, new: Pid, clone: bool) {
        let parent_pid = self.tasks.get(&parent).map_or(parent, |t| t.pid);
        let pid = if clone && tgid_of(new) == Some(parent_pid) {
            parent_pid
        } else {
            new
        };
        if pid == new {
            // A copy of the parent's fd table: the same sockets (see `Process::forked`).
            let child = match self.procs.get(&parent_pid) {
                Some(p) => p.forked(new),
                None => Process::new(new),
            };
            self.procs.insert(new, child);
        }
        self.adopt(new, pid);
        match self.early.iter().position(|t| *t == new) {
            Some(i) => {
                self.early.remove(i);
                self.resume(new, false, None);
            }
            None => {
                if let Some(t) = self.tasks.get_mut(&new) {
                    t.fresh = true;
                }
            }
        }
    }

    /// `exec()`: a new program in the same process. A non-leader thread that calls exec takes
    /// the leader's tid; every other thread is gone.
    fn exec(&mut self, tid: Pid) {
        let former = ptrace::getevent(tid)
            .map(|t| Pid::from_raw(t as i32))
            .unwrap_or(tid);
        let task = self
            .tasks
            .remove(&former)
            .or_else(|| self.tasks.remove(&tid));
        let pid = task.as_ref().map_or(tid, |t| t.pid);
        // Every other thread of the process is gone: a call one of them was in never returns.
        let gone: Vec<Pid> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.pid == pid)
            .map(|(k, _)| *k)
            .collect();
        for other in gone {
            if let Some(p) = self.tasks.remove(&other).and_then(|mut t| t.pending.take()) {
                self.calls.unfinished(p);
            }
        }
        if let Some(proc) = self.procs.get_mut(&pid) {
            proc.exec();
        }
        self.adopt(tid, pid);
        self.check_privileges(tid);
    }

    /// A program whose file grants rights (set-user-ID…) has just started without them, as
    /// the trace runs it: said in words, with how to keep them.
    fn check_privileges(&self, tid: Pid) {
        let exe = std::path::PathBuf::from(format!("/proc/{tid}/exe"));
        let what = super::privileges::granted(&exe);
        if what.is_empty() {
            return;
        }
        let name = std::fs::read_link(&exe)
            .map_or_else(|_| exe.display().to_string(), |p| p.display().to_string());
        let root = super::start::has_cap_sys_ptrace();
        if let (Some(words), Some(task)) = (
            super::privileges::warning(&name, &what, self.filtered, root),
            self.tasks.get(&tid),
        ) {
            self.calls.tracer.note(&task.actor, &words);
        }
    }

    /// A signal about to be delivered, or a new thread's first stop.
    fn on_signal(&mut self, tid: Pid, sig: Signal) {
        if !self.tasks.contains_key(&tid) {
            // A new thread's first stop (SIGSTOP), before its creator's clone event.
            self.early.push(tid);
            return;
        }
        if let Some(t) = self.tasks.get_mut(&tid).filter(|t| t.fresh) {
            // Its first stop, the attach's own: not a signal for the program.
            t.fresh = false;
            return self.resume(tid, false, None);
        }
        if is_group_stop(sig) && ptrace::getsiginfo(tid) == Err(Errno::EINVAL) {
            // A group-stop of a PTRACE_TRACEME tracee: resumed (job control is not kept).
            return self.resume(tid, false, None);
        }
        if sig != Signal::SIGCHLD {
            let actor = self
                .tasks
                .get(&tid)
                .map_or(String::new(), |t| t.actor.clone());
            // A traced program stops even for a signal it ignores: say what becomes of it.
            let words = match disposition(tid, sig) {
                Some(Disposition::Ignored) => crate::i18n::M::TraceSignalIgnored,
                Some(Disposition::Caught) => crate::i18n::M::TraceSignalCaught,
                _ => crate::i18n::M::TraceSignal,
            };
            self.calls
                .tracer
                .note(&actor, &crate::i18n::f(words, &[&sig.as_str()]));
        }
        self.resume(tid, false, Some(sig));
    }

    fn on_gone(&mut self, tid: Pid, status: i32, signal: Option<Signal>) {
        if let Some(mut task) = self.tasks.remove(&tid) {
            if let Some(p) = task.pending.take() {
                self.calls.unfinished(p);
            }
            if !self.tasks.values().any(|t| t.pid == task.pid) {
                self.procs.remove(&task.pid);
            }
        }
        if tid == self.main {
            (self.exit_status, self.killed_by) = (Some(status), signal);
        }
    }

    /// Lets a stopped thread go on: to the exit of the call being shown (PTRACE_SYSCALL), or
    /// to the next stop the filter asks for (PTRACE_CONT); `sig` is delivered.
    fn resume(&self, tid: Pid, to_exit: bool, sig: Option<Signal>) {
        let _ = if to_exit || !self.filtered {
            ptrace::syscall(tid, sig)
        } else {
            ptrace::cont(tid, sig)
        };
    }

    /// How long until the next waiting call is to be shown as blocked.
    pub fn next_blocked(&self, now: Instant) -> Option<Duration> {
        self.tasks
            .values()
            .filter_map(|t| t.pending.as_ref()?.until_blocked(now))
            .min()
    }

    /// Shows every call that has waited long enough as blocked.
    pub fn show_blocked(&mut self, now: Instant) {
        for task in self.tasks.values_mut() {
            if let Some(p) = task
                .pending
                .as_mut()
                .filter(|p| p.until_blocked(now) == Some(Duration::ZERO))
            {
                self.calls.show_blocked(p);
            }
        }
    }

    /// No traced thread is left (waitpid: ECHILD).
    pub fn forget_all(&mut self) {
        self.abandon_all();
        self.tasks.clear();
        self.procs.clear();
    }

    /// Forgets every pending call (the tracer detaches: their exits will not be seen).
    pub fn abandon_all(&mut self) {
        for task in self.tasks.values_mut() {
            if let Some(p) = task.pending.take() {
                self.calls.abandon(p);
            }
        }
    }

    fn once_note(&mut self, tid: Pid, text: &str) {
        if let Some(task) = self.tasks.get_mut(&tid).filter(|t| !t.warned) {
            task.warned = true;
            self.calls
                .tracer
                .emit(Event::words(Kind::Note, &task.actor, text.to_string()));
        }
    }
}

/// SIGSTOP, SIGTSTP (Ctrl+Z), SIGTTIN, SIGTTOU: the signals that stop a whole process.
fn is_group_stop(sig: Signal) -> bool {
    matches!(
        sig,
        Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU
    )
}

/// What a process does with a signal.
#[derive(Debug, PartialEq, Eq)]
enum Disposition {
    /// `SIG_IGN` (set, or inherited: a program started with SIGINT ignored keeps it so).
    Ignored,
    /// A handler of its own runs.
    Caught,
    /// The default action.
    Default,
}

/// A thread's disposition for `sig`, from the `SigIgn:` and `SigCgt:` masks of
/// `/proc/TID/status` (bit N-1 is signal N).
fn disposition(tid: Pid, sig: Signal) -> Option<Disposition> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    let mask = |key: &str| {
        let line = status.lines().find(|l| l.starts_with(key))?;
        u64::from_str_radix(line[key.len()..].trim(), 16).ok()
    };
    let bit = 1u64 << (sig as i32 - 1);
    Some(if mask("SigIgn:")? & bit != 0 {
        Disposition::Ignored
    } else if mask("SigCgt:")? & bit != 0 {
        Disposition::Caught
    } else {
        Disposition::Default
    })
}

/// A thread's process id (`Tgid:` in `/proc/TID/status`).
fn tgid_of(tid: Pid) -> Option<Pid> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Tgid:"))?;
    line[5..].trim().parse().ok().map(Pid::from_raw)
}

/// How the trace names thread `tid` of process `pid`: [`actor_name`], after its host's name on
/// `lab net`'s hosts (`a 4312 python3`).
fn named(hosts: &[(u64, String)], pid: Pid, tid: Pid) -> String {
    match host_of(hosts, pid) {
        Some(host) => format!("{host} {}", actor_name(pid, tid)),
        None => actor_name(pid, tid),
    }
}

/// The host (of `lab net`) process `pid` runs on: the one whose network namespace it is in.
fn host_of(hosts: &[(u64, String)], pid: Pid) -> Option<&str> {
    use std::os::unix::fs::MetadataExt;
    if hosts.is_empty() {
        return None;
    }
    let inode = std::fs::metadata(format!("/proc/{pid}/ns/net")).ok()?.ino();
    hosts
        .iter()
        .find(|(ino, _)| *ino == inode)
        .map(|(_, name)| name.as_str())
}

/// How the trace names a thread: `4312 server` for a process's first thread, `4312/4315
/// server` for another (the name is the thread's own, `/proc/TID/comm`).
pub fn actor_name(pid: Pid, tid: Pid) -> String {
    let comm = std::fs::read_to_string(format!("/proc/{tid}/comm")).unwrap_or_default();
    let comm = comm.trim();
    match (pid == tid, comm.is_empty()) {
        (true, true) => pid.to_string(),
        (true, false) => format!("{pid} {comm}"),
        (false, true) => format!("{pid}/{tid}"),
        (false, false) => format!("{pid}/{tid} {comm}"),
    }
}
