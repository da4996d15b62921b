//! The few calls that need `unsafe` or raw libc, each with its reason. Everything else in the
//! lab goes through socket2 and nix, which are safe.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The first byte of `struct tcp_info`: `tcpi_state`, the socket's TCP state as the kernel holds
/// it right now. Corresponds to `getsockopt(fd, IPPROTO_TCP, TCP_INFO, ...)`.
///
/// Why raw libc: nix has no TCP_INFO option, and socket2 does not expose it. Why only one byte:
/// the kernel copies `min(len, sizeof(tcp_info))` bytes, so asking for one is valid on every
/// kernel, whereas asking for the whole `libc::tcp_info` can disagree in size with an older
/// kernel's struct. Costs ~0.6 µs, about 1 µs on a socket out of the cache (a busy server's: see
/// `trace::doorbell`, which spares most of them).
#[cfg(target_os = "linux")]
pub fn tcp_state_byte(fd: BorrowedFd<'_>) -> io::Result<u8> {
    let mut state: u8 = 0;
    let mut len = std::mem::size_of::<u8>() as libc::socklen_t;
    // SAFETY: `state` is a valid, writable buffer of `len` bytes for the duration of the call,
    // `len` is a valid in/out length, and `fd` is borrowed, so it is open during the call.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut state as *mut u8).cast(),
            &mut len,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(state)
}

/// How many bytes the program has not read yet, not counting the peer's FIN. Corresponds to
/// `ioctl(fd, FIONREAD)` (SIOCINQ); a listener has none (EINVAL).
///
/// Why: the table's Recv-Q counts the peer's FIN as one byte until `recv()` returns 0, but
/// `close()` sends RST only for real data left unread (Linux's `tcp_close()` skips the FIN).
/// Why unsafe: nix has no FIONREAD wrapper; the ioctl writes one `int`.
pub fn unread_bytes(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int to the valid, writable `n`; `fd` is borrowed, so open.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(u32::try_from(n).unwrap_or(0))
}

/// Elsewhere TCP_INFO has another layout (or does not exist): the lab says so.
#[cfg(not(target_os = "linux"))]
pub fn tcp_state_byte(fd: BorrowedFd<'_>) -> io::Result<u8> {
    let _ = fd.as_raw_fd();
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "TCP_INFO's tcpi_state is read on Linux only",
    ))
}

/// Lets a write to a closed pipe end the process quietly, as `ls | head` does: SIGPIPE back to
/// its default action. Corresponds to `signal(SIGPIPE, SIG_DFL)`.
///
/// Why: Rust's runtime ignores SIGPIPE, so `lab lesson list | head` would get EPIPE on its next
/// line, and `println!` turns that into a panic. Sockets are unaffected: every `send()` of the
/// lab carries MSG_NOSIGNAL and fails with EPIPE instead.
pub fn default_sigpipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: SIG_DFL installs no handler of ours, so nothing runs in signal context; this is
    // called first thing in main, before any thread exists.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// How far the trace file's writer thread stands back from the program it traces: a nice
/// value of 10 weighs about a tenth of the program's threads.
pub const WRITER_NICE: i32 = 10;

/// Makes the calling thread yield to the program's own threads ([`WRITER_NICE`]): when both
/// want a core, the traced program (and its peers) run first, and the writer catches up when
/// a core is free — or when its queue is full, and the program waits for it (never an event
/// dropped). Corresponds to `setpriority(PRIO_PROCESS, gettid(), WRITER_NICE)`, which on Linux
/// sets one thread's nice value, not the whole process's.
///
/// Why: writing the trace is needed soon, not now, and a writer woken at equal weight preempts
/// a busy server mid-burst. Why raw libc: nix has no setpriority. Raising one's own nice value
/// needs no privilege; a failure (already nicer) leaves the thread as it was.
pub fn stand_back() {
    // SAFETY: gettid() and setpriority() take and return plain integers; no memory is shared.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, WRITER_NICE);
    }
}

// ---- Tracing another program (`lab trace`) ----------------------------------------------

/// `sig` made to interrupt: a handler that does nothing, installed without `SA_RESTART`, so
/// that a blocking call of the thread it is sent to (`pthread_kill`) returns EINTR instead of
/// going on waiting. Corresponds to `sigaction(sig, {handler, flags 0})`.
///
/// Why: the tracer sleeps in `waitpid()` (see `ptrace::waker`), and only a signal ends that
/// sleep early. Why unsafe: installing a handler is; this one touches nothing, so it is
/// async-signal-safe.
pub fn interrupting(sig: nix::sys::signal::Signal) -> nix::Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
    extern "C" fn nothing(_: libc::c_int) {}
    let action = SigAction::new(
        SigHandler::Handler(nothing),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler runs no code at all, so it cannot break what it interrupts.
    unsafe { sigaction(sig, &action) }.map(|_| ())
}

