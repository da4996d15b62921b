//! The netlink codec for the kernel's socket table: NETLINK_SOCK_DIAG, the interface `ss` uses.
//!
//! A program asks the kernel about its sockets by sending one netlink message,
//! `SOCK_DIAG_BY_FAMILY` carrying an `inet_diag_req_v2`, on a `socket(AF_NETLINK, SOCK_RAW,
//! NETLINK_SOCK_DIAG)`. The kernel answers with one `inet_diag_msg` per socket:
//!
//! - **dump** (`NLM_F_DUMP`): every TCP socket of one address family whose state is in the
//!   request's `idiag_states` bit mask, in several datagrams, ended by `NLMSG_DONE`;
//! - **lookup** (no dump flag): the one socket with the request's exact 4-tuple, or
//!   `NLMSG_ERROR` with ENOENT.
//!
//! Layouts are from `linux/netlink.h`, `linux/sock_diag.h` and `linux/inet_diag.h`. Netlink
//! headers are in host byte order; ports and addresses inside `inet_diag_sockid` are in network
//! byte order (big-endian), as on the wire. Everything here is safe code: the bytes are written
//! and read by hand, which is also the clearest way to show a student what is in them.
//!
//! Written by hand because no maintained crate covers sock_diag on nix (the `netlink-packet-*`
//! family brings its own socket layer); the codec is ~200 lines.

use nix::sys::socket::{
    self, AddressFamily, MsgFlags, MultiHeaders, SockFlag, SockProtocol, SockType,
};
use std::io;
use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};

/// `SOCK_DIAG_BY_FAMILY` from `linux/sock_diag.h`: the request type for one address family.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `TCPDIAG_GETSOCK` from `linux/inet_diag.h`: the older request type, with the older request
/// (`struct inet_diag_req`). The kernel answers it for IPv4 and IPv6 at once
/// (`inet_diag_dump_compat` asks with AF_UNSPEC), walking its tables once.
const TCPDIAG_GETSOCK: u16 = 18;
/// `INET_DIAG_NOCOOKIE` from `linux/inet_diag.h`: "match any socket cookie" (all ones).
const INET_DIAG_NOCOOKIE: u32 = u32::MAX;
/// `sizeof(struct nlmsghdr)`: len u32, type u16, flags u16, seq u32, pid u32.
const NLMSG_HDR_LEN: usize = 16;
/// `sizeof(struct inet_diag_sockid)`: sport, dport, `src[4]`, `dst[4]`, if, `cookie[2]`.
const SOCKID_LEN: usize = 48;
/// `sizeof(struct inet_diag_req_v2)`: family, protocol, ext, pad, states, id.
const REQ_V2_LEN: usize = 8 + SOCKID_LEN;
/// `sizeof(struct inet_diag_req)`: family, src_len, dst_len, ext, id, states, dbs.
const REQ_V1_LEN: usize = 4 + SOCKID_LEN + 8;
/// `sizeof(struct inet_diag_msg)`: family, state, timer, retrans, id, expires, rqueue, wqueue,
/// uid, inode.
const DIAG_MSG_LEN: usize = 4 + SOCKID_LEN + 20;
/// Netlink messages in one datagram start on 4-byte boundaries (`NLMSG_ALIGN`).
const NLMSG_ALIGNTO: usize = 4;

/// At most this many exact lookups travel in one request datagram. The kernel answers each in
/// a datagram of its own, and they wait in the netlink socket's receive queue until read: at
/// about 1 KiB each there, 64 fit in the default queue (`net.core.rmem_default`, 208 KiB).
pub const LOOKUPS_PER_REQUEST: usize = 64;

/// The room for one answer to a lookup when many are received at once: a header, a
/// `struct inet_diag_msg` and the few attributes the kernel always adds come to under 200
/// bytes; [`LOOKUPS_PER_REQUEST`] slots of this size fill the 64 KiB buffer a dump uses.
const ANSWER_MAX: usize = 1024;

/// The timer running on a socket, from `idiag_timer` (what `ss -o` prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Timer {
    /// Retransmitting unacknowledged data (or a SYN).
    On,
    /// Keepalive probes.
    Keepalive,
    /// TIME-WAIT's 2·MSL timer: when it fires, the 4-tuple is free again.
    Timewait,
    /// Zero-window probes.
    Persist,
}

