//! Running a lesson: each step is a real call on a real socket through [`TracedSocket`], in
//! one process, and each expectation is checked against what the trace recorded — the same
//! events the student sees, so a lesson can never pass on something the trace did not show.
//!
//! Every wait is bounded: a blocking `accept()` or `recv()` that nothing would ever satisfy is
//! refused (after a bounded `poll`) instead of hanging the class; a blocking `send()` or
//! `connect()` is interrupted after its limit ([`super::bounded`]); and `wait` polls the
//! kernel's table for at most [`WAIT_LIMIT`].

use super::expect::{self, Got};
use super::format::{Call, Cond, Expect, Lang, Lesson, StepKind, Target};
use super::wire::WireExpect;
use crate::i18n::{f, t, M};
use crate::kernel::check::{wait_until, Verdict};
use crate::kernel::table;
use crate::net::lesson::{LessonNet, WireOut};
use crate::tcp_state::TcpState;
use crate::trace::event::LESSON_ACTOR;
use crate::trace::{Arg, Collector, Detail, Event, Kind, Sink, Tee, TracedSocket, Tracer};
use crate::transitions;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use socket2::{Domain, Protocol, Type};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

/// The longest any step may wait for the kernel: a SYN retransmission takes 1 s.
pub const WAIT_LIMIT: Duration = Duration::from_secs(3);

/// The longest a blocking `connect()` may wait for its handshake. Unanswered, the kernel gives
/// up only when its SYN retries run out: about 127 s by default (6 retries, each timeout twice
/// the last). A lesson that loses SYNs on purpose needs more than [`WAIT_LIMIT`]: lost-syns'
/// `connect()` ends with ETIMEDOUT after 1 + 2 = 3 s (TCP_SYNCNT 1), exactly that limit; a
/// handshake whose first three SYNs are lost ends after 1 + 2 + 4 = 7 s (the timer doubling,
/// as lost-syns sets it; Linux ≥ 6.5 retries 1 s apart at first: 3 s). 10 s lets both end by
/// themselves, with room for a loaded machine, and a class waits no longer than that.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// Called before each step with its line number and text (`--step`); `false` stops the lesson
/// there (`q`): the sockets it opened are closed, traced, and the report says where it stopped.
pub type BeforeStep = Box<dyn Fn(usize, &str) -> bool>;

/// How a lesson is run.
pub struct Options {
    pub lang: Lang,
    pub before_step: Option<BeforeStep>,
    /// Run the kernel observer beside the lesson (`--step`: what the kernel does while the
    /// student reads is shown as it happens). Otherwise the table is read after each event,
    /// which makes every run print the same trace.
    pub live: bool,
    /// Which segments the trace shows (in lab's own network, where they are captured), and
    /// the pcapng file every packet goes to.
    pub wire: crate::trace::wire::Show,
    pub pcap: Option<crate::trace::wire::Pcap>,
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
    /// The line before which the person stepping through quit (`q`), if they did.
    pub stopped_at: Option<usize>,
    /// Why the lesson could not run here at all (its hosts cannot be made), if so.
    pub not_run: Option<String>,
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
    /// The last peer it had (kept after close: `wait` follows the 4-tuple).
    peer: Option<SocketAddr>,
    nonblocking: bool,
    /// The host it was made on (an accepted socket: its listener's), in a lesson with hosts.
    host: Option<String>,
}

/// Runs `lesson`, sending every event to `sink` as it happens.
pub fn run(lesson: &Lesson, sink: Arc<dyn Sink>, opts: Options) -> Report {
    let collector = Collector::new();
    let tracer = Tracer::new(Arc::new(Tee(vec![collector.clone(), sink])));
    if opts.live {
        tracer.observe_live(crate::trace::observer::INTERVAL);
    }
    let wire_off = opts.wire == crate::trace::wire::Show::Off;
    let (net, pcap) = match network(lesson, &tracer, opts.wire, opts.pcap) {
        Ok(started) => started,
        Err(why) => return not_run(tracer, collector, why),
    };
    if net.is_none() && crate::netns::own() {
        if let Err(e) = tracer.capture_wire(opts.wire, pcap) {
            tracer.note("wire", &e.to_string());
        }
    }
    let mut r = Runner {
        lesson,
        tracer,
        collector,
        socks: HashMap::new(),
        epolls: HashMap::new(),
        outcomes: Vec::new(),
        columns: Vec::new(),
        wire: WireCursor::default(),
        wire_off,
        net,
    };
    let stopped_at = r.steps(opts.lang, opts.before_step.as_ref());
    r.clean_up(opts.lang);
    r.wire_summary();
    Report {
        outcomes: r.outcomes,
        events: r.collector.events(),
        columns: r.columns,
        stopped_at,
        not_run: None,
    }
}

