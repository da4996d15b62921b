//! Reading the wire: an `AF_PACKET` socket on `lo`, in lab's own network (see
//! [`crate::netns`]), hands over every packet with the time the kernel saw it.
//!
//! On `lo` each packet passes twice, once leaving and once arriving: only the arriving copy
//! is kept. The kernel is asked not to queue the leaving copies at all
//! (`PACKET_IGNORE_OUTGOING`, Linux ≥ 4.20: half the work, and a count of missed packets that
//! is a count of segments); where it cannot, they are skipped here. The arriving copy is queued
//! to this socket before TCP handles the packet, so by the time a `recv()` returns bytes, the
//! segment that carried them is already waiting here — which is what lets the trace put them in
//! causal order.
//!
//! Memory is bounded: the socket's queue is [`QUEUE_BYTES`]; when it overflows the kernel
//! drops packets and counts them, and [`Capture::missed`] says how many. (`LAB_CAPTURE_QUEUE`
//! sets another size in bytes: the tests make a capture that cannot keep up with it.)

use nix::sys::socket::{
    recvmsg, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, LinkAddr, MsgFlags,
    SockFlag, SockProtocol, SockType,
};
use nix::sys::time::TimeSpec;
use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

/// The capture socket's queue: about 4,000 full-sized loopback segments (64 KiB each on lo)
/// would not fit, but the queue holds the packets' bytes as received, so it is ~1,000 of the
/// largest. A capture that cannot keep up drops, and says so.
pub const QUEUE_BYTES: usize = 64 << 20;

/// The most bytes of one packet that are read: headers and the first bytes of data (the rest
/// is counted, not kept: the length is in the IP header).
pub const SNAP_BYTES: usize = 256;

/// One packet off the wire.
pub struct Packet {
    /// Its bytes from the IP header on (at most [`SNAP_BYTES`]).
    pub bytes: Vec<u8>,
    /// Its whole length.
    pub len: usize,
    /// When the kernel saw it (CLOCK_REALTIME, as pcap files keep time).
    pub at: Duration,
}

/// A capture on `lo`.
pub struct Capture {
    fd: OwnedFd,
    lo: usize,
    missed: std::sync::atomic::AtomicU64,
    /// The kernel queues no leaving copies (`PACKET_IGNORE_OUTGOING`).
    outgoing_skipped: bool,
}

/// The process's one capture (see [`Capture::shared`]).
static SHARED: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();

impl Capture {
    /// The process's capture, opened on first use and kept open until the process ends: every
    /// trace in it (`lab lesson check` runs a lesson after another) reads the same one, and
    /// tells its own packets by their times. Why: closing a packet socket waits for the
    /// kernel's RCU grace period (`packet_release()` → `synchronize_net()`), 10–20 ms here —
    /// once per lesson, that was most of what capturing cost the lesson suite.
    pub fn shared() -> io::Result<&'static Capture> {
        if let Some(c) = SHARED.get() {
            return Ok(c);
        }
        let c = Capture::open()?;
        Ok(SHARED.get_or_init(|| c))
    }

    /// Opens the capture: needs CAP_NET_RAW in this network namespace (lab's own has it).
    /// Corresponds to `socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL))` and
    /// `setsockopt(SO_TIMESTAMPNS)`, `setsockopt(SO_RCVBUFFORCE)`.
    pub fn open() -> io::Result<Capture> {
        let lo = nix::net::if_::if_nametoindex("lo").map_err(io::Error::from)? as usize;
        let flags = SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK;
        // SOCK_DGRAM: the packet from its IP header on (lo's link header is all zeroes).
        let fd = socket(
            AddressFamily::Packet,
            SockType::Datagram,
            flags,
            SockProtocol::EthAll,
        )?;
        // Out of the way: a lesson's first socket keeps the number it has without a capture.
        let fd = crate::sys::fd_above(fd, 100);
        setsockopt(&fd, sockopt::ReceiveTimestampns, &true)?;
        let queue = std::env::var("LAB_CAPTURE_QUEUE")
            .ok()
            .and_then(|q| q.parse().ok())
            .unwrap_or(QUEUE_BYTES);
        // FORCE: past the machine's rmem_max (allowed with CAP_NET_ADMIN, which lab has in its
        // own network); else as much as rmem_max allows.
        if setsockopt(&fd, sockopt::RcvBufForce, &queue).is_err() {
            setsockopt(&fd, sockopt::RcvBuf, &queue)?;
        }
        let outgoing_skipped = crate::sys::packet_ignore_outgoing(fd.as_fd()).is_ok();
        Ok(Capture {
            fd,
            lo,
            missed: 0.into(),
            outgoing_skipped,
        })
    }

    /// Every packet waiting now, arriving copies on `lo` only, each handed to `f`; returns how
    /// many were handed. Never blocks.
    pub fn drain(&self, mut f: impl FnMut(Packet)) -> usize {
        let mut buf = [0u8; SNAP_BYTES];
        let mut n = 0;
        loop {
            let mut cmsg = nix::cmsg_space!(TimeSpec);
            let mut iov = [IoSliceMut::new(&mut buf)];
            let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_TRUNC;
            let got =
                match recvmsg::<LinkAddr>(self.fd.as_raw_fd(), &mut iov, Some(&mut cmsg), flags) {
                    Ok(m) => m,
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => break,
                };
            let outgoing = got
                .address
                .is_none_or(|a| a.pkttype() == libc::PACKET_OUTGOING || a.ifindex() != self.lo);
            let at = got.cmsgs().ok().and_then(|mut c| {
                c.find_map(|m| match m {
                    ControlMessageOwned::ScmTimestampns(ts) => Some(Duration::from(ts)),
                    _ => None,
                })
            });
            let len = got.bytes;
            if outgoing {
                continue;
            }
            let at = at.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
            });
            f(Packet {
                bytes: buf[..len.min(SNAP_BYTES)].to_vec(),
                len,
                at,
            });
            n += 1;
        }
        n
    }

    /// Waits (at most `timeout`) until a packet is waiting.
    pub fn wait(&self, timeout: Duration) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::try_from(timeout.as_millis().min(60_000) as i32)
            .unwrap_or(PollTimeout::NONE);
        matches!(poll(&mut fds, ms), Ok(n) if n > 0)
    }

    /// How many packets the kernel dropped because this capture fell behind, in total so far.
    pub fn missed(&self) -> u64 {
        use std::sync::atomic::Ordering;
        let dropped = u64::from(crate::sys::packet_drops(self.fd.as_fd()).unwrap_or(0));
        // Each read resets the kernel's count: keep the sum. Where the leaving copies are
        // queued too, the kernel counts both copies of a packet it dropped: half are segments.
        let new = if self.outgoing_skipped {
            dropped
        } else {
            dropped.div_ceil(2)
        };
        self.missed.fetch_add(new, Ordering::Relaxed) + new
    }
}
