//! The traced socket: a socket2 socket whose every call becomes one trace event.
//!
//! Each method makes one system call (the doc names it) and, when tracing is on, records it
//! through `Recording`: the fd's TCP state before and after, a bounded wait for an
//! asynchronous change to finish (an ACK of our FIN takes ~40 ms when the peer delays it), the
//! kernel table's verdict, one [`Event`]. When tracing is off (`tracer` is `None`) a method is
//! the bare call and one branch: no state reads, no lookups, no allocation.

use super::close::{self, LastLook};
use super::doorbell::Held;
use super::ends::Ends;
use super::event::Actor;
use super::event::{Arg, Detail, Event};
use super::names;
use super::order::SocketInfo;
use super::record::Recording;
use super::sockopt::SockOpt;
use super::spare;
use super::syscall::Syscall;
use super::tracer::Tracer;
use crate::kernel::table;
use crate::tcp_state::TcpState;
use crate::transitions;
use nix::sys::socket::SockaddrStorage;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The flags of every `send()`: MSG_NOSIGNAL, so that writing to a connection the peer reset
/// fails with EPIPE instead of killing the process with SIGPIPE. (Linux has the flag; elsewhere
/// Rust's runtime already ignores SIGPIPE.)
#[cfg(target_os = "linux")]
const SEND_FLAGS: i32 = libc::MSG_NOSIGNAL;
#[cfg(not(target_os = "linux"))]
const SEND_FLAGS: i32 = 0;

/// A socket whose calls are traced. Dropping it closes it, and that close is traced too.
pub struct TracedSocket {
    /// `None` only while being closed.
    sock: Option<Socket>,
    tracer: Option<Arc<Tracer>>,
    /// Shared with the kernel observer, which names the socket's kernel events after it.
    actor: Arc<Mutex<Actor>>,
    /// Its ends as far as known: the peer given to `connect()` or returned by `accept()`, our
    /// address once connected or listening (see [`Ends`]).
    ends: Mutex<Ends>,
    /// SO_LINGER with timeout 0 was set: `close()` will send RST.
    abortive: AtomicBool,
    /// `shutdown(SHUT_RD)` or `SHUT_RDWR` was called: a later EOF is our own doing, not the peer's.
    read_shut: AtomicBool,
    /// How the tracer knows this socket (0 when untraced).
    id: u64,
    /// A traced call on it is in progress: the kernel observer leaves it alone meanwhile.
    busy: Arc<AtomicBool>,
    /// Its inode, read once it listens (another listener may share its port).
    inode: OnceLock<u64>,
    /// Its inode, read once for its checks by row (see [`TracedSocket::by_row`]).
    row_inode: OnceLock<u64>,
    /// Its state as last read, while the tracer's doorbell stays silent for it (a busy
    /// server's `send()` and `recv()` then need not read it again: see `super::doorbell`).
    held: Held,
    /// It is followed by the tracer's doorbell.
    rings: AtomicBool,
}

impl TracedSocket {
    /// Creates a socket. Corresponds to `socket(2)`; socket2 adds `SOCK_CLOEXEC` so the fd is
    /// not inherited by programs this one starts, and the trace shows it.
    pub fn new(
        tracer: Option<Arc<Tracer>>,
        actor: &str,
        domain: Domain,
        ty: Type,
        protocol: Option<Protocol>,
    ) -> io::Result<TracedSocket> {
        let Some(t) = tracer.clone() else {
            return Ok(TracedSocket::wrap(
                Socket::new(domain, ty, protocol)?,
                None,
                actor,
            ));
        };
        let args = vec![
            Arg::Const(names::family(i32::from(domain))),
            Arg::Const(format!("{}|SOCK_CLOEXEC", names::sock_type(i32::from(ty))).into()),
            Arg::Const(names::protocol(protocol.map(i32::from).unwrap_or(0))),
        ];
        let mut rec = Recording::start(&t, actor, Syscall::Socket, None, args);
        let result =
            Socket::new(domain, ty, protocol).map(|s| TracedSocket::wrap(s, tracer, actor));
        rec.result(&result, |ev, me| {
            ev.fd = Some(me.fd());
            i64::from(me.fd())
        });
        match &result {
            Ok(me) => me.finish(rec.on(me.info()), true),
            Err(_) => rec.emit(),
        }
        result
    }