impl Timer {
    /// `idiag_timer` codes as `ss` decodes them (`tcp_timer_print` in ss.c): 1 retransmit,
    /// 2 keepalive, 3 TIME-WAIT, 4 zero-window probe.
    fn from_code(code: u8) -> Option<Timer> {
        match code {
            1 => Some(Timer::On),
            2 => Some(Timer::Keepalive),
            3 => Some(Timer::Timewait),
            4 => Some(Timer::Persist),
            _ => None,
        }
    }

    /// The name `ss -o` prints (`timewait`, `keepalive`).
    pub fn name(self) -> &'static str {
        match self {
            Timer::On => "on",
            Timer::Keepalive => "keepalive",
            Timer::Timewait => "timewait",
            Timer::Persist => "persist",
        }
    }
}

/// One socket as the kernel reports it in an `inet_diag_msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagMsg {
    /// `AF_INET` or `AF_INET6`.
    pub family: u8,
    /// The raw state code (see [`crate::tcp_state::TcpState::from_kernel`]).
    pub state: u8,
    /// The running timer and milliseconds until it fires, if any.
    pub timer: Option<(Timer, u32)>,
    /// Our end of the connection (`idiag_src`, `idiag_sport`).
    pub local: SocketAddr,
    /// The other end (`idiag_dst`, `idiag_dport`); port 0 for a listener.
    pub peer: SocketAddr,
    /// For a connection: bytes received but not yet read by the program. For a listener:
    /// connections waiting in the accept queue.
    pub rqueue: u32,
    /// For a connection: bytes sent but not yet acknowledged. For a listener: the backlog.
    pub wqueue: u32,
    /// The owner's user id.
    pub uid: u32,
    /// The socket's inode (what `fstat(fd).st_ino` returns); 0 once no fd holds it (TIME-WAIT).
    pub inode: u64,
}

/// A netlink socket open on NETLINK_SOCK_DIAG. Reuse one for many requests: opening costs a
/// syscall, a lookup on an open one costs ~3 µs.
///
/// Not `Sync`-safe to share without a lock: two threads' requests on one netlink socket would
/// interleave their replies. [`crate::kernel::table::KernelTable`] wraps it in a mutex.
pub struct DiagSocket {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl DiagSocket {
    /// Opens the socket. Corresponds to `socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)`.
    pub fn open() -> io::Result<DiagSocket> {
        let fd = socket::socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )?;
        // Dumps arrive in datagrams of up to 32 KiB; a larger buffer never truncates one.
        Ok(DiagSocket {
            fd,
            seq: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Every TCP socket of `family` (`AF_INET` or `AF_INET6`) whose state's bit is set in
    /// `states` (see [`crate::tcp_state::TcpState::flag`]), handed to `out` as each datagram
    /// arrives (a `Vec`, or a sink that keeps only what it needs: at 10,000 sockets a copy of
    /// every message is a megabyte). One request, several replies.
    pub fn dump(
        &mut self,
        family: AddressFamily,
        states: u32,
        out: &mut impl Extend<DiagMsg>,
    ) -> io::Result<()> {
        let unspecified = match family {
            AddressFamily::Inet6 => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
            _ => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        };
        let seq = self.next_seq();
        let req = encode_request(seq, family as u8, states, unspecified, unspecified, true);
        self.dump_request(&req, seq, out)
    }

    /// Every TCP socket, IPv4 and IPv6, whose state's bit is set in `states`, in the order the
    /// kernel walks its tables: one walk where a dump per family (as `ss` makes) walks every
    /// bucket twice — at 10,000 sockets a quarter of the time. Asked with `TCPDIAG_GETSOCK`.
    /// Handed to `out` as [`DiagSocket::dump`] does.
    pub fn dump_all_families(
        &mut self,
        states: u32,
        out: &mut impl Extend<DiagMsg>,
    ) -> io::Result<()> {
        let seq = self.next_seq();
        self.dump_request(&encode_dump_v1(seq, states), seq, out)
    }

    /// Sends a dump request and hands its replies to `out`, datagram by datagram, until
    /// NLMSG_DONE.
    fn dump_request(
        &mut self,
        req: &[u8],
        seq: u32,
        out: &mut impl Extend<DiagMsg>,
    ) -> io::Result<()> {
        socket::send(self.fd.as_raw_fd(), req, MsgFlags::empty())?;
        loop {
            let n = self.recv_reply()?;
            match decode_replies(&self.buf[..n], seq, out)? {
                Reply::More => continue,
                Reply::Done => return Ok(()),
            }
        }
    }

    /// Receives one datagram of replies (`recv(2)`). A signal may interrupt the wait — `lab
    /// trace`'s waker wakes the tracer's thread with one, without `SA_RESTART` — and then the
    /// wait is simply taken again: the reply is still coming.
    fn recv_reply(&mut self) -> io::Result<usize> {
        loop {
            match socket::recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty()) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => return Ok(other?),
            }
        }
    }

