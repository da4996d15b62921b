//! Which of a traced process's fds are sockets, and which socket each is.
//!
//! A system call names a fd by number; the tracer must know what the number stands for *now*.
//! Numbers are reused — `close(4)` then `accept()` gives 4 again — and while one thread is
//! stopped, the others run on and may close or reuse any fd. So a fd is never trusted from
//! memory: at each call the tracer copies it into itself (`pidfd_getfd(2)`, allowed to a
//! tracer), and the copy's inode (`fstat(2)`) says which socket it is. What the trace knows of a
//! socket (its peer, whether it was shut down for reading, its id for the kernel observer) is
//! kept by inode, the one name that does not move.
//!
//! The copy is an open reference to the socket: it is dropped before the program's own
//! `close()` goes ahead, or the socket would outlive it and no FIN would be sent.
//!
//! Copying costs three system calls (`pidfd_getfd`, `fstat`, and `close` after the call), so a
//! socket's copy is kept from its first use until the program can no longer hold that fd — the
//! same fd number naming the same socket meanwhile, because every way a program gives up a fd
//! stops the tracer first: `close()`, `dup2()`/`dup3()` onto it and `close_range()` at their
//! entry, `exec()` and the program's exit at their events ([`Process::release`],
//! [`Process::release_all`]). An fd number can only name another socket once it was given up,
//! so a kept copy is always the socket the fd holds now.

use crate::sys;
use crate::trace::ends::Ends;
use crate::trace::Actor;
use crate::trace::{SocketInfo, Tracer};
use nix::unistd::Pid;
use socket2::{Domain, SockRef, Type};
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// What kind of socket: the trace shows TCP and UDP ones (`--all-fds`: every fd).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    /// Another socket (AF_UNIX, netlink, …).
    OtherSocket,
    /// Not a socket: a file, a pipe, a terminal (shown with `--all-fds`, without states).
    NotSocket,
}

/// What the trace knows of one socket of a traced process.
pub struct Sock {
    pub inode: u64,
    pub proto: Proto,
    /// How the tracer and its kernel observer know it.
    pub id: u64,
    pub busy: Arc<AtomicBool>,
    pub actor: Arc<Mutex<Actor>>,
    /// Its ends as far as known: the peer `connect()` was given or `accept()` returned, its own
    /// address once connected or listening (see [`Ends`]).
    pub ends: Ends,
    /// `shutdown(SHUT_RD)` was called: a later EOF is this side's own doing.
    pub read_shut: bool,
    /// SO_LINGER with timeout 0 was set: `close()` will send RST.
    pub abortive: bool,
    /// It listens (its inode tells it apart from another listener on the same port).
    pub listening: bool,
}

impl Sock {
    /// What the tracer is told of this socket with each of its calls.
    pub fn info(&self) -> SocketInfo {
        SocketInfo {
            id: self.id,
            busy: self.busy.clone(),
            // Every socket's, not only a listener's: a process that inherited a listener and
            // never called listen() on it names it by inode too (see `Watches::hand_over`).
            inode: Some(self.inode),
            actor: self.actor.clone(),
        }
    }

    /// A `fork()`ed child's copy (see [`Process::forked`]): the same socket and id, named
    /// apart.
    fn inherited(&self) -> Sock {
        let name = self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Sock {
            busy: self.busy.clone(),
            actor: Arc::new(Mutex::new(name)),
            ..*self
        }
    }

    /// Whether the trace shows its calls.
    pub fn shown(&self, all_fds: bool) -> bool {
        all_fds || matches!(self.proto, Proto::Tcp | Proto::Udp)
    }
}

/// The tracer's copy of a traced program's fd, shared by the calls in progress on it and kept
/// (for a socket) while the program holds the fd.
pub type FdCopy = Rc<OwnedFd>;

