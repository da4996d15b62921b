//! What one trace event costs outside the kernel: made and moved by the traced program's
//! thread, and written as JSON Lines by the writer thread (issue 25: a traced epoll server
//! with 10,000 clients writes 263,000 events, mostly `send`, `recv` and `epoll_wait`).
//! `cargo bench --bench trace_events`.

use lab::render::json::JsonSink;
use lab::tcp_state::TcpState;
use lab::trace::{Arg, Detail, Event, Sink, Syscall};
use std::hint::black_box;
use std::io;
use std::time::Instant;

/// A chat message, as the load generator sends them.
const MSG: &[u8] = b"c12: hello from client 12, and more words\n";

/// A chat server's `send(7, "c12: hello from client 12…", 42, MSG_NOSIGNAL) = 42`, checked.
fn send(i: u64) -> Event {
    let msg = MSG;
    let mut ev = Event::call(
        "server",
        Syscall::Send,
        Some(7),
        vec![
            Arg::Fd(7),
            Arg::data(msg),
            Arg::Int(msg.len() as i64),
            Arg::Const("MSG_NOSIGNAL".into()),
        ],
    );
    checked(&mut ev, i, msg.len() as i64);
    ev
}

/// `recv(7, "…", 4096, 0) = 27`.
fn recv(i: u64) -> Event {
    let msg = MSG;
    let mut ev = Event::call(
        "server",
        Syscall::Recv,
        Some(7),
        vec![
            Arg::Fd(7),
            Arg::data(msg),
            Arg::Int(4096),
            Arg::Const("0".into()),
        ],
    );
    checked(&mut ev, i, msg.len() as i64);
    ev
}

/// `epoll_wait(4, [{events=EPOLLIN, …}, …], 1024, -1) = 3`.
fn epoll_wait(i: u64) -> Event {
    let mut ev = Event::call(
        "server",
        Syscall::EpollWait,
        Some(4),
        vec![Arg::Fd(4), Arg::Int(1024), Arg::Int(-1)],
    );
    ev.detail = Some(Detail::events(
        (0..3).map(|k| (libc::EPOLLIN as u32, 7 + k as u64)),
    ));
    ev.seq = i;
    ev.t_us = 1_000_000 + i * 13;
    ev.ret = Some(3);
    ev
}

fn checked(ev: &mut Event, i: u64, ret: i64) {
    ev.seq = i;
    ev.t_us = 1_000_000 + i * 13;
    ev.ret = Some(ret);
    let lo = std::net::Ipv4Addr::LOCALHOST;
    ev.local = Some((lo, 7601).into());
    ev.peer = Some((lo, 40000 + (i % 10000) as u16).into());
    ev.before = Some(TcpState::Established);
    ev.state = Some(TcpState::Established);
    ev.kernel = Some(TcpState::Established);
    ev.recv_q = Some(0);
    ev.send_q = Some(0);
}

/// A server's mix: per message received, one `epoll_wait`, one `recv` and a few `send`s.
fn mix(n: u64) -> Vec<Event> {
    (0..n)
        .map(|i| match i % 5 {
            0 => epoll_wait(i),
            1 => recv(i),
            _ => send(i),
        })
        .collect()
}

/// Bytes written, counted (the writer's file, without the disk).
#[derive(Default)]
struct Count(usize);
impl io::Write for Count {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() {
    let n = 200_000;
    let evs = mix(n);
    let only = std::env::args().nth(1).filter(|a| a != "--bench");
    for round in 0..3 {
        let sink = JsonSink::new(io::BufWriter::new(Count::default())).buffered();
        let t = Instant::now();
        for ev in &evs {
            sink.event(ev);
        }
        sink.flush();
        let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("json: {us:.3} µs per event (round {round})");
    }
    if only.as_deref() == Some("json") {
        return;
    }
    for round in 0..3 {
        let t = Instant::now();
        // Made, moved into a queue (as the writer's), and dropped (as after writing).
        let mut queue = Vec::with_capacity(256);
        for i in 0..n {
            queue.push(black_box(send(i)));
            if queue.len() == 256 {
                black_box(&mut queue).clear();
            }
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("make a send event and move it: {us:.3} µs (round {round})");
    }
    println!("size of Event: {} bytes", std::mem::size_of::<Event>());
}
