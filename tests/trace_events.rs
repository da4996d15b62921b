//! The trace of a real exchange over loopback: the right calls, fds, results and states, each
//! confirmed by the kernel's table.

mod common;

use lab::kernel::check::Verdict;
use lab::tcp_state::TcpState;
use lab::trace::{Arg, Collector, Detail, Event, Kind, SockOpt, Syscall, TracedSocket, Tracer};
use nix::errno::Errno;
use socket2::{Domain, Protocol, Type};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;

fn tcp(tracer: &Arc<Tracer>, actor: &str) -> TracedSocket {
    TracedSocket::new(
        Some(tracer.clone()),
        actor,
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .unwrap()
}

fn find<'a>(events: &'a [Event], actor: &str, call: Syscall) -> Vec<&'a Event> {
    events
        .iter()
        .filter(|e| e.kind == Kind::Call && e.actor == actor && e.call == Some(call))
        .collect()
}

/// A tracer whose events are kept.
fn traced() -> (Arc<Collector>, Arc<Tracer>) {
    let collector = Collector::new();
    let tracer = Tracer::new(collector.clone());
    (collector, tracer)
}

/// A listener, a client connected to it, and the accepted connection.
fn connected(tracer: &Arc<Tracer>) -> (TracedSocket, TracedSocket, TracedSocket) {
    let server = tcp(tracer, "server");
    server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    server.listen(1).unwrap();
    let client = tcp(tracer, "client");
    client.connect(server.local_addr().unwrap()).unwrap();
    let (conn, _) = server.accept().unwrap();
    (server, client, conn)
}