    /// The one socket with exactly this 4-tuple, if the kernel has it. `peer` is the
    /// unspecified address with port 0 to ask for a listener.
    ///
    /// The listener trap: for a connection that no longer exists, the kernel's lookup falls
    /// back to the listening socket on the same local port and returns *that*. So the reply's
    /// 4-tuple is compared with the one asked for, and a different one counts as "not found".
    pub fn lookup(&mut self, local: SocketAddr, peer: SocketAddr) -> io::Result<Option<DiagMsg>> {
        let reply = self.lookup_unchecked(local, peer)?;
        Ok(reply.filter(|m| same_endpoint(m.local, local) && same_endpoint(m.peer, peer)))
    }

    /// What the kernel answers to an exact lookup, *without* checking that the socket it
    /// returns is the one asked for. Only for showing the listener trap; use [`Self::lookup`].
    pub fn lookup_unchecked(
        &mut self,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> io::Result<Option<DiagMsg>> {
        Ok(self.exchange(&[(local, peer)])?.pop().flatten())
    }

    /// Many exact lookups, each checked as [`Self::lookup`] checks one: the answers in the
    /// order of `tuples`. Up to [`LOOKUPS_PER_REQUEST`] requests travel in one datagram — one
    /// `send()` where there would be one each, and the kernel's answers are taken in as few
    /// `recv()`s as the queue allows: about half the cost of one lookup at a time.
    pub fn lookup_many(
        &mut self,
        tuples: &[(SocketAddr, SocketAddr)],
    ) -> io::Result<Vec<Option<DiagMsg>>> {
        let mut out = Vec::with_capacity(tuples.len());
        for chunk in tuples.chunks(LOOKUPS_PER_REQUEST) {
            out.extend(self.exchange(chunk)?);
        }
        let asked = |m: &DiagMsg, (l, p): &(SocketAddr, SocketAddr)| {
            same_endpoint(m.local, *l) && same_endpoint(m.peer, *p)
        };
        Ok(out
            .into_iter()
            .zip(tuples)
            .map(|(m, t)| m.filter(|m| asked(m, t)))
            .collect())
    }

    /// Sends one datagram holding an exact lookup for each of `tuples` (numbered by `seq`) and
    /// takes the kernel's answers, unchecked. The kernel answers every request of a datagram
    /// before `send()` returns, each in a datagram of its own (or `NLMSG_ERROR`, ENOENT: no
    /// such socket), so they are read without waiting: an empty queue means every answer is in.
    /// An answer to an earlier, abandoned request has another `seq` and is passed over; one that
    /// did not fit in the receive queue (ENOBUFS) is asked again on its own.
    fn exchange(
        &mut self,
        tuples: &[(SocketAddr, SocketAddr)],
    ) -> io::Result<Vec<Option<DiagMsg>>> {
        let first = self.seq.wrapping_add(1);
        let mut req = Vec::with_capacity(tuples.len() * (NLMSG_HDR_LEN + REQ_V2_LEN));
        for (local, peer) in tuples {
            let seq = self.next_seq();
            req.extend(encode_request(
                seq,
                family_of(*local),
                u32::MAX,
                *local,
                *peer,
                false,
            ));
        }
        socket::send(self.fd.as_raw_fd(), &req, MsgFlags::empty())?;
        let mut answers: Vec<Option<Option<DiagMsg>>> = vec![None; tuples.len()];
        let mut left = tuples.len();
        while left > 0 {
            let got = match self.recv_many_now() {
                Ok(got) if got.is_empty() => break,
                Ok(got) => got,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => continue,
                Err(e) => return Err(e),
            };
            for (slot, taken) in self.buf.chunks(ANSWER_MAX).zip(got) {
                let slot = &slot[..taken.len];
                if taken.cut {
                    match seq_of(slot).map(|seq| seq.wrapping_sub(first) as usize) {
                        // Never half a message read as a whole one.
                        Some(i) if i < answers.len() => return Err(bad("answer cut short")),
                        // A stale dump's (one abandoned half-way): passed over, as below.
                        _ => continue,
                    }
                }
                for_each_message(slot, |seq, kind, payload| {
                    let i = seq.wrapping_sub(first) as usize;
                    if i < answers.len() && answers[i].is_none() {
                        answers[i] = Some(answer(kind, payload)?);
                        left -= 1;
                    }
                    Ok(true)
                })?;
            }
        }
        self.ask_again(tuples, answers)
    }

    /// The answers an overflowing receive queue dropped, asked for again one at a time.
    fn ask_again(
        &mut self,
        tuples: &[(SocketAddr, SocketAddr)],
        answers: Vec<Option<Option<DiagMsg>>>,
    ) -> io::Result<Vec<Option<DiagMsg>>> {
        let mut out = Vec::with_capacity(answers.len());
        for (a, t) in answers.into_iter().zip(tuples) {
            out.push(match a {
                Some(a) => a,
                None if tuples.len() > 1 => self.exchange(std::slice::from_ref(t))?.pop().flatten(),
                None => return Err(io::Error::from_raw_os_error(libc::ENOBUFS)),
            });
        }
        Ok(out)
    }

    /// The datagrams already queued, up to [`LOOKUPS_PER_REQUEST`] of them in one system call,
    /// without waiting (`recvmmsg(2)` with `MSG_DONTWAIT`): each into its own [`ANSWER_MAX`]
    /// bytes of `buf`, in order. Returns what each slot took; none when the queue is empty.
    ///
    /// Why not one `recv()` each: every answer is a datagram of its own, and at 64 answers a
    /// request the system calls' own cost is a sixth of a lookup's.
    fn recv_many_now(&mut self) -> io::Result<Vec<Taken>> {
        loop {
            match self.recvmmsg_once() {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::EAGAIN) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
                Ok(got) => return Ok(got),
            }
        }
    }

