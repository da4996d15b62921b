//! The command line's arguments, as clap types: every subcommand and flag, with its help.
//! Nothing here runs anything; [`super::main`] hands each command to the module that does it.

use crate::chat::dialect::{Choice, Dialect};
use crate::chat::server::Model;
use crate::lesson::format::Lang;
use crate::netcat;
use crate::render::output::TraceTo;
use crate::render::picture::Pictures;
use crate::render::ColorChoice;
use crate::tcp_state::TcpState;
pub use crate::trace::wire::Show as WireShow;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A teaching lab for TCP sockets: every call traced, every state checked against the kernel.
#[derive(Parser, Debug)]
#[command(
    name = "lab",
    version,
    about,
    long_about = None,
    after_help = "Examples:\
        \n  lab lesson run lifecycle           a connection's life, call by call, checked against \
        the kernel\
        \n  lab server --trace                 the chat, every socket call shown (nc 127.0.0.1 \
        8888 joins)\
        \n  lab trace -- python3 my_server.py  your own program, traced the same way\
        \n  lab sockets                        the kernel's socket table, like ss -tan\
        \n\nInstall it on PATH with `cargo install --path .` (or run target/release/lab)."
)]
pub struct Cli {
    /// Color: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        global = true,
        hide_possible_values = true
    )]
    pub color: ColorChoice,
    /// Language of what lab says and of the lessons' prose: en, es or pt (default: from LANG).
    #[arg(long, value_enum, global = true, hide_possible_values = true)]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The kernel's TCP socket table, like `ss -tan`.
    #[command(after_help = "Examples:\
            \n  lab sockets                    every TCP socket, like ss -tan\
            \n  lab sockets --port 8888 -p     on port 8888, with the owning process\
            \n  lab sockets --state time-wait  only TIME-WAIT")]
    Sockets(SocketsArgs),
    /// Print every state change of any TCP socket, like tcpstates (no root needed).
    #[command(after_help = "Examples:\
            \n  lab watch --port 8888  every state change on port 8888, until Ctrl+C\
            \n  lab watch --duration 10 --json")]
    Watch(WatchArgs),
    /// Traced netcat, server side: accept one connection, relay stdin/stdout.
    #[command(after_help = "Examples:\
            \n  lab listen 9000 --trace  accept one connection on 0.0.0.0:9000, traced\
            \n  lab listen 127.0.0.1:9000 -k --trace-file t.txt")]
    Listen(ListenArgs),
    /// Traced netcat, client side: connect, relay stdin/stdout.
    #[command(after_help = "Examples:\
            \n  lab connect localhost 9000 --trace\
            \n  echo hola | lab connect 127.0.0.1 9000 --json")]
    Connect(ConnectArgs),
    /// The chat server (nc and telnet are full clients).
    #[command(after_help = "Examples:\
            \n  lab server                                the chat on 127.0.0.1:8888 (nc 127.0.0.1 \
            8888 joins it)\
            \n  lab server --model poll --trace\
            \n  lab server --model epoll                  one thread, epoll(7): cheap with many \
            idle clients\
            \n  lab server --dialect stardew --port 5555  seed 001's own client joins, as written\
            \n  lab server --host 0.0.0.0 --port 9999\
            \n\nWith --step the server pauses before its set-up calls (socket, setsockopt, bind, \
            listen, fcntl)\
            \nand before each accept(), not at every message: the clients already in go on \
            chatting.")]
    #[command(mut_arg("step", |a| a.help(
        "Pause before the set-up calls (socket, setsockopt, bind, listen, fcntl) and before each \
        accept() (Enter: go on, c: continue, q: quit, ?: keys); not at every message: the clients \
        already in go on (implies --trace)"
    )))]
    Server(ServerArgs),
    /// A chat client that shows what arrives while you type.
    #[command(after_help = "Examples:\
            \n  lab client --name ana\
            \n  lab client --host 127.0.0.1 --port 9999 --trace-file t.txt\
            \n  lab client --dialect chatbid --name ana  speak seed 004's protocol")]
    Client(ClientArgs),
    /// Load a chat server with N real clients; report deliveries/s and latency.
    #[command(after_help = "Examples:\
            \n  lab load --clients 1000 --messages 10000 --model poll\
            \n  lab load --port 8888 --clients 50                 against a server already running\
            \n  lab load --soak 60\
            \n  lab load --clients 20 --idle 10000 --model epoll  20 chatting beside 10,000 silent\
            \n  lab load --clients 9 --messages 30 --mix line,poli,chatbid")]
    Load(LoadArgs),
    /// Lessons: list, show, run (traced, with --step and --diagram), check against the kernel.
    #[command(after_help = "Examples:\
            \n  lab lesson list\
            \n  lab lesson run lifecycle --step --diagram\
            \n  lab lesson check\
            \n  lab lesson show half-close --lang es")]
    Lesson(LessonArgs),
    /// Trace another program's socket calls (C, Python, …), each state checked against the kernel.
    #[command(after_help = "Examples:\
            \n  lab trace -- python3 chat_server.py 8888\
            \n  lab trace --trace-file t.txt -- ./server 8888\
            \n  lab trace --json -p 4312  (attach; Ctrl+C detaches)")]
    Trace(TraceCmdArgs),
    /// Programs on hosts joined by lab's own link — which can delay, lose, duplicate, reorder
    /// and slow down segments — every call traced and every segment on the link shown.
    #[command(after_help = "Examples:\
            \n  lab net --on a 'python3 server.py 0.0.0.0 9000' --on b 'python3 client.py 10.0.0.1 \
            9000'\
            \n  lab net --link 'delay 30ms loss 5%' --seed 7 --on a './server 9000' --on b \
            './client 10.0.0.1 9000'\
            \n  lab net --link 'a>b drop data 2' --on a … --on b …     (the 2nd data segment from \
            a to b is lost)\
            \n\nHosts: a = 10.0.0.1 (fd00::1), b = 10.0.0.2 (fd00::2); another name given to --on \
            is 10.0.0.3, …\
            \nLink rules (no direction: both ways; 'a>b RULE': one way):\
            \n  delay 30ms [jitter 5ms]   loss 5%   drop data N | SYN N | FIN N | RST N   \
            duplicate 1%\
            \n  reorder K [P%]   rate 1mbit [queue N]   mtu 576   partition")]
    Net(NetArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:\
            \n  mkdir -p ~/.local/share/bash-completion/completions\
            \n  lab completions bash > ~/.local/share/bash-completion/completions/lab\
            \n  mkdir -p ~/.zfunc && lab completions zsh > ~/.zfunc/_lab   (fpath+=~/.zfunc \
            before compinit, in ~/.zshrc)")]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print lab's manual page (roff).
    #[command(
        after_help = "Examples:\n  lab man | man -l -\n  lab man > ~/.local/share/man/man1/lab.1"
    )]
    Man,
}

