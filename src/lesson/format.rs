//! The lesson format: a plain-text script an instructor writes without reading Rust.
//!
//! ```text
//! # A comment.
//! title:       The three-way handshake
//! title.es:    El saludo de tres vías
//! question:    When is a connection established — and who does the work?
//! question.es: ¿Cuándo queda establecida una conexión, y quién hace el trabajo?
//! explain:     (optional, may repeat) a few sentences shown before the first step.
//! explain.es:  (the same in Spanish)
//!
//! srv  socket
//! srv  bind 127.0.0.1:0             = 0
//! srv  listen 8                     = 0   state LISTEN
//! cli  socket
//! cli  connect srv                  = 0   state ESTAB   kernel ESTAB
//! note:    connect() returned: the kernel finished the handshake, nobody called accept().
//! note.es: connect() volvió: el kernel terminó el saludo; nadie llamó a accept().
//! srv  accept -> conn               = ...  state ESTAB
//! ```
//!
//! One step per line: the socket's name, the call, its arguments, then what to expect — the
//! result after `=` (`= 0`, `= 5`, `= "hola\n"`, `= -1 ECONNREFUSED`, `= ...` for anything),
//! and any of `state S` (the fd's state), `kernel S` (what the kernel's table shows for the
//! socket's 4-tuple, also after `close()`; `kernel gone` for no row), `recvq N`, `sendq N`.
//! Names stand for fds and addresses: `connect srv` means srv's address, `bind 127.0.0.1:srv`
//! srv's port. A malformed lesson is refused before anything runs, with `file:line: what`.

use crate::tcp_state::TcpState;
use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::path::{Path, PathBuf};

/// A text in both languages of the course.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub es: String,
}

/// A sink that keeps nothing: for checking lessons without printing them.
pub fn discard() -> std::sync::Arc<dyn crate::trace::Sink> {
    struct Discard;
    impl crate::trace::Sink for Discard {
        fn event(&self, _: &crate::trace::Event) {}
    }
    std::sync::Arc::new(Discard)
}

/// Which language to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// Spanish if `LANG` (or `LC_ALL`, `LC_MESSAGES`) says so, English otherwise.
    pub fn from_env() -> Lang {
        let env =
            ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        match env {
            Some(v) if v.starts_with("es") => Lang::Es,
            _ => Lang::En,
        }
    }
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es if !self.es.is_empty() => &self.es,
            _ => &self.en,
        }
    }
}

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A literal address: `127.0.0.1:8888`, `[::1]:0`.
    Addr(SocketAddr),
    /// A socket's own address (a wildcard one becomes the loopback of its family).
    Sock(String),
    /// An address with a socket's port: `127.0.0.1:srv`.
    PortOf(IpAddr, String),
}

/// A socket option a lesson may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOpt {
    ReuseAddr,
    ReusePort,
    Linger,
    NoDelay,
    RcvBuf,
    SndBuf,
    V6Only,
}

/// A condition `wait` waits for (bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// The fd's own state.
    State(TcpState),
    /// What the table shows for the socket's 4-tuple (`None`: no row).
    Kernel(Option<TcpState>),
    /// The table's Recv-Q for the socket.
    RecvQ(u32),
}

/// One call of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Socket {
        udp: bool,
        v6: bool,
    },
    SetOpt(SockOpt, u64),
    Nonblock,
    Bind(Target),
    Listen(i32),
    Accept {
        new: String,
    },
    Connect(Target),
    Send(Vec<u8>),
    Recv {
        len: usize,
        flags: i32,
    },
    SendTo(Target, Vec<u8>),
    RecvFrom(usize),
    Shutdown(Shutdown),
    Close,
    /// Wait for readability (`in`) or writability (`out`), at most `ms`.
    Poll {
        out: bool,
        ms: i32,
    },
    /// `getsockopt(SO_ERROR)`.
    SoError,
    /// `getaddrinfo(host)`.
    Resolve(String),
    /// Wait, bounded, until the kernel shows a condition.
    Wait(Cond),
}

/// What the result should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    Value(i64),
    Errno(String),
    Data(Vec<u8>),
    Any,
}