    /// What the tracer is told of this socket with each of its calls.
    fn info(&self) -> SocketInfo {
        SocketInfo {
            id: self.id,
            busy: self.busy.clone(),
            inode: self.inode.get().copied(),
            actor: self.actor.clone(),
        }
    }

    /// Wraps an existing socket (from `accept()`) with the same tracer.
    fn wrap(sock: Socket, tracer: Option<Arc<Tracer>>, actor: &str) -> TracedSocket {
        TracedSocket {
            id: tracer.as_ref().map_or(0, |t| t.socket_id()),
            busy: Arc::new(AtomicBool::new(false)),
            inode: OnceLock::new(),
            row_inode: OnceLock::new(),
            held: Held::default(),
            rings: AtomicBool::new(false),
            sock: Some(sock),
            tracer,
            actor: Arc::new(Mutex::new(actor.into())),
            ends: Mutex::new(Ends::default()),
            abortive: AtomicBool::new(false),
            read_shut: AtomicBool::new(false),
        }
    }

    fn sock(&self) -> &Socket {
        // `sock` is taken only by `close()` and `drop()`, which consume or end `self`.
        self.sock.as_ref().expect("socket used after close")
    }

    /// The fd number.
    pub fn fd(&self) -> RawFd {
        self.sock().as_raw_fd()
    }

    /// The tracer its calls go to, if traced (a `poll()` on it is traced by the same one).
    pub fn tracer(&self) -> Option<&Tracer> {
        self.tracer.as_deref()
    }

    /// Whether calls on this socket are traced.
    pub fn is_traced(&self) -> bool {
        self.tracer.is_some()
    }

    /// Who the trace says makes the calls.
    pub fn actor(&self) -> Actor {
        self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Renames the actor, e.g. once a chat client has told its name.
    pub fn set_actor(&self, name: &str) {
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) = name.into();
    }

    /// Whether `shutdown(SHUT_RD)` (or `SHUT_RDWR`) was called: `recv()` then returns 0 at once.
    pub fn is_read_shut(&self) -> bool {
        self.read_shut.load(Ordering::Relaxed)
    }