/// Faults lab puts into the traced program's calls on sockets (`lab trace`, `lab net`).
#[derive(Args, Debug, Clone, Copy)]
pub struct FaultArgs {
    /// Make each read on a socket (read, recv, recvfrom) ask for a random part of its length,
    /// as TCP may always deliver: a program that takes one send() for one recv() shows it at once.
    #[arg(long, value_name = "SEED", num_args = 0..=1)]
    #[arg(default_missing_value = "1", require_equals = true)]
    pub short_reads: Option<u64>,
    /// The same for each write on a socket (write, send, sendto): it takes only a part.
    #[arg(long, value_name = "SEED", num_args = 0..=1)]
    #[arg(default_missing_value = "1", require_equals = true)]
    pub short_writes: Option<u64>,
    /// Interrupt half of the calls that may wait on a socket (accept, recv, send, read, write)
    /// before they run: each returns EINTR, as when a signal arrives.
    #[arg(long, value_name = "SEED", num_args = 0..=1)]
    #[arg(default_missing_value = "1", require_equals = true)]
    pub eintr: Option<u64>,
}

impl FaultArgs {
    pub fn to(self) -> crate::ptrace::faults::Faults {
        crate::ptrace::faults::Faults {
            short_reads: self.short_reads,
            short_writes: self.short_writes,
            eintr: self.eintr,
        }
    }
}