/// Everything a step may expect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub ret: Option<Ret>,
    /// The fd's state after; `Some(None)`: no state (UDP).
    pub state: Option<Option<TcpState>>,
    /// The table's state for the 4-tuple; `Some(None)`: no row.
    pub kernel: Option<Option<TcpState>>,
    pub recvq: Option<u32>,
    pub sendq: Option<u32>,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        *self == Expect::default()
    }
}

/// One line of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    Call { sock: String, call: Call, expect: Expect },
    Note(Text),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line in the file.
    pub line: usize,
    /// The line as written (for `--step` and failure messages).
    pub source: String,
    pub kind: StepKind,
}

/// A parsed lesson.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub path: PathBuf,
    /// The file name without folder, number prefix or extension: `three-way-handshake`.
    pub name: String,
    /// The folder: `01-connections`.
    pub topic: String,
    pub title: Text,
    pub question: Text,
    pub explain: Text,
    pub steps: Vec<Step>,
}

/// `file:line: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: PathBuf,
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.msg)
    }
}

impl std::error::Error for ParseError {}

/// The name a lesson file goes by: `03-three-way-handshake.lesson` → `three-way-handshake`.
pub fn lesson_name(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match stem.split_once('-') {
        Some((num, rest)) if num.chars().all(|c| c.is_ascii_digit()) && !num.is_empty() => rest.to_string(),
        _ => stem,
    }
}

/// Reads and parses a lesson file.
pub fn load(path: &Path) -> Result<Lesson, ParseError> {
    let text = std::fs::read_to_string(path).map_err(|e| ParseError {
        path: path.to_path_buf(),
        line: 0,
        msg: format!("cannot read: {e}"),
    })?;
    parse(path, &text)
}

/// Parses a lesson's text; `path` is used for names and messages.
pub fn parse(path: &Path, text: &str) -> Result<Lesson, ParseError> {
    let err = |line: usize, msg: String| ParseError { path: path.to_path_buf(), line, msg };
    let topic = path.parent().and_then(|p| p.file_name()).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut lesson = Lesson {
        path: path.to_path_buf(),
        name: lesson_name(path),
        topic,
        title: Text::default(),
        question: Text::default(),
        explain: Text::default(),
        steps: Vec::new(),
    };
    let mut live: HashSet<String> = HashSet::new();
    let mut ever: HashSet<String> = HashSet::new();
    let mut last_note: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Header and note lines: `key: text`.
        if let Some((key, value)) = header(line) {
            let value = value.trim().to_string();
            if value.is_empty() {
                return Err(err(n, format!("'{key}:' needs a text after it")));
            }
            let append = |t: &mut String| {
                if !t.is_empty() {
                    t.push(' ');
                }
                t.push_str(&value);
            };
            match key {
                "title" => lesson.title.en = value.clone(),
                "title.es" => lesson.title.es = value.clone(),
                "question" => lesson.question.en = value.clone(),
                "question.es" => lesson.question.es = value.clone(),
                "explain" => append(&mut lesson.explain.en),
                "explain.es" => append(&mut lesson.explain.es),
                "note" => {
                    if let Some(prev) = last_note {
                        return Err(err(
                            prev,
                            "this note has no Spanish version: add a 'note.es:' line after it".into(),
                        ));
                    }
                    lesson.steps.push(Step {
                        line: n,
                        source: line.to_string(),
                        kind: StepKind::Note(Text { en: value.clone(), es: String::new() }),
                    });
                    last_note = Some(n);
                }
                "note.es" => match (last_note.take(), lesson.steps.last_mut()) {
                    (Some(_), Some(Step { kind: StepKind::Note(t), .. })) => t.es = value.clone(),
                    _ => return Err(err(n, "'note.es:' must follow a 'note:' line".into())),
                },
                other => {
                    return Err(err(
                        n,
                        format!("unknown header '{other}:' (title, question, explain, note, each also .es)"),
                    ))
                }
            }
            continue;
        }
        if let Some(prev) = last_note.take() {
            return Err(err(prev, "this note has no Spanish version: add a 'note.es:' line after it".into()));
        }
        let step = parse_step(line, &mut live, &mut ever).map_err(|m| err(n, m))?;
        lesson.steps.push(Step { line: n, source: line.to_string(), kind: step });
    }
    if let Some(prev) = last_note {
        return Err(err(prev, "this note has no Spanish version: add a 'note.es:' line after it".into()));
    }
    for (what, t) in [("title", &lesson.title), ("question", &lesson.question)] {
        if t.en.is_empty() {
            return Err(err(1, format!("missing '{what}:' line")));
        }
        if t.es.is_empty() {
            return Err(err(1, format!("missing '{what}.es:' line (each lesson is in English and Spanish)")));
        }
    }
    if lesson.explain.en.is_empty() != lesson.explain.es.is_empty() {
        return Err(err(1, "'explain:' and 'explain.es:' go together".into()));
    }
    if !lesson.steps.iter().any(|s| matches!(s.kind, StepKind::Call { .. })) {
        return Err(err(1, "a lesson needs at least one step".into()));
    }
    Ok(lesson)
}

