//! A traced program's socket call, from its entry to its exit, as one lab [`Event`].
//!
//! At the entry stop the tracer reads the arguments (and the memory they point to), copies the
//! fd into itself and reads the socket's state *before*. At the exit stop it reads the result,
//! what the call wrote back (the data received, the peer accepted), the state *after*, and
//! checks it against the kernel's table — the same [`Recording`] lab's own sockets go through,
//! so a student's C server and lab's show the same columns and the same verdicts.
//!
//! A call that blocks (an `accept()` with no one connecting) is shown when it has waited
//! [`BLOCKED_AFTER`], with its result in a second event when it returns — strace's
//! `<unfinished ...>` and `<... resumed>`.

use super::decode;
use super::fds::{FdCopy, Looked, Process, Proto, Sock};
use super::memory::Memory;
use crate::i18n::{self, M};
use crate::kernel::check::Verdict;
use crate::trace::close::{self, LastLook};
use crate::trace::record::Recording;
use crate::trace::Kind;
use crate::trace::{Detail, Event, Syscall, Ticket, Tracer};
use crate::transitions;
use std::cell::RefCell;
use std::io;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// How long a call waits before the trace shows it as blocked.
pub const BLOCKED_AFTER: Duration = Duration::from_millis(50);

/// The kernel's restart codes: a signal interrupted the call. They never reach the program
/// (it sees the call made again, or EINTR), only a tracer: `include/linux/errno.h`.
const RESTART_CODES: [(i64, &str); 4] = [
    (512, "ERESTARTSYS"),
    (513, "ERESTARTNOINTR"),
    (514, "ERESTARTNOHAND"),
    (ERESTART_RESTARTBLOCK, "ERESTART_RESTARTBLOCK"),
];

/// The call goes on as `restart_syscall` when the program runs again (a `poll()` with a
/// timeout, stopped by SIGSTOP).
pub const ERESTART_RESTARTBLOCK: i64 = 516;

/// A call between its entry and its exit.
pub struct Pending<'t> {
    pub call: Syscall,
    pub raw: [u64; 6],
    rec: Recording<'t>,
    /// Our copy of the socket the call is on (none for `close()`: see [`super::fds`]).
    copy: Option<FdCopy>,
    inode: Option<u64>,
    /// For `close()`: what it must know before the fd is gone.
    look: Option<LastLook>,
    /// A call that may block holds its place in the order of events from its entry on, until
    /// it is shown as blocked or returns.
    wait: Option<Place<'t>>,
    started: Instant,
    /// `--eintr` skipped the call at its entry: its exit says EINTR.
    skipped: bool,
}

/// At a call's entry: our copy of its fd, its socket's inode, and why the fd could not be
/// looked at (see [`Looked::Blind`]).
type AtEntry = (Option<FdCopy>, Option<u64>, Option<String>);

/// A place held in the order of events. Every event after it waits until it is filled, so a
/// place that is dropped unfilled — its call forgotten on any path: its thread gone in an
/// `exec()`, the tracer detaching — gives itself up, and nothing after it is held back.
struct Place<'t> {
    tracer: &'t Tracer,
    ticket: Option<Ticket>,
}

impl<'t> Place<'t> {
    fn new(tracer: &'t Tracer) -> Place<'t> {
        Place {
            tracer,
            ticket: Some(tracer.ticket()),
        }
    }

    /// Fills the place with `ev`.
    fn fill(mut self, ev: Event) {
        if let Some(t) = self.ticket.take() {
            self.tracer.emit_at(t, vec![ev], None);
        }
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.tracer.cancel(t);
        }
    }
}

impl Pending<'_> {
    /// How long until it has waited long enough to be shown as blocked (zero: now); `None`
    /// for a call that cannot block or is shown already.
    pub fn until_blocked(&self, now: Instant) -> Option<Duration> {
        self.wait
            .as_ref()
            .map(|_| BLOCKED_AFTER.saturating_sub(now.duration_since(self.started)))
    }
}