/// A pidfd: a file descriptor that stands for a process. Corresponds to `pidfd_open(pid, 0)`.
///
/// Why raw libc: neither nix nor std wraps pidfd_open (Linux ≥ 5.3). The tracer needs it for
/// [`pidfd_getfd`].
pub fn pidfd_open(pid: i32) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open takes two integers and returns a new fd or -1; nothing is borrowed.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the kernel returned a new fd that nothing else owns.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(rc as i32) })
}

/// A copy of another process's fd `fd`, in this process: the same open socket, on which
/// `getsockopt(TCP_INFO)`, `getsockname()` and `getpeername()` work as on our own.
/// Corresponds to `pidfd_getfd(pidfd, fd, 0)`; a tracer is allowed to (PTRACE_MODE_ATTACH).
///
/// Why raw libc: no crate wraps pidfd_getfd (Linux ≥ 5.6).
pub fn pidfd_getfd(pidfd: BorrowedFd<'_>, fd: i32) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: three integers in, a new fd or -1 out; `pidfd` is borrowed, so open meanwhile.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the kernel returned a new fd that nothing else owns.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(rc as i32) })
}

/// Whether processes `a` and `b` share one address space. Corresponds to
/// `kcmp(a, b, KCMP_VM, 0, 0)`, which answers 0 when they do.
///
/// Why: a child made by `vfork()` or `posix_spawn()` (how Rust's `Command::spawn` and glibc's
/// `system()` start a program) shares its parent's memory from `clone()` until its `exec()`,
/// and holds a copy of every fd of its parent meanwhile, close-on-exec ones too: such a holder
/// lets go by itself at once, where a `fork()`ed child (its own memory) may keep a socket for
/// as long as it likes. Why raw libc: nothing wraps kcmp (Linux ≥ 3.5, CONFIG_KCMP); when it
/// is refused, the processes are taken as not sharing (the holder is then said, not waited for).
pub fn shares_memory(a: u32, b: u32) -> bool {
    const KCMP_VM: libc::c_long = 1;
    // SAFETY: five integers in, an integer out; nothing is borrowed or written.
    let rc = unsafe { libc::syscall(libc::SYS_kcmp, a, b, KCMP_VM, 0, 0) };
    rc == 0
}

/// Where a stopped tracee is in a system call, from `PTRACE_GET_SYSCALL_INFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallStop {
    /// About to make call `nr` with these arguments (a syscall-entry stop, or a seccomp stop:
    /// the filter asked the tracer first).
    Entry { nr: u64, args: [u64; 6] },
    /// The call returned `ret` (a negative errno when `is_error`).
    Exit { ret: i64, is_error: bool },
    /// Not in a system call (a signal or an event stop).
    None,
}

/// The audit architecture of the call (`AUDIT_ARCH_X86_64`, or `AUDIT_ARCH_I386` for a
/// 32-bit call) and where the tracee is in it. Corresponds to
/// `ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info)`.
///
/// Why unsafe: nix returns the kernel's struct, whose `u` is a C union; which member is valid
/// is told by `op`, and reading it is `unsafe` in Rust. Here `op` is matched first.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn syscall_info(pid: nix::unistd::Pid) -> nix::Result<(u32, SyscallStop)> {
    let info = nix::sys::ptrace::syscall_info(pid)?;
    // SAFETY: each union member is read only under the `op` that says the kernel filled it.
    let stop = unsafe {
        match info.op {
            libc::PTRACE_SYSCALL_INFO_ENTRY => SyscallStop::Entry {
                nr: info.u.entry.nr,
                args: info.u.entry.args,
            },
            libc::PTRACE_SYSCALL_INFO_SECCOMP => SyscallStop::Entry {
                nr: info.u.seccomp.nr,
                args: info.u.seccomp.args,
            },
            libc::PTRACE_SYSCALL_INFO_EXIT => SyscallStop::Exit {
                ret: info.u.exit.sval,
                is_error: info.u.exit.is_error != 0,
            },
            _ => SyscallStop::None,
        }
    };
    Ok((info.arch, stop))
}

