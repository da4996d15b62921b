//! A traced call's raw arguments (six numbers) as strace would print them, and what the call
//! wrote back, as the lab's typed [`Arg`]s and [`Detail`]s.
//!
//! x86_64 passes a system call's arguments in six registers; `PTRACE_GET_SYSCALL_INFO` hands
//! them over as `raw[0..6]`. Numbers stay numbers (`listen(3, 128)`), constants get their names
//! (`SOCK_STREAM|SOCK_CLOEXEC`), and pointers are followed into the program's memory
//! ([`Memory`]): the address given to `connect()`, the first bytes sent or received.

use super::fds::{Looked, Process, Proto, Sock};
use super::memory::{total_len, Memory};
use crate::trace::event::SHOW_BYTES;
use crate::trace::{names, Arg, Detail, Event, Syscall, Tracer};
use crate::transitions;
use nix::errno::Errno;
use nix::poll::PollFlags;
use std::net::Shutdown;
use std::os::fd::RawFd;

/// The fd a call acts on, if it acts on one.
pub fn fd_of(call: Syscall, raw: &[u64; 6]) -> Option<RawFd> {
    match call {
        Syscall::Socket | Syscall::Socketpair | Syscall::CloseRange => None,
        Syscall::Poll | Syscall::Ppoll | Syscall::Select | Syscall::Pselect6 => None,
        Syscall::EpollWait | Syscall::EpollPwait => None,
        Syscall::EpollCtl => Some(raw[2] as RawFd),
        _ => Some(raw[0] as RawFd),
    }
}

/// Whether a call may wait in the kernel (and is shown as blocked if it does).
pub fn may_block(call: Syscall) -> bool {
    use Syscall::*;
    matches!(
        call,
        Accept
            | Accept4
            | Connect
            | Recvfrom
            | Recvmsg
            | Read
            | Sendto
            | Sendmsg
            | Write
            | Poll
            | Ppoll
            | Select
            | Pselect6
            | EpollWait
            | EpollPwait
            | Writev
            | Readv
            | Sendmmsg
            | Recvmmsg
            | Sendfile
            | Splice
    )
}

/// Whether the trace shows a call that names no single fd: a `socket()` of TCP or UDP, a
/// `poll()` or `select()` that waits on at least one shown socket.
pub fn shown_without_fd(
    call: Syscall,
    raw: &[u64; 6],
    mem: Memory,
    proc: &mut Process,
    t: (&Tracer, bool, &str),
) -> bool {
    let (tracer, all_fds, actor) = t;
    let mut any_shown = |fds: Vec<RawFd>| {
        fds.into_iter().any(|fd| match proc.known(fd) {
            Some(s) => s.shown(all_fds),
            None => {
                matches!(proc.look(fd, tracer, actor), Looked::Socket(_, s) if s.shown(all_fds))
            }
        })
    };
    match call {
        Syscall::Socket => {
            let inet = matches!(raw[0] as i32, libc::AF_INET | libc::AF_INET6);
            let base = raw[1] as i32 & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
            all_fds || inet && matches!(base, libc::SOCK_STREAM | libc::SOCK_DGRAM)
        }
        Syscall::Poll | Syscall::Ppoll => any_shown(
            mem.pollfds(raw[0], raw[1])
                .into_iter()
                .map(|p| p.0)
                .collect(),
        ),
        Syscall::Select | Syscall::Pselect6 => {
            any_shown(select_sets(mem, raw).into_iter().map(|p| p.0).collect())
        }
        Syscall::EpollWait | Syscall::EpollPwait => proc.has_shown_sockets(all_fds),
        Syscall::CloseRange => {
            let last = raw[1].min(i32::MAX as u64) as RawFd;
            (raw[0] as RawFd..=last).any(|fd| proc.known(fd).is_some_and(|s| s.shown(all_fds)))
        }
        _ => all_fds,
    }
}

