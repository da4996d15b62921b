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
/// kernel's struct. Costs ~0.6 µs.
#[cfg(target_os = "linux")]
pub fn tcp_state_byte(fd: BorrowedFd<'_>) -> io::Result<u8> {
    let mut state: u8 = 0;
    let mut len = std::mem::size_of::<u8>() as libc::socklen_t;
    // SAFETY: `state` is a valid, writable buffer of `len` bytes for the duration of the call,
    // `len` is a valid in/out length, and `fd` is borrowed, so it is open during the call.
    let rc = unsafe {
        libc::getsockopt(fd.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_INFO, (&mut state as *mut u8).cast(), &mut len)
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(state)
}

/// Elsewhere TCP_INFO has another layout (or does not exist): the lab says so.
#[cfg(not(target_os = "linux"))]
pub fn tcp_state_byte(fd: BorrowedFd<'_>) -> io::Result<u8> {
    let _ = fd.as_raw_fd();
    Err(io::Error::new(io::ErrorKind::Unsupported, "TCP_INFO's tcpi_state is read on Linux only"))
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

// ---- Tracing another program (`lab trace`) ----------------------------------------------

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
            libc::PTRACE_SYSCALL_INFO_ENTRY => SyscallStop::Entry { nr: info.u.entry.nr, args: info.u.entry.args },
            libc::PTRACE_SYSCALL_INFO_SECCOMP => {
                SyscallStop::Entry { nr: info.u.seccomp.nr, args: info.u.seccomp.args }
            }
            libc::PTRACE_SYSCALL_INFO_EXIT => {
                SyscallStop::Exit { ret: info.u.exit.sval, is_error: info.u.exit.is_error != 0 }
            }
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
/// which stops the program only at the calls it lists.
///
/// Why unsafe and raw: `fork()` in a process with threads leaves the child with only async-
/// signal-safe calls allowed. Everything the child needs (the path, argv's pointers, the
/// compiled filter) is made before the fork; the child makes plain system calls and nothing
/// else. (std's `Command` cannot be used: its `spawn()` waits for the `exec()`, and this child
/// stops before it.)
pub fn spawn_traced(
    program: &std::ffi::CStr,
    argv: &[std::ffi::CString],
    filter: &seccompiler::BpfProgram,
) -> io::Result<nix::unistd::Pid> {
    use nix::sys::signal::{raise, sigprocmask, SigSet, SigmaskHow, Signal};
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: the child below makes only async-signal-safe system calls until execv or _exit.
    match unsafe { nix::unistd::fork() }.map_err(io::Error::from)? {
        nix::unistd::ForkResult::Parent { child } => Ok(child),
        nix::unistd::ForkResult::Child => {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
            let ready = nix::sys::ptrace::traceme().is_ok()
                && raise(Signal::SIGSTOP).is_ok()
                && seccompiler::apply_filter(filter).is_ok();
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

/// The exit code of a child that could not become the program (as a shell's 127).
pub const EXIT_CANNOT_EXEC: i32 = 127;

// ---- Capturing the wire (lab's own network) ----------------------------------------------

/// How many packets a capture socket's queue dropped since the last call (the kernel counts,
/// and resets on each read). Corresponds to `getsockopt(fd, SOL_PACKET, PACKET_STATISTICS)`.
///
/// Why raw libc: nix has no PACKET_STATISTICS option. A capture that falls behind must say
/// how much it missed, and only the kernel knows.
#[cfg(target_os = "linux")]
pub fn packet_drops(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut stats = libc::tpacket_stats { tp_packets: 0, tp_drops: 0 };
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
