//! Running a lesson: each step is a real call on a real socket through [`TracedSocket`], in
//! one process, and each expectation is checked against what the trace recorded — the same
//! events the student sees, so a lesson can never pass on something the trace did not show.
//!
//! Every wait is bounded: a blocking `accept()` or `recv()` that nothing would ever satisfy is
//! refused (after a bounded `poll`) instead of hanging the class, and `wait` polls the
//! kernel's table for at most [`WAIT_LIMIT`].

use super::format::{Call, Cond, Expect, Lang, Lesson, Ret, SockOpt, StepKind, Target};
use crate::kernel::check::{wait_until, Verdict};
use crate::kernel::table::{self, unspecified_like};
use crate::tcp_state::TcpState;
use crate::trace::{names, Collector, Event, Kind, Sink, Tee, TracedSocket, Tracer};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use socket2::{Domain, Protocol, Type};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

/// The longest any step may wait for the kernel: a SYN retransmission takes 1 s.
pub const WAIT_LIMIT: Duration = Duration::from_secs(3);

/// Called before each step with its line number and text (`--step`).
pub type BeforeStep = Box<dyn Fn(usize, &str)>;

/// How a lesson is run.
pub struct Options {
    pub lang: Lang,
    pub before_step: Option<BeforeStep>,
}

/// One expectation's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub line: usize,
    pub ok: bool,
    /// `lessons/x.lesson:12: expected CLOSE-WAIT, kernel reports ESTAB`, or what was met.
    pub message: String,
}

/// What a run did.
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub events: Vec<Event>,
    /// Socket name → the column (actor) it belongs to in a diagram, in order of appearance.
    pub columns: Vec<(String, Vec<String>)>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.ok)
    }

    /// The failures, each as `file:line: expected …`.
    pub fn failures(&self) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| !o.ok).collect()
    }
}

struct Sock {
    s: Option<TracedSocket>,
    /// The last address it had (kept after close: a later bind may reuse its port).
    local: Option<SocketAddr>,
    nonblocking: bool,
}

/// What a call returned, as the lesson's `=` compares it.
struct Got {
    ret: i64,
    errno: Option<String>,
    data: Option<Vec<u8>>,
}

impl Got {
    fn value(ret: i64) -> Got {
        Got { ret, errno: None, data: None }
    }

    fn err(e: &io::Error) -> Got {
        Got { ret: -1, errno: Some(names::errno(e).0), data: None }
    }

    fn text(&self) -> String {
        match (&self.errno, &self.data) {
            (Some(e), _) => format!("= -1 {e}"),
            (None, Some(d)) => format!("= {}", names::quoted(d, 64)),
            (None, None) => format!("= {}", self.ret),
        }
    }
}

/// Runs `lesson`, sending every event to `sink` as it happens.
pub fn run(lesson: &Lesson, sink: Arc<dyn Sink>, opts: &Options) -> Report {
    let collector = Collector::new();
    let tracer = Tracer::new(Arc::new(Tee(vec![collector.clone(), sink])));
    let mut r = Runner { lesson, tracer, collector, socks: HashMap::new(), outcomes: Vec::new(), columns: Vec::new() };
    let lang = opts.lang;
    r.tracer.note("lesson", &format!("{} — {}", lesson.title.get(lang), lesson.question.get(lang)));
    if !lesson.explain.en.is_empty() {
        r.tracer.note("lesson", lesson.explain.get(lang));
    }
    for step in &lesson.steps {
        if let Some(f) = &opts.before_step {
            f(step.line, &step.source);
        }
        match &step.kind {
            StepKind::Note(t) => r.tracer.note("lesson", t.get(lang)),
            StepKind::Call { sock, call, expect } => r.step(step.line, sock, call, expect),
        }
    }
    // Leftover sockets are let go without tracing: cleaning up is not part of the lesson.
    for (_, s) in r.socks.drain() {
        if let Some(s) = s.s {
            drop(s.untrace());
        }
    }
    Report { outcomes: r.outcomes, events: r.collector.events(), columns: r.columns }
}

struct Runner<'a> {
    lesson: &'a Lesson,
    tracer: Arc<Tracer>,
    collector: Arc<Collector>,
    socks: HashMap<String, Sock>,
    outcomes: Vec<Outcome>,
    columns: Vec<(String, Vec<String>)>,
}

