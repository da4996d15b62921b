//! `lab client`: a chat client that shows what arrives while you type.
//!
//! Seed 002's client blocked reading the keyboard, so messages piled up unseen until Enter.
//! Here one thread waits on both the terminal and the socket with `poll(2)`, and serves
//! whichever is ready. Lines from the server are colored by kind: `* ` notices, `! ` errors,
//! `[private]` messages, and your own lines (`name (you): …`, marked by the server).

use super::dialect::line::Mark;
use super::dialect::{self, Dialect};
use super::framing::{Frame, LineReader};
use super::line_edit::{Input, LineEditor};
use super::protocol::{self, MAX_LINE};
use super::stopper::Stopper;
use crate::i18n::{self, Lang, M};
use crate::render::human::{paint, Style};
use crate::trace::{poll::poll, TracedSocket, Tracer};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strum::IntoEnumIterator;

/// How long to wait for the server to close after we said goodbye.
const GOODBYE_WAIT: Duration = Duration::from_secs(2);

/// Longest line accepted from the server: a client line, plus the sender's name and marks.
const MAX_SERVER_LINE: usize = MAX_LINE + 256;

pub struct Options {
    pub host: String,
    pub port: u16,
    /// Sent when the server asks for a name.
    pub name: Option<String>,
    /// The wire protocol to speak (a seed's, or lab's lines).
    pub dialect: Dialect,
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

/// Classifies a line from the server by the marks the room puts on it, in any language the
/// server may speak (`lab server --lang es`).
pub fn kind(line: &str) -> LineKind {
    let every = |m: M| Lang::iter().map(move |l| i18n::pieces_in(m, l));
    // "[private] NAME -> …" and "NAME (you): …": the mark is the text around the first name.
    let private: Vec<String> = every(M::RoomPrivateIn).map(|p| p[0].clone()).collect();
    let mine: Vec<String> = every(M::RoomMine)
        .filter_map(|p| Some(p.get(1)?.strip_suffix(": ")?.to_string()))
        .collect();
    match Mark::split(line).0 {
        Mark::Notice => return LineKind::Notice,
        Mark::Error => return LineKind::Error,
        Mark::Plain => {}
    }
    if private.iter().any(|p| line.starts_with(p)) {
        LineKind::Private
    } else if line
        .split_once(": ")
        .is_some_and(|(head, _)| mine.iter().any(|m| head.ends_with(m)))
    {
        LineKind::Mine
    } else {
        LineKind::Message
    }
}

/// Whether the server asks for a name (in any language lab speaks).
fn asks_name(line: &str) -> bool {
    Lang::iter().any(|l| line.contains(i18n::text_in(M::AskName, l)))
}

/// One chat session: the connection, what is half-read from it, and how far leaving has got.
struct Session {
    sock: TracedSocket,
    opts: Options,
    reader: LineReader,
    buf: Vec<u8>,
    name_sent: bool,
    /// Whether `--name` is still to be sent, as the answer to the server's first words: until
    /// then nothing typed is read, or a line piped in before the server asked would go first
    /// and become the name.
    name_pending: bool,
    stdin_open: bool,
    /// Set once we said goodbye: from then on we only wait (bounded) for the server to close.
    leaving: Option<Instant>,
    /// The input line, kept whole while messages are printed above it.
    editor: LineEditor,
    /// When the last message of an unframed dialect was sent (the next waits for the pause).
    last_message: Option<Instant>,
}

/// Whether the session goes on.
enum Flow {
    Go,
    End,
}

/// Connects and runs until the user leaves or the server closes.
pub fn run(opts: Options) -> io::Result<()> {
    let speech = opts.dialect.speech();
    // A client that says its name first needs one.
    let hello = match &opts.name {
        Some(name) => speech.hello(name),
        None if speech.hello("").is_none() => None,
        None => {
            return Err(io::Error::other(i18n::f(
                M::ClientNeedsName,
                &[&speech.name()],
            )))
        }
    };
    let sock = TracedSocket::connect_host(opts.tracer.clone(), "client", &opts.host, opts.port)?;
    // As the seed's own client does: its name, alone, right after connect(). Otherwise the
    // name answers the server's question (lab's lines, el4005's greeting).
    let name_pending = hello.is_none() && opts.name.is_some();
    if let Some(hello) = hello {
        sock.send_all(&hello)?;
    }
    let stop = Stopper::new()?;
    stop.on_signals()?;
    let mut s = Session {
        sock,
        opts,
        reader: LineReader::with_limit(MAX_SERVER_LINE),
        buf: vec![0u8; 16 * 1024],
        name_sent: false,
        name_pending,
        stdin_open: true,
        leaving: None,
        editor: LineEditor::on_terminal(),
        last_message: None,
    };
    let ended = loop {
        match s.round(&stop) {
            Ok(Flow::Go) => {}
            Ok(Flow::End) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    // Whatever ended the session, the shell's prompt must not land after a half-typed line.
    let _ = s.editor.finish(&mut io::stdout());
    ended?;
    s.sock.close()
}

impl Session {
    /// One `poll()` on the socket, the stop pipe (Ctrl+C) and the keyboard, and what follows.
    fn round(&mut self, stop: &Stopper) -> io::Result<Flow> {
        let waited = self.leaving.map(|t| t.elapsed());
        if waited.is_some_and(|w| w >= GOODBYE_WAIT) {
            return Ok(Flow::End);
        }
        let stdin = io::stdin();
        let mut fds = vec![
            PollFd::new(self.sock.as_fd(), PollFlags::POLLIN),
            PollFd::new(stop.fd(), PollFlags::POLLIN),
        ];
        let reading_stdin = self.stdin_open && self.leaving.is_none() && !self.name_pending;
        if reading_stdin {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        let timeout = match waited {
            Some(w) => {
                PollTimeout::from(u16::try_from((GOODBYE_WAIT - w).as_millis()).unwrap_or(u16::MAX))
            }
            None => PollTimeout::NONE,
        };
        match poll(self.opts.tracer.as_deref(), "client", &mut fds, timeout) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Flow::Go),
            Err(e) => return Err(e),
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if ready[1] && self.on_stop(stop) {
            return Ok(Flow::End);
        }
        if ready[0] {
            if let Flow::End = self.on_socket()? {
                return Ok(Flow::End);
            }
        }
        if reading_stdin && ready.get(2).copied().unwrap_or(false) {
            self.on_keyboard()?;
        }
        Ok(Flow::Go)
    }

    /// Ctrl+C: say goodbye properly, once; a second one ends at once (returns true).
    fn on_stop(&mut self, stop: &Stopper) -> bool {
        let mut b = [0u8; 64];
        let _ = nix::unistd::read(stop.fd(), &mut b);
        if self.leaving.is_some() {
            return true;
        }
        let _ = self.send_typed(self.opts.dialect.speech().quit_word());
        self.leaving = Some(Instant::now());
        false
    }

    /// What the server sent: shown line by line; EOF or an error ends the session.
    fn on_socket(&mut self) -> io::Result<Flow> {
        let mut out = io::stdout();
        let n = match self.sock.recv(&mut self.buf) {
            Ok(0) => {
                if self.leaving.is_none() {
                    self.say(&mut out, i18n::t(M::ClientServerClosed))?;
                }
                return Ok(Flow::End);
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Flow::Go),
            Err(e) => {
                self.say(&mut out, &i18n::f(M::ClientLost, &[&e]))?;
                return Ok(Flow::End);
            }
        };
        if !self.opts.dialect.speech().framed() {
            return self.on_message(n);
        }
        let mut frames = Vec::new();
        self.reader.push(&self.buf[..n], &mut frames);
        for f in frames {
            let Frame::Line(bytes) = f else { continue };
            // The server cleans what users send; a client trusts no one either.
            let line = protocol::sanitize(&bytes);
            self.say(&mut out, &line)?;
            if !self.name_sent && asks_name(&line) {
                if let Some(n) = &self.opts.name {
                    self.sock.send(format!("{n}\n").as_bytes())?;
                    (self.name_sent, self.name_pending) = (true, false);
                }
            }
        }
        Ok(Flow::Go)
    }

    /// What the user typed: on a terminal, edited until Enter, then sent as one line; from a
    /// pipe, sent as it comes. End of input (Ctrl+D) leaves politely.
    fn on_keyboard(&mut self) -> io::Result<()> {
        let n = nix::unistd::read(io::stdin().as_fd(), &mut self.buf)?;
        if n == 0 {
            return self.goodbye();
        }
        if !self.editor.is_active() && self.opts.dialect.speech().framed() {
            self.sock.send_all(&self.buf[..n])?;
            let typed = String::from_utf8_lossy(&self.buf[..n]).into_owned();
            return self.check_quit(&typed);
        }
        if !self.editor.is_active() {
            // A seed's protocol has no framing: each line from the pipe is one message.
            let typed = String::from_utf8_lossy(&self.buf[..n]).into_owned();
            for line in typed.lines() {
                self.send_typed(line)?;
                self.check_quit(line)?;
            }
            return Ok(());
        }
        for input in self.editor.feed(&self.buf[..n], &mut io::stdout())? {
            match input {
                Input::Line(line) => {
                    self.send_typed(&line)?;
                    self.check_quit(&line)?;
                }
                Input::End => return self.goodbye(),
            }
        }
        Ok(())
    }

    /// End of input: `:q`, then wait (bounded) for the server to close.
    fn goodbye(&mut self) -> io::Result<()> {
        self.stdin_open = false;
        let _ = self.send_typed(self.opts.dialect.speech().quit_word());
        self.leaving = Some(Instant::now());
        Ok(())
    }

    /// One typed line, as the dialect sends it: lab's line, or one `send()` per message —
    /// a pause after the last one, so that two messages do not arrive as one (the trace
    /// says so).
    fn send_typed(&mut self, line: &str) -> io::Result<()> {
        for msg in self.opts.dialect.speech().typed(line) {
            if let Some(waited) = self
                .last_message
                .map(|t| t.elapsed())
                .filter(|w| *w < dialect::SENDER_PAUSE)
            {
                std::thread::sleep(dialect::SENDER_PAUSE - waited);
                dialect::note_pause(&self.sock, dialect::SENDER_PAUSE);
            }
            self.sock.send_all(&msg)?;
            if self.opts.dialect.unframed() {
                self.last_message = Some(Instant::now());
            }
        }
        Ok(())
    }

    /// One `recv()` of an unframed dialect: one message, as the seed's client takes it. An
    /// el4005 client answers the greeting with its name.
    fn on_message(&mut self, n: usize) -> io::Result<Flow> {
        let text = String::from_utf8_lossy(&self.buf[..n]).into_owned();
        let mut out = io::stdout();
        for line in text.lines() {
            self.say(&mut out, &protocol::sanitize(line.as_bytes()))?;
        }
        if let (false, Some(name)) = (self.name_sent, self.opts.name.clone()) {
            if let Some(reply) = self.opts.dialect.speech().answer(&text, &name, "") {
                self.sock.send_all(&reply)?;
                (self.name_sent, self.name_pending) = (true, false);
            }
        }
        Ok(Flow::Go)
    }

    fn check_quit(&mut self, typed: &str) -> io::Result<()> {
        if self.opts.dialect.speech().is_goodbye(typed)
            || typed
                .lines()
                .any(|l| matches!(protocol::parse(l), protocol::Command::Quit))
        {
            self.leaving = Some(Instant::now());
        }
        Ok(())
    }

    /// A line from the server, colored by kind, above the input line.
    fn say(&self, out: &mut impl Write, line: &str) -> io::Result<()> {
        self.editor
            .print_above(&colored_line(line, self.opts.color), out)
    }
}

fn colored_line(line: &str, color: bool) -> String {
    let style = match kind(line) {
        LineKind::Notice => Some(Style::Note),
        LineKind::Error => Some(Style::Bad),
        LineKind::Private => Some(Style::State),
        LineKind::Mine => Some(Style::Dim),
        LineKind::Message => None,
    };
    match style {
        Some(s) => paint(line, s, color),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified_by_the_servers_marks() {
        use LineKind::*;
        let lines = [
            ("* ana joined the chat", Notice),
            ("! no user named 'x' (see :u)", Error),
            ("[private] ana -> you: hola", Private),
            ("ana (you): hola", Mine),
            // Only the server marks "(you)", at the start: a user typing it fakes nothing.
            ("bob: ana (you): fake", Message),
            ("bob: hola", Message),
            ("[privado] ana -> tú: hola", Private),
            ("ana (tú): hola", Mine),
        ];
        for (line, want) in lines {
            assert_eq!(kind(line), want, "{line}");
        }
    }
}
