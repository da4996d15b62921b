//! The load generator's clients: one thread with epoll(7). Its own sockets are not what is
//! being taught, so they are plain std sockets, untraced; the server runs as its own process
//! (and may be traced into a file). The protocol follows `benches/anchors/loadgen.c`, so the
//! numbers compare.

use super::options::Options;
use super::report::{Histogram, Report};
use crate::chat::dialect::{self, Dialect};
use crate::chat::framing::{Frame, LineReader};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long one wait for deliveries lasts at most (ms); shorter when a paced sender (a seed's
/// dialect, one message per pause) may be due to send again.
const WAKE_MS: u16 = 100;
const PACED_WAKE_MS: u16 = 10;

/// Connections opened before waiting for them to register: keeps the accept queue short.
const CONNECT_BATCH: usize = 256;

struct Client {
    stream: TcpStream,
    dialect: Dialect,
    reader: LineReader,
    name: String,
    named: bool,
    registered: bool,
    got: u64,
    /// When it last sent a message (a seed's client waits a pause before the next).
    last_sent: Option<Instant>,
}

/// The load generator's state: every client on one epoll set, and what was measured.
struct Driver<'o> {
    opts: &'o Options,
    epoll: Epoll,
    clients: Vec<Client>,
    events: Vec<EpollEvent>,
    buf: Vec<u8>,
    lines: Vec<String>,
    report: Report,
}

pub fn drive(opts: &Options, addr: SocketAddr) -> io::Result<Report> {
    let mut d = Driver {
        opts,
        epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
        clients: Vec::with_capacity(opts.clients),
        events: vec![EpollEvent::empty(); 1024],
        buf: vec![0u8; 64 * 1024],
        lines: Vec::new(),
        report: Report {
            clients: opts.clients,
            ..Report::default()
        },
    };
    let start = Instant::now();
    // 1. Connect and register, a batch at a time.
    while d.clients.len() < opts.clients {
        let first = d.clients.len();
        d.connect_batch(addr)?;
        if d.clients.len() == first {
            break;
        }
        d.register(first)?;
    }
    d.report.held = d.clients.iter().filter(|c| c.registered).count();
    d.report.reg_secs = start.elapsed().as_secs_f64();
    let _idle = connect_idle(addr, opts.idle)?;
    // 2. Settle: drain join notices until 300 ms pass with nothing new.
    d.settle()?;
    // 3. Send and count deliveries.
    d.send_all()?;
    // 4. Close with RST (SO_LINGER 0): 10,000 TIME-WAITs would hold ports for a minute.
    for c in &d.clients {
        let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
    }
    Ok(d.report)
}

