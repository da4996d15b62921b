//! A socket's two ends, as the trace learns them.
//!
//! The trace shows each call's local and peer address. Until a socket is connected or listening
//! they may still change (`bind()`, an implicit bind by `connect()`), so they are asked of the
//! kernel (`getsockname(2)`, `getpeername(2)`); from then on they cannot change, and are
//! remembered: two system calls fewer per traced call. The peer a program gave `connect()` or
//! got from `accept()` is kept from the start: the kernel has none to tell in SYN-SENT, or once
//! the connection is over, but the 4-tuple is still how the table knows it.

use crate::tcp_state::TcpState;
use socket2::SockRef;
use std::net::SocketAddr;
use std::os::fd::BorrowedFd;

/// The ends known of one socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ends {
    /// Our address, once connected or listening.
    pub local: Option<SocketAddr>,
    /// The peer given to `connect()` or returned by `accept()`, or read once connected.
    pub peer: Option<SocketAddr>,
}

impl Ends {
    /// The ends to show after a call that left the socket in `state`: the ones known, the others
    /// asked of the kernel — and remembered if `state` says they cannot change any more.
    pub fn learn(&mut self, fd: BorrowedFd<'_>, state: Option<TcpState>) -> Ends {
        let s = SockRef::from(&fd);
        let now = Ends {
            local: self
                .local
                .or_else(|| s.local_addr().ok().and_then(|a| a.as_socket())),
            peer: self
                .peer
                .or_else(|| s.peer_addr().ok().and_then(|a| a.as_socket())),
        };
        if matches!(state, Some(TcpState::Established | TcpState::Listen)) {
            self.local = now.local;
        }
        if state == Some(TcpState::Established) {
            self.peer = now.peer;
        }
        now
    }
}
