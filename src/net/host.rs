//! A host: a network namespace of lab's own, whose only way out is a TUN device lab holds.
//!
//! A network namespace is a whole network stack — its own interfaces, addresses, routes and
//! socket table (the one `ss` reads there). Host `a` gets 10.0.0.1 and fd00::1 on its device
//! `lab0`, host `b` 10.0.0.2 and fd00::2, and so on; every packet one host sends to another
//! leaves through `lab0`, where lab reads it, applies the link's rules, and writes it into the
//! other host's `lab0`. Nothing is routed anywhere else: these addresses never leave lab.
//!
//! The namespace lives as long as lab holds its fd (or a program runs in it): when lab exits,
//! for any reason, the kernel removes it with its devices. Nothing is left on the machine.

use crate::sys;
use nix::sched::{setns, unshare, CloneFlags};
use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// The name of each host's device toward the link.
pub const DEVICE: &str = "lab0";

/// The default hosts, when `--on` names none other.
pub const DEFAULT_NAMES: [&str; 2] = ["a", "b"];

/// The smallest MTU IPv6 works on (RFC 8200, 5).
pub const IPV6_MIN_MTU: u32 = 1280;

/// The most hosts one network has (their addresses are 10.0.0.1 to 10.0.0.N).
pub const MAX_HOSTS: usize = 16;

/// The default name of host number `index`: a, b, c, …
pub fn name_of(index: usize) -> String {
    DEFAULT_NAMES
        .get(index)
        .map_or_else(|| format!("host{}", index + 1), |n| n.to_string())
}

/// Host number `index`'s IPv4 address: 10.0.0.(index+1).
pub fn v4_of(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, index as u8 + 1)
}

/// Host number `index`'s IPv6 address: fd00::(index+1), a unique local address.
pub fn v6_of(index: usize) -> Ipv6Addr {
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, index as u16 + 1)
}

/// One host of lab's network.
pub struct Host {
    pub name: String,
    pub v4: Ipv4Addr,
    pub v6: Ipv6Addr,
    /// `/proc/thread-self/ns/net` of the thread that made it: what `setns` takes to enter it.
    netns: OwnedFd,
    /// lab's end of the host's `lab0`.
    pub tun: OwnedFd,
}

impl Host {
    /// Makes host `index`, named `name`, with its device's MTU. Runs on a thread of its own:
    /// `unshare(CLONE_NEWNET)` moves only the calling thread into the new namespace, and that
    /// thread ends when the host is made — lab's other threads stay where they were.
    pub fn create(index: usize, name: &str, mtu: u32) -> io::Result<Host> {
        let name = name.to_string();
        std::thread::scope(|s| s.spawn(move || Host::create_here(index, name, mtu)).join())
            .unwrap_or_else(|_| Err(io::Error::other("the thread making a host panicked")))
    }

    /// Corresponds to `unshare(CLONE_NEWNET)`, then `ip link set lo up`, a TUN device, and
    /// its addresses (see [`sys::interface_up`]).
    fn create_here(index: usize, name: String, mtu: u32) -> io::Result<Host> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
        let netns: OwnedFd = File::open("/proc/thread-self/ns/net")?.into();
        sys::interface_up("lo", None, None)?;
        let tun = sys::tun_create(DEVICE)?;
        // Duplicate address detection would keep fd00::N unusable for a second or two; on a
        // link lab alone makes, no other host can hold the address.
        std::fs::write(format!("/proc/sys/net/ipv6/conf/{DEVICE}/accept_dad"), "0")?;
        // No router to look for: the link carries only what the hosts' programs send.
        std::fs::write(
            format!("/proc/sys/net/ipv6/conf/{DEVICE}/router_solicitations"),
            "0",
        )?;
        let (v4, v6) = (v4_of(index), v6_of(index));
        sys::interface_up(DEVICE, Some((v4, 24)), Some(mtu))?;
        // IPv6 needs links of 1280 bytes at least (RFC 8200): a smaller MTU is IPv4 only.
        if mtu >= IPV6_MIN_MTU {
            sys::interface_add_v6(DEVICE, v6, 64)?;
        }
        nix::fcntl::fcntl(
            &tun,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )?;
        Ok(Host {
            name,
            v4,
            v6,
            netns,
            tun,
        })
    }

    /// Moves the calling thread into this host's network: its sockets, its table. Corresponds
    /// to `setns(fd, CLONE_NEWNET)`.
    pub fn enter(&self) -> io::Result<()> {
        setns(self.netns.as_fd(), CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
    }

    /// The namespace's fd, for a child to `setns` into before it runs a program.
    pub fn netns(&self) -> BorrowedFd<'_> {
        self.netns.as_fd()
    }

    /// Whether `addr` is one of this host's.
    pub fn owns(&self, addr: std::net::IpAddr) -> bool {
        addr == self.v4 || addr == self.v6
    }
}

/// Which host an IP packet is for, by its destination address.
pub fn destination(hosts: &[Host], packet: &[u8]) -> Option<usize> {
    let dst: std::net::IpAddr = match packet.first()? >> 4 {
        4 if packet.len() >= 20 => {
            Ipv4Addr::from(<[u8; 4]>::try_from(&packet[16..20]).ok()?).into()
        }
        6 if packet.len() >= 40 => {
            Ipv6Addr::from(<[u8; 16]>::try_from(&packet[24..40]).ok()?).into()
        }
        _ => return None,
    };
    hosts.iter().position(|h| h.owns(dst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_numbered_from_one() {
        assert_eq!(v4_of(0), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(v6_of(1).to_string(), "fd00::2");
    }
}