/// How a traced program's run is shown (`lab trace`, `lab net`).
#[derive(Args, Debug)]
pub struct ShownArgs {
    /// The trace as JSON Lines.
    #[arg(long)]
    pub json: bool,
    /// Write the trace to this file instead of stderr (the programs keep the terminal).
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<PathBuf>,
    /// Pause before each socket call: Enter goes on, c continues without pausing, q quits, ? lists
    /// the keys (read from the terminal).
    #[arg(long)]
    pub step: bool,
    /// After the run, draw it as a sequence diagram (one lifeline per socket).
    #[arg(long)]
    pub diagram: bool,
    /// Write the sequence diagram as Mermaid to this file.
    #[arg(long, value_name = "FILE")]
    pub mermaid: Option<PathBuf>,
    /// When the programs are done, draw the run as an SVG sequence diagram into FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// When the programs are done, write a self-contained HTML page: diagram, trace, verdicts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl ShownArgs {
    /// Where the trace goes, and the pictures made when the run is over.
    pub fn to(self, observe: Option<Duration>) -> (TraceTo, Pictures) {
        let to = TraceTo {
            on: true,
            json: self.json,
            file: self.trace_file,
            step: self.step,
            observe,
        };
        (
            to,
            Pictures {
                diagram: self.diagram,
                mermaid: self.mermaid,
                svg: self.svg,
                html: self.html,
            },
        )
    }
}

#[derive(Args, Debug)]
pub struct TraceCmdArgs {
    #[command(flatten)]
    pub faults: FaultArgs,
    /// Attach to this running process (every thread) instead of starting one; Ctrl+C detaches
    /// and it goes on as before.
    #[arg(
        short = 'p',
        long = "pid",
        value_name = "PID",
        conflicts_with = "program"
    )]
    pub pid: Option<i32>,
    /// Show calls on every fd (files, pipes, Unix sockets) too, not only TCP and UDP sockets.
    #[arg(long)]
    pub all_fds: bool,
    /// Stop the program at every system call, without lab's seccomp filter (slower): run by
    /// root, a set-user-ID program then keeps its rights.
    #[arg(long, conflicts_with = "pid")]
    pub no_filter: bool,
    #[command(flatten)]
    pub shown: ShownArgs,
    /// How often, in ms, the kernel observer reads the table between calls (0: after every
    /// event instead).
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub observe_ms: u64,
    /// Run the program in lab's own network (a private loopback), where every TCP segment is
    /// captured and shown beside the calls. Other programs on the machine cannot reach it.
    #[arg(long, conflicts_with = "pid")]
    pub net: bool,
    /// Which segments the trace shows: summary (SYN, FIN, RST, data, the ACKs of a SYN or FIN,
    /// anything Wireshark would flag), all (every ACK too), or off. Needs lab's own network.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = WireShow::Summary)]
    pub wire: WireShow,
    /// Write every captured packet to FILE as pcapng (tcpdump -r, Wireshark).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// The program to start and its arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub program: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct NetArgs {
    #[command(subcommand)]
    pub cmd: Option<NetCmd>,
    #[command(flatten)]
    pub faults: FaultArgs,
    /// The link's rules, e.g. 'delay 30ms loss 5%' (see below).
    #[arg(long, value_name = "RULES", default_value = "")]
    pub link: String,
    /// The seed of the link's chances: the same seed drops the same segments.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run COMMAND on HOST (repeat for each program; the first one's status is lab's).
    #[arg(
        long = "on",
        num_args = 2,
        value_names = ["HOST", "COMMAND"],
        action = clap::ArgAction::Append,
        required = true
    )]
    pub on: Vec<String>,
    /// The MTU of each host's link device.
    #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u32).range(576..=65535))]
    pub mtu: u32,
    /// Show calls on every fd (files, pipes, Unix sockets) too, not only TCP and UDP sockets.
    #[arg(long)]
    pub all_fds: bool,
    #[command(flatten)]
    pub shown: ShownArgs,
    /// Which segments on the link the trace shows: summary (SYN, FIN, RST, data, the ACKs of a
    /// SYN or FIN, anything Wireshark would flag), all (every ACK too), or off.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = WireShow::Summary)]
    pub wire: WireShow,
    /// Write every packet on the link to FILE as pcapng (tcpdump -r, Wireshark), the dropped
    /// ones too, each with a comment that says why.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum NetCmd {
    /// Keep a network up (hosts a and b and the link) until Ctrl+C, printing its wire live.
    #[command(after_help = "Examples:\
            \n  lab net up --link 'delay 30ms'\
            \n  (another terminal) lab net exec a -- lab server --host 0.0.0.0\
            \n  (another terminal) lab net exec b -- nc 10.0.0.1 8888\
            \n  (another terminal) lab net link 'loss 30%'   then   lab net link heal")]
    Up {
        /// The link's rules to start with.
        #[arg(long, value_name = "RULES", default_value = "")]
        link: String,
        /// The seed of the link's chances.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The MTU of each host's link device.
        #[arg(
            long,
            default_value_t = 1500,
            value_parser = clap::value_parser!(u32).range(576..=65535)
        )]
        mtu: u32,
        /// The wire as JSON Lines.
        #[arg(long)]
        json: bool,
        /// Write the wire to this file instead of stderr.
        #[arg(long, value_name = "FILE")]
        trace_file: Option<PathBuf>,
        /// Which segments are shown: all, summary (no ACKs of data), or off (the packets only
        /// moved and counted: the link at full speed).
        #[arg(long, value_enum, value_name = "WHICH", default_value_t = WireShow::All)]
        wire: WireShow,
        /// Write every packet on the link to FILE as pcapng (tcpdump -r, Wireshark), the
        /// dropped ones too, each with a comment that says why.
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
    },
    /// Run a command on a host of the network that is up, as nsenter would.
    #[command(after_help = "Examples:\
            \n  lab net exec a -- lab server --host 0.0.0.0\
            \n  lab net exec b -- nc 10.0.0.1 8888\
            \n  lab net exec b -- lab trace -- python3 client.py 10.0.0.1 8888")]
    Exec {
        /// The host: a or b.
        host: String,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// Change the running link's rules: 'loss 30%', 'partition', 'heal', '' for none.
    #[command(after_help = "Examples:\
            \n  lab net link 'loss 30%'\
            \n  lab net link partition\
            \n  lab net link heal\
            \n  lab net link ''")]
    Link {
        /// The new rules (they replace the old; `heal` ends a partition and keeps the rest).
        rules: String,
    },
}

