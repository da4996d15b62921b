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
    /// `SO_KEEPALIVE`: after a while with nothing to send or receive, the kernel probes the
    /// peer, and gives the connection up (ETIMEDOUT) if it never answers.
    KeepAlive(bool),
    /// `TCP_KEEPIDLE`: seconds of silence before the first keep-alive probe (default 7200).
    KeepIdle(u32),
    /// `TCP_KEEPINTVL`: seconds between probes (default 75).
    KeepIntvl(u32),
    /// `TCP_KEEPCNT`: unanswered probes before the connection is given up (default 9).
    KeepCnt(u32),
    /// `TCP_SYNCNT`: how many times `connect()` sends its SYN again before ETIMEDOUT
    /// (default 6: about 127 s).
    SynCnt(u32),
    /// `TCP_USER_TIMEOUT`, in ms: data unacknowledged this long and the connection is given
    /// up (ETIMEDOUT), however many retransmissions that is.
    UserTimeout(u32),
}

/// Every option's name, as a lesson writes it.
pub const NAMES: [&str; 13] = [
    "SO_REUSEADDR",
    "SO_REUSEPORT",
    "SO_LINGER",
    "TCP_NODELAY",
    "SO_RCVBUF",
    "SO_SNDBUF",
    "IPV6_V6ONLY",
    "SO_KEEPALIVE",
    "TCP_KEEPIDLE",
    "TCP_KEEPINTVL",
    "TCP_KEEPCNT",
    "TCP_SYNCNT",
    "TCP_USER_TIMEOUT",
];

impl SockOpt {
    /// The option called `name`, set to `value` (a lesson's `setsockopt SO_LINGER 0`).
    pub fn parse(name: &str, value: u64) -> Option<SockOpt> {
        let on = value != 0;
        let bytes = usize::try_from(value).unwrap_or(usize::MAX);
        let n = u32::try_from(value).unwrap_or(u32::MAX);
        Some(match name {
            "SO_REUSEADDR" => SockOpt::ReuseAddr(on),
            "SO_REUSEPORT" => SockOpt::ReusePort(on),
            "SO_LINGER" => SockOpt::Linger(Some(Duration::from_secs(value))),
            "TCP_NODELAY" => SockOpt::NoDelay(on),
            "SO_RCVBUF" => SockOpt::RcvBuf(bytes),
            "SO_SNDBUF" => SockOpt::SndBuf(bytes),
            "IPV6_V6ONLY" => SockOpt::V6Only(on),
            "SO_KEEPALIVE" => SockOpt::KeepAlive(on),
            "TCP_KEEPIDLE" => SockOpt::KeepIdle(n),
            "TCP_KEEPINTVL" => SockOpt::KeepIntvl(n),
            "TCP_KEEPCNT" => SockOpt::KeepCnt(n),
            "TCP_SYNCNT" => SockOpt::SynCnt(n),
            "TCP_USER_TIMEOUT" => SockOpt::UserTimeout(n),
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
            SockOpt::KeepAlive(_) => ("SOL_SOCKET", "SO_KEEPALIVE"),
            SockOpt::KeepIdle(_) => ("IPPROTO_TCP", "TCP_KEEPIDLE"),
            SockOpt::KeepIntvl(_) => ("IPPROTO_TCP", "TCP_KEEPINTVL"),
            SockOpt::KeepCnt(_) => ("IPPROTO_TCP", "TCP_KEEPCNT"),
            SockOpt::SynCnt(_) => ("IPPROTO_TCP", "TCP_SYNCNT"),
            SockOpt::UserTimeout(_) => ("IPPROTO_TCP", "TCP_USER_TIMEOUT"),
        }
    }

    /// The value as strace prints it: `1`, `4096`, `{l_onoff=1, l_linger=0}`.
    pub fn value(self) -> Arg {
        let number = |n: usize| Arg::Int(i64::try_from(n).unwrap_or(i64::MAX));
        match self {
            SockOpt::ReuseAddr(on)
            | SockOpt::ReusePort(on)
            | SockOpt::NoDelay(on)
            | SockOpt::V6Only(on)
            | SockOpt::KeepAlive(on) => Arg::Int(i64::from(on)),
            SockOpt::KeepIdle(n)
            | SockOpt::KeepIntvl(n)
            | SockOpt::KeepCnt(n)
            | SockOpt::SynCnt(n)
            | SockOpt::UserTimeout(n) => Arg::Int(i64::from(n)),
            SockOpt::Linger(l) => Arg::Linger(l.map(|d| d.as_secs())),
            SockOpt::RcvBuf(n) | SockOpt::SndBuf(n) => number(n),
        }
    }

    /// Sets it on `s`, through socket2 or nix (one `setsockopt(2)` each: socket2's keep-alive
    /// setter would also turn SO_KEEPALIVE on, a call the trace would not show).
    pub fn apply(self, s: &socket2::Socket) -> std::io::Result<()> {
        use nix::sys::socket::{setsockopt, sockopt};
        let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        match self {
            SockOpt::KeepAlive(on) => s.set_keepalive(on),
            SockOpt::KeepIdle(n) => Ok(setsockopt(s, sockopt::TcpKeepIdle, &n)?),
            SockOpt::KeepIntvl(n) => Ok(setsockopt(s, sockopt::TcpKeepInterval, &n)?),
            SockOpt::KeepCnt(n) => Ok(setsockopt(s, sockopt::TcpKeepCount, &n)?),
            SockOpt::SynCnt(n) => crate::sys::set_tcp_syncnt(s, int(n)),
            SockOpt::UserTimeout(ms) => Ok(setsockopt(s, sockopt::TcpUserTimeout, &ms)?),
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