    /// Our address (`getsockname(2)`, untraced: the trace uses it, the program didn't ask).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        as_inet(self.sock().local_addr()?)
    }

    /// The peer's address (`getpeername(2)`, untraced).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        as_inet(self.sock().peer_addr()?)
    }

    /// Ends tracing of this socket and hands back the bare socket2 socket: what a lesson does
    /// with its leftovers, so that cleaning up adds nothing to the trace.
    pub fn untrace(mut self) -> Socket {
        self.unfollow();
        // `sock` is only taken here, by close() and by drop, each of which ends `self`.
        self.sock.take().expect("socket present until closed")
    }

    /// Sets an option. Corresponds to `setsockopt(fd, level, name, value)`:
    /// `setsockopt(SockOpt::NoDelay(true))` is `setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1)`.
    pub fn setsockopt(&self, opt: SockOpt) -> io::Result<()> {
        let (level, name) = opt.level_and_name();
        let args = || {
            vec![
                Arg::Fd(self.fd()),
                Arg::Const(level.into()),
                Arg::Const(name.into()),
                opt.value(),
            ]
        };
        self.call(Syscall::Setsockopt, args, false, |s| opt.apply(s), |_, _| 0)?;
        if let SockOpt::Linger(l) = opt {
            self.abortive
                .store(l == Some(Duration::ZERO), Ordering::Relaxed);
        }
        Ok(())
    }

    /// Turns `O_NONBLOCK` on or off. Corresponds to `fcntl(fd, F_GETFL)` then
    /// `fcntl(fd, F_SETFL, flags)`; the trace shows the second, the one that changes something.
    /// Once on, calls that would wait fail with EAGAIN (or EINPROGRESS for `connect()`).
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        let flags = if on { "O_RDWR|O_NONBLOCK" } else { "O_RDWR" };
        let args = || {
            vec![
                Arg::Fd(self.fd()),
                Arg::Const("F_SETFL".into()),
                Arg::Const(flags.into()),
            ]
        };
        self.call(
            Syscall::Fcntl,
            args,
            false,
            |s| s.set_nonblocking(on),
            |_, _| 0,
        )
    }

    /// Gives the socket its local address. Corresponds to `bind(2)`. Fails with EADDRINUSE if
    /// another socket holds the port (a listener, or a TIME-WAIT without SO_REUSEADDR).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        let args = || vec![Arg::Fd(self.fd()), Arg::Addr(addr)];
        self.call(
            Syscall::Bind,
            args,
            true,
            |s| s.bind(&SockAddr::from(addr)),
            |_, _| 0,
        )
    }

    /// Turns the socket into a listener. Corresponds to `listen(2)`. From now on the kernel
    /// completes handshakes by itself and queues up to `backlog` connections for `accept()`.
    pub fn listen(&self, backlog: i32) -> io::Result<()> {
        let args = || vec![Arg::Fd(self.fd()), Arg::Int(i64::from(backlog))];
        self.call(Syscall::Listen, args, true, |s| s.listen(backlog), |_, _| 0)
    }

    /// Connects to `addr`. Corresponds to `connect(2)`. A blocking socket returns once the
    /// handshake is done (ESTAB) or failed (ECONNREFUSED: the peer answered with RST); a
    /// non-blocking one returns EINPROGRESS at once, in SYN-SENT.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.ends().peer = Some(addr);
        let args = || vec![Arg::Fd(self.fd()), Arg::Addr(addr)];
        self.call(
            Syscall::Connect,
            args,
            true,
            |s| s.connect(&SockAddr::from(addr)),
            |_, _| 0,
        )
    }

    /// Takes the next finished connection from the listener's queue. Corresponds to
    /// `accept4(fd, ..., SOCK_CLOEXEC)` (socket2 uses accept4 so the new fd is close-on-exec).
    /// The handshake happened before: accept only hands over a connection the kernel made.
    pub fn accept(&self) -> io::Result<(TracedSocket, SocketAddr)> {
        let actor = self.actor();
        let args = || vec![Arg::Fd(self.fd()), Arg::Const("SOCK_CLOEXEC".into())];
        let rec = self.start(Syscall::Accept4, args);
        let result = self.sock().accept().and_then(|(s, a)| {
            Ok((
                TracedSocket::wrap(s, self.tracer.clone(), &actor),
                as_inet(a)?,
            ))
        });
        let Some(mut rec) = rec else { return result };
        rec.result(&result, |ev, (new, peer)| {
            new.ends().peer = Some(*peer);
            ev.detail = Some(Detail::Accepted {
                fd: new.fd(),
                peer: *peer,
            });
            i64::from(new.fd())
        });
        match &result {
            // The state and the check are the new connection's: that is what accept made.
            Ok((new, _)) => {
                rec.ev.before = None;
                rec.set_socket(new.info());
                new.finish(rec, true);
            }
            Err(e) => {
                if self.read_shut.load(Ordering::Relaxed) && e.raw_os_error() == Some(libc::EINVAL)
                {
                    rec.ev.note = Some(transitions::accept_after_shut_rd().into());
                }
                self.finish(rec, false)
            }
        }
        result
    }

    /// Sends bytes. Corresponds to `send(fd, buf, len, MSG_NOSIGNAL)`: MSG_NOSIGNAL so that
    /// writing to a connection the peer reset fails with EPIPE instead of killing the process
    /// with SIGPIPE. May send fewer bytes than asked (a partial write); returns how many.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, 0)
    }

    /// `send(fd, buf, len, flags | MSG_NOSIGNAL)`; with `MSG_DONTWAIT` this one call does not
    /// block even on a blocking socket: it sends what fits and fails with EAGAIN if nothing does.
    pub fn send_with_flags(&self, buf: &[u8], flags: i32) -> io::Result<usize> {
        let flags = flags | SEND_FLAGS;
        let args = || {
            spare::list([
                Arg::Fd(self.fd()),
                Arg::data(buf),
                count(buf.len()),
                Arg::Const(names::msg_flags(flags)),
            ])
        };
        let op = |s: &Socket| {
            Ok(nix::sys::socket::send(
                s.as_raw_fd(),
                buf,
                nix::sys::socket::MsgFlags::from_bits_truncate(flags),
            )?)
        };
        self.call(Syscall::Send, args, true, op, |_, n| *n as i64)
    }

    /// Sends every byte, calling `send()` as often as needed: a blocking `send()` may still
    /// return early (a signal arrived), and then the rest goes in the next call.
    pub fn send_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.send(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Connects to `host:port` the way `nc` does: `getaddrinfo` (through the standard library)
    /// gives every address of the host, IPv6 and IPv4, and each is tried in turn — a new
    /// socket, `connect()` — until one answers. Returns the last error if none does.
    pub fn connect_host(
        tracer: Option<Arc<Tracer>>,
        actor: &str,
        host: &str,
        port: u16,
    ) -> io::Result<TracedSocket> {
        use std::net::ToSocketAddrs;
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host}: no address"));
        for addr in (host, port).to_socket_addrs()? {
            let sock = TracedSocket::new(
                tracer.clone(),
                actor,
                Domain::for_address(addr),
                Type::STREAM,
                Some(Protocol::TCP),
            )?;
            match sock.connect(addr) {
                Ok(()) => return Ok(sock),
                Err(e) => {
                    last = e;
                    sock.close()?;
                }
            }
        }
        Err(last)
    }

    /// Sends one datagram to `addr`. Corresponds to `sendto(2)`. UDP keeps message boundaries:
    /// one `sendto()` is one `recvfrom()` on the other side, never merged or split.
    pub fn send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        let args = || {
            vec![
                Arg::Fd(self.fd()),
                Arg::data(buf),
                count(buf.len()),
                Arg::Int(0),
                Arg::Addr(addr),
            ]
        };
        self.call(
            Syscall::Sendto,
            args,
            true,
            |s| s.send_to(buf, &SockAddr::from(addr)),
            |_, n| *n as i64,
        )
    }

    /// Receives one datagram and who sent it. Corresponds to `recvfrom(2)`.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (fd, len) = (self.fd(), buf.len());
        // strace shows what arrived in place of the buffer argument.
        let args = |data: Arg| vec![Arg::Fd(fd), data, count(len), Arg::Int(0)];
        let rec = self.start(Syscall::Recvfrom, || args(Arg::Elided));
        let result = nix::sys::socket::recvfrom::<SockaddrStorage>(fd, buf)
            .map_err(io::Error::from)
            .and_then(|(n, from)| {
                Ok((
                    n,
                    from.and_then(|a| storage_inet(&a)).ok_or_else(no_sender)?,
                ))
            });
        let Some(mut rec) = rec else { return result };
        rec.ev.args = args(
            result
                .as_ref()
                .map_or(Arg::Elided, |(n, _)| Arg::data(&buf[..*n])),
        );
        rec.result(&result, |ev, (n, from)| {
            ev.detail = Some(Detail::From(*from));
            *n as i64
        });
        self.finish(rec, true);
        result
    }

    /// Receives bytes into `buf`. Corresponds to `recv(fd, buf, len, 0)`. Returns 0 at end of
    /// stream: the peer closed its side (sent FIN), and this side is now in CLOSE-WAIT.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, 0)
    }

    /// `recv(fd, buf, len, flags)` with `MSG_WAITALL` (wait for the whole buffer), `MSG_PEEK`
    /// (look without taking) or `MSG_DONTWAIT` (don't wait, this once).
    pub fn recv_with_flags(&self, buf: &mut [u8], flags: i32) -> io::Result<usize> {
        let (fd, len) = (self.fd(), buf.len());
        let args = || {
            spare::list([
                Arg::Fd(fd),
                Arg::Elided,
                count(len),
                Arg::Const(names::msg_flags(flags)),
            ])
        };
        let rec = self.start(Syscall::Recv, args);
        let result = nix::sys::socket::recv(
            fd,
            buf,
            nix::sys::socket::MsgFlags::from_bits_truncate(flags),
        )
        .map_err(io::Error::from);
        let Some(mut rec) = rec else { return result };
        // What it read, once it has: before, the buffer held nothing of it.
        if let (Ok(n), Some(data)) = (&result, rec.ev.args.get_mut(1)) {
            *data = Arg::data(&buf[..*n]);
        }
        rec.result(&result, |ev, n| {
            if *n == 0 && len > 0 {
                ev.detail = Some(Detail::Eof {
                    own: self.read_shut.load(Ordering::Relaxed),
                });
            }
            *n as i64
        });
        self.finish(rec, true);
        result
    }

    /// Closes one direction. Corresponds to `shutdown(2)`. `SHUT_WR` sends FIN: the peer's
    /// `recv()` returns 0, we enter FIN-WAIT-1, then FIN-WAIT-2 when the FIN is acknowledged,
    /// and can still receive.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if how != Shutdown::Write {
            self.read_shut.store(true, Ordering::Relaxed);
        }
        let args = || vec![Arg::Fd(self.fd()), Arg::Shutdown(how)];
        self.call(Syscall::Shutdown, args, true, |s| s.shutdown(how), |_, _| 0)
    }

    /// The pending error of the socket, cleared by reading it. Corresponds to
    /// `getsockopt(fd, SOL_SOCKET, SO_ERROR)`: how a non-blocking `connect()` reports failure.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        let args = || {
            vec![
                Arg::Fd(self.fd()),
                Arg::Const("SOL_SOCKET".into()),
                Arg::Const("SO_ERROR".into()),
            ]
        };
        let out = |ev: &mut Event, err: &Option<io::Error>| {
            let code = err.as_ref().and_then(io::Error::raw_os_error);
            ev.args
                .push(Arg::ErrorOut(code.map(nix::errno::Errno::from_raw)));
            0
        };
        self.call(Syscall::Getsockopt, args, true, |s| s.take_error(), out)
    }

    /// Closes the fd. Corresponds to `close(2)`. The fd is gone at once, but the connection
    /// may live on in the kernel (FIN-WAIT-1/2, LAST-ACK, TIME-WAIT): the trace follows it by
    /// its 4-tuple, the only way left to find it.
    pub fn close(mut self) -> io::Result<()> {
        self.close_inner(None)
    }

    fn close_inner(&mut self, note: Option<&str>) -> io::Result<()> {
        self.unfollow();
        let Some(sock) = self.sock.take() else {
            return Ok(());
        };
        let close_fd = |s: Socket| nix::unistd::close(OwnedFd::from(s)).map_err(io::Error::from);
        let Some(t) = self.tracer.clone() else {
            return close_fd(sock);
        };
        let fd = sock.as_raw_fd();
        let start = Recording::start(
            &t,
            self.actor(),
            Syscall::Close,
            Some(fd),
            vec![Arg::Fd(fd)],
        );
        let mut rec = start.on(self.info()).before(sock.as_fd());
        let known = (
            self.inode.get().copied(),
            self.abortive.load(Ordering::Relaxed),
        );
        let look = LastLook::take(sock.as_fd(), self.ends().peer, known, std::process::id());
        rec.about_to_call();
        let result = close_fd(sock);
        rec.result(&result, |_, _| 0);
        rec.ev.note = note.map(str::to_string);
        close::record_gone(&mut rec, &look);
        close::judge_close(&mut rec, &look);
        rec.emit();
        result
    }

    /// The common path of a traced call: start (step, state before), the call, its result, the
    /// state after, the check, one event. `ret` turns the result into the return value shown.
    fn call<T>(
        &self,
        call: Syscall,
        args: impl FnOnce() -> Vec<Arg>,
        check: bool,
        op: impl FnOnce(&Socket) -> io::Result<T>,
        ret: impl FnOnce(&mut Event, &T) -> i64,
    ) -> io::Result<T> {
        let Some(mut rec) = self.start(call, args) else {
            return op(self.sock());
        };
        rec.about_to_call();
        let result = if call.moves_no_state() {
            op(self.sock())
        } else {
            // It may move the state without ringing the doorbell (see `Held::during`).
            self.held.during(|| op(self.sock()))
        };
        rec.result(&result, ret);
        self.finish(rec, check);
        result
    }

    /// Starts recording a call on this socket, if it is traced; `args` is only made if so.
    /// The state before: proven by the doorbell if it can be, else read (and then held, if
    /// the doorbell may prove it for the next call).
    fn start(&self, call: Syscall, args: impl FnOnce() -> Vec<Arg>) -> Option<Recording<'_>> {
        let t = self.tracer.as_deref()?;
        let rec = Recording::start(t, self.actor(), call, Some(self.fd()), args()).on(self.info());
        let fd = self.sock().as_fd();
        let seen = match self.held_state(t, call, fd) {
            Ok(state) => return Some(rec.found(state)),
            Err(seen) => seen,
        };
        let rec = rec.before(fd);
        let read = rec.ev.before.filter(|s| transitions::held_between(*s));
        if let (Some(seen), Some(state)) = (seen, read) {
            self.held.keep(seen, state);
        }
        Some(rec)
    }

    /// The state a `send()` or `recv()` finds, when the doorbell proves it has not moved
    /// since it was last read (see `super::doorbell`). Otherwise, what was held before the
    /// state is read, for [`Held::keep`] — `None` if the state read may not be held: any
    /// other call may move it (`shutdown()`: no ring), so it makes the socket forget it.
    fn held_state(
        &self,
        t: &Tracer,
        call: Syscall,
        fd: BorrowedFd<'_>,
    ) -> Result<TcpState, Option<u64>> {
        if !call.moves_no_state() {
            self.held.forget();
            return Err(None);
        }
        let Some(bell) = t.checks_later().then(|| t.doorbell()).flatten() else {
            return Err(None);
        };
        if !self.rings.load(Ordering::Acquire) {
            // Followed before the state is read: a move after the read rings.
            let followed = bell.follow(fd, self.id).is_ok();
            self.rings.store(followed, Ordering::Release);
            return Err(followed.then(|| self.held.now()));
        }
        let silent = bell.silent(self.id, || self.held.forget());
        let now = self.held.now();
        match Held::state(now) {
            Some(state) if silent => Ok(state),
            _ => Err(Some(now)),
        }
    }

    /// Stops the doorbell following this socket (it is being closed or untraced).
    fn unfollow(&self) {
        if let (true, Some(t), Some(s)) = (
            self.rings.swap(false, Ordering::AcqRel),
            self.tracer(),
            &self.sock,
        ) {
            if let Some(bell) = t.doorbell() {
                bell.unfollow(s.as_fd(), self.id);
            }
        }
    }

    /// Ends a recording with this socket's state after the call, its ends and (if `check`)
    /// the kernel's verdict, then emits it.
    fn finish(&self, mut rec: Recording<'_>, check: bool) {
        let fd = self.sock().as_fd();
        if check && (self.check_later(&mut rec, fd) || self.by_row(&mut rec, fd)) {
            return rec.emit();
        }
        let now = rec.settle(fd);
        if now == Some(TcpState::Listen) && self.inode.get().is_none() {
            if let Ok(i) = table::fd_inode(fd) {
                let _ = self.inode.set(i);
                rec.set_socket(self.info());
            }
        }
        let ends = self.ends().learn(fd, now);
        rec.addresses(ends.local, ends.peer);
        if check {
            rec.check(fd, now, ends.local, ends.peer);
        }
        if rec.ev.failed_with(nix::errno::Errno::EADDRINUSE) {
            // What holds the port, from the table: a listener (and whose), or a connection.
            let port = rec.ev.args.iter().find_map(|a| {
                if let Arg::Addr(a) = a {
                    Some(a.port())
                } else {
                    None
                }
            });
            let holder = rec
                .tracer()
                .table()
                .zip(port)
                .and_then(|(tab, p)| crate::kernel::owners::port_holder(tab, p));
            rec.ev.note = holder.map(|h| h.words());
        }
        rec.emit();
    }

    /// The state after the call and the verdict from the connection's row alone, when it can
    /// prove them (see [`Recording::settle_by_row`]).
    fn by_row(&self, rec: &mut Recording<'_>, fd: BorrowedFd<'_>) -> bool {
        let ends = *self.ends();
        match self.connection_inode(ends, fd) {
            Some(inode) => rec.settle_by_row(fd, ends, inode),
            None => false,
        }
    }

    /// The verdict left to the sink, read later with many others (see
    /// [`Recording::check_later`]).
    fn check_later(&self, rec: &mut Recording<'_>, fd: BorrowedFd<'_>) -> bool {
        let ends = *self.ends();
        match self.connection_inode(ends, fd) {
            Some(inode) => rec.check_later(ends, inode),
            None => false,
        }
    }

    /// A connection's inode, once its two ends are known; read once (`fstat(2)`).
    fn connection_inode(&self, ends: Ends, fd: BorrowedFd<'_>) -> Option<u64> {
        if ends.local.is_none() || ends.peer.is_none() {
            return None;
        }
        if let Some(i) = self.row_inode.get() {
            return Some(*i);
        }
        let i = table::fd_inode(fd).ok()?;
        Some(*self.row_inode.get_or_init(|| i))
    }

    /// Its ends as far as known. (Held only to read or learn them: no call that blocks.)
    fn ends(&self) -> std::sync::MutexGuard<'_, Ends> {
        self.ends.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A length or size argument.
