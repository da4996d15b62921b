//! Reading a traced program's memory: the addresses, buffers and fd lists its calls point to.
//!
//! A system call's arguments are numbers; for `connect(3, addr, len)` the address is a pointer
//! into the program's memory. The tracer copies what it points to with `process_vm_readv(2)`
//! (one system call per read, no ptrace word-by-word peeking), and decodes it as the C structs
//! the call takes. Every read is bounded by the length the call itself gives, and by a cap of
//! our own, so a hostile or buggy program cannot make the tracer read without end.

use nix::poll::PollFlags;
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::io::IoSliceMut;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// The most bytes one read copies: a buffer is shown by its first 32 bytes anyway.
const READ_MAX: usize = 4096;

/// The most entries of a `poll()` or `epoll_wait()` list the tracer reads.
pub const LIST_MAX: usize = 1024;

/// The most buffers of an iovec list, or messages of an mmsghdr list, the tracer reads (the
/// kernel's own limit on an iovec list, `UIO_MAXIOV`, is 1024).
pub const IOV_MAX: usize = 64;

/// The total length of a list of buffers.
pub fn total_len(iovs: &[(u64, usize)]) -> usize {
    iovs.iter()
        .fold(0, |sum, (_, len)| sum.saturating_add(*len))
}

/// The memory of one traced thread's process.
#[derive(Clone, Copy)]
pub struct Memory {
    pub pid: Pid,
}

impl Memory {
    /// Up to `len` bytes (at most [`READ_MAX`]) at `addr`; empty if unreadable.
    pub fn bytes(&self, addr: u64, len: usize) -> Vec<u8> {
        let len = len.min(READ_MAX);
        if addr == 0 || len == 0 {
            return Vec::new();
        }
        let mut buf = vec![0u8; len];
        let remote = [RemoteIoVec {
            base: addr as usize,
            len,
        }];
        match process_vm_readv(self.pid, &mut [IoSliceMut::new(&mut buf)], &remote) {
            Ok(n) => buf.truncate(n),
            Err(_) => buf.clear(),
        }
        buf
    }

    /// A native-endian integer of `N` bytes at `addr`.
    fn word<const N: usize>(&self, addr: u64) -> Option<[u8; N]> {
        self.bytes(addr, N).try_into().ok()
    }

    /// A `socklen_t` (u32) at `addr`: the in/out length of `accept()`'s and `getsockname()`'s
    /// address.
    pub fn u32_at(&self, addr: u64) -> Option<u32> {
        self.word::<4>(addr).map(u32::from_ne_bytes)
    }

    /// An `int` at `addr` (an option's value, `socketpair()`'s fds).
    pub fn i32_at(&self, addr: u64) -> Option<i32> {
        self.word::<4>(addr).map(i32::from_ne_bytes)
    }

    /// A `struct sockaddr` of `len` bytes at `addr`, if it is an IPv4 or IPv6 one.
    pub fn sockaddr(&self, addr: u64, len: u64) -> Option<SocketAddr> {
        parse_sockaddr(&self.bytes(addr, usize::try_from(len).ok()?.min(128)))
    }

    /// The address an in/out-length call wrote back: `addr` points to the struct,
    /// `len_ptr` to its length.
    pub fn sockaddr_out(&self, addr: u64, len_ptr: u64) -> Option<SocketAddr> {
        let len = self.u32_at(len_ptr)?;
        self.sockaddr(addr, u64::from(len))
    }

    /// A `struct pollfd[n]` at `addr`: each fd with the events asked for and those returned.
    pub fn pollfds(&self, addr: u64, n: u64) -> Vec<(RawFd, PollFlags, PollFlags)> {
        let n = usize::try_from(n).unwrap_or(0).min(LIST_MAX);
        // struct pollfd { int fd; short events; short revents; }: 8 bytes.
        let raw = self.bytes(addr, n * 8);
        raw.chunks_exact(8)
            .map(|c| {
                let fd = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                let events = PollFlags::from_bits_truncate(i16::from_ne_bytes([c[4], c[5]]));
                let revents = PollFlags::from_bits_truncate(i16::from_ne_bytes([c[6], c[7]]));
                (fd, events, revents)
            })
            .collect()
    }

    /// The fds set in an `fd_set` of `nfds` bits at `addr` (`select()`'s sets).
    pub fn fd_set(&self, addr: u64, nfds: u64) -> Vec<RawFd> {
        let nfds = usize::try_from(nfds).unwrap_or(0).min(LIST_MAX);
        let raw = self.bytes(addr, nfds.div_ceil(8));
        (0..nfds)
            .filter(|&i| raw.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
            .map(|i| i as RawFd)
            .collect()
    }

    /// `struct epoll_event[n]` at `addr`, as returned by `epoll_wait()`: the events and the
    /// 64-bit data word each carries (by convention, most programs store the fd there).
    pub fn epoll_events(&self, addr: u64, n: u64) -> Vec<(u32, u64)> {
        let n = usize::try_from(n).unwrap_or(0).min(LIST_MAX);
        // On x86_64 struct epoll_event is packed: u32 events, u64 data — 12 bytes.
        let raw = self.bytes(addr, n * 12);
        raw.chunks_exact(12)
            .map(|c| {
                let events = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                let data = u64::from_ne_bytes([c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]]);
                (events, data)
            })
            .collect()
    }

    /// The first buffer of a `struct msghdr` at `addr` (`sendmsg()`, `recvmsg()`), as
    /// (address, length), and the total length of all its buffers.
    pub fn msghdr_iov(&self, addr: u64) -> Option<(u64, usize, usize)> {
        let iovs = self.msghdr_iovecs(addr)?;
        let (base, first) = *iovs.first()?;
        Some((base, first, total_len(&iovs)))
    }

