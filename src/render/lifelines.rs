//! Which socket each event is about: the lifelines of a sequence diagram, one per socket.
//!
//! A listener and each connection `accept()` hands over are different sockets: the listener
//! stays LISTEN until its own `close()`, while each accepted connection lives its own life
//! (ESTAB, CLOSE-WAIT, gone). Drawing them on one lifeline would show the listener turning
//! ESTAB and closing twice, which never happened.
//!
//! A socket is known by its fd while it is open, within a group of actors that share one fd
//! table (a lesson's server and the connections it accepts; a traced process); after its
//! `close()`, by its 4-tuple (the kernel still moves the connection: FIN-WAIT-2 → TIME-WAIT).

use crate::trace::{Arg, Detail, Event, Kind, Syscall};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::RawFd;

/// One socket's lifeline.
pub(crate) struct Lifeline {
    /// What the picture calls it: the actor that uses it (`srv`, `conn`), or, where one actor
    /// has several sockets, the actor and the fd (`listen fd 4`).
    pub name: String,
    group: usize,
    fd: Option<RawFd>,
    /// The actor of its own latest event, if it had one yet.
    actor: Option<String>,
    /// The actor that made it (for a connection, the one that accepted it).
    maker: String,
}

/// The lifelines of a run and the lifeline of each event.
pub(crate) struct Lifelines {
    /// In drawing order: by group, then in order of creation.
    pub lines: Vec<Lifeline>,
    /// For each event (by index), the lifeline it is drawn on; `None`: not drawn.
    pub of_event: Vec<Option<usize>>,
    /// For each `accept()` (by event index), the lifeline of the connection it handed over.
    pub accepted: HashMap<usize, usize>,
    /// A connection by its 4-tuple (local, peer), and a bound socket with no peer by its port.
    by_tuple: HashMap<(SocketAddr, SocketAddr), usize>,
    /// A bound socket with no peer, by its port: its address and lifeline.
    by_port: HashMap<u16, (IpAddr, usize)>,
}

/// `groups`: each group's name and the actors in it, whose fds are one table.
pub(crate) fn of(events: &[Event], groups: &[(String, Vec<String>)]) -> Lifelines {
    let group_of: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, (_, actors))| actors.iter().map(move |a| (a.as_str(), g)))
        .collect();
    let mut b = Builder::default();
    for (i, e) in events.iter().enumerate() {
        let Some(&g) = group_of.get(e.actor.as_str()) else {
            b.of_event.push(None);
            continue;
        };
        let line = match e.kind {
            Kind::Call => Some(b.call(i, e, g)),
            Kind::Kernel => Some(b.by_tuple_or_actor(e, g)),
            Kind::Wait => Some(b.of_actor(e, g)),
            Kind::Note | Kind::Check | Kind::Segment => None,
        };
        b.of_event.push(line);
    }
    b.finish()
}

#[derive(Default)]
struct Builder {
    lines: Vec<Lifeline>,
    of_event: Vec<Option<usize>>,
    accepted: HashMap<usize, usize>,
    /// Open fds: (group, fd) → lifeline.
    open: HashMap<(usize, RawFd), usize>,
    /// Each actor's latest lifeline, for what names no fd (`poll()`, a lesson's `wait`).
    by_actor: HashMap<String, usize>,
    by_tuple: HashMap<(SocketAddr, SocketAddr), usize>,
    by_port: HashMap<u16, (IpAddr, usize)>,
}

impl Builder {
    fn new_line(&mut self, group: usize, fd: Option<RawFd>, maker: &str) -> usize {
        self.lines.push(Lifeline {
            name: String::new(),
            group,
            fd,
            actor: None,
            maker: maker.to_string(),
        });
        self.lines.len() - 1
    }

    /// Marks `line` as used by `actor` (its own event, not the `accept()` that made it). The
    /// lifeline is named for the last actor that used it: a chat client's thread is renamed
    /// once the client says its name.
    fn own(&mut self, line: usize, actor: &str) {
        if self.lines[line].actor.as_deref() != Some(actor) {
            self.lines[line].actor = Some(actor.to_string());
        }
        self.by_actor.insert(actor.to_string(), line);
    }

