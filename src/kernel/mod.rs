//! The kernel's own view of TCP sockets, to check every claim the trace makes.
//!
//! - [`sock_diag`]: the netlink codec (NETLINK_SOCK_DIAG), the interface `ss` reads. Linux only.
//! - [`table`]: the table's rows, filters, dump and exact 4-tuple lookup; a fd's state and inode.
//! - [`check`]: the verdict "the kernel agrees / differs / cannot see it", and bounded waits.
//! - `owners`: which process holds a socket (`ss -p`), from `/proc/PID/fd`.

pub mod check;
pub(crate) mod owners;
#[cfg(target_os = "linux")]
pub mod sock_diag;
pub mod table;
