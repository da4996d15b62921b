//! The traced socket: a socket2 socket whose every call becomes one trace event.
//!
//! Each method makes one system call (the doc names it) and, when tracing is on, reads the fd's
//! TCP state before and after, waits a bounded time for an asynchronous change to finish (an
//! ACK of our FIN takes ~40 ms when the peer delays it), checks the kernel's table, and emits
//! one [`Event`]. When tracing is off (`tracer` is `None`) a method is the bare call and one
//! branch: no state reads, no lookups, no allocation.

use super::event::{Event, Kind};
use super::names;
use super::Tracer;
use crate::kernel::check::{self, Verdict};
use crate::kernel::table::{self, unspecified_like};
use crate::tcp_state::TcpState;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many bytes of a buffer the trace shows, as strace's default `-s 32`.
const SHOW_BYTES: usize = 32;

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
    actor: Mutex<String>,
    /// The peer given to `connect()` or returned by `accept()`: `getpeername()` has none in
    /// SYN-SENT, or once the connection is over, but the 4-tuple is still how the table knows it.
    peer: Mutex<Option<SocketAddr>>,
    /// SO_LINGER with timeout 0 was set: `close()` will send RST.
    abortive: AtomicBool,
    /// `shutdown(SHUT_RD)` or `SHUT_RDWR` was called: a later EOF is our own doing, not the peer's.
    read_shut: AtomicBool,
    /// Our address, once connected or listening: it cannot change any more, so the trace
    /// need not ask `getsockname()` at every call.
    local: Mutex<Option<SocketAddr>>,
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
            return Ok(TracedSocket::wrap(Socket::new(domain, ty, protocol)?, None, actor));
        };
        let proto = protocol.map(i32::from).unwrap_or(0);
        let args = format!(
            "{}, {}|SOCK_CLOEXEC, {}",
            names::family(i32::from(domain)),
            names::sock_type(i32::from(ty)),
            names::protocol(proto)
        );
        t.step(actor, &format!("socket({args})"));
        let mut ev = Event::new(Kind::Call, actor, "socket", args);
        match Socket::new(domain, ty, protocol) {
            Ok(s) => {
                let me = TracedSocket::wrap(s, tracer, actor);
                ev.fd = Some(me.fd());
                ev.ret = Some(i64::from(me.fd()));
                me.finish(&t, &mut ev, true);
                t.emit(ev);
                Ok(me)
            }
            Err(e) => {
                fail(&mut ev, &e);
                t.emit(ev);
                Err(e)
            }
        }
    }

    /// Wraps an existing socket (from `accept()`) with the same tracer.
    fn wrap(sock: Socket, tracer: Option<Arc<Tracer>>, actor: &str) -> TracedSocket {
        TracedSocket {
            sock: Some(sock),
            tracer,
            actor: Mutex::new(actor.to_string()),
            peer: Mutex::new(None),
            abortive: AtomicBool::new(false),
            read_shut: AtomicBool::new(false),
            local: Mutex::new(None),
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

    /// Whether calls on this socket are traced.
    pub fn is_traced(&self) -> bool {
        self.tracer.is_some()
    }

    /// Who the trace says makes the calls.
    pub fn actor(&self) -> String {
        self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Renames the actor, e.g. once a chat client has told its name.
    pub fn set_actor(&self, name: &str) {
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) = name.to_string();
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
        // `sock` is only taken here, by close() and by drop, each of which ends `self`.
        self.sock.take().expect("socket present until closed")
    }

    /// `setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, on)`: allow `bind()` to a port that a
    /// TIME-WAIT connection still holds.
    pub fn set_reuse_address(&self, on: bool) -> io::Result<()> {
        self.setsockopt("SOL_SOCKET, SO_REUSEADDR", || i32::from(on).to_string(), |s| s.set_reuse_address(on))
    }

    /// `setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, on)`: let several sockets listen on one port,
    /// the kernel spreading connections among them.
    pub fn set_reuse_port(&self, on: bool) -> io::Result<()> {
        self.setsockopt("SOL_SOCKET, SO_REUSEPORT", || i32::from(on).to_string(), |s| s.set_reuse_port(on))
    }

    /// `setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, on)`: send small segments at once instead of
    /// waiting to coalesce them (Nagle's algorithm).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.setsockopt("IPPROTO_TCP, TCP_NODELAY", || i32::from(on).to_string(), |s| s.set_tcp_nodelay(on))
    }

    /// `setsockopt(fd, SOL_SOCKET, SO_LINGER, {l_onoff, l_linger})`. With a zero timeout,
    /// `close()` discards unsent data and sends RST: an abortive close, no TIME-WAIT.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        let value = || match linger {
            Some(d) => format!("{{l_onoff=1, l_linger={}}}", d.as_secs()),
            None => "{l_onoff=0, l_linger=0}".to_string(),
        };
        self.setsockopt("SOL_SOCKET, SO_LINGER", value, |s| s.set_linger(linger))?;
        self.abortive.store(linger == Some(Duration::ZERO), Ordering::Relaxed);
        Ok(())
    }

    /// `setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, on)`: with 0, one IPv6 socket bound to `[::]`
    /// also takes IPv4 connections, whose peers then show as `::ffff:a.b.c.d` (dual stack).
    pub fn set_only_v6(&self, on: bool) -> io::Result<()> {
        self.setsockopt("IPPROTO_IPV6, IPV6_V6ONLY", || i32::from(on).to_string(), |s| s.set_only_v6(on))
    }

    /// `setsockopt(fd, SOL_SOCKET, SO_RCVBUF, bytes)`. The kernel doubles the value for its
    /// own bookkeeping.
    pub fn set_recv_buffer_size(&self, bytes: usize) -> io::Result<()> {
        self.setsockopt("SOL_SOCKET, SO_RCVBUF", || bytes.to_string(), |s| s.set_recv_buffer_size(bytes))
    }

    /// `setsockopt(fd, SOL_SOCKET, SO_SNDBUF, bytes)`.
    pub fn set_send_buffer_size(&self, bytes: usize) -> io::Result<()> {
        self.setsockopt("SOL_SOCKET, SO_SNDBUF", || bytes.to_string(), |s| s.set_send_buffer_size(bytes))
    }

    /// Turns `O_NONBLOCK` on or off. Corresponds to `fcntl(fd, F_GETFL)` then
    /// `fcntl(fd, F_SETFL, flags)`; the trace shows the second, the one that changes something.
    /// Once on, calls that would wait fail with EAGAIN (or EINPROGRESS for `connect()`).
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        let flags = if on { "O_RDWR|O_NONBLOCK" } else { "O_RDWR" };
        let args = || format!("{}, F_SETFL, {flags}", self.fd());
        self.call("fcntl", args, false, |s| s.set_nonblocking(on), |_, _| 0)
    }

    /// `value` is a closure so that with tracing off no text is made at all.
    fn setsockopt(
        &self,
        opt: &str,
        value: impl FnOnce() -> String,
        op: impl FnOnce(&Socket) -> io::Result<()>,
    ) -> io::Result<()> {
        let args = || format!("{}, {opt}, {}", self.fd(), value());
        self.call("setsockopt", args, false, op, |_, _| 0)
    }

    /// Gives the socket its local address. Corresponds to `bind(2)`. Fails with EADDRINUSE if
    /// another socket holds the port (a listener, or a TIME-WAIT without SO_REUSEADDR).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        let args = || format!("{}, {}", self.fd(), names::addr(&addr));
        self.call("bind", args, true, |s| s.bind(&SockAddr::from(addr)), |_, _| 0)
    }

    /// Turns the socket into a listener. Corresponds to `listen(2)`. From now on the kernel
    /// completes handshakes by itself and queues up to `backlog` connections for `accept()`.
    pub fn listen(&self, backlog: i32) -> io::Result<()> {
        let args = || format!("{}, {backlog}", self.fd());
        self.call("listen", args, true, |s| s.listen(backlog), |_, _| 0)
    }

    /// Connects to `addr`. Corresponds to `connect(2)`. A blocking socket returns once the
    /// handshake is done (ESTAB) or failed (ECONNREFUSED: the peer answered with RST); a
    /// non-blocking one returns EINPROGRESS at once, in SYN-SENT.
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        *self.peer.lock().unwrap_or_else(|p| p.into_inner()) = Some(addr);
        let args = || format!("{}, {}", self.fd(), names::addr(&addr));
        self.call("connect", args, true, |s| s.connect(&SockAddr::from(addr)), |_, _| 0)
    }

    /// Takes the next finished connection from the listener's queue. Corresponds to
    /// `accept4(fd, ..., SOCK_CLOEXEC)` (socket2 uses accept4 so the new fd is close-on-exec).
    /// The handshake happened before: accept only hands over a connection the kernel made.
    pub fn accept(&self) -> io::Result<(TracedSocket, SocketAddr)> {
        let actor = self.actor();
        let Some(t) = self.tracer.clone() else {
            let (s, addr) = self.sock().accept()?;
            return Ok((TracedSocket::wrap(s, None, &actor), as_inet(addr)?));
        };
        let args = format!("{}, SOCK_CLOEXEC", self.fd());
        t.step(&actor, &format!("accept4({args})"));
        let mut ev = Event::new(Kind::Call, &actor, "accept4", args);
        ev.fd = Some(self.fd());
        ev.before = table::fd_state(self.sock().as_fd()).ok().flatten();
        let result = self.sock().accept().and_then(|(s, a)| Ok((s, as_inet(a)?)));
        match result {
            Ok((s, addr)) => {
                let new = TracedSocket::wrap(s, self.tracer.clone(), &actor);
                *new.peer.lock().unwrap_or_else(|p| p.into_inner()) = Some(addr);
                ev.ret = Some(i64::from(new.fd()));
                ev.detail = Some(format!("{} from {}", new.fd(), names::addr(&addr)));
                // The state and the check are the new connection's: that is what accept made.
                ev.before = None;
                new.finish(&t, &mut ev, true);
                t.emit(ev);
                Ok((new, addr))
            }
            Err(e) => {
                fail(&mut ev, &e);
                self.finish(&t, &mut ev, false);
                t.emit(ev);
                Err(e)
            }
        }
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
        let args =
            || format!("{}, {}, {}, {}", self.fd(), names::quoted(buf, SHOW_BYTES), buf.len(), names::msg_flags(flags));
        let op = |s: &Socket| {
            Ok(nix::sys::socket::send(s.as_raw_fd(), buf, nix::sys::socket::MsgFlags::from_bits_truncate(flags))?)
        };
        self.call("send", args, true, op, |_, n| *n as i64)
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
    pub fn connect_host(tracer: Option<Arc<Tracer>>, actor: &str, host: &str, port: u16) -> io::Result<TracedSocket> {
        use std::net::ToSocketAddrs;
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host}: no address"));
        for addr in (host, port).to_socket_addrs()? {
            let sock =
                TracedSocket::new(tracer.clone(), actor, Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
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
        let args =
            || format!("{}, {}, {}, 0, {}", self.fd(), names::quoted(buf, SHOW_BYTES), buf.len(), names::addr(&addr));
        self.call("sendto", args, true, |s| s.send_to(buf, &SockAddr::from(addr)), |_, n| *n as i64)
    }

    /// Receives one datagram and who sent it. Corresponds to `recvfrom(2)`.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let fd = self.fd();
        let len = buf.len();
        let result = nix::sys::socket::recvfrom::<nix::sys::socket::SockaddrStorage>(fd, buf)
            .map_err(io::Error::from)
            .and_then(|(n, from)| {
                let from = from
                    .and_then(|a| {
                        a.as_sockaddr_in().map(|v4| SocketAddr::from(std::net::SocketAddrV4::from(*v4))).or_else(|| {
                            a.as_sockaddr_in6().map(|v6| SocketAddr::from(std::net::SocketAddrV6::from(*v6)))
                        })
                    })
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no sender address"))?;
                Ok((n, from))
            });
        let Some(t) = self.tracer.clone() else { return result };
        let shown = match &result {
            Ok((n, _)) => names::quoted(&buf[..*n], SHOW_BYTES),
            Err(_) => "...".to_string(),
        };
        let mut ev = Event::new(Kind::Call, &self.actor(), "recvfrom", format!("{fd}, {shown}, {len}, 0"));
        ev.fd = Some(fd);
        match &result {
            Ok((n, from)) => {
                ev.ret = Some(*n as i64);
                ev.detail = Some(format!("from {from}"));
            }
            Err(e) => fail(&mut ev, e),
        }
        self.finish(&t, &mut ev, true);
        t.emit(ev);
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
        let fd = self.fd();
        let len = buf.len();
        let Some(t) = self.tracer.clone() else {
            return Ok(nix::sys::socket::recv(fd, buf, nix::sys::socket::MsgFlags::from_bits_truncate(flags))?);
        };
        let actor = self.actor();
        t.step(&actor, &format!("recv({fd}, ..., {len}, {})", names::msg_flags(flags)));
        let before = table::fd_state(self.sock().as_fd()).ok().flatten();
        let result = nix::sys::socket::recv(fd, buf, nix::sys::socket::MsgFlags::from_bits_truncate(flags))
            .map_err(io::Error::from);
        // strace shows what arrived in place of the buffer argument.
        let shown = match &result {
            Ok(n) => names::quoted(&buf[..*n], SHOW_BYTES),
            Err(_) => "...".to_string(),
        };
        let mut ev =
            Event::new(Kind::Call, &actor, "recv", format!("{fd}, {shown}, {len}, {}", names::msg_flags(flags)));
        ev.fd = Some(fd);
        ev.before = before;
        match &result {
            Ok(0) if len > 0 => {
                ev.ret = Some(0);
                ev.detail = Some(if self.read_shut.load(Ordering::Relaxed) {
                    "EOF: this side was shut down for reading".into()
                } else {
                    "EOF: the peer closed its side".into()
                });
            }
            Ok(n) => ev.ret = Some(*n as i64),
            Err(e) => fail(&mut ev, e),
        }
        self.finish(&t, &mut ev, true);
        t.emit(ev);
        result
    }

    /// Closes one direction. Corresponds to `shutdown(2)`. `SHUT_WR` sends FIN: the peer's
    /// `recv()` returns 0, we enter FIN-WAIT-1, then FIN-WAIT-2 when the FIN is acknowledged,
    /// and can still receive.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if how != Shutdown::Write {
            self.read_shut.store(true, Ordering::Relaxed);
        }
        let args = || format!("{}, {}", self.fd(), names::shutdown_how(how));
        self.call("shutdown", args, true, |s| s.shutdown(how), |_, _| 0)
    }

    /// The pending error of the socket, cleared by reading it. Corresponds to
    /// `getsockopt(fd, SOL_SOCKET, SO_ERROR)`: how a non-blocking `connect()` reports failure.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        let args = || format!("{}, SOL_SOCKET, SO_ERROR", self.fd());
        self.call(
            "getsockopt",
            args,
            true,
            |s| s.take_error(),
            |ev, err| {
                let value = err.as_ref().and_then(|e| e.raw_os_error()).unwrap_or(0);
                ev.args.push_str(&format!(
                    ", [{}]",
                    if value == 0 { "0".into() } else { names::errno(&io::Error::from_raw_os_error(value)).0 }
                ));
                0
            },
        )
    }

    /// Closes the fd. Corresponds to `close(2)`. The fd is gone at once, but the connection
    /// may live on in the kernel (FIN-WAIT-1/2, LAST-ACK, TIME-WAIT): the trace follows it by
    /// its 4-tuple, the only way left to find it.
    pub fn close(mut self) -> io::Result<()> {
        self.close_inner(None)
    }

    fn close_inner(&mut self, note: Option<&str>) -> io::Result<()> {
        let Some(sock) = self.sock.take() else { return Ok(()) };
        let Some(t) = self.tracer.clone() else {
            return nix::unistd::close(OwnedFd::from(sock)).map_err(io::Error::from);
        };
        let actor = self.actor();
        let fd = sock.as_raw_fd();
        t.step(&actor, &format!("close({fd})"));
        let before = table::fd_state(sock.as_fd()).ok().flatten();
        let local = sock.local_addr().ok().and_then(|a| a.as_socket());
        let peer =
            sock.peer_addr().ok().and_then(|a| a.as_socket()).or(*self.peer.lock().unwrap_or_else(|p| p.into_inner()));
        let inode = table::fd_inode(sock.as_fd()).ok();
        // Unread data at close makes Linux send RST instead of FIN (RFC 2525 §2.17).
        let unread = match (t.table(), local, peer) {
            (Some(tab), Some(l), Some(p)) => {
                tab.lookup(l, p).ok().flatten().is_some_and(|r| r.recv_q > 0 && r.state != Some(TcpState::Listen))
            }
            _ => false,
        };
        let aborts = self.abortive.load(Ordering::Relaxed) || unread;
        let result = nix::unistd::close(OwnedFd::from(sock)).map_err(io::Error::from);
        let mut ev = Event::new(Kind::Call, &actor, "close", fd.to_string());
        ev.fd = Some(fd);
        ev.before = before;
        ev.fd_gone = true;
        ev.note = note.map(str::to_string);
        if aborts && before == Some(TcpState::Established) {
            ev.note = Some(
                if unread {
                    "unread data in the receive queue: close() sends RST, not FIN"
                } else {
                    "SO_LINGER 0: close() sends RST, not FIN"
                }
                .into(),
            );
        }
        match &result {
            Ok(()) => ev.ret = Some(0),
            Err(e) => fail(&mut ev, e),
        }
        ev.local = local.map(|a| a.to_string());
        ev.peer = peer.map(|a| a.to_string());
        match (t.table(), before, local) {
            (None, _, _) => {
                ev.verdict = Verdict::Unavailable;
                ev.reason = Some(table::UNAVAILABLE.into());
            }
            (Some(tab), Some(before), Some(local)) if local.port() != 0 => {
                let listener = before == TcpState::Listen;
                let asked_peer = if listener { Some(unspecified_like(&local)) } else { peer };
                match asked_peer {
                    Some(p) => {
                        let mut path = check::follow_tuple(tab, local, p, t.settle_timeout());
                        // Another listener on the port (SO_REUSEPORT) is not ours: compare inodes.
                        if listener {
                            path.retain(|r| r.as_ref().is_some_and(|r| Some(r.inode) == inode));
                            if path.is_empty() {
                                path.push(None);
                            }
                        }
                        let states: Vec<Option<TcpState>> =
                            path.iter().map(|r| r.as_ref().and_then(|r| r.state)).collect();
                        let allowed = check::expected_after_close(before, aborts);
                        ev.verdict = if states.first().is_some_and(|s| allowed.contains(s)) {
                            Verdict::Agrees
                        } else {
                            Verdict::Differs
                        };
                        if ev.verdict == Verdict::Differs {
                            let want: Vec<String> =
                                allowed.iter().map(|s| s.map_or("gone".to_string(), |s| s.to_string())).collect();
                            ev.reason = Some(format!(
                                "after close() from {before} the table should show {}",
                                want.join(" or ")
                            ));
                        }
                        if let Some(Some(row)) = path.last() {
                            ev.recv_q = Some(row.recv_q);
                            ev.send_q = Some(row.send_q);
                        }
                        ev.kernel = states.last().copied().flatten();
                        ev.kernel_path = states;
                        if let (Some(p), false) = (peer, listener) {
                            t.follow(&actor, local, p, ev.kernel);
                        }
                    }
                    None => ev.verdict = Verdict::NotApplicable,
                }
            }
            _ => {
                ev.verdict = Verdict::NotVisible;
                ev.reason = Some("was never in the table".into());
            }
        }
        t.emit(ev);
        result
    }

    /// The common path of a traced call: step, state before, the call, state after (settled),
    /// the kernel's check, one event. `describe` turns the result into the return value shown.
    fn call<T>(
        &self,
        name: &str,
        args: impl FnOnce() -> String,
        check: bool,
        op: impl FnOnce(&Socket) -> io::Result<T>,
        describe: impl FnOnce(&mut Event, &T) -> i64,
    ) -> io::Result<T> {
        let Some(t) = self.tracer.clone() else {
            return op(self.sock());
        };
        let actor = self.actor();
        let args = args();
        t.step(&actor, &format!("{name}({args})"));
        let before = table::fd_state(self.sock().as_fd()).ok().flatten();
        let result = op(self.sock());
        let mut ev = Event::new(Kind::Call, &actor, name, args);
        ev.fd = Some(self.fd());
        ev.before = before;
        match &result {
            Ok(v) => ev.ret = Some(describe(&mut ev, v)),
            Err(e) => fail(&mut ev, e),
        }
        self.finish(&t, &mut ev, check);
        t.emit(ev);
        result
    }

    /// Fills the state after the call, waiting for a closing handshake step to finish, then
    /// (if `check`) compares with the kernel's table.
    fn finish(&self, t: &Tracer, ev: &mut Event, check: bool) {
        let fd = self.sock().as_fd();
        let first = table::fd_state(fd).ok().flatten();
        let mut path = vec![];
        if first.is_some_and(awaits_ack) {
            path = check::settle_fd(fd, first, t.settle_timeout());
        }
        ev.state = path.last().copied().or(first);
        if !path.is_empty() {
            ev.transit = std::iter::once(first).flatten().chain(path.iter().copied()).collect();
            ev.transit.pop();
        }
        // A connection's peer never changes: the one connect() or accept() gave saves a syscall.
        let hint = *self.peer.lock().unwrap_or_else(|p| p.into_inner());
        let local = self.known_local(ev.state);
        let peer = hint.or_else(|| self.peer_addr().ok());
        ev.local = local.map(|a| a.to_string());
        ev.peer = peer.map(|a| a.to_string());
        if !check {
            return;
        }
        let now = if path.is_empty() { first } else { ev.state };
        let (state, c) = check::check_fd(t.table(), fd, now, local, hint);
        if ev.state.is_some() {
            ev.state = state;
        }
        t.apply_check(ev, &c);
    }
}

impl TracedSocket {
    /// Our address for the trace: asked of the kernel until the socket is connected or
    /// listening, remembered from then on.
    fn known_local(&self, state: Option<TcpState>) -> Option<SocketAddr> {
        let mut known = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if known.is_some() {
            return *known;
        }
        let now = self.local_addr().ok();
        if matches!(state, Some(TcpState::Established) | Some(TcpState::Listen)) {
            *known = now;
        }
        now
    }
}

/// A state that ends when the peer's kernel acknowledges our FIN, which it does without its
/// program doing anything: worth a bounded wait. (SYN-SENT is not waited for: a non-blocking
/// connect must not be made to block by its trace.)
fn awaits_ack(s: TcpState) -> bool {
    matches!(s, TcpState::FinWait1 | TcpState::Closing | TcpState::LastAck)
}

/// Records a failed call as strace does: `= -1 ECONNREFUSED (Connection refused)`.
fn fail(ev: &mut Event, e: &io::Error) {
    let (name, msg) = names::errno(e);
    ev.ret = Some(-1);
    ev.errno = Some(name);
    ev.errmsg = Some(msg);
}

fn as_inet(a: SockAddr) -> io::Result<SocketAddr> {
    a.as_socket().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket address"))
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