/// The arguments as the call was made, read at its entry.
pub fn entry_args(call: Syscall, raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    let fd = Arg::Fd(raw[0] as RawFd);
    match call {
        Syscall::Socket | Syscall::Socketpair => socket_args(call, raw),
        Syscall::Bind | Syscall::Connect => vec![fd, sockaddr(mem, raw[1], raw[2])],
        Syscall::Listen => vec![fd, int(raw[1])],
        Syscall::Accept4 => vec![fd, Arg::Const(names::sock_flags(raw[3] as i32))],
        Syscall::Setsockopt => sockopt_args(raw, mem, true),
        Syscall::Getsockopt => sockopt_args(raw, mem, false),
        Syscall::Sendto
        | Syscall::Write
        | Syscall::Sendmsg
        | Syscall::Writev
        | Syscall::Sendmmsg
        | Syscall::Sendfile
        | Syscall::Splice => send_args(call, raw, mem),
        Syscall::Readv => vec![fd, Arg::Elided, int(raw[2])],
        Syscall::Recvmmsg => vec![fd, Arg::Elided, int(raw[2]), flags(raw[3])],
        Syscall::Recvfrom => vec![fd, Arg::Elided, int(raw[2]), flags(raw[3])],
        Syscall::Read => vec![fd, Arg::Elided, int(raw[2])],
        Syscall::Recvmsg => vec![fd, Arg::Elided, flags(raw[2])],
        Syscall::Shutdown => vec![fd, shutdown_how(raw[1])],
        Syscall::Dup2 => vec![fd, Arg::Fd(raw[1] as RawFd)],
        Syscall::Dup3 => vec![
            fd,
            Arg::Fd(raw[1] as RawFd),
            Arg::Const(names::sock_flags(raw[2] as i32)),
        ],
        Syscall::CloseRange => vec![int(raw[0]), Arg::Int(i64::from(raw[1] as u32)), int(raw[2])],
        Syscall::Fcntl => fcntl_args(raw),
        Syscall::Poll | Syscall::Ppoll => poll_args(call, raw, mem),
        Syscall::Select | Syscall::Pselect6 => select_args(raw, mem),
        Syscall::EpollCtl => epoll_ctl_args(raw, mem),
        Syscall::EpollWait | Syscall::EpollPwait => vec![fd, int(raw[2]), int(raw[3])],
        _ => vec![fd],
    }
}

/// The arguments of a call that sends: the data it hands the kernel, read from the program's
/// memory (the first [`SHOW_BYTES`] of it), and where it goes.
fn send_args(call: Syscall, raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    let fd = Arg::Fd(raw[0] as RawFd);
    match call {
        Syscall::Sendto if raw[4] != 0 => vec![
            fd,
            data(mem, raw[1], raw[2]),
            int(raw[2]),
            flags(raw[3]),
            sockaddr(mem, raw[4], raw[5]),
        ],
        Syscall::Sendto => vec![fd, data(mem, raw[1], raw[2]), int(raw[2]), flags(raw[3])],
        Syscall::Write => vec![fd, data(mem, raw[1], raw[2]), int(raw[2])],
        Syscall::Sendmsg => sendmsg_args(raw, mem),
        Syscall::Writev => {
            let iovs = mem.iovecs(raw[1], raw[2]);
            vec![
                fd,
                Arg::Data {
                    head: mem.gather(&iovs, SHOW_BYTES).into(),
                    len: total_len(&iovs),
                },
                int(raw[2]),
            ]
        }
        Syscall::Sendmmsg => sendmmsg_args(raw, mem),
        // The data never passes through the program's memory: only its length is known.
        Syscall::Sendfile => vec![
            fd,
            Arg::Fd(raw[1] as RawFd),
            Arg::Text(pointer(raw[2])),
            Arg::Int(raw[3] as i64),
        ],
        Syscall::Splice => vec![
            fd,
            Arg::Text(pointer(raw[1])),
            Arg::Fd(raw[2] as RawFd),
            Arg::Text(pointer(raw[3])),
            Arg::Int(raw[4] as i64),
            int(raw[5]),
        ],
        _ => vec![fd],
    }
}

fn socket_args(call: Syscall, raw: &[u64; 6]) -> Vec<Arg> {
    let mut args = vec![
        Arg::Const(names::family(raw[0] as i32)),
        Arg::Const(names::sock_type_flags(raw[1] as i32)),
        Arg::Const(names::protocol(raw[2] as i32)),
    ];
    if call == Syscall::Socketpair {
        args.push(Arg::Elided);
    }
    args
}

fn sockopt_args(raw: &[u64; 6], mem: Memory, set: bool) -> Vec<Arg> {
    let (level, name) = names::sockopt(raw[1] as i32, raw[2] as i32);
    let mut args = vec![
        Arg::Fd(raw[0] as RawFd),
        Arg::Const(level),
        Arg::Const(name),
    ];
    if set {
        args.push(option_value(raw, mem));
    }
    args
}

