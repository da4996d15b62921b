//! A traced netcat: `lab listen [ADDR:]PORT` and `lab connect HOST PORT`.
//!
//! Like `nc`: what arrives on stdin is sent, what arrives from the peer is written to stdout.
//! EOF on stdin (Ctrl+D) half-closes the connection with `shutdown(SHUT_WR)`, so the peer sees
//! EOF while this side can still receive; once the peer has closed its side too, the socket is
//! closed and the program ends (or, for `lab listen --keep`, accepts the next connection).
//! Every socket step goes through [`TracedSocket`], so `--trace` shows each with its fd, result
//! and state.
//!
//! One thread waits for both inputs with `poll(2)` (traced): stdin and the socket are both fds, and
//! whichever is ready is served — never blocking on one while the other has data.

use crate::trace::poll::poll;
use crate::trace::{SockOpt, TracedSocket, Tracer};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use socket2::{Domain, Protocol, Type};
use std::io::{self, IsTerminal, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::sync::Arc;

/// How much one `recv()` or stdin `read()` takes at most.
const CHUNK: usize = 16 * 1024;

/// The backlog `lab listen` asks for (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: i32 = 128;

/// Listens on `addr`, serves one connection (or every one, one at a time, with `keep`).
/// `announce` is told the bound address once listening (port 0 becomes the real port).
pub fn listen(
    addr: SocketAddr,
    keep: bool,
    tracer: Option<Arc<Tracer>>,
    announce: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    let domain = Domain::for_address(addr);
    let listener = TracedSocket::new(tracer, "listen", domain, Type::STREAM, Some(Protocol::TCP))?;
    // Without SO_REUSEADDR a restart would fail with EADDRINUSE while the last connection's
    // TIME-WAIT (ours, if we closed first) holds the port.
    listener.setsockopt(SockOpt::ReuseAddr(true))?;
    listener.bind(addr)?;
    listener.listen(BACKLOG)?;
    announce(listener.local_addr()?);
    loop {
        let (conn, _peer) = listener.accept()?;
        if !keep {
            // One connection, like `nc -l`: stop listening so nobody else queues up.
            listener.close()?;
            return relay(conn);
        }
        relay(conn)?;
    }
}

/// Connects to `host:port`, trying each address `getaddrinfo` returns in turn (IPv6 and IPv4),
/// and relays stdin and stdout over the first that answers.
pub fn connect(host: &str, port: u16, tracer: Option<Arc<Tracer>>) -> io::Result<()> {
    relay(TracedSocket::connect_host(tracer, "connect", host, port)?)
}

/// Moves bytes both ways until both directions are closed, then closes.
///
/// TCP closes each direction on its own: the peer's FIN (our `recv()` returns 0) ends only
/// what it sends. Until stdin ends too, whatever is typed still goes out over the half-closed
/// connection — the half-close lesson, live.
fn relay(sock: TracedSocket) -> io::Result<()> {
    let stdin = io::stdin();
    let mut buf = vec![0u8; CHUNK];
    let mut stdin_open = true;
    let mut peer_open = true;
    while stdin_open || peer_open {
        let (sock_ready, stdin_ready) = wait(&sock, peer_open, stdin_open)?;
        if sock_ready {
            match to_stdout(&sock, &mut buf)? {
                Direction::Open => {}
                // The peer closed its side: nothing more will arrive, but we may still send.
                Direction::Closed => {
                    peer_open = false;
                    if stdin_open && stdin.is_terminal() {
                        eprintln!("{}", crate::i18n::t(crate::i18n::M::PeerClosedRelay));
                    }
                }
                Direction::Reset => break,
            }
        }
        if stdin_ready {
            match to_peer(&sock, &mut buf)? {
                Direction::Open => {}
                Direction::Closed => stdin_open = false,
                Direction::Reset => break,
            }
        }
    }
    sock.close()
}

/// What became of one direction of the relay after a turn.
enum Direction {
    Open,
    /// Its sender is done (FIN, or Ctrl+D): the other direction goes on.
    Closed,
    /// The connection is gone for good: both directions end at once.
    Reset,
}

/// Waits until the socket (if the peer still sends) or stdin (if still open) has something to
/// read; returns which do.
fn wait(sock: &TracedSocket, peer_open: bool, stdin_open: bool) -> io::Result<(bool, bool)> {
    let stdin = io::stdin();
    let mut fds = Vec::with_capacity(2);
    if peer_open {
        fds.push(PollFd::new(sock.as_fd(), PollFlags::POLLIN));
    }
    if stdin_open {
        fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
    }
    // Traced like every call on the socket: the student sees what this loop waits for.
    poll(sock.tracer(), &sock.actor(), &mut fds, PollTimeout::NONE)?;
    let ready: Vec<bool> = fds
        .iter()
        .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
        .collect();
    let sock_ready = peer_open && ready[0];
    let stdin_ready = stdin_open && ready[usize::from(peer_open)];
    Ok((sock_ready, stdin_ready))
}

/// What the peer sent, to stdout.
fn to_stdout(sock: &TracedSocket, buf: &mut [u8]) -> io::Result<Direction> {
    match sock.recv(buf) {
        Ok(0) => Ok(Direction::Closed),
        Ok(n) => {
            let mut stdout = io::stdout();
            stdout.write_all(&buf[..n])?;
            stdout.flush()?;
            Ok(Direction::Open)
        }
        // A reset ends both directions at once; the trace shows ECONNRESET.
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(Direction::Reset),
        Err(e) => Err(e),
    }
}

/// What was typed, to the peer; at the end of stdin (Ctrl+D), our FIN.
fn to_peer(sock: &TracedSocket, buf: &mut [u8]) -> io::Result<Direction> {
    let n = nix::unistd::read(io::stdin().as_fd(), buf)?;
    if n == 0 {
        // Ctrl+D: tell the peer we are done sending (FIN), keep receiving.
        sock.shutdown(Shutdown::Write)?;
        return Ok(Direction::Closed);
    }
    match sock.send_all(&buf[..n]) {
        Ok(()) => Ok(Direction::Open),
        // The peer is gone for good: nothing we type can reach it.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ) =>
        {
            Ok(Direction::Reset)
        }
        Err(e) => Err(e),
    }
}

/// Parses `lab listen`'s `[ADDR:]PORT`: `8888`, `127.0.0.1:8888`, `[::1]:8888`, `[::]:0`.
pub fn parse_listen_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    s.parse::<SocketAddr>().map_err(|_| {
        format!("'{s}' is not PORT or ADDR:PORT (e.g. 8888, 127.0.0.1:8888, [::1]:8888)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_parse() {
        assert_eq!(
            parse_listen_addr("8888").unwrap(),
            "0.0.0.0:8888".parse().unwrap()
        );
        assert_eq!(
            parse_listen_addr("127.0.0.1:9").unwrap(),
            "127.0.0.1:9".parse().unwrap()
        );
        assert_eq!(
            parse_listen_addr("[::1]:9").unwrap(),
            "[::1]:9".parse().unwrap()
        );
        assert!(parse_listen_addr("localhost:x").is_err());
        assert!(parse_listen_addr("70000").is_err());
    }
}
