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
