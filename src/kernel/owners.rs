//! Which process holds a socket: what `ss -p` and `netstat -p` print.
//!
//! The kernel's table knows a socket's inode, not its owner. A process's open fds are the links
//! in `/proc/PID/fd/`; a socket's link reads `socket:[INODE]`. So walking `/proc/*/fd` maps
//! inodes to (pid, program, fd). Without root only one's own processes can be walked — exactly
//! the ones `ss -p` shows to an ordinary user.

use super::table::{self, Filter, KernelTable, SocketRow};
use crate::i18n::{f, t, M};
use crate::tcp_state::TcpState;
use std::collections::HashMap;
use std::fs;

/// One process's hold on a socket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Owner {
    pub pid: u32,
    /// The program's name (`/proc/PID/comm`).
    pub program: String,
    pub fd: i32,
}

/// Every socket inode this user may see, with its owners (a fd can be shared after `fork()`).
pub fn socket_owners() -> HashMap<u64, Vec<Owner>> {
    let mut map: HashMap<u64, Vec<Owner>> = HashMap::new();
    let Ok(procs) = fs::read_dir("/proc") else {
        return map;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Another user's process: permission denied, skipped as ss does.
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let program = program(pid);
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = parse_socket_link(&target.to_string_lossy()) else {
                continue;
            };
            let Some(fdnum) = fd.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            map.entry(inode).or_default().push(Owner {
                pid,
                program: program.clone(),
                fd: fdnum,
            });
        }
    }
    map
}

/// Who else holds a socket after one of its fds was closed, as seen from the process that
/// closed it (`closer`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    /// Holders that keep it as long as they like: a `fork()`ed child (a forking server's), a
    /// `dup()` in the closer itself, another process it was passed to.
    pub lasting: Vec<Owner>,
    /// Children that share the closer's memory: between `vfork()`/`posix_spawn()` and `exec()`
    /// a child holds a copy of every fd of its parent, and lets go at its `exec()` (close-on-exec)
    /// or exit, by itself and soon ([`crate::sys::shares_memory`]).
    pub passing: Vec<Owner>,
}

/// The processes that hold socket `inode`, sorted as [`Holders`] tells, looked for among the
/// closer and its children first (a forking server's child, a spawned program), then in all of
/// `/proc` only if none of them does. The process lab runs in counts only when it is the closer:
/// a tracer's own copies of a traced program's fds are not the program's.
pub fn holders(inode: u64, closer: u32) -> Holders {
    let me = std::process::id();
    let mut near = children(closer);
    near.insert(0, closer);
    let mut found = holding(inode, near.into_iter());
    if found.is_empty() {
        found = holding(inode, all_pids());
    }
    let found = found.into_iter().filter(|o| o.pid != me || closer == me);
    let shares = |o: &Owner| o.pid != closer && crate::sys::shares_memory(o.pid, closer);
    let mut h = sort(found, shares, |o| holds(o, inode));
    // Named as they are now (one that exec'd and kept the fd runs another program).
    for o in &mut h.lasting {
        o.program = program(o.pid);
    }
    h
}

/// The holders found, sorted: passing if they share the closer's memory (`shares`), else
/// lasting — if they still hold the socket (`holds`), looked at again after the memory check: a
/// child that shared the closer's memory during the walk and has exec'd since shares it no
/// more, and no longer holds a close-on-exec fd either; it is no holder at all.
fn sort(
    found: impl Iterator<Item = Owner>,
    shares: impl Fn(&Owner) -> bool,
    holds: impl Fn(&Owner) -> bool,
) -> Holders {
    let mut h = Holders::default();
    for o in found {
        if shares(&o) {
            h.passing.push(o);
        } else if holds(&o) {
            h.lasting.push(o);
        }
    }
    h
}

/// Whether `o`'s fd still holds socket `inode`.
fn holds(o: &Owner, inode: u64) -> bool {
    fs::read_link(format!("/proc/{}/fd/{}", o.pid, o.fd))
        .is_ok_and(|l| parse_socket_link(&l.to_string_lossy()) == Some(inode))
}

/// The fds among processes `pids` that hold socket `inode`.
fn holding(inode: u64, pids: impl Iterator<Item = u32>) -> Vec<Owner> {
    let mut found = Vec::new();
    for pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let link = fs::read_link(fd.path());
            let held = link.is_ok_and(|l| parse_socket_link(&l.to_string_lossy()) == Some(inode));
            let Some(fdnum) = fd.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if held {
                found.push(Owner {
                    pid,
                    program: program(pid),
                    fd: fdnum,
                });
            }
        }
    }
    found
}

/// The children of every thread of process `pid` (`/proc/PID/task/TID/children`).
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Every process in `/proc`.
fn all_pids() -> impl Iterator<Item = u32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
}

