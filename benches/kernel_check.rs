//! `cargo bench --bench kernel_check`: what the kernel check costs, and `lab sockets` against
//! `ss -tan`, with 10 and with 10,000 TCP sockets open.
//!
//! Targets (issue 2): ≤ 5 µs per check, flat in the socket count; `lab sockets` no slower than
//! `ss -tan`; a traced socket with tracing off costs nothing measurable over bare socket2.

use lab::kernel::check::check_fd;
use lab::kernel::table::{self, KernelTable};
use lab::trace::{Discard, Sink, SockOpt, TracedSocket, Tracer};
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Opens about `n` sockets: one listener and (n-1)/2 connected pairs, every one accepted.
fn open_sockets(n: usize) -> (Vec<Socket>, SocketAddr) {
    let l = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    l.bind(&SockAddr::from(
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
    ))
    .unwrap();
    l.listen(1024).unwrap();
    let addr = l.local_addr().unwrap().as_socket().unwrap();
    let mut v = vec![l];
    for _ in 0..(n.saturating_sub(1) / 2) {
        let c = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
        c.connect(&SockAddr::from(addr)).unwrap();
        let (s, _) = v[0].accept().unwrap();
        v.push(c);
        v.push(s);
    }
    (v, addr)
}

/// Mean time per call of `f` over `iters` calls, in µs.
fn per_call(iters: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_secs_f64() * 1e6 / f64::from(iters)
}

/// Median wall time of a whole process, in ms.
fn process_ms(cmd: &str, args: &[&str], runs: usize) -> f64 {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let ok = Command::new(cmd)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(ok.success(), "{cmd} {args:?} failed");
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2].as_secs_f64() * 1e3
}