    /// One `recvmmsg()` into the slots of `buf`: what each datagram's slot took.
    fn recvmmsg_once(&mut self) -> nix::Result<Vec<Taken>> {
        let mut headers = MultiHeaders::<()>::preallocate(LOOKUPS_PER_REQUEST, None);
        let mut slots: Vec<[IoSliceMut<'_>; 1]> = self
            .buf
            .chunks_mut(ANSWER_MAX)
            .map(|slot| [IoSliceMut::new(slot)])
            .collect();
        let fd = self.fd.as_raw_fd();
        let got = socket::recvmmsg(
            fd,
            &mut headers,
            slots.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )?;
        Ok(got.map(taken).collect())
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}

/// What one slot of a `recvmmsg()` took: `len` bytes of a datagram, `cut` short if it was
/// longer than [`ANSWER_MAX`] (the kernel sets `MSG_TRUNC` and drops the rest). No answer to a
/// lookup is; a dump's datagram, up to 32 KiB, is — one left in the queue by a dump abandoned
/// half-way, which the lookups that follow must pass over as any stale answer.
struct Taken {
    len: usize,
    cut: bool,
}

fn taken(m: socket::RecvMsg<'_, '_, ()>) -> Taken {
    Taken {
        len: m.bytes,
        cut: m.flags.contains(MsgFlags::MSG_TRUNC),
    }
}

/// The sequence number of a datagram's first message, if a whole header is there.
fn seq_of(datagram: &[u8]) -> Option<u32> {
    (datagram.len() >= NLMSG_HDR_LEN).then(|| u32_at(datagram, 8))
}

/// Two endpoints are the same if their ports are, and their addresses are, with IPv4-mapped
/// IPv6 addresses (`::ffff:127.0.0.1`) equal to their IPv4 form.
fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    a.port() == b.port() && canon(a.ip()) == canon(b.ip())
}

/// Builds `nlmsghdr` + `inet_diag_req_v2` for TCP sockets of `family`.
pub fn encode_request(
    seq: u32,
    family: u8,
    states: u32,
    local: SocketAddr,
    peer: SocketAddr,
    dump: bool,
) -> Vec<u8> {
    let total = NLMSG_HDR_LEN + REQ_V2_LEN;
    let mut flags = libc::NLM_F_REQUEST as u16;
    if dump {
        flags |= libc::NLM_F_DUMP as u16;
    }
    let mut b = Vec::with_capacity(total);
    // struct nlmsghdr, host byte order.
    b.extend_from_slice(&(total as u32).to_ne_bytes());
    b.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    b.extend_from_slice(&flags.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid 0: "to the kernel"
                                              // struct inet_diag_req_v2.
    b.push(family);
    b.push(libc::IPPROTO_TCP as u8);
    b.push(0); // idiag_ext: no extra attributes wanted
    b.push(0); // pad
    b.extend_from_slice(&states.to_ne_bytes());
    // struct inet_diag_sockid: ports and addresses big-endian, the interface and cookie not.
    b.extend_from_slice(&local.port().to_be_bytes());
    b.extend_from_slice(&peer.port().to_be_bytes());
    b.extend_from_slice(&addr_bytes(local.ip()));
    b.extend_from_slice(&addr_bytes(peer.ip()));
    b.extend_from_slice(&0u32.to_ne_bytes()); // idiag_if: any interface
    b.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    b.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    debug_assert_eq!(b.len(), total);
    b
}

/// Builds `nlmsghdr` + `struct inet_diag_req` (the older request) for a dump of every TCP
/// socket of both families whose state is in `states`.
pub fn encode_dump_v1(seq: u32, states: u32) -> Vec<u8> {
    let total = NLMSG_HDR_LEN + REQ_V1_LEN;
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    let mut b = Vec::with_capacity(total);
    b.extend_from_slice(&(total as u32).to_ne_bytes());
    b.extend_from_slice(&TCPDIAG_GETSOCK.to_ne_bytes());
    b.extend_from_slice(&flags.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    // struct inet_diag_req: the family is not read for a dump (both are walked); no address
    // prefixes, no extra attributes.
    b.extend_from_slice(&[libc::AF_INET as u8, 0, 0, 0]);
    // struct inet_diag_sockid: any ports, addresses and interface; no cookie.
    b.extend_from_slice(&[0u8; 4 + 32 + 4]);
    b.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    b.extend_from_slice(&INET_DIAG_NOCOOKIE.to_ne_bytes());
    b.extend_from_slice(&states.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes()); // idiag_dbs: unused
    debug_assert_eq!(b.len(), total);
    b
}

/// An address as the 16 bytes of `__be32 idiag_src[4]`: IPv4 in the first four.
fn addr_bytes(ip: IpAddr) -> [u8; 16] {
    let mut out = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => out[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.copy_from_slice(&v6.octets()),
    }
    out
}

/// Whether a dump has more datagrams to come.
enum Reply {
    More,
    Done,
}

/// Decodes one datagram of replies to dump request `seq`, handing each socket to `out`. Replies
/// to an earlier, abandoned request are skipped, not mistaken for ours. An error the kernel
/// answers the dump with ends it, whatever it is: ENOENT here is not a lookup's "no such
/// socket" but a refused request (no sock_diag handler for the family), and no NLMSG_DONE
/// follows it.
fn decode_replies(buf: &[u8], seq: u32, out: &mut impl Extend<DiagMsg>) -> io::Result<Reply> {
    let mut reply = Reply::More;
    for_each_message(buf, |msg_seq, kind, payload| {
        if msg_seq != seq {
            return Ok(true);
        }
        if kind == libc::NLMSG_DONE as u16 {
            reply = Reply::Done;
            return Ok(false);
        }
        if kind == libc::NLMSG_ERROR as u16 {
            return match error_of(payload)? {
                0 => Ok(true),
                errno => Err(io::Error::from_raw_os_error(errno)),
            };
        }
        out.extend(answer(kind, payload)?);
        Ok(true)
    })?;
    Ok(reply)
}

/// Calls `each(seq, type, payload)` for every netlink message of a datagram, in order, until
/// it returns false.
fn for_each_message(
    mut buf: &[u8],
    mut each: impl FnMut(u32, u16, &[u8]) -> io::Result<bool>,
) -> io::Result<()> {
    while buf.len() >= NLMSG_HDR_LEN {
        let len = u32_at(buf, 0) as usize;
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        if len < NLMSG_HDR_LEN || len > buf.len() {
            return Err(bad("message length out of range"));
        }
        if !each(u32_at(buf, 8), kind, &buf[NLMSG_HDR_LEN..len])? {
            return Ok(());
        }
        let step = (len + NLMSG_ALIGNTO - 1) & !(NLMSG_ALIGNTO - 1);
        buf = &buf[step.min(buf.len())..];
    }
    Ok(())
}

/// What one reply message says: a socket, none (`NLMSG_ERROR` with ENOENT: no socket has the
/// 4-tuple asked for, and no listener its port) or nothing (an acknowledgement), or an error.
fn answer(kind: u16, payload: &[u8]) -> io::Result<Option<DiagMsg>> {
    match kind as i32 {
        libc::NLMSG_ERROR => match error_of(payload)? {
            0 | libc::ENOENT => Ok(None),
            errno => Err(io::Error::from_raw_os_error(errno)),
        },
        // A reply has its request's type.
        _ if kind == SOCK_DIAG_BY_FAMILY || kind == TCPDIAG_GETSOCK => Ok(Some(
            decode_msg(payload).ok_or_else(|| bad("short inet_diag_msg"))?,
        )),
        _ => Err(bad("unexpected message type")),
    }
}

/// The errno an `NLMSG_ERROR` carries (its payload starts with it, negated); 0 is an
/// acknowledgement.
fn error_of(payload: &[u8]) -> io::Result<i32> {
    match payload {
        [a, b, c, d, ..] => Ok(-i32::from_ne_bytes([*a, *b, *c, *d])),
        _ => Err(bad("short NLMSG_ERROR")),
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("sock_diag: {what}"))
}

/// The `idiag_family` byte for a socket whose local address is `a`.
fn family_of(a: SocketAddr) -> u8 {
    let f = if a.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    f as u8
}

/// Decodes one `struct inet_diag_msg`; attributes after it (none asked for) are ignored.
fn decode_msg(p: &[u8]) -> Option<DiagMsg> {
    if p.len() < DIAG_MSG_LEN {
        return None;
    }
    let family = p[0];
    let id = &p[4..4 + SOCKID_LEN];
    let sport = u16::from_be_bytes([id[0], id[1]]);
    let dport = u16::from_be_bytes([id[2], id[3]]);
    let ip = |b: &[u8]| -> IpAddr {
        if family == libc::AF_INET as u8 {
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        } else {
            let mut o = [0u8; 16];
            o.copy_from_slice(&b[..16]);
            IpAddr::V6(Ipv6Addr::from(o))
        }
    };
    let rest = &p[4 + SOCKID_LEN..];
    let expires = u32_at(rest, 0);
    Some(DiagMsg {
        family,
        state: p[1],
        timer: Timer::from_code(p[2]).map(|t| (t, expires)),
        local: SocketAddr::new(ip(&id[4..20]), sport),
        peer: SocketAddr::new(ip(&id[20..36]), dport),
        rqueue: u32_at(rest, 4),
        wqueue: u32_at(rest, 8),
        uid: u32_at(rest, 12),
        inode: u64::from(u32_at(rest, 16)),
    })
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    type Tuples = Vec<(SocketAddr, SocketAddr)>;

    /// `n` connections to a listener of their own, and the 4-tuples of their clients' ends.
    fn connected(n: usize) -> (TcpListener, Vec<TcpStream>, Tuples) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let clients: Vec<_> = (0..n)
            .map(|_| TcpStream::connect(l.local_addr().unwrap()).unwrap())
            .collect();
        let tuples = clients
            .iter()
            .map(|c| (c.local_addr().unwrap(), c.peer_addr().unwrap()))
            .collect();
        (l, clients, tuples)
    }

    /// A dump the kernel refuses with an error (here ENOENT: no sock_diag handler for the
    /// family, as a machine without the inet_diag module answers for TCP) ends with that error,
    /// not with a wait for an NLMSG_DONE that never comes. (The receive timeout only bounds the
    /// test should it wait.)
    #[test]
    fn a_refused_dump_ends_with_its_error_and_does_not_wait() {
        use nix::sys::socket::{setsockopt, sockopt::ReceiveTimeout};
        let mut diag = DiagSocket::open().unwrap();
        setsockopt(
            &diag.fd,
            ReceiveTimeout,
            &nix::sys::time::TimeVal::new(5, 0),
        )
        .unwrap();
        let seq = diag.next_seq();
        let any = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
        let req = encode_request(seq, libc::AF_APPLETALK as u8, u32::MAX, any, any, true);
        let err = diag.dump_request(&req, seq, &mut Vec::new()).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
        // An exact lookup's ENOENT is still "no such socket".
        let nobody = SocketAddr::from((Ipv4Addr::LOCALHOST, 9));
        assert!(diag.lookup(nobody, nobody).unwrap().is_none());
    }

    /// Sequence numbers wrap around (u32) in the middle of a batch: each answer still goes to
    /// its own lookup, in the order asked.
    #[test]
    fn lookups_numbered_across_the_wrap_around_answer_each_its_own() {
        let (_l, _clients, tuples) = connected(6);
        let mut diag = DiagSocket::open().unwrap();
        diag.seq = u32::MAX - 2;
        let rows = diag.lookup_many(&tuples).unwrap();
        assert_eq!(diag.seq, 3, "the batch was numbered across the wrap");
        for (t, row) in tuples.iter().zip(&rows) {
            let row = row.as_ref().unwrap_or_else(|| panic!("no row for {t:?}"));
            assert_eq!((row.local, row.peer), *t);
        }
    }

    /// An answer to a request nobody read (a lookup abandoned half-way) waits in the queue:
    /// the next lookup passes it over and answers with its own, whatever the stale one said.
    #[test]
    fn a_stale_answer_left_in_the_queue_is_not_taken_for_the_next_one() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        let mut diag = DiagSocket::open().unwrap();
        let (cl, cp) = (c.local_addr().unwrap(), c.peer_addr().unwrap());
        // The stale request asks for the client's end; its answer is never read.
        let stale = encode_request(0x8000_0000, libc::AF_INET as u8, u32::MAX, cl, cp, false);
        socket::send(diag.fd.as_raw_fd(), &stale, MsgFlags::empty()).unwrap();
        let (sl, sp) = (s.local_addr().unwrap(), s.peer_addr().unwrap());
        let row = diag.lookup(sl, sp).unwrap().expect("the server's end");
        assert_eq!((row.local, row.peer), (sl, sp));
        // Both at once, after it: each its own.
        let rows = diag.lookup_many(&[(cl, cp), (sl, sp)]).unwrap();
        assert_eq!(rows[0].as_ref().map(|r| r.local), Some(cl));
        assert_eq!(rows[1].as_ref().map(|r| r.local), Some(sl));
    }

    /// A dump nobody read to its end (abandoned half-way) leaves datagrams in the queue far
    /// longer than a lookup's answer: the next lookup passes them over, as any stale answer,
    /// and answers with its own.
    #[test]
    fn a_stale_dumps_long_datagrams_are_passed_over_by_the_next_lookup() {
        let (_l, clients, _) = connected(40);
        let mut diag = DiagSocket::open().unwrap();
        let any = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
        let stale = encode_request(0x8000_0000, libc::AF_INET as u8, u32::MAX, any, any, true);
        socket::send(diag.fd.as_raw_fd(), &stale, MsgFlags::empty()).unwrap();
        let c = &clients[0];
        let (cl, cp) = (c.local_addr().unwrap(), c.peer_addr().unwrap());
        let row = diag.lookup(cl, cp).unwrap().expect("the client's end");
        assert_eq!((row.local, row.peer), (cl, cp));
        let rows = diag.lookup_many(&[(cl, cp)]).unwrap();
        assert_eq!(rows[0].as_ref().map(|r| r.local), Some(cl));
    }

    /// A receive queue too small for a batch's answers overflows (netlink says so once, with
    /// ENOBUFS, and drops the answers that did not fit): every lookup is still answered with its
    /// own row — those taken, then the dropped ones asked for again one at a time.
    #[test]
    fn answers_an_overflowing_queue_dropped_are_asked_for_again() {
        use nix::sys::socket::{setsockopt, sockopt::RcvBuf};
        let (_l, _clients, tuples) = connected(LOOKUPS_PER_REQUEST);
        let mut diag = DiagSocket::open().unwrap();
        // The smallest queue the kernel allows (it doubles the value, to at least ~4.5 KiB).
        setsockopt(&diag.fd, RcvBuf, &0).unwrap();
        let rows = diag.lookup_many(&tuples).unwrap();
        for (t, row) in tuples.iter().zip(&rows) {
            let row = row.as_ref().unwrap_or_else(|| panic!("no row for {t:?}"));
            assert_eq!((row.local, row.peer), *t);
        }
        // Overflowed indeed: the kernel counted the answers it dropped (/proc/net/netlink's
        // Drops, on the line with this socket's inode).
        let inode = nix::sys::stat::fstat(&diag.fd).unwrap().st_ino.to_string();
        let table = std::fs::read_to_string("/proc/net/netlink").unwrap();
        let drops = table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.last() == Some(&inode.as_str()))
            .and_then(|f| f[f.len() - 2].parse::<u64>().ok());
        assert!(
            drops.is_some_and(|d| d > 0),
            "no answer was dropped: {drops:?}"
        );
    }

