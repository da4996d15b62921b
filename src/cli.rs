//! The command line: parse arguments, dispatch. Nothing else lives here.

use crate::chat::server::{self, Model};
use crate::kernel::owners;
use crate::kernel::table::{Filter, KernelTable};
use crate::lesson::{self, format::Lang};
use crate::render::{self, ColorChoice};
use crate::tcp_state::TcpState;
use crate::trace::{Sink, Tracer};
use crate::{chat, explain, netcat, watch};
use clap::{Args, Parser, Subcommand};
use std::fs::File;
use std::io::{self, BufRead, Write};
use std::net::{IpAddr, SocketAddr};
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
    /// The chat server (nc and telnet are full clients).
    Server(ServerArgs),
    /// A chat client that shows what arrives while you type.
    Client(ClientArgs),
    /// Load a chat server with N real clients; report deliveries/s and latency.
    Load(LoadArgs),
    /// Lessons: list, show, run (traced, with --step and --diagram), check against the kernel.
    Lesson(LessonArgs),
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
        Command::Server(a) => server(a, color),
        Command::Client(a) => client(a, color),
        Command::Load(a) => load(a),
        Command::Lesson(a) => return lesson_cmd(a, color),
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
    // On stderr, so that stdout holds only the changes (and JSON stays JSON).
    eprintln!(
        "watching {} socket(s){}; Ctrl+C to stop",
        w.len(),
        a.port.map(|p| format!(" on port {p}")).unwrap_or_default()
    );
    if !a.json {
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
    let tracer = tracer_for(&a.trace, color, &[])?;
    let result = netcat::listen(a.addr, a.keep, tracer, |bound| {
        let _ = writeln!(io::stderr(), "lab listen: listening on {bound}");
    });
    result.map_err(|e| explain::startup(e, &a.addr.to_string()))
}

fn connect(a: ConnectArgs, color: ColorChoice) -> io::Result<()> {
    let tracer = tracer_for(&a.trace, color, &[])?;
    let target = format!("{}:{}", a.host, a.port);
    netcat::connect(&a.host, a.port, tracer).map_err(|e| explain::startup(e, &target))
}

fn server(a: ServerArgs, color: ColorChoice) -> io::Result<()> {
    let limit = server::raise_fd_limit().unwrap_or(0);
    // --step pauses at the setup calls and at each new connection, not at every message.
    let steps = &["socket", "setsockopt", "bind", "listen", "accept4", "fcntl"];
    let tracer = tracer_with(&a.trace, color, steps, a.model == Model::Poll)?;
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
    });
    if let Some(t) = &tracer {
        t.set_settle_timeout(Duration::ZERO);
    }
    let cfg = server::Config {
        addr: SocketAddr::new(a.host, a.port),
        model: a.model,
        max_clients: a.max_clients,
        seed,
        tracer,
    };
    let listener = server::listen(&cfg)?;
    let stop = server::Stopper::new()?;
    stop.on_signals()?;
    let model = match a.model {
        Model::Threads => "threads: one per client",
        Model::Poll => "poll: one thread",
    };
    eprintln!(
        "lab server: listening on {} ({model}; up to {} clients, fd limit {limit}); Ctrl+C to stop",
        listener.local_addr()?,
        a.max_clients
    );
    let result = server::run(&cfg, listener, stop);
    if let Some(t) = &cfg.tracer {
        t.flush();
    }
    result?;
    eprintln!("lab server: stopped");
    Ok(())
}

fn client(a: ClientArgs, color: ColorChoice) -> io::Result<()> {
    let tracer = tracer_for(&a.trace, color, &[])?;
    let target = format!("{}:{}", a.host, a.port);
    let opts = chat::client::Options { host: a.host, port: a.port, name: a.name, tracer, color: color.stdout() };
    chat::client::run(opts).map_err(|e| explain::startup(e, &target))
}

