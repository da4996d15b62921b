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
//! A lesson is written in one language, English unless a `lang: es` line says otherwise; each
//! text line may have translations under it (`title.es:`, `note.en:` …), and a text without a
//! translation is shown in the lesson's own language (`lab lesson check` warns about it).
//!
//! One step per line: the socket's name, the call, its arguments, then what to expect — the
//! result after `=` (`= 0`, `= 5`, `= "hola\n"`, `= -1 ECONNREFUSED`, `= ...` for anything),
//! and any of `state S` (the fd's state), `kernel S` (what the kernel's table shows for the
//! socket's 4-tuple, also after `close()`; `kernel gone` for no row), `recvq N`, `sendq N`.
//! Names stand for fds and addresses: `connect srv` means srv's address, `bind 127.0.0.1:srv`
//! srv's port. A malformed lesson is refused before anything runs, with `file:line: what`.

use crate::tcp_state::TcpState;
use crate::trace::{names, sockopt, SockOpt, Syscall};
use nix::errno::Errno;
use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::path::{Path, PathBuf};

/// A text of the lesson: in the lesson's own language, and its translations where given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    /// The lesson's language (set once the whole file is read).
    pub lang: Lang,
    /// In the lesson's language (`title:`); empty if the lesson has no such text.
    pub own: String,
    /// Translations (`title.es:`), in the order written.
    pub translations: Vec<(Lang, String)>,
}

/// The language of a lesson's prose (and of everything lab says): [`crate::i18n::Lang`].
pub use crate::i18n::Lang;

impl Text {
    /// The text in `lang`, or in the lesson's own language if it has no translation there.
    pub fn get(&self, lang: Lang) -> &str {
        self.translation(lang).unwrap_or(&self.own)
    }

    /// The text in `lang` as written: its own text or a translation; `None` if not given.
    pub fn translation(&self, lang: Lang) -> Option<&str> {
        if lang == self.lang {
            return Some(&self.own);
        }
        self.translations
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, t)| t.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.own.is_empty()
    }

    /// Sets (or, for `explain`, extends) the text in `lang`, given the lesson's language so far.
    fn add(&mut self, lang: Option<Lang>, value: &str, extend: bool) {
        let slot = match lang {
            None => &mut self.own,
            Some(l) => match self.translations.iter().position(|(have, _)| *have == l) {
                Some(i) => &mut self.translations[i].1,
                None => {
                    self.translations.push((l, String::new()));
                    &mut self.translations.last_mut().expect("just pushed").1
                }
            },
        };
        if extend && !slot.is_empty() {
            slot.push(' ');
        } else {
            slot.clear();
        }
        slot.push_str(value);
    }
}

/// Where a lesson came from, as `lesson list` says it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// Built into lab.
    #[default]
    BuiltIn,
    /// An instructor's folder (`--lessons DIR`, `LAB_LESSONS`).
    Folder(PathBuf),
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

/// A condition `wait` waits for (bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// The fd's own state.
    State(TcpState),
    /// What the table shows for the socket's 4-tuple (`None`: no row).
    Kernel(Option<TcpState>),
    /// The table's Recv-Q for the socket.
    RecvQ(u32),
    /// The table's Send-Q for the socket (a connection's: bytes not yet acknowledged).
    SendQ(u32),
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cond::State(s) => write!(f, "state {s}"),
            Cond::Kernel(Some(s)) => write!(f, "kernel {s}"),
            Cond::Kernel(None) => f.write_str("kernel gone"),
            Cond::RecvQ(n) => write!(f, "Recv-Q {n}"),
            Cond::SendQ(n) => write!(f, "Send-Q {n}"),
        }
    }
}

/// One call of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Socket {
        udp: bool,
        v6: bool,
        /// The host it is made on (`socket on a`), in a lesson with hosts.
        host: Option<String>,
    },
    SetOpt(SockOpt),
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
    /// Wait for readability (`in`) or writability (`out`), at most `ms`: `poll()` handed this
    /// socket and the `others`, every one of them, on every call.
    Poll {
        out: bool,
        ms: i32,
        others: Vec<String>,
    },
    /// Wait for readability with the actor's epoll instance: this socket and the `others` are
    /// registered the first time (`epoll_ctl`), then `epoll_wait()` returns only the ready ones.
    Epoll {
        ms: i32,
        others: Vec<String>,
    },
    /// `getsockopt(SO_ERROR)`.
    SoError,
    /// `getaddrinfo(host)`.
    Resolve(String),
    /// Wait, bounded, until the kernel shows a condition.
    Wait(Cond),
}

impl Call {
    /// The call the trace shows for this step; `None` for `wait`, which makes none (it reads
    /// the kernel's table).
    pub fn syscall(&self) -> Option<Syscall> {
        Some(match self {
            Call::Socket { .. } => Syscall::Socket,
            Call::SetOpt(..) => Syscall::Setsockopt,
            Call::Nonblock => Syscall::Fcntl,
            Call::Bind(_) => Syscall::Bind,
            Call::Listen(_) => Syscall::Listen,
            Call::Accept { .. } => Syscall::Accept4,
            Call::Connect(_) => Syscall::Connect,
            Call::Send(_) => Syscall::Send,
            Call::Recv { .. } => Syscall::Recv,
            Call::SendTo(..) => Syscall::Sendto,
            Call::RecvFrom(_) => Syscall::Recvfrom,
            Call::Shutdown(_) => Syscall::Shutdown,
            Call::Close => Syscall::Close,
            Call::Poll { .. } => Syscall::Poll,
            Call::Epoll { .. } => Syscall::EpollWait,
            Call::SoError => Syscall::Getsockopt,
            Call::Resolve(_) => Syscall::Getaddrinfo,
            Call::Wait(_) => return None,
        })
    }
}

/// What the result should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ret {
    Value(i64),
    Errno(Errno),
    Data(Vec<u8>),
    Any,
}

impl fmt::Display for Ret {
    /// As the lesson writes it: `= 0`, `= -1 ECONNREFUSED`, `= "hola\n"`, `= ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Any => f.write_str("= ..."),
            Ret::Value(v) => write!(f, "= {v}"),
            Ret::Errno(e) => write!(f, "= -1 {}", names::errno_name(*e)),
            Ret::Data(d) => write!(f, "= {}", names::quoted(d, 64)),
        }
    }
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
    Call {
        sock: String,
        call: Call,
        expect: Expect,
    },
    Note(Text),
    /// `wire FROM>TO FLAGS …`: a segment expected on the wire.
    Wire(super::wire::WireExpect),
    /// `link SPEC`: the link's rules from here on (checked when parsed).
    Link(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line in the file.
    pub line: usize,
    /// The line as written (for `--step`, `lesson show` and failure messages).
    pub source: String,
    /// Where in `source` the expectations begin (its length if there are none).
    pub expect_at: usize,
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
    /// The language the lesson is written in (`lang:`, English if not given).
    pub lang: Lang,
    pub title: Text,
    pub question: Text,
    pub explain: Text,
    pub steps: Vec<Step>,
    /// The instructor's `#` comments, with their line numbers.
    pub comments: Vec<(usize, String)>,
    /// Built into lab, or from an instructor's folder.
    pub origin: Origin,
    /// Hosts joined by lab's link (`hosts: a b`), if the lesson runs on them.
    pub network: Option<NetSpec>,
}