#[derive(Args, Debug)]
pub struct LessonArgs {
    #[command(subcommand)]
    pub cmd: LessonCmd,
    /// An instructor's lessons folder, beside lab's own (default: $LAB_LESSONS). A lesson there
    /// replaces lab's lesson of the same name.
    #[arg(long, global = true, value_name = "DIR", visible_alias = "dir")]
    pub lessons: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum LessonCmd {
    /// Every lesson by topic, with its title and question.
    List {
        /// One JSON object per lesson and line: topic, name, title, question.
        #[arg(long)]
        json: bool,
    },
    /// A lesson's script, highlighted.
    Show {
        /// The lesson's name (`lab lesson list`), or a .lesson file's path.
        name: String,
    },
    /// Run a lesson: every call traced, every expectation checked.
    Run {
        /// The lesson's name (`lab lesson list`), or a .lesson file's path.
        name: String,
        /// Pause before each step, saying what is about to happen: Enter goes on, c continues
        /// without pausing, q quits (closing what the lesson opened), ? lists the keys.
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
        /// Draw the run as an SVG sequence diagram into this file.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Write the run as a self-contained HTML page: diagram, trace table, verdicts.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Which segments the trace shows: summary (SYN, FIN, RST, data, the ACKs of a SYN or
        /// FIN, anything Wireshark would flag), all (every ACK too), or off.
        #[arg(long, value_enum, value_name = "WHICH", default_value_t = WireShow::Summary)]
        wire: WireShow,
        /// Write every captured packet to FILE as pcapng (tcpdump -r, Wireshark).
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
    },
    /// Run lessons as tests (all, or those named): one line each, then "N passed, M failed".
    Check {
        /// Lessons to check (default: all).
        names: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The chat server's host name or address (resolved with getaddrinfo).
    #[arg(long, default_value = "localhost")]
    pub host: String,
    /// The chat server's port.
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// Register with this name as soon as the server asks.
    #[arg(long)]
    pub name: Option<String>,
    /// Speak a seed's wire protocol instead of lab's lines (as that seed's own client does:
    /// no newlines, one send() per message, each recv() shown as one message).
    #[arg(long, value_enum, default_value_t = Dialect::Line)]
    pub dialect: Dialect,
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
    /// The clients' dialects, dealt in turn (e.g. line,poli,chatbid). Seeds' clients get each
    /// message a pause apart, so keep --messages small with them.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "line")]
    pub mix: Vec<Dialect>,
    /// Also open this many connections that stay silent (never register): what each wait
    /// costs when most sockets have nothing to say (compare --model poll and epoll).
    #[arg(long, default_value_t = 0)]
    pub idle: usize,
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
    /// The table of a host of the network `lab net up` keeps (a, b).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
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
    /// Pause before each socket call: Enter, c (continue), q (quit), ? (keys) (implies --trace).
    #[arg(long)]
    pub step: bool,
    /// How often, in ms, the kernel observer reads the table for what the kernel does between
    /// calls (0: after every event instead, the same output run after run).
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub observe_ms: u64,
    /// When the run is over, draw it as an SVG sequence diagram into FILE (implies --trace).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// When the run is over, write a self-contained HTML page: the diagram, the trace table and
    /// the verdicts (implies --trace).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
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
    /// The port to connect to.
    pub port: u16,
    #[command(flatten)]
    pub trace: TraceArgs,
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Address or host name to listen on (0.0.0.0 or :: to accept from other machines).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free one, printed at start).
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
    /// threads: one thread per client, blocking sockets. poll: one thread, poll(2). epoll: the
    /// same loop with epoll(7).
    #[arg(long, value_enum, default_value_t = Model::Threads)]
    pub model: Model,
    /// Connections beyond this are told "server full" and closed.
    #[arg(long, default_value_t = 10_000)]
    pub max_clients: usize,
    /// Seed for dealing artifact hands (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The clients' wire protocol. auto tells lab's line clients, seed 000's (poli) and seed
    /// 004's (chatbid) apart by their first bytes; stardew (seed 001) and el4005 (seed 002)
    /// cannot be told apart, so name the one you expect; line clients are served beside it.
    #[arg(long, value_enum, default_value_t = Choice::Auto)]
    pub dialect: Choice,
    #[command(flatten)]
    pub trace: TraceArgs,
}

fn parse_state(s: &str) -> Result<TcpState, String> {
    TcpState::parse(s).ok_or_else(|| {
        format!(
            "unknown TCP state '{s}' (try estab, listen, time-wait, close-wait, fin-wait-2, \
            syn-sent)"
        )
    })
}

impl TraceArgs {
    /// Where the trace goes, and the pictures made when the run is over, for
    /// [`crate::render::output::tracer`].
    pub fn to(&self) -> (TraceTo, Pictures) {
        let observe =
            (self.observe_ms > 0).then(|| std::time::Duration::from_millis(self.observe_ms));
        let to = TraceTo {
            on: self.trace,
            json: self.json,
            file: self.trace_file.clone(),
            step: self.step,
            observe,
        };
        let pictures = Pictures {
            svg: self.svg.clone(),
            html: self.html.clone(),
            ..Pictures::default()
        };
        (to, pictures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_command_has_examples_and_every_argument_a_description() {
        let cli = Cli::command();
        // (command, its parent's name): `lesson list|show|run|check` share `lab lesson`'s examples.
        let mut todo: Vec<(&clap::Command, &str)> = vec![(&cli, "")];
        while let Some((cmd, parent)) = todo.pop() {
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.contains("Examples:") || parent == "lesson",
                "{} has no examples",
                cmd.get_name()
            );
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                assert!(
                    arg.get_help().is_some(),
                    "{} {}: no description",
                    cmd.get_name(),
                    arg.get_id()
                );
            }
            todo.extend(
                cmd.get_subcommands()
                    .filter(|c| c.get_name() != "help")
                    .map(|c| (c, cmd.get_name())),
            );
        }
    }