fn load(a: LoadArgs) -> io::Result<()> {
    let opts = chat::load::Options {
        clients: a.clients,
        messages: a.messages,
        model: a.model,
        target: a.port.map(|p| SocketAddr::from(([127, 0, 0, 1], p))),
        senders: a.senders,
        size: a.size.max(32),
        window: a.window.max(1),
        timeout: Duration::from_secs_f64(a.timeout.max(0.1)),
        trace_file: a.trace_file.clone(),
        json: a.json,
    };
    let r = chat::load::run(&opts)?;
    println!("{}", r.line());
    let what = match (a.port, a.model) {
        (Some(p), _) => format!("server on port {p}"),
        (None, Model::Poll) => "lab server --model poll".into(),
        (None, Model::Threads) => "lab server --model threads".into(),
    };
    eprintln!(
        "{what}: {} of {} clients held; {} deliveries in {:.2} s = {:.0}/s; latency p50 {} µs, p99 {} µs{}",
        r.held,
        r.clients,
        r.deliveries,
        r.secs,
        r.deliv_per_s,
        r.p50_us,
        r.p99_us,
        if r.lost > 0 { format!("; LOST {}", r.lost) } else { String::new() }
    );
    if r.lost > 0 || r.held < r.clients {
        return Err(io::Error::other("not every client was held, or not every message delivered"));
    }
    Ok(())
}

fn lesson_cmd(a: LessonArgs, color: ColorChoice) -> i32 {
    let dir = lesson::lessons_dir(a.dir.as_deref());
    let lang = a.lang.unwrap_or_else(Lang::from_env);
    let result = match a.cmd {
        LessonCmd::List => lesson_list(&dir, lang, color),
        LessonCmd::Show { name } => {
            lesson::find(&dir, &name).map_err(io::Error::other).and_then(|l| lesson_show(&l, color))
        }
        LessonCmd::Run { name, step, json, diagram, mermaid } => {
            return match lesson::find(&dir, &name) {
                Ok(l) => lesson_run(&l, lang, color, step, json, diagram, mermaid.as_deref()),
                Err(e) => {
                    eprintln!("lab: {e}");
                    1
                }
            }
        }
        LessonCmd::Check { names } => return lesson_check(&dir, &names, lang, color),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lab: {e}");
            1
        }
    }
}

fn lesson_list(dir: &std::path::Path, lang: Lang, color: ColorChoice) -> io::Result<()> {
    let mut t = comfy_table::Table::new();
    let tty = std::io::IsTerminal::is_terminal(&io::stdout());
    t.load_style(if tty { comfy_table::presets::UTF8_FULL_CONDENSED } else { comfy_table::presets::NOTHING });
    t.set_header(["topic", "lesson", "title", "question"]);
    for l in lesson::all(dir) {
        match l {
            Ok(l) => t.add_row([
                l.topic.clone(),
                l.name.clone(),
                l.title.get(lang).to_string(),
                l.question.get(lang).to_string(),
            ]),
            Err(e) => t.add_row([
                String::new(),
                render::human::paint(&e.to_string(), render::human::Style::Bad, color.stdout()),
                String::new(),
                String::new(),
            ]),
        };
    }
    println!("{t}");
    Ok(())
}

fn lesson_show(l: &lesson::format::Lesson, color: ColorChoice) -> io::Result<()> {
    use render::human::{paint, Style};
    let c = color.stdout();
    let text = std::fs::read_to_string(&l.path)?;
    for line in text.lines() {
        let t = line.trim_start();
        let shown = if t.starts_with('#') {
            paint(line, Style::Dim, c)
        } else if t.starts_with("note")
            || t.starts_with("title")
            || t.starts_with("question")
            || t.starts_with("explain")
        {
            paint(line, Style::Note, c)
        } else if let Some((name, rest)) = line.split_once(char::is_whitespace) {
            let (call, expect) =
                match rest.find(" = ").or_else(|| rest.find(" state ")).or_else(|| rest.find(" kernel ")) {
                    Some(i) => rest.split_at(i),
                    None => (rest, ""),
                };
            format!("{} {call}{}", paint(name, Style::State, c), paint(expect, Style::Good, c))
        } else {
            line.to_string()
        };
        println!("{shown}");
    }
    Ok(())
}

