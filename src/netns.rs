//! lab's own network: a network namespace made at start-up, whose loopback is lab's alone.
//!
//! Why: to see the segments themselves (not arrows inferred from the calls) lab captures on
//! `lo`, which needs CAP_NET_RAW; and in a network of its own, ports never clash with the
//! machine's. A plain user may have both: `unshare(CLONE_NEWUSER | CLONE_NEWNET)` makes a user
//! namespace in which lab holds every capability *for its own network*, and nothing else. The
//! real uid is mapped to itself, so every program lab starts stays the same plain user.
//! As real root, a network namespace alone is enough.
//!
//! It must happen before any thread exists (the kernel refuses a new user namespace to a
//! multi-threaded process): [`enter`] is called first thing in `main`. Everything in it dies
//! with lab's last process; nothing is left on the machine.
//!
//! Where the system refuses, [`enter`] says which setting refuses and how to allow it, and lab
//! runs on the machine's network as before, its arrows inferred.
//!
//! (`lab net`'s hosts are made another way: `net::userns` enters a user namespace alone, and
//! each host is a network namespace of a thread. The whole process moves here: a lesson's
//! sockets, its kernel-table socket and the capture all belong to the one network. Both map
//! the user's own ids with [`map_own_ids`], and both say why the system refused with
//! [`Refusal`].)

use crate::i18n::{self, M};
use nix::errno::Errno;
use nix::sched::{unshare, CloneFlags};
use nix::unistd::{geteuid, getgid, getuid, Gid, Uid};
use std::fs;
use std::sync::OnceLock;

/// Which network lab's sockets are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// The machine's: what everyone else sees (`lab server`, `lab client`, `lab trace`).
    Machine,
    /// lab's own, made at start-up: its `lo` is up and captured.
    Own,
    /// lab's own was asked for and refused: why, in words, with the fix.
    Refused(String),
}

static NETWORK: OnceLock<Network> = OnceLock::new();

/// The network this run is in (the machine's unless [`enter`] made one).
pub fn current() -> &'static Network {
    NETWORK.get_or_init(|| Network::Machine)
}

/// Is this run in a network of its own, where segments can be captured?
pub fn own() -> bool {
    *current() == Network::Own
}

/// Why nothing can be captured: not in lab's own network (refused, and why; or not asked for).
pub fn why_no_capture() -> String {
    match current() {
        Network::Refused(why) => why.clone(),
        _ => "packets are captured only in lab's own network (lab trace --net, lab lesson run)"
            .into(),
    }
}

/// Moves this process into a network of its own: user + network namespaces (a plain user), or
/// a network namespace alone (real root); then brings `lo` up. Call before any thread starts.
/// On refusal the process stays where it was and the reason is kept ([`current`]).
pub fn enter() -> &'static Network {
    let outcome = match make() {
        Ok(()) => Network::Own,
        Err(failed) => Network::Refused(no_own_network(&Refusal::of(failed))),
    };
    NETWORK.get_or_init(|| outcome)
}

/// What failed: the step and its errno.
pub type Failure = (&'static str, Errno);

fn make() -> Result<(), Failure> {
    if geteuid().is_root() {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| ("unshare(CLONE_NEWNET)", e))?;
    } else {
        let (uid, gid) = (getuid(), getgid());
        unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET)
            .map_err(|e| ("unshare(CLONE_NEWUSER|CLONE_NEWNET)", e))?;
        map_own_ids(uid, gid)?;
    }
    // A new network namespace's loopback starts down.
    crate::sys::loopback_up().map_err(|e| {
        (
            "SIOCSIFFLAGS lo up",
            Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
        )
    })
}

/// In a user namespace just made, maps the user's own uid and gid to themselves, so that every
/// program lab starts still runs as that user. Corresponds to writing `deny` to
/// `/proc/self/setgroups`, then one line each to `uid_map` and `gid_map`: a process may map
/// only its own ids, and only once setgroups is off (else it could drop a group that denies it
/// something: user_namespaces(7)).
pub fn map_own_ids(uid: Uid, gid: Gid) -> Result<(), Failure> {
    write("/proc/self/setgroups", "deny")?;
    write("/proc/self/uid_map", &format!("{uid} {uid} 1"))?;
    write("/proc/self/gid_map", &format!("{gid} {gid} 1"))
}

