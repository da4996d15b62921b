//! The outcome of comparing what a program's fd says with what the kernel's table says: the
//! mark (✓, ✗, –, ?) the trace prints after every call.

use serde::Serialize;

/// Does the kernel's table agree with the fd?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The table holds this socket, in the state the fd reports (or, after `close()`, in a
    /// state the RFC allows there).
    Agrees,
    /// The table says something else, or has no row where it should.
    Differs,
    /// The socket is legitimately not in the table (not bound yet, or bound but idle on a kernel
    /// older than 6.8); the reason says which.
    NotVisible,
    /// There is nothing to compare (UDP has no states; a call that changes no state).
    NotApplicable,
    /// The kernel's table cannot be read here (not Linux, or the netlink socket failed).
    Unavailable,
}