/// The value `setsockopt()` was given: `struct linger` for SO_LINGER, else an `int`.
fn option_value(raw: &[u64; 6], mem: Memory) -> Arg {
    let (level, name, ptr) = (raw[1] as i32, raw[2] as i32, raw[3]);
    if level == libc::SOL_SOCKET && name == libc::SO_LINGER {
        return match (mem.i32_at(ptr), mem.i32_at(ptr + 4)) {
            (Some(0), Some(_)) => Arg::Linger(None),
            (Some(_), Some(secs)) => Arg::Linger(Some(u64::try_from(secs).unwrap_or(0))),
            _ => Arg::Text(pointer(ptr)),
        };
    }
    mem.i32_at(ptr)
        .map_or(Arg::Text(pointer(ptr)), |v| Arg::Int(i64::from(v)))
}

fn sendmsg_args(raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    let fd = Arg::Fd(raw[0] as RawFd);
    match mem.msghdr_iov(raw[1]) {
        Some((base, first, total)) => {
            let head = mem.bytes(base, first.min(SHOW_BYTES));
            vec![
                fd,
                Arg::Data {
                    head: head.into(),
                    len: total,
                },
                Arg::Int(total as i64),
                flags(raw[2]),
            ]
        }
        None => vec![fd, Arg::Text(pointer(raw[1])), flags(raw[2])],
    }
}

/// `sendmmsg(fd, msgs, n, flags)`: the messages' data, one after the other as the stream
/// carries them, and their total length.
fn sendmmsg_args(raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    let iovs: Vec<(u64, usize)> = mem
        .mmsghdrs(raw[1], raw[2])
        .into_iter()
        .flat_map(|(m, _)| mem.msghdr_iovecs(m).unwrap_or_default())
        .collect();
    let data = Arg::Data {
        head: mem.gather(&iovs, SHOW_BYTES).into(),
        len: total_len(&iovs),
    };
    vec![Arg::Fd(raw[0] as RawFd), data, int(raw[2]), flags(raw[3])]
}

/// What `recvmmsg()` received: each message's buffers filled up to its `msg_len`, in order.
fn recvmmsg_data(raw: &[u64; 6], mem: Memory, messages: u64) -> Arg {
    let mut iovs = Vec::new();
    for (m, got) in mem.mmsghdrs(raw[1], messages) {
        let mut left = got;
        for (base, len) in mem.msghdr_iovecs(m).unwrap_or_default() {
            iovs.push((base, len.min(left)));
            left -= len.min(left);
        }
    }
    Arg::Data {
        head: mem.gather(&iovs, SHOW_BYTES).into(),
        len: total_len(&iovs),
    }
}

fn fcntl_args(raw: &[u64; 6]) -> Vec<Arg> {
    let cmd = raw[1] as i32;
    let mut args = vec![Arg::Fd(raw[0] as RawFd), Arg::Const(names::fcntl_cmd(cmd))];
    match cmd {
        libc::F_SETFL => args.push(Arg::Const(names::open_flags(raw[2] as i64))),
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC | libc::F_SETFD => args.push(Arg::Int(raw[2] as i64)),
        _ => {}
    }
    args
}

fn poll_args(call: Syscall, raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    let fds = mem.pollfds(raw[0], raw[1]);
    let list = Arg::poll_fds(fds.into_iter().map(|(fd, ev, _)| (fd, ev)));
    let timeout = if call == Syscall::Poll {
        int(raw[2])
    } else {
        Arg::Text(pointer(raw[2]))
    };
    vec![list, Arg::Int(raw[1] as i64), timeout]
}

/// `select()`'s read and write sets, as (fd, what for).
fn select_sets(mem: Memory, raw: &[u64; 6]) -> Vec<(RawFd, PollFlags)> {
    let read = mem
        .fd_set(raw[1], raw[0])
        .into_iter()
        .map(|fd| (fd, PollFlags::POLLIN));
    read.chain(
        mem.fd_set(raw[2], raw[0])
            .into_iter()
            .map(|fd| (fd, PollFlags::POLLOUT)),
    )
    .collect()
}

fn select_args(raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    let set = |i: usize| {
        if raw[i] == 0 {
            return Arg::Text("NULL".into());
        }
        let fds: Vec<String> = mem
            .fd_set(raw[i], raw[0])
            .iter()
            .map(RawFd::to_string)
            .collect();
        Arg::Text(format!("[{}]", fds.join(" ")))
    };
    vec![
        Arg::Int(raw[0] as i64),
        set(1),
        set(2),
        set(3),
        Arg::Text(pointer(raw[4])),
    ]
}