/// The lesson's hosts and link, if it has them, every packet on the link to the trace and to
/// `pcap`; why they cannot be made, if so. The pcap file back if the lesson has no hosts (the
/// capture on `lo` writes it then).
fn network(
    lesson: &Lesson,
    tracer: &Arc<Tracer>,
    show: crate::trace::wire::Show,
    pcap: Option<crate::trace::wire::Pcap>,
) -> Result<(Option<LessonNet>, Option<crate::trace::wire::Pcap>), String> {
    use crate::trace::wire::Show;
    let Some(n) = &lesson.network else {
        return Ok((None, pcap));
    };
    // On the link every segment is shown (a `wire` step may expect an ACK of data), or none.
    let show = if show == Show::Off {
        Show::Off
    } else {
        Show::All
    };
    let out = WireOut { show, pcap };
    let net = LessonNet::start((&n.hosts, &n.link), n.seed, n.mtu, tracer, out);
    let net = net.and_then(|net| {
        let hosts: Vec<String> = n
            .hosts
            .iter()
            .map(|h| format!("{h} {}", net.addrs(h)[0]))
            .collect();
        let rules = if n.link.is_empty() { "-" } else { &n.link };
        tracer.note("link", &f(M::NetHosts, &[&hosts.join(", "), &rules]));
        for (name, value) in &n.sysctls {
            let set = net
                .sysctl(name, value)
                .map_err(|e| format!("sysctl {name}={value}: {e}"))?;
            let m = if set {
                M::LessonSysctl
            } else {
                M::LessonNoSysctl
            };
            let words = f(m, &[name, value, &n.hosts.join(", ")]);
            tracer.note("link", &words);
        }
        Ok(net)
    });
    net.map(|net| (Some(net), None)).map_err(|e| {
        let why = match crate::netns::current() {
            crate::netns::Network::Refused(why) => why.clone(),
            _ => e,
        };
        f(M::LessonNeedsHosts, &[&why])
    })
}

/// A lesson that could not run here: the trace says why, and nothing was checked.
fn not_run(tracer: Arc<Tracer>, collector: Arc<Collector>, why: String) -> Report {
    tracer.note(LESSON_ACTOR, &why);
    Report {
        outcomes: Vec::new(),
        events: collector.events(),
        columns: Vec::new(),
        stopped_at: None,
        not_run: Some(why),
    }
}

struct Runner<'a> {
    lesson: &'a Lesson,
    tracer: Arc<Tracer>,
    collector: Arc<Collector>,
    socks: HashMap<String, Sock>,
    /// Each actor's epoll instance, and the fds registered with it.
    epolls: HashMap<String, (crate::trace::epoll::TracedEpoll, Vec<std::os::fd::RawFd>)>,
    outcomes: Vec<Outcome>,
    columns: Vec<(String, Vec<String>)>,
    wire: WireCursor,
    /// `--wire off`: no segment is in the trace, so no `wire` step can be checked.
    wire_off: bool,
    /// The lesson's hosts and link (`hosts: a b`).
    net: Option<LessonNet>,
}

/// Where the `wire` steps are in the captured segments: each takes the first match after the
/// event the previous one took, and times itself from that segment.
#[derive(Default)]
struct WireCursor {
    /// The index, in the trace's events, after the last segment a `wire` step took.
    next: usize,
    /// That segment's time (µs since the trace began).
    last_us: u64,
}

/// One end of a `wire` step: a socket's address (a wildcard one: any address with its port),
/// or every address of a host.
enum End {
    Addr(SocketAddr),
    Ips(Vec<IpAddr>),
    Unknown,
}

impl End {
    fn has(&self, a: SocketAddr) -> bool {
        match self {
            End::Addr(e) if e.ip().is_unspecified() => e.port() == a.port(),
            End::Addr(e) => *e == a,
            End::Ips(ips) => ips.contains(&a.ip()),
            End::Unknown => false,
        }
    }
}