fn write(path: &'static str, text: &str) -> Result<(), Failure> {
    fs::write(path, text)
        .map_err(|e| (path, Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))))
}

/// The system settings that decide whether a plain user may make a user namespace.
#[derive(Debug, Default, Clone, Copy)]
pub struct Settings {
    /// `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu ≥ 23.10).
    pub apparmor_restrict: Option<u64>,
    /// `user.max_user_namespaces`.
    pub max_user_namespaces: Option<u64>,
    /// `kernel.unprivileged_userns_clone` (Debian's older kernels).
    pub unprivileged_clone: Option<u64>,
}

impl Settings {
    /// The settings of this machine, from `/proc/sys`.
    pub fn read() -> Settings {
        let num = |p: &str| {
            fs::read_to_string(p)
                .ok()
                .and_then(|s| s.trim().parse().ok())
        };
        Settings {
            apparmor_restrict: num("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
            max_user_namespaces: num("/proc/sys/user/max_user_namespaces"),
            unprivileged_clone: num("/proc/sys/kernel/unprivileged_userns_clone"),
        }
    }
}

/// The system refused lab a namespace: the step that failed, its errno, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub step: &'static str,
    pub errno: Errno,
    /// Which setting refuses, by name, and how to allow it; or what else may.
    pub why: &'static str,
}

impl Refusal {
    /// Why `step` failed with `errno`, from this machine's settings.
    pub fn of((step, errno): Failure) -> Refusal {
        Refusal::with((step, errno), &Settings::read())
    }

    /// Why `step` failed with `errno`, given the settings `s`: the setting that refuses, by name,
    /// when one does.
    pub fn with((step, errno): Failure, s: &Settings) -> Refusal {
        let why = if s.max_user_namespaces == Some(0) {
            M::NetnsMaxUserNs
        } else if s.unprivileged_clone == Some(0) {
            M::NetnsUnprivClone
        } else if s.apparmor_restrict == Some(1) {
            M::NetnsAppArmor
        } else if errno == Errno::EINVAL {
            M::NetnsThreads
        } else {
            M::NetnsSeccomp
        };
        Refusal {
            step,
            errno,
            why: i18n::t(why),
        }
    }
}

/// What lab says when it runs on the machine's network, refused one of its own.
fn no_own_network(r: &Refusal) -> String {
    let errno = format!("{:?}", r.errno);
    i18n::f(M::NetnsRefused, &[&r.step, &errno, &r.why])
}

/// Why, then the step and its errno, as lab says it when it stops for want of a namespace.
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}: {:?})", self.why, self.step, self.errno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Settings {
        Settings::default()
    }

    fn refusal(step: &'static str, e: Errno, s: &Settings) -> String {
        no_own_network(&Refusal::with((step, e), s))
    }

    #[test]
    fn apparmor_refusal_names_the_sysctl() {
        let words = refusal(
            "SIOCSIFFLAGS lo up",
            Errno::EPERM,
            &Settings {
                apparmor_restrict: Some(1),
                ..s()
            },
        );
        assert!(
            words.contains("kernel.apparmor_restrict_unprivileged_userns"),
            "{words}"
        );
        assert!(words.contains("EPERM"), "{words}");
    }

    #[test]
    fn no_user_namespaces_names_max_user_namespaces() {
        let words = refusal(
            "unshare",
            Errno::ENOSPC,
            &Settings {
                max_user_namespaces: Some(0),
                ..s()
            },
        );
        assert!(words.contains("user.max_user_namespaces"), "{words}");
    }

    #[test]
    fn debian_switch_off_names_unprivileged_userns_clone() {
        let words = refusal(
            "unshare",
            Errno::EPERM,
            &Settings {
                unprivileged_clone: Some(0),
                ..s()
            },
        );
        assert!(
            words.contains("kernel.unprivileged_userns_clone"),
            "{words}"
        );
    }

    #[test]
    fn eperm_with_no_setting_suspects_a_container() {
        let words = refusal("unshare", Errno::EPERM, &s());
        assert!(words.contains("seccomp"), "{words}");
    }
}
