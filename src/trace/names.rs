//! Constants and errnos by name, as strace prints them: `AF_INET`, `SHUT_WR`, `ECONNREFUSED`.
//!
//! A student who reads `shutdown(3, SHUT_WR)` can look the name up in `man 2 shutdown`; one who
//! reads `shutdown(3, 1)` cannot. The tables below hold the mapping, and a test pins it.

use nix::errno::Errno;
use nix::poll::PollFlags;
use std::borrow::Cow;
use std::fmt;

/// A name as a call's argument holds it: a constant's own name is borrowed (every traced
/// `send()` names `MSG_NOSIGNAL`; no allocation for it), a number or a set of flags is made.
pub type Name = Cow<'static, str>;

/// A known constant's name, or the number itself.
fn named(value: i32, name: Option<&'static str>) -> Name {
    name.map_or_else(|| value.to_string().into(), Cow::Borrowed)
}

/// `AF_INET`, `AF_INET6`, `AF_UNIX` — the `domain` argument of `socket(2)`.
pub fn family(domain: i32) -> Name {
    let name = match domain {
        libc::AF_INET => "AF_INET",
        libc::AF_INET6 => "AF_INET6",
        libc::AF_UNIX => "AF_UNIX",
        _ => return named(domain, None),
    };
    name.into()
}

/// `SOCK_STREAM`, `SOCK_DGRAM` — the `type` argument of `socket(2)`, without flags.
pub fn sock_type(ty: i32) -> Name {
    let name = match ty {
        libc::SOCK_STREAM => "SOCK_STREAM",
        libc::SOCK_DGRAM => "SOCK_DGRAM",
        libc::SOCK_RAW => "SOCK_RAW",
        _ => return named(ty, None),
    };
    name.into()
}

/// `IPPROTO_TCP`, `IPPROTO_UDP` — the `protocol` argument of `socket(2)`.
pub fn protocol(proto: i32) -> Name {
    let name = match proto {
        0 => "0",
        libc::IPPROTO_TCP => "IPPROTO_TCP",
        libc::IPPROTO_UDP => "IPPROTO_UDP",
        _ => return named(proto, None),
    };
    name.into()
}

/// `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR` — the `how` argument of `shutdown(2)`.
pub fn shutdown_how(how: std::net::Shutdown) -> &'static str {
    match how {
        std::net::Shutdown::Read => "SHUT_RD",
        std::net::Shutdown::Write => "SHUT_WR",
        std::net::Shutdown::Both => "SHUT_RDWR",
    }
}

/// The `MSG_*` flags by name, in the order strace joins them.
const MSG_NAMES: &[(i32, &str)] = &[
    (libc::MSG_PEEK, "MSG_PEEK"),
    (libc::MSG_WAITALL, "MSG_WAITALL"),
    (libc::MSG_DONTWAIT, "MSG_DONTWAIT"),
    #[cfg(target_os = "linux")]
    (libc::MSG_NOSIGNAL, "MSG_NOSIGNAL"),
    (libc::MSG_OOB, "MSG_OOB"),
    (libc::MSG_TRUNC, "MSG_TRUNC"),
    #[cfg(target_os = "linux")]
    (libc::MSG_WAITFORONE, "MSG_WAITFORONE"),
];

/// `MSG_*` flags of `send(2)`/`recv(2)`, joined with `|` as strace does; `0` for none.
pub fn msg_flags(flags: i32) -> Name {
    // The flags of lab's own non-blocking send() (the threads model's), named without joining
    // them anew on every call: a busy server makes hundreds of thousands.
    #[cfg(target_os = "linux")]
    if flags == libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL {
        return Name::Borrowed("MSG_DONTWAIT|MSG_NOSIGNAL");
    }
    flag_names(i64::from(flags), MSG_NAMES)
}

