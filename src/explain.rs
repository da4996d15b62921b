//! Errors in words: what an errno means for the person who just ran a command, and what to do.

use crate::trace::names;
use nix::errno::Errno;
use std::io;

/// Turns an error from setting up a socket on `target` into a sentence a student can act on.
pub fn startup(e: io::Error, target: &str) -> io::Error {
    let Some(errno) = e.raw_os_error().map(Errno::from_raw) else { return e };
    let (name, msg) = (names::errno_name(errno), errno.desc());
    let why = match errno {
        Errno::EADDRINUSE => format!(
            "{target} is already in use: another program is listening there (see `lab sockets --port PORT -p`), \
             or a connection in TIME-WAIT holds the port and the listener did not set SO_REUSEADDR"
        ),
        Errno::EACCES => format!("{target}: ports below 1024 need root (or CAP_NET_BIND_SERVICE); pick a port ≥ 1024"),
        Errno::EADDRNOTAVAIL => format!("{target}: this machine has no such address; use 127.0.0.1, ::1 or 0.0.0.0"),
        Errno::ECONNREFUSED => format!("{target}: nobody is listening there (the kernel answered the SYN with RST)"),
        Errno::ETIMEDOUT => format!("{target}: no answer to the SYN (a firewall, or no such host)"),
        Errno::EMFILE => "too many open files: raise the limit with `ulimit -n`".to_string(),
        _ => return io::Error::new(e.kind(), format!("{target}: {name} ({msg})")),
    };
    io::Error::new(e.kind(), format!("{name} ({msg}): {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_is_explained() {
        let e = startup(io::Error::from_raw_os_error(libc::EADDRINUSE), "0.0.0.0:8888");
        let text = e.to_string();
        assert!(
            text.starts_with("EADDRINUSE (Address in use)") || text.starts_with("EADDRINUSE (Address already in use)"),
            "{text}"
        );
        assert!(text.contains("SO_REUSEADDR"));
    }

    #[test]
    fn privileged_ports_and_foreign_addresses_are_explained() {
        let e = startup(io::Error::from_raw_os_error(libc::EACCES), "0.0.0.0:80").to_string();
        assert!(e.starts_with("EACCES") && e.contains("below 1024"), "{e}");
        let e = startup(io::Error::from_raw_os_error(libc::EADDRNOTAVAIL), "192.0.2.1:9").to_string();
        assert!(e.contains("no such address"), "{e}");
        let e = startup(io::Error::from_raw_os_error(libc::ECONNREFUSED), "127.0.0.1:9").to_string();
        assert!(e.contains("nobody is listening"), "{e}");
    }
}