/// One traced process (its threads share the fd table).
pub struct Process {
    /// How the tracer reaches the process's fds, or why it cannot (`pidfd_open(2)` refused).
    pidfd: Result<OwnedFd, String>,
    /// Why the tracer last could not copy one of the process's fds, as last told to the trace:
    /// told again only when the reason changes.
    told_blind: Option<String>,
    /// What is known of each socket, by inode.
    socks: HashMap<u64, Sock>,
    /// The inode each fd held when last looked at (a hint; every use checks it again).
    fds: HashMap<RawFd, u64>,
    /// Our copy of each socket fd the program holds, with its inode (see the module's doc).
    kept: HashMap<RawFd, (FdCopy, u64)>,
    /// At most this many copies are kept: lab's own fds are limited (`RLIMIT_NOFILE`).
    keep_max: usize,
}

/// A fd of the traced process, looked at now.
pub enum Looked<'p> {
    /// A socket: our copy of it, and what the trace knows of it.
    Socket(FdCopy, &'p mut Sock),
    /// Open, not a socket.
    Other(FdCopy),
    /// Not open (the call will fail with EBADF).
    Closed,
    /// The tracer cannot look at the fd (`pidfd_open` or `pidfd_getfd` refused, not with
    /// EBADF): the call is shown with no kernel check, and why; `new` when the trace has not
    /// been told that reason yet.
    Blind { why: String, new: bool },
}

/// What copying a fd of the traced process found.
enum Copied {
    Socket(FdCopy, u64),
    Other(FdCopy),
    Closed,
    Blind(String),
}

impl Process {
    pub fn new(pid: Pid) -> Process {
        Process {
            pidfd: sys::pidfd_open(pid.as_raw()).map_err(|e| format!("pidfd_open({pid}): {e}")),
            told_blind: None,
            socks: HashMap::new(),
            fds: HashMap::new(),
            kept: HashMap::new(),
            keep_max: keep_max(),
        }
    }

    /// The process `pid` that `fork()` made of this one: a copy of its fd table, so the same
    /// sockets, known by the same ids and with one busy flag each — one socket, one story: the
    /// kernel observer follows it once, and leaves it alone while either process is in a call
    /// on it. Each process's calls are its own: a socket is named after the one that used it
    /// last (`look`), and the tracer's copies of the fds are each process's own.
    pub fn forked(&self, pid: Pid) -> Process {
        let socks = self.socks.iter().map(|(inode, s)| (*inode, s.inherited()));
        Process {
            socks: socks.collect(),
            fds: self.fds.clone(),
            ..Process::new(pid)
        }
    }