/// `n` connections that say nothing and read nothing (the greeting waits in their buffers).
fn connect_idle(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpStream>> {
    let idle: Vec<TcpStream> = (0..n)
        .map_while(|_| TcpStream::connect(addr).ok())
        .collect();
    if idle.len() < n {
        return Err(io::Error::other(format!(
            "only {} of {n} idle connections could be opened",
            idle.len()
        )));
    }
    Ok(idle)
}

impl Driver<'_> {
    /// Opens up to [`CONNECT_BATCH`] more connections.
    fn connect_batch(&mut self, addr: SocketAddr) -> io::Result<()> {
        let first = self.clients.len();
        for i in first..(first + CONNECT_BATCH).min(self.opts.clients) {
            match TcpStream::connect(addr) {
                Ok(mut s) => {
                    let dialect = self
                        .opts
                        .mix
                        .get(i % self.opts.mix.len().max(1))
                        .copied()
                        .unwrap_or(Dialect::Line);
                    let name = format!("u{i}");
                    // Poli, chatbid and stardew clients say their name first, right away.
                    let hello = dialect.speech().hello(&name);
                    if let Some(h) = &hello {
                        s.write_all(h)?;
                    }
                    s.set_nonblocking(true)?;
                    s.set_nodelay(true)?;
                    self.epoll.add(
                        &s,
                        EpollEvent::new(EpollFlags::EPOLLIN, self.clients.len() as u64),
                    )?;
                    self.clients.push(Client {
                        stream: s,
                        dialect,
                        reader: LineReader::with_limit(1 << 20),
                        name,
                        named: hello.is_some(),
                        registered: false,
                        got: 0,
                        last_sent: None,
                    });
                }
                Err(_) => self.report.conn_fail += 1,
            }
            if self.report.conn_fail > 0
                && self.clients.len() + self.report.conn_fail >= self.opts.clients
            {
                break;
            }
        }
        Ok(())
    }

    /// Answers the greeting of every client from `first` on with its name, until each is
    /// welcomed (or no progress for the timeout).
    fn register(&mut self, first: usize) -> io::Result<()> {
        let mut last_progress = Instant::now();
        while self.clients[first..].iter().any(|c| !c.registered)
            && last_progress.elapsed() < self.opts.timeout
        {
            let n = self
                .epoll
                .wait(&mut self.events, EpollTimeout::from(100u16))?;
            for ev in &self.events[..n] {
                let c = &mut self.clients[ev.data() as usize];
                read_lines(c, &mut self.buf, &mut self.lines)?;
                if c.dialect == Dialect::Line
                    && !c.named
                    && (!self.lines.is_empty() || c.reader.pending() > 0)
                {
                    c.stream.write_all(format!("{}\n", c.name).as_bytes())?;
                    c.named = true;
                }
                for l in self.lines.drain(..) {
                    if c.registered {
                        continue;
                    }
                    // The seeds' handshakes: el4005's nickname, stardew's hand and "si". Where
                    // the seed's client compares a whole recv() (and would hang on two
                    // messages glued), lab's load generator looks at each message in it.
                    let speech = c.dialect.speech();
                    for part in speech.split_glued(&l) {
                        if let Some(reply) = speech.answer(part, &c.name, "1") {
                            write_blocking(&mut c.stream, &reply)?;
                        }
                        c.registered |= speech.joined(part, &c.name);
                    }
                    let welcomed = c.registered;
                    if welcomed {
                        last_progress = Instant::now();
                    }
                }
            }
        }
        Ok(())
    }

    /// Drains whatever arrives until 300 ms pass with nothing new.
    fn settle(&mut self) -> io::Result<()> {
        let mut quiet = Instant::now();
        while quiet.elapsed() < Duration::from_millis(300) {
            let n = self
                .epoll
                .wait(&mut self.events, EpollTimeout::from(50u16))?;
            for ev in &self.events[..n] {
                read_lines(
                    &mut self.clients[ev.data() as usize],
                    &mut self.buf,
                    &mut self.lines,
                )?;
                self.lines.clear();
                quiet = Instant::now();
            }
        }
        Ok(())
    }

    /// The first S registered clients send M lines in turn, at most W in flight; every
    /// delivery's latency goes into the histogram.
    fn send_all(&mut self) -> io::Result<()> {
        let readers: Vec<usize> = (0..self.clients.len())
            .filter(|i| self.clients[*i].registered)
            .collect();
        let senders: Vec<usize> = readers
            .iter()
            .copied()
            .take(self.opts.senders.max(1))
            .collect();
        let r = &mut self.report;
        // Every reader gets each message, except a sender whose client shows its own.
        r.expected = (0..self.opts.messages)
            .map(|m| {
                readers.len()
                    - usize::from(
                        !self.clients[senders[m % senders.len().max(1)]]
                            .dialect
                            .speech()
                            .echoes_own_line(),
                    )
            })
            .sum::<usize>() as u64;
        let mut hist = Histogram::new();
        let clock = Instant::now();
        let mut sent = 0usize;
        let mut last_progress = Instant::now();
        while self.report.deliveries < self.report.expected
            && last_progress.elapsed() < self.opts.timeout
            && !senders.is_empty()
        {
            let delivered_to_all = self.report.deliveries / readers.len().max(1) as u64;
            while sent < self.opts.messages
                && (sent as u64).saturating_sub(delivered_to_all) < self.opts.window as u64
            {
                let c = &mut self.clients[senders[sent % senders.len()]];
                // A seed's client sends one message per send() and relies on a pause between
                // two: without it the server would take them as one.
                if c.dialect.unframed()
                    && c.last_sent
                        .is_some_and(|t| t.elapsed() < dialect::SENDER_PAUSE)
                {
                    break;
                }
                c.last_sent = Some(Instant::now());
                // A full socket buffer here would only mean the server is not reading: retry.
                let text = message(sent, &clock, self.opts.size);
                for m in c.dialect.speech().typed(text.trim_end()) {
                    write_blocking(&mut c.stream, &m)?;
                }
                sent += 1;
            }
            if self.receive(&clock, &mut hist)? {
                last_progress = Instant::now();
            }
        }
        self.report.finish(clock.elapsed().as_secs_f64(), &hist);
        Ok(())
    }

    /// One epoll round: reads what arrived, counts the deliveries; whether any arrived.
    fn receive(&mut self, clock: &Instant, hist: &mut Histogram) -> io::Result<bool> {
        let mut any = false;
        // Short when a paced sender may be due again.
        let paced = self.opts.mix.iter().any(|d| d.unframed());
        let n = self.epoll.wait(
            &mut self.events,
            EpollTimeout::from(if paced { PACED_WAKE_MS } else { WAKE_MS }),
        )?;
        for ev in &self.events[..n] {
            let c = &mut self.clients[ev.data() as usize];
            read_lines(c, &mut self.buf, &mut self.lines)?;
            for l in self.lines.drain(..) {
                // A seed's messages have no framing: when the pause was not enough, one recv()
                // holds several, so every stamp in it counts.
                for ns in stamps(&l) {
                    let now = clock.elapsed().as_nanos() as u64;
                    hist.add(now.saturating_sub(ns) / 1000);
                    c.got += 1;
                    self.report.deliveries += 1;
                    any = true;
                }
            }
        }
        Ok(any)
    }
}