fn epoll_ctl_args(raw: &[u64; 6], mem: Memory) -> Vec<Arg> {
    // EPOLL_CTL_DEL ignores the event (and may pass anything).
    let events = match mem.u32_at(raw[3]) {
        Some(ev) if raw[1] as i32 != libc::EPOLL_CTL_DEL => names::epoll_events(ev),
        _ => "NULL".into(),
    };
    vec![
        Arg::Fd(raw[0] as RawFd),
        Arg::Const(names::epoll_op(raw[1] as i32)),
        Arg::Fd(raw[2] as RawFd),
        Arg::Const(events),
    ]
}

/// What a successful call wrote back: the data received, the peer accepted, the fds ready.
pub fn exit_details(ev: &mut Event, raw: &[u64; 6], mem: Memory, ret: i64, sock: Option<&Sock>) {
    if ret < 0 {
        return;
    }
    let Some(call) = ev.call else { return };
    let stream = sock.is_none_or(|s| s.proto != Proto::Udp);
    let n = usize::try_from(ret).unwrap_or(0);
    match call {
        Syscall::Accept | Syscall::Accept4 => {
            if let Some(peer) = mem.sockaddr_out(raw[1], raw[2]) {
                ev.detail = Some(Detail::Accepted {
                    fd: ret as RawFd,
                    peer,
                });
            }
        }
        Syscall::Recvmmsg => replace_buffer(ev, recvmmsg_data(raw, mem, ret as u64)),
        Syscall::Recvfrom | Syscall::Read | Syscall::Recvmsg | Syscall::Readv => {
            let head = match call {
                Syscall::Recvmsg => mem.msghdr_data(raw[1], n.min(SHOW_BYTES)),
                Syscall::Readv => mem.gather(&mem.iovecs(raw[1], raw[2]), n.min(SHOW_BYTES)),
                _ => mem.bytes(raw[1], n.min(SHOW_BYTES)),
            };
            let head = head.into();
            replace_buffer(ev, Arg::Data { head, len: n });
            if n == 0 && stream && sock.is_some() {
                ev.detail = Some(Detail::Eof {
                    own: sock.is_some_and(|s| s.read_shut),
                });
            } else if call == Syscall::Recvfrom && !stream && raw[4] != 0 {
                ev.detail = mem.sockaddr_out(raw[4], raw[5]).map(Detail::From);
            }
        }
        Syscall::Getsockopt => ev.args.push(option_out(raw, mem)),
        Syscall::Getsockname | Syscall::Getpeername => {
            ev.detail = mem.sockaddr_out(raw[1], raw[2]).map(Detail::Address)
        }
        Syscall::Socketpair => {
            let pair = (mem.i32_at(raw[3]), mem.i32_at(raw[3] + 4));
            if let (Some(a), Some(b)) = pair {
                replace_buffer(ev, Arg::Text(format!("[{a}, {b}]")));
            }
        }
        Syscall::Poll
        | Syscall::Ppoll
        | Syscall::Select
        | Syscall::Pselect6
        | Syscall::EpollWait
        | Syscall::EpollPwait => {
            ev.detail = Some(if ret == 0 {
                Detail::Timeout
            } else {
                ready(call, raw, mem, ret)
            });
        }
        _ => {}
    }
}

/// What a readiness call returned, as it returned it: poll's `revents`, select's sets,
/// epoll's events with their data words.
fn ready(call: Syscall, raw: &[u64; 6], mem: Memory, ret: i64) -> Detail {
    match call {
        Syscall::Poll | Syscall::Ppoll => Detail::ready(
            mem.pollfds(raw[0], raw[1])
                .into_iter()
                .filter(|p| !p.2.is_empty())
                .map(|(fd, _, r)| (fd, r)),
        ),
        Syscall::Select | Syscall::Pselect6 => {
            let set = |i: usize| {
                if raw[i] == 0 {
                    Vec::new()
                } else {
                    mem.fd_set(raw[i], raw[0])
                }
            };
            Detail::sets(set(1), set(2), set(3))
        }
        _ => Detail::events(mem.epoll_events(raw[1], ret as u64).into_iter()),
    }
}