fn count(n: usize) -> Arg {
    Arg::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The sender of a datagram, as an IP address (a UDP socket's sender always is one).
fn storage_inet(a: &SockaddrStorage) -> Option<SocketAddr> {
    let v4 = a
        .as_sockaddr_in()
        .map(|v4| SocketAddr::from(std::net::SocketAddrV4::from(*v4)));
    v4.or_else(|| {
        a.as_sockaddr_in6()
            .map(|v6| SocketAddr::from(std::net::SocketAddrV6::from(*v6)))
    })
}

fn no_sender() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "no sender address")
}

fn as_inet(a: SockAddr) -> io::Result<SocketAddr> {
    a.as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket address"))
}

impl AsFd for TracedSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock().as_fd()
    }
}

impl AsRawFd for TracedSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd()
    }
}

impl Drop for TracedSocket {
    /// A socket dropped without `close()` is still closed, and the trace says so.
    fn drop(&mut self) {
        let _ = self.close_inner(Some("closed when dropped"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::Kind;
    use crate::trace::sink::Collector;

    fn tcp(tracer: &Arc<Tracer>, actor: &str) -> TracedSocket {
        let (domain, ty, proto) = (Domain::IPV4, Type::STREAM, Some(Protocol::TCP));
        TracedSocket::new(Some(tracer.clone()), actor, domain, ty, proto).unwrap()
    }

    /// The seq of `actor`'s `call`.
    fn seq_of(events: &[Event], actor: &str, call: Syscall) -> u64 {
        let is_it = |e: &&Event| e.kind == Kind::Call && e.actor == actor && e.call == Some(call);
        events.iter().find(is_it).unwrap().seq
    }

    /// A busy server's connection, traced as `lab server --trace-file` traces (verdicts read
    /// later, so states proven by the doorbell), with its peer's end.
    fn busy_server() -> (
        Arc<Tracer>,
        Arc<Collector>,
        TracedSocket,
        TracedSocket,
        std::net::TcpStream,
    ) {
        let kept = Collector::new();
        let tracer = Tracer::new(Arc::new(super::super::writer::Background::new(
            kept.clone(),
        )));
        tracer.set_settle_timeout(Duration::ZERO);
        let listener = tcp(&tracer, "srv");
        listener.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        listener.listen(8).unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (conn, _) = listener.accept().unwrap();
        (tracer, kept, listener, conn, peer)
    }

    /// The state the next `send()` would take from the doorbell, without reading it.
    fn proven(conn: &TracedSocket, tracer: &Tracer) -> Option<TcpState> {
        conn.held_state(tracer, Syscall::Send, conn.as_fd()).ok()
    }

    fn wait_for(conn: &TracedSocket, state: TcpState) {
        let there = || table::fd_state(conn.as_fd()).ok().flatten() == Some(state);
        let patience = Duration::from_secs(10);
        assert!(
            crate::kernel::check::wait_until(patience, there),
            "never {state:?}"
        );
    }

    /// After one `send()` read ESTABLISHED, the next takes it from the silent doorbell; the
    /// peer's FIN rings it, so the `send()` after reads CLOSE-WAIT itself, and holds that.
    #[test]
    fn a_busy_servers_send_reads_its_state_again_only_after_the_doorbell_rang() {
        let (tracer, kept, _l, conn, peer) = busy_server();
        assert_eq!(proven(&conn, &tracer), None, "held before it was ever read");
        conn.send(b"hola\n").unwrap();
        assert_eq!(proven(&conn, &tracer), Some(TcpState::Established));
        conn.send(b"hola\n").unwrap();
        peer.shutdown(Shutdown::Write).unwrap();
        wait_for(&conn, TcpState::CloseWait);
        assert_eq!(proven(&conn, &tracer), None, "the FIN did not ring");
        conn.send(b"chau\n").unwrap();
        assert_eq!(proven(&conn, &tracer), Some(TcpState::CloseWait));
        tracer.flush();
        let sends: Vec<_> = kept
            .events()
            .into_iter()
            .filter(|e| e.call == Some(Syscall::Send))
            .map(|e| e.before)
            .collect();
        let (est, cw) = (Some(TcpState::Established), Some(TcpState::CloseWait));
        assert_eq!(sends, [est, est, cw]);
    }

    /// A reset rings too; and the program's own `shutdown()`, which does not, makes the socket
    /// forget the state it held before the kernel moves it.
    #[test]
    fn a_reset_rings_and_a_call_that_moves_the_state_forgets_it() {
        let (tracer, _kept, _l, conn, _peer) = busy_server();
        conn.send(b"hola\n").unwrap();
        assert_eq!(proven(&conn, &tracer), Some(TcpState::Established));
        conn.shutdown(Shutdown::Write).unwrap();
        assert_eq!(proven(&conn, &tracer), None, "held across shutdown()");

        let (tracer, _kept, _l, conn, peer) = busy_server();
        conn.send(b"hola\n").unwrap();
        let linger = socket2::SockRef::from(&peer).set_linger(Some(Duration::ZERO));
        linger.unwrap();
        drop(peer);
        wait_for(&conn, TcpState::Close);
        assert_eq!(proven(&conn, &tracer), None, "the RST did not ring");
    }

    /// Another thread's `send()` may start while `shutdown(SHUT_WR)` is under way, and read
    /// ESTABLISHED just before the shutdown goes into the kernel. That read must not be held:
    /// the shutdown moves the connection on and rings nothing (no hang-up, no error), so a
    /// `recv()` long after, in FIN-WAIT-2, would be told it started in ESTABLISHED.
    #[test]
    fn a_state_read_while_another_threads_shutdown_is_under_way_is_not_held() {
        let (tracer, kept, _l, conn, _peer) = busy_server();
        conn.send(b"hola\n").unwrap();
        let shut_write = |s: &Socket| {
            // The other thread's `send()` starts here, its state read before this call's.
            drop(conn.start(Syscall::Send, Vec::new));
            s.shutdown(Shutdown::Write)
        };
        let shut = conn.call(Syscall::Shutdown, Vec::new, true, shut_write, |_, _| 0);
        shut.unwrap();
        wait_for(&conn, TcpState::FinWait2);
        let nothing = conn.recv_with_flags(&mut [0; 8], libc::MSG_DONTWAIT);
        assert_eq!(nothing.unwrap_err().kind(), io::ErrorKind::WouldBlock);
        tracer.flush();
        let recv = kept
            .events()
            .into_iter()
            .filter(|e| e.call == Some(Syscall::Recv))
            .map(|e| e.before)
            .next_back();
        assert_eq!(recv, Some(Some(TcpState::FinWait2)));
    }

    /// Issue 19, item 1: `close()` and `shutdown()` take their place in the order right before
    /// the call itself, not when lab starts its own look (the state before, the table): a
    /// `send()` another thread finished in that gap happened before the close, and is printed
    /// before it.
    #[test]
    fn close_and_shutdown_are_placed_right_before_the_call_not_at_labs_own_look() {
        for call in [Syscall::Close, Syscall::Shutdown] {
            let collector = Collector::new();
            let tracer = Tracer::new(collector.clone());
            let server = tcp(&tracer, "server");
            server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            server.listen(1).unwrap();
            let client = tcp(&tracer, "client");
            client.connect(server.local_addr().unwrap()).unwrap();
            let (conn, _) = server.accept().unwrap();
            // lab starts its record of the call on conn, and takes its looks…
            let args = vec![Arg::Fd(conn.fd())];
            let mut rec = Recording::start(&tracer, "conn", call, Some(conn.fd()), args);
            // …meanwhile another thread's send() finishes (here, the same thread, in that gap);
            client.send(b"x").unwrap();
            // then the call itself.
            rec.about_to_call();
            rec.result(&Ok(()), |_, _| 0);
            rec.emit();
            let events = collector.events();
            let send = seq_of(&events, "client", Syscall::Send);
            let closing = seq_of(&events, "conn", call);
            assert!(
                send < closing,
                "{call:?}: the send (#{send}) finished first, but is printed after (#{closing})"
            );
        }
    }
}
