//! The TCP state machine's states, as the Linux kernel numbers them.
//!
//! RFC 9293 §3.3.2 names eleven states. Linux keeps them in `sk_state` with the numbers of
//! `include/net/tcp_states.h`, and adds two of its own: NEW_SYN_RECV (a half-open connection
//! still living as a small "request socket" in the listener's queue) and BOUND_INACTIVE (a
//! socket that called `bind()` but neither `listen()` nor `connect()`, reported since Linux 6.8).
//!
//! Both views of a socket give these numbers: `getsockopt(TCP_INFO)` on a fd (`tcpi_state`), and
//! the kernel's socket table (`inet_diag_msg.idiag_state`). `Display` prints the state as `ss`
//! does (`ESTAB`, `FIN-WAIT-2`), so the trace can be held next to `ss -tan`; [`TcpState::rfc_name`]
//! gives the RFC spelling (`ESTABLISHED`).

use serde::{Serialize, Serializer};
use std::fmt;

/// One state of a TCP connection. The discriminants are the kernel's own codes: 1 for
/// ESTABLISHED, counting up in this order to 13 (`include/net/tcp_states.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumIter)]
#[repr(u8)]
pub enum TcpState {
    /// Data flows both ways: the three-way handshake is done.
    Established = 1,
    /// `connect()` sent a SYN and waits for the SYN-ACK.
    SynSent,
    /// A SYN arrived and a SYN-ACK went back; waiting for the final ACK.
    SynRecv,
    /// We sent a FIN (`close()` or `shutdown(SHUT_WR)`) and wait for its ACK.
    FinWait1,
    /// Our FIN was acknowledged; waiting for the peer's FIN. We may still receive data.
    FinWait2,
    /// Both FINs are done; we closed first, so we hold the 4-tuple for 2·MSL (60 s on Linux).
    TimeWait,
    /// No connection: a fresh socket, or one that has been reset or fully closed.
    Close,
    /// The peer sent a FIN (our `recv()` returns 0); we may still send until we close.
    CloseWait,
    /// We closed after the peer did, and wait for the ACK of our FIN.
    LastAck,
    /// `listen()` was called: the socket accepts connections into its queue.
    Listen,
    /// Both sides sent a FIN at the same time (a simultaneous close).
    Closing,
    /// Linux only: a half-open connection kept as a request socket (shown as SYN-RECV by `ss`).
    NewSynRecv,
    /// Linux ≥ 6.8 only: bound with `bind()`, but not listening or connected.
    BoundInactive,
}

impl TcpState {
    /// Every state, in the kernel's order (codes 1 to 13).
    pub fn all() -> impl Iterator<Item = TcpState> {
        <TcpState as strum::IntoEnumIterator>::iter()
    }

    /// The state for a kernel code (`tcpi_state`, `idiag_state`), or `None` for a code this
    /// build does not know (a newer kernel may add one).
    pub fn from_kernel(code: u8) -> Option<TcpState> {
        TcpState::all().find(|s| *s as u8 == code)
    }

    /// The kernel's numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The bit for this state in a sock_diag request's `idiag_states` mask (`TCPF_*`).
    pub fn flag(self) -> u32 {
        1 << (self as u8)
    }