#[test]
fn a_listen_connect_exchange_is_traced_call_by_call() {
    let collector = Collector::new();
    let tracer = Tracer::new(collector.clone());

    let server = tcp(&tracer, "server");
    server.setsockopt(SockOpt::ReuseAddr(true)).unwrap();
    server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    server.listen(8).unwrap();
    let addr = server.local_addr().unwrap();

    let client = tcp(&tracer, "client");
    client.connect(addr).unwrap();
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());

    client.send(b"hola\n").unwrap();
    let mut buf = [0u8; 64];
    let n = conn.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hola\n");

    // Half-close: the client sends FIN, the server reads EOF and sits in CLOSE-WAIT.
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(conn.recv(&mut buf).unwrap(), 0);
    conn.close().unwrap();
    // The server's FIN reaches the client: EOF, then the client closes last... but it
    // closed its writing side first, so it is the one that ends in TIME-WAIT.
    assert_eq!(client.recv(&mut buf).unwrap(), 0);
    let client_fd = client.fd();
    client.close().unwrap();
    server.close().unwrap();

    let ev = collector.events();
    // Sequence numbers are 1, 2, 3… in order.
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }

    // socket(): a new fd, not yet in the table.
    let sock = find(&ev, "server", Syscall::Socket)[0];
    let server_fd = sock.ret.unwrap() as i32;
    assert_eq!(sock.fd, Some(server_fd));
    assert_eq!(
        sock.args_text(),
        "AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP"
    );
    assert_eq!(sock.state, Some(TcpState::Close));
    assert_eq!(sock.verdict, Verdict::NotVisible);

    let opt = find(&ev, "server", Syscall::Setsockopt)[0];
    assert_eq!(
        opt.args_text(),
        format!("{server_fd}, SOL_SOCKET, SO_REUSEADDR, 1")
    );
    assert_eq!(opt.args[0], Arg::Fd(server_fd));
    assert_eq!(opt.ret, Some(0));

    // bind(): bound, idle. Linux ≥ 6.8 lists it; before, it is invisible — never "differs".
    let bind = find(&ev, "server", Syscall::Bind)[0];
    assert_eq!(bind.fd, Some(server_fd));
    assert!(
        matches!(bind.verdict, Verdict::Agrees | Verdict::NotVisible),
        "{bind:?}"
    );

    // listen(): CLOSE → LISTEN, and the table shows the backlog.
    let listen = find(&ev, "server", Syscall::Listen)[0];
    assert_eq!(listen.args, vec![Arg::Fd(server_fd), Arg::Int(8)]);
    assert_eq!(
        (listen.before, listen.state),
        (Some(TcpState::Close), Some(TcpState::Listen))
    );
    assert_eq!(
        (listen.kernel, listen.verdict),
        (Some(TcpState::Listen), Verdict::Agrees)
    );
    assert_eq!(listen.send_q, Some(8));

    // connect(): the handshake is done when it returns.
    let connect = find(&ev, "client", Syscall::Connect)[0];
    assert_eq!(connect.args, vec![Arg::Fd(client_fd), Arg::Addr(addr)]);
    assert_eq!((connect.local, connect.peer), (Some(peer), Some(addr)));
    assert_eq!(
        (connect.before, connect.state),
        (Some(TcpState::Close), Some(TcpState::Established))
    );
    assert_eq!(
        (connect.kernel, connect.verdict),
        (Some(TcpState::Established), Verdict::Agrees)
    );

    // accept4(): on the listener's fd, returning the connection's fd.
    let accept = find(&ev, "server", Syscall::Accept4)[0];
    let conn_fd = accept.ret.unwrap() as i32;
    assert_eq!(accept.fd, Some(server_fd));
    assert_ne!(conn_fd, server_fd);
    assert_eq!(accept.detail, Some(Detail::Accepted { fd: conn_fd, peer }));
    assert_eq!(
        accept.detail_text().unwrap(),
        format!("{conn_fd} from {peer}")
    );
    assert_eq!(
        (accept.state, accept.verdict),
        (Some(TcpState::Established), Verdict::Agrees)
    );

    // send() and recv() carry the bytes, escaped as strace shows them.
    let send = find(&ev, "client", Syscall::Send)[0];
    assert_eq!(
        send.args_text(),
        format!("{client_fd}, \"hola\\n\", 5, MSG_NOSIGNAL")
    );
    assert_eq!(send.data(), Some((&b"hola\n"[..], 5)));
    assert_eq!(send.ret, Some(5));
    let recvs = find(&ev, "server", Syscall::Recv);
    assert_eq!(recvs[0].fd, Some(conn_fd));
    assert_eq!(
        recvs[0].args_text(),
        format!("{conn_fd}, \"hola\\n\", 64, 0")
    );
    assert_eq!(recvs[0].ret, Some(5));

    // shutdown(SHUT_WR): FIN sent; once acknowledged, FIN-WAIT-2 — waited for, not slept.
    let shut = find(&ev, "client", Syscall::Shutdown)[0];
    assert_eq!(shut.args_text(), format!("{client_fd}, SHUT_WR"));
    assert_eq!(shut.state, Some(TcpState::FinWait2), "{shut:?}");
    assert_eq!(
        (shut.kernel, shut.verdict),
        (Some(TcpState::FinWait2), Verdict::Agrees)
    );

    // recv() = 0: EOF, and the reader is in CLOSE-WAIT, as the kernel confirms.
    assert_eq!(recvs[1].ret, Some(0));
    assert_eq!(
        (recvs[1].state, recvs[1].kernel, recvs[1].verdict),
        (
            Some(TcpState::CloseWait),
            Some(TcpState::CloseWait),
            Verdict::Agrees
        )
    );

    // The server closes from CLOSE-WAIT: the fd is gone, the connection passes LAST-ACK.
    let conn_close = find(&ev, "server", Syscall::Close)
        .into_iter()
        .find(|e| e.fd == Some(conn_fd))
        .unwrap();
    assert!(conn_close.fd_gone);
    assert_eq!(conn_close.before, Some(TcpState::CloseWait));
    assert_eq!(conn_close.verdict, Verdict::Agrees, "{conn_close:?}");

    // The client, who sent FIN first, holds TIME-WAIT: seen by its 4-tuple after close().
    let client_close = find(&ev, "client", Syscall::Close)[0];
    assert_eq!(client_close.fd, Some(client_fd));
    assert!(client_close.fd_gone);
    assert_eq!(
        client_close.kernel,
        Some(TcpState::TimeWait),
        "{client_close:?}"
    );
    assert_eq!(client_close.verdict, Verdict::Agrees);

    // The listener's close leaves nothing behind.
    let listener_close = find(&ev, "server", Syscall::Close)
        .into_iter()
        .find(|e| e.fd == Some(server_fd))
        .unwrap();
    assert_eq!(listener_close.before, Some(TcpState::Listen));
    assert_eq!(listener_close.kernel_path, vec![None]);
    assert_eq!(listener_close.verdict, Verdict::Agrees);

    // Nothing in the whole run disagreed with the kernel.
    assert!(ev.iter().all(|e| e.verdict != Verdict::Differs), "{ev:#?}");
}

