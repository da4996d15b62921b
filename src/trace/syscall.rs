//! The socket calls the lab knows, as one type: what the trace records, what a lesson writes,
//! what the runner carries out, and what a decoder of another program's system calls would name.
//!
//! Each call has two spellings: strace's (`accept4`, `fcntl`), which the trace prints so that a
//! student can hold it next to `strace -f`, and the lesson format's (`accept`, `nonblock`), which
//! says what the step does. Both live in [`TABLE`] and nowhere else.

use std::fmt;

/// A call the trace can show. `getaddrinfo` is a C library function, not a system call, but a
/// student meets it right before `socket()`, so the trace shows it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Syscall {
    Socket,
    Setsockopt,
    Getsockopt,
    Fcntl,
    Bind,
    Listen,
    Accept4,
    Connect,
    Send,
    Sendto,
    Recv,
    Recvfrom,
    Shutdown,
    Close,
    Poll,
    Getaddrinfo,
}

/// Every call with its strace name and its word in a lesson, in the order a program makes them.
pub const TABLE: [(Syscall, &str, &str); 16] = [
    (Syscall::Getaddrinfo, "getaddrinfo", "resolve"),
    (Syscall::Socket, "socket", "socket"),
    (Syscall::Setsockopt, "setsockopt", "setsockopt"),
    (Syscall::Getsockopt, "getsockopt", "getsockopt"),
    (Syscall::Fcntl, "fcntl", "nonblock"),
    (Syscall::Bind, "bind", "bind"),
    (Syscall::Listen, "listen", "listen"),
    (Syscall::Accept4, "accept4", "accept"),
    (Syscall::Connect, "connect", "connect"),
    (Syscall::Send, "send", "send"),
    (Syscall::Sendto, "sendto", "sendto"),
    (Syscall::Recv, "recv", "recv"),
    (Syscall::Recvfrom, "recvfrom", "recvfrom"),
    (Syscall::Shutdown, "shutdown", "shutdown"),
    (Syscall::Close, "close", "close"),
    (Syscall::Poll, "poll", "poll"),
];

impl Syscall {
    /// Every call, in [`TABLE`]'s order.
    pub fn all() -> impl Iterator<Item = Syscall> {
        TABLE.iter().map(|(s, _, _)| *s)
    }

    fn entry(self) -> &'static (Syscall, &'static str, &'static str) {
        // TABLE lists every variant (a test checks it), so the search always finds one.
        TABLE.iter().find(|(s, _, _)| *s == self).unwrap_or(&TABLE[0])
    }

    /// The name strace prints: `accept4`, `fcntl`.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The word a lesson uses for it: `accept`, `nonblock`.
    pub fn lesson_word(self) -> &'static str {
        self.entry().2
    }

    /// The call a lesson's word stands for.
    pub fn from_lesson_word(word: &str) -> Option<Syscall> {
        TABLE.iter().find(|(_, _, w)| *w == word).map(|(s, _, _)| *s)
    }

    /// The call strace would name so.
    pub fn from_name(name: &str) -> Option<Syscall> {
        TABLE.iter().find(|(_, n, _)| *n == name).map(|(s, _, _)| *s)
    }
}

impl fmt::Display for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_has_one_entry_and_both_spellings_round_trip() {
        for (i, (call, name, word)) in TABLE.iter().enumerate() {
            assert_eq!(TABLE.iter().filter(|(c, _, _)| c == call).count(), 1, "{name} listed twice");
            assert_eq!(Syscall::from_name(name), Some(*call));
            assert_eq!(Syscall::from_lesson_word(word), Some(*call));
            assert_eq!(call.entry(), &TABLE[i]);
        }
        assert_eq!(Syscall::from_name("frobnicate"), None);
    }

    #[test]
    fn every_variant_is_in_the_table() {
        use strum::IntoEnumIterator;
        assert_eq!(Syscall::iter().count(), TABLE.len());
        for s in Syscall::iter() {
            assert!(TABLE.iter().any(|(c, _, _)| *c == s), "{s:?} is not in TABLE");
        }
    }

    #[test]
    fn names_are_straces() {
        assert_eq!(Syscall::Accept4.to_string(), "accept4");
        assert_eq!(Syscall::Fcntl.lesson_word(), "nonblock");
    }
}