/// A process's program name (`/proc/PID/comm`).
fn program(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default()
}

/// What holds a local port, as the table tells (what EADDRINUSE is about).
#[derive(Debug, Clone)]
pub enum Holder {
    /// A listener on the port, and the processes that hold it (none: another user's).
    Listener(SocketRow, Vec<Owner>),
    /// A connection on the port: most often one in TIME-WAIT, which no process holds.
    Connection(SocketRow),
}

/// What holds local port `port`: a listener first, else a connection on it (TIME-WAIT first).
pub fn port_holder(tab: &KernelTable, port: u16) -> Option<Holder> {
    let filter = Filter {
        port: Some(port),
        bound: true,
        ..Default::default()
    };
    let rows: Vec<SocketRow> = tab
        .rows(&filter)
        .ok()?
        .into_iter()
        .filter(|r| r.local.port() == port)
        .collect();
    if let Some(l) = rows.iter().find(|r| r.state == Some(TcpState::Listen)) {
        let owners = socket_owners().remove(&l.inode).unwrap_or_default();
        return Some(Holder::Listener(l.clone(), owners));
    }
    let rank = |r: &&SocketRow| r.state != Some(TcpState::TimeWait);
    rows.iter()
        .min_by_key(rank)
        .map(|r| Holder::Connection(r.clone()))
}

impl Holder {
    /// In words: `127.0.0.1:8888 listens there (lab/4312 fd=3)`, `the connection 127.0.0.1:8888
    /// ⇄ 127.0.0.1:40118 in TIME-WAIT holds it (timewait,59sec)`.
    pub fn words(&self) -> String {
        match self {
            Holder::Listener(row, owners) => {
                let who = if owners.is_empty() {
                    t(M::HeldByOther).to_string()
                } else {
                    describe(owners)
                };
                f(M::HeldByListener, &[&table::ss_addr(&row.local), &who])
            }
            Holder::Connection(row) => {
                let tuple = format!(
                    "{} ⇄ {}",
                    table::ss_addr(&row.local),
                    table::ss_addr(&row.peer)
                );
                let timer = row.timer_text();
                let timer = if timer.is_empty() {
                    timer
                } else {
                    format!(" ({timer})")
                };
                f(M::HeldByConnection, &[&tuple, &row.state_name(), &timer])
            }
        }
    }
}

/// `socket:[12345]` → 12345.
fn parse_socket_link(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Owners as `ss -p` prints them: `users:(("nc",pid=123,fd=3))`, shortened to `nc/123 fd=3`.
pub fn describe(owners: &[Owner]) -> String {
    owners
        .iter()
        .map(|o| format!("{}/{} fd={}", o.program, o.pid, o.fd))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_dup_in_the_closer_holds_lastingly_and_a_tracers_own_copy_is_not_the_programs() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = nix::sys::stat::fstat(&l).unwrap().st_ino;
        let me = std::process::id();
        let h = holders(inode, me);
        assert_eq!(h.passing, vec![]);
        assert!(h
            .lasting
            .iter()
            .any(|o| o.pid == me && o.fd == l.as_raw_fd()));
        // Seen from another process that closed it (a traced program, pid 1 here), lab's fd
        // is a tracer's copy: left out.
        assert_eq!(holders(inode, 1), Holders::default());
    }

    /// Seen once in 80 runs of tests/observer.rs under load: another test thread's spawned
    /// child, found holding the socket while it shared this process's memory, had exec'd by
    /// the memory check — and was named a lasting holder, the close said to have sent nothing.
    #[test]
    fn a_child_that_execd_between_the_walk_and_the_memory_check_holds_nothing() {
        let child = |pid| Owner {
            pid,
            program: "t".into(),
            fd: 7,
        };
        let found = [child(10), child(11), child(12)].into_iter();
        // 10 shares memory (passing); 11 exec'd (shares none, holds none); 12 forked, holds.
        let h = sort(found, |o| o.pid == 10, |o| o.pid == 12);
        assert_eq!(h.passing, vec![child(10)]);
        assert_eq!(h.lasting, vec![child(12)]);
    }

    #[test]
    fn socket_links_parse() {
        assert_eq!(parse_socket_link("socket:[4242]"), Some(4242));
        assert_eq!(parse_socket_link("pipe:[4242]"), None);
    }

    #[test]
    fn finds_our_own_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let inode = nix::sys::stat::fstat(&l).unwrap().st_ino;
        let owners = socket_owners();
        let mine = owners.get(&inode).expect("our listener's inode is listed");
        assert!(mine
            .iter()
            .any(|o| o.pid == std::process::id() && o.fd == l.as_raw_fd()));
    }
}