/// A lesson's network: `hosts: a b`, `link: loss 5%`, `seed: 7`, `mtu: 576`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetSpec {
    /// The hosts, in order: `a` is 10.0.0.1, `b` 10.0.0.2.
    pub hosts: Vec<String>,
    /// The link's rules at the start, as written (checked when parsed).
    pub link: String,
    pub seed: u64,
    /// The hosts' devices' MTU: the largest packet the link carries.
    pub mtu: u32,
    /// TCP settings of every host (`sysctl: net.ipv4.tcp_early_retrans=0`), name and value.
    pub sysctls: Vec<(String, String)>,
    /// These header lines as written, with their line numbers (`lesson show`).
    pub source: Vec<(usize, String)>,
}

/// The hosts' MTU when a lesson names none (Ethernet's).
pub const DEFAULT_MTU: u32 = 1500;
/// The smallest MTU a lesson may set: IPv4's minimum, 576 bytes.
pub const MIN_MTU: u32 = 576;

/// `file:line: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: PathBuf,
    pub line: usize,
    pub msg: String,
}

/// The longest word of a lesson an error message repeats: a malformed lesson's 5 MB token is
/// shown by its start and its size, not echoed whole.
const SHOWN_WORD: usize = 48;
/// The longest error message, in characters, whatever it holds.
const SHOWN_MESSAGE: usize = 400;

impl ParseError {
    /// The error at `line` of `path`, its message bounded: each overlong word cut to its first
    /// `SHOWN_WORD` characters and its size, the whole to `SHOWN_MESSAGE`.
    pub fn new(path: &Path, line: usize, msg: &str) -> ParseError {
        let words: Vec<String> = msg
            .split(' ')
            .map(|w| match w.char_indices().nth(SHOWN_WORD) {
                Some((at, _)) => format!(
                    "{}… ({} bytes)",
                    &w[..at],
                    w.trim_matches(['\'', '"', ':', ',']).len()
                ),
                None => w.to_string(),
            })
            .collect();
        let mut msg = words.join(" ");
        if let Some((at, _)) = msg.char_indices().nth(SHOWN_MESSAGE) {
            msg.truncate(at);
            msg.push('…');
        }
        ParseError {
            path: path.to_path_buf(),
            line,
            msg,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.msg)
    }
}

impl std::error::Error for ParseError {}

/// The name a lesson file goes by: `03-three-way-handshake.lesson` → `three-way-handshake`.
pub fn lesson_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.split_once('-') {
        Some((num, rest)) if num.chars().all(|c| c.is_ascii_digit()) && !num.is_empty() => {
            rest.to_string()
        }
        _ => stem,
    }
}

/// Reads and parses a lesson file. A file that is not UTF-8 is refused at the line of its first
/// bad byte.
pub fn load(path: &Path) -> Result<Lesson, ParseError> {
    let bytes =
        std::fs::read(path).map_err(|e| ParseError::new(path, 0, &format!("cannot read: {e}")))?;
    from_bytes(path, bytes)
}

/// Parses a lesson's bytes (a file's, or a lesson built into lab); `path` names it in messages.
pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Lesson, ParseError> {
    let err = |line: usize, msg: String| ParseError::new(path, line, &msg);
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let col = good.len() - good.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        let byte = e.as_bytes()[good.len()];
        err(
            line,
            format!("not UTF-8 (byte 0x{byte:02x} at column {col}): save the lesson as UTF-8"),
        )
    })?;
    parse(path, &text)
}

/// The largest buffer a lesson's `recv`/`recvfrom` may ask for: every number in a lesson is
/// bounded when it is parsed, so that no lesson can exhaust memory or wait without end.
pub const MAX_RECV: usize = 1 << 20;
/// The longest `poll` timeout, in ms: the runner bounds every wait by 3 s.
pub const MAX_POLL_MS: i32 = 3000;
/// The largest `listen` backlog (Linux caps it at net.core.somaxconn, 4096 here).
pub const MAX_BACKLOG: i32 = 4096;
/// The longest SO_LINGER, in s: a lingering `close()` blocks up to that long.
pub const MAX_LINGER_S: u64 = 3;
/// The largest SO_RCVBUF / SO_SNDBUF, in bytes.
pub const MAX_BUFFER: u64 = 16 << 20;
/// The largest keep-alive time (s), probe count, or SYN count: a lesson stays short.
pub const MAX_TIMER_COUNT: u64 = 10;
/// The largest TCP_USER_TIMEOUT, in ms.
pub const MAX_USER_TIMEOUT_MS: u64 = 10_000;

/// Parses a lesson's text; `path` is used for names and messages.
pub fn parse(path: &Path, text: &str) -> Result<Lesson, ParseError> {
    let err = |line: usize, msg: String| ParseError::new(path, line, &msg);
    let topic = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lesson = Lesson {
        path: path.to_path_buf(),
        name: lesson_name(path),
        topic,
        lang: Lang::En,
        title: Text::default(),
        question: Text::default(),
        explain: Text::default(),
        steps: Vec::new(),
        comments: Vec::new(),
        origin: Origin::BuiltIn,
        network: None,
    };
    let mut p = Parser {
        lesson,
        names: Names::default(),
        after_note: false,
        texts_begun: false,
    };
    for (i, raw) in text.lines().enumerate() {
        p.line(i + 1, raw.trim()).map_err(|(n, m)| err(n, m))?;
    }
    p.finish().map_err(|(n, m)| err(n, m))
}

/// The parser's state between lines.
struct Parser {
    lesson: Lesson,
    names: Names,
    /// Whether the last line was a note or one of its translations (a `note.es:` may follow).
    after_note: bool,
    /// Whether a text was written yet (`lang:` must come before the first).
    texts_begun: bool,
}

/// A parse error: the line and what is wrong.
type LineError = (usize, String);

impl Parser {
    fn line(&mut self, n: usize, line: &str) -> Result<(), LineError> {
        if line.is_empty() {
            return Ok(());
        }
        if let Some(comment) = line.strip_prefix('#') {
            self.lesson.comments.push((n, comment.trim().to_string()));
            return Ok(());
        }
        if let Some((key, value)) = header(line) {
            return self.header(n, line, key, value.trim());
        }
        self.after_note = false;
        let (kind, expect_at) = parse_step(line, &mut self.names).map_err(|m| (n, m))?;
        self.lesson.steps.push(Step {
            line: n,
            source: line.to_string(),
            expect_at,
            kind,
        });
        Ok(())
    }

