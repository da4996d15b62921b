//! One trace event: what the program asked the kernel, what came back, and what the kernel's
//! table says now. Every renderer (human, plain, JSON Lines, diagram), every lesson and every
//! test reads these and nothing else.
//!
//! The facts are typed — the call is a [`Syscall`], its arguments [`Arg`]s, the addresses
//! `SocketAddr`s, the error an [`Errno`], the data bytes — so a reader asks the event what it
//! wants to know instead of parsing text back. The text, strace's spelling of the call, is made
//! in one place: [`Event::args_text`], [`Event::detail_text`] and [`Event::result_text`].

use super::names::{self, Name};
use super::syscall::Syscall;
use crate::i18n::{self, t, M};

/// The actor of a lesson's own lines (its title, explanation and notes); shown in the run's
/// language, kept as is in JSON.
pub const LESSON_ACTOR: &str = "lesson";
use crate::tcp_state::TcpState;
use crate::transitions::Ending;
use crate::verdict::Verdict;
use crate::wire::{Analysis, Dropped, Flags, Segment, SynOptions};
use compact_str::CompactString;
use nix::errno::Errno;
use nix::poll::PollFlags;
use serde::{Serialize, Serializer};
use std::fmt;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::RawFd;

/// How many bytes of a buffer an event keeps and shows, as strace's default `-s 32`.
pub const SHOW_BYTES: usize = 32;

/// How many fds of a `poll()` an event keeps and shows before `... N more` (a server may
/// poll 10,000).
pub const SHOW_FDS: usize = 8;

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A system call the program made, with its result.
    Call,
    /// A state change the kernel's table showed for a connection whose fd is already closed
    /// (FIN-WAIT-2 → TIME-WAIT happens after `close()` returned, driven by the peer).
    Kernel,
    /// A lesson looked at the table, waiting (bounded) for a condition. JSON Lines calls it
    /// `kernel`, as it always has: it is what the kernel's table showed.
    #[serde(rename = "kernel")]
    Wait,
    /// Words for the student, attached to no call.
    Note,
    /// A lesson's expectation, met (`verdict: agrees`) or not (`differs`), with the words in
    /// `note` (`lessons/x.lesson:12: expected CLOSE-WAIT, kernel reports ESTAB`).
    Check,
    /// A TCP segment on the wire, captured (or, where no capture was possible, inferred from
    /// the calls): the facts are in [`Event::segment`]; `actor` is whoever sent it.
    Segment,
}

/// One argument of a call, as strace decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A file descriptor.
    Fd(RawFd),
    /// A plain number: a backlog, a length, an option's value, a timeout.
    Int(i64),
    /// A constant or a set of flags, by name: `AF_INET`, `SOCK_STREAM|SOCK_CLOEXEC`, `SHUT_WR`.
    Const(Name),
    /// An address: `127.0.0.1:8888`.
    Addr(SocketAddr),
    /// A buffer: its first [`SHOW_BYTES`] bytes and its whole length.
    Data { head: Head, len: usize },
    /// A buffer whose contents are not known (a failed `recv()`): `...`.
    Elided,
    /// `shutdown()`'s direction: `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`.
    Shutdown(Shutdown),
    /// `SO_LINGER`'s value: `{l_onoff=1, l_linger=0}`; `None` is off.
    Linger(Option<u64>),
    /// The value `getsockopt(SO_ERROR)` wrote back: `[0]` or `[ECONNREFUSED]`.
    ErrorOut(Option<Errno>),
    /// `poll()`'s list of fds and the events asked for (the first [`SHOW_FDS`]), and how many
    /// more there were.
    PollFds {
        fds: Vec<(RawFd, PollFlags)>,
        more: usize,
    },
    /// A connection by its 4-tuple, for events about a connection no fd holds: `a ⇄ b`.
    Tuple(SocketAddr, SocketAddr),
    /// Words, for what is not a call: `wait for kernel TIME-WAIT`.
    Text(String),
}

impl Arg {
    /// A buffer, keeping only what the trace shows.
    pub fn data(bytes: &[u8]) -> Arg {
        Arg::Data {
            head: Head::from(bytes),
            len: bytes.len(),
        }
    }

    /// A `poll()` list, keeping only what the trace shows.
    pub fn poll_fds(all: impl Iterator<Item = (RawFd, PollFlags)>) -> Arg {
        let (fds, more) = first_of(all);
        Arg::PollFds { fds, more }
    }
}

/// A buffer's first bytes, at most [`SHOW_BYTES`] (fewer when the program's memory could not
/// be read whole), kept inside the event: a traced `send()` or `recv()` allocates nothing for
/// its data.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Head {
    bytes: [u8; SHOW_BYTES],
    n: u8,
}

impl Head {
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.n)]
    }
}