    /// The state's name as `ss` prints it (`ESTAB`, `TIME-WAIT`; a CLOSE socket is `UNCONN`
    /// in ss's table, but the lab prints `CLOSE`, the state's name, everywhere).
    pub fn ss_name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTAB",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynRecv | TcpState::NewSynRecv => "SYN-RECV",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::TimeWait => "TIME-WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::LastAck => "LAST-ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
            TcpState::BoundInactive => "BOUND-INACTIVE",
        }
    }

    /// The state's name as RFC 9293 spells it (`ESTABLISHED`, `TIME-WAIT`); Linux's own two
    /// states keep their kernel names.
    pub fn rfc_name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynRecv => "SYN-RECEIVED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::TimeWait => "TIME-WAIT",
            TcpState::Close => "CLOSED",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::LastAck => "LAST-ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
            TcpState::NewSynRecv => "NEW_SYN_RECV",
            TcpState::BoundInactive => "BOUND_INACTIVE",
        }
    }

    /// Parses a state name in any of the spellings people type: `ss`'s (`estab`,
    /// `time-wait`), the RFC's (`ESTABLISHED`), or the kernel's (`TIME_WAIT`, `FIN_WAIT2`).
    pub fn parse(name: &str) -> Option<TcpState> {
        let norm: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let aliases: &[(&str, TcpState)] = &[
            ("ESTAB", TcpState::Established),
            ("SYNRECEIVED", TcpState::SynRecv),
            ("CLOSED", TcpState::Close),
            ("UNCONN", TcpState::Close),
        ];
        if let Some((_, s)) = aliases.iter().find(|(a, _)| *a == norm) {
            return Some(*s);
        }
        TcpState::all().find(|s| {
            let squash = |n: &str| n.replace(['-', '_'], "");
            squash(s.ss_name()) == norm || squash(s.rfc_name()) == norm
        })
    }

    /// Two states that mean the same thing seen from two sides: `getsockopt(TCP_INFO)` on a
    /// bound, idle socket says CLOSE, where the kernel's table (Linux ≥ 6.8) says BOUND-INACTIVE;
    /// a request socket is NEW_SYN_RECV in the table and SYN-RECV by name.
    pub fn same_as(self, other: TcpState) -> bool {
        let canon = |s: TcpState| match s {
            TcpState::BoundInactive => TcpState::Close,
            TcpState::NewSynRecv => TcpState::SynRecv,
            s => s,
        };
        canon(self) == canon(other)
    }
}

/// A state as the table shows it, or `gone` where it has no row (in the run's language).
pub fn state_or_gone(s: Option<TcpState>) -> String {
    s.map_or_else(
        || crate::i18n::t(crate::i18n::M::Gone).to_string(),
        |s| s.to_string(),
    )
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` (not `write_str`) so that `{:<12}` aligns states in tables.
        f.pad(self.ss_name())
    }
}

impl Serialize for TcpState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.ss_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for s in TcpState::all() {
            assert_eq!(TcpState::from_kernel(s.code()), Some(s));
        }
        // The kernel's codes, 1 to 13, in declaration order.
        assert!(TcpState::all().map(TcpState::code).eq(1..=13));
        assert_eq!(TcpState::from_kernel(0), None);
        assert_eq!(TcpState::from_kernel(14), None);
    }

    #[test]
    fn names_match_ss_and_the_rfc() {
        // The spellings `ss -tan` prints, pinned here so a rename is a visible change.
        let table = [
            (1, "ESTAB", "ESTABLISHED"),
            (2, "SYN-SENT", "SYN-SENT"),
            (3, "SYN-RECV", "SYN-RECEIVED"),
            (4, "FIN-WAIT-1", "FIN-WAIT-1"),
            (5, "FIN-WAIT-2", "FIN-WAIT-2"),
            (6, "TIME-WAIT", "TIME-WAIT"),
            (7, "CLOSE", "CLOSED"),
            (8, "CLOSE-WAIT", "CLOSE-WAIT"),
            (9, "LAST-ACK", "LAST-ACK"),
            (10, "LISTEN", "LISTEN"),
            (11, "CLOSING", "CLOSING"),
        ];
        for (code, ss, rfc) in table {
            let s = TcpState::from_kernel(code).unwrap();
            assert_eq!(s.to_string(), ss);
            assert_eq!(s.rfc_name(), rfc);
        }
    }

    #[test]
    fn parse_accepts_every_spelling() {
        assert_eq!(TcpState::parse("estab"), Some(TcpState::Established));
        assert_eq!(TcpState::parse("ESTABLISHED"), Some(TcpState::Established));
        assert_eq!(TcpState::parse("time-wait"), Some(TcpState::TimeWait));
        assert_eq!(TcpState::parse("TIME_WAIT"), Some(TcpState::TimeWait));
        assert_eq!(TcpState::parse("fin_wait2"), Some(TcpState::FinWait2));
        assert_eq!(TcpState::parse("listen"), Some(TcpState::Listen));
        assert_eq!(TcpState::parse("bogus"), None);
        for s in TcpState::all() {
            assert!(TcpState::parse(s.rfc_name()).is_some_and(|p| p.same_as(s)));
        }
    }

    #[test]
    fn bound_idle_is_close_in_both_views() {
        assert!(TcpState::Close.same_as(TcpState::BoundInactive));
        assert!(!TcpState::Close.same_as(TcpState::TimeWait));
    }
}