/// The names of the flags set in `value`, joined with `|` as strace does; bits no name covers
/// are added as a number; `0` for none. One flag alone (the usual case) is its name, borrowed.
fn flag_names(value: i64, names: &[(i32, &'static str)]) -> Name {
    let mut rest = value;
    let mut text = Name::Borrowed("");
    for (flag, name) in names {
        // As the unsigned bits they are: EPOLLET is bit 31, a negative i32.
        let bits = i64::from(*flag as u32);
        if bits != 0 && value & bits == bits {
            join_flag(&mut text, Cow::Borrowed(name));
            rest &= !bits;
        }
    }
    if rest != 0 {
        join_flag(&mut text, format!("{rest:#x}").into());
    }
    if text.is_empty() {
        "0".into()
    } else {
        text
    }
}

/// Adds `name` to the flags named so far, after a `|`: the first one is kept as it is (a
/// constant's name stays borrowed), a second makes the joined text.
fn join_flag(text: &mut Name, name: Name) {
    if text.is_empty() {
        *text = name;
    } else {
        let joined = text.to_mut();
        joined.push('|');
        joined.push_str(&name);
    }
}

/// `socket(2)`'s type with its flags: `SOCK_STREAM|SOCK_CLOEXEC`.
pub fn sock_type_flags(ty: i32) -> Name {
    let base = sock_type(ty & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC));
    let flags = sock_flags(ty & (libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC));
    if flags == "0" {
        base
    } else {
        format!("{base}|{flags}").into()
    }
}

/// `SOCK_NONBLOCK|SOCK_CLOEXEC`: the flags of `accept4(2)` and of `socket(2)`'s type.
pub fn sock_flags(flags: i32) -> Name {
    flag_names(
        i64::from(flags),
        &[
            (libc::SOCK_NONBLOCK, "SOCK_NONBLOCK"),
            (libc::SOCK_CLOEXEC, "SOCK_CLOEXEC"),
        ],
    )
}

/// A socket option's level and name, as `man 7 socket` and `man 7 tcp` spell them:
/// `SOL_SOCKET`, `SO_REUSEADDR`. Unknown ones as numbers.
pub fn sockopt(level: i32, name: i32) -> (Name, Name) {
    const SOCKET: &[(i32, &str)] = &[
        (libc::SO_REUSEADDR, "SO_REUSEADDR"),
        (libc::SO_REUSEPORT, "SO_REUSEPORT"),
        (libc::SO_LINGER, "SO_LINGER"),
        (libc::SO_RCVBUF, "SO_RCVBUF"),
        (libc::SO_SNDBUF, "SO_SNDBUF"),
        (libc::SO_KEEPALIVE, "SO_KEEPALIVE"),
        (libc::SO_ERROR, "SO_ERROR"),
        (libc::SO_BROADCAST, "SO_BROADCAST"),
        (libc::SO_RCVTIMEO, "SO_RCVTIMEO"),
        (libc::SO_SNDTIMEO, "SO_SNDTIMEO"),
        (libc::SO_TYPE, "SO_TYPE"),
    ];
    const TCP: &[(i32, &str)] = &[
        (libc::TCP_NODELAY, "TCP_NODELAY"),
        (libc::TCP_KEEPIDLE, "TCP_KEEPIDLE"),
        (libc::TCP_KEEPINTVL, "TCP_KEEPINTVL"),
        (libc::TCP_KEEPCNT, "TCP_KEEPCNT"),
        (libc::TCP_INFO, "TCP_INFO"),
    ];
    const IPV6: &[(i32, &str)] = &[(libc::IPV6_V6ONLY, "IPV6_V6ONLY")];
    let (level_name, names): (Option<&'static str>, &[(i32, &'static str)]) = match level {
        libc::SOL_SOCKET => (Some("SOL_SOCKET"), SOCKET),
        libc::IPPROTO_TCP => (Some("IPPROTO_TCP"), TCP),
        libc::IPPROTO_IPV6 => (Some("IPPROTO_IPV6"), IPV6),
        libc::IPPROTO_IP => (Some("IPPROTO_IP"), &[]),
        _ => (None, &[]),
    };
    let found = names.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
    (named(level, level_name), named(name, found))
}

