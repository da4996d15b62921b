//! A network that can fail: lab's own link between hosts.
//!
//! Loopback never loses, delays or reorders a segment, so retransmission, flow control and
//! "one send() is not one recv()" cannot be seen on it. lab's link can: each host's packets
//! go through lab, which applies the link's rules and writes them out on the other side.
//!
//! - [`spec`] — the rules as a student writes them (`delay 30ms loss 5%`), with the column of
//!   any bad word.
//! - [`link`] — what each rule does to a segment: one variant in `spec`, one function here.
//! - [`host`] — a host: a network namespace whose only way out is a TUN device lab holds.
//! - [`relay`] — lab's hands on the link: every packet read, judged, written out, and seen.
//! - [`lesson`] — a lesson's network: its sockets made on the hosts, its rules changed by step.

pub(crate) mod host;
pub(crate) mod lesson;
mod link;
mod relay;
pub(crate) mod run;
pub(crate) mod session;
pub(crate) mod spec;
pub(crate) mod up;
pub(crate) mod userns;