#[test]
fn connection_refused_is_an_errno_by_name() {
    // A port nobody listens on, held bound (not listening) so that no other test takes it.
    let (_held, port) = common::refusing_port();
    let collector = Collector::new();
    let tracer = Tracer::new(collector.clone());
    let c = tcp(&tracer, "client");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let err = c.connect(addr).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    let ev = collector.events();
    let connect = find(&ev, "client", Syscall::Connect)[0];
    assert_eq!(connect.ret, Some(-1));
    assert_eq!(connect.errno, Some(Errno::ECONNREFUSED));
    assert_eq!(
        connect.result_text(),
        "= -1 ECONNREFUSED (Connection refused)"
    );
    assert_eq!(connect.state, Some(TcpState::Close));
}

#[test]
fn a_closed_connection_is_followed_until_time_wait() {
    let (collector, tracer) = traced();
    let (_server, client, conn) = connected(&tracer);
    // The client closes with its fd: FIN-WAIT-1, then FIN-WAIT-2 once the ACK is back.
    client.close().unwrap();
    // The server closes too: the client's connection, fd long gone, moves to TIME-WAIT.
    conn.close().unwrap();
    tracer.observe();
    let ev = collector.events();
    let close = find(&ev, "client", Syscall::Close)[0];
    assert_eq!(close.before, Some(TcpState::Established));
    assert!(
        matches!(
            close.kernel,
            Some(TcpState::FinWait2) | Some(TcpState::FinWait1)
        ),
        "{close:?}"
    );
    // Two moves the kernel made on its own: the server's side got the client's FIN (CLOSE-WAIT,
    // right after the client's close), and the client's, fd long gone, the server's (TIME-WAIT).
    let kernel: Vec<&Event> = ev.iter().filter(|e| e.kind == Kind::Kernel).collect();
    assert_eq!(kernel.len(), 2, "{ev:#?}");
    assert_eq!(
        (kernel[0].actor.as_str(), kernel[0].kernel),
        ("server", Some(TcpState::CloseWait))
    );
    assert_eq!(kernel[0].seq, close.seq + 1);
    assert!(!kernel[0].fd_gone);
    let kernel = &kernel[1..];
    assert_eq!(kernel[0].actor, "client");
    assert_eq!(kernel[0].kernel, Some(TcpState::TimeWait));
    assert!(kernel[0].fd_gone);
    // It came right after the server's close that caused it.
    let conn_close = find(&ev, "server", Syscall::Close)[0];
    assert_eq!(kernel[0].seq, conn_close.seq + 1);
}

#[test]
fn with_tracing_off_nothing_is_traced_and_the_socket_still_works() {
    let s = TracedSocket::new(
        None,
        "quiet",
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .unwrap();
    assert!(!s.is_traced());
    s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    s.listen(1).unwrap();
    let c = TracedSocket::new(
        None,
        "quiet",
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .unwrap();
    c.connect(s.local_addr().unwrap()).unwrap();
    let (a, _) = s.accept().unwrap();
    c.send(b"x").unwrap();
    let mut b = [0u8; 1];
    assert_eq!(a.recv(&mut b).unwrap(), 1);
}

#[test]
fn abortive_close_sends_rst_and_the_peer_sees_econnreset() {
    let (collector, tracer) = traced();
    let (_server, client, conn) = connected(&tracer);
    client
        .setsockopt(SockOpt::Linger(Some(std::time::Duration::ZERO)))
        .unwrap();
    client.close().unwrap();
    let mut b = [0u8; 8];
    let err = conn.recv(&mut b).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET));
    let ev = collector.events();
    let close = find(&ev, "client", Syscall::Close)[0];
    // RST: nothing left in the table, no TIME-WAIT.
    assert_eq!(close.kernel_path, vec![None]);
    assert_eq!(close.verdict, Verdict::Agrees);
    let recv = find(&ev, "server", Syscall::Recv)[0];
    assert_eq!(recv.errno, Some(Errno::ECONNRESET));
    assert_eq!(recv.state, Some(TcpState::Close));
}