/// Lets a tracee that is in a group-stop (SIGSTOP, Ctrl+Z) stay stopped while the tracer
/// waits for its next event — job control as without a tracer. Corresponds to
/// `ptrace(PTRACE_LISTEN, pid, 0, 0)`; valid only for a seized tracee.
///
/// Why raw libc: nix has no wrapper for PTRACE_LISTEN.
pub fn ptrace_listen(pid: nix::unistd::Pid) -> nix::Result<()> {
    // SAFETY: PTRACE_LISTEN reads no memory of ours; the null addr and data are ignored.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_LISTEN,
            pid.as_raw(),
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_void>(),
        )
    };
    nix::errno::Errno::result(rc).map(drop)
}

/// Starts `program` as a tracee and returns its pid. In the child, between `fork()` and
/// `execv()`: the signal mask lab blocks is cleared (`sigprocmask`), it asks to be traced
/// (`ptrace(PTRACE_TRACEME)`), stops itself (`raise(SIGSTOP)`) so the tracer can set its
/// options, then installs `filter` (`prctl(PR_SET_NO_NEW_PRIVS)` + `seccomp(SET_MODE_FILTER)`),
/// which stops the program only at the calls it lists. With `netns` (`lab net`), the child
/// first moves into that network namespace (`setns(fd, CLONE_NEWNET)`): the program runs on
/// that host, with its addresses and its socket table.
///
/// Why unsafe and raw: `fork()` in a process with threads leaves the child with only async-
/// signal-safe calls allowed. Everything the child needs (the path, argv's pointers, the
/// compiled filter) is made before the fork; the child makes plain system calls and nothing
/// else. (std's `Command` cannot be used: its `spawn()` waits for the `exec()`, and this child
/// stops before it.)
pub fn spawn_traced(
    program: &std::ffi::CStr,
    argv: &[std::ffi::CString],
    filter: Option<&seccompiler::BpfProgram>,
    netns: Option<BorrowedFd<'_>>,
) -> io::Result<nix::unistd::Pid> {
    use nix::sys::signal::{raise, sigprocmask, SigSet, SigmaskHow, Signal};
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: the child below makes only async-signal-safe system calls until execv or _exit.
    match unsafe { nix::unistd::fork() }.map_err(io::Error::from)? {
        nix::unistd::ForkResult::Parent { child } => Ok(child),
        nix::unistd::ForkResult::Child => {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
            let moved = netns.is_none_or(|ns| {
                nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).is_ok()
            });
            let ready = moved
                && nix::sys::ptrace::traceme().is_ok()
                && raise(Signal::SIGSTOP).is_ok()
                && filter.is_none_or(|f| seccompiler::apply_filter(f).is_ok());
            if ready {
                // SAFETY: `program` and every `ptrs` entry are NUL-terminated strings that live
                // until here; the array ends with a null pointer, as execv requires.
                unsafe { libc::execv(program.as_ptr(), ptrs.as_ptr()) };
            }
            // SAFETY: _exit ends the child without running the parent's atexit handlers.
            unsafe { libc::_exit(EXIT_CANNOT_EXEC) }
        }
    }
}

/// Whether a file carries file capabilities (the `security.capability` extended attribute),
/// which `exec()` grants as a set-user-ID bit grants its owner's rights. One `getxattr(2)`
/// asking only for the value's size: a whole crate (xattr) for one call is not worth it.
pub fn has_file_capabilities(path: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: both strings are NUL-terminated and live across the call; a null buffer of size
    // 0 makes getxattr return the value's size without writing anything.
    let size = unsafe {
        libc::getxattr(
            c.as_ptr(),
            c"security.capability".as_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    size > 0
}

/// The exit code of a child that could not become the program (as a shell's 127).
pub const EXIT_CANNOT_EXEC: i32 = 127;

// ---- lab's network (`lab net`) -----------------------------------------------------------

/// An `ifreq` naming `name` (the struct every interface ioctl takes), the rest zeroed.
fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad interface name {name:?}"),
        ));
    }
    // SAFETY: ifreq is plain C data (a name and a union of integers and sockaddrs); all zero
    // is a valid value of every member.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    Ok(req)
}