    /// A `key: value` line: a header, or a note between steps. `key.xx:` is a translation.
    fn header(&mut self, n: usize, line: &str, key: &str, value: &str) -> Result<(), LineError> {
        if value.is_empty() {
            return Err((n, format!("'{key}:' needs a text after it")));
        }
        if NET_HEADERS.contains(&key) {
            self.net_header(key, value).map_err(|m| (n, m))?;
            if let Some(net) = self.lesson.network.as_mut() {
                net.source.push((n, line.to_string()));
            }
            return Ok(());
        }
        if key == "lang" {
            if self.texts_begun {
                return Err((n, "'lang:' goes before the lesson's first text".into()));
            }
            self.lesson.lang = language(value).ok_or_else(|| (n, unknown_language(value)))?;
            return Ok(());
        }
        self.texts_begun = true;
        let (base, lang) = match key.split_once('.') {
            Some((base, code)) => (
                base,
                Some(language(code).ok_or_else(|| (n, unknown_language(code)))?),
            ),
            None => (key, None),
        };
        // A translation into the lesson's own language is its own text.
        let lang = lang.filter(|l| *l != self.lesson.lang);
        let after_note = std::mem::take(&mut self.after_note);
        let l = &mut self.lesson;
        match base {
            "title" => l.title.add(lang, value, false),
            "question" => l.question.add(lang, value, false),
            "explain" => l.explain.add(lang, value, true),
            "note" if lang.is_none() => {
                let mut text = Text::default();
                text.add(None, value, false);
                l.steps.push(Step {
                    line: n,
                    source: line.to_string(),
                    expect_at: line.len(),
                    kind: StepKind::Note(text),
                });
                self.after_note = true;
            }
            "note" => match l.steps.last_mut() {
                Some(Step {
                    kind: StepKind::Note(t),
                    ..
                }) if after_note => {
                    t.add(lang, value, false);
                    self.after_note = true;
                }
                _ => return Err((n, format!("'{key}:' must follow a 'note:' line"))),
            },
            other => return Err((n, unknown_header(other))),
        }
        Ok(())
    }

    /// `hosts:`, `link:`, `seed:`, `mtu:` — before the first step, `hosts:` first.
    fn net_header(&mut self, key: &str, value: &str) -> Result<(), String> {
        if !self.lesson.steps.is_empty() {
            return Err(format!("'{key}:' goes before the lesson's first step"));
        }
        if key == "hosts" {
            let hosts: Vec<String> = value.split_whitespace().map(String::from).collect();
            let expected: Vec<String> = (0..hosts.len()).map(crate::net::host::name_of).collect();
            if hosts != expected || hosts.len() > crate::net::host::MAX_HOSTS {
                return Err(format!(
                    "hosts are named a, b, c … in order (hosts: a b), not '{value}'"
                ));
            }
            self.names.hosts = hosts.clone();
            self.lesson.network = Some(NetSpec {
                hosts,
                link: String::new(),
                seed: 0,
                mtu: DEFAULT_MTU,
                sysctls: Vec::new(),
                source: Vec::new(),
            });
            return Ok(());
        }
        let hosts: Vec<&str> = self.names.hosts.iter().map(String::as_str).collect();
        let Some(net) = self.lesson.network.as_mut() else {
            return Err(format!("'{key}:' needs a 'hosts:' line before it"));
        };
        match key {
            "link" => {
                crate::net::spec::parse(value, &hosts).map_err(|e| e.to_string())?;
                net.link = value.to_string();
            }
            "seed" => net.seed = value.parse().map_err(|_| "seed: a number".to_string())?,
            "sysctl" => net.sysctls.push(sysctl(value)?),
            _ => {
                net.mtu = value
                    .parse()
                    .ok()
                    .filter(|m| (MIN_MTU..=65_535).contains(m))
                    .ok_or(format!("mtu: a number from {MIN_MTU} to 65535"))?
            }
        }
        Ok(())
    }

    /// The checks that need the whole file.
    fn finish(self) -> Result<Lesson, LineError> {
        let mut l = self.lesson;
        for (what, t) in [("title", &l.title), ("question", &l.question)] {
            if t.own.is_empty() {
                return Err((1, format!("missing '{what}:' line")));
            }
        }
        if l.explain.own.is_empty() && !l.explain.translations.is_empty() {
            return Err((
                1,
                "an 'explain:' translation without 'explain:' itself".into(),
            ));
        }
        if !l
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Call { .. }))
        {
            return Err((1, "a lesson needs at least one step".into()));
        }
        let lang = l.lang;
        for t in l.texts_mut() {
            t.lang = lang;
        }
        Ok(l)
    }
}

/// `net.ipv4.tcp_early_retrans=0`: a host's TCP setting, its name and value. Only TCP's own
/// (`net.ipv4.tcp_*`): a lesson changes how TCP behaves on its hosts, nothing else.
fn sysctl(text: &str) -> Result<(String, String), String> {
    let bad = || format!("sysctl: net.ipv4.tcp_NAME=NUMBER, not '{text}'");
    let (name, value) = text.split_once('=').ok_or_else(bad)?;
    let (name, value) = (name.trim(), value.trim());
    let name_ok = name.starts_with("net.ipv4.tcp_")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    let value_ok = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit());
    if !name_ok || !value_ok {
        return Err(bad());
    }
    Ok((name.to_string(), value.to_string()))
}

/// The language a code names (`en`, `es`, `pt`), as `--lang` takes it.
fn language(code: &str) -> Option<Lang> {
    use clap::ValueEnum;
    Lang::from_str(code.trim(), true).ok()
}

/// The codes of the languages lab speaks: `en, es, pt`.
fn known_languages() -> String {
    use clap::ValueEnum;
    let known: Vec<String> = Lang::value_variants().iter().map(|l| l.code()).collect();
    known.join(", ")
}

fn unknown_language(code_given: &str) -> String {
    format!(
        "unknown language '{code_given}' (lab speaks {})",
        known_languages()
    )
}

fn unknown_header(key: &str) -> String {
    format!(
        "unknown header '{key}:' (lang, title, question, explain, note; a translation adds \
         .CODE, for any language lab speaks: {})",
        known_languages()
    )
}

impl Lesson {
    /// Every text of the lesson: title, question, explanation, notes.
    fn texts_mut(&mut self) -> impl Iterator<Item = &mut Text> {
        let notes = self.steps.iter_mut().filter_map(|s| match &mut s.kind {
            StepKind::Note(t) => Some(t),
            StepKind::Call { .. } | StepKind::Wire(_) | StepKind::Link(_) => None,
        });
        [&mut self.title, &mut self.question, &mut self.explain]
            .into_iter()
            .chain(notes)
    }

    /// Whether nothing of the lesson is translated into `lang` (another language than its own).
    pub fn untranslated_all(&self, lang: Lang) -> bool {
        let texts = [&self.title, &self.question, &self.explain];
        let notes = self.steps.iter().filter_map(|s| match &s.kind {
            StepKind::Note(t) => Some(t),
            StepKind::Call { .. } | StepKind::Wire(_) | StepKind::Link(_) => None,
        });
        lang != self.lang
            && texts
                .into_iter()
                .chain(notes)
                .all(|t| t.translation(lang).is_none())
    }

