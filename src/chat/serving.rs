//! What every server model shares: the configuration, the listening socket, the limits. The
//! models (`super::server_threads`, `super::server_poll` with `super::server_epoll`)
//! sit above it and differ only in how bytes move; [`super::server`] above them picks one.

use super::dialect::Choice;
use crate::i18n::{self, Count, M};
use crate::trace::{SockOpt, TracedSocket, Tracer};
use socket2::{Domain, Protocol, Type};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// How bytes move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// One thread per client, blocking sockets (seeds 000, 001, 003, 004).
    Threads,
    /// One thread, non-blocking sockets, a poll(2) readiness loop (seed 002 used select).
    Poll,
    /// The same loop waiting with epoll(7): the kernel keeps the list, only ready fds return.
    Epoll,
}

/// How long goodbyes may take to flush at shutdown before the connections are cut.
pub const GOODBYE_GRACE: Duration = Duration::from_secs(2);

/// The backlog asked of `listen()` (the kernel caps it at net.core.somaxconn, 4096 here).
pub const BACKLOG: i32 = 4096;

/// How much one `recv()` takes at most.
pub const RECV_CHUNK: usize = 16 * 1024;

/// Everything a server needs to start.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub model: Model,
    /// More connections than this are told "server full" and closed.
    pub max_clients: usize,
    /// Deals the artifact hands (`--seed`): the same seed, the same hands.
    pub seed: u64,
    /// What the clients may speak (`--dialect`).
    pub dialect: Choice,
    pub tracer: Option<Arc<Tracer>>,
}

/// The listening socket: `socket()`, `setsockopt(SO_REUSEADDR)`, `bind()`, `listen()`.
/// Errors come back explained (port in use, port < 1024, no such address).
pub fn listen(cfg: &Config) -> io::Result<TracedSocket> {
    let explain = |e: io::Error| crate::explain::startup(e, &cfg.addr.to_string());
    let sock = TracedSocket::new(
        cfg.tracer.clone(),
        "server",
        Domain::for_address(cfg.addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(explain)?;
    // So that restarting the server works while its last connections sit in TIME-WAIT.
    sock.setsockopt(SockOpt::ReuseAddr(true)).map_err(explain)?;
    sock.bind(cfg.addr).map_err(explain)?;
    sock.listen(BACKLOG).map_err(explain)?;
    Ok(sock)
}

/// Turns a connection away when the room is full: one short line, then `close()`. A fresh
/// socket's buffer is empty, so this send cannot block.
pub fn refuse_full(sock: TracedSocket, limit: usize) {
    let _ = sock.send(format!("{}\n", i18n::f(M::RoomFull, &[&Count(limit)])).as_bytes());
    let _ = sock.close();
}

/// A wait as `poll()`/`epoll_wait()` take it, in ms, rounded up: waking a little early would
/// find the timer not yet due, and spin. Capped at what the type holds (65 s).
pub fn poll_ms(d: Duration) -> u16 {
    u16::try_from(d.as_micros().div_ceil(1000)).unwrap_or(u16::MAX)
}

/// Whether an accept error means "out of file descriptors" (EMFILE: this process; ENFILE: the
/// whole system). Retrying at once would fail again and spin; the servers wait instead.
pub fn out_of_fds(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
}

/// Raises this process's open-file limit to the hard limit (10,000 clients need 10,000 fds;
/// the soft limit is often 1,024). Corresponds to `setrlimit(RLIMIT_NOFILE)`.
pub fn raise_fd_limit() -> io::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    Ok(hard)
}

/// Why a server's `poll()` waits at most 150 ms for a new client (`who`): its first bytes tell
/// which protocol it speaks (`--dialect auto`); a client that stays silent is greeted.
pub fn first_words_note(who: &str) -> String {
    let ms = super::dialect::FIRST_WORDS.as_millis();
    crate::i18n::f(crate::i18n::M::PollFirstWords, &[&ms, &who])
}

/// Whether an accept error only means "try again": the connection was aborted before it was
/// taken (ECONNABORTED), or a signal came (EINTR).
pub fn accept_again(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ECONNABORTED) | Some(libc::EINTR)
    )
}

/// Whether a non-blocking call's error only means "not now": it would block (EAGAIN), or a
/// signal came (EINTR).
pub fn not_now(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