impl From<&[u8]> for Head {
    /// The first [`SHOW_BYTES`] of `bytes`.
    fn from(bytes: &[u8]) -> Head {
        let shown = &bytes[..bytes.len().min(SHOW_BYTES)];
        let mut head = Head {
            bytes: [0; SHOW_BYTES],
            n: shown.len() as u8,
        };
        head.bytes[..shown.len()].copy_from_slice(shown);
        head
    }
}

impl From<Vec<u8>> for Head {
    fn from(bytes: Vec<u8>) -> Head {
        Head::from(bytes.as_slice())
    }
}

impl std::ops::Deref for Head {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

/// What a call handed back besides its return value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// `accept4()`'s new fd and who connected.
    Accepted { fd: RawFd, peer: SocketAddr },
    /// `recv()` returned 0: end of stream. `own`: this side had shut down reading itself.
    Eof { own: bool },
    /// `recvfrom()`'s sender.
    From(SocketAddr),
    /// `poll()`'s ready fds and what for (the first [`SHOW_FDS`]), and how many more.
    Ready {
        fds: Vec<(RawFd, PollFlags)>,
        more: usize,
    },
    /// `select()`'s sets as it returned them (boxed: three lists would make every event
    /// bigger, and events are moved from the call to the file several times).
    Sets(Box<Sets>),
    /// `epoll_wait()`'s events as the kernel returned them: each one's `EPOLL*` bits and the
    /// data word it was registered with (the first [`SHOW_FDS`]), and how many more.
    Events { evs: Vec<(u32, u64)>, more: usize },
    /// `poll()`, `select()` or `epoll_wait()` returned 0: the timeout passed with nothing ready.
    Timeout,
    /// `getaddrinfo()`'s addresses, in the order the C library returned them.
    Addresses(Vec<IpAddr>),
    /// A failure that is not an errno (`getaddrinfo`'s own error codes), in words.
    Failure(String),
    /// The call has started and is blocked in the kernel (its result comes in a later event,
    /// as strace's `<unfinished ...>` and `<... resumed>`).
    Blocked,
    /// The call's thread ended before it returned (its process exited or was killed, or another
    /// thread called `exec()`): strace's `<unfinished ...>` with no `<... resumed>`.
    Unfinished,
    /// A signal interrupted the call; the kernel's restart code by name (`ERESTARTSYS`),
    /// which says whether the call is made again by itself.
    Interrupted(&'static str),
    /// `getsockname()`'s or `getpeername()`'s answer.
    Address(SocketAddr),
}

/// `select()`'s sets as it returned them: the fds ready to read, to write, and with an
/// exceptional condition (strace's `in [3], out [4]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sets {
    pub read: Vec<RawFd>,
    pub write: Vec<RawFd>,
    pub except: Vec<RawFd>,
}

impl Detail {
    /// `select()`'s sets: the fds ready to read, to write, and with an exceptional condition.
    pub fn sets(read: Vec<RawFd>, write: Vec<RawFd>, except: Vec<RawFd>) -> Detail {
        Detail::Sets(Box::new(Sets {
            read,
            write,
            except,
        }))
    }

    /// `poll()`'s ready list, keeping only what the trace shows.
    pub fn ready(all: impl Iterator<Item = (RawFd, PollFlags)>) -> Detail {
        let (fds, more) = first_of(all);
        Detail::Ready { fds, more }
    }

    /// `epoll_wait()`'s events, keeping only what the trace shows.
    pub fn events(all: impl Iterator<Item = (u32, u64)>) -> Detail {
        let (evs, more) = first_of(all);
        Detail::Events { evs, more }
    }
}

fn first_of<T>(all: impl Iterator<Item = T>) -> (Vec<T>, usize) {
    let mut fds = Vec::new();
    let mut more = 0;
    for item in all {
        if fds.len() < SHOW_FDS {
            fds.push(item);
        } else {
            more += 1;
        }
    }
    (fds, more)
}

/// Who made a call, by name: `server`, `c1`, `srv:alice`. Kept inline (a `CompactString`
/// holds up to 24 bytes in place): a socket names its actor in every event of every call it
/// makes (a busy server's hundreds of thousands), and a name copied in place costs neither an
/// allocation nor a shared count — which the program's thread would raise and the writer's
/// thread lower, each time pulling the count's cache line from the other core.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Actor(CompactString);

