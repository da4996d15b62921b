//! The server under test: `lab server` started as its own process, as the course's servers
//! run, and stopped with Ctrl+C (SIGINT), as a person would stop it.

use super::options::Options;
use crate::chat::dialect::Dialect;
use crate::chat::server::Model;
use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// Starts `lab server --port 0` and reads the port it got from its first line.
pub fn start(opts: &Options) -> io::Result<(SocketAddr, Child)> {
    let model = match opts.model {
        Model::Threads => "threads",
        Model::Poll => "poll",
        Model::Epoll => "epoll",
    };
    let mut cmd = Command::new(std::env::current_exe()?);
    // English whatever LANG says: the load generator reads the server's words.
    cmd.args([
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--model",
        model,
    ])
    .args(["--seed", "1", "--lang", "en"])
    .args([
        "--max-clients",
        &(opts.clients + opts.idle + 16).to_string(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    cmd.args(["--dialect", server_dialect(&opts.mix)?]);
    if let Some(f) = &opts.trace_file {
        cmd.arg("--trace-file").arg(f);
        if opts.json {
            cmd.arg("--json");
        }
    }
    let mut child = cmd.spawn()?;
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    let addr = first
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| io::Error::other(format!("lab server did not start: {first}")))?;
    // Keep draining its stderr so it never blocks writing there.
    std::thread::spawn(move || for _ in lines {});
    Ok((addr, child))
}

/// Ctrl+C, as a person would stop it; it says goodbye and exits.
pub fn stop(mut child: Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let _ = child.wait();
}

/// The server's `--dialect` for a mix: stardew and el4005 clients look alike on the wire, so
/// the server is told which one to expect — and cannot be told both.
fn server_dialect(mix: &[Dialect]) -> io::Result<&'static str> {
    match (
        mix.contains(&Dialect::Stardew),
        mix.contains(&Dialect::El4005),
    ) {
        (true, true) => Err(io::Error::other(
            "stardew and el4005 clients cannot share a server: mix one of them",
        )),
        (true, false) => Ok("stardew"),
        (false, true) => Ok("el4005"),
        (false, false) if mix.iter().all(|d| *d == Dialect::Line) => Ok("line"),
        (false, false) => Ok("auto"),
    }
}