    /// Looks at fd `fd` now, learning the socket if it is new. `actor` names it.
    pub fn look(&mut self, fd: RawFd, tracer: &Tracer, actor: &str) -> Looked<'_> {
        let (copy, inode) = match self.kept.get(&fd) {
            Some((copy, inode)) => (copy.clone(), *inode),
            None => match self.copy(fd) {
                Copied::Socket(copy, inode) => (copy, inode),
                Copied::Closed => return Looked::Closed,
                Copied::Other(other) => return Looked::Other(other),
                Copied::Blind(why) => {
                    let new = self.told_blind.as_ref() != Some(&why);
                    self.told_blind = Some(why.clone());
                    return Looked::Blind { why, new };
                }
            },
        };
        // The fd may have held another socket, closed out of sight (by another process
        // sharing the table, or a call the trace does not stop at).
        if let Some(old) = self.fds.insert(fd, inode).filter(|old| *old != inode) {
            self.prune(old);
        }
        let sock = self.socks.entry(inode).or_insert_with(|| Sock {
            inode,
            proto: proto_of(&copy),
            id: tracer.socket_id(),
            busy: Arc::new(AtomicBool::new(false)),
            actor: Arc::new(Mutex::new(actor.into())),
            ends: Ends::default(),
            read_shut: false,
            abortive: false,
            listening: false,
        });
        // Its kernel events are named after the thread that used it last.
        let mut owner = sock.actor.lock().unwrap_or_else(|p| p.into_inner());
        if *owner != actor {
            *owner = actor.into();
        }
        drop(owner);
        Looked::Socket(copy, sock)
    }

    /// Copies fd `fd` into the tracer (`pidfd_getfd(2)`) and tells what it is (`fstat(2)`):
    /// a socket, kept if there is room, with its inode; not open (only EBADF says so); open
    /// and no socket; or out of the tracer's sight, with why.
    fn copy(&mut self, fd: RawFd) -> Copied {
        let pidfd = match &self.pidfd {
            Ok(pidfd) => pidfd,
            Err(why) => return Copied::Blind(why.clone()),
        };
        let copy = match sys::pidfd_getfd(pidfd.as_fd(), fd) {
            Ok(copy) => copy,
            Err(e) if e.raw_os_error() == Some(libc::EBADF) => {
                self.forget(fd);
                return Copied::Closed;
            }
            // EPERM, or EMFILE when lab's own fds run out: this fd is out of sight, not gone.
            Err(e) => return Copied::Blind(format!("pidfd_getfd: {e}")),
        };
        let stat = match nix::sys::stat::fstat(copy.as_fd()) {
            Ok(stat) => stat,
            Err(e) => return Copied::Blind(format!("fstat: {e}")),
        };
        let copy = Rc::new(copy);
        if stat.st_mode & libc::S_IFMT != libc::S_IFSOCK {
            self.forget(fd);
            return Copied::Other(copy);
        }
        if self.kept.len() < self.keep_max {
            self.kept.insert(fd, (copy.clone(), stat.st_ino));
        }
        Copied::Socket(copy, stat.st_ino)
    }

    /// The program is about to give up fds `first..=last` (`close()`, `dup2()` onto it,
    /// `close_range()`): our kept copies of them go first, so that its call drops the last
    /// reference, as without the trace. (A call in progress on one holds its own until it
    /// returns, as the program's own call does.)
    pub fn release(&mut self, first: RawFd, last: RawFd) {
        if first == last {
            self.kept.remove(&first);
        } else {
            self.kept.retain(|fd, _| !(first..=last).contains(fd));
        }
    }

    /// Every kept copy goes: the program is exiting or `exec()`ing, and the kernel closes its
    /// fds (all of them, or the close-on-exec ones).
    pub fn release_all(&mut self) {
        self.kept.clear();
    }

    /// The socket fd `fd` held when last looked at, without looking again (for the fds of a
    /// `poll()` list, whose calls do not change them).
    pub fn known(&self, fd: RawFd) -> Option<&Sock> {
        self.fds.get(&fd).and_then(|i| self.socks.get(i))
    }

    /// The socket with this inode.
    pub fn sock_mut(&mut self, inode: u64) -> Option<&mut Sock> {
        self.socks.get_mut(&inode)
    }

    /// Whether any shown socket is known (an `epoll_wait()` is then worth showing).
    pub fn has_shown_sockets(&self, all_fds: bool) -> bool {
        self.fds
            .values()
            .any(|i| self.socks.get(i).is_some_and(|s| s.shown(all_fds)))
    }

    /// The fd no longer holds what it held (closed, or replaced by `dup2()`). What the trace
    /// knew of its socket goes with the socket's last fd: a server that runs for a day and
    /// accepts a million connections must not remember them all.
    pub fn forget(&mut self, fd: RawFd) {
        self.kept.remove(&fd);
        if let Some(inode) = self.fds.remove(&fd) {
            self.prune(inode);
        }
    }

    /// `new` is a copy of `old` (`dup()`, `dup2()`, `F_DUPFD`): the same socket, one more fd.
    pub fn duplicated(&mut self, old: RawFd, new: RawFd) {
        self.forget(new);
        if let Some(inode) = self.fds.get(&old).copied() {
            self.fds.insert(new, inode);
        }
    }

    /// Forgets the socket with this inode if no fd (that the trace knows of) holds it any more.
    fn prune(&mut self, inode: u64) {
        if !self.fds.values().any(|i| *i == inode) {
            self.socks.remove(&inode);
        }
    }

    /// The sockets among fds `first..=last`, and forgets those fds (`close_range()`).
    pub fn forget_range(&mut self, first: RawFd, last: RawFd) -> Vec<RawFd> {
        let gone: Vec<RawFd> = self
            .fds
            .keys()
            .copied()
            .filter(|fd| (first..=last).contains(fd))
            .collect();
        for fd in &gone {
            self.forget(*fd);
        }
        gone
    }

    /// After `exec()`: close-on-exec fds are gone, the others stay. Each fd known is looked at
    /// once more: one that still holds its socket keeps it (and its id), the rest are forgotten.
    pub fn exec(&mut self) {
        self.release_all();
        let known: Vec<(RawFd, u64)> = self.fds.iter().map(|(fd, i)| (*fd, *i)).collect();
        for (fd, inode) in known {
            if self.inode_at(fd) != Some(inode) {
                self.forget(fd);
            }
        }
    }

    /// The inode fd `fd` holds now, if it is open.
    fn inode_at(&self, fd: RawFd) -> Option<u64> {
        let copy = sys::pidfd_getfd(self.pidfd.as_ref().ok()?.as_fd(), fd).ok()?;
        nix::sys::stat::fstat(copy.as_fd()).ok().map(|st| st.st_ino)
    }
}