impl Actor {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Actor {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Actor {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl From<&str> for Actor {
    fn from(name: &str) -> Actor {
        Actor(name.into())
    }
}

impl From<&String> for Actor {
    fn from(name: &String) -> Actor {
        Actor(name.as_str().into())
    }
}

impl From<String> for Actor {
    fn from(name: String) -> Actor {
        Actor(name.into())
    }
}

impl From<&Actor> for Actor {
    fn from(name: &Actor) -> Actor {
        name.clone()
    }
}

impl PartialEq<str> for Actor {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Actor {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Actor {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Actor> for str {
    fn eq(&self, other: &Actor) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Actor> for &str {
    fn eq(&self, other: &Actor) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Actor> for String {
    fn eq(&self, other: &Actor) -> bool {
        **self == *other.0
    }
}

/// One event. [`Event`]'s JSON Lines form (`--json`) is `Json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// 1, 2, 3, … in the order events reached the sink.
    pub seq: u64,
    /// Who made the call: `server`, `client`, `ana`, `c1`.
    pub actor: Actor,
    /// Microseconds since the tracer started.
    pub t_us: u64,
    pub kind: Kind,
    /// The call; `None` for events that are not calls.
    pub call: Option<Syscall>,
    /// Its arguments, as strace decodes them.
    pub args: Vec<Arg>,
    /// What the call handed back besides its return value.
    pub detail: Option<Detail>,
    /// The fd the call was made on (for `socket()`, the new fd).
    pub fd: Option<RawFd>,
    /// The return value; `-1` on error, `None` for events that are not calls.
    pub ret: Option<i64>,
    /// The error, when the call failed with one.
    pub errno: Option<Errno>,
    /// The socket's local and peer address after the call, if it has them.
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    /// The fd's TCP state before the call.
    pub before: Option<TcpState>,
    /// States the fd passed through after the call before reaching `state` (FIN-WAIT-1 on
    /// the way to FIN-WAIT-2), found by a bounded wait.
    pub transit: Vec<TcpState>,
    /// The fd's TCP state after the call, as `ss` prints it; `None` if the fd is gone or the
    /// socket has no states (UDP).
    pub state: Option<TcpState>,
    /// The fd no longer exists (after `close()`).
    pub fd_gone: bool,
    /// The state the kernel's table reports for this socket's 4-tuple; `None` if no row.
    pub kernel: Option<TcpState>,
    /// After `close()`: the states the table showed for the 4-tuple, in order, `None` = gone.
    pub kernel_path: Vec<Option<TcpState>>,
    /// After a `close()` that sent FIN, with the wire captured: the state the connection
    /// waited in for the FIN's ACK (FIN-WAIT-1, LAST-ACK), *seen on the wire* (our FIN left,
    /// its ACK came after) — not a claim that the table showed it.
    pub wire_state: Option<TcpState>,
    /// The table's Recv-Q and Send-Q for the row (for a listener: accept queue and backlog).
    pub recv_q: Option<u32>,
    pub send_q: Option<u32>,
    /// Do the fd and the kernel's table agree?
    pub verdict: Verdict,
    /// Why, in words, when the verdict needs one.
    pub reason: Option<String>,
    /// A plain-language note for the student.
    pub note: Option<String>,
    /// The segment, for a `segment` event (boxed: most events are calls and carry none).
    pub segment: Option<Box<Segment>>,
    /// On a kernel event that ends a connection: what ended it, as far as the trace knows
    /// ([`crate::transitions::ending`]); the words are in `note`.
    pub ended: Option<Ending>,
    /// While the kernel table's verdict on this call is still to be read (a busy server's trace
    /// file reads them in batches, off its hot path: `super::later`), the inode of the fd's
    /// socket, which the table's row must carry. `None` on every event a reader sees.
    pub check_later: Option<u64>,
    /// After a `close()` that only dropped this process's reference (another process still
    /// holds the socket: a forking server's child): the lifeline the trace follows the
    /// connection on from now on, where its later kernel moves are shown (see `close::held`).
    /// The reason names the holders in words; not a key of its own in JSON Lines.
    pub heir: Option<Actor>,
}

impl Event {
    /// A blank event of `kind` by `actor`; the tracer fills in `seq` and `t_us`.
    pub fn new(kind: Kind, actor: impl Into<Actor>) -> Event {
        Event {
            seq: 0,
            actor: actor.into(),
            t_us: 0,
            kind,
            call: None,
            args: Vec::new(),
            detail: None,
            fd: None,
            ret: None,
            errno: None,
            local: None,
            peer: None,
            before: None,
            transit: Vec::new(),
            state: None,
            fd_gone: false,
            kernel: None,
            kernel_path: Vec::new(),
            wire_state: None,
            recv_q: None,
            send_q: None,
            verdict: Verdict::NotApplicable,
            reason: None,
            note: None,
            segment: None,
            ended: None,
            check_later: None,
            heir: None,
        }
    }

    /// Fills the kernel's fields from the socket's row in the table: its state, Recv-Q, Send-Q.
    pub fn take_row(&mut self, row: &crate::kernel::table::SocketRow) {
        self.kernel = row.state;
        self.recv_q = Some(row.recv_q);
        self.send_q = Some(row.send_q);
    }

    /// A segment sent by `actor`, from `seg.src` to `seg.dst`.
    pub fn segment(actor: impl Into<Actor>, seg: Segment) -> Event {
        Event {
            local: Some(seg.src),
            peer: Some(seg.dst),
            segment: Some(Box::new(seg)),
            ..Event::new(Kind::Segment, actor)
        }
    }