    #[test]
    fn every_example_block_is_aligned() {
        // In each "Examples:" block, the words after a command start in one column.
        let cli = Cli::command();
        let mut todo: Vec<&clap::Command> = vec![&cli];
        while let Some(cmd) = todo.pop() {
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            let block = help
                .split("Examples:")
                .nth(1)
                .unwrap_or("")
                .split("\n\n")
                .next()
                .unwrap_or("");
            let columns: Vec<(usize, &str)> = block
                .lines()
                .filter_map(|l| l.trim_start().find("  ").map(|gap| (l, gap)))
                .map(|(l, gap)| {
                    let lead = l.len() - l.trim_start().len();
                    let words = l[lead + gap..].trim_start();
                    (l.len() - words.len(), l)
                })
                .collect();
            if let Some((first, _)) = columns.first() {
                for (col, line) in &columns {
                    assert_eq!(
                        col,
                        first,
                        "{}: an example's words out of line: {line}",
                        cmd.get_name()
                    );
                }
            }
            todo.extend(cmd.get_subcommands());
        }
    }

    #[test]
    fn completions_and_the_man_page_are_generated() {
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "lab",
            &mut out,
        );
        assert!(String::from_utf8_lossy(&out).contains("lesson"));
        let mut man = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut man)
            .unwrap();
        assert!(String::from_utf8_lossy(&man).contains(".TH lab 1"));
    }
}