/// `key: value` for a header or note line; step lines never have a `:` right after the first
/// word (addresses like `127.0.0.1:0` come later).
fn header(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = line.split_once(':')?;
    let key = key.trim();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')).then_some((key, rest))
}

/// Splits a step line into words; a double-quoted string is one word, escapes decoded.
fn words(line: &str) -> Result<Vec<Word>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            let mut bytes = Vec::new();
            loop {
                match chars.next() {
                    None => return Err("a string is not closed: add the final \"".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => bytes.push(b'\n'),
                        Some('r') => bytes.push(b'\r'),
                        Some('t') => bytes.push(b'\t'),
                        Some('0') => bytes.push(0),
                        Some('\\') => bytes.push(b'\\'),
                        Some('"') => bytes.push(b'"'),
                        Some('x') => {
                            let hex: String = (0..2).filter_map(|_| chars.next()).collect();
                            let b = u8::from_str_radix(&hex, 16)
                                .map_err(|_| format!("bad escape \\x{hex}: two hex digits expected"))?;
                            bytes.push(b);
                        }
                        other => {
                            return Err(format!("unknown escape \\{}", other.map(String::from).unwrap_or_default()))
                        }
                    },
                    Some(ch) => {
                        let mut b = [0u8; 4];
                        bytes.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                    }
                }
            }
            out.push(Word::Str(bytes));
        } else {
            let mut w = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                w.push(ch);
                chars.next();
            }
            out.push(Word::Plain(w));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    Plain(String),
    Str(Vec<u8>),
}

impl Word {
    fn plain(&self) -> Option<&str> {
        match self {
            Word::Plain(s) => Some(s),
            Word::Str(_) => None,
        }
    }
}