impl Runner<'_> {
    /// The title, the question, the explanation, then every step (until `q`, if stepping);
    /// returns the line where the student quit.
    fn steps(&mut self, lang: Lang, before: Option<&BeforeStep>) -> Option<usize> {
        let l = self.lesson;
        let title = format!("{} — {}", l.title.get(lang), l.question.get(lang));
        self.tracer.note(LESSON_ACTOR, &title);
        if !l.explain.is_empty() {
            self.tracer.note(LESSON_ACTOR, l.explain.get(lang));
        }
        let mut wires: Vec<(usize, &WireExpect)> = Vec::new();
        for step in &l.steps {
            if let StepKind::Wire(w) = &step.kind {
                wires.push((step.line, w));
                continue;
            }
            if !wires.is_empty() {
                self.wires(&std::mem::take(&mut wires));
            }
            if before.is_some_and(|f| !f(step.line, &step.source)) {
                return Some(step.line);
            }
            match &step.kind {
                StepKind::Note(t) => self.tracer.note(LESSON_ACTOR, t.get(lang)),
                StepKind::Call { sock, call, expect } => self.step(step.line, sock, call, expect),
                StepKind::Link(rules) => self.link(step.line, rules),
                StepKind::Wire(_) => {}
            }
        }
        self.wires(&wires);
        None
    }

    /// `link SPEC`: the link's rules change now; the trace says what they are.
    fn link(&mut self, line: usize, rules: &str) {
        let Some(net) = &self.net else { return };
        // The rules now are said by the change itself, in its place among the segments.
        if let Err(e) = net.change(rules, &self.tracer) {
            self.record(line, "link", false, e);
        }
    }

    /// The end of the wire: the capture's count, or the link's.
    fn wire_summary(&mut self) {
        match self.net.as_mut() {
            Some(net) => {
                let summary = net.stop().summary();
                self.tracer.note("link", &summary);
            }
            None => self.tracer.wire_summary(),
        }
    }

    fn step(&mut self, line: usize, name: &str, call: &Call, expect: &Expect) {
        let first_event = self.collector.len();
        let Some(got) = self.call(line, name, call) else {
            return;
        };
        // The step's own event: its call, made by its socket (a kernel event about another
        // connection may have been reported after it).
        let want = call.syscall();
        let ev = self
            .collector
            .since(first_event)
            .into_iter()
            .rev()
            .find(|e| e.kind == Kind::Call && e.actor == name && want.is_some() && e.call == want);
        if expect.is_empty() {
            return;
        }
        let (met, failed) = expect::compare(expect, &got, ev.as_ref());
        if failed.is_empty() {
            self.record(line, name, true, met.join(", "));
        }
        for f in failed {
            self.record(line, name, false, f);
        }
    }

    fn sock(&self, name: &str) -> Option<&TracedSocket> {
        self.socks.get(name).and_then(|s| s.s.as_ref())
    }

    /// Reports an expectation met or not, in the trace and in the report.
    fn record(&mut self, line: usize, name: &str, ok: bool, msg: String) {
        let ev = self.outcome(line, name, ok, msg);
        self.tracer.emit(ev);
    }

    /// An expectation met or not, in the report; the check's event, for the trace.
    fn outcome(&mut self, line: usize, name: &str, ok: bool, msg: String) -> Event {
        let message = if ok {
            msg
        } else {
            format!("{}:{line}: {msg}", self.lesson.path.display())
        };
        let mut ev = Event::words(Kind::Check, name, message.clone());
        ev.verdict = if ok {
            Verdict::Agrees
        } else {
            Verdict::Differs
        };
        self.outcomes.push(Outcome { line, ok, message });
        ev
    }

    /// A run of `wire` steps, checked one after the other, their ✓ and ✗ printed together:
    /// segments keep arriving while the steps look, and one of them between two checks would
    /// make the trace differ from run to run. Without a capture nothing is checked, and the
    /// trace says why.
    fn wires(&mut self, steps: &[(usize, &WireExpect)]) {
        if steps.is_empty() {
            return;
        }
        if !(self.tracer.captures_wire() || self.net.is_some()) || self.wire_off {
            let why = if self.wire_off {
                "--wire off".to_string()
            } else {
                crate::netns::why_no_capture()
            };
            for (_, w) in steps {
                self.tracer
                    .note("wire", &f(M::WireStepNotChecked, &[w, &why]));
            }
            return;
        }
        let evs: Vec<Event> = steps.iter().map(|(line, w)| self.wire(*line, w)).collect();
        let ticket = self.tracer.ticket();
        self.tracer.emit_at(ticket, evs, None);
    }

    /// A `wire` step: the first segment after the cursor that matches, waited for (bounded,
    /// as every wait); the cursor moves past it. Its check's event.
    fn wire(&mut self, line: usize, w: &WireExpect) -> Event {
        let (from, to) = (self.end(&w.from), self.end(&w.to));
        let mut found = None;
        wait_until(WAIT_LIMIT, || {
            self.tracer.drain_wire();
            found = self.next_segment(|seg| w.matches(seg, from.has(seg.src) && to.has(seg.dst)));
            found.is_some()
        });
        let Some((at, t_us)) = found else {
            let what = match self.last_segment(&from, &to) {
                Some(ev) => f(M::WireStepOther, &[&w.from, &w.to, &segment_words(&ev)]),
                None => f(M::WireStepNothing, &[&w.from, &w.to]),
            };
            let msg = f(M::WireStepMissing, &[w, &WAIT_LIMIT.as_secs(), &what]);
            return self.outcome(line, &w.from, false, msg);
        };
        let gap = Duration::from_micros(t_us.saturating_sub(self.wire.last_us));
        self.wire = WireCursor {
            next: at + 1,
            last_us: t_us,
        };
        if w.timely(gap) {
            self.outcome(line, &w.from, true, f(M::WireStepMet, &[w]))
        } else {
            let msg = f(M::WireStepTime, &[w, &gap.as_millis()]);
            self.outcome(line, &w.from, false, msg)
        }
    }

    /// The first segment event after the cursor that `ok` accepts: its index and time.
    fn next_segment(&self, ok: impl Fn(&crate::wire::Segment) -> bool) -> Option<(usize, u64)> {
        let from = self.wire.next;
        self.collector
            .since(from)
            .iter()
            .enumerate()
            .find(|(_, ev)| ev.kind == Kind::Segment && ev.segment.as_deref().is_some_and(&ok))
            .map(|(i, ev)| (from + i, ev.t_us))
    }

    /// The last segment event after the cursor from `from` to `to`: what went instead.
    fn last_segment(&self, from: &End, to: &End) -> Option<Event> {
        self.collector
            .since(self.wire.next)
            .into_iter()
            .rev()
            .find(|ev| {
                ev.segment
                    .as_deref()
                    .is_some_and(|seg| from.has(seg.src) && to.has(seg.dst))
            })
    }

    /// Where a `wire` step's end is: a socket's last address, or a host's addresses.
    fn end(&self, name: &str) -> End {
        match self.socks.get(name).and_then(|s| s.local) {
            Some(a) => End::Addr(a),
            None if self
                .lesson
                .network
                .iter()
                .any(|n| n.hosts.iter().any(|h| h == name)) =>
            {
                End::Ips(self.net.as_ref().map(|n| n.addrs(name)).unwrap_or_default())
            }
            None => End::Unknown,
        }
    }

    /// The addresses of the host socket `name` is on (none if it is on no host).
    fn host_addrs(&self, name: &str) -> Vec<IpAddr> {
        let host = self.socks.get(name).and_then(|s| s.host.as_deref());
        match (host, &self.net) {
            (Some(h), Some(net)) => net.addrs(h),
            _ => Vec::new(),
        }
    }

    /// Where a target points, now.
    fn resolve(&self, t: &Target) -> Option<SocketAddr> {
        let local_of = |n: &str| self.socks.get(n).and_then(|s| s.local);
        match t {
            Target::Addr(a) => Some(*a),
            Target::Sock(n) => local_of(n).map(|a| {
                // A wildcard address (0.0.0.0, ::) is reached through the loopback, or on a
                // host through the host's own address.
                let on_host = self
                    .host_addrs(n)
                    .into_iter()
                    .find(|ip| a.ip().is_unspecified() && ip.is_ipv4() == a.is_ipv4());
                let ip = on_host.unwrap_or(match a.ip() {
                    IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ip => ip,
                });
                SocketAddr::new(ip, a.port())
            }),
            Target::PortOf(ip, n) => local_of(n).map(|a| SocketAddr::new(*ip, a.port())),
        }
    }

    /// Waits (bounded) until a blocking `accept()` or `recv()` on `name` would return at once,
    /// so that it cannot hang the lesson. The guard makes no call on the socket — that would be
    /// a call the trace hides — but watches the kernel's table: a listener's accept queue
    /// (Recv-Q), a connection's received bytes (at least `wanted`: a MSG_WAITALL recv() returns
    /// only with all it asked for) or the end of its stream. A UDP socket is not in that table:
    /// its guard is a `poll()`, traced like any call.
    fn ready(&self, name: &str, wanted: u32) -> bool {
        let Some(s) = self.sock(name) else {
            return false;
        };
        if self.socks[name].nonblocking || s.is_read_shut() {
            return true;
        }
        if table::fd_state(s.as_fd()).ok().flatten().is_none() {
            return self.poll_guard(name);
        }
        wait_until(WAIT_LIMIT, || {
            let row = self.kernel_row(name);
            let queued = row.as_ref().is_some_and(|r| r.recv_q >= wanted.max(1));
            let listening = row
                .as_ref()
                .is_some_and(|r| r.state == Some(TcpState::Listen));
            queued || (!listening && transitions::recv_returns_at_once(row.and_then(|r| r.state)))
        })
    }

    /// The guard of a socket the table does not list: `poll(POLLIN)`, at most [`WAIT_LIMIT`].
    fn poll_guard(&self, name: &str) -> bool {
        let Some(s) = self.sock(name) else {
            return false;
        };
        self.tracer.note(name, t(M::GuardNote));
        let mut fds = [PollFd::new(s.as_fd(), PollFlags::POLLIN)];
        let ms = u16::try_from(WAIT_LIMIT.as_millis()).unwrap_or(u16::MAX);
        crate::trace::poll::poll(Some(&self.tracer), name, &mut fds, PollTimeout::from(ms))
            .is_ok_and(|n| n > 0)
    }

    /// The sockets the lesson left open are closed, each by a traced `close()`, in the order
    /// they were made: nothing the lab does on a socket is hidden from the trace.
    fn clean_up(&mut self, lang: Lang) {
        let open: Vec<String> = self
            .columns
            .iter()
            .flat_map(|(_, socks)| socks.clone())
            .filter(|n| self.sock(n).is_some())
            .collect();
        if open.is_empty() {
            return;
        }
        self.tracer
            .note(LESSON_ACTOR, crate::i18n::text_in(M::CleanUp, lang));
        for name in open {
            if let Some(s) = self.socks.get_mut(&name).and_then(|s| s.s.take()) {
                let _ = s.close();
            }
        }
    }

    /// Remembers the socket's ends from its last call's event: what `wait` and targets use
    /// once the fd is gone.
    fn remember_ends(&mut self, name: &str, first_event: usize) {
        let last = self
            .collector
            .since(first_event)
            .into_iter()
            .rev()
            .find(|e| e.kind == Kind::Call && e.actor == name);
        let (Some(ev), Some(s)) = (last, self.socks.get_mut(name)) else {
            return;
        };
        // accept4()'s event shows the new connection's ends, not the listener's.
        if matches!(ev.detail, Some(Detail::Accepted { .. })) {
            return;
        }
        if let Some(a) = ev.local.filter(|a| a.port() != 0) {
            s.local = Some(a);
        }
        if ev.peer.is_some() {
            s.peer = ev.peer;
        }
    }

    fn column_of(&mut self, name: &str, of: Option<&str>) {
        let col = of.and_then(|o| {
            self.columns
                .iter()
                .position(|(_, socks)| socks.iter().any(|s| s == o))
        });
        match col {
            Some(i) => self.columns[i].1.push(name.to_string()),
            None => self
                .columns
                .push((name.to_string(), vec![name.to_string()])),
        }
    }

    fn add_sock(&mut self, name: &str, s: TracedSocket, of: Option<&str>) {
        self.socks.insert(
            name.to_string(),
            Sock {
                s: Some(s),
                local: None,
                peer: None,
                nonblocking: false,
                host: of
                    .and_then(|o| self.socks.get(o))
                    .and_then(|s| s.host.clone()),
            },
        );
        self.column_of(name, of);
    }

    /// Makes the call; `None` if it could not be made (the reason is recorded).
    fn call(&mut self, line: usize, name: &str, call: &Call) -> Option<Got> {
        let first_event = self.collector.len();
        match call {
            Call::Socket { udp, v6, host } => {
                return Some(self.socket(name, *udp, *v6, host.as_deref()))
            }
            Call::Resolve(host) => return Some(self.getaddrinfo(name, host)),
            Call::Wait(cond) => return Some(self.wait(line, name, cond)),
            _ if self.sock(name).is_none() => {
                self.record(
                    line,
                    name,
                    false,
                    format!("'{name}' does not exist: an earlier step failed"),
                );
                return None;
            }
            _ => {}
        }
        let got = self.on_socket(line, name, call)?;
        self.remember_ends(name, first_event);
        Some(got)
    }

    /// A call on an existing socket.
    fn on_socket(&mut self, line: usize, name: &str, call: &Call) -> Option<Got> {
        Some(match call {
            Call::SetOpt(opt) => Got::unit(self.sock(name)?.setsockopt(*opt)),
            Call::Nonblock => {
                let r = self.sock(name)?.set_nonblocking(true);
                self.socks.get_mut(name)?.nonblocking = r.is_ok();
                Got::unit(r)
            }
            Call::Bind(t) => {
                let a = self.target(line, name, t)?;
                Got::unit(self.sock(name)?.bind(a))
            }
            Call::Listen(n) => Got::unit(self.sock(name)?.listen(*n)),
            Call::Connect(t) => {
                let a = self.target(line, name, t)?;
                self.connect(line, name, a)?
            }
            Call::Accept { new } => self.accept(line, name, new)?,
            Call::Send(data) => self.send(line, name, data)?,
            Call::Recv { len, flags } => self.recv(line, name, *len, *flags)?,
            Call::SendTo(t, data) => {
                let a = self.target(line, name, t)?;
                Got::count(self.sock(name)?.send_to(data, a))
            }
            Call::RecvFrom(len) => self.recv_from(line, name, *len)?,
            Call::Shutdown(how) => Got::unit(self.sock(name)?.shutdown(*how)),
            Call::Close => Got::unit(self.socks.get_mut(name)?.s.take()?.close()),
            Call::Poll { out, ms, others } => self.poll(name, *out, *ms, others)?,
            Call::Epoll { ms, others } => self.epoll(name, *ms, others)?,
            Call::SoError => match self.sock(name)?.take_error() {
                Ok(None) => Got::value(0),
                Ok(Some(e)) => Got {
                    ret: 0,
                    ..Got::err(&e)
                },
                Err(e) => Got::err(&e),
            },
            Call::Socket { .. } | Call::Resolve(_) | Call::Wait(_) => {
                unreachable!("made by call()")
            }
        })
    }

    /// `socket()`, on `host` if the lesson has hosts: made inside that host's network.
    fn socket(&mut self, name: &str, udp: bool, v6: bool, host: Option<&str>) -> Got {
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let (ty, proto) = if udp {
            (Type::DGRAM, Protocol::UDP)
        } else {
            (Type::STREAM, Protocol::TCP)
        };
        let tracer = self.tracer.clone();
        let make = || TracedSocket::new(Some(tracer), name, domain, ty, Some(proto));
        let made = match (host, &self.net) {
            (Some(h), Some(net)) => net.on(h, make).and_then(|r| r),
            _ => make(),
        };
        match made {
            Ok(s) => {
                let fd = s.fd();
                self.add_sock(name, s, None);
                if let Some(sock) = self.socks.get_mut(name) {
                    sock.host = host.map(String::from);
                }
                Got::value(i64::from(fd))
            }
            Err(e) => Got::err(&e),
        }
    }

    fn accept(&mut self, line: usize, name: &str, new: &str) -> Option<Got> {
        if !self.ready(name, 1) {
            let why = f(M::AcceptForever, &[&name]);
            self.record(line, name, false, why);
            return None;
        }
        Some(match self.sock(name)?.accept() {
            Ok((s, peer)) => {
                s.set_actor(new);
                let (fd, local) = (s.fd(), s.local_addr().ok());
                self.add_sock(new, s, Some(name));
                if let Some(sock) = self.socks.get_mut(new) {
                    (sock.local, sock.peer) = (local, Some(peer));
                }
                Got::value(i64::from(fd))
            }
            Err(e) => Got::err(&e),
        })
    }

    /// `recv()`, guarded: without MSG_DONTWAIT it blocks until a byte is there — with
    /// MSG_WAITALL until all `len` are (or the stream ends), so that is what the guard waits
    /// for. A MSG_WAITALL longer than the receive buffer holds is refused too: the lesson
    /// reads it in parts.
    fn recv(&mut self, line: usize, name: &str, len: usize, flags: i32) -> Option<Got> {
        let waitall = flags & libc::MSG_WAITALL != 0;
        let wanted = if waitall { len.max(1) } else { 1 };
        let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
        if flags & libc::MSG_DONTWAIT == 0 && !self.ready(name, wanted) {
            let why = if waitall {
                let queued = self.kernel_row(name).map_or(0, |r| r.recv_q);
                let secs = WAIT_LIMIT.as_secs();
                f(M::RecvWaitallForever, &[&name, &len, &queued, &secs])
            } else {
                t(M::RecvForever).into()
            };
            self.record(line, name, false, why);
            return None;
        }
        let mut buf = vec![0u8; len];
        Some(match self.sock(name)?.recv_with_flags(&mut buf, flags) {
            Ok(n) => Got {
                data: Some(buf[..n].to_vec()),
                ..Got::value(n as i64)
            },
            Err(e) => Got::err(&e),
        })
    }

    /// `send()`: a blocking one waits for room in the buffers, which a peer that does not read
    /// never makes (no step runs meanwhile). It is interrupted after [`WAIT_LIMIT`]
    /// ([`super::bounded`]) and returns what it sent by then, as the trace shows.
    fn send(&mut self, line: usize, name: &str, data: &[u8]) -> Option<Got> {
        let s = self.sock(name)?;
        if self.socks[name].nonblocking {
            return Some(Got::count(s.send(data)));
        }
        let Some((sent, interrupted)) = super::bounded::run(WAIT_LIMIT, || s.send(data)) else {
            return Some(Got::count(s.send(data)));
        };
        if interrupted && !matches!(sent, Ok(n) if n == data.len()) {
            let n = sent.as_ref().map_or(0, |n| *n);
            let secs = WAIT_LIMIT.as_secs();
            // A send() on a connection still in its handshake waits for the handshake first.
            let why = match table::fd_state(s.as_fd()).ok().flatten() {
                Some(TcpState::SynSent) => f(M::SendBeforeConnected, &[&name, &secs]),
                _ => f(M::SendForever, &[&name, &data.len(), &n, &secs]),
            };
            self.record(line, name, false, why);
            return None;
        }
        Some(Got::count(sent))
    }

    /// `connect()`: a blocking one waits for the handshake, and with nobody answering its SYN
    /// the kernel ends it only after its SYN retries. It is interrupted after [`CONNECT_LIMIT`]
    /// ([`super::bounded`]), as a blocking `send()` is: nothing about the socket is changed (a
    /// lesson's TCP_SYNCNT and the retries it teaches stay its own), the trace shows the EINTR
    /// `connect()` returned, and the step fails on its line saying why.
    fn connect(&mut self, line: usize, name: &str, to: SocketAddr) -> Option<Got> {
        let s = self.sock(name)?;
        if self.socks[name].nonblocking {
            return Some(Got::unit(s.connect(to)));
        }
        let Some((done, interrupted)) = super::bounded::run(CONNECT_LIMIT, || s.connect(to)) else {
            return Some(Got::unit(s.connect(to)));
        };
        let eintr = |e: &std::io::Error| e.raw_os_error() == Some(libc::EINTR);
        if interrupted && done.as_ref().is_err_and(eintr) {
            let why = f(M::ConnectForever, &[&name, &CONNECT_LIMIT.as_secs()]);
            self.record(line, name, false, why);
            return None;
        }
        Some(Got::unit(done))
    }

    fn recv_from(&mut self, line: usize, name: &str, len: usize) -> Option<Got> {
        if !self.ready(name, 1) {
            self.record(line, name, false, t(M::RecvfromForever).into());
            return None;
        }
        let mut buf = vec![0u8; len];
        Some(match self.sock(name)?.recv_from(&mut buf) {
            Ok((n, _)) => Got {
                data: Some(buf[..n].to_vec()),
                ..Got::value(n as i64)
            },
            Err(e) => Got::err(&e),
        })
    }

    /// `poll()` on `name`'s socket and the `others`: the whole list, handed over every call.
    fn poll(&self, name: &str, out: bool, ms: i32, others: &[String]) -> Option<Got> {
        let flags = if out {
            PollFlags::POLLOUT
        } else {
            PollFlags::POLLIN
        };
        let socks: Vec<&TracedSocket> = std::iter::once(name)
            .chain(others.iter().map(String::as_str))
            .map(|n| self.sock(n))
            .collect::<Option<_>>()?;
        let mut fds: Vec<PollFd> = socks
            .iter()
            .map(|s| PollFd::new(s.as_fd(), flags))
            .collect();
        let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::NONE);
        Some(Got::count(crate::trace::poll::poll(
            Some(&self.tracer),
            name,
            &mut fds,
            timeout,
        )))
    }

    /// `name`'s epoll instance (made on first use): the sockets not registered yet are added
    /// (`epoll_ctl`), then one `epoll_wait()`.
    fn epoll(&mut self, name: &str, ms: i32, others: &[String]) -> Option<Got> {
        use crate::trace::epoll::{Ctl, TracedEpoll};
        use nix::sys::epoll::{EpollEvent, EpollFlags, EpollTimeout};
        if !self.epolls.contains_key(name) {
            let e = TracedEpoll::new().ok()?;
            self.epolls.insert(name.to_string(), (e, Vec::new()));
        }
        let all: Vec<String> = std::iter::once(name.to_string())
            .chain(others.iter().cloned())
            .collect();
        for n in &all {
            let fd = self.sock(n)?.fd();
            let (e, known) = self.epolls.get_mut(name)?;
            if !known.contains(&fd) {
                let s = self.socks.get(n).and_then(|s| s.s.as_ref())?;
                e.ctl(
                    Some(&self.tracer),
                    name,
                    Ctl::Add,
                    s.as_fd(),
                    EpollFlags::EPOLLIN,
                )
                .ok()?;
                known.push(fd);
            }
        }
        let (e, _) = self.epolls.get(name)?;
        let mut events = vec![EpollEvent::empty(); 16];
        let timeout = EpollTimeout::try_from(ms).unwrap_or(EpollTimeout::NONE);
        Some(Got::count(e.wait(
            Some(&self.tracer),
            name,
            &mut events,
            timeout,
        )))
    }

    fn target(&mut self, line: usize, name: &str, t: &Target) -> Option<SocketAddr> {
        let a = self.resolve(t);
        if a.is_none() {
            self.record(
                line,
                name,
                false,
                format!("{t:?} has no address yet (bind or connect it first)"),
            );
        }
        a
    }

    /// `getaddrinfo(host)`: every address the host has, as the C library returns them.
    fn getaddrinfo(&mut self, name: &str, host: &str) -> Got {
        let hints = [
            Arg::Const("NULL".into()),
            Arg::Const("{ai_socktype=SOCK_STREAM}".into()),
        ];
        let args = std::iter::once(Arg::data(host.as_bytes()))
            .chain(hints)
            .collect();
        let mut ev = Event::call(name, crate::trace::Syscall::Getaddrinfo, None, args);
        let got = match (host, 0).to_socket_addrs() {
            Ok(addrs) => {
                let ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
                ev.ret = Some(0);
                let got = Got::value(ips.len() as i64);
                ev.detail = Some(Detail::Addresses(ips));
                got
            }
            Err(e) => {
                ev.fail(&e);
                Got::err(&e)
            }
        };
        self.tracer.emit(ev);
        got
    }

    /// The table's row for `name`'s 4-tuple (a listener's: with no peer), also after close.
    fn kernel_row(&self, name: &str) -> Option<table::SocketRow> {
        let t = self.tracer.table()?;
        let s = self.socks.get(name)?;
        let state =
            s.s.as_ref()
                .and_then(|s| table::fd_state(s.as_fd()).ok().flatten());
        let (local, peer) = table::key(s.local?, state, s.peer);
        t.lookup(local, peer).ok().flatten()
    }

    fn wait(&mut self, line: usize, name: &str, cond: &Cond) -> Got {
        let fd_state = |r: &Runner| {
            r.sock(name)
                .and_then(|s| table::fd_state(s.as_fd()).ok().flatten())
        };
        let met = wait_until(WAIT_LIMIT, || {
            let row = self.kernel_row(name);
            match cond {
                Cond::State(s) => fd_state(self) == Some(*s),
                Cond::Kernel(s) => row.and_then(|r| r.state) == *s,
                Cond::RecvQ(n) => row.map(|r| r.recv_q) == Some(*n),
                Cond::SendQ(n) => row.map(|r| r.send_q) == Some(*n),
            }
        });
        // What the kernel did while we waited is what satisfied the wait: it is told first.
        self.tracer.observe();
        let row = self.kernel_row(name);
        let mut ev = Event::new(Kind::Wait, name);
        ev.args = vec![Arg::Text(f(M::WaitFor, &[cond]))];
        (ev.kernel, ev.recv_q, ev.send_q) = (
            row.as_ref().and_then(|r| r.state),
            row.as_ref().map(|r| r.recv_q),
            row.as_ref().map(|r| r.send_q),
        );
        ev.state = fd_state(self);
        ev.fd_gone = self.sock(name).is_none();
        ev.note = Some(table_words(row.as_ref()));
        let now = wait_words(cond, &ev);
        self.tracer.emit(ev);
        if met {
            self.record(line, name, true, f(M::Waited, &[cond]));
        } else {
            let why = f(M::WaitTimedOut, &[cond, &WAIT_LIMIT.as_secs(), &now]);
            self.record(line, name, false, why);
        }
        // `wait` checks its own condition; there is nothing more to compare.
        Got::value(0)
    }
}

