//! Errors in words: what an errno means for the person who just ran a command, and what to do.

use crate::i18n::{f, t, M};
use crate::kernel::owners;
use crate::trace::names;
use nix::errno::Errno;
use std::io;

/// Turns an error from setting up a socket on `target` into a sentence a student can act on.
pub fn startup(e: io::Error, target: &str) -> io::Error {
    let Some(errno) = e.raw_os_error().map(Errno::from_raw) else {
        return e;
    };
    let (name, msg) = (names::errno_name(errno), errno.desc());
    let why = match errno {
        Errno::EADDRINUSE => in_use(target),
        Errno::EACCES => f(M::ErrAccess, &[&target]),
        Errno::EADDRNOTAVAIL => f(M::ErrNoAddr, &[&target]),
        Errno::ECONNREFUSED => f(M::ErrRefused, &[&target]),
        Errno::ETIMEDOUT => f(M::ErrTimedOut, &[&target]),
        Errno::EMFILE => t(M::ErrTooManyFiles).to_string(),
        _ => return io::Error::new(e.kind(), format!("{target}: {name} ({msg})")),
    };
    io::Error::new(e.kind(), format!("{name} ({msg}): {why}"))
}

/// EADDRINUSE on `target` (`host:port`): the real port, and what holds it, from the table.
fn in_use(target: &str) -> String {
    let port = target
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(0);
    let holder = crate::kernel::table::KernelTable::open()
        .ok()
        .and_then(|tab| owners::port_holder(&tab, port));
    match holder {
        Some(h) => f(M::ErrInUseHeld, &[&target, &h.words(), &port]),
        None => f(M::ErrInUse, &[&target, &port]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_is_explained() {
        let e = startup(
            io::Error::from_raw_os_error(libc::EADDRINUSE),
            "0.0.0.0:8888",
        );
        let text = e.to_string();
        assert!(
            text.starts_with("EADDRINUSE (Address in use)")
                || text.starts_with("EADDRINUSE (Address already in use)"),
            "{text}"
        );
        // The real port, whatever holds it on this machine now.
        assert!(
            text.contains("lab sockets --port 8888 -p") && !text.contains("PORT"),
            "{text}"
        );
    }

    #[test]
    fn privileged_ports_and_foreign_addresses_are_explained() {
        let e = startup(io::Error::from_raw_os_error(libc::EACCES), "0.0.0.0:80").to_string();
        assert!(e.starts_with("EACCES") && e.contains("below 1024"), "{e}");
        let e = startup(
            io::Error::from_raw_os_error(libc::EADDRNOTAVAIL),
            "192.0.2.1:9",
        )
        .to_string();
        assert!(e.contains("no such address"), "{e}");
        let e = startup(
            io::Error::from_raw_os_error(libc::ECONNREFUSED),
            "127.0.0.1:9",
        )
        .to_string();
        assert!(e.contains("nobody is listening"), "{e}");
    }
}