/// `fcntl(2)`'s command: `F_GETFL`, `F_SETFL`, `F_DUPFD`.
pub fn fcntl_cmd(cmd: i32) -> Name {
    const NAMES: &[(i32, &str)] = &[
        (libc::F_DUPFD, "F_DUPFD"),
        (libc::F_GETFD, "F_GETFD"),
        (libc::F_SETFD, "F_SETFD"),
        (libc::F_GETFL, "F_GETFL"),
        (libc::F_SETFL, "F_SETFL"),
        (libc::F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"),
    ];
    named(cmd, NAMES.iter().find(|(c, _)| *c == cmd).map(|(_, n)| *n))
}

/// A file's status flags, as `F_SETFL` takes them: `O_RDWR|O_NONBLOCK`.
pub fn open_flags(flags: i64) -> Name {
    let access = match flags & i64::from(libc::O_ACCMODE) {
        f if f == i64::from(libc::O_WRONLY) => "O_WRONLY",
        f if f == i64::from(libc::O_RDWR) => "O_RDWR",
        _ => "O_RDONLY",
    };
    let rest = flags & !i64::from(libc::O_ACCMODE);
    let others = flag_names(
        rest,
        &[
            (libc::O_NONBLOCK, "O_NONBLOCK"),
            (libc::O_APPEND, "O_APPEND"),
        ],
    );
    if others == "0" {
        access.into()
    } else {
        format!("{access}|{others}").into()
    }
}

/// `epoll_ctl(2)`'s operation.
pub fn epoll_op(op: i32) -> Name {
    let name = match op {
        libc::EPOLL_CTL_ADD => "EPOLL_CTL_ADD",
        libc::EPOLL_CTL_MOD => "EPOLL_CTL_MOD",
        libc::EPOLL_CTL_DEL => "EPOLL_CTL_DEL",
        _ => return named(op, None),
    };
    name.into()
}

/// `EPOLLIN|EPOLLOUT|EPOLLET`: the events of an epoll registration.
pub fn epoll_events(events: u32) -> Name {
    const NAMES: &[(i32, &str)] = &[
        (libc::EPOLLIN, "EPOLLIN"),
        (libc::EPOLLOUT, "EPOLLOUT"),
        (libc::EPOLLRDHUP, "EPOLLRDHUP"),
        (libc::EPOLLPRI, "EPOLLPRI"),
        (libc::EPOLLERR, "EPOLLERR"),
        (libc::EPOLLHUP, "EPOLLHUP"),
        (libc::EPOLLET, "EPOLLET"),
        (libc::EPOLLONESHOT, "EPOLLONESHOT"),
    ];
    flag_names(i64::from(events), NAMES)
}

/// An errno's symbolic name, as strace prints it: `ECONNREFUSED`. (nix's `Errno` prints its
/// name with `{:?}`, and knows the C library's message: `desc()`.)
pub fn errno_name(e: Errno) -> String {
    format!("{e:?}")
}

/// The errno called `name` (`ECONNREFUSED`), as a lesson writes it: every code the C library
/// knows is tried (Linux's go up to 133), so the list is the platform's own.
pub fn errno_from_name(name: &str) -> Option<Errno> {
    (1..256)
        .map(Errno::from_raw)
        .find(|e| *e != Errno::UnknownErrno && errno_name(*e) == name)
}

/// `POLLIN|POLLOUT`, as strace writes `poll()`'s flags; `0` for none.
pub fn poll_flags(f: PollFlags) -> String {
    const NAMES: [(PollFlags, &str); 6] = [
        (PollFlags::POLLIN, "POLLIN"),
        (PollFlags::POLLPRI, "POLLPRI"),
        (PollFlags::POLLOUT, "POLLOUT"),
        (PollFlags::POLLERR, "POLLERR"),
        (PollFlags::POLLHUP, "POLLHUP"),
        (PollFlags::POLLNVAL, "POLLNVAL"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(flag, _)| f.contains(*flag))
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// Bytes as strace prints a buffer: a quoted string with `\n`, `\r`, `\t`, `\"`, `\\` and
/// `\xNN` escapes, cut after `max` bytes with `...` (so a huge line stays one short line).
pub fn quoted(bytes: &[u8], max: usize) -> String {
    Quoted(bytes, max).to_string()
}

/// [`quoted`], written straight into a formatter: the JSON writer escapes it as it comes,
/// with no `String` made per buffer (a busy server's trace has one per `send` and `recv`).
pub struct Quoted<'a>(pub &'a [u8], pub usize);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Quoted(bytes, max) = *self;
        f.write_str("\"")?;
        let shown = &bytes[..bytes.len().min(max)];
        // Printable runs go out whole: one write per run, not one per byte.
        for run in shown.split_inclusive(|b| !plain(*b)) {
            let (last, head) = match run.split_last() {
                Some((&b, head)) if !plain(b) => (Some(b), head),
                _ => (None, run),
            };
            // `plain` bytes are printable ASCII: always one `str`.
            f.write_str(std::str::from_utf8(head).unwrap_or_default())?;
            match last {
                Some(b'\n') => f.write_str("\\n")?,
                Some(b'\r') => f.write_str("\\r")?,
                Some(b'\t') => f.write_str("\\t")?,
                Some(b'"') => f.write_str("\\\"")?,
                Some(b'\\') => f.write_str("\\\\")?,
                Some(b) => write!(f, "\\x{b:02x}")?,
                None => {}
            }
        }
        f.write_str(if bytes.len() > max { "\"..." } else { "\"" })
    }
}

