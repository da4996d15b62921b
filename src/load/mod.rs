//! `lab load`: a tool that drives a chat — many real clients against a chat server, for
//! instructors and benchmarks. It is not the chat (that is [`crate::chat`]): it only speaks
//! to one, as the course's clients do, and measures.
//!
//! N connections register (`u0`, `u1`, …); then the first S of them send M lines between them
//! and every registered client, senders included (they get the `(you)` copy), must receive all
//! of them. Each line carries the time it was sent, so each delivery's latency is known.
//! Reports connections held, deliveries per second, and p50/p99 latency.
//!
//! - [`options`]: what to run (`lab load`'s arguments).
//! - [`server`]: the server under test, started as its own process.
//! - [`drive`]: the clients, one epoll thread: connect, register, send, count deliveries.
//! - [`report`]: what a run measured, and the latency histogram.
//! - [`soak`]: `lab load --soak`, well-behaved and abusive clients together.

mod drive;
mod options;
mod report;
mod server;
pub(crate) mod soak;

pub use options::Options;
pub use report::Report;

use crate::chat::server::Model;
use std::io;

/// `lab load`: runs the load, prints the report's line on stdout and a summary on stderr; an
/// error if not every client was held or not every message delivered.
pub fn main(opts: &Options) -> io::Result<()> {
    let r = run(opts)?;
    println!("{}", r.line());
    let what = match (opts.target, opts.model) {
        (Some(a), _) => format!("server on port {}", a.port()),
        (None, Model::Poll) => "lab server --model poll".into(),
        (None, Model::Threads) => "lab server --model threads".into(),
        (None, Model::Epoll) => "lab server --model epoll".into(),
    };
    let lost = if r.lost > 0 {
        format!("; LOST {}", r.lost)
    } else {
        String::new()
    };
    eprintln!(
        concat!(
            "{what}: {} of {} clients held; {} deliveries in {:.2} s = {:.0}/s; ",
            "latency p50 {} µs, p99 {} µs{lost}"
        ),
        r.held,
        r.clients,
        r.deliveries,
        r.secs,
        r.deliv_per_s,
        r.p50_us,
        r.p99_us,
        what = what,
        lost = lost,
    );
    if r.lost > 0 || r.held < r.clients {
        return Err(io::Error::other(
            "not every client was held, or not every message delivered",
        ));
    }
    Ok(())
}

/// Runs the load; starts a server first unless `target` is given.
///
/// The server is started as its own process (`lab server`), as the course's servers run: in
/// one process, 10,000 client sockets and 10,000 server sockets would share one fd limit.
pub fn run(opts: &Options) -> io::Result<Report> {
    let _ = crate::chat::serving::raise_fd_limit();
    let (addr, child) = match opts.target {
        Some(a) => (a, None),
        None => {
            let (a, c) = server::start(opts)?;
            (a, Some(c))
        }
    };
    let report = drive::drive(opts, addr);
    if let Some(c) = child {
        server::stop(c);
    }
    report
}