    /// A call about to be made on `fd` (`None` for calls on no fd yet, like `socket()`).
    pub fn call(
        actor: impl Into<Actor>,
        call: Syscall,
        fd: Option<RawFd>,
        args: Vec<Arg>,
    ) -> Event {
        Event {
            call: Some(call),
            args,
            fd,
            ..Event::new(Kind::Call, actor)
        }
    }

    /// Words for the student (`kind: note`) or a lesson's verdict (`kind: check`).
    pub fn words(kind: Kind, actor: impl Into<Actor>, text: String) -> Event {
        Event {
            note: Some(text),
            ..Event::new(kind, actor)
        }
    }

    /// Records a failed call as strace does: `= -1 ECONNREFUSED (Connection refused)`.
    pub fn fail(&mut self, e: &io::Error) {
        self.ret = Some(-1);
        match e.raw_os_error() {
            Some(code) => self.errno = Some(Errno::from_raw(code)),
            None => self.detail = Some(Detail::Failure(e.to_string())),
        }
    }

    /// Did the call fail?
    pub fn failed(&self) -> bool {
        self.ret == Some(-1)
    }

    /// Did the call fail with this errno?
    pub fn failed_with(&self, e: Errno) -> bool {
        self.errno == Some(e)
    }

    /// The call as strace would print it, without the result: `bind(3, 0.0.0.0:8888)`.
    pub fn call_text(&self) -> String {
        format!(
            "{}({})",
            self.call.map_or("", Syscall::name),
            self.args_text()
        )
    }

    /// The arguments as strace prints them: `3, SOL_SOCKET, SO_REUSEADDR, 1`.
    pub fn args_text(&self) -> String {
        ArgsText(&self.args).to_string()
    }

    /// What came back besides the return value: `4 from 127.0.0.1:50312`, `EOF: …`.
    pub fn detail_text(&self) -> Option<String> {
        self.detail.as_ref().map(Detail::to_string)
    }

    /// The result as strace prints it: `= 0`, `= -1 ECONNREFUSED (Connection refused)`.
    pub fn result_text(&self) -> String {
        match (self.ret, self.errno) {
            (Some(r), Some(e)) => format!("= {r} {} ({})", names::errno_name(e), e.desc()),
            (Some(r), None) => format!("= {r}"),
            _ => String::new(),
        }
    }

    /// The buffer argument of a call that has one (`send`, `recv`, …), as shown: the data, or
    /// `...` where it is not known.
    pub fn buffer(&self) -> Option<&Arg> {
        self.args
            .iter()
            .find(|a| matches!(a, Arg::Data { .. } | Arg::Elided))
    }