    fn call(&mut self, i: usize, e: &Event, g: usize) -> usize {
        let registered = registers(e).and_then(|fd| self.open.get(&(g, fd)).copied());
        let line = match (e.fd, registered) {
            (Some(fd), _) => self.of_fd(g, fd, &e.actor),
            // `epoll_ctl()` on a socket's fd is drawn on that socket's lifeline (by whoever
            // calls it: the lifeline keeps its name).
            (None, Some(line)) => line,
            (None, None) => self.of_actor(e, g),
        };
        if registered.is_none() {
            self.own(line, &e.actor);
        }
        match &e.detail {
            // accept()'s event is the listener's, its ends the new connection's.
            Some(Detail::Accepted { fd, .. }) if !e.failed() => {
                let new = self.new_line(g, Some(*fd), &e.actor);
                self.open.insert((g, *fd), new);
                self.accepted.insert(i, new);
                self.ends(e, new);
            }
            _ => self.ends(e, line),
        }
        if e.call == Some(Syscall::Close) && e.fd_gone {
            self.open.retain(|_, l| *l != line);
        }
        line
    }

    /// The open socket `fd` of group `g`; one accepted elsewhere and not used yet (a connection
    /// handed to another thread or a forked child keeps its fd); else a new one.
    fn of_fd(&mut self, g: usize, fd: RawFd, actor: &str) -> usize {
        if let Some(&l) = self.open.get(&(g, fd)) {
            return l;
        }
        let handed = self
            .open
            .iter()
            .find(|((_, f), l)| *f == fd && self.lines[**l].actor.is_none())
            .map(|(_, l)| *l);
        // A fd-less lifeline the actor started (a `getaddrinfo()` before its `socket()`).
        let unnamed = self
            .by_actor
            .get(actor)
            .copied()
            .filter(|l| self.lines[*l].fd.is_none());
        let line = match handed.or(unnamed) {
            Some(l) => l,
            None => self.new_line(g, Some(fd), actor),
        };
        self.lines[line].fd = Some(fd);
        self.open.insert((g, fd), line);
        line
    }

    fn of_actor(&mut self, e: &Event, g: usize) -> usize {
        match self.by_actor.get(e.actor.as_str()) {
            Some(&l) => l,
            None => {
                let l = self.new_line(g, None, &e.actor);
                self.own(l, &e.actor);
                l
            }
        }
    }

    /// A change the kernel made: the connection with those ends, else the actor's socket.
    fn by_tuple_or_actor(&mut self, e: &Event, g: usize) -> usize {
        match (e.local, e.peer) {
            (Some(l), Some(p)) if self.by_tuple.contains_key(&(l, p)) => self.by_tuple[&(l, p)],
            _ => self.of_actor(e, g),
        }
    }

    /// Remembers the ends a call showed for `line`.
    fn ends(&mut self, e: &Event, line: usize) {
        match (e.local.filter(|a| a.port() != 0), e.peer) {
            (Some(l), Some(p)) => {
                self.by_tuple.insert((l, p), line);
            }
            (Some(l), None) => {
                self.by_port.entry(l.port()).or_insert((l.ip(), line));
            }
            _ => {}
        }
    }

    fn finish(self) -> Lifelines {
        let Builder {
            mut lines,
            of_event,
            accepted,
            by_tuple,
            by_port,
            ..
        } = self;
        name(&mut lines);
        // Drawing order: by group, then by creation (a sort that keeps equal keys in order).
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|l| lines[*l].group);
        let mut at = vec![0; lines.len()];
        for (pos, l) in order.iter().enumerate() {
            at[*l] = pos;
        }
        let mut slots: Vec<Option<Lifeline>> = lines.into_iter().map(Some).collect();
        let lines = order
            .iter()
            .map(|l| slots[*l].take().expect("each lifeline once"))
            .collect();
        Lifelines {
            lines,
            of_event: of_event.into_iter().map(|l| l.map(|l| at[l])).collect(),
            accepted: accepted.into_iter().map(|(i, l)| (i, at[l])).collect(),
            by_tuple: by_tuple.into_iter().map(|(k, l)| (k, at[l])).collect(),
            by_port: by_port
                .into_iter()
                .map(|(k, (ip, l))| (k, (ip, at[l])))
                .collect(),
        }
    }
}

/// Names each lifeline by its actor; where an actor has several, by actor and fd; a name
/// given twice (an fd used again) gets a number.
fn name(lines: &mut [Lifeline]) {
    let actor = |l: &Lifeline| l.actor.clone().unwrap_or_else(|| l.maker.clone());
    let mut per_actor: HashMap<String, usize> = HashMap::new();
    for l in lines.iter() {
        *per_actor.entry(actor(l)).or_default() += 1;
    }
    let mut given: HashMap<String, usize> = HashMap::new();
    for l in lines.iter_mut() {
        let a = actor(l);
        let base = match l.fd {
            Some(fd) if per_actor[&a] > 1 => format!("{a} fd {fd}"),
            _ => a,
        };
        let n = given.entry(base.clone()).or_default();
        *n += 1;
        l.name = if *n == 1 {
            base
        } else {
            format!("{base} ({n})")
        };
    }
}

