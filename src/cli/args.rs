//! The command line's arguments, as clap types: every subcommand and flag, with its help.
//! Nothing here runs anything; [`super::main`] hands each command to the module that does it.

use crate::chat::server::Model;
use crate::lesson::format::Lang;
use crate::netcat;
use crate::render::{output::TraceTo, ColorChoice};
use crate::tcp_state::TcpState;
use clap::{Args, Parser, Subcommand};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

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
    /// The chat server (nc and telnet are full clients).
    Server(ServerArgs),
    /// A chat client that shows what arrives while you type.
    Client(ClientArgs),
    /// Load a chat server with N real clients; report deliveries/s and latency.
    Load(LoadArgs),
    /// Lessons: list, show, run (traced, with --step and --diagram), check against the kernel.
    Lesson(LessonArgs),
    /// Trace another program's socket calls (C, Python, …), each state checked against the kernel.
    #[command(
        after_help = "Examples:\n  lab trace -- python3 chat_server.py 8888\n  lab trace --trace-file t.txt -- ./server 8888\n  lab trace --json -p 4312          (attach; Ctrl+C detaches)"
    )]
    Trace(TraceCmdArgs),
}

#[derive(Args, Debug)]
pub struct TraceCmdArgs {
    /// Attach to this running process (every thread) instead of starting one; Ctrl+C detaches
    /// and it goes on as before.
    #[arg(short = 'p', long = "pid", value_name = "PID", conflicts_with = "program")]
    pub pid: Option<i32>,
    /// Show calls on every fd (files, pipes, Unix sockets) too, not only TCP and UDP sockets.
    #[arg(long)]
    pub all_fds: bool,
    /// The trace as JSON Lines.
    #[arg(long)]
    pub json: bool,
    /// Write the trace to this file instead of stderr (the program keeps the terminal).
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<PathBuf>,
    /// Pause before each socket call until Enter (read from the terminal).
    #[arg(long)]
    pub step: bool,
    /// After the run, draw it as a sequence diagram (one lifeline per thread).
    #[arg(long)]
    pub diagram: bool,
    /// Write the sequence diagram as Mermaid to this file.
    #[arg(long, value_name = "FILE")]
    pub mermaid: Option<PathBuf>,
    /// How often, in ms, the kernel observer reads the table between calls (0: after every
    /// event instead).
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub observe_ms: u64,
    /// The program to start and its arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub program: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct LessonArgs {
    #[command(subcommand)]
    pub cmd: LessonCmd,
    /// The lessons folder (default: $LAB_LESSONS, ./lessons, or the source tree's).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Language of the prose: en or es (default: from LANG).
    #[arg(long, value_enum, global = true)]
    pub lang: Option<Lang>,
}

#[derive(Subcommand, Debug)]
pub enum LessonCmd {
    /// Every lesson by topic, with its title and question.
    List,
    /// A lesson's script, highlighted.
    Show { name: String },
    /// Run a lesson: every call traced, every expectation checked.
    Run {
        name: String,
        /// Wait for Enter before each step, saying what is about to happen.
        #[arg(long)]
        step: bool,
        /// The trace as JSON Lines.
        #[arg(long)]
        json: bool,
        /// After the run, draw it as a sequence diagram.
        #[arg(long)]
        diagram: bool,
        /// Write the sequence diagram as Mermaid to this file.
        #[arg(long, value_name = "FILE")]
        mermaid: Option<PathBuf>,
    },
    /// Run lessons as tests (all, or those named): one line each, then "N passed, M failed".
    Check { names: Vec<String> },
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[arg(long, default_value = "localhost")]
    pub host: String,
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// Register with this name as soon as the server asks.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub trace: TraceArgs,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Instead of a measurement: this many seconds of well-behaved clients (--clients of them)
    /// among abusive ones; reports who was kept, deliveries lost, server memory and fds.
    #[arg(long, value_name = "SECS")]
    pub soak: Option<f64>,
    /// Connections to open and register.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// Lines to broadcast.
    #[arg(long, default_value_t = 1000)]
    pub messages: usize,
    /// The server model to start.
    #[arg(long, value_enum, default_value_t = Model::Poll)]
    pub model: Model,
    /// Load a server already running on this port (127.0.0.1) instead of starting one.
    #[arg(long)]
    pub port: Option<u16>,
    /// How many clients send.
    #[arg(long, default_value_t = 1)]
    pub senders: usize,
    /// Bytes per message line.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Messages in flight at most.
    #[arg(long, default_value_t = 32)]
    pub window: usize,
    /// Seconds without progress before giving up.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Trace the started server into this file (human; JSON Lines with --json).
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<PathBuf>,
    /// With --trace-file: JSON Lines.
    #[arg(long)]
    pub json: bool,
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
    /// How often, in ms, the kernel observer reads the table for what the kernel does between
    /// calls (0: after every event instead, the same output run after run).
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub observe_ms: u64,
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

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Address to listen on (0.0.0.0 or :: to accept from other machines).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// threads: one thread per client, blocking sockets. poll: one thread, poll(2).
    #[arg(long, value_enum, default_value_t = Model::Threads)]
    pub model: Model,
    /// Connections beyond this are told "server full" and closed.
    #[arg(long, default_value_t = 10_000)]
    pub max_clients: usize,
    /// Seed for dealing artifact hands (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub trace: TraceArgs,
}

fn parse_state(s: &str) -> Result<TcpState, String> {
    TcpState::parse(s).ok_or_else(|| {
        format!("unknown TCP state '{s}' (try estab, listen, time-wait, close-wait, fin-wait-2, syn-sent)")
    })
}

impl TraceArgs {
    /// Where the trace goes, for [`crate::render::output::tracer`].
    pub fn to(&self) -> TraceTo {
        let observe = (self.observe_ms > 0).then(|| std::time::Duration::from_millis(self.observe_ms));
        TraceTo { on: self.trace, json: self.json, file: self.trace_file.clone(), step: self.step, observe }
    }
}