/// The value `getsockopt()` wrote back: SO_ERROR's pending error by name, else the `int`.
fn option_out(raw: &[u64; 6], mem: Memory) -> Arg {
    let value = mem.i32_at(raw[3]);
    match value {
        Some(v) if raw[1] as i32 == libc::SOL_SOCKET && raw[2] as i32 == libc::SO_ERROR => {
            Arg::ErrorOut((v != 0).then(|| Errno::from_raw(v)))
        }
        Some(v) => Arg::Int(i64::from(v)),
        None => Arg::Text(pointer(raw[3])),
    }
}

/// What a successful (or in-progress) call taught about its socket.
pub fn learn(call: Syscall, raw: &[u64; 6], ev: &mut Event, ret: i64, sock: &mut Sock) {
    if ret < 0 && !ev.failed_with(Errno::EINPROGRESS) {
        if matches!(call, Syscall::Accept | Syscall::Accept4)
            && sock.read_shut
            && ev.failed_with(Errno::EINVAL)
        {
            ev.note = Some(transitions::accept_after_shut_rd().into());
        }
        return;
    }
    match (call, ev.args.get(1)) {
        (Syscall::Connect, Some(Arg::Addr(peer))) => sock.ends.peer = Some(*peer),
        (Syscall::Listen, _) => sock.listening = true,
        (Syscall::Shutdown, Some(Arg::Shutdown(Shutdown::Read | Shutdown::Both))) => {
            sock.read_shut = true
        }
        (Syscall::Setsockopt, _) if raw[2] as i32 == libc::SO_LINGER => {
            sock.abortive = matches!(ev.args.get(3), Some(Arg::Linger(Some(0))));
        }
        _ => {}
    }
}

/// The fds a call may close when it runs, `first..=last`: `close()`'s, the target of `dup2()`
/// and `dup3()`, `close_range()`'s range. Known at the call's entry, before they are closed.
pub fn fds_given_up(call: Syscall, raw: &[u64; 6]) -> Option<(RawFd, RawFd)> {
    let fd = |v: u64| v.min(i32::MAX as u64) as RawFd;
    match call {
        Syscall::Close => Some((fd(raw[0]), fd(raw[0]))),
        Syscall::Dup2 | Syscall::Dup3 => Some((fd(raw[1]), fd(raw[1]))),
        Syscall::CloseRange => Some((fd(raw[0]), fd(raw[1]))),
        _ => None,
    }
}

/// The fd whose old contents a successful call replaced: `dup2()`'s target, a new `dup()`.
pub fn fd_replaced(call: Syscall, raw: &[u64; 6], ret: i64) -> Option<RawFd> {
    if ret < 0 {
        return None;
    }
    match call {
        Syscall::Dup2 | Syscall::Dup3 => Some(raw[1] as RawFd),
        Syscall::Dup => Some(ret as RawFd),
        Syscall::Fcntl if matches!(raw[1] as i32, libc::F_DUPFD | libc::F_DUPFD_CLOEXEC) => {
            Some(ret as RawFd)
        }
        _ => None,
    }
}

fn replace_buffer(ev: &mut Event, with: Arg) {
    if let Some(slot) = ev.args.iter_mut().find(|a| matches!(a, Arg::Elided)) {
        *slot = with;
    }
}

/// The first bytes of a buffer in the program's memory, and its whole length.
fn data(mem: Memory, addr: u64, len: u64) -> Arg {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    Arg::Data {
        head: mem.bytes(addr, len.min(SHOW_BYTES)).into(),
        len,
    }
}

/// A C `int` argument: the register's low 32 bits, signed.
fn int(raw: u64) -> Arg {
    Arg::Int(raw as i32 as i64)
}

/// The socket address a call passes (`addr`, `addrlen`), read from the program's memory; the
/// bare pointer if it cannot be read.
fn sockaddr(mem: Memory, addr: u64, len: u64) -> Arg {
    mem.sockaddr(addr, len)
        .map_or(Arg::Text(pointer(addr)), Arg::Addr)
}

fn flags(raw: u64) -> Arg {
    Arg::Const(names::msg_flags(raw as i32))
}

fn shutdown_how(how: u64) -> Arg {
    match how as i32 {
        libc::SHUT_RD => Arg::Shutdown(Shutdown::Read),
        libc::SHUT_WR => Arg::Shutdown(Shutdown::Write),
        libc::SHUT_RDWR => Arg::Shutdown(Shutdown::Both),
        other => Arg::Int(i64::from(other)),
    }
}

/// A pointer the trace does not follow, as strace prints one.
fn pointer(p: u64) -> String {
    if p == 0 {
        "NULL".into()
    } else {
        format!("{p:#x}")
    }
}