/// One interface ioctl on `fd` with `req`. Why raw libc: nix wraps no interface ioctls, and
/// these few (SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFMTU, SIOCGIFFLAGS, SIOCSIFFLAGS, TUNSETIFF)
/// take the same `struct ifreq`.
fn ifreq_ioctl(fd: BorrowedFd<'_>, request: libc::Ioctl, req: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: `req` is a valid, writable ifreq for the duration of the call, which is what each
    // of these requests reads and writes; `fd` is borrowed, so it stays open during the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), request, req as *mut libc::ifreq) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A new TUN device named `name` in the calling thread's network namespace: packets the
/// kernel routes to it are read from the returned fd, and packets written to the fd arrive as
/// if from a wire. Corresponds to `open("/dev/net/tun")` and `ioctl(TUNSETIFF, IFF_TUN |
/// IFF_NO_PI)` (raw IP packets, no extra header).
pub fn tun_create(name: &str) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::AsFd;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")?;
    let mut req = ifreq(name)?;
    req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
    ifreq_ioctl(file.as_fd(), libc::TUNSETIFF, &mut req)?;
    Ok(file.into())
}

/// `sockaddr_in` for `addr` in the `sockaddr` an ifreq holds.
fn sockaddr_v4(addr: std::net::Ipv4Addr) -> libc::sockaddr {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(addr.octets()),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in and sockaddr have the same size (16 bytes) and sockaddr is plain
    // data; this is how C fills an ifreq's address.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
}

/// Gives interface `name` an IPv4 address and prefix, an MTU, and brings it up, in the calling
/// thread's network namespace. Corresponds to `ioctl(SIOCSIFADDR)`, `ioctl(SIOCSIFNETMASK)`,
/// `ioctl(SIOCSIFMTU)`, `ioctl(SIOCGIFFLAGS)` and `ioctl(SIOCSIFFLAGS, IFF_UP)` — what
/// `ip addr add` and `ip link set up` do.
pub fn interface_up(
    name: &str,
    v4: Option<(std::net::Ipv4Addr, u8)>,
    mtu: Option<u32>,
) -> io::Result<()> {
    use std::os::fd::AsFd;
    let control = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    let fd = control.as_fd();
    if let Some((addr, prefix)) = v4 {
        let mut req = ifreq(name)?;
        req.ifr_ifru.ifru_addr = sockaddr_v4(addr);
        ifreq_ioctl(fd, libc::SIOCSIFADDR, &mut req)?;
        let mask = u32::MAX
            .checked_shl(32 - u32::from(prefix.min(32)))
            .unwrap_or(0);
        req.ifr_ifru.ifru_netmask = sockaddr_v4(mask.into());
        ifreq_ioctl(fd, libc::SIOCSIFNETMASK, &mut req)?;
    }
    if let Some(mtu) = mtu {
        let mut req = ifreq(name)?;
        req.ifr_ifru.ifru_mtu = mtu as libc::c_int;
        ifreq_ioctl(fd, libc::SIOCSIFMTU, &mut req)?;
    }
    let mut req = ifreq(name)?;
    ifreq_ioctl(fd, libc::SIOCGIFFLAGS, &mut req)?;
    // SAFETY: SIOCGIFFLAGS just filled the union's flags member.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    ifreq_ioctl(fd, libc::SIOCSIFFLAGS, &mut req)
}

