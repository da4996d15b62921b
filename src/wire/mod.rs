//! The wire: the TCP segments themselves, as a capture sees them.
//!
//! Everywhere else an arrow between two programs is *inferred* from their calls (a FIN because
//! a `close()` happened). Here it is *seen*: each segment lab captures is parsed into a typed
//! [`Segment`] — who sent it to whom, its flags, its sequence and acknowledgment numbers counted
//! from each side's first one, how much data it carried, the window it offered — and judged in
//! Wireshark's words ([`Analysis`]: retransmission, duplicate ACK, zero window, …).
//!
//! - [`segment`]: the segment as a type (with the words Wireshark has for one), and reading one
//!   from an IP packet's bytes.
//! - [`analysis`]: what a segment *is*, from the history of its connection (pure, no sockets).
//! - [`capture`]: reading packets off `lo` in lab's own network, with the kernel's times.
//! - [`pcap`]: the packets as a pcapng file (`--pcap`), for tcpdump and Wireshark.
//!
//! This module knows nothing of traces or sockets: the funnel ([`crate::trace`]) wraps each
//! segment in an event like any call's.

mod analysis;
pub(crate) mod capture;
pub(crate) mod pcap;
pub(crate) mod segment;

pub use analysis::Streams;
pub use segment::{Analysis, Dropped, Flags, Segment, SynOptions};