fn main() {
    // 10,000 sockets need more fds than the default soft limit of 1,024 on some machines.
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    let lab = env!("CARGO_BIN_EXE_lab");
    let table = KernelTable::open().unwrap();
    println!("| open sockets | TCP_INFO µs | fstat µs | 4-tuple lookup µs | 64 lookups at once, µs each | full check µs | dump µs | `lab sockets` ms | `lab sockets --json` ms | `ss -tan` ms |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for n in [10, 10_000] {
        let (socks, _addr) = open_sockets(n);
        // An established socket somewhere in the middle.
        let probe = &socks[socks.len() / 2];
        let fd = probe.as_fd();
        let local = probe.local_addr().unwrap().as_socket().unwrap();
        let peer = probe.peer_addr().unwrap().as_socket().unwrap();
        let tcp_info = per_call(20_000, || {
            table::fd_state(fd).unwrap();
        });
        let fstat = per_call(20_000, || {
            table::fd_inode(fd).unwrap();
        });
        let lookup = per_call(20_000, || {
            table.lookup(local, peer).unwrap().unwrap();
        });
        // What a trace file's writer does for a batch of calls (`lab::trace::later`).
        let tuples: Vec<(SocketAddr, SocketAddr)> = socks[1..]
            .iter()
            .take(64)
            .map(|s| (s.local_addr().unwrap(), s.peer_addr().unwrap()))
            .map(|(l, p)| (l.as_socket().unwrap(), p.as_socket().unwrap()))
            .collect();
        let many = per_call(2_000, || {
            let rows = table.lookup_many(&tuples).unwrap();
            assert!(rows.iter().all(Option::is_some));
        }) / tuples.len() as f64;
        // What the tracer does after each call: read the fd's state, then check it.
        let check = per_call(20_000, || {
            let state = table::fd_state(fd).unwrap();
            let (_, c) = check_fd(Some(&table), fd, state, Some(local), Some(peer));
            assert_eq!(c.verdict, lab::kernel::check::Verdict::Agrees);
        });
        let dump = per_call(20, || {
            let rows = table.rows(&table::Filter::default()).unwrap();
            assert!(rows.len() >= n);
        });
        let runs = 15;
        let lab_ms = process_ms(lab, &["sockets"], runs);
        let lab_json_ms = process_ms(lab, &["sockets", "--json"], runs);
        let ss_ms = process_ms("ss", &["-tan"], runs);
        println!(
            "| {} | {tcp_info:.2} | {fstat:.2} | {lookup:.2} | {many:.2} | {check:.2} | {dump:.0} | {lab_ms:.2} | {lab_json_ms:.2} | {ss_ms:.2} |",
            socks.len()
        );
        // Close with RST (SO_LINGER 0): a normal close would leave thousands of TIME-WAIT
        // entries behind for 60 s, and the next measurement would count them.
        for s in &socks {
            let _ = s.set_linger(Some(Duration::ZERO));
        }
    }

    // The wrapper's own cost: a setsockopt through bare socket2, through TracedSocket with
    // tracing off, and with tracing on (events discarded, so only the tracing work counts).
    let bare = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    let off = TracedSocket::new(
        None,
        "bench",
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .unwrap();
    let tracer = Tracer::new(Arc::new(Discard));
    let on = TracedSocket::new(
        Some(tracer),
        "bench",
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .unwrap();
    let iters = 200_000;
    let t_bare = per_call(iters, || bare.set_tcp_nodelay(true).unwrap());
    let t_off = per_call(iters, || off.setsockopt(SockOpt::NoDelay(true)).unwrap());
    let t_on = per_call(iters / 10, || {
        on.setsockopt(SockOpt::NoDelay(true)).unwrap()
    });
    println!();
    println!("| setsockopt(TCP_NODELAY) | µs per call |");
    println!("|---|---|");
    println!("| bare socket2 | {t_bare:.3} |");
    println!("| TracedSocket, tracing off | {t_off:.3} |");
    println!(
        "| TracedSocket, tracing on (no check for setsockopt; events discarded) | {t_on:.3} |"
    );

    // A traced send(): what the chat server pays per send with --trace. The peer reads each
    // byte back so the socket never fills.
    let (socks, _) = open_sockets(3);
    let (a, b) = (&socks[1], &socks[2]);
    let mut byte = [0u8; 1];
    let bare = per_call(100_000, || {
        a.send(b"x").unwrap();
        nix::sys::socket::recv(
            std::os::fd::AsRawFd::as_raw_fd(b),
            &mut byte,
            nix::sys::socket::MsgFlags::empty(),
        )
        .unwrap();
    });
    let mut row = |name: &str, sink: Option<Arc<dyn Sink>>| {
        let s = TracedSocket::new(
            sink.map(Tracer::new),
            "bench",
            Domain::IPV4,
            Type::STREAM,
            Some(Protocol::TCP),
        )
        .unwrap();
        s.connect(socks[0].local_addr().unwrap().as_socket().unwrap())
            .unwrap();
        let (peer, _) = socks[0].accept().unwrap();
        let t = per_call(50_000, || {
            s.send(b"x").unwrap();
            nix::sys::socket::recv(
                std::os::fd::AsRawFd::as_raw_fd(&peer),
                &mut byte,
                nix::sys::socket::MsgFlags::empty(),
            )
            .unwrap();
        });
        println!("| {name} | {t:.2} |");
        let _ = peer.set_linger(Some(Duration::ZERO));
    };
    println!();
    println!("| send(1 byte) + the peer's recv | µs |");
    println!("|---|---|");
    println!("| bare socket2 | {bare:.2} |");
    row("TracedSocket, tracing off", None);
    row("traced, events discarded", Some(Arc::new(Discard)));
    row(
        "traced, human lines to /dev/null",
        Some(Arc::new(
            lab::render::human::HumanSink::new(std::fs::File::create("/dev/null").unwrap(), false)
                .buffered(),
        )),
    );
    row(
        "traced, JSON lines to /dev/null",
        Some(Arc::new(
            lab::render::json::JsonSink::new(std::fs::File::create("/dev/null").unwrap())
                .buffered(),
        )),
    );
    for s in &socks {
        let _ = s.set_linger(Some(Duration::ZERO));
    }
}