fn parse_step(line: &str, live: &mut HashSet<String>, ever: &mut HashSet<String>) -> Result<StepKind, String> {
    let ws = words(line)?;
    // The call's words end at `=` or at the first expectation keyword — except for `wait`,
    // whose condition is written with those very words (`wait kernel TIME-WAIT`).
    let is_wait = ws.get(1).and_then(Word::plain) == Some("wait");
    let split = ws
        .iter()
        .position(|w| matches!(w.plain(), Some("=" | "state" | "kernel" | "recvq" | "sendq")))
        .filter(|_| !is_wait)
        .unwrap_or(ws.len());
    let (head, tail) = ws.split_at(split);
    let sock = head.first().and_then(Word::plain).ok_or("a step starts with a socket name")?.to_string();
    if !valid_name(&sock) {
        return Err(format!("'{sock}' is not a socket name (letters, digits, _)"));
    }
    let call_name =
        head.get(1).and_then(Word::plain).ok_or(format!("what does {sock} call? (socket, bind, connect, ...)"))?;
    let args = &head[2..];
    let plain_arg = |i: usize, what: &str| -> Result<&str, String> {
        args.get(i).and_then(Word::plain).ok_or(format!("{call_name} needs {what}"))
    };
    let need_live = |name: &str, live: &HashSet<String>| -> Result<(), String> {
        if live.contains(name) {
            Ok(())
        } else if ever.contains(name) {
            Err(format!("'{name}' was closed by an earlier step"))
        } else {
            Err(format!("no socket named '{name}' yet (create it with '{name} socket' or 'accept -> {name}')"))
        }
    };
    let call = match call_name {
        "socket" => {
            if live.contains(&sock) || ever.contains(&sock) {
                return Err(format!("a socket named '{sock}' already exists: pick another name"));
            }
            let mut udp = false;
            let mut v6 = false;
            for a in args {
                match a.plain() {
                    Some("tcp") => udp = false,
                    Some("udp") => udp = true,
                    Some("ipv4") => v6 = false,
                    Some("ipv6") => v6 = true,
                    _ => return Err("socket takes: tcp|udp ipv4|ipv6".into()),
                }
            }
            Call::Socket { udp, v6 }
        }
        "resolve" => Call::Resolve(plain_arg(0, "a host name")?.to_string()),
        _ => {
            // `wait` follows a connection by its 4-tuple, so it works after close() too.
            if call_name != "wait" || !ever.contains(&sock) {
                need_live(&sock, live)?;
            }
            match call_name {
                "setsockopt" => {
                    let opt = match plain_arg(0, "an option")? {
                        "SO_REUSEADDR" => SockOpt::ReuseAddr,
                        "SO_REUSEPORT" => SockOpt::ReusePort,
                        "SO_LINGER" => SockOpt::Linger,
                        "TCP_NODELAY" => SockOpt::NoDelay,
                        "SO_RCVBUF" => SockOpt::RcvBuf,
                        "SO_SNDBUF" => SockOpt::SndBuf,
                        "IPV6_V6ONLY" => SockOpt::V6Only,
                        other => return Err(format!("unknown option {other} (SO_REUSEADDR, SO_REUSEPORT, SO_LINGER, TCP_NODELAY, SO_RCVBUF, SO_SNDBUF, IPV6_V6ONLY)")),
                    };
                    let v = plain_arg(1, "a value")?.parse().map_err(|_| "the option's value must be a number".to_string())?;
                    Call::SetOpt(opt, v)
                }
                "nonblock" => Call::Nonblock,
                "bind" => Call::Bind(target(plain_arg(0, "an address")?, live, ever)?),
                "listen" => Call::Listen(plain_arg(0, "a backlog")?.parse().map_err(|_| "listen's backlog must be a number".to_string())?),
                "accept" => {
                    let (Some("->"), Some(new)) = (plain_arg(0, "-> NAME").ok(), args.get(1).and_then(Word::plain)) else {
                        return Err("accept names the new socket: accept -> NAME".into());
                    };
                    if !valid_name(new) || live.contains(new) || ever.contains(new) {
                        return Err(format!("'{new}' cannot name the accepted socket: pick a new name"));
                    }
                    live.insert(new.to_string());
                    ever.insert(new.to_string());
                    Call::Accept { new: new.to_string() }
                }
                "connect" => Call::Connect(target(plain_arg(0, "an address or socket name")?, live, ever)?),
                "send" => Call::Send(data(args.first())?),
                "recv" => {
                    let len = plain_arg(0, "a length")?.parse().map_err(|_| "recv's length must be a number".to_string())?;
                    let mut flags = 0;
                    for a in &args[1..] {
                        flags |= match a.plain() {
                            Some("waitall") => libc::MSG_WAITALL,
                            Some("peek") => libc::MSG_PEEK,
                            Some("dontwait") => libc::MSG_DONTWAIT,
                            _ => return Err("recv's flags: waitall, peek, dontwait".into()),
                        };
                    }
                    Call::Recv { len, flags }
                }
                "sendto" => Call::SendTo(target(plain_arg(0, "an address")?, live, ever)?, data(args.get(1))?),
                "recvfrom" => Call::RecvFrom(plain_arg(0, "a length")?.parse().map_err(|_| "recvfrom's length must be a number".to_string())?),
                "shutdown" => Call::Shutdown(match plain_arg(0, "wr, rd or rdwr")? {
                    "wr" | "SHUT_WR" => Shutdown::Write,
                    "rd" | "SHUT_RD" => Shutdown::Read,
                    "rdwr" | "SHUT_RDWR" => Shutdown::Both,
                    _ => return Err("shutdown takes wr, rd or rdwr".into()),
                }),
                "close" => {
                    live.remove(&sock);
                    Call::Close
                }
                "poll" => {
                    let out = match plain_arg(0, "in or out")? {
                        "in" => false,
                        "out" => true,
                        _ => return Err("poll takes in or out".into()),
                    };
                    let ms = match args.get(1).and_then(Word::plain) {
                        Some(v) => v.parse().map_err(|_| "poll's timeout is in ms".to_string())?,
                        None => 1000,
                    };
                    Call::Poll { out, ms }
                }
                "getsockopt" => match plain_arg(0, "SO_ERROR")? {
                    "SO_ERROR" => Call::SoError,
                    other => return Err(format!("getsockopt: only SO_ERROR, not {other}")),
                },
                "wait" => Call::Wait(match (plain_arg(0, "state, kernel or recvq")?, plain_arg(1, "a value")?) {
                    ("state", s) => Cond::State(state(s)?),
                    ("kernel", "gone") => Cond::Kernel(None),
                    ("kernel", s) => Cond::Kernel(Some(state(s)?)),
                    ("recvq", n) => Cond::RecvQ(n.parse().map_err(|_| "recvq takes a number".to_string())?),
                    _ => return Err("wait takes: state S, kernel S, kernel gone, recvq N".into()),
                }),
                other => {
                    return Err(format!(
                        "unknown call '{other}' (socket, setsockopt, nonblock, bind, listen, accept, connect, send, recv, sendto, recvfrom, shutdown, close, poll, getsockopt, resolve, wait)"
                    ))
                }
            }
        }
    };
    if call_name == "socket" {
        live.insert(sock.clone());
        ever.insert(sock.clone());
    }
    Ok(StepKind::Call { sock, call, expect: expectations(tail)? })
}