/// Data a program moves where the trace cannot see it: said once, in words, the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unseen {
    /// `sendfile()`: from a file into the socket, inside the kernel.
    Sendfile,
    /// `splice()`: between a pipe and the socket, inside the kernel.
    Splice,
    /// An io_uring: operations submitted through a ring shared with the kernel.
    IoUring,
}

impl Unseen {
    fn of(call: Syscall) -> Option<Unseen> {
        match call {
            Syscall::Sendfile => Some(Unseen::Sendfile),
            Syscall::Splice => Some(Unseen::Splice),
            _ => None,
        }
    }

    fn words(self) -> M {
        match self {
            Unseen::Sendfile => M::TraceUnseenSendfile,
            Unseen::Splice => M::TraceUnseenSplice,
            Unseen::IoUring => M::TraceUnseenIoUring,
        }
    }
}

/// Turns entries and exits into events.
pub struct Calls<'t> {
    pub tracer: &'t Tracer,
    /// Show calls on every fd, not only TCP and UDP sockets.
    pub all_fds: bool,
    /// What the trace cannot show that it has said already.
    told: RefCell<Vec<Unseen>>,
    /// Faults lab puts into the program's calls.
    faults: super::faults::Injector,
}

impl<'t> Calls<'t> {
    pub fn new(tracer: &'t Tracer, all_fds: bool) -> Calls<'t> {
        let faults = super::faults::Injector::new(super::faults::Faults::default());
        Calls {
            tracer,
            all_fds,
            told: RefCell::new(Vec::new()),
            faults,
        }
    }

    /// The same, putting these faults into the program's calls.
    pub fn with_faults(self, faults: super::faults::Faults) -> Calls<'t> {
        Calls {
            faults: super::faults::Injector::new(faults),
            ..self
        }
    }

    /// `--eintr`: skips this call on a socket, if its fault says so, and says why. Corresponds to
    /// `ptrace(PTRACE_SETREGS)` with the call's number -1: the kernel runs no call at all.
    fn skip(&self, call: Syscall, mem: Memory, actor: &str) -> bool {
        if !self.faults.interrupt(call) {
            return false;
        }
        let Ok(mut regs) = nix::sys::ptrace::getregs(mem.pid) else {
            return false;
        };
        regs.orig_rax = u64::MAX;
        if nix::sys::ptrace::setregs(mem.pid, regs).is_err() {
            return false;
        }
        self.tracer.note(
            actor,
            &crate::i18n::f(crate::i18n::M::FaultInterrupted, &[&call.name()]),
        );
        true
    }

    /// The exit of a call `--eintr` skipped: its result becomes -EINTR, as a signal's would.
    fn say_eintr(&self, mem: Memory) -> Option<i64> {
        let eintr = -(nix::errno::Errno::EINTR as i64);
        let mut regs = nix::sys::ptrace::getregs(mem.pid).ok()?;
        regs.rax = eintr as u64;
        nix::sys::ptrace::setregs(mem.pid, regs).ok()?;
        Some(eintr)
    }

    /// `--short-reads`, `--short-writes`: shortens this call on a socket, if its fault says
    /// so — the length register changed at the call's entry, before the kernel reads it — and
    /// says so in the trace. Corresponds to `ptrace(PTRACE_GETREGS)` and `ptrace(PTRACE_SETREGS)`.
    fn alter(
        &self,
        call: Syscall,
        raw: &mut [u64; 6],
        mem: Memory,
        actor: &str,
        sock: std::os::fd::BorrowedFd<'_>,
    ) {
        if !self.faults.may_shorten(call) {
            return;
        }
        let waiting = crate::sys::bytes_to_read(sock).unwrap_or(0) as u64;
        let Some(n) = self.faults.shorten(call, raw[2], waiting) else {
            return;
        };
        let Ok(mut regs) = nix::sys::ptrace::getregs(mem.pid) else {
            return;
        };
        // x86_64's system call convention: the third argument is in rdx.
        regs.rdx = n;
        if nix::sys::ptrace::setregs(mem.pid, regs).is_err() {
            return;
        }
        let (name, flag) = match super::faults::way_of(call) {
            Some(super::faults::Way::Read) => (call.name(), "--short-reads"),
            _ => (call.name(), "--short-writes"),
        };
        let text = crate::i18n::f(crate::i18n::M::FaultShortened, &[&name, &n, &raw[2], &flag]);
        self.tracer.note(actor, &text);
        raw[2] = n;
    }