/// Issue 19, item 2: a move the peer caused is never printed as the call's own. The peer's
/// FIN arrives while lab waits for the ACK of ours after `shutdown(SHUT_WR)`: the call's line
/// shows what it did (ESTAB → FIN-WAIT-1, and FIN-WAIT-2 if the ACK came alone), the peer's FIN
/// is a kernel line after it, with its reason. And `recv()` → EOF moved nothing itself: the
/// FIN is a kernel line before it.
#[test]
fn a_move_the_peer_caused_is_printed_as_the_kernels_not_the_calls() {
    use std::io::Read;
    let (collector, tracer) = traced();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The peer: reads until our FIN, then closes at once (its FIN carries the ACK of ours).
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 16];
        while s.read(&mut buf).unwrap() > 0 {}
    });
    let client = tcp(&tracer, "client");
    client.connect(addr).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    peer.join().unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(client.recv(&mut buf).unwrap(), 0);
    let events = collector.events();
    let text: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
    let shut = find(&events, "client", Syscall::Shutdown)[0];
    let own: Vec<TcpState> = shut.transit.iter().copied().chain(shut.state).collect();
    assert!(
        own.iter()
            .all(|s| matches!(s, TcpState::FinWait1 | TcpState::FinWait2)),
        "shutdown() shown moving to {own:?}: the peer's FIN is not its doing\n{text:#?}"
    );
    let after = events
        .iter()
        .find(|e| e.seq > shut.seq && e.kind == Kind::Kernel)
        .expect("a kernel line");
    assert_eq!(after.kernel, Some(TcpState::TimeWait), "{text:#?}");
    assert!(
        after.note.as_deref().is_some_and(|n| n.contains("FIN")),
        "{after:?}"
    );
    let recv = find(&events, "client", Syscall::Recv)[0];
    assert!(
        recv.before == recv.state && recv.transit.is_empty(),
        "recv() moved nothing itself: {recv:?}"
    );
}

/// Issue 19, items 2 and 4: after `close()` from ESTAB, the peer closes on reading our FIN (its
/// FIN carries the ACK of ours: FIN-WAIT-1 → TIME-WAIT). The close's line shows where the close
/// put the connection; the peer's FIN is a kernel line after it; and nothing "crossed" — that
/// is said only of a simultaneous close, through CLOSING.
#[test]
fn the_peers_fin_after_ours_is_the_kernels_move_and_not_called_crossed() {
    use std::io::Read;
    let (collector, tracer) = traced();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 16];
        while s.read(&mut buf).unwrap() > 0 {}
    });
    let client = tcp(&tracer, "client");
    client.connect(addr).unwrap();
    client.close().unwrap();
    peer.join().unwrap();
    // The end of the run, as every run of lab ends: the trace's last look at the table. (The
    // peer's FIN may come after the close's own looks: a peer thread that runs late lets its
    // kernel's delayed ACK of our FIN go alone, and the close lands in FIN-WAIT-2.)
    tracer.flush();
    let events = collector.events();
    let close = find(&events, "client", Syscall::Close)[0];
    assert!(
        !close.kernel_path.contains(&Some(TcpState::TimeWait))
            || close.kernel_path == [Some(TcpState::TimeWait)],
        "{close:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| !e.reason.as_deref().unwrap_or("").contains("crossed")),
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .all(|e| !e.note.as_deref().unwrap_or("").contains("crossed")),
        "{events:#?}"
    );
    if close.kernel_path != [Some(TcpState::TimeWait)] {
        let after = events
            .iter()
            .find(|e| e.seq > close.seq && e.kind == Kind::Kernel)
            .expect("a kernel line");
        assert_eq!(
            (after.before, after.kernel),
            (close.kernel, Some(TcpState::TimeWait)),
            "{events:#?}"
        );
    }
}

/// Issue 19, item 7: a connection that leaves the table says why, from what the kernel knows.
/// The server closes first (FIN-WAIT-2); the client closes from CLOSE-WAIT with data it never
/// read: its close sends RST (said on its line), and the server's orphaned connection is gone
/// at once — reset, not merely "gone from the table".
#[test]
fn a_connection_reset_says_reset_not_just_gone() {
    let (collector, tracer) = traced();
    let (_server, client, conn) = connected(&tracer);
    conn.send(b"unread\n").unwrap();
    conn.close().unwrap();
    client.close().unwrap();
    let events = collector.events();
    let close = find(&events, "client", Syscall::Close)[0];
    assert!(
        close.note.as_deref().is_some_and(|n| n.contains("RST")),
        "{close:?}"
    );
    let gone = events
        .iter()
        .find(|e| e.kind == Kind::Kernel && e.actor == "server" && e.kernel.is_none())
        .unwrap_or_else(|| panic!("the server's connection leaves the table: {events:#?}"));
    let why = gone.note.as_deref().unwrap_or("");
    assert!(
        why.contains("RST") && !why.contains("gone from the table"),
        "{gone:?}"
    );
}
