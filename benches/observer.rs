//! The kernel observer's costs: one reading of the table for N followed connections, by
//! lookups and by a dump; the observer thread's CPU while the program is idle; and the delay
//! between a change in the kernel and its event. `cargo bench --bench observer`.

use lab::kernel::table::KernelTable;
use lab::tcp_state::TcpState;
use lab::trace::observer::{self, Watch};
use lab::trace::{Event, Kind, Sink, TracedSocket, Tracer};
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use socket2::{Domain, Protocol, Type};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `lab server` in its own process, holding the far ends (10,000 connections need 20,000
/// fds, more than one process may have here).
fn peer_server() -> (std::process::Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lab"))
        .args([
            "server",
            "--port",
            "0",
            "--model",
            "poll",
            "--max-clients",
            "20000",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (child, addr)
}

/// N connections to `addr`, as watches of their client side.
fn connections(addr: SocketAddr, n: usize) -> (Vec<TcpStream>, Vec<(u64, Watch)>) {
    let (mut cs, mut ws) = (Vec::new(), Vec::new());
    for i in 0..n {
        let c = TcpStream::connect(addr).unwrap();
        let w = Watch {
            actor: Arc::new(Mutex::new(format!("c{i}").into())),
            local: c.local_addr().unwrap(),
            peer: Some(c.peer_addr().unwrap()),
            inode: None,
            state: Some(TcpState::Established),
            fd_open: true,
            busy: Arc::new(AtomicBool::new(false)),
            since: std::time::Instant::now(),
            looked: std::time::Instant::now(),
            handed: false,
        };
        ws.push((i as u64, w));
        cs.push(c);
    }
    (cs, ws)
}

fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2].as_secs_f64() * 1e6
}

/// Records when each kernel event arrives.
#[derive(Default)]
struct Arrivals(Mutex<Vec<(Instant, Event)>>);
impl Sink for Arrivals {
    fn event(&self, ev: &Event) {
        if ev.kind == Kind::Kernel {
            self.0.lock().unwrap().push((Instant::now(), ev.clone()));
        }
    }
}

/// CPU time, in ms, the thread named `name` of this process has used.
fn thread_cpu_ms(name: &str) -> f64 {
    let tick_ms = 1000.0 / 100.0;
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap();
            let f: Vec<&str> = stat
                .rsplit(") ")
                .next()
                .unwrap()
                .split_whitespace()
                .collect();
            return (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) * tick_ms;
        }
    }
    0.0
}

fn reading_costs(table: &KernelTable, addr: SocketAddr) {
    let rows = table
        .rows(&lab::kernel::table::Filter::default())
        .unwrap()
        .len();
    println!("(the table holds {rows} rows before the connections are opened)\n");
    println!("| followed connections | by lookups µs | by dump µs |");
    println!("|---|---|---|");
    for n in [1, 10, 64, 256, 1000, 10_000] {
        let (_c, ws) = connections(addr, n);
        let runs = if n > 1000 { 5 } else { 21 };
        let l = median_us(runs, || drop(observer::by_lookups(table, &ws)));
        let d = median_us(runs, || drop(observer::by_dump(table, &ws)));
        println!("| {n} | {l:.0} | {d:.0} |");
    }
}

fn idle_cpu(addr: SocketAddr) {
    println!("\n| followed connections | observer CPU while idle, % of one core (over 3 s) | interval ms |");
    println!("|---|---|---|");
    for n in [0, 10, 1000, 10_000] {
        let tracer = Tracer::new(Arc::new(lab::trace::Discard));
        let mut keep = Vec::new();
        for i in 0..n {
            let c = TracedSocket::new(
                Some(tracer.clone()),
                &format!("c{i}"),
                Domain::IPV4,
                Type::STREAM,
                Some(Protocol::TCP),
            )
            .unwrap();
            c.connect(addr).unwrap();
            keep.push(c);
        }
        tracer.observe_live(observer::INTERVAL);
        std::thread::sleep(Duration::from_millis(300));
        let before = thread_cpu_ms("lab-observer");
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(3));
        let used = thread_cpu_ms("lab-observer") - before;
        let pct = used / start.elapsed().as_secs_f64() / 10.0;
        println!("| {n} | {pct:.1} | 5, or 9× a reading |");
        drop(tracer);
        drop(keep);
        // Let the observer thread of this tracer end before the next one starts.
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn delay() {
    let arrivals = Arc::new(Arrivals::default());
    let tracer = Tracer::new(arrivals.clone());
    tracer.observe_live(observer::INTERVAL);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let trials = 200;
    let mut delays = Vec::new();
    let mut seed: u64 = 7;
    for i in 0..trials {
        let c = TracedSocket::new(
            Some(tracer.clone()),
            &format!("c{i}"),
            Domain::IPV4,
            Type::STREAM,
            Some(Protocol::TCP),
        )
        .unwrap();
        c.connect(l.local_addr().unwrap()).unwrap();
        let (peer, _) = l.accept().unwrap();
        let actor = format!("c{i}");
        // At a moment that has nothing to do with the observer's rhythm (which restarts when it
        // reports), the peer (untraced) closes: the client's side moves to CLOSE-WAIT, no call.
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_micros((seed >> 33) % 10_000));
        let t0 = Instant::now();
        drop(peer);
        let deadline = t0 + Duration::from_secs(2);
        loop {
            let seen = arrivals
                .0
                .lock()
                .unwrap()
                .iter()
                .find(|(_, e)| e.actor == actor)
                .map(|(t, _)| *t);
            if let Some(t) = seen {
                delays.push(t.duration_since(t0));
                break;
            }
            assert!(Instant::now() < deadline, "no kernel event for {actor}");
            std::thread::sleep(Duration::from_micros(200));
        }
        drop(c);
    }
    delays.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("\n| change → kernel event, {trials} trials | median ms | p99 ms | max ms |");
    println!("|---|---|---|---|");
    println!(
        "| ESTAB → CLOSE-WAIT (peer closes, no call) | {:.2} | {:.2} | {:.2} |",
        ms(delays[trials / 2]),
        ms(delays[trials * 99 / 100]),
        ms(delays[trials - 1])
    );
}

fn main() {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    let table = KernelTable::open().unwrap();
    let (mut server, addr) = peer_server();
    reading_costs(&table, addr);
    idle_cpu(addr);
    let _ = server.kill();
    let _ = server.wait();
    delay();
}