    /// Says, the first time only, what the program does that the trace cannot show.
    pub fn tell_once(&self, what: Unseen, actor: &str) {
        let mut told = self.told.borrow_mut();
        if !told.contains(&what) {
            told.push(what);
            self.tracer.emit(Event::words(
                Kind::Note,
                actor,
                i18n::t(what.words()).to_string(),
            ));
        }
    }

    /// The entry of `call`: `None` if the trace does not show it (a `read()` of a file).
    pub fn entry(
        &self,
        proc: &mut Process,
        mem: Memory,
        actor: &str,
        call: Syscall,
        mut raw: [u64; 6],
    ) -> Option<Pending<'t>> {
        let fd = match call {
            Syscall::Splice => Some(splice_socket(proc, &raw, self.tracer, actor)),
            _ => decode::fd_of(call, &raw),
        };
        let (copy, inode, blind) = self.fd_at_entry(proc, (mem, actor), call, &mut raw, fd)?;
        let args = decode::entry_args(call, &raw, mem);
        let mut rec = Recording::start(self.tracer, actor, call, fd, args);
        if let Some(why) = blind {
            // Not "nothing to compare" (–): there was, and lab could not look.
            (rec.ev.verdict, rec.ev.reason) = (Verdict::Unavailable, Some(why));
        }
        if let Some(sock) = inode.and_then(|i| proc.sock_mut(i)) {
            rec.set_socket(sock.info());
        }
        if let Some(c) = &copy {
            rec = rec.before(c.as_fd());
        }
        let skipped = inode.is_some() && self.skip(call, mem, actor);
        let mut p = Pending {
            call,
            raw,
            rec,
            copy,
            inode,
            look: None,
            wait: None,
            started: Instant::now(),
            skipped,
        };
        if call == Syscall::Close {
            Self::close_entry(&mut p, proc, mem.pid.as_raw() as u32);
        } else if decode::may_block(call) {
            p.wait = Some(Place::new(self.tracer));
        }
        // The program is stopped at the call's entry and lab has taken its looks: the call
        // itself comes next, when the program is let go.
        p.rec.about_to_call();
        Some(p)
    }

    /// What the trace knows of the fd a call is on, at its entry: our copy of the fd and its
    /// socket's inode (none for a file), or why it cannot know; `None` if the trace does not
    /// show the call. A call on
    /// a socket may be shortened here (`--short-reads`, `--short-writes`: see `alter`).
    fn fd_at_entry(
        &self,
        proc: &mut Process,
        (mem, actor): (Memory, &str),
        call: Syscall,
        raw: &mut [u64; 6],
        fd: Option<RawFd>,
    ) -> Option<AtEntry> {
        let (copy, inode, shown) = match fd {
            None => {
                let about = (self.tracer, self.all_fds, actor);
                let shown = decode::shown_without_fd(call, raw, mem, proc, about);
                (None, None, shown)
            }
            Some(fd) => match proc.look(fd, self.tracer, actor) {
                Looked::Socket(copy, sock) => {
                    self.alter(call, raw, mem, actor, copy.as_fd());
                    let shown = sock.shown(self.all_fds);
                    (Some(copy), Some(sock.inode), shown)
                }
                Looked::Other(copy) => (Some(copy), None, self.all_fds),
                // Not open: the call fails with EBADF, a bug worth seeing with --all-fds.
                Looked::Closed => (None, None, self.all_fds),
                // Out of sight: a socket call is shown, unchecked, rather than left out (a
                // `read` or `close` may be on a file: only with --all-fds); the words why, once
                // for each reason.
                Looked::Blind { why, new } => {
                    if new {
                        let words = i18n::f(M::TraceBlind, &[&why]);
                        self.tracer.emit(Event::words(Kind::Note, actor, words));
                    }
                    let shown = self.all_fds || !call.on_any_fd();
                    return shown.then_some((None, None, Some(why)));
                }
            },
        };
        shown.then_some((copy, inode, None))
    }

    /// Shows a call that has been waiting as blocked, in its place (its entry).
    pub fn show_blocked(&self, p: &mut Pending<'t>) {
        let Some(place) = p.wait.take() else { return };
        let mut ev = p.rec.ev.clone();
        ev.detail = Some(Detail::Blocked);
        place.fill(ev);
    }

    /// A call whose thread ended before it returned (the process exited or was killed, or
    /// another thread called `exec()`): shown in its place if it was not shown yet, else
    /// after its "blocked" line — strace's `<unfinished ...>` with no `<... resumed>`.
    pub fn unfinished(&self, mut p: Pending<'t>) {
        let mut ev = p.rec.ev.clone();
        (ev.ret, ev.detail) = (None, Some(Detail::Unfinished));
        match p.wait.take() {
            Some(place) => place.fill(ev),
            None => self.tracer.emit(ev),
        }
    }

    /// Forgets a call whose exit the tracer will not see (it detaches): its place, if it
    /// held one, is given up as it is dropped.
    pub fn abandon(&self, p: Pending<'t>) {
        drop(p);
    }

    /// The exit of a call: its result, what it wrote back, the state after, the check.
    pub fn exit(&self, proc: &mut Process, mem: Memory, mut p: Pending<'t>, ret: i64) {
        let ret = if p.skipped {
            self.say_eintr(mem).unwrap_or(ret)
        } else {
            ret
        };
        // Its place is given up: the call took effect now, and its event takes a new one —
        // except a write's. Its bytes may reach the peer, and the peer's recv() return in
        // another traced process, before this exit stop is seen: it took effect somewhere
        // between its entry and now, so it keeps the place taken at its entry, before any
        // recv() of its bytes and before the segment that carried them.
        match p.wait.take() {
            Some(mut place) if p.call.writes_data() => {
                if let Some(t) = place.ticket.take() {
                    p.rec.keep_place(t);
                }
            }
            other => drop(other),
        }
        if let Some((_, code)) = RESTART_CODES.iter().find(|(c, _)| -ret == *c) {
            p.rec.result(&Ok(()), |_, _| 0);
            (p.rec.ev.ret, p.rec.ev.detail) = (None, Some(Detail::Interrupted(code)));
            return p.rec.emit();
        }
        let result = if ret < 0 {
            Err(io::Error::from_raw_os_error(-ret as i32))
        } else {
            Ok(ret)
        };
        p.rec.result(&result, |_, r| *r);
        let sock = p.inode.and_then(|i| proc.sock_mut(i));
        decode::exit_details(&mut p.rec.ev, &p.raw, mem, ret, sock.as_deref());
        // Said of a socket only: with --all-fds, a splice() between a pipe and a file hides
        // nothing the trace means to show.
        let on_socket = p.inode.is_some();
        let unseen = Unseen::of(p.call)
            .filter(|_| ret >= 0 && on_socket)
            .map(|u| (u, p.rec.ev.actor.clone()));
        match p.call {
            Syscall::Close => self.close_exit(p, proc),
            Syscall::Socket | Syscall::Accept | Syscall::Accept4 if ret >= 0 => {
                self.new_socket(p, proc, ret)
            }
            _ => self.on_socket(p, proc, ret),
        }
        if let Some((what, actor)) = unseen {
            self.tell_once(what, &actor);
        }
    }

    /// A call on a socket (or another fd with `--all-fds`): what it changed of what the trace
    /// knows, then the state after and the check.
    fn on_socket(&self, mut p: Pending<'t>, proc: &mut Process, ret: i64) {
        if let Some(fd) = decode::fd_replaced(p.call, &p.raw, ret) {
            proc.duplicated(p.raw[0] as RawFd, fd);
        }
        if p.call == Syscall::CloseRange && ret == 0 {
            let gone = proc.forget_range(p.raw[0] as RawFd, p.raw[1].min(i32::MAX as u64) as RawFd);
            p.rec.ev.note =
                (!gone.is_empty()).then(|| format!("closed the sockets on fds {gone:?}"));
        }
        let (Some(copy), Some(sock)) = (p.copy.take(), p.inode.and_then(|i| proc.sock_mut(i)))
        else {
            return p.rec.emit();
        };
        decode::learn(p.call, &p.raw, &mut p.rec.ev, ret, sock);
        if sock.listening {
            p.rec.set_socket(sock.info());
        }
        finish(&mut p.rec, &copy, sock);
        p.rec.emit();
    }

    /// `socket()` or `accept()` made a new fd: the state and the check are the new socket's.
    fn new_socket(&self, mut p: Pending<'t>, proc: &mut Process, ret: i64) {
        let fd = ret as RawFd;
        let actor = p.rec.ev.actor.clone();
        let Looked::Socket(copy, sock) = proc.look(fd, self.tracer, &actor) else {
            return p.rec.emit();
        };
        if let Some(Detail::Accepted { peer, .. }) = p.rec.ev.detail {
            sock.ends.peer = Some(peer);
        }
        if p.call == Syscall::Socket {
            p.rec.ev.fd = Some(fd);
        } else {
            p.rec.ev.before = None;
        }
        p.rec.set_socket(sock.info());
        finish(&mut p.rec, &copy, sock);
        p.rec.emit();
    }

    /// `close()`'s entry (by process `pid`): its last look at the socket, then our copy is
    /// dropped, so that the program's close is the last reference and the kernel sends its FIN.
    fn close_entry(p: &mut Pending<'t>, proc: &mut Process, pid: u32) {
        let (Some(copy), Some(sock)) = (p.copy.take(), p.inode.and_then(|i| proc.sock_mut(i)))
        else {
            return;
        };
        let known = (Some(sock.inode), sock.abortive);
        p.look = Some(LastLook::take(copy.as_fd(), sock.ends.peer, known, pid));
    }

    /// `close()`'s exit: the fd is gone; the connection is followed by its 4-tuple, unless
    /// another fd still holds the socket (then this close only dropped one reference: the
    /// verdict says who holds it, [`close::judge_close`]).
    fn close_exit(&self, mut p: Pending<'t>, proc: &mut Process) {
        let fd = p.raw[0] as RawFd;
        proc.forget(fd);
        let Some(look) = p.look.take() else {
            return p.rec.emit();
        };
        close::record_gone(&mut p.rec, &look);
        close::judge_close(&mut p.rec, &look);
        let ev = &mut p.rec.ev;
        if let (Verdict::Differs, Some(before)) = (ev.verdict, ev.before) {
            (ev.verdict, ev.reason) =
                transitions::close_verdict_after_gap(before, look.abort, &ev.kernel_path);
        }
        p.rec.emit();
    }
}

/// `splice()` moves data between a pipe and another fd, either way: the fd the trace follows
/// is the one that is a socket (the output, else the input).
fn splice_socket(proc: &mut Process, raw: &[u64; 6], tracer: &Tracer, actor: &str) -> RawFd {
    let out = raw[2] as RawFd;
    if matches!(proc.look(out, tracer, actor), Looked::Socket(..)) {
        out
    } else {
        raw[0] as RawFd
    }
}

/// The state after the call, the socket's ends, and the kernel table's verdict.
fn finish(rec: &mut Recording<'_>, copy: &OwnedFd, sock: &mut Sock) {
    if sock.proto == Proto::NotSocket {
        return;
    }
    if sock.proto == Proto::Tcp && rec.settle_by_row(copy.as_fd(), sock.ends, sock.inode) {
        return;
    }
    let now = rec.settle(copy.as_fd());
    let ends = sock.ends.learn(copy.as_fd(), now);
    rec.addresses(ends.local, ends.peer);
    if matches!(sock.proto, Proto::Tcp | Proto::Udp) {
        rec.check(copy.as_fd(), now, ends.local, ends.peer);
    }
}