    /// What has no translation into `lang` (`title`, `note at line 12` …): shown in the lesson's
    /// own language to a reader of `lang`.
    pub fn untranslated(&self, lang: Lang) -> Vec<String> {
        let mut out = Vec::new();
        for (what, t) in [
            ("title", &self.title),
            ("question", &self.question),
            ("explain", &self.explain),
        ] {
            if !t.is_empty() && t.translation(lang).is_none() {
                out.push(what.to_string());
            }
        }
        for s in &self.steps {
            if let StepKind::Note(t) = &s.kind {
                if t.translation(lang).is_none() {
                    out.push(format!("note:{}", s.line));
                }
            }
        }
        out
    }
}

/// `key: value` for a header or note line; step lines never have a `:` right after the first
/// word (addresses like `127.0.0.1:0` come later).
fn header(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = line.split_once(':')?;
    let key = key.trim();
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_'))
    .then_some((key, rest))
}

/// One word of a step line, and the byte offset where it starts.
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

/// Splits a step line into words, each with its offset; a double-quoted string is one word,
/// escapes decoded.
fn words(line: &str) -> Result<Vec<(usize, Word)>, String> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            out.push((at, Word::Str(string(&mut chars)?)));
        } else {
            let mut w = String::new();
            while let Some((_, ch)) = chars.next_if(|(_, ch)| !ch.is_whitespace()) {
                w.push(ch);
            }
            out.push((at, Word::Plain(w)));
        }
    }
    Ok(out)
}