    /// The data a call sent or received, if it had a buffer argument.
    pub fn data(&self) -> Option<(&[u8], usize)> {
        self.args.iter().find_map(|a| match a {
            Arg::Data { head, len } => Some((head.as_slice(), *len)),
            _ => None,
        })
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Fd(fd) => write!(f, "{fd}"),
            Arg::Int(n) => write!(f, "{n}"),
            Arg::Const(name) => f.write_str(name),
            Arg::Addr(a) => write!(f, "{a}"),
            Arg::Data { head, len } => {
                let cut = if *len > head.len() { "..." } else { "" };
                write!(f, "{}{cut}", names::Quoted(head, SHOW_BYTES))
            }
            Arg::Elided => f.write_str("..."),
            Arg::Shutdown(how) => f.write_str(names::shutdown_how(*how)),
            Arg::Linger(Some(secs)) => write!(f, "{{l_onoff=1, l_linger={secs}}}"),
            Arg::Linger(None) => f.write_str("{l_onoff=0, l_linger=0}"),
            Arg::ErrorOut(None) => f.write_str("[0]"),
            Arg::ErrorOut(Some(e)) => write!(f, "[{}]", names::errno_name(*e)),
            Arg::PollFds { fds, more } => f.write_str(&poll_list(fds, *more, "events")),
            // As `ss` writes them (and `lab sockets`): a listener's peer is `0.0.0.0:*`.
            Arg::Tuple(local, peer) => {
                write!(
                    f,
                    "{} ⇄ {}",
                    crate::kernel::table::ss_addr(local),
                    crate::kernel::table::ss_addr(peer)
                )
            }
            Arg::Text(t) => f.write_str(t),
        }
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Accepted { fd, peer } => f.write_str(&i18n::f(M::DetailAccepted, &[fd, peer])),
            Detail::Eof { own: true } => f.write_str(t(M::DetailEofOwn)),
            Detail::Eof { own: false } => f.write_str(t(M::DetailEofPeer)),
            Detail::From(a) => f.write_str(&i18n::f(M::DetailFrom, &[a])),
            Detail::Ready { fds, more } => f.write_str(&poll_list(fds, *more, "revents")),
            Detail::Sets(s) => f.write_str(&select_sets(&s.read, &s.write, &s.except)),
            Detail::Events { evs, more } => epoll_list(f, evs, *more),
            Detail::Timeout => f.write_str("Timeout"),
            Detail::Addresses(ips) => {
                let ips: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
                f.write_str(&ips.join(", "))
            }
            Detail::Failure(words) => f.write_str(words),
            Detail::Blocked => f.write_str(t(M::DetailBlocked)),
            Detail::Unfinished => f.write_str(t(M::DetailUnfinished)),
            Detail::Interrupted(code) => f.write_str(&i18n::f(
                M::DetailInterrupted,
                &[code, &restart_words(code)],
            )),
            Detail::Address(a) => write!(f, "{a}"),
        }
    }
}

/// What the kernel does with a call a signal interrupted, by its restart code (these codes
/// never reach the program: it sees the call restarted, or EINTR).
fn restart_words(code: &str) -> &'static str {
    t(match code {
        "ERESTARTSYS" => M::RestartSys,
        "ERESTARTNOINTR" => M::RestartNoIntr,
        "ERESTARTNOHAND" => M::RestartNoHand,
        "ERESTART_RESTARTBLOCK" => M::RestartBlock,
        _ => M::Restarted,
    })
}

/// `in [3 4], out [5]`: the sets `select()` returned, as strace writes them (the empty ones left
/// out; at most [`SHOW_FDS`] fds each).
fn select_sets(read: &[RawFd], write: &[RawFd], except: &[RawFd]) -> String {
    let set = |name: &str, fds: &[RawFd]| {
        let mut shown: Vec<String> = fds.iter().take(SHOW_FDS).map(RawFd::to_string).collect();
        if fds.len() > SHOW_FDS {
            shown.push(format!("... {} more", fds.len() - SHOW_FDS));
        }
        (!fds.is_empty()).then(|| format!("{name} [{}]", shown.join(" ")))
    };
    let parts: Vec<String> = [set("in", read), set("out", write), set("except", except)]
        .into_iter()
        .flatten()
        .collect();
    parts.join(", ")
}

/// `[{events=EPOLLIN, data={u32=5, u64=5}}, ... 2 more]`, as strace writes `epoll_wait()`'s
/// (written straight out: a busy server's trace has one per `epoll_wait()`).
fn epoll_list(f: &mut fmt::Formatter<'_>, evs: &[(u32, u64)], more: usize) -> fmt::Result {
    f.write_str("[")?;
    for (i, (events, data)) in evs.iter().enumerate() {
        let events = names::epoll_events(*events);
        let sep = if i > 0 { ", " } else { "" };
        write!(
            f,
            "{sep}{{events={events}, data={{u32={}, u64={data}}}}}",
            *data as u32
        )?;
    }
    if more > 0 {
        let sep = if evs.is_empty() { "" } else { ", " };
        write!(f, "{sep}... {more} more")?;
    }
    f.write_str("]")
}

/// A call's arguments as strace writes them, `3, "hola\n", 5, MSG_NOSIGNAL`: the text of
/// [`Event::args_text`], written straight into the JSON line or a `String`.
struct ArgsText<'a>(&'a [Arg]);

impl fmt::Display for ArgsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(arg, f)?;
        }
        Ok(())
    }
}

/// An errno by its name, `ECONNREFUSED`, as [`names::errno_name`] spells it.
struct ErrnoName(Errno);

impl fmt::Display for ErrnoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// An address as serde writes one (`127.0.0.1:8888`, `[::1]:8888`), an IPv4 one made with
/// `itoa` in a stack buffer: std's `Display` for addresses took a tenth of the writer
/// thread's time (two addresses an event).
struct Addr(SocketAddr);

impl Serialize for Addr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let SocketAddr::V4(a) = self.0 else {
            return self.0.serialize(s);
        };
        let mut buf = [0u8; 21]; // "255.255.255.255:65535"
        let mut n = 0;
        let mut put = |bytes: &[u8]| {
            buf[n..n + bytes.len()].copy_from_slice(bytes);
            n += bytes.len();
        };
        let mut num = itoa::Buffer::new();
        for (i, octet) in a.ip().octets().into_iter().enumerate() {
            put(if i == 0 { b"" } else { b"." });
            put(num.format(octet).as_bytes());
        }
        put(b":");
        put(num.format(a.port()).as_bytes());
        // Digits, dots and a colon: always one `str`.
        s.serialize_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

/// Text that the JSON writer escapes as `Display` writes it (serde's `collect_str`): no
/// `String` is made for an event's arguments, detail or errno on its way to the file.
struct Text<T>(T);

impl<T: fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// `[{fd=3, events=POLLIN}, {fd=5, events=POLLIN|POLLOUT}, ... 2 more]`, as strace writes it.
fn poll_list(fds: &[(RawFd, PollFlags)], more: usize, key: &str) -> String {
    let mut parts: Vec<String> = fds
        .iter()
        .map(|(fd, flags)| format!("{{fd={fd}, {key}={}}}", names::poll_flags(*flags)))
        .collect();
    if more > 0 {
        parts.push(format!("... {more} more"));
    }
    format!("[{}]", parts.join(", "))
}