    /// The buffers of a `struct msghdr` at `addr`.
    pub fn msghdr_iovecs(&self, addr: u64) -> Option<Vec<(u64, usize)>> {
        // struct msghdr on x86_64: name(8) namelen(4)+pad(4) iov(8) iovlen(8) control(8) ...
        let iov = u64::from_ne_bytes(self.word::<8>(addr + 16)?);
        let iovlen = u64::from_ne_bytes(self.word::<8>(addr + 24)?);
        Some(self.iovecs(iov, iovlen))
    }

    /// A `struct iovec[n]` at `addr` (`writev()`, `readv()`, a msghdr's buffers): each buffer's
    /// address and length; at most [`IOV_MAX`] of them.
    pub fn iovecs(&self, addr: u64, n: u64) -> Vec<(u64, usize)> {
        let n = usize::try_from(n).unwrap_or(0).min(IOV_MAX);
        // struct iovec { void *base; size_t len; }: 16 bytes.
        let raw = self.bytes(addr, n * 16);
        raw.chunks_exact(16)
            .map(|c| {
                let base = u64::from_ne_bytes(c[..8].try_into().unwrap_or_default());
                let len = u64::from_ne_bytes(c[8..].try_into().unwrap_or_default());
                (base, usize::try_from(len).unwrap_or(usize::MAX))
            })
            .collect()
    }

    /// The first `max` bytes the buffers hold, in order, as the kernel reads (or fills) them.
    pub fn gather(&self, iovs: &[(u64, usize)], max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (base, len) in iovs {
            if out.len() >= max {
                break;
            }
            let part = self.bytes(*base, (*len).min(max - out.len()));
            let short = part.len() < (*len).min(max - out.len());
            out.extend(part);
            if short {
                break;
            }
        }
        out
    }

    /// A `struct mmsghdr[n]` at `addr` (`sendmmsg()`, `recvmmsg()`): the address of each
    /// message's `struct msghdr`, and its `msg_len` (the bytes sent or received, once the call
    /// returned); at most [`IOV_MAX`] messages.
    pub fn mmsghdrs(&self, addr: u64, n: u64) -> Vec<(u64, usize)> {
        let n = usize::try_from(n).unwrap_or(0).min(IOV_MAX);
        // struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }: 56 + 4, padded to 64.
        let raw = self.bytes(addr, n * 64);
        raw.chunks_exact(64)
            .enumerate()
            .map(|(i, c)| {
                (
                    addr + 64 * i as u64,
                    u32::from_ne_bytes(c[56..60].try_into().unwrap_or_default()) as usize,
                )
            })
            .collect()
    }

    /// The data of a `struct msghdr`'s buffers as one, up to `len` bytes (what a `recvmsg()`
    /// received, or `sendmsg()` sent).
    pub fn msghdr_data(&self, addr: u64, len: usize) -> Vec<u8> {
        self.msghdr_iovecs(addr)
            .map_or(Vec::new(), |iovs| self.gather(&iovs, len))
    }
}

/// A `struct sockaddr_in` or `sockaddr_in6`, as the kernel lays them out (family in native
/// order, port and IPv4 address in network order).
pub fn parse_sockaddr(raw: &[u8]) -> Option<SocketAddr> {
    let family = i32::from(u16::from_ne_bytes(raw.get(..2)?.try_into().ok()?));
    let port = u16::from_be_bytes(raw.get(2..4)?.try_into().ok()?);
    match family {
        libc::AF_INET => {
            let ip: [u8; 4] = raw.get(4..8)?.try_into().ok()?;
            Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port)))
        }
        libc::AF_INET6 => {
            let flow = u32::from_be_bytes(raw.get(4..8)?.try_into().ok()?);
            let ip: [u8; 16] = raw.get(8..24)?.try_into().ok()?;
            let scope = u32::from_ne_bytes(raw.get(24..28)?.try_into().ok()?);
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port,
                flow,
                scope,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_decode_as_the_kernel_lays_them_out() {
        let mut v4 = vec![0u8; 16];
        v4[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        v4[2..4].copy_from_slice(&8888u16.to_be_bytes());
        v4[4..8].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(parse_sockaddr(&v4), Some("127.0.0.1:8888".parse().unwrap()));
        let mut v6 = vec![0u8; 28];
        v6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        v6[2..4].copy_from_slice(&80u16.to_be_bytes());
        v6[23] = 1;
        assert_eq!(parse_sockaddr(&v6), Some("[::1]:80".parse().unwrap()));
        assert_eq!(parse_sockaddr(&v4[..3]), None, "cut short");
        assert_eq!(
            parse_sockaddr(&[1, 0, 0, 0]),
            None,
            "AF_UNIX is not an IP address"
        );
    }

    #[test]
    fn our_own_memory_reads_back() {
        let me = Memory {
            pid: nix::unistd::getpid(),
        };
        let data = *b"hola\n";
        assert_eq!(me.bytes(data.as_ptr() as u64, 5), b"hola\n");
        assert_eq!(me.bytes(0, 5), b"", "a null pointer reads nothing");
        let set: [u8; 2] = [0b0000_1001, 0b0000_0001];
        assert_eq!(me.fd_set(set.as_ptr() as u64, 9), vec![0, 3, 8]);
        // Two buffers, gathered in order and cut at the length asked for.
        let (a, b) = (*b"hel", *b"lo\n");
        let iov: [u64; 4] = [a.as_ptr() as u64, 3, b.as_ptr() as u64, 3];
        let iovs = me.iovecs(iov.as_ptr() as u64, 2);
        assert_eq!(iovs.len(), 2);
        assert_eq!(me.gather(&iovs, 64), b"hello\n");
        assert_eq!(me.gather(&iovs, 4), b"hell");
        assert_eq!(total_len(&iovs), 6);
    }
}