    #[test]
    fn request_layout_matches_the_kernel_headers() {
        let local: SocketAddr = "127.0.0.1:8888".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:50312".parse().unwrap();
        let r = encode_request(7, libc::AF_INET as u8, 0xfff, local, peer, false);
        assert_eq!(r.len(), 72);
        assert_eq!(u32_at(&r, 0), 72);
        assert_eq!(u16::from_ne_bytes([r[4], r[5]]), SOCK_DIAG_BY_FAMILY);
        assert_eq!(u16::from_ne_bytes([r[6], r[7]]), libc::NLM_F_REQUEST as u16);
        assert_eq!(u32_at(&r, 8), 7);
        assert_eq!(r[16], libc::AF_INET as u8);
        assert_eq!(r[17], libc::IPPROTO_TCP as u8);
        assert_eq!(u32_at(&r, 20), 0xfff);
        // Ports big-endian: 8888 = 0x22b8.
        assert_eq!(&r[24..26], &[0x22, 0xb8]);
        assert_eq!(&r[28..32], &[127, 0, 0, 1]);
        assert_eq!(&r[44..48], &[127, 0, 0, 1]);
        assert_eq!(u32_at(&r, 64), INET_DIAG_NOCOOKIE);
    }

    #[test]
    fn the_older_dump_request_matches_the_kernel_headers() {
        let r = encode_dump_v1(3, 0xabc);
        assert_eq!(r.len(), 16 + 60);
        assert_eq!(u32_at(&r, 0), 76);
        assert_eq!(u16::from_ne_bytes([r[4], r[5]]), TCPDIAG_GETSOCK);
        let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
        assert_eq!(u16::from_ne_bytes([r[6], r[7]]), flags);
        // idiag_states after the 4 leading bytes and the 48-byte sockid.
        assert_eq!(u32_at(&r, 16 + 4 + SOCKID_LEN), 0xabc);
    }

