//! Room to make networks without root: a user namespace of lab's own.
//!
//! Making a network namespace, a TUN device or an address needs CAP_NET_ADMIN / CAP_SYS_ADMIN.
//! Inside a new user namespace a plain user holds every capability *over the namespaces it
//! owns* — nothing over the machine. lab enters one first thing (the kernel refuses it to a
//! process with threads), maps the user's own uid and gid to themselves, so every program lab
//! starts still runs as that user, and makes its hosts inside. Real root needs none of this.

use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getgid, getuid};
use std::fmt;

/// Why lab could not make its own network, and the setting that said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// `kernel.apparmor_restrict_unprivileged_userns = 1` (Ubuntu ≥ 23.10).
    AppArmor,
    /// `user.max_user_namespaces = 0`.
    MaxZero,
    /// lab already has threads (a bug of lab's: it must be called first).
    Threaded,
    /// Anything else: a container's seccomp profile, an old kernel; the errno.
    Other(String),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::i18n::{f as tr, M};
        let text = match self {
            Refused::AppArmor => tr(M::UsernsAppArmor, &[]),
            Refused::MaxZero => tr(M::UsernsMaxZero, &[]),
            Refused::Threaded => tr(M::UsernsThreaded, &[]),
            Refused::Other(e) => tr(M::UsernsOther, &[e]),
        };
        f.write_str(&text)
    }
}

/// A setting under `/proc/sys`, as a number.
fn sysctl(path: &str) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Enters a user namespace of lab's own, unless lab runs as real root (then it may make
/// network namespaces as it is). Corresponds to `unshare(CLONE_NEWUSER)`, then writing
/// `deny` to `/proc/self/setgroups` and one line each to `uid_map` and `gid_map`. Must be
/// called before lab starts any thread.
pub fn enter() -> Result<(), Refused> {
    if getuid().is_root() {
        return Ok(());
    }
    let (uid, gid) = (getuid(), getgid());
    match unshare(CloneFlags::CLONE_NEWUSER) {
        Ok(()) => {}
        Err(nix::errno::Errno::EINVAL) => return Err(Refused::Threaded),
        Err(_) if sysctl("/proc/sys/user/max_user_namespaces") == Some(0) => {
            return Err(Refused::MaxZero)
        }
        Err(e) => return Err(Refused::Other(e.to_string())),
    }
    // Without `deny` an unprivileged process may not write gid_map (a mapped group could be
    // dropped with setgroups to get around a deny rule).
    let write = |file: &str, text: String| std::fs::write(format!("/proc/self/{file}"), text);
    write("setgroups", "deny".into())
        .and_then(|_| write("uid_map", format!("{uid} {uid} 1")))
        .and_then(|_| write("gid_map", format!("{gid} {gid} 1")))
        .map_err(|e| Refused::Other(e.to_string()))?;
    // Ubuntu's AppArmor lets the namespace be made but takes its capabilities away: a network
    // namespace is then refused, which is what lab needs. Try one now, on a thread that ends.
    std::thread::spawn(|| unshare(CloneFlags::CLONE_NEWNET))
        .join()
        .map_err(|_| Refused::Other("panic".into()))?
        .map_err(
            |e| match sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") {
                Some(1) => Refused::AppArmor,
                _ => Refused::Other(e.to_string()),
            },
        )
}