fn expectations(tail: &[Word]) -> Result<Expect, String> {
    let mut e = Expect::default();
    let mut i = 0;
    while i < tail.len() {
        let key = tail[i].plain().unwrap_or_default();
        let next = tail.get(i + 1);
        let next_plain = next.and_then(Word::plain);
        match key {
            "=" => {
                let v = next.ok_or("'=' needs a value")?;
                e.ret = Some(match v {
                    Word::Str(b) => Ret::Data(b.clone()),
                    Word::Plain(s) if s == "..." => Ret::Any,
                    Word::Plain(s) if s == "-1" => {
                        let errno = tail
                            .get(i + 2)
                            .and_then(Word::plain)
                            .ok_or("'= -1' needs the errno's name: = -1 ECONNREFUSED")?;
                        if !errno.starts_with('E') {
                            return Err(format!("'{errno}' is not an errno name (ECONNREFUSED, EAGAIN, ...)"));
                        }
                        i += 1;
                        Ret::Errno(errno.to_string())
                    }
                    Word::Plain(s) => Ret::Value(
                        s.parse()
                            .map_err(|_| format!("'{s}' is not a result (a number, \"data\", -1 ERRNO or ...)"))?,
                    ),
                });
                i += 2;
            }
            "state" => {
                let s = next_plain.ok_or("'state' needs a state")?;
                e.state = Some(if s == "-" { None } else { Some(state(s)?) });
                i += 2;
            }
            "kernel" => {
                let s = next_plain.ok_or("'kernel' needs a state, or 'gone'")?;
                e.kernel = Some(if s == "gone" { None } else { Some(state(s)?) });
                i += 2;
            }
            "recvq" | "sendq" => {
                let n: u32 = next_plain.and_then(|s| s.parse().ok()).ok_or(format!("'{key}' needs a number"))?;
                if key == "recvq" {
                    e.recvq = Some(n);
                } else {
                    e.sendq = Some(n);
                }
                i += 2;
            }
            other => return Err(format!("unexpected '{other}' after the expectations (= state kernel recvq sendq)")),
        }
    }
    Ok(e)
}

fn state(s: &str) -> Result<TcpState, String> {
    TcpState::parse(s)
        .ok_or(format!("unknown TCP state '{s}' (ESTAB, LISTEN, SYN-SENT, FIN-WAIT-2, CLOSE-WAIT, TIME-WAIT, ...)"))
}

fn data(w: Option<&Word>) -> Result<Vec<u8>, String> {
    match w {
        Some(Word::Str(b)) => Ok(b.clone()),
        _ => Err("data goes in double quotes: \"hola\\n\"".into()),
    }
}