/// An event as one JSON Lines object: the keys `--json` users have always read, in their order.
/// The call, its arguments and its detail appear as strace's text; the errno by name and message.
/// Those three texts are of types `A`, `D` and `E`: written as they are made (the trace's
/// path, [`Text`]) or made first as `String`s (the tests' yardstick) — one list of keys for both.
#[derive(Serialize)]
struct Json<'a, A, D, E> {
    seq: u64,
    actor: &'a str,
    t_us: u64,
    kind: Kind,
    call: &'static str,
    args: A,
    detail: Option<D>,
    fd: Option<RawFd>,
    ret: Option<i64>,
    errno: Option<E>,
    errmsg: Option<&'static str>,
    local: Option<Addr>,
    peer: Option<Addr>,
    before: Option<TcpState>,
    transit: &'a [TcpState],
    state: Option<TcpState>,
    fd_gone: bool,
    kernel: Option<TcpState>,
    kernel_path: &'a [Option<TcpState>],
    /// Only after a `close()` whose FIN the wire showed (see [`Event::wire_state`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    wire_state: Option<TcpState>,
    recv_q: Option<u32>,
    send_q: Option<u32>,
    verdict: Verdict,
    reason: Option<&'a str>,
    note: Option<&'a str>,
    /// Only on a `segment` event (every other event keeps its keys as they always were).
    #[serde(skip_serializing_if = "Option::is_none")]
    segment: Option<SegmentJson<'a>>,
    /// Only on a kernel event that ends a connection: `peer_reset`, `keep_alive`, `gave_up`,
    /// `timed_out` or `unknown` (see [`Event::ended`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<Ending>,
}

/// A segment in JSON Lines, under the event's `segment` key (the event's own `seq` is its
/// place in the trace; the segment's is its sequence number):
/// `{"src":"127.0.0.1:40000","dst":"127.0.0.1:8888","flags":"FIN,ACK","seq":6,"ack":1,
/// "len":0,"win":65536,"analysis":[],"data":"","options":null,"inferred":false}`.
#[derive(Serialize)]
struct SegmentJson<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    flags: Flags,
    seq: u32,
    ack: u32,
    len: u32,
    win: u32,
    /// Wireshark's words, snake_case: `retransmission`, `duplicate_ack`, `zero_window`, …
    analysis: &'a [Analysis],
    /// The first bytes, escaped as strace escapes them (without its quotes).
    data: String,
    options: Option<SynOptions>,
    inferred: bool,
    /// Sent and never delivered (lab's link dropped it), and why: `lost`, `scripted`, …
    dropped: bool,
    why_dropped: Option<Dropped>,
}

impl<'a> SegmentJson<'a> {
    fn of(seg: &'a Segment) -> SegmentJson<'a> {
        let quoted = names::quoted(&seg.data, SHOW_BYTES);
        let data = quoted.trim_end_matches("...").trim_matches('"').to_string();
        SegmentJson {
            src: seg.src,
            dst: seg.dst,
            flags: seg.flags,
            seq: seg.seq,
            ack: seg.ack,
            len: seg.len,
            win: seg.win,
            analysis: &seg.analysis,
            data,
            options: seg.options,
            inferred: seg.inferred,
            dropped: seg.dropped.is_some(),
            why_dropped: seg.dropped,
        }
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let errno = self.errno.map(|e| Text(ErrnoName(e)));
        self.json(
            Text(ArgsText(&self.args)),
            self.detail.as_ref().map(Text),
            errno,
        )
        .serialize(s)
    }
}

impl Event {
    /// The event's JSON object, with its three texts as given.
    fn json<A, D, E>(&self, args: A, detail: Option<D>, errno: Option<E>) -> Json<'_, A, D, E> {
        Json {
            seq: self.seq,
            actor: &self.actor,
            t_us: self.t_us,
            kind: self.kind,
            call: self.call.map_or("", Syscall::name),
            args,
            detail,
            fd: self.fd,
            ret: self.ret,
            errno,
            errmsg: self.errno.map(Errno::desc),
            local: self.local.map(Addr),
            peer: self.peer.map(Addr),
            before: self.before,
            transit: &self.transit,
            state: self.state,
            fd_gone: self.fd_gone,
            kernel: self.kernel,
            kernel_path: &self.kernel_path,
            wire_state: self.wire_state,
            recv_q: self.recv_q,
            send_q: self.send_q,
            verdict: self.verdict,
            reason: self.reason.as_deref(),
            note: self.note.as_deref(),
            segment: self.segment.as_deref().map(SegmentJson::of),
            ended: self.ended,
        }
    }
}

