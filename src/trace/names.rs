//! Constants and errnos by name, as strace prints them: `AF_INET`, `SHUT_WR`, `ECONNREFUSED`.
//!
//! A student who reads `shutdown(3, SHUT_WR)` can look the name up in `man 2 shutdown`; one who
//! reads `shutdown(3, 1)` cannot. The tables below hold the mapping, and a test pins it.

use nix::errno::Errno;
use nix::poll::PollFlags;
use std::io;

/// `AF_INET`, `AF_INET6`, `AF_UNIX` — the `domain` argument of `socket(2)`.
pub fn family(domain: i32) -> String {
    match domain {
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_UNIX => "AF_UNIX".into(),
        other => other.to_string(),
    }
}

/// `SOCK_STREAM`, `SOCK_DGRAM` — the `type` argument of `socket(2)`, without flags.
pub fn sock_type(ty: i32) -> String {
    match ty {
        libc::SOCK_STREAM => "SOCK_STREAM".into(),
        libc::SOCK_DGRAM => "SOCK_DGRAM".into(),
        libc::SOCK_RAW => "SOCK_RAW".into(),
        other => other.to_string(),
    }
}

/// `IPPROTO_TCP`, `IPPROTO_UDP` — the `protocol` argument of `socket(2)`.
pub fn protocol(proto: i32) -> String {
    match proto {
        0 => "0".into(),
        libc::IPPROTO_TCP => "IPPROTO_TCP".into(),
        libc::IPPROTO_UDP => "IPPROTO_UDP".into(),
        other => other.to_string(),
    }
}

/// `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR` — the `how` argument of `shutdown(2)`.
pub fn shutdown_how(how: std::net::Shutdown) -> &'static str {
    match how {
        std::net::Shutdown::Read => "SHUT_RD",
        std::net::Shutdown::Write => "SHUT_WR",
        std::net::Shutdown::Both => "SHUT_RDWR",
    }
}

/// `MSG_*` flags of `send(2)`/`recv(2)`, joined with `|` as strace does; `0` for none.
pub fn msg_flags(flags: i32) -> String {
    const NAMES: &[(i32, &str)] = &[
        (libc::MSG_PEEK, "MSG_PEEK"),
        (libc::MSG_WAITALL, "MSG_WAITALL"),
        (libc::MSG_DONTWAIT, "MSG_DONTWAIT"),
        #[cfg(target_os = "linux")]
        (libc::MSG_NOSIGNAL, "MSG_NOSIGNAL"),
        (libc::MSG_OOB, "MSG_OOB"),
        (libc::MSG_TRUNC, "MSG_TRUNC"),
    ];
    let names: Vec<&str> = NAMES.iter().filter(|(f, _)| flags & f != 0).map(|(_, n)| *n).collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// An errno's symbolic name, as strace prints it: `ECONNREFUSED`. (nix's `Errno` prints its
/// name with `{:?}`, and knows the C library's message: `desc()`.)
pub fn errno_name(e: Errno) -> String {
    format!("{e:?}")
}

/// The errno called `name` (`ECONNREFUSED`), as a lesson writes it: every code the C library
/// knows is tried (Linux's go up to 133), so the list is the platform's own.
pub fn errno_from_name(name: &str) -> Option<Errno> {
    (1..256).map(Errno::from_raw).find(|e| *e != Errno::UnknownErrno && errno_name(*e) == name)
}

/// An I/O error's errno name (`ECONNREFUSED`), or `?` for an error that carries none.
pub fn errno_of(err: &io::Error) -> String {
    err.raw_os_error().map_or_else(|| "?".to_string(), |code| errno_name(Errno::from_raw(code)))
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
    let names: Vec<&str> = NAMES.iter().filter(|(flag, _)| f.contains(*flag)).map(|(_, n)| *n).collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// Bytes as strace prints a buffer: a quoted string with `\n`, `\r`, `\t`, `\"`, `\\` and
/// `\xNN` escapes, cut after `max` bytes with `...` (so a huge line stays one short line).
pub fn quoted(bytes: &[u8], max: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_print_by_name() {
        assert_eq!(family(libc::AF_INET), "AF_INET");
        assert_eq!(family(libc::AF_INET6), "AF_INET6");
        assert_eq!(sock_type(libc::SOCK_STREAM), "SOCK_STREAM");
        assert_eq!(sock_type(libc::SOCK_DGRAM), "SOCK_DGRAM");
        assert_eq!(protocol(libc::IPPROTO_TCP), "IPPROTO_TCP");
        assert_eq!(shutdown_how(std::net::Shutdown::Write), "SHUT_WR");
        assert_eq!(msg_flags(libc::MSG_WAITALL | libc::MSG_PEEK), "MSG_PEEK|MSG_WAITALL");
        assert_eq!(msg_flags(0), "0");
        assert_eq!(poll_flags(PollFlags::POLLIN | PollFlags::POLLOUT), "POLLIN|POLLOUT");
        assert_eq!(poll_flags(PollFlags::empty()), "0");
    }

    #[test]
    fn errnos_print_as_strace_does() {
        assert_eq!(errno_name(Errno::ECONNREFUSED), "ECONNREFUSED");
        assert_eq!(Errno::ECONNREFUSED.desc(), "Connection refused");
        assert_eq!(errno_of(&io::Error::from_raw_os_error(libc::EADDRINUSE)), "EADDRINUSE");
        assert_eq!(errno_of(&io::Error::from_raw_os_error(libc::EAGAIN)), "EAGAIN");
        assert_eq!(errno_of(&io::Error::other("no errno")), "?");
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