fn target(s: &str, live: &HashSet<String>, ever: &HashSet<String>) -> Result<Target, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(Target::Addr(a));
    }
    let known = |n: &str| -> Result<(), String> {
        if live.contains(n) || ever.contains(n) {
            Ok(())
        } else {
            Err(format!("'{s}' is neither an address nor a socket's name"))
        }
    };
    if let Some((ip, name)) = s.rsplit_once(':') {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = ip.parse::<IpAddr>() {
            known(name)?;
            return Ok(Target::PortOf(ip, name.to_string()));
        }
    }
    known(s)?;
    Ok(Target::Sock(s.to_string()))
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Lesson, ParseError> {
        parse(Path::new("lessons/x/01-demo.lesson"), text)
    }

    const HEAD: &str = "title: T\ntitle.es: T\nquestion: Q\nquestion.es: P\n";

    #[test]
    fn a_good_lesson_parses() {
        let l = p(&format!(
            "{HEAD}srv socket\nsrv bind 127.0.0.1:0 = 0\nsrv listen 8 = 0 state LISTEN recvq 0 sendq 8\ncli socket\ncli connect srv = 0 state ESTAB kernel ESTAB\nnote: hi\nnote.es: hola\nsrv accept -> conn = ...\ncli send \"hola\\n\" = 5\nconn recv 10 = \"hola\\n\"\ncli close = 0 kernel FIN-WAIT-2\nconn recv 10 waitall = 0 state CLOSE-WAIT\n"
        ))
        .unwrap();
        assert_eq!(l.name, "demo");
        assert_eq!(l.topic, "x");
        assert_eq!(l.steps.len(), 11);
        let StepKind::Call { call, expect, .. } = &l.steps[2].kind else { panic!() };
        assert_eq!(call, &Call::Listen(8));
        assert_eq!(expect.state, Some(Some(TcpState::Listen)));
        assert_eq!(expect.sendq, Some(8));
        let StepKind::Call { expect, .. } = &l.steps[8].kind else { panic!() };
        assert_eq!(expect.ret, Some(Ret::Data(b"hola\n".to_vec())));
    }

    #[test]
    fn errors_name_the_line() {
        let e = p(&format!("{HEAD}srv socket\nsrv bind nowhere = 0\n")).unwrap_err();
        assert_eq!(e.to_string(), "lessons/x/01-demo.lesson:6: 'nowhere' is neither an address nor a socket's name");
        let e = p(&format!("{HEAD}srv socket\nsrv frobnicate\n")).unwrap_err();
        assert_eq!(e.line, 6);
        assert!(e.msg.starts_with("unknown call 'frobnicate'"));
        let e = p(&format!("{HEAD}cli connect srv\n")).unwrap_err();
        assert!(e.msg.contains("no socket named 'cli'"), "{e}");
        let e = p(&format!("{HEAD}srv socket\nsrv close\nsrv listen 1\n")).unwrap_err();
        assert_eq!((e.line, e.msg.as_str()), (7, "'srv' was closed by an earlier step"));
        let e = p(&format!("{HEAD}srv socket state ESTABLISHED kernel NOPE\n")).unwrap_err();
        assert!(e.msg.starts_with("unknown TCP state 'NOPE'"));
        let e = p(&format!("{HEAD}srv socket\nnote: only English\nsrv close\n")).unwrap_err();
        assert_eq!((e.line, e.msg.as_str()), (6, "this note has no Spanish version: add a 'note.es:' line after it"));
        let e = p("title: T\nquestion: Q\nquestion.es: P\nsrv socket\n").unwrap_err();
        assert!(e.msg.contains("title.es"));
        let e = p(&format!("{HEAD}srv socket\nsrv send \"open\n")).unwrap_err();
        assert!(e.msg.contains("not closed"));
        let e = p(&format!("{HEAD}srv socket\nsrv recv 4 = -1 nope\n")).unwrap_err();
        assert!(e.msg.contains("errno"));
    }

    #[test]
    fn names_drop_the_number() {
        assert_eq!(lesson_name(Path::new("a/03-three-way-handshake.lesson")), "three-way-handshake");
        assert_eq!(lesson_name(Path::new("a/udp-vs-tcp.lesson")), "udp-vs-tcp");
    }
}