/// How many copies a process's fds may keep open in lab: half of lab's own limit of open
/// files (`getrlimit(RLIMIT_NOFILE)`), the rest for lab's other uses.
fn keep_max() -> usize {
    use nix::sys::resource::{getrlimit, Resource};
    let soft = getrlimit(Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft);
    usize::try_from(soft / 2).unwrap_or(usize::MAX).min(1 << 16)
}

/// TCP, UDP, or another socket, from the copy's own options (`SO_DOMAIN`, `SO_TYPE`).
fn proto_of(copy: &OwnedFd) -> Proto {
    let sock = SockRef::from(copy);
    let inet = matches!(sock.domain(), Ok(d) if d == Domain::IPV4 || d == Domain::IPV6);
    match sock.r#type() {
        Ok(t) if inet && t == Type::STREAM => Proto::Tcp,
        Ok(t) if inet && t == Type::DGRAM => Proto::Udp,
        _ => Proto::OtherSocket,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Discard;
    use std::os::fd::AsRawFd;

    /// A fork()ed child knows its parent's sockets by the same ids, with one busy flag each,
    /// and names them apart.
    #[test]
    fn a_forked_child_knows_its_parents_sockets_as_the_same_ones() {
        let tracer = Tracer::new(Arc::new(Discard));
        let me = nix::unistd::getpid();
        let mut parent = Process::new(me);
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let Looked::Socket(_, sock) = parent.look(l.as_raw_fd(), &tracer, "parent") else {
            panic!("a socket");
        };
        let (id, busy) = (sock.id, sock.busy.clone());
        let mut child = parent.forked(me);
        let Looked::Socket(_, copy) = child.look(l.as_raw_fd(), &tracer, "child") else {
            panic!("a socket");
        };
        assert_eq!(copy.id, id);
        assert!(Arc::ptr_eq(&copy.busy, &busy));
        assert_eq!(*copy.actor.lock().unwrap(), "child");
        let Looked::Socket(_, mine) = parent.look(l.as_raw_fd(), &tracer, "parent") else {
            panic!("a socket");
        };
        assert_eq!(*mine.actor.lock().unwrap(), "parent");
    }

    /// This test's own process stands for the traced one: the tracer may copy its fds too.
    #[test]
    fn a_socket_is_forgotten_with_its_last_fd() {
        let tracer = Tracer::new(Arc::new(Discard));
        let mut proc = Process::new(nix::unistd::getpid());
        let mut open = Vec::new();
        for _ in 0..100 {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            assert!(matches!(
                proc.look(l.as_raw_fd(), &tracer, "t"),
                Looked::Socket(..)
            ));
            proc.forget(l.as_raw_fd());
            open.push(l);
        }
        assert_eq!(
            proc.socks.len(),
            0,
            "100 sockets looked at, each fd forgotten"
        );

        // Two fds for one socket: it is remembered until the second goes.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let copy = l.try_clone().unwrap();
        assert!(matches!(
            proc.look(l.as_raw_fd(), &tracer, "t"),
            Looked::Socket(..)
        ));
        proc.duplicated(l.as_raw_fd(), copy.as_raw_fd());
        proc.forget(l.as_raw_fd());
        assert_eq!(proc.socks.len(), 1);
        proc.forget(copy.as_raw_fd());
        assert_eq!(proc.socks.len(), 0);
    }
}