/// The fd `epoll_ctl()` registers, changes or removes (its third argument).
fn registers(e: &Event) -> Option<RawFd> {
    match (e.call, e.args.get(2)) {
        (Some(Syscall::EpollCtl), Some(Arg::Fd(fd))) => Some(*fd),
        _ => None,
    }
}

impl Lifelines {
    /// The lifeline a segment from `local` to `peer` reaches: the connection with those ends
    /// reversed; for the handshake (`handshake`), or when no connection has them, the socket
    /// bound to the peer's port (the listener: it answers the SYN, before any `accept()`).
    pub fn reached(
        &self,
        local: Option<SocketAddr>,
        peer: Option<SocketAddr>,
        handshake: bool,
    ) -> Option<usize> {
        let peer = peer.filter(|p| p.port() != 0)?;
        let connection = local.and_then(|l| self.by_tuple.get(&(peer, l)).copied());
        let listener = self.by_port.get(&peer.port()).map(|(_, l)| *l);
        if handshake {
            listener.or(connection)
        } else {
            connection.or(listener)
        }
    }

    /// The lifeline of a captured segment's end at `addr`, talking to `other`: the connection
    /// with those ends, else the socket bound to `addr`'s port (a listener, or a socket whose
    /// `connect()` failed and so never had a peer). `early`: the connection's lifeline has not
    /// started yet and the segment belongs to the handshake — the listener answers a SYN before
    /// any `accept()` hands the connection over, so the picture draws it there.
    pub fn end(
        &self,
        addr: SocketAddr,
        other: SocketAddr,
        handshake: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let bound = self
            .by_port
            .get(&addr.port())
            .filter(|(ip, _)| same_ip(*ip, addr.ip()))
            .map(|(_, l)| *l);
        let connection = self.by_tuple.get(&(addr, other)).copied().or_else(|| {
            // The trace may know the socket by 0.0.0.0 (or ::ffff:10.0.0.2 for 10.0.0.2).
            self.by_tuple
                .iter()
                .find(|((l, p), _)| same_end(*l, addr) && same_end(*p, other))
                .map(|(_, c)| *c)
        });
        match connection {
            Some(c) if handshake(c) => bound.or(Some(c)),
            Some(c) => Some(c),
            None => bound,
        }
    }
}

/// Is the address the trace knows (`known`) the one on the wire? The wildcard address (a
/// socket bound to 0.0.0.0 or ::) is every address of its host; an IPv4 address may be
/// written IPv6's way (`::ffff:10.0.0.1`) by a dual-stack socket.
fn same_ip(known: IpAddr, wire: IpAddr) -> bool {
    known.is_unspecified() || known.to_canonical() == wire.to_canonical()
}

fn same_end(known: SocketAddr, wire: SocketAddr) -> bool {
    known.port() == wire.port() && same_ip(known.ip(), wire.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp_state::TcpState;

    fn call(actor: &str, call: Syscall, fd: RawFd) -> Event {
        let mut e = Event::call(actor, call, Some(fd), vec![Arg::Fd(fd)]);
        e.ret = Some(0);
        e
    }

    #[test]
    fn an_accepted_connection_gets_its_own_lifeline_and_the_fd_used_again_a_new_one() {
        let (srv, peer): (SocketAddr, SocketAddr) = (
            "127.0.0.1:8888".parse().unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
        );
        let mut listen = call("nc", Syscall::Listen, 3);
        (listen.local, listen.state) = (Some(srv), Some(TcpState::Listen));
        let mut accept = call("nc", Syscall::Accept4, 3);
        (accept.local, accept.peer, accept.detail) = (
            Some(srv),
            Some(peer),
            Some(Detail::Accepted { fd: 4, peer }),
        );
        let recv = call("nc", Syscall::Recv, 4);
        let mut close = call("nc", Syscall::Close, 4);
        close.fd_gone = true;
        let mut kernel = Event::new(Kind::Kernel, "nc");
        (kernel.local, kernel.peer) = (Some(srv), Some(peer));
        let again = call("nc", Syscall::Socket, 4);
        let events = [listen, accept, recv, close, kernel, again];
        let l = of(&events, &[("nc".into(), vec!["nc".into()])]);
        let names: Vec<&str> = l.lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["nc fd 3", "nc fd 4", "nc fd 4 (2)"]);
        assert_eq!(
            l.of_event,
            [Some(0), Some(0), Some(1), Some(1), Some(1), Some(2)]
        );
        assert_eq!(l.accepted[&1], 1);
        // The client's SYN reaches the listener; its data, the accepted connection.
        assert_eq!(l.reached(Some(peer), Some(srv), true), Some(0));
        assert_eq!(l.reached(Some(peer), Some(srv), false), Some(1));
    }
}