/// The rest of a double-quoted string, after its opening `"`, as bytes.
fn string(chars: &mut impl Iterator<Item = (usize, char)>) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    loop {
        match chars.next().map(|(_, c)| c) {
            None => return Err("a string is not closed: add the final \"".into()),
            Some('"') => return Ok(bytes),
            Some('\\') => bytes.push(escape(chars)?),
            Some(ch) => {
                let mut b = [0u8; 4];
                bytes.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

/// One escape after `\`: `\n`, `\r`, `\t`, `\0`, `\\`, `\"`, `\xNN`.
fn escape(chars: &mut impl Iterator<Item = (usize, char)>) -> Result<u8, String> {
    Ok(match chars.next().map(|(_, c)| c) {
        Some('n') => b'\n',
        Some('r') => b'\r',
        Some('t') => b'\t',
        Some('0') => 0,
        Some('\\') => b'\\',
        Some('"') => b'"',
        Some('x') => {
            let hex: String = chars.take(2).map(|(_, c)| c).collect();
            u8::from_str_radix(&hex, 16)
                .map_err(|_| format!("bad escape \\x{hex}: two hex digits expected"))?
        }
        other => {
            return Err(format!(
                "unknown escape \\{}",
                other.map(String::from).unwrap_or_default()
            ))
        }
    })
}

/// The sockets a lesson has named so far: those open now, and every one ever made.
#[derive(Default)]
struct Names {
    live: HashSet<String>,
    ever: HashSet<String>,
    /// The lesson's hosts (`hosts: a b`), in order.
    hosts: Vec<String>,
}

impl Names {
    fn add(&mut self, name: &str) {
        self.live.insert(name.to_string());
        self.ever.insert(name.to_string());
    }

    /// The host a word names, or why it names none.
    fn host(&self, word: Option<&str>) -> Result<String, String> {
        let w = word.unwrap_or_default();
        if self.hosts.iter().any(|h| h == w) {
            return Ok(w.to_string());
        }
        Err(match self.hosts.is_empty() {
            true => format!("no host '{w}': declare the hosts first (hosts: a b)"),
            false => format!("no host '{w}' (this lesson has {})", self.hosts.join(", ")),
        })
    }

    /// A host's IPv4 address, if `name` is one of the lesson's hosts.
    fn host_ip(&self, name: &str) -> Option<IpAddr> {
        let i = self.hosts.iter().position(|h| h == name)?;
        Some(IpAddr::V4(crate::net::host::v4_of(i)))
    }

    fn is_new(&self, name: &str) -> bool {
        !self.ever.contains(name)
    }

    fn need_live(&self, name: &str) -> Result<(), String> {
        if self.live.contains(name) {
            Ok(())
        } else if self.ever.contains(name) {
            Err(format!("'{name}' was closed by an earlier step"))
        } else {
            Err(format!(
                "no socket named '{name}' yet (create it with '{name} socket' or 'accept \
                -> {name}')"
            ))
        }
    }
}

/// Words that start a step's expectations.
const EXPECT_WORDS: [&str; 5] = ["=", "state", "kernel", "recvq", "sendq"];

/// Words that begin a step of their own, not a socket's: no socket may be named so.
const STEP_WORDS: [&str; 2] = ["wire", "link"];

/// The headers of a lesson's network.
const NET_HEADERS: [&str; 5] = ["hosts", "link", "seed", "mtu", "sysctl"];

/// Parses one step; returns it and where its expectations begin.
fn parse_step(line: &str, names: &mut Names) -> Result<(StepKind, usize), String> {
    let ws = words(line)?;
    match ws.first().and_then(|(_, w)| w.plain()) {
        Some("wire") => return wire_step(line, &ws, names),
        Some("link") => return link_step(line, &ws, names),
        _ => {}
    }
    // The call's words end at `=` or at the first expectation keyword — except for `wait`,
    // whose condition is written with those very words (`wait kernel TIME-WAIT`).
    let is_wait = ws.get(1).and_then(|(_, w)| w.plain()) == Some("wait");
    let split = ws
        .iter()
        .position(|(_, w)| w.plain().is_some_and(|p| EXPECT_WORDS.contains(&p)))
        .filter(|_| !is_wait)
        .unwrap_or(ws.len());
    let expect_at = ws.get(split).map_or(line.len(), |(at, _)| *at);
    let ws: Vec<Word> = ws.into_iter().map(|(_, w)| w).collect();
    let (head, tail) = ws.split_at(split);
    let sock = head
        .first()
        .and_then(Word::plain)
        .ok_or("a step starts with a socket name")?
        .to_string();
    if !valid_name(&sock) {
        return Err(format!(
            "'{sock}' is not a socket name (letters, digits, _)"
        ));
    }
    let word = head.get(1).and_then(Word::plain).ok_or(format!(
        "what does {sock} call? (socket, bind, connect, ...)"
    ))?;
    let call = parse_call(&sock, word, &head[2..], names)?;
    Ok((
        StepKind::Call {
            sock,
            call,
            expect: expectations(tail)?,
        },
        expect_at,
    ))
}

/// `wire FROM>TO FLAGS …` (see [`super::wire`]); its expectation begins at the flags.
fn wire_step(line: &str, ws: &[(usize, Word)], names: &Names) -> Result<(StepKind, usize), String> {
    let plain: Vec<&str> = ws
        .iter()
        .skip(1)
        .map(|(_, w)| w.plain().ok_or("a wire step has no quoted words"))
        .collect::<Result<_, _>>()?;
    let known = |n: &str| !names.is_new(n) || names.hosts.iter().any(|h| h == n);
    let expect = super::wire::parse(&plain, &known)?;
    let at = ws.get(2).map_or(line.len(), |(at, _)| *at);
    Ok((StepKind::Wire(expect), at))
}

/// `link SPEC`: the link's rules from this step on (`partition`, `heal`, `a>b drop data 1`).
fn link_step(line: &str, ws: &[(usize, Word)], names: &Names) -> Result<(StepKind, usize), String> {
    if names.hosts.is_empty() {
        return Err("a 'link' step needs hosts: add 'hosts: a b' before the steps".into());
    }
    let at = ws.get(1).map_or(line.len(), |(at, _)| *at);
    let rules = line[at..].trim();
    let hosts: Vec<&str> = names.hosts.iter().map(String::as_str).collect();
    crate::net::spec::parse(rules, &hosts).map_err(|e| e.to_string())?;
    Ok((StepKind::Link(rules.to_string()), at))
}

/// The arguments of a call, with the messages for a missing one.
struct Args<'a> {
    call: &'a str,
    words: &'a [Word],
}

impl<'a> Args<'a> {
    fn plain(&self, i: usize, what: &str) -> Result<&'a str, String> {
        self.words
            .get(i)
            .and_then(Word::plain)
            .ok_or(format!("{} needs {what}", self.call))
    }

    fn number<T: std::str::FromStr>(&self, i: usize, what: &str, bad: &str) -> Result<T, String> {
        self.plain(i, what)?.parse().map_err(|_| bad.to_string())
    }

    /// A number within `range`, else a message that says the range.
    fn bounded<T>(
        &self,
        i: usize,
        what: &str,
        bad: &str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, String>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display,
    {
        let n: T = self.number(i, what, bad)?;
        if !range.contains(&n) {
            return Err(format!(
                "{} takes {what} from {} to {}, not {n}",
                self.call,
                range.start(),
                range.end()
            ));
        }
        Ok(n)
    }
}

/// The call a step makes, from its word (`accept`) and arguments.
fn parse_call(sock: &str, word: &str, words: &[Word], names: &mut Names) -> Result<Call, String> {
    let a = Args { call: word, words };
    let Some(syscall) = Syscall::from_lesson_word(word) else {
        return if word == "wait" {
            wait_call(sock, &a, names)
        } else {
            Err(unknown_call(word))
        };
    };
    match syscall {
        Syscall::Socket => return socket_call(sock, &a, names),
        Syscall::Getaddrinfo => return Ok(Call::Resolve(a.plain(0, "a host name")?.to_string())),
        _ => names.need_live(sock)?,
    }
    let target = |i: usize, what: &str| target(a.plain(i, what)?, names);
    Ok(match syscall {
        Syscall::Setsockopt => setsockopt_call(&a)?,
        Syscall::Fcntl => Call::Nonblock,
        Syscall::Bind => Call::Bind(target(0, "an address")?),
        Syscall::Listen => Call::Listen(a.bounded(
            0,
            "a backlog",
            "listen's backlog must be a number",
            0..=MAX_BACKLOG,
        )?),
        Syscall::Accept4 => accept_call(&a, names)?,
        Syscall::Connect => Call::Connect(target(0, "an address or socket name")?),
        Syscall::Send => Call::Send(repeated(&a)?),
        Syscall::Recv => recv_call(&a)?,
        Syscall::Sendto => Call::SendTo(target(0, "an address")?, data(words.get(1))?),
        Syscall::Recvfrom => Call::RecvFrom(a.bounded(
            0,
            "a length",
            "recvfrom's length must be a number",
            0..=MAX_RECV,
        )?),
        Syscall::Shutdown => shutdown_call(&a)?,
        Syscall::Close => {
            names.live.remove(sock);
            Call::Close
        }
        Syscall::Poll => poll_call(&a, names)?,
        Syscall::EpollWait => epoll_call(&a, names)?,
        Syscall::Getsockopt => match a.plain(0, "SO_ERROR")? {
            "SO_ERROR" => Call::SoError,
            other => return Err(format!("getsockopt: only SO_ERROR, not {other}")),
        },
        // Calls with no lesson word (only `lab trace` sees them) never get here.
        _ => return Err(unknown_call(word)),
    })
}

fn unknown_call(word: &str) -> String {
    let known: Vec<&str> = Syscall::lesson_words().chain(["wait"]).collect();
    format!("unknown call '{word}' ({})", known.join(", "))
}

fn socket_call(sock: &str, a: &Args, names: &mut Names) -> Result<Call, String> {
    if !names.is_new(sock) {
        return Err(format!(
            "a socket named '{sock}' already exists: pick another name"
        ));
    }
    let (mut udp, mut v6, mut host) = (false, false, None);
    let mut words = a.words.iter().map(Word::plain);
    while let Some(w) = words.next() {
        match w {
            Some("tcp") => udp = false,
            Some("udp") => udp = true,
            Some("ipv4") => v6 = false,
            Some("ipv6") => v6 = true,
            Some("on") => host = Some(names.host(words.next().flatten())?),
            _ => return Err("socket takes: tcp|udp ipv4|ipv6 [on HOST]".into()),
        }
    }
    if host.is_none() && !names.hosts.is_empty() {
        return Err(format!(
            "this lesson has hosts: say which one {sock} is on ({sock} socket on a)"
        ));
    }
    names.add(sock);
    Ok(Call::Socket { udp, v6, host })
}

fn setsockopt_call(a: &Args) -> Result<Call, String> {
    let name = a.plain(0, "an option")?;
    if !sockopt::NAMES.contains(&name) {
        return Err(format!(
            "unknown option {name} ({})",
            sockopt::NAMES.join(", ")
        ));
    }
    let max = match name {
        "SO_LINGER" => MAX_LINGER_S,
        "SO_RCVBUF" | "SO_SNDBUF" => MAX_BUFFER,
        "TCP_KEEPIDLE" | "TCP_KEEPINTVL" | "TCP_KEEPCNT" | "TCP_SYNCNT" => MAX_TIMER_COUNT,
        "TCP_USER_TIMEOUT" => MAX_USER_TIMEOUT_MS,
        _ => 1,
    };
    let value = a.bounded(1, "a value", "the option's value must be a number", 0..=max)?;
    Ok(Call::SetOpt(
        SockOpt::parse(name, value).ok_or(format!("unknown option {name}"))?,
    ))
}

fn accept_call(a: &Args, names: &mut Names) -> Result<Call, String> {
    let (Ok("->"), Some(new)) = (a.plain(0, "-> NAME"), a.words.get(1).and_then(Word::plain))
    else {
        return Err("accept names the new socket: accept -> NAME".into());
    };
    if !valid_name(new) || !names.is_new(new) || STEP_WORDS.contains(&new) {
        return Err(format!(
            "'{new}' cannot name the accepted socket: pick a new name"
        ));
    }
    names.add(new);
    Ok(Call::Accept {
        new: new.to_string(),
    })
}

fn recv_call(a: &Args) -> Result<Call, String> {
    let len = a.bounded(
        0,
        "a length",
        "recv's length must be a number",
        0..=MAX_RECV,
    )?;
    let mut flags = 0;
    for w in &a.words[1..] {
        flags |= match w.plain() {
            Some("waitall") => libc::MSG_WAITALL,
            Some("peek") => libc::MSG_PEEK,
            Some("dontwait") => libc::MSG_DONTWAIT,
            _ => return Err("recv's flags: waitall, peek, dontwait".into()),
        };
    }
    Ok(Call::Recv { len, flags })
}

fn shutdown_call(a: &Args) -> Result<Call, String> {
    Ok(Call::Shutdown(match a.plain(0, "wr, rd or rdwr")? {
        "wr" | "SHUT_WR" => Shutdown::Write,
        "rd" | "SHUT_RD" => Shutdown::Read,
        "rdwr" | "SHUT_RDWR" => Shutdown::Both,
        _ => return Err("shutdown takes wr, rd or rdwr".into()),
    }))
}

/// `poll in|out [MS [SOCKETS…]]`: this socket, and any others named after the timeout.
fn poll_call(a: &Args, names: &Names) -> Result<Call, String> {
    let out = match a.plain(0, "in or out")? {
        "in" => false,
        "out" => true,
        _ => return Err("poll takes in or out".into()),
    };
    let ms = match a.words.get(1) {
        Some(_) => a.bounded(1, "a timeout", "poll's timeout is in ms", 0..=MAX_POLL_MS)?,
        None => 1000,
    };
    Ok(Call::Poll {
        out,
        ms,
        others: watched(a, 2, names)?,
    })
}

/// `epoll MS [SOCKETS…]`: readability of this socket and the others, with epoll.
fn epoll_call(a: &Args, names: &Names) -> Result<Call, String> {
    let ms = a.bounded(0, "a timeout", "epoll's timeout is in ms", 0..=MAX_POLL_MS)?;
    Ok(Call::Epoll {
        ms,
        others: watched(a, 1, names)?,
    })
}

/// The sockets named from word `from` on, each one open.
fn watched(a: &Args, from: usize, names: &Names) -> Result<Vec<String>, String> {
    (from..a.words.len())
        .map(|i| {
            let name = a.plain(i, "socket names")?;
            names.need_live(name)?;
            Ok(name.to_string())
        })
        .collect()
}

/// `wait state S`, `wait kernel S`, `wait kernel gone`, `wait recvq N`, `wait sendq N`. It
/// follows a connection by its 4-tuple, so it works after `close()` too.
fn wait_call(sock: &str, a: &Args, names: &Names) -> Result<Call, String> {
    if names.is_new(sock) {
        names.need_live(sock)?;
    }
    Ok(Call::Wait(
        match (
            a.plain(0, "state, kernel or recvq")?,
            a.plain(1, "a value")?,
        ) {
            ("state", s) => Cond::State(state(s)?),
            ("kernel", "gone") => Cond::Kernel(None),
            ("kernel", s) => Cond::Kernel(Some(state(s)?)),
            ("recvq", n) => Cond::RecvQ(n.parse().map_err(|_| "recvq takes a number".to_string())?),
            ("sendq", n) => Cond::SendQ(n.parse().map_err(|_| "sendq takes a number".to_string())?),
            _ => return Err("wait takes: state S, kernel S, kernel gone, recvq N, sendq N".into()),
        },
    ))
}

fn expectations(tail: &[Word]) -> Result<Expect, String> {
    let mut e = Expect::default();
    let mut i = 0;
    while i < tail.len() {
        let key = tail[i].plain().unwrap_or_default();
        let next_plain = tail.get(i + 1).and_then(Word::plain);
        match key {
            "=" => {
                let (ret, used) = result(&tail[i + 1..])?;
                e.ret = Some(ret);
                i += 1 + used;
                continue;
            }
            "state" => {
                let s = next_plain.ok_or("'state' needs a state")?;
                e.state = Some(if s == "-" { None } else { Some(state(s)?) });
            }
            "kernel" => {
                let s = next_plain.ok_or("'kernel' needs a state, or 'gone'")?;
                e.kernel = Some(if s == "gone" { None } else { Some(state(s)?) });
            }
            "recvq" | "sendq" => {
                let n: u32 = next_plain
                    .and_then(|s| s.parse().ok())
                    .ok_or(format!("'{key}' needs a number"))?;
                *(if key == "recvq" {
                    &mut e.recvq
                } else {
                    &mut e.sendq
                }) = Some(n);
            }
            other => {
                return Err(format!(
                    "unexpected '{other}' after the expectations (= state kernel recvq sendq)"
                ))
            }
        }
        i += 2;
    }
    Ok(e)
}

/// The expected result after `=`, and how many words it took.
fn result(words: &[Word]) -> Result<(Ret, usize), String> {
    Ok(match words.first().ok_or("'=' needs a value")? {
        Word::Str(b) => (Ret::Data(b.clone()), 1),
        Word::Plain(s) if s == "..." => (Ret::Any, 1),
        Word::Plain(s) if s == "-1" => {
            let name = words
                .get(1)
                .and_then(Word::plain)
                .ok_or("'= -1' needs the errno's name: = -1 ECONNREFUSED")?;
            let errno = names::errno_from_name(name).ok_or(format!(
                "'{name}' is not an errno name (ECONNREFUSED, EAGAIN, ...)"
            ))?;
            (Ret::Errno(errno), 2)
        }
        Word::Plain(s) => (
            Ret::Value(s.parse().map_err(|_| {
                format!("'{s}' is not a result (a number, \"data\", -1 ERRNO or ...)")
            })?),
            1,
        ),
    })
}

fn state(s: &str) -> Result<TcpState, String> {
    TcpState::parse(s).ok_or(format!(
        "unknown TCP state '{s}' (ESTAB, LISTEN, SYN-SENT, FIN-WAIT-2, CLOSE-WAIT, TIME-WAIT, ...)"
    ))
}

/// `"data"`, or `"data" * N`: the data N times (a lesson that fills a window sends a lot).
fn repeated(a: &Args) -> Result<Vec<u8>, String> {
    let one = data(a.words.first())?;
    if a.words.len() == 1 {
        return Ok(one);
    }
    if a.plain(1, "* N") != Ok("*") {
        return Err("send takes \"data\" or \"data\" * N".into());
    }
    let n: usize = a.bounded(2, "a count", "the count must be a number", 1..=MAX_RECV)?;
    if one.len().saturating_mul(n) > MAX_RECV {
        return Err(format!("send: at most {MAX_RECV} bytes in one step"));
    }
    Ok(one.repeat(n))
}

fn data(w: Option<&Word>) -> Result<Vec<u8>, String> {
    match w {
        Some(Word::Str(b)) => Ok(b.clone()),
        _ => Err("data goes in double quotes: \"hola\\n\"".into()),
    }
}

fn target(s: &str, names: &Names) -> Result<Target, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(Target::Addr(a));
    }
    let known = |n: &str| -> Result<(), String> {
        if names.is_new(n) {
            Err(format!("'{s}' is neither an address nor a socket's name"))
        } else {
            Ok(())
        }
    };
    if let Some((ip, name)) = s.rsplit_once(':') {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        // A host's name stands for its address: `a:0`, `a:9000`, `a:srv`.
        let ip = names.host_ip(ip).or_else(|| ip.parse::<IpAddr>().ok());
        if let (Some(ip), Ok(port)) = (ip, name.parse::<u16>()) {
            return Ok(Target::Addr(SocketAddr::new(ip, port)));
        }
        if let Some(ip) = ip {
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
            "{HEAD}srv socket\nsrv bind 127.0.0.1:0 = 0\nsrv listen 8 = 0 state LISTEN recvq 0 \
                sendq 8\ncli socket\ncli connect srv = 0 state ESTAB kernel ESTAB\nnote: hi\
                \nnote.es: hola\nsrv accept -> conn = ...\ncli send \"hola\\n\" = 5\
                \nconn recv 10 = \"hola\\n\"\ncli close = 0 kernel FIN-WAIT-2\
                \nconn recv 10 waitall = 0 state CLOSE-WAIT\n"
        ))
        .unwrap();
        assert_eq!(l.name, "demo");
        assert_eq!(l.topic, "x");
        assert_eq!(l.steps.len(), 11);
        let StepKind::Call { call, expect, .. } = &l.steps[2].kind else {
            panic!()
        };
        assert_eq!(call, &Call::Listen(8));
        assert_eq!(expect.state, Some(Some(TcpState::Listen)));
        assert_eq!(expect.sendq, Some(8));
        let StepKind::Call { expect, .. } = &l.steps[8].kind else {
            panic!()
        };
        assert_eq!(expect.ret, Some(Ret::Data(b"hola\n".to_vec())));
    }

    #[test]
    fn errors_name_the_line() {
        let e = p(&format!("{HEAD}srv socket\nsrv bind nowhere = 0\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "lessons/x/01-demo.lesson:6: 'nowhere' is neither an address nor a socket's name"
        );
        let e = p(&format!("{HEAD}srv socket\nsrv frobnicate\n")).unwrap_err();
        assert_eq!(e.line, 6);
        assert!(e.msg.starts_with("unknown call 'frobnicate'"));
        let e = p(&format!("{HEAD}cli connect srv\n")).unwrap_err();
        assert!(e.msg.contains("no socket named 'cli'"), "{e}");
        let e = p(&format!("{HEAD}srv socket\nsrv close\nsrv listen 1\n")).unwrap_err();
        assert_eq!(
            (e.line, e.msg.as_str()),
            (7, "'srv' was closed by an earlier step")
        );
        let e = p(&format!("{HEAD}srv socket state ESTABLISHED kernel NOPE\n")).unwrap_err();
        assert!(e.msg.starts_with("unknown TCP state 'NOPE'"));
        let e = p("title.es: T\nquestion: Q\nsrv socket\n").unwrap_err();
        assert_eq!(e.msg, "missing 'title:' line");
        let e = p(&format!("{HEAD}srv socket\nnote.es: sin nota\n")).unwrap_err();
        assert_eq!(
            (e.line, e.msg.as_str()),
            (6, "'note.es:' must follow a 'note:' line")
        );
        let e = p(&format!("{HEAD}title.eo: T\nsrv socket\n")).unwrap_err();
        assert_eq!(
            (e.line, e.msg.as_str()),
            (5, "unknown language 'eo' (lab speaks en, es, pt)")
        );
        let e = p(&format!("{HEAD}lang: es\nsrv socket\n")).unwrap_err();
        assert_eq!(e.msg, "'lang:' goes before the lesson's first text");
        let e = p(&format!("{HEAD}srv socket\nsrv send \"open\n")).unwrap_err();
        assert!(e.msg.contains("not closed"));
        let e = p(&format!("{HEAD}srv socket\nsrv recv 4 = -1 nope\n")).unwrap_err();
        assert!(e.msg.contains("errno"));
    }

    #[test]
    fn a_lesson_in_one_language_falls_back_to_it() {
        let l = p("title: T\nquestion: Q\nsrv socket\nnote: only English\nsrv close\n").unwrap();
        let StepKind::Note(note) = &l.steps[1].kind else {
            panic!()
        };
        assert_eq!(
            (l.title.get(Lang::Es), note.get(Lang::Es)),
            ("T", "only English")
        );
        assert_eq!(l.untranslated(Lang::Es), ["title", "question", "note:4"]);
        assert!(l.untranslated_all(Lang::Es) && l.untranslated_all(Lang::Pt));
        assert!(l.untranslated(Lang::En).is_empty() && !l.untranslated_all(Lang::En));
        let l = p(&format!(
            "{HEAD}srv socket\nnote: hi\nnote.es: hola\nnote.pt: oi\n"
        ))
        .unwrap();
        assert!(l.untranslated(Lang::Es).is_empty());
        // Any language lab speaks is a translation: `note.pt:` as `note.es:`.
        let StepKind::Note(note) = &l.steps[1].kind else {
            panic!()
        };
        assert_eq!(note.get(Lang::Pt), "oi");
        assert_eq!(l.untranslated(Lang::Pt), ["title", "question"]);
        assert!(!l.untranslated_all(Lang::Pt));
        // Written in Spanish, translated in part into English.
        let l = p(
            "lang: es\ntitle: Título\ntitle.en: Title\nquestion: ¿Qué?\nsrv socket\nnote: nota\n",
        )
        .unwrap();
        assert_eq!(
            (l.lang, l.title.get(Lang::En), l.title.get(Lang::Es)),
            (Lang::Es, "Title", "Título")
        );
        assert_eq!(l.question.get(Lang::En), "¿Qué?");
        assert_eq!(l.untranslated(Lang::En), ["question", "note:6"]);
    }

    #[test]
    fn a_step_knows_where_its_expectations_begin_and_comments_are_kept() {
        let l = p(&format!(
            "# why\n{HEAD}srv socket   state CLOSE\nsrv  close\n# bye\n"
        ))
        .unwrap();
        assert_eq!(
            l.comments,
            vec![(1, "why".to_string()), (8, "bye".to_string())]
        );
        let s = &l.steps[0];
        assert_eq!(
            (&s.source[..s.expect_at], &s.source[s.expect_at..]),
            ("srv socket   ", "state CLOSE")
        );
        assert_eq!(l.steps[1].expect_at, l.steps[1].source.len());
        let StepKind::Call { call, .. } = &l.steps[1].kind else {
            panic!()
        };
        assert_eq!(call.syscall(), Some(Syscall::Close));
    }

    #[test]
    fn errnos_and_options_are_checked_when_parsed() {
        let l = p(&format!(
            "{HEAD}cli socket\ncli connect 127.0.0.1:9 = -1 ECONNREFUSED\n"
        ))
        .unwrap();
        let StepKind::Call { expect, .. } = &l.steps[1].kind else {
            panic!()
        };
        assert_eq!(expect.ret, Some(Ret::Errno(Errno::ECONNREFUSED)));
        let e = p(&format!(
            "{HEAD}cli socket\ncli connect 127.0.0.1:9 = -1 ECONREFUSED\n"
        ))
        .unwrap_err();
        assert_eq!(
            e.msg,
            "'ECONREFUSED' is not an errno name (ECONNREFUSED, EAGAIN, ...)"
        );
        let e = p(&format!("{HEAD}cli socket\ncli setsockopt SO_BOGUS 1\n")).unwrap_err();
        assert!(
            e.msg.starts_with("unknown option SO_BOGUS (SO_REUSEADDR, "),
            "{e}"
        );
        let l = p(&format!("{HEAD}cli socket\ncli setsockopt SO_LINGER 0\n")).unwrap();
        let StepKind::Call { call, .. } = &l.steps[1].kind else {
            panic!()
        };
        assert_eq!(
            call,
            &Call::SetOpt(SockOpt::Linger(Some(std::time::Duration::ZERO)))
        );
    }

    #[test]
    fn every_number_is_bounded_when_parsed() {
        let bad = |step: &str| p(&format!("{HEAD}s socket\n{step}\n")).unwrap_err();
        assert_eq!(
            bad("s recv 99999999999").msg,
            "recv takes a length from 0 to 1048576, not 99999999999"
        );
        assert_eq!(
            bad("s poll in -5").msg,
            "poll takes a timeout from 0 to 3000, not -5"
        );
        assert_eq!(bad("s poll in 999999").line, 6);
        assert!(bad("s listen -1")
            .msg
            .starts_with("listen takes a backlog from 0 to 4096"));
        assert!(bad("s setsockopt SO_LINGER 100000")
            .msg
            .starts_with("setsockopt takes a value from 0 to 3"));
        assert!(bad("s setsockopt TCP_NODELAY 7")
            .msg
            .starts_with("setsockopt takes a value from 0 to 1"));
        assert!(bad("s recvfrom 5000000")
            .msg
            .starts_with("recvfrom takes a length"));
        assert!(p(&format!(
            "{HEAD}s socket\ns setsockopt SO_RCVBUF 4096\ns poll in 0\n"
        ))
        .is_ok());
    }

    #[test]
    fn a_file_that_is_not_utf8_is_refused_at_its_line() {
        let dir = std::env::temp_dir().join(format!("lab-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("01-bad.lesson");
        let mut bytes = format!("{HEAD}s socket\n").into_bytes();
        bytes.extend_from_slice(b"s send \"caf\xe9\"\n");
        std::fs::write(&path, bytes).unwrap();
        let e = load(&path).unwrap_err();
        assert_eq!(
            (e.line, e.msg.as_str()),
            (
                6,
                "not UTF-8 (byte 0xe9 at column 12): save the lesson as UTF-8"
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unknown_call_lists_every_lesson_word() {
        let e = p(&format!("{HEAD}srv socket\nsrv frobnicate\n")).unwrap_err();
        for word in Syscall::lesson_words().chain(["wait"]) {
            assert!(e.msg.contains(word), "{word} missing from: {}", e.msg);
        }
    }

    #[test]
    fn a_lesson_on_hosts_names_them_its_link_and_its_sockets_hosts() {
        let l = p(&format!(
            "{HEAD}hosts: a b\nlink: delay 5ms, b>a drop data 1\nseed: 7\nmtu: 576\
                \nsysctl: net.ipv4.tcp_early_retrans=0\nsrv socket on a\nsrv bind a:9000 = 0\
                \ncli socket on b\ncli connect a:srv = 0\nlink partition\nwire b>a SYN dropped\
                \ncli send \"x\" * 3 = 3\ncli wait sendq 0\n"
        ))
        .unwrap();
        let net = l.network.as_ref().unwrap();
        assert_eq!(
            (net.hosts.len(), net.link.as_str(), net.seed, net.mtu),
            (2, "delay 5ms, b>a drop data 1", 7, 576)
        );
        assert_eq!(
            net.sysctls,
            [("net.ipv4.tcp_early_retrans".into(), "0".into())]
        );
        let StepKind::Call { call, .. } = &l.steps[1].kind else {
            panic!()
        };
        assert_eq!(
            call,
            &Call::Bind(Target::Addr("10.0.0.1:9000".parse().unwrap()))
        );
        let StepKind::Call { call, .. } = &l.steps[3].kind else {
            panic!()
        };
        assert_eq!(
            call,
            &Call::Connect(Target::PortOf("10.0.0.1".parse().unwrap(), "srv".into()))
        );
        assert_eq!(l.steps[4].kind, StepKind::Link("partition".into()));
        let StepKind::Call { call, .. } = &l.steps[6].kind else {
            panic!()
        };
        assert_eq!(call, &Call::Send(b"xxx".to_vec()));
    }

    #[test]
    fn a_bad_network_line_says_what_is_wrong_at_its_line() {
        let bad = |body: &str| p(&format!("{HEAD}{body}")).unwrap_err();
        let e = bad("hosts: a b\nlink: loss 120%\nsrv socket on a\n");
        assert_eq!(e.line, 6);
        assert!(e.msg.starts_with("link rule, column 1: 'loss 120%'"), "{e}");
        assert!(bad("link: loss 5%\ns socket\n")
            .msg
            .contains("needs a 'hosts:' line"));
        assert!(bad("hosts: x y\ns socket on x\n")
            .msg
            .starts_with("hosts are named a, b"));
        assert!(bad("hosts: a b\ns socket\n")
            .msg
            .contains("say which one s is on"));
        assert!(bad("hosts: a b\ns socket on c\n")
            .msg
            .starts_with("no host 'c'"));
        assert!(bad("s socket\nlink partition\n")
            .msg
            .contains("needs hosts"));
        assert!(bad("hosts: a b\nsysctl: kernel.panic=1\ns socket on a\n")
            .msg
            .starts_with("sysctl: net.ipv4.tcp_NAME=NUMBER"));
        assert!(bad("hosts: a b\nmtu: 100\ns socket on a\n")
            .msg
            .starts_with("mtu: a number"));
        assert!(bad("hosts: a b\ns socket on a\nmtu: 1400\n")
            .msg
            .contains("before the lesson's first step"));
        assert!(bad("hosts: a b\ns socket on a\nlink a>c partition\n")
            .msg
            .contains("'c'"));
    }

    #[test]
    fn names_drop_the_number() {
        assert_eq!(
            lesson_name(Path::new("a/03-three-way-handshake.lesson")),
            "three-way-handshake"
        );
        assert_eq!(lesson_name(Path::new("a/udp-vs-tcp.lesson")), "udp-vs-tcp");
    }
}