/// Any event, for property tests: the calls' arguments and details of every kind, any text
/// (quotes, control characters, any Unicode), failures, addresses of both families, segments.
#[cfg(test)]
pub(crate) mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    fn arg() -> impl Strategy<Value = Arg> {
        prop_oneof![
            any::<i32>().prop_map(Arg::Fd),
            any::<i64>().prop_map(Arg::Int),
            Just(Arg::Const("MSG_NOSIGNAL".into())),
            ".*".prop_map(|c| Arg::Const(c.into())),
            any::<SocketAddr>().prop_map(Arg::Addr),
            prop::collection::vec(any::<u8>(), 0..80).prop_map(|b| Arg::data(&b)),
            Just(Arg::Elided),
            any::<Option<u64>>().prop_map(Arg::Linger),
            ".*".prop_map(Arg::Text),
        ]
    }

    fn detail() -> impl Strategy<Value = Option<Detail>> {
        let evs = prop::collection::vec(any::<(u32, u64)>(), 0..12);
        prop::option::of(prop_oneof![
            evs.prop_map(|e| Detail::events(e.into_iter())),
            ".*".prop_map(Detail::Failure),
            Just(Detail::Timeout),
            any::<SocketAddr>().prop_map(Detail::From),
        ])
    }

    pub fn event() -> impl Strategy<Value = Event> {
        let addr = || prop::option::of(any::<SocketAddr>());
        let words = || prop::option::of(".*");
        let call = (".*", prop::collection::vec(arg(), 0..6), detail());
        let facts = (
            addr(),
            addr(),
            prop::option::of(1..134i32),
            any::<(u64, u64)>(),
        );
        (call, facts, words(), words()).prop_map(|(call, facts, reason, note)| {
            let ((actor, args, detail), (local, peer, errno, (seq, t_us))) = (call, facts);
            Event {
                seq,
                t_us,
                detail,
                local,
                peer,
                errno: errno.map(Errno::from_raw),
                ret: errno.map(|_| -1),
                state: Some(TcpState::Established),
                reason,
                note,
                ..Event::call(&actor, Syscall::Send, Some(3), args)
            }
        })
    }

    /// A segment event, with options and analysis, or a call.
    pub fn any_event() -> impl Strategy<Value = Event> {
        let seg = (
            any::<(u32, u32, u8)>(),
            prop::collection::vec(any::<u8>(), 0..40),
        );
        prop_oneof![
            4 => event(),
            1 => seg.prop_map(|((seq, win, flags), data)| {
                let mut s = Segment::retransmitted(data.len() as u32, &data);
                (s.seq, s.win, s.flags) = (seq, win, Flags(flags));
                s.options = (flags & 1 == 1).then_some(SynOptions {
                    mss: Some(1460),
                    wscale: None,
                    sack_perm: true,
                    timestamps: false,
                });
                s.dropped = (flags & 2 == 2).then_some(Dropped::Lost);
                Event::segment("cli", s)
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_prints_as_strace_does() {
        let mut ev = Event::call(
            "c",
            Syscall::Send,
            Some(3),
            vec![
                Arg::Fd(3),
                Arg::data(b"hola\n"),
                Arg::Int(5),
                Arg::Const("MSG_NOSIGNAL".into()),
            ],
        );
        ev.ret = Some(5);
        assert_eq!(ev.call_text(), "send(3, \"hola\\n\", 5, MSG_NOSIGNAL)");
        assert_eq!(ev.result_text(), "= 5");
        assert_eq!(ev.data(), Some((&b"hola\n"[..], 5)));
    }

    #[test]
    fn a_failure_keeps_the_errno() {
        let mut ev = Event::call("c", Syscall::Connect, Some(3), vec![Arg::Fd(3)]);
        ev.fail(&io::Error::from_raw_os_error(libc::ECONNREFUSED));
        assert!(ev.failed_with(Errno::ECONNREFUSED));
        assert_eq!(ev.result_text(), "= -1 ECONNREFUSED (Connection refused)");
        let json: serde_json::Value = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["errno"], "ECONNREFUSED");
        assert_eq!(json["errmsg"], "Connection refused");
        assert_eq!(json["call"], "connect");
        assert_eq!(json["args"], "3");
    }

    #[test]
    fn big_buffers_and_poll_lists_are_cut() {
        let big = vec![b'x'; 1 << 20];
        let Arg::Data { head, len } = Arg::data(&big) else {
            panic!()
        };
        assert_eq!((head.len(), len), (SHOW_BYTES, 1 << 20));
        let arg = Arg::poll_fds((0..10).map(|fd| (fd, PollFlags::POLLIN)));
        let text = arg.to_string();
        assert!(text.starts_with("[{fd=0, events=POLLIN}"), "{text}");
        assert!(text.ends_with("... 2 more]"), "{text}");
    }

    /// Issue 19, item 9: `select()`'s result is its sets as it returns them, `epoll_wait()`'s
    /// its events by their EPOLL names — neither written poll-style.
    #[test]
    fn select_and_epoll_results_are_written_as_they_return_them() {
        let sets = Detail::sets(vec![3], vec![], vec![]);
        assert_eq!(sets.to_string(), "in [3]");
        let both = Detail::sets(vec![3, 4], vec![5], vec![]);
        assert_eq!(both.to_string(), "in [3 4], out [5]");
        let ev = Detail::events([(libc::EPOLLIN as u32, 5u64)].into_iter());
        assert_eq!(ev.to_string(), "[{events=EPOLLIN, data={u32=5, u64=5}}]");
    }

    #[test]
    fn json_keys_are_the_documented_ones_in_order() {
        let ev = Event::words(Kind::Note, "lesson", "hi".into());
        let text = serde_json::to_string(&ev).unwrap();
        let head = concat!(
            r#"{"seq":0,"actor":"lesson","t_us":0,"kind":"note","call":"","args":"","#,
            r#""detail":null,"fd":null,"#
        );
        assert!(text.starts_with(head), "{text}");
        assert!(
            text.ends_with(r#""verdict":"not_applicable","reason":null,"note":"hi"}"#),
            "{text}"
        );
    }

    #[test]
    fn a_segment_has_its_own_json_object() {
        let seg = Segment::retransmitted(5, b"HOLA\n");
        let json: serde_json::Value = serde_json::to_value(Event::segment("cli", seg)).unwrap();
        assert_eq!(json["kind"], "segment");
        assert_eq!(json["local"], "127.0.0.1:40000");
        let s = &json["segment"];
        assert_eq!(
            (s["src"].as_str(), s["dst"].as_str()),
            (Some("127.0.0.1:40000"), Some("127.0.0.1:8888"))
        );
        assert_eq!(
            (s["flags"].as_str(), s["seq"].as_u64(), s["ack"].as_u64()),
            (Some("PSH,ACK"), Some(1), Some(1))
        );
        assert_eq!(
            (s["len"].as_u64(), s["win"].as_u64(), s["data"].as_str()),
            (Some(5), Some(65536), Some("HOLA\\n"))
        );
        assert_eq!(s["analysis"], serde_json::json!(["retransmission"]));
        assert_eq!(s["inferred"], false);
        let note = serde_json::to_value(Event::words(Kind::Note, "x", "y".into())).unwrap();
        assert!(
            note.get("segment").is_none(),
            "other events keep their keys: {note}"
        );
    }

    /// The fast path's yardsticks: the event's JSON as it was made before issue 25, its three
    /// texts made first as `String`s (same keys: the same `Json`), and the texts of a buffer
    /// and of `epoll_wait()`'s events as they were built then, piece by piece.
    mod as_before {
        use super::*;
        use proptest::prelude::*;

        use crate::trace::event::arbitrary::any_event as event;

        fn old_json(ev: &Event) -> String {
            let errno = ev.errno.map(names::errno_name);
            serde_json::to_string(&ev.json(ev.args_text(), ev.detail_text(), errno)).unwrap()
        }

        fn old_quoted(bytes: &[u8], max: usize) -> String {
            let mut s = String::from("\"");
            for &b in bytes.iter().take(max) {
                match b {
                    b'\n' => s.push_str("\\n"),
                    b'\r' => s.push_str("\\r"),
                    b'\t' => s.push_str("\\t"),
                    b'"' => s.push_str("\\\""),
                    b'\\' => s.push_str("\\\\"),
                    0x20..=0x7e => s.push(b as char),
                    _ => s.push_str(&format!("\\x{b:02x}")),
                }
            }
            s.push('"');
            if bytes.len() > max {
                s.push_str("...");
            }
            s
        }

        fn old_epoll_list(evs: &[(u32, u64)], more: usize) -> String {
            let mut parts: Vec<String> = evs
                .iter()
                .map(|(events, data)| {
                    let events = names::epoll_events(*events);
                    format!(
                        "{{events={events}, data={{u32={}, u64={data}}}}}",
                        *data as u32
                    )
                })
                .collect();
            if more > 0 {
                parts.push(format!("... {more} more"));
            }
            format!("[{}]", parts.join(", "))
        }

        proptest! {
            #[test]
            fn an_event_is_written_as_before(ev in event()) {
                prop_assert_eq!(serde_json::to_string(&ev).unwrap(), old_json(&ev));
            }

            #[test]
            fn a_buffer_is_quoted_as_before(b in prop::collection::vec(any::<u8>(), 0..80)) {
                for max in [0, 3, SHOW_BYTES, 64] {
                    prop_assert_eq!(names::quoted(&b, max), old_quoted(&b, max));
                }
            }

            #[test]
            fn an_address_is_written_as_serde_writes_it(a in any::<SocketAddr>()) {
                let ours = serde_json::to_string(&Addr(a)).unwrap();
                prop_assert_eq!(ours, serde_json::to_string(&a).unwrap());
            }

            #[test]
            fn epoll_events_are_written_as_before(
                evs in prop::collection::vec(any::<(u32, u64)>(), 0..8),
                more in 0usize..3,
            ) {
                let now = Detail::Events { evs: evs.clone(), more }.to_string();
                prop_assert_eq!(now, old_epoll_list(&evs, more));
            }
        }
    }
}