/// What a `wait` that timed out found instead, from its event.
fn wait_words(cond: &Cond, ev: &Event) -> String {
    let queue = |q: Option<u32>| q.map_or("-".into(), |q| q.to_string());
    match cond {
        Cond::State(_) => f(
            M::FdReports,
            &[&ev.state.map_or(t(M::NoState).into(), |s| s.to_string())],
        ),
        Cond::Kernel(_) => f(
            M::KernelReports,
            &[&ev.kernel.map_or("no row".into(), |s| s.to_string())],
        ),
        Cond::RecvQ(_) => f(M::KernelReportsRecvQ, &[&queue(ev.recv_q)]),
        Cond::SendQ(_) => f(M::KernelReportsSendQ, &[&queue(ev.send_q)]),
    }
}

/// A segment as the trace's `wire` line shows it.
fn segment_words(ev: &Event) -> String {
    ev.segment
        .as_deref()
        .map_or_else(String::new, |s| s.to_string())
}

/// What a `wait` saw in the table, with the timer too: TIME-WAIT's says how long the 4-tuple
/// stays taken (`ss -o`).
fn table_words(row: Option<&table::SocketRow>) -> String {
    match row {
        Some(r) => {
            let state = r.state.map_or("UNKNOWN".to_string(), |s| s.to_string());
            let timer = r.timer_text();
            let timer = if timer.is_empty() {
                String::new()
            } else {
                f(M::TableTimer, &[&timer])
            };
            f(M::TableWords, &[&state, &r.recv_q, &timer])
        }
        None => t(M::TableNoRow).to_string(),
    }
}