/// A byte strace prints as itself: printable ASCII but the quote and the backslash.
fn plain(b: u8) -> bool {
    matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A single flag, the usual case (every traced `send()` names MSG_NOSIGNAL), is its
    /// constant's name borrowed, not a string made for each call; several are joined.
    #[test]
    fn one_flag_alone_is_borrowed_and_several_are_joined() {
        let nosignal = msg_flags(libc::MSG_NOSIGNAL);
        assert!(
            matches!(nosignal, Cow::Borrowed("MSG_NOSIGNAL")),
            "{nosignal:?}"
        );
        let epollin = epoll_events(libc::EPOLLIN as u32);
        assert!(matches!(epollin, Cow::Borrowed("EPOLLIN")), "{epollin:?}");
        assert_eq!(
            msg_flags(libc::MSG_PEEK | libc::MSG_NOSIGNAL),
            "MSG_PEEK|MSG_NOSIGNAL"
        );
        assert_eq!(
            msg_flags(libc::MSG_PEEK | 0x4000_0000),
            "MSG_PEEK|0x40000000"
        );
        assert_eq!(msg_flags(0x4000_0000), "0x40000000");
        assert_eq!(msg_flags(0), "0");
    }

    #[test]
    fn constants_print_by_name() {
        assert_eq!(family(libc::AF_INET), "AF_INET");
        assert_eq!(family(libc::AF_INET6), "AF_INET6");
        assert_eq!(sock_type(libc::SOCK_STREAM), "SOCK_STREAM");
        assert_eq!(sock_type(libc::SOCK_DGRAM), "SOCK_DGRAM");
        assert_eq!(protocol(libc::IPPROTO_TCP), "IPPROTO_TCP");
        assert_eq!(shutdown_how(std::net::Shutdown::Write), "SHUT_WR");
        assert_eq!(
            msg_flags(libc::MSG_WAITALL | libc::MSG_PEEK),
            "MSG_PEEK|MSG_WAITALL"
        );
        assert_eq!(msg_flags(0), "0");
        // The named-at-once pair reads as the pair named flag by flag.
        #[cfg(target_os = "linux")]
        {
            let pair = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
            assert_eq!(msg_flags(pair), "MSG_DONTWAIT|MSG_NOSIGNAL");
            assert_eq!(msg_flags(pair), flag_names(pair.into(), MSG_NAMES));
        }
        assert_eq!(
            poll_flags(PollFlags::POLLIN | PollFlags::POLLOUT),
            "POLLIN|POLLOUT"
        );
        assert_eq!(poll_flags(PollFlags::empty()), "0");
        assert_eq!(
            sock_type_flags(libc::SOCK_STREAM | libc::SOCK_CLOEXEC),
            "SOCK_STREAM|SOCK_CLOEXEC"
        );
        assert_eq!(
            sockopt(libc::SOL_SOCKET, libc::SO_REUSEADDR),
            ("SOL_SOCKET".into(), "SO_REUSEADDR".into())
        );
        assert_eq!(
            sockopt(libc::IPPROTO_TCP, 9999),
            ("IPPROTO_TCP".into(), "9999".into())
        );
        assert_eq!(fcntl_cmd(libc::F_SETFL), "F_SETFL");
        assert_eq!(
            open_flags(i64::from(libc::O_RDWR | libc::O_NONBLOCK)),
            "O_RDWR|O_NONBLOCK"
        );
        assert_eq!(
            epoll_events((libc::EPOLLIN | libc::EPOLLET) as u32),
            "EPOLLIN|EPOLLET"
        );
        assert_eq!(
            msg_flags(0x4000_0000),
            "0x40000000",
            "an unknown bit is not dropped"
        );
    }

    #[test]
    fn errnos_print_as_strace_does() {
        assert_eq!(errno_name(Errno::ECONNREFUSED), "ECONNREFUSED");
        assert_eq!(Errno::ECONNREFUSED.desc(), "Connection refused");
        assert_eq!(errno_from_name("ECONNREFUSED"), Some(Errno::ECONNREFUSED));
        assert_eq!(errno_from_name("EINPROGRESS"), Some(Errno::EINPROGRESS));
        assert_eq!(errno_from_name("nope"), None);
    }

    #[test]
    fn buffers_are_escaped_and_cut() {
        assert_eq!(quoted(b"hola\n", 32), "\"hola\\n\"");
        assert_eq!(quoted(b"\x1b[31m", 32), "\"\\x1b[31m\"");
        assert_eq!(quoted(b"abcdef", 3), "\"abc\"...");
    }
}
