//! Room to make networks without root: a user namespace of lab's own.
//!
//! Making a network namespace, a TUN device or an address needs CAP_NET_ADMIN / CAP_SYS_ADMIN.
//! Inside a new user namespace a plain user holds every capability *over the namespaces it
//! owns* — nothing over the machine. lab enters one first thing (the kernel refuses it to a
//! process with threads), maps the user's own uid and gid to themselves, so every program lab
//! starts still runs as that user, and makes its hosts inside. Real root needs none of this.

use crate::netns::{map_own_ids, Refusal};
use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getgid, getuid};

/// Enters a user namespace of lab's own, unless lab runs as real root (then it may make
/// network namespaces as it is). Corresponds to `unshare(CLONE_NEWUSER)`, then
/// [`map_own_ids`], then a trial `unshare(CLONE_NEWNET)` on a thread of its own. Must be
/// called before lab starts any thread. A refusal says which setting refuses, by name (see
/// [`Refusal`], the same words as for lab's own network).
pub fn enter() -> Result<(), Refusal> {
    if getuid().is_root() {
        return Ok(());
    }
    let (uid, gid) = (getuid(), getgid());
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| Refusal::of(("unshare(CLONE_NEWUSER)", e)))?;
    map_own_ids(uid, gid).map_err(Refusal::of)?;
    // Ubuntu's AppArmor lets the namespace be made but takes its capabilities away: a network
    // namespace is then refused, which is what lab needs. Try one now, on a thread that ends.
    let trial = std::thread::spawn(|| unshare(CloneFlags::CLONE_NEWNET))
        .join()
        .unwrap_or(Err(nix::errno::Errno::EIO));
    trial.map_err(|e| Refusal::of(("unshare(CLONE_NEWNET)", e)))
}
