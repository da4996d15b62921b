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
    // Calls a lab program does not make but a traced one (`lab trace`) may.
    Accept,
    Socketpair,
    Sendmsg,
    Recvmsg,
    Write,
    Read,
    Dup,
    Dup2,
    Dup3,
    CloseRange,
    Ppoll,
    Select,
    Pselect6,
    EpollCtl,
    EpollWait,
    EpollPwait,
    Getsockname,
    Getpeername,
    Writev,
    Readv,
    Sendmmsg,
    Recvmmsg,
    Sendfile,
    Splice,
}

/// Every call with its strace name and its word in a lesson (`None`: not a lesson step), in
/// the order a program makes them.
pub const TABLE: [(Syscall, &str, Option<&str>); 40] = [
    (Syscall::Getaddrinfo, "getaddrinfo", Some("resolve")),
    (Syscall::Socket, "socket", Some("socket")),
    (Syscall::Socketpair, "socketpair", None),
    (Syscall::Setsockopt, "setsockopt", Some("setsockopt")),
    (Syscall::Getsockopt, "getsockopt", Some("getsockopt")),
    (Syscall::Fcntl, "fcntl", Some("nonblock")),
    (Syscall::Bind, "bind", Some("bind")),
    (Syscall::Listen, "listen", Some("listen")),
    (Syscall::Accept4, "accept4", Some("accept")),
    (Syscall::Accept, "accept", None),
    (Syscall::Connect, "connect", Some("connect")),
    (Syscall::Getsockname, "getsockname", None),
    (Syscall::Getpeername, "getpeername", None),
    (Syscall::Send, "send", Some("send")),
    (Syscall::Sendto, "sendto", Some("sendto")),
    (Syscall::Sendmsg, "sendmsg", None),
    (Syscall::Sendmmsg, "sendmmsg", None),
    (Syscall::Write, "write", None),
    (Syscall::Writev, "writev", None),
    (Syscall::Sendfile, "sendfile", None),
    (Syscall::Splice, "splice", None),
    (Syscall::Recv, "recv", Some("recv")),
    (Syscall::Recvfrom, "recvfrom", Some("recvfrom")),
    (Syscall::Recvmsg, "recvmsg", None),
    (Syscall::Recvmmsg, "recvmmsg", None),
    (Syscall::Read, "read", None),
    (Syscall::Readv, "readv", None),
    (Syscall::Shutdown, "shutdown", Some("shutdown")),
    (Syscall::Close, "close", Some("close")),
    (Syscall::Dup, "dup", None),
    (Syscall::Dup2, "dup2", None),
    (Syscall::Dup3, "dup3", None),
    (Syscall::CloseRange, "close_range", None),
    (Syscall::Poll, "poll", Some("poll")),
    (Syscall::Ppoll, "ppoll", None),
    (Syscall::Select, "select", None),
    (Syscall::Pselect6, "pselect6", None),
    (Syscall::EpollCtl, "epoll_ctl", None),
    (Syscall::EpollWait, "epoll_wait", Some("epoll")),
    (Syscall::EpollPwait, "epoll_pwait", None),
];

impl Syscall {
    /// `send()` and `recv()` move no TCP state by themselves (what they find — the peer's FIN
    /// or RST — the kernel did before): the state they find at their start holds over them
    /// unless the kernel moves it, which the trace may prove instead of reading it again.
    pub fn moves_no_state(self) -> bool {
        matches!(self, Syscall::Send | Syscall::Recv)
    }

    /// Whether a call hands bytes to the kernel to send: a peer may read them before the call's
    /// exit stop is seen (see `ptrace::calls`).
    pub fn writes_data(self) -> bool {
        use Syscall::*;
        matches!(
            self,
            Send | Sendto | Sendmsg | Sendmmsg | Write | Writev | Sendfile | Splice
        )
    }

    /// The calls that carry bytes between the program and a connection, either way: the
    /// writes, and `recv()` and its kin. The peer's move seen after one that returned a count
    /// is told after its line (see `attribution::told_after`).
    pub fn moves_data(self) -> bool {
        use Syscall::*;
        self.writes_data() || matches!(self, Recv | Recvfrom | Recvmsg | Recvmmsg | Read | Readv)
    }

    /// Every call, in [`TABLE`]'s order.
    pub fn all() -> impl Iterator<Item = Syscall> {
        TABLE.iter().map(|(s, _, _)| *s)
    }

    fn entry(self) -> &'static (Syscall, &'static str, Option<&'static str>) {
        // TABLE lists every variant (a test checks it), so the search always finds one.
        TABLE
            .iter()
            .find(|(s, _, _)| *s == self)
            .unwrap_or(&TABLE[0])
    }

    /// Whether the call takes any kind of fd (a file, a pipe, a socket): `read`, `close`,
    /// `dup`… Only a look at the fd tells whether such a call is about a socket.
    pub fn on_any_fd(self) -> bool {
        use Syscall::*;
        matches!(
            self,
            Fcntl
                | Close
                | Write
                | Read
                | Dup
                | Dup2
                | Dup3
                | CloseRange
                | Writev
                | Readv
                | Sendfile
                | Splice
                | Poll
                | Ppoll
                | Select
                | Pselect6
                | EpollCtl
                | EpollWait
                | EpollPwait
        )
    }

    /// The name strace prints: `accept4`, `fcntl`.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The word a lesson uses for it: `accept`, `nonblock`; `None` if it is not a lesson step.
    pub fn lesson_word(self) -> Option<&'static str> {
        self.entry().2
    }

    /// The call a lesson's word stands for.
    pub fn from_lesson_word(word: &str) -> Option<Syscall> {
        TABLE
            .iter()
            .find(|(_, _, w)| *w == Some(word))
            .map(|(s, _, _)| *s)
    }

    /// Every word a lesson may use for a call.
    pub fn lesson_words() -> impl Iterator<Item = &'static str> {
        TABLE.iter().filter_map(|(_, _, w)| *w)
    }

    /// The call strace would name so.
    pub fn from_name(name: &str) -> Option<Syscall> {
        TABLE
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(s, _, _)| *s)
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
            assert_eq!(
                TABLE.iter().filter(|(c, _, _)| c == call).count(),
                1,
                "{name} listed twice"
            );
            assert_eq!(Syscall::from_name(name), Some(*call));
            if let Some(word) = word {
                assert_eq!(Syscall::from_lesson_word(word), Some(*call));
            }
            assert_eq!(call.entry(), &TABLE[i]);
        }
        assert_eq!(Syscall::from_name("frobnicate"), None);
    }

    #[test]
    fn every_variant_is_in_the_table() {
        use strum::IntoEnumIterator;
        assert_eq!(Syscall::iter().count(), TABLE.len());
        for s in Syscall::iter() {
            assert!(
                TABLE.iter().any(|(c, _, _)| *c == s),
                "{s:?} is not in TABLE"
            );
        }
    }

    #[test]
    fn names_are_straces() {
        assert_eq!(Syscall::Accept4.to_string(), "accept4");
        assert_eq!(Syscall::Fcntl.lesson_word(), Some("nonblock"));
        assert_eq!(Syscall::EpollWait.lesson_word(), Some("epoll"));
        assert_eq!(Syscall::EpollPwait.lesson_word(), None);
    }
}