fn lesson_run(
    l: &lesson::format::Lesson,
    lang: Lang,
    color: ColorChoice,
    step: bool,
    json: bool,
    diagram: bool,
    mermaid: Option<&std::path::Path>,
) -> i32 {
    let sink: Arc<dyn Sink> = if json {
        Arc::new(render::json::JsonSink::new(io::stdout()))
    } else {
        Arc::new(render::human::HumanSink::new(io::stdout(), color.stdout()))
    };
    let before_step: Option<lesson::runner::BeforeStep> =
        if step { Some(Box::new(|line: usize, src: &str| step_prompt(&format!("line {line}"), src))) } else { None };
    let report = lesson::runner::run(l, sink, &lesson::runner::Options { lang, before_step });
    if diagram {
        println!("\n{}", render::diagram::terminal(&report.events, &report.columns));
    }
    if let Some(path) = mermaid {
        if let Err(e) = std::fs::write(path, render::diagram::mermaid(&report.events, &report.columns)) {
            eprintln!("lab: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    let failures = report.failures();
    if failures.is_empty() {
        eprintln!("lesson {}: every expectation met ({} checks)", l.name, report.outcomes.len());
        0
    } else {
        for f in &failures {
            eprintln!("{}", f.message);
        }
        eprintln!("lesson {}: {} of {} expectations not met", l.name, failures.len(), report.outcomes.len());
        1
    }
}

fn lesson_check(dir: &std::path::Path, names: &[String], lang: Lang, color: ColorChoice) -> i32 {
    use render::human::{paint, Style};
    let c = color.stdout();
    let lessons: Vec<Result<lesson::format::Lesson, String>> = if names.is_empty() {
        lesson::all(dir).into_iter().map(|r| r.map_err(|e| e.to_string())).collect()
    } else {
        names.iter().map(|n| lesson::find(dir, n)).collect()
    };
    let (mut passed, mut failed) = (0, 0);
    for l in lessons {
        match l {
            Err(e) => {
                failed += 1;
                println!("{} {e}", paint("FAIL", Style::Bad, c));
            }
            Ok(l) => {
                let start = Instant::now();
                let report = lesson::runner::run(
                    &l,
                    lesson::format::discard(),
                    &lesson::runner::Options { lang, before_step: None },
                );
                let ms = start.elapsed().as_millis();
                if report.passed() {
                    passed += 1;
                    println!(
                        "{}   {}/{} ({} checks, {ms} ms)",
                        paint("ok", Style::Good, c),
                        l.topic,
                        l.name,
                        report.outcomes.len()
                    );
                } else {
                    failed += 1;
                    println!("{} {}/{}", paint("FAIL", Style::Bad, c), l.topic, l.name);
                    for f in report.failures() {
                        println!("     {}", f.message);
                    }
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    i32::from(failed > 0)
}

/// The tracer the trace flags ask for: human or JSON, to stderr or a file; `None` if off.
/// With `--step`, only calls named in `step_on` pause (all of them if it is empty).
pub fn tracer_for(
    t: &TraceArgs,
    color: ColorChoice,
    step_on: &'static [&'static str],
) -> io::Result<Option<Arc<Tracer>>> {
    tracer_with(t, color, step_on, false)
}

/// [`tracer_for`]; `buffered`: a trace file is written when the program is about to wait (a
/// traced `poll()`), not after every event — for the poll server, whose every wait is one.
fn tracer_with(
    t: &TraceArgs,
    color: ColorChoice,
    step_on: &'static [&'static str],
    buffered: bool,
) -> io::Result<Option<Arc<Tracer>>> {
    if !(t.trace || t.json || t.trace_file.is_some() || t.step) {
        return Ok(None);
    }
    let (out, tty): (Box<dyn Write + Send>, bool) = match &t.trace_file {
        Some(p) => (Box::new(io::BufWriter::new(File::create(p)?)), false),
        None => (Box::new(io::stderr()), std::io::IsTerminal::is_terminal(&io::stderr())),
    };
    let buffered = buffered && t.trace_file.is_some();
    let sink: Arc<dyn Sink> = match (t.json, buffered) {
        (true, false) => Arc::new(render::json::JsonSink::new(out)),
        (true, true) => Arc::new(render::json::JsonSink::new(out).buffered()),
        (false, false) => Arc::new(render::human::HumanSink::new(out, color.enabled(tty))),
        (false, true) => Arc::new(render::human::HumanSink::new(out, color.enabled(tty)).buffered()),
    };
    let stepper = move |actor: &str, call: &str| {
        if step_on.is_empty() || step_on.iter().any(|c| call.starts_with(&format!("{c}("))) {
            step_prompt(actor, call);
        }
    };
    Ok(Some(if t.step { Tracer::with_stepper(sink, Box::new(stepper)) } else { Tracer::new(sink) }))
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