impl Runner<'_> {
    fn step(&mut self, line: usize, name: &str, call: &Call, expect: &Expect) {
        let first_event = self.collector.len();
        let got = self.call(line, name, call);
        let Some(got) = got else { return };
        // The step's own event: the last call its socket made (a kernel event about another
        // connection may have been reported after it).
        let ev = self.collector.since(first_event).into_iter().rev().find(|e| e.kind == Kind::Call && e.actor == name);
        self.check(line, name, expect, &got, ev.as_ref());
    }

    fn sock(&self, name: &str) -> Option<&TracedSocket> {
        self.socks.get(name).and_then(|s| s.s.as_ref())
    }

    fn fail(&mut self, line: usize, name: &str, msg: String) {
        self.record(line, name, false, msg);
    }

    fn record(&mut self, line: usize, name: &str, ok: bool, msg: String) {
        let message = if ok { msg } else { format!("{}:{line}: {msg}", self.lesson.path.display()) };
        let mut ev = Event::new(Kind::Check, name, "", String::new());
        ev.verdict = if ok { Verdict::Agrees } else { Verdict::Differs };
        ev.note = Some(message.clone());
        self.tracer.emit(ev);
        self.outcomes.push(Outcome { line, ok, message });
    }

    /// Where a target points, now.
    fn resolve(&self, t: &Target) -> Option<SocketAddr> {
        let local_of = |n: &str| self.socks.get(n).and_then(|s| s.local);
        match t {
            Target::Addr(a) => Some(*a),
            Target::Sock(n) => local_of(n).map(|a| {
                // A wildcard address (0.0.0.0, ::) is reached through the loopback.
                let ip = match a.ip() {
                    IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ip => ip,
                };
                SocketAddr::new(ip, a.port())
            }),
            Target::PortOf(ip, n) => local_of(n).map(|a| SocketAddr::new(*ip, a.port())),
        }
    }

    /// Waits (bounded) until `name` is readable, so a blocking call cannot hang the lesson.
    fn ready(&self, name: &str) -> bool {
        let Some(s) = self.sock(name) else { return false };
        if self.socks[name].nonblocking {
            return true;
        }
        let mut fds = [PollFd::new(s.as_fd(), PollFlags::POLLIN)];
        let ms = u16::try_from(WAIT_LIMIT.as_millis()).unwrap_or(u16::MAX);
        nix::poll::poll(&mut fds, PollTimeout::from(ms)).is_ok_and(|n| n > 0)
    }

    fn remember_local(&mut self, name: &str) {
        if let Some(a) = self.sock(name).and_then(|s| s.local_addr().ok()).filter(|a| a.port() != 0) {
            if let Some(s) = self.socks.get_mut(name) {
                s.local = Some(a);
            }
        }
    }

    fn column_of(&mut self, name: &str, of: Option<&str>) {
        let col = of.and_then(|o| self.columns.iter().position(|(_, socks)| socks.iter().any(|s| s == o)));
        match col {
            Some(i) => self.columns[i].1.push(name.to_string()),
            None => self.columns.push((name.to_string(), vec![name.to_string()])),
        }
    }

    /// Makes the call; `None` if it could not be made (the reason is recorded).
    fn call(&mut self, line: usize, name: &str, call: &Call) -> Option<Got> {
        let tracer = Some(self.tracer.clone());
        if let Call::Socket { udp, v6 } = call {
            let domain = if *v6 { Domain::IPV6 } else { Domain::IPV4 };
            let (ty, proto) = if *udp { (Type::DGRAM, Protocol::UDP) } else { (Type::STREAM, Protocol::TCP) };
            return match TracedSocket::new(tracer, name, domain, ty, Some(proto)) {
                Ok(s) => {
                    let fd = s.fd();
                    self.socks.insert(name.to_string(), Sock { s: Some(s), local: None, nonblocking: false });
                    self.column_of(name, None);
                    Some(Got::value(i64::from(fd)))
                }
                Err(e) => Some(Got::err(&e)),
            };
        }
        if let Call::Resolve(host) = call {
            return Some(self.getaddrinfo(name, host));
        }
        if let Call::Wait(cond) = call {
            return Some(self.wait(line, name, cond));
        }
        if self.sock(name).is_none() {
            self.fail(line, name, format!("'{name}' does not exist: an earlier step failed"));
            return None;
        }
        let got = match call {
            Call::SetOpt(opt, v) => {
                let s = self.sock(name)?;
                let on = *v != 0;
                let r = match opt {
                    SockOpt::ReuseAddr => s.set_reuse_address(on),
                    SockOpt::ReusePort => s.set_reuse_port(on),
                    SockOpt::Linger => s.set_linger(Some(Duration::from_secs(*v))),
                    SockOpt::NoDelay => s.set_nodelay(on),
                    SockOpt::RcvBuf => s.set_recv_buffer_size(*v as usize),
                    SockOpt::SndBuf => s.set_send_buffer_size(*v as usize),
                    SockOpt::V6Only => s.set_only_v6(on),
                };
                unit(r)
            }
            Call::Nonblock => {
                let r = self.sock(name)?.set_nonblocking(true);
                if let Some(s) = self.socks.get_mut(name) {
                    s.nonblocking = r.is_ok();
                }
                unit(r)
            }
            Call::Bind(t) => match self.resolve_or_fail(line, name, t) {
                Some(a) => unit(self.sock(name)?.bind(a)),
                None => return None,
            },
            Call::Listen(n) => unit(self.sock(name)?.listen(*n)),
            Call::Connect(t) => match self.resolve_or_fail(line, name, t) {
                Some(a) => unit(self.sock(name)?.connect(a)),
                None => return None,
            },
            Call::Accept { new } => {
                if !self.ready(name) {
                    self.fail(line, name, format!("accept() would wait forever: no connection is waiting on {name}"));
                    return None;
                }
                match self.sock(name)?.accept() {
                    Ok((s, _)) => {
                        s.set_actor(new);
                        let fd = s.fd();
                        let local = s.local_addr().ok();
                        self.socks.insert(new.clone(), Sock { s: Some(s), local, nonblocking: false });
                        self.column_of(new, Some(name));
                        Got::value(i64::from(fd))
                    }
                    Err(e) => Got::err(&e),
                }
            }
            Call::Send(data) => match self.sock(name)?.send(data) {
                Ok(n) => Got::value(n as i64),
                Err(e) => Got::err(&e),
            },
            Call::Recv { len, flags } => {
                if *flags & libc::MSG_DONTWAIT == 0 && !self.ready(name) {
                    self.fail(line, name, "recv() would wait forever: nothing will arrive".into());
                    return None;
                }
                let mut buf = vec![0u8; *len];
                match self.sock(name)?.recv_with_flags(&mut buf, *flags) {
                    Ok(n) => Got { ret: n as i64, errno: None, data: Some(buf[..n].to_vec()) },
                    Err(e) => Got::err(&e),
                }
            }
            Call::SendTo(t, data) => match self.resolve_or_fail(line, name, t) {
                Some(a) => match self.sock(name)?.send_to(data, a) {
                    Ok(n) => Got::value(n as i64),
                    Err(e) => Got::err(&e),
                },
                None => return None,
            },
            Call::RecvFrom(len) => {
                if !self.ready(name) {
                    self.fail(line, name, "recvfrom() would wait forever: no datagram will arrive".into());
                    return None;
                }
                let mut buf = vec![0u8; *len];
                match self.sock(name)?.recv_from(&mut buf) {
                    Ok((n, _)) => Got { ret: n as i64, errno: None, data: Some(buf[..n].to_vec()) },
                    Err(e) => Got::err(&e),
                }
            }
            Call::Shutdown(how) => unit(self.sock(name)?.shutdown(*how)),
            Call::Close => {
                let s = self.socks.get_mut(name)?.s.take()?;
                unit(s.close())
            }
            Call::Poll { out, ms } => {
                let s = self.sock(name)?;
                let flags = if *out { PollFlags::POLLOUT } else { PollFlags::POLLIN };
                let mut fds = [PollFd::new(s.as_fd(), flags)];
                let timeout = PollTimeout::try_from(*ms).unwrap_or(PollTimeout::NONE);
                match crate::trace::poll::poll(Some(&self.tracer), name, &mut fds, timeout) {
                    Ok(n) => Got::value(n as i64),
                    Err(e) => Got::err(&e),
                }
            }
            Call::SoError => match self.sock(name)?.take_error() {
                Ok(None) => Got::value(0),
                Ok(Some(e)) => Got { ret: 0, errno: Some(names::errno(&e).0), data: None },
                Err(e) => Got::err(&e),
            },
            Call::Socket { .. } | Call::Resolve(_) | Call::Wait(_) => unreachable!("handled above"),
        };
        self.remember_local(name);
        Some(got)
    }

    fn resolve_or_fail(&mut self, line: usize, name: &str, t: &Target) -> Option<SocketAddr> {
        let a = self.resolve(t);
        if a.is_none() {
            self.fail(line, name, format!("{t:?} has no address yet (bind or connect it first)"));
        }
        a
    }

    /// `getaddrinfo(host)`: every address the host has, as the C library returns them.
    fn getaddrinfo(&mut self, name: &str, host: &str) -> Got {
        let mut ev =
            Event::new(Kind::Call, name, "getaddrinfo", format!("\"{host}\", NULL, {{ai_socktype=SOCK_STREAM}}"));
        let got = match (host, 0).to_socket_addrs() {
            Ok(addrs) => {
                let ips: Vec<String> = addrs.map(|a| a.ip().to_string()).collect();
                ev.ret = Some(0);
                ev.detail = Some(ips.join(", "));
                Got::value(ips.len() as i64)
            }
            Err(e) => {
                ev.ret = Some(-1);
                ev.errmsg = Some(e.to_string());
                Got::err(&e)
            }
        };
        self.tracer.emit(ev);
        got
    }

    /// What the table shows for `name` now: (state, recvq) — by its 4-tuple, also after close.
    fn kernel_view(&self, name: &str) -> (Option<TcpState>, Option<u32>) {
        let row = self.kernel_row(name);
        (row.as_ref().and_then(|r| r.state), row.map(|r| r.recv_q))
    }

    /// The table's row for `name`'s 4-tuple (a listener's: with no peer), also after close.
    fn kernel_row(&self, name: &str) -> Option<table::SocketRow> {
        let t = self.tracer.table()?;
        let local = self.socks.get(name).and_then(|s| s.local)?;
        let listening =
            self.sock(name).and_then(|s| table::fd_state(s.as_fd()).ok().flatten()) == Some(TcpState::Listen);
        // A listener's row has no peer; a connection's peer is its own, or (fd gone) the last
        // one the trace showed for it.
        let peer = if listening {
            unspecified_like(&local)
        } else {
            self.sock(name)
                .and_then(|s| s.peer_addr().ok())
                .or_else(|| self.last_peer(name))
                .unwrap_or_else(|| unspecified_like(&local))
        };
        t.lookup(local, peer).ok().flatten()
    }

    /// The last peer address the trace showed for `name`'s own connection (its fd may be gone).
    fn last_peer(&self, name: &str) -> Option<SocketAddr> {
        self.collector
            .events()
            .iter()
            .rev()
            .filter(|e| e.actor == name && e.kind == Kind::Call && e.call != "accept4")
            .find_map(|e| e.peer.as_ref()?.parse().ok())
    }

    fn wait(&mut self, line: usize, name: &str, cond: &Cond) -> Got {
        let fd_state = |r: &Runner| r.sock(name).and_then(|s| table::fd_state(s.as_fd()).ok().flatten());
        let met = wait_until(WAIT_LIMIT, || match cond {
            Cond::State(s) => fd_state(self) == Some(*s),
            Cond::Kernel(s) => self.kernel_view(name).0 == *s,
            Cond::RecvQ(n) => self.kernel_view(name).1 == Some(*n),
        });
        let (kstate, recvq) = self.kernel_view(name);
        let mut ev = Event::new(Kind::Kernel, name, "", format!("wait for {}", cond_text(cond)));
        ev.kernel = kstate;
        ev.recv_q = recvq;
        ev.state = fd_state(self);
        ev.fd_gone = self.sock(name).is_none();
        // The timer too: TIME-WAIT's says how long the 4-tuple stays taken (`ss -o`).
        let timer = self.kernel_row(name).map(|r| r.timer_text()).filter(|t| !t.is_empty());
        ev.note = Some(match (kstate, recvq) {
            (Some(s), Some(q)) => format!(
                "the kernel's table: {s}, Recv-Q {q}{}",
                timer.map(|t| format!(", timer {t}")).unwrap_or_default()
            ),
            _ => "the kernel's table: no row".to_string(),
        });
        self.tracer.emit(ev);
        if met {
            self.record(line, name, true, format!("{} (waited)", cond_text(cond)));
        } else {
            let now = match cond {
                Cond::State(_) => format!("fd reports {}", fd_state(self).map_or("no state".into(), |s| s.to_string())),
                Cond::Kernel(_) => format!("kernel reports {}", kstate.map_or("no row".into(), |s| s.to_string())),
                Cond::RecvQ(_) => format!("kernel reports Recv-Q {}", recvq.map_or("-".into(), |q| q.to_string())),
            };
            self.fail(line, name, format!("expected {} within {} s, {now}", cond_text(cond), WAIT_LIMIT.as_secs()));
        }
        // `wait` checks its own condition; there is nothing more to compare.
        Got { ret: 0, errno: None, data: None }
    }

    /// Compares what happened with what the lesson expected.
    fn check(&mut self, line: usize, name: &str, e: &Expect, got: &Got, ev: Option<&Event>) {
        if e.is_empty() {
            return;
        }
        let mut met = Vec::new();
        let mut failed = Vec::new();
        if let Some(r) = &e.ret {
            let ok = match r {
                Ret::Any => true,
                Ret::Value(v) => got.errno.is_none() && got.ret == *v,
                Ret::Errno(n) => got.errno.as_deref() == Some(n.as_str()),
                Ret::Data(d) => got.errno.is_none() && got.data.as_deref() == Some(d.as_slice()),
            };
            let want = match r {
                Ret::Any => "= ...".to_string(),
                Ret::Value(v) => format!("= {v}"),
                Ret::Errno(n) => format!("= -1 {n}"),
                Ret::Data(d) => format!("= {}", names::quoted(d, 64)),
            };
            if ok {
                met.push(want);
            } else {
                failed.push(format!("expected {want}, got {}", got.text()));
            }
        }
        let name_of = |s: Option<TcpState>| s.map_or("no state".to_string(), |s| s.to_string());
        if let Some(want) = e.state {
            let have = ev.and_then(|ev| ev.state);
            if have.zip(want).is_some_and(|(h, w)| h.same_as(w)) || (have.is_none() && want.is_none()) {
                met.push(format!("state {}", name_of(want)));
            } else {
                failed.push(format!("expected state {}, fd reports {}", name_of(want), name_of(have)));
            }
        }
        if let Some(want) = e.kernel {
            let have = ev.and_then(|ev| ev.kernel);
            let gone = |s: Option<TcpState>| s.map_or("gone".to_string(), |s| s.to_string());
            if have.zip(want).is_some_and(|(h, w)| h.same_as(w)) || (have.is_none() && want.is_none()) {
                met.push(format!("kernel {}", gone(want)));
            } else {
                failed.push(format!("expected {}, kernel reports {}", gone(want), gone(have)));
            }
        }
        for (what, want, have) in
            [("Recv-Q", e.recvq, ev.and_then(|ev| ev.recv_q)), ("Send-Q", e.sendq, ev.and_then(|ev| ev.send_q))]
        {
            if let Some(w) = want {
                if have == Some(w) {
                    met.push(format!("{what} {w}"));
                } else {
                    failed.push(format!(
                        "expected {what} {w}, kernel reports {}",
                        have.map_or("-".into(), |h| h.to_string())
                    ));
                }
            }
        }
        if failed.is_empty() {
            self.record(line, name, true, met.join(", "));
        } else {
            for f in failed {
                self.fail(line, name, f);
            }
        }
    }
}

fn unit(r: io::Result<()>) -> Got {
    match r {
        Ok(()) => Got::value(0),
        Err(e) => Got::err(&e),
    }
}

fn cond_text(c: &Cond) -> String {
    match c {
        Cond::State(s) => format!("state {s}"),
        Cond::Kernel(Some(s)) => format!("kernel {s}"),
        Cond::Kernel(None) => "kernel gone".into(),
        Cond::RecvQ(n) => format!("Recv-Q {n}"),
    }
}
