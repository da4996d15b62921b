//! The socket options the lab sets, as one type: what `setsockopt(2)` is told, by level and
//! name as `man 7 socket`, `man 7 tcp` and `man 7 ipv6` list them. A lesson's
//! `setsockopt SO_LINGER 0` and the chat server's `TCP_NODELAY` are the same value.

use super::event::Arg;
use std::time::Duration;

/// An option and the value to set it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOpt {
    /// `SO_REUSEADDR`: `bind()` may take a port that a TIME-WAIT connection still holds.
    ReuseAddr(bool),
    /// `SO_REUSEPORT`: several sockets may listen on one port; the kernel spreads connections.
    ReusePort(bool),
    /// `TCP_NODELAY`: small segments go at once, without Nagle's wait to coalesce them.
    NoDelay(bool),
    /// `SO_LINGER`: with a zero timeout, `close()` discards unsent data and sends RST — an
    /// abortive close, no TIME-WAIT. `None`: off.
    Linger(Option<Duration>),
    /// `IPV6_V6ONLY`: off, one IPv6 socket bound to `[::]` also takes IPv4 connections, whose
    /// peers then show as `::ffff:a.b.c.d` (dual stack).
    V6Only(bool),
    /// `SO_RCVBUF`, in bytes; the kernel doubles the value for its own bookkeeping.
    RcvBuf(usize),
    /// `SO_SNDBUF`, in bytes.
    SndBuf(usize),
}

/// Every option's name, as a lesson writes it.
pub const NAMES: [&str; 7] = [
    "SO_REUSEADDR",
    "SO_REUSEPORT",
    "SO_LINGER",
    "TCP_NODELAY",
    "SO_RCVBUF",
    "SO_SNDBUF",
    "IPV6_V6ONLY",
];

impl SockOpt {
    /// The option called `name`, set to `value` (a lesson's `setsockopt SO_LINGER 0`).
    pub fn parse(name: &str, value: u64) -> Option<SockOpt> {
        let on = value != 0;
        let bytes = usize::try_from(value).unwrap_or(usize::MAX);
        Some(match name {
            "SO_REUSEADDR" => SockOpt::ReuseAddr(on),
            "SO_REUSEPORT" => SockOpt::ReusePort(on),
            "SO_LINGER" => SockOpt::Linger(Some(Duration::from_secs(value))),
            "TCP_NODELAY" => SockOpt::NoDelay(on),
            "SO_RCVBUF" => SockOpt::RcvBuf(bytes),
            "SO_SNDBUF" => SockOpt::SndBuf(bytes),
            "IPV6_V6ONLY" => SockOpt::V6Only(on),
            _ => return None,
        })
    }

    /// The level and the name, as `setsockopt(2)` takes them: `SOL_SOCKET, SO_REUSEADDR`.
    pub fn level_and_name(self) -> (&'static str, &'static str) {
        match self {
            SockOpt::ReuseAddr(_) => ("SOL_SOCKET", "SO_REUSEADDR"),
            SockOpt::ReusePort(_) => ("SOL_SOCKET", "SO_REUSEPORT"),
            SockOpt::NoDelay(_) => ("IPPROTO_TCP", "TCP_NODELAY"),
            SockOpt::Linger(_) => ("SOL_SOCKET", "SO_LINGER"),
            SockOpt::V6Only(_) => ("IPPROTO_IPV6", "IPV6_V6ONLY"),
            SockOpt::RcvBuf(_) => ("SOL_SOCKET", "SO_RCVBUF"),
            SockOpt::SndBuf(_) => ("SOL_SOCKET", "SO_SNDBUF"),
        }
    }

    /// The value as strace prints it: `1`, `4096`, `{l_onoff=1, l_linger=0}`.
    pub fn value(self) -> Arg {
        let number = |n: usize| Arg::Int(i64::try_from(n).unwrap_or(i64::MAX));
        match self {
            SockOpt::ReuseAddr(on)
            | SockOpt::ReusePort(on)
            | SockOpt::NoDelay(on)
            | SockOpt::V6Only(on) => Arg::Int(i64::from(on)),
            SockOpt::Linger(l) => Arg::Linger(l.map(|d| d.as_secs())),
            SockOpt::RcvBuf(n) | SockOpt::SndBuf(n) => number(n),
        }
    }

    /// Sets it on `s`, through socket2 (one `setsockopt(2)`).
    pub fn apply(self, s: &socket2::Socket) -> std::io::Result<()> {
        match self {
            SockOpt::ReuseAddr(on) => s.set_reuse_address(on),
            SockOpt::ReusePort(on) => s.set_reuse_port(on),
            SockOpt::NoDelay(on) => s.set_tcp_nodelay(on),
            SockOpt::Linger(l) => s.set_linger(l),
            SockOpt::V6Only(on) => s.set_only_v6(on),
            SockOpt::RcvBuf(n) => s.set_recv_buffer_size(n),
            SockOpt::SndBuf(n) => s.set_send_buffer_size(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_to_the_option_of_that_name() {
        for name in NAMES {
            let opt = SockOpt::parse(name, 1).unwrap();
            assert_eq!(opt.level_and_name().1, name);
        }
        assert_eq!(SockOpt::parse("SO_BOGUS", 1), None);
        assert_eq!(
            SockOpt::parse("SO_LINGER", 0),
            Some(SockOpt::Linger(Some(Duration::ZERO)))
        );
        assert_eq!(
            SockOpt::Linger(Some(Duration::ZERO)).value().to_string(),
            "{l_onoff=1, l_linger=0}"
        );
    }
}
