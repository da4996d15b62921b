//! The command line: parse arguments, dispatch. Nothing else lives here.

use crate::kernel::owners;
use crate::kernel::table::{Filter, KernelTable};
use crate::render::{self, ColorChoice};
use crate::tcp_state::TcpState;
use crate::trace::{Sink, Tracer};
use crate::{explain, netcat, watch};
use clap::{Args, Parser, Subcommand};
use std::fs::File;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A teaching lab for TCP sockets: every call traced, every state checked against the kernel.
#[derive(Parser, Debug)]
#[command(name = "lab", version, about, long_about = None)]
pub struct Cli {
    /// Color: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The kernel's TCP socket table, like `ss -tan`.
    Sockets(SocketsArgs),
    /// Print every state change of any TCP socket, like tcpstates (no root needed).
    Watch(WatchArgs),
    /// Traced netcat, server side: accept one connection, relay stdin/stdout.
    Listen(ListenArgs),
    /// Traced netcat, client side: connect, relay stdin/stdout.
    Connect(ConnectArgs),
}

#[derive(Args, Debug)]
pub struct SocketsArgs {
    /// Only sockets with this local or peer port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Only sockets in this state (estab, listen, time-wait, close-wait, …).
    #[arg(long, value_parser = parse_state)]
    pub state: Option<TcpState>,
    /// Only listening sockets.
    #[arg(short = 'l', long)]
    pub listening: bool,
    /// Only IPv4.
    #[arg(short = '4')]
    pub ipv4: bool,
    /// Only IPv6.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Show the owning process (pid/program fd=N) where you may see it.
    #[arg(short = 'p', long = "processes")]
    pub processes: bool,
    /// Also bound-but-idle sockets (BOUND-INACTIVE, Linux ≥ 6.8; `ss -tan` leaves them out).
    #[arg(long)]
    pub bound: bool,
    /// One JSON object per line: state, recv_q, send_q, local, peer, uid, inode.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Only sockets with this local or peer port.
    #[arg(long)]
    pub port: Option<u16>,
    /// How often to read the table, in milliseconds (the resolution of the times shown).
    #[arg(long, default_value_t = 20)]
    pub interval: u64,
    /// Stop after this many seconds (default: until Ctrl+C).
    #[arg(long)]
    pub duration: Option<f64>,
    /// One JSON object per change.
    #[arg(long)]
    pub json: bool,
}

/// How to show the trace of this process's own socket calls.
#[derive(Args, Debug, Clone)]
pub struct TraceArgs {
    /// Show every socket call with its fd, result and state, checked against the kernel.
    #[arg(long)]
    pub trace: bool,
    /// The trace as JSON Lines (implies --trace).
    #[arg(long)]
    pub json: bool,
    /// Write the trace to this file instead of stderr (implies --trace).
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<PathBuf>,
    /// Pause before each socket call until Enter (implies --trace).
    #[arg(long)]
    pub step: bool,
}

#[derive(Args, Debug)]
pub struct ListenArgs {
    /// PORT or ADDR:PORT (default address 0.0.0.0; `[::]:PORT` for IPv6). Port 0 picks one.
    #[arg(value_parser = netcat::parse_listen_addr)]
    pub addr: SocketAddr,
    /// Serve connections one after another instead of exiting after the first.
    #[arg(short = 'k', long)]
    pub keep: bool,
    #[command(flatten)]
    pub trace: TraceArgs,
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// Host name or address (resolved with getaddrinfo).
    pub host: String,
    pub port: u16,
    #[command(flatten)]
    pub trace: TraceArgs,
}

fn parse_state(s: &str) -> Result<TcpState, String> {
    TcpState::parse(s).ok_or_else(|| {
        format!("unknown TCP state '{s}' (try estab, listen, time-wait, close-wait, fin-wait-2, syn-sent)")
    })
}

/// Runs the command line; returns the process's exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let color = cli.color;
    // The lab decides per output stream whether to color (see `render::ColorChoice`); the
    // colored crate must then do as told, not guess from stdout on its own.
    colored::control::set_override(true);
    let result = match cli.command {
        Command::Sockets(a) => sockets(a, color),
        Command::Watch(a) => watch_cmd(a),
        Command::Listen(a) => listen(a, color),
        Command::Connect(a) => connect(a, color),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(io::stderr(), "lab: {e}");
            1
        }
    }
}