/// Message number `n`, stamped with its send time and padded to `size` bytes.
fn message(n: usize, clock: &Instant, size: usize) -> String {
    let ns = clock.elapsed().as_nanos() as u64;
    let mut line = format!("m {n} {ns} ");
    while line.len() + 1 < size {
        line.push('x');
    }
    line.push('\n');
    line
}

/// Reads what is there (non-blocking) and splits it into lines.
fn read_lines(c: &mut Client, buf: &mut [u8], lines: &mut Vec<String>) -> io::Result<()> {
    let mut frames = Vec::new();
    // Seed 001's and 004's messages have no newline: each recv() is one (the server paces them).
    // Nor do el4005's greeting and its "no".
    let per_recv = c.dialect.speech().one_message_per_recv(c.registered);
    loop {
        match c.stream.read(buf) {
            Ok(0) => break,
            Ok(n) if per_recv => frames.push(Frame::Line(buf[..n].to_vec())),
            Ok(n) => c.reader.push(&buf[..n], &mut frames),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    lines.extend(frames.into_iter().filter_map(|f| match f {
        Frame::Line(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Frame::TooLong => None,
    }));
    Ok(())
}

/// The send times in a delivered message (`u3: m 17 123456789 xxx`; several when messages
/// without framing arrived together: `MESSAGE:u3: m 1 … xxxMESSAGE:u3: m 2 …`).
fn stamps(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.match_indices(": m ").filter_map(|(i, _)| {
        let mut words = text[i + 4..].split_whitespace();
        words.next()?.parse::<u64>().ok()?;
        words.next()?.parse().ok()
    })
}

fn write_blocking(s: &mut TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match s.write(data) {
            Ok(n) => data = &data[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                std::thread::yield_now();
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_found_in_both_marks() {
        let all = |s: &str| stamps(s).collect::<Vec<u64>>();
        assert_eq!(all("u3: m 17 123456 xxxx"), vec![123456]);
        assert_eq!(all("u0 (you): m 0 99 x"), vec![99]);
        assert_eq!(all("* u3 joined the chat"), Vec::<u64>::new());
        assert_eq!(all("MESSAGE:u0: m 1 5 xxMESSAGE:u0: m 2 6 x"), vec![5, 6]);
    }
}
