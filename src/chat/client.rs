//! `lab client`: a chat client that shows what arrives while you type.
//!
//! Seed 002's client blocked reading the keyboard, so messages piled up unseen until Enter.
//! Here one thread waits on both the terminal and the socket with `poll(2)`, and serves
//! whichever is ready. Lines from the server are colored by kind: `* ` notices, `! ` errors,
//! `[private]` messages, and your own lines (`name (you): …`, marked by the server).

use super::framing::{Frame, LineReader};
use super::protocol::{self, MAX_LINE};
use super::server::Stopper;
use crate::render::human::{paint, Style};
use crate::trace::{poll::poll, TracedSocket, Tracer};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long to wait for the server to close after we said goodbye.
const GOODBYE_WAIT: Duration = Duration::from_secs(2);

/// Longest line accepted from the server: a client line, plus the sender's name and marks.
const MAX_SERVER_LINE: usize = MAX_LINE + 256;

pub struct Options {
    pub host: String,
    pub port: u16,
    /// Sent when the server asks for a name.
    pub name: Option<String>,
    pub tracer: Option<Arc<Tracer>>,
    pub color: bool,
}

/// What kind of line the server sent, by its mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Notice,
    Error,
    Private,
    Mine,
    Message,
}

/// Classifies a line from the server by the marks the room puts on it.
pub fn kind(line: &str) -> LineKind {
    if line.starts_with("* ") {
        LineKind::Notice
    } else if line.starts_with("! ") {
        LineKind::Error
    } else if line.starts_with("[private] ") {
        LineKind::Private
    } else if line.split_once(": ").is_some_and(|(head, _)| head.ends_with(" (you)")) {
        LineKind::Mine
    } else {
        LineKind::Message
    }
}

/// Connects and runs until the user leaves or the server closes.
pub fn run(opts: Options) -> io::Result<()> {
    let sock = TracedSocket::connect_host(opts.tracer.clone(), "client", &opts.host, opts.port)?;
    let stop = Stopper::new()?;
    stop.on_signals()?;
    let stdin = io::stdin();
    let mut out = io::stdout();
    let mut reader = LineReader::with_limit(MAX_SERVER_LINE);
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut name_sent = false;
    let mut stdin_open = true;
    // Set once we said goodbye: from then on we only wait (bounded) for the server to close.
    let mut leaving: Option<Instant> = None;
    loop {
        let waited = leaving.map(|t| t.elapsed());
        if waited.is_some_and(|w| w >= GOODBYE_WAIT) {
            break;
        }
        let mut fds = vec![PollFd::new(sock.as_fd(), PollFlags::POLLIN), PollFd::new(stop.fd(), PollFlags::POLLIN)];
        let reading_stdin = stdin_open && leaving.is_none();
        if reading_stdin {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        let timeout = match waited {
            Some(w) => PollTimeout::from(u16::try_from((GOODBYE_WAIT - w).as_millis()).unwrap_or(u16::MAX)),
            None => PollTimeout::NONE,
        };
        match poll(opts.tracer.as_deref(), "client", &mut fds, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let ready: Vec<bool> = fds.iter().map(|f| f.revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        if ready[1] {
            // Ctrl+C: say goodbye properly, once.
            let mut b = [0u8; 64];
            let _ = nix::unistd::read(stop.fd(), &mut b);
            if leaving.is_some() {
                break;
            }
            let _ = sock.send(b":q\n");
            leaving = Some(Instant::now());
        }
        if ready[0] {
            match sock.recv(&mut buf) {
                Ok(0) => {
                    if leaving.is_none() {
                        say(&mut out, "* the server closed the connection", opts.color)?;
                    }
                    break;
                }
                Ok(n) => {
                    reader.push(&buf[..n], &mut frames);
                    for f in frames.drain(..) {
                        let Frame::Line(bytes) = f else { continue };
                        // The server cleans what users send; a client trusts no one either.
                        let line = protocol::sanitize(&bytes);
                        say(&mut out, &line, opts.color)?;
                        if !name_sent && line.contains("What's your name?") {
                            if let Some(n) = &opts.name {
                                sock.send(format!("{n}\n").as_bytes())?;
                                name_sent = true;
                            }
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    say(&mut out, &format!("! connection lost: {e}"), opts.color)?;
                    break;
                }
            }
        }
        if reading_stdin && ready.get(2).copied().unwrap_or(false) {
            let n = nix::unistd::read(stdin.as_fd(), &mut buf)?;
            if n == 0 {
                // Ctrl+D / end of input: leave politely.
                stdin_open = false;
                let _ = sock.send(b":q\n");
                leaving = Some(Instant::now());
                continue;
            }
            sock.send_all(&buf[..n])?;
            let typed = String::from_utf8_lossy(&buf[..n]);
            if typed.lines().any(|l| matches!(protocol::parse(l), protocol::Command::Quit)) {
                leaving = Some(Instant::now());
            }
        }
    }
    sock.close()
}

fn say(out: &mut impl Write, line: &str, color: bool) -> io::Result<()> {
    let style = match kind(line) {
        LineKind::Notice => Some(Style::Note),
        LineKind::Error => Some(Style::Bad),
        LineKind::Private => Some(Style::State),
        LineKind::Mine => Some(Style::Dim),
        LineKind::Message => None,
    };
    let text = match style {
        Some(s) => paint(line, s, color),
        None => line.to_string(),
    };
    writeln!(out, "{text}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified_by_the_servers_marks() {
        assert_eq!(kind("* ana joined the chat"), LineKind::Notice);
        assert_eq!(kind("! no user named 'x' (see :u)"), LineKind::Error);
        assert_eq!(kind("[private] ana -> you: hola"), LineKind::Private);
        assert_eq!(kind("ana (you): hola"), LineKind::Mine);
        assert_eq!(kind("bob: ana (you): fake"), LineKind::Message);
        assert_eq!(kind("bob: hola"), LineKind::Message);
    }
}
