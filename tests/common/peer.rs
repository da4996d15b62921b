//! A chat user over a plain TCP socket, as `nc` would be: what the chat tests talk through.

use super::PATIENCE;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

/// One connection, read line by line with bounded waits.
pub struct Peer {
    pub s: TcpStream,
    buf: Vec<u8>,
    lines: VecDeque<String>,
}

impl Peer {
    pub fn connect(addr: SocketAddr) -> Peer {
        Peer::from_stream(TcpStream::connect(addr).unwrap())
    }

    /// A peer on a stream made some other way (small buffers, a clone to read from).
    pub fn from_stream(s: TcpStream) -> Peer {
        Peer {
            s,
            buf: Vec::new(),
            lines: VecDeque::new(),
        }
    }

    /// Connects, answers the name prompt, and reads the whole welcome, hand included — so
    /// nothing is left unread (closing with unread data sends RST instead of FIN).
    pub fn join(addr: SocketAddr, name: &str) -> Peer {
        Peer::join_with_hand(addr, name).0
    }

    /// [`Peer::join`], also returning the line that lists the artifacts dealt.
    pub fn join_with_hand(addr: SocketAddr, name: &str) -> (Peer, String) {
        let mut p = Peer::connect(addr);
        p.expect("What's your name?");
        p.send(name);
        p.expect(&format!("Hi {name}, welcome!"));
        let hand = p.expect("artifact");
        (p, hand)
    }

    pub fn send(&mut self, line: &str) {
        self.s.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// The next line, waiting at most PATIENCE; `None` at EOF.
    pub fn line(&mut self) -> Option<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(l) = self.lines.pop_front() {
                return Some(l);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no line within {PATIENCE:?}");
            self.s.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 65536];
            match self.s.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    while let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = self.buf.drain(..=i).collect();
                        self.lines.push_back(
                            String::from_utf8_lossy(&line[..line.len() - 1]).into_owned(),
                        );
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Reads lines until one contains `needle`; returns it.
    pub fn expect(&mut self, needle: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.line() {
                Some(l) if l.contains(needle) => return l,
                Some(l) => seen.push(l),
                None => panic!("EOF before {needle:?}; saw {seen:#?}"),
            }
        }
    }

    /// Reads until the server closes the connection.
    pub fn expect_eof(&mut self) {
        while self.line().is_some() {}
    }
}