    #[test]
    fn a_reply_decodes_and_a_short_one_is_an_error() {
        let mut msg = vec![0u8; DIAG_MSG_LEN];
        msg[0] = libc::AF_INET as u8;
        msg[1] = 6; // TIME-WAIT
        msg[2] = 3; // timewait timer
        msg[4..6].copy_from_slice(&8888u16.to_be_bytes());
        msg[6..8].copy_from_slice(&50312u16.to_be_bytes());
        msg[8..12].copy_from_slice(&[127, 0, 0, 1]);
        msg[24..28].copy_from_slice(&[127, 0, 0, 2]);
        let rest = 4 + SOCKID_LEN;
        msg[rest..rest + 4].copy_from_slice(&59_000u32.to_ne_bytes());
        msg[rest + 4..rest + 8].copy_from_slice(&2u32.to_ne_bytes());
        msg[rest + 8..rest + 12].copy_from_slice(&128u32.to_ne_bytes());
        msg[rest + 16..rest + 20].copy_from_slice(&4242u32.to_ne_bytes());
        let mut datagram = Vec::new();
        datagram.extend_from_slice(&((NLMSG_HDR_LEN + msg.len()) as u32).to_ne_bytes());
        datagram.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        datagram.extend_from_slice(&[0, 0]);
        datagram.extend_from_slice(&9u32.to_ne_bytes());
        datagram.extend_from_slice(&0u32.to_ne_bytes());
        datagram.extend_from_slice(&msg);
        let mut out = Vec::new();
        assert!(matches!(
            decode_replies(&datagram, 9, &mut out),
            Ok(Reply::More)
        ));
        let m = &out[0];
        assert_eq!(m.local, "127.0.0.1:8888".parse().unwrap());
        assert_eq!(m.peer, "127.0.0.2:50312".parse().unwrap());
        assert_eq!(m.timer, Some((Timer::Timewait, 59_000)));
        assert_eq!((m.rqueue, m.wqueue, m.inode), (2, 128, 4242));
        // A reply to another request is skipped.
        let mut other = Vec::new();
        decode_replies(&datagram, 10, &mut other).unwrap();
        assert!(other.is_empty());
        // A truncated message is refused, never read past its end.
        datagram.truncate(datagram.len() - 10);
        assert!(decode_replies(&datagram, 9, &mut out).is_err());
    }

    #[test]
    fn mapped_addresses_are_the_same_endpoint() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert!(same_endpoint(v4, mapped));
        assert!(!same_endpoint(v4, "127.0.0.1:81".parse().unwrap()));
    }
}
