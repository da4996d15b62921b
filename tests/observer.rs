//! The kernel observer: what the kernel does to a traced socket between two calls is in the
//! trace when it happens — checked with `ss`, as a student would check it, at moments when the
//! program makes no call.

mod common;

use common::{have_tool, ss_state, PATIENCE};
use lab::kernel::check::wait_until;
use lab::tcp_state::TcpState;
use lab::trace::{observer, Collector, Event, Kind, Syscall, TracedSocket, Tracer};
use socket2::{Domain, Protocol, Type};
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

fn live() -> (Arc<Collector>, Arc<Tracer>) {
    let c = Collector::new();
    let t = Tracer::new(c.clone());
    t.observe_live(observer::INTERVAL);
    (c, t)
}

fn tcp(t: &Arc<Tracer>, actor: &str) -> TracedSocket {
    TracedSocket::new(
        Some(t.clone()),
        actor,
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .unwrap()
}

/// A traced client "cli" connected to a peer that is not traced.
fn traced_client_untraced_peer(t: &Arc<Tracer>) -> (TracedSocket, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let cli = tcp(t, "cli");
    cli.connect(l.local_addr().unwrap()).unwrap();
    let (peer, _) = l.accept().unwrap();
    (cli, peer)
}

/// Waits (bounded) for a kernel event of `actor` that ends in `state` (`None`: gone).
fn kernel_event(c: &Collector, actor: &str, state: Option<TcpState>) -> Event {
    let find = || {
        c.events()
            .into_iter()
            .find(|e| e.kind == Kind::Kernel && e.actor == actor && e.kernel == state)
    };
    assert!(
        wait_until(PATIENCE, || find().is_some()),
        "no kernel event {actor} → {state:?}: {:#?}",
        c.events()
    );
    find().unwrap()
}

#[test]
fn close_wait_is_in_the_trace_as_it_happens_not_at_the_next_call() {
    if !have_tool("ss", "iproute2") {
        return;
    }
    let (c, t) = live();
    let srv = tcp(&t, "srv");
    srv.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    srv.listen(1).unwrap();
    let cli = tcp(&t, "cli");
    cli.connect(srv.local_addr().unwrap()).unwrap();
    let (conn, peer) = srv.accept().unwrap();
    conn.set_actor("conn");
    cli.close().unwrap();
    // No call on conn since accept(): the observer alone reports the peer's FIN.
    let ev = kernel_event(&c, "conn", Some(TcpState::CloseWait));
    assert_eq!(ev.before, Some(TcpState::Established));
    assert!(
        ev.note.as_deref().unwrap().contains("FIN arrived"),
        "{ev:?}"
    );
    assert!(!ev.fd_gone);
    assert_eq!(
        ss_state(conn.local_addr().unwrap(), peer).as_deref(),
        Some("CLOSE-WAIT")
    );
    // The next call starts from it: no second report of the same move.
    let mut b = [0u8; 8];
    assert_eq!(conn.recv(&mut b).unwrap(), 0);
    let moves = c
        .events()
        .iter()
        .filter(|e| e.actor == "conn" && e.kernel == Some(TcpState::CloseWait))
        .count();
    assert_eq!(
        moves,
        2,
        "the kernel event and the recv's check: {:#?}",
        c.events()
    );
    let recv = c
        .events()
        .into_iter()
        .find(|e| e.call == Some(Syscall::Recv))
        .unwrap();
    assert!(recv.seq > ev.seq);
}

#[test]
fn a_handshake_that_finishes_in_the_accept_queue_is_seen_without_accept() {
    if !have_tool("ss", "iproute2") {
        return;
    }
    let (c, t) = live();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let cli = tcp(&t, "cli");
    cli.set_nonblocking(true).unwrap();
    let err = cli.connect(l.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINPROGRESS));
    // Nobody calls accept(); the kernel finishes the handshake by itself. On loopback it may
    // be done before connect() even returns — then connect's own event says ESTAB.
    let connect = c
        .events()
        .into_iter()
        .find(|e| e.call == Some(Syscall::Connect))
        .unwrap();
    if connect.state == Some(TcpState::SynSent) {
        let ev = kernel_event(&c, "cli", Some(TcpState::Established));
        assert_eq!(ev.before, Some(TcpState::SynSent));
        assert!(
            ev.note.as_deref().unwrap().contains("handshake finished"),
            "{ev:?}"
        );
    }
    assert_eq!(
        ss_state(cli.local_addr().unwrap(), l.local_addr().unwrap()).as_deref(),
        Some("ESTAB")
    );
}

#[test]
fn the_last_connections_time_wait_is_reported_although_no_call_follows() {
    let (c, t) = live();
    // The peer is not traced: once the client's fd is closed, nothing the program does would
    // ever report what happens to the connection — only the observer can.
    let (cli, peer) = traced_client_untraced_peer(&t);
    cli.close().unwrap();
    let close = c
        .events()
        .into_iter()
        .find(|e| e.call == Some(Syscall::Close))
        .unwrap();
    assert_eq!(close.kernel, Some(TcpState::FinWait2), "{close:?}");
    drop(peer);
    let ev = kernel_event(&c, "cli", Some(TcpState::TimeWait));
    assert_eq!(ev.before, Some(TcpState::FinWait2));
    assert!(ev.fd_gone && ev.t_us > close.t_us);
}

#[test]
fn a_reset_is_reported_on_the_socket_that_still_holds_its_fd() {
    let (c, t) = live();
    let (cli, peer) = traced_client_untraced_peer(&t);
    socket2::SockRef::from(&peer)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(peer);
    let ev = kernel_event(&c, "cli", None);
    // No wire is captured here: the trace cannot know who ended it, and does not claim to.
    let note = ev.note.as_deref().unwrap();
    assert!(
        note.contains("RST") && note.contains("tells which"),
        "{ev:?}"
    );
    assert_eq!(format!("{:?}", ev.ended), "Some(Unknown)");
    let mut b = [0u8; 4];
    assert_eq!(
        cli.recv(&mut b).unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
}

#[test]
fn without_the_observer_thread_a_change_is_reported_before_the_call_that_reveals_it() {
    let c = Collector::new();
    let t = Tracer::new(c.clone());
    let cli = tcp(&t, "cli");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    cli.connect(l.local_addr().unwrap()).unwrap();
    let (peer, _) = l.accept().unwrap();
    drop(peer);
    // Wait for the FIN with no traced call (reading the fd's state directly): nothing is
    // emitted meanwhile, as no thread reads the table.
    let cl = c.len();
    assert!(wait_until(PATIENCE, || lab::kernel::table::fd_state(
        std::os::fd::AsFd::as_fd(&cli)
    )
    .ok()
    .flatten()
        == Some(TcpState::CloseWait)));
    assert_eq!(c.len(), cl);
    let mut b = [0u8; 4];
    assert_eq!(cli.recv(&mut b).unwrap(), 0);
    let evs = c.since(cl);
    assert_eq!(evs[0].kind, Kind::Kernel, "{evs:#?}");
    assert_eq!(
        (evs[0].before, evs[0].kernel),
        (Some(TcpState::Established), Some(TcpState::CloseWait))
    );
    assert_eq!(evs[1].call, Some(Syscall::Recv));
}