fn sockets(a: SocketsArgs, color: ColorChoice) -> io::Result<()> {
    let table = KernelTable::open()?;
    let filter =
        Filter { port: a.port, state: a.state, listening: a.listening, ipv4: a.ipv4, ipv6: a.ipv6, bound: a.bound };
    let rows = table.rows(&filter)?;
    let owners = a.processes.then(owners::socket_owners);
    let mut out = io::BufWriter::new(io::stdout().lock());
    if a.json {
        for r in &rows {
            let mut v = serde_json::to_value(r).map_err(io::Error::other)?;
            if let (Some(map), Some(obj)) = (&owners, v.as_object_mut()) {
                if let Some(o) = map.get(&r.inode).filter(|_| r.inode != 0) {
                    obj.insert("process".into(), serde_json::to_value(o).map_err(io::Error::other)?);
                }
            }
            writeln!(out, "{v}")?;
        }
    } else {
        let tty = std::io::IsTerminal::is_terminal(&io::stdout());
        render::table::write(&mut out, &rows, owners.as_ref(), color.stdout(), tty)?;
    }
    out.flush()
}

fn watch_cmd(a: WatchArgs) -> io::Result<()> {
    let filter = Filter { port: a.port, ..Filter::default() };
    let mut w = watch::Watcher::new(filter)?;
    let start = Instant::now();
    let interval = Duration::from_millis(a.interval.max(1));
    let limit = a.duration.map(Duration::from_secs_f64);
    let mut out = io::stdout().lock();
    if !a.json {
        writeln!(
            out,
            "watching {} socket(s){}; Ctrl+C to stop",
            w.len(),
            a.port.map(|p| format!(" on port {p}")).unwrap_or_default()
        )?;
        writeln!(out, "{}", watch::header())?;
    }
    while limit.is_none_or(|l| start.elapsed() < l) {
        for c in w.poll()? {
            if a.json {
                writeln!(out, "{}", serde_json::to_string(&c).map_err(io::Error::other)?)?;
            } else {
                writeln!(out, "{}", watch::line(&c))?;
            }
        }
        out.flush()?;
        // The polling period: the watch reads the table this often, it waits for nothing.
        std::thread::sleep(interval);
    }
    Ok(())
}

fn listen(a: ListenArgs, color: ColorChoice) -> io::Result<()> {
    let tracer = tracer_for(&a.trace, color)?;
    let result = netcat::listen(a.addr, a.keep, tracer, |bound| {
        let _ = writeln!(io::stderr(), "lab listen: listening on {bound}");
    });
    result.map_err(|e| explain::startup(e, &a.addr.to_string()))
}

fn connect(a: ConnectArgs, color: ColorChoice) -> io::Result<()> {
    let tracer = tracer_for(&a.trace, color)?;
    let target = format!("{}:{}", a.host, a.port);
    netcat::connect(&a.host, a.port, tracer).map_err(|e| explain::startup(e, &target))
}

/// The tracer the trace flags ask for: human or JSON, to stderr or a file; `None` if off.
pub fn tracer_for(t: &TraceArgs, color: ColorChoice) -> io::Result<Option<Arc<Tracer>>> {
    if !(t.trace || t.json || t.trace_file.is_some() || t.step) {
        return Ok(None);
    }
    let (out, tty): (Box<dyn Write + Send>, bool) = match &t.trace_file {
        Some(p) => (Box::new(io::BufWriter::new(File::create(p)?)), false),
        None => (Box::new(io::stderr()), std::io::IsTerminal::is_terminal(&io::stderr())),
    };
    let sink: Arc<dyn Sink> = if t.json {
        Arc::new(render::json::JsonSink::new(out))
    } else {
        Arc::new(render::human::HumanSink::new(out, color.enabled(tty)))
    };
    Ok(Some(if t.step { Tracer::with_stepper(sink, Box::new(step_prompt)) } else { Tracer::new(sink) }))
}

/// `--step`: say what is about to happen and wait for Enter on the terminal (stdin may be the
/// data being sent, so the answer is read from /dev/tty).
fn step_prompt(actor: &str, call: &str) {
    let _ = write!(io::stderr(), "  ⏸  next: {actor} {call}  — press Enter ");
    let _ = io::stderr().flush();
    if let Ok(tty) = File::open("/dev/tty") {
        let _ = io::BufReader::new(tty).read_line(&mut String::new());
    } else {
        let _ = writeln!(io::stderr(), "(no terminal to wait on; continuing)");
    }
}
