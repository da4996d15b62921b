//! The kernel's socket table, read through sock_diag, against real loopback sockets — and
//! `lab sockets` against `ss -tan`.

mod common;

use common::{lab, PATIENCE};
use lab::kernel::check::wait_until;
use lab::kernel::sock_diag::DiagSocket;
use lab::kernel::table::{self, Filter, KernelTable, SocketRow};
use lab::tcp_state::TcpState;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A listener on 127.0.0.1 with an ephemeral port and the given backlog.
fn listener(backlog: i32) -> (Socket, SocketAddr) {
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    s.bind(&SockAddr::from(
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
    ))
    .unwrap();
    s.listen(backlog).unwrap();
    let addr = s.local_addr().unwrap().as_socket().unwrap();
    (s, addr)
}

fn listener_row(t: &KernelTable, addr: SocketAddr) -> Option<SocketRow> {
    let (local, any) = table::tuple(addr, None);
    t.lookup(local, any).unwrap()
}

#[test]
fn listener_shows_unaccepted_connections_as_recv_q_and_backlog_as_send_q() {
    let (_l, addr) = listener(5);
    let table = KernelTable::open().unwrap();
    let _c1 = TcpStream::connect(addr).unwrap();
    let _c2 = TcpStream::connect(addr).unwrap();
    // connect() returned, so the kernel finished both handshakes without accept(): both wait
    // in the accept queue. The count is read with a bounded wait, never a fixed sleep.
    assert!(wait_until(PATIENCE, || listener_row(&table, addr)
        .is_some_and(|r| r.recv_q == 2)));
    let row = listener_row(&table, addr).unwrap();
    assert_eq!(row.state, Some(TcpState::Listen));
    assert_eq!((row.recv_q, row.send_q), (2, 5));

    // The same through `lab sockets --json`.
    let out = lab()
        .args([
            "sockets",
            "--json",
            "-l",
            "--port",
            &addr.port().to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(rows[0]["state"], "LISTEN");
    assert_eq!(rows[0]["recv_q"], 2);
    assert_eq!(rows[0]["send_q"], 5);
    assert_eq!(rows[0]["local"], addr.to_string());
    for key in ["state", "recv_q", "send_q", "local", "peer", "uid", "inode"] {
        assert!(rows[0].get(key).is_some(), "missing {key} in {text}");
    }
}

#[test]
fn a_closed_connection_is_found_in_time_wait_by_its_4_tuple() {
    let (l, addr) = listener(5);
    let table = KernelTable::open().unwrap();
    let client = TcpStream::connect(addr).unwrap();
    let (server, _) = l.accept().unwrap();
    let tuple = (client.local_addr().unwrap(), addr);
    // The client closes first: its side goes FIN-WAIT-1 → FIN-WAIT-2 and, when the server
    // closes too, TIME-WAIT. The fd is gone; only the 4-tuple finds the connection.
    drop(client);
    // The server closes once it has read EOF, so its FIN cannot cross the client's.
    let mut server = std::net::TcpStream::from(server);
    server.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(std::io::Read::read(&mut server, &mut [0u8; 1]).unwrap(), 0);
    drop(server);
    let found = || table.lookup(tuple.0, tuple.1).unwrap();
    assert!(wait_until(PATIENCE, || found()
        .is_some_and(|r| r.state == Some(TcpState::TimeWait))));
    let row = found().unwrap();
    assert_eq!(row.inode, 0, "no fd holds a TIME-WAIT connection");
    let (timer, ms) = row.timer.expect("TIME-WAIT runs its timer");
    assert_eq!(timer.name(), "timewait");
    assert!(ms <= 60_000, "TIME-WAIT lasts 60 s on Linux, left {ms} ms");
    // The server's side (who closed second) does not linger.
    assert!(wait_until(PATIENCE, || table
        .lookup(addr, tuple.0)
        .unwrap()
        .is_none()));
}

#[test]
fn the_listener_trap_a_vanished_connection_is_not_the_listener() {
    let (l, addr) = listener(5);
    let client = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    client.connect(&SockAddr::from(addr)).unwrap();
    let (server, peer) = l.accept().unwrap();
    let peer = peer.as_socket().unwrap();
    // An abortive close (SO_LINGER 0) sends RST: both sides vanish at once, no TIME-WAIT.
    client.set_linger(Some(Duration::ZERO)).unwrap();
    drop(client);
    drop(server);
    let mut diag = DiagSocket::open().unwrap();
    assert!(wait_until(PATIENCE, || diag
        .lookup(addr, peer)
        .unwrap()
        .is_none()));
    // The trap itself: asked for the server side of the vanished connection, the kernel
    // returns the listener on the same port.
    let raw = diag
        .lookup_unchecked(addr, peer)
        .unwrap()
        .expect("the kernel answers with some socket");
    assert_eq!(TcpState::from_kernel(raw.state), Some(TcpState::Listen));
    assert_eq!(raw.local, addr);
    assert_ne!(raw.peer, peer);
    // Which the lab's lookup refuses, and the listener itself is still found when asked for.
    let table = KernelTable::open().unwrap();
    assert_eq!(table.lookup(addr, peer).unwrap(), None);
    assert_eq!(
        listener_row(&table, addr).unwrap().state,
        Some(TcpState::Listen)
    );
}

#[test]
fn a_fd_and_its_row_share_state_and_inode() {
    let (l, addr) = listener(5);
    let table = KernelTable::open().unwrap();
    let client = TcpStream::connect(addr).unwrap();
    let (server, _) = l.accept().unwrap();
    let fd = std::os::fd::AsFd::as_fd(&client);
    assert_eq!(table::fd_state(fd).unwrap(), Some(TcpState::Established));
    let row = table
        .lookup(client.local_addr().unwrap(), addr)
        .unwrap()
        .unwrap();
    assert_eq!(row.state, Some(TcpState::Established));
    assert_eq!(row.inode, table::fd_inode(fd).unwrap());
    assert_eq!(row.uid, nix::unistd::getuid().as_raw());
    // The listener's own fd says LISTEN, the same as its row.
    assert_eq!(
        table::fd_state(std::os::fd::AsFd::as_fd(&l)).unwrap(),
        Some(TcpState::Listen)
    );
    drop(server);
}

#[test]
fn a_dump_filters_by_state_port_and_family() {
    let (l, addr) = listener(5);
    let table = KernelTable::open().unwrap();
    let c = TcpStream::connect(addr).unwrap();
    let (_s, _) = l.accept().unwrap();
    let port = Some(addr.port());
    // Only our own rows count: a TIME-WAIT left by an earlier test may share the port number.
    let cl = c.local_addr().unwrap();
    let ours = |r: &SocketRow| [r.local, r.peer].contains(&cl) || r.state == Some(TcpState::Listen);
    let rows = table
        .rows(&Filter {
            port,
            ..Filter::default()
        })
        .unwrap();
    assert!(rows
        .iter()
        .all(|r| r.local.port() == addr.port() || r.peer.port() == addr.port()));
    assert_eq!(
        rows.iter().filter(|r| ours(r)).count(),
        3,
        "listener + both ends: {rows:?}"
    );
    let est = table
        .rows(&Filter {
            port,
            state: Some(TcpState::Established),
            ..Filter::default()
        })
        .unwrap();
    assert!(est.iter().all(|r| r.state == Some(TcpState::Established)));
    assert_eq!(est.iter().filter(|r| ours(r)).count(), 2);
    assert!(est.iter().any(|r| r.local == cl));
    let listening = table
        .rows(&Filter {
            port,
            listening: true,
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(listening.len(), 1);
    let v6 = table
        .rows(&Filter {
            port,
            ipv6: true,
            ..Filter::default()
        })
        .unwrap();
    assert!(v6.is_empty());
}

#[test]
fn ipv6_sockets_are_in_the_table_too() {
    let s = Socket::new(Domain::IPV6, Type::STREAM, Some(Protocol::TCP)).unwrap();
    if s.bind(&SockAddr::from("[::1]:0".parse::<SocketAddr>().unwrap()))
        .is_err()
    {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    }
    s.listen(3).unwrap();
    let addr = s.local_addr().unwrap().as_socket().unwrap();
    let table = KernelTable::open().unwrap();
    let c = TcpStream::connect(addr).unwrap();
    let row = table
        .lookup(c.local_addr().unwrap(), addr)
        .unwrap()
        .unwrap();
    assert_eq!(row.state, Some(TcpState::Established));
    assert!(!row.is_ipv4());
    assert_eq!(listener_row(&table, addr).unwrap().recv_q, 1);
}

/// `ss -tan`'s rows for a port: (state, recv-q, send-q, local, peer), in ss's spelling.
fn ss_rows(port: u16) -> Vec<(String, u32, u32, String, String)> {
    let out = std::process::Command::new("ss")
        .arg("-tan")
        .output()
        .expect("ss from iproute2 is installed (.ci/run installs it)");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 5).then(|| {
                (
                    f[0].to_string(),
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].to_string(),
                    f[4].to_string(),
                )
            })
        })
        .filter(|r: &(String, u32, u32, String, String)| {
            let p = format!(":{port}");
            r.3.ends_with(&p) || r.4.ends_with(&p)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn lab_sockets_agrees_with_ss_row_for_row() {
    if !common::have_tool("ss", "iproute2") {
        return;
    }
    let (l, addr) = listener(7);
    let port = addr.port();
    // Two accepted connections, one waiting in the accept queue, one in TIME-WAIT.
    let a = TcpStream::connect(addr).unwrap();
    let (_sa, _) = l.accept().unwrap();
    let b = TcpStream::connect(addr).unwrap();
    let (_sb, _) = l.accept().unwrap();
    let gone = TcpStream::connect(addr).unwrap();
    let (sg, _) = l.accept().unwrap();
    let gone_local = gone.local_addr().unwrap();
    // Connected after the others were accepted, so the accept queue (first in, first out)
    // holds only this one; and before `gone` closes: with net.ipv4.tcp_tw_reuse=2 (Linux's
    // default) a new loopback connection to the same place may take over a TIME-WAIT 4-tuple.
    let _pending = TcpStream::connect(addr).unwrap();
    // The client closes first, and the server only once it has read EOF: otherwise, under
    // load, the server's FIN can cross the client's, and the TIME-WAIT lands on its side.
    drop(gone);
    let mut sg = std::net::TcpStream::from(sg);
    sg.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(std::io::Read::read(&mut sg, &mut [0u8; 1]).unwrap(), 0);
    drop(sg);
    let table = KernelTable::open().unwrap();
    let in_time_wait = wait_until(PATIENCE, || {
        table
            .lookup(gone_local, addr)
            .unwrap()
            .is_some_and(|r| r.state == Some(TcpState::TimeWait))
    });
    assert!(
        in_time_wait,
        "gone's 4-tuple: {:?}; rows: {:#?}",
        table.lookup(gone_local, addr),
        table.rows(&Filter {
            port: Some(port),
            ..Filter::default()
        })
    );
    assert!(wait_until(PATIENCE, || listener_row(&table, addr)
        .is_some_and(|r| r.recv_q == 1)));

    // Only the rows of the sockets made here: an earlier test's TIME-WAIT may share a port.
    let mine: Vec<String> = [
        addr,
        a.local_addr().unwrap(),
        b.local_addr().unwrap(),
        gone_local,
        _pending.local_addr().unwrap(),
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    let is_mine = |local: &str, peer: &str| {
        mine.iter().any(|m| m == local) && (mine.iter().any(|m| m == peer) || peer.ends_with(":*"))
    };
    let out = lab()
        .args(["sockets", "--json", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut ours: Vec<(String, u32, u32, String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let addr = |k: &str| table::ss_addr(&v[k].as_str().unwrap().parse().unwrap());
            (
                v["state"].as_str().unwrap().to_string(),
                v["recv_q"].as_u64().unwrap() as u32,
                v["send_q"].as_u64().unwrap() as u32,
                addr("local"),
                addr("peer"),
            )
        })
        .filter(|r: &(String, u32, u32, String, String)| is_mine(&r.3, &r.4))
        .collect();
    ours.sort();
    let theirs: Vec<_> = ss_rows(port)
        .into_iter()
        .filter(|r| is_mine(&r.3, &r.4))
        .collect();
    assert_eq!(ours, theirs);
    // listener, 2×2 accepted ends, 2 ends of the pending one, 1 TIME-WAIT.
    assert_eq!(ours.len(), 8, "{ours:#?}");
    drop((a, b));
}

#[test]
fn lab_watch_reports_new_changed_and_vanished_sockets() {
    let (l, addr) = listener(5);
    let port = addr.port().to_string();
    let mut watch = common::Proc::spawn({
        let mut c = lab();
        c.args([
            "watch",
            "--port",
            &port,
            "--json",
            "--interval",
            "5",
            "--duration",
            "20",
        ]);
        c
    });
    // The listener existed before the watch: it is known, not reported. The watch says so
    // once it has taken its first reading.
    watch.wait_stderr("Ctrl+C to stop");
    let client = TcpStream::connect(addr).unwrap();
    let (server, _) = l.accept().unwrap();
    let local = client.local_addr().unwrap().to_string();
    // New: straight to ESTAB, or through SYN-SENT if a reading fell inside the handshake.
    watch.wait_stdout(&format!(
        "\"local\":\"{local}\",\"peer\":\"{addr}\",\"old\":null,\"new\":"
    ));
    watch.wait_stdout("\"new\":\"ESTAB\"");
    // The client closes first: FIN-WAIT-2 (FIN-WAIT-1 lasts ~40 ms: seen or not at 5 ms
    // readings); the server then closes: the client's side ends in TIME-WAIT, the server's
    // side vanishes.
    drop(client);
    watch.wait_stdout("\"new\":\"FIN-WAIT-2\"");
    drop(server);
    let text = watch.wait_stdout("\"new\":\"TIME-WAIT\"");
    let text = if text.contains(&format!(
        "\"local\":\"{addr}\",\"peer\":\"{local}\",\"old\":\"CLOSE-WAIT\",\"new\":null"
    )) {
        text
    } else {
        watch.wait_stdout("\"new\":null")
    };
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["t_ms", "local", "peer", "old", "new", "ms_in_old"] {
            assert!(v.get(key).is_some(), "{line}");
        }
    }
    assert!(
        !text.contains(&format!(
            "\"local\":\"{addr}\",\"peer\":\"0.0.0.0:0\",\"old\":null"
        )),
        "the listener was there before: {text}"
    );
}

/// Many lookups in one request (`DiagSocket::lookup_many`): 150 connections — three request
/// datagrams of at most 64 — each answered with its own row, in the order asked, the same row
/// a lookup of its own gives; a 4-tuple no socket has is `None`, also when the listener shares
/// its port (the listener trap).
#[test]
fn many_lookups_in_one_request_answer_each_in_order() {
    let (l, addr) = listener(200);
    let clients: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let accepted: Vec<Socket> = (0..150).map(|_| l.accept().unwrap().0).collect();
    let mut tuples: Vec<(SocketAddr, SocketAddr)> = accepted
        .iter()
        .map(|s| {
            let local = s.local_addr().unwrap().as_socket().unwrap();
            (local, s.peer_addr().unwrap().as_socket().unwrap())
        })
        .collect();
    // Nobody has this one; the listener has its local port (the trap).
    let nobody: SocketAddr = "127.0.0.1:9".parse().unwrap();
    tuples.insert(70, (addr, nobody));
    let mut diag = DiagSocket::open().unwrap();
    let rows = diag.lookup_many(&tuples).unwrap();
    assert_eq!(rows.len(), 151);
    assert!(
        rows[70].is_none(),
        "the listener answered for a 4-tuple nobody has"
    );
    for (i, (t, row)) in tuples.iter().zip(&rows).enumerate() {
        if i == 70 {
            continue;
        }
        let row = row.as_ref().unwrap_or_else(|| panic!("no row for {t:?}"));
        assert_eq!((row.local, row.peer), *t, "answer {i} is another socket's");
        assert_eq!(row.state, TcpState::Established as u8);
        assert_eq!(Some(row.clone()), diag.lookup(t.0, t.1).unwrap());
    }
    drop(clients);
}

/// Two listeners on one address (SO_REUSEPORT): an exact lookup of the address answers with the
/// one the kernel's hash picks, and the other is told apart by its inode — each listen() is ✓
/// LISTEN (the second was ✗ "another socket"), and the observer, reading the table after each
/// event, never says one of them vanished.
#[test]
fn two_listeners_sharing_a_port_are_each_confirmed_and_neither_said_gone() {
    use lab::kernel::check::Verdict;
    use lab::trace::sockopt::SockOpt;
    use lab::trace::{Collector, Kind, Syscall, TracedSocket, Tracer};
    let kept = Collector::new();
    let tracer = Tracer::new(kept.clone());
    let listener = |at: SocketAddr| {
        let (v4, tcp) = (Domain::IPV4, Some(Protocol::TCP));
        let s = TracedSocket::new(Some(tracer.clone()), "srv", v4, Type::STREAM, tcp).unwrap();
        s.setsockopt(SockOpt::ReusePort(true)).unwrap();
        s.bind(at).unwrap();
        s.listen(8).unwrap();
        s
    };
    let first = listener("127.0.0.1:0".parse().unwrap());
    let second = listener(first.local_addr().unwrap());
    tracer.flush();
    let events = kept.events();
    let listens: Vec<_> = events
        .iter()
        .filter(|e| e.call == Some(Syscall::Listen))
        .collect();
    assert_eq!(listens.len(), 2);
    for l in listens {
        assert_eq!(
            (l.verdict, l.kernel),
            (Verdict::Agrees, Some(TcpState::Listen)),
            "{l:?}"
        );
    }
    let moves: Vec<_> = events.iter().filter(|e| e.kind == Kind::Kernel).collect();
    assert!(moves.is_empty(), "{moves:?}");
    drop((first, second));
}