/// Gives interface `name` an IPv6 address. Corresponds to `ioctl(SIOCSIFADDR)` on an IPv6
/// socket with a `struct in6_ifreq`, as `ip -6 addr add` does.
pub fn interface_add_v6(name: &str, addr: std::net::Ipv6Addr, prefix: u32) -> io::Result<()> {
    use std::os::fd::AsFd;
    let index = nix::net::if_::if_nametoindex(name).map_err(io::Error::from)?;
    let control = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None)?;
    let mut req = libc::in6_ifreq {
        ifr6_addr: libc::in6_addr {
            s6_addr: addr.octets(),
        },
        ifr6_prefixlen: prefix,
        ifr6_ifindex: index as libc::c_int,
    };
    // SAFETY: `req` is a valid in6_ifreq for the duration of the call, what SIOCSIFADDR reads
    // on an AF_INET6 socket; the socket is open during the call.
    let rc = unsafe {
        libc::ioctl(
            control.as_fd().as_raw_fd(),
            libc::SIOCSIFADDR,
            &mut req as *mut libc::in6_ifreq,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The inode of the network namespace socket `fd` belongs to (each namespace has its own).
/// Corresponds to `ioctl(fd, SIOCGSKNS)`, which returns a new fd for that namespace, then
/// `fstat` of it.
///
/// Why raw libc: nix wraps no SIOCGSKNS. `lab net` asks it to know which host's table to
/// compare a socket with: a socket belongs to the namespace of the process that made it.
pub fn socket_netns_inode(fd: BorrowedFd<'_>) -> io::Result<u64> {
    use std::os::fd::FromRawFd;
    // SAFETY: SIOCGSKNS takes no argument and returns a new fd or -1; `fd` is borrowed, so
    // it stays open during the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGSKNS as libc::Ioctl) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: rc is a new fd the kernel just gave us and nothing else owns.
    let ns = unsafe { std::os::fd::OwnedFd::from_raw_fd(rc) };
    Ok(nix::sys::stat::fstat(&ns).map_err(io::Error::from)?.st_ino)
}

// ---- Capturing the wire (lab's own network) ----------------------------------------------

/// How many packets a capture socket's queue dropped since the last call (the kernel counts,
/// and resets on each read). Corresponds to `getsockopt(fd, SOL_PACKET, PACKET_STATISTICS)`.
///
/// Why raw libc: nix has no PACKET_STATISTICS option. A capture that falls behind must say
/// how much it missed, and only the kernel knows.
#[cfg(target_os = "linux")]
pub fn packet_drops(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut stats = libc::tpacket_stats {
        tp_packets: 0,
        tp_drops: 0,
    };
    let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
    // SAFETY: `stats` is a valid, writable tpacket_stats of `len` bytes for the call; `fd` is
    // borrowed, so open during it.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&mut stats as *mut libc::tpacket_stats).cast(),
            &mut len,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(stats.tp_drops)
}

/// Tells a packet capture not to queue the packets this host sends (on `lo`, the leaving copy
/// of every packet). Corresponds to `setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)`
/// (Linux ≥ 4.20).
///
/// Why raw libc: nix has no PACKET_IGNORE_OUTGOING option. Without it every packet on `lo`
/// is queued twice, to be skipped once read: twice the kernel's work and the queue's room.
#[cfg(target_os = "linux")]
pub fn packet_ignore_outgoing(fd: BorrowedFd<'_>) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a valid c_int for the call, its size passed with it; `fd` is borrowed,
    // so open during it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_IGNORE_OUTGOING,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `fd` moved to the lowest free number at or above `min` (close-on-exec), or `fd` as it was
/// if that fails. Corresponds to `fcntl(fd, F_DUPFD_CLOEXEC, min)`, then `close(fd)`.
///
/// Why: lab's own sockets (the capture) stay out of the way of the numbers the program's
/// sockets get, which a lesson shows; why unsafe: the new fd comes back as a bare integer.
pub fn fd_above(fd: std::os::fd::OwnedFd, min: i32) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    match nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(min)) {
        // SAFETY: on success the kernel returned a new fd that nothing else owns; the old one
        // is closed when `fd` drops.
        Ok(high) => unsafe { std::os::fd::OwnedFd::from_raw_fd(high) },
        Err(_) => fd,
    }
}

/// How many bytes wait in a socket's receive queue, ready for the next read. Corresponds to
/// `ioctl(fd, FIONREAD)`.
///
/// Why raw libc: nix wraps no FIONREAD. `--short-reads` asks it to shorten a read to a part of
/// what is really there (shortening a 1024-byte read of a 33-byte message to 345 would change
/// nothing).
pub fn bytes_to_read(fd: BorrowedFd<'_>) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which is valid and writable for the
    // call; `fd` is borrowed, so it stays open during the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n as *mut libc::c_int) };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(n.max(0) as usize)
}

/// Brings `lo` up in the calling thread's network namespace (a new one's starts down), through
/// a Unix socket: any socket takes the interface ioctls, and this one is not an AF_INET socket
/// a trace or strace would count as the program's. Corresponds to `ioctl(SIOCGIFFLAGS)` and
/// `ioctl(SIOCSIFFLAGS, IFF_UP)`.
pub fn loopback_up() -> io::Result<()> {
    use std::os::fd::AsFd;
    let control = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::DGRAM, None)?;
    let mut req = ifreq("lo")?;
    ifreq_ioctl(control.as_fd(), libc::SIOCGIFFLAGS, &mut req)?;
    // SAFETY: SIOCGIFFLAGS just filled the union's flags member.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    ifreq_ioctl(control.as_fd(), libc::SIOCSIFFLAGS, &mut req)
}

/// `setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, n)`: how many times `connect()` sends its SYN again.
/// Why unsafe: neither nix nor socket2 names TCP_SYNCNT; the kernel reads one `int`.
pub fn set_tcp_syncnt(fd: impl std::os::fd::AsFd, n: i32) -> io::Result<()> {
    let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `n` lives across the call and `size` is its size.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_fd().as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_SYNCNT,
            (&n as *const i32).cast(),
            size,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
