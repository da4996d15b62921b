//! The command line: parse the arguments (`args`), hand each command to the module that
//! does it. Nothing else lives here.

mod args;

use crate::chat::server;
use crate::kernel::table::Filter;
use crate::lesson::{self, commands, format::Lang};
use crate::render::{self, output, ColorChoice};
use crate::trace::Syscall;
use crate::{chat, explain, netcat, watch};
use args::{Cli, Command, LessonArgs, LessonCmd};
use clap::Parser;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// `lab server --step` pauses at the set-up calls and at each new connection, not at every
/// message.
const SERVER_STEPS: &[Syscall] = &[
    Syscall::Socket,
    Syscall::Setsockopt,
    Syscall::Bind,
    Syscall::Listen,
    Syscall::Accept4,
    Syscall::Fcntl,
];

/// Runs the command line; returns the process's exit code.
pub fn main() -> i32 {
    crate::sys::default_sigpipe();
    let cli = Cli::parse();
    crate::i18n::set(cli.lang.unwrap_or_else(Lang::from_env));
    // lab's own network must be made before any thread exists (see netns).
    if wants_own_network(&cli.command) {
        if let crate::netns::Network::Refused(why) = crate::netns::enter() {
            let _ = writeln!(io::stderr(), "lab: {why}");
        }
    }
    let color = cli.color;
    // The lab decides per output stream whether to color (see `render::ColorChoice`); the
    // colored crate must then do as told, not guess from stdout on its own.
    colored::control::set_override(true);
    let result = match cli.command {
        Command::Lesson(a) => return lesson_cmd(a, color),
        command => dispatch(command, color),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(io::stderr(), "lab: {e}");
            1
        }
    }
}

/// `lesson run`, `lesson check` and `trace --net` run in lab's own network; everything else
/// (a server, a client, a traced program other terminals must reach) in the machine's.
fn wants_own_network(command: &Command) -> bool {
    match command {
        Command::Lesson(a) => matches!(a.cmd, LessonCmd::Run { .. } | LessonCmd::Check { .. }),
        Command::Trace(a) => a.net,
        _ => false,
    }
}

fn dispatch(command: Command, color: ColorChoice) -> io::Result<()> {
    match command {
        Command::Sockets(a) => sockets_cmd(a, color),
        Command::Watch(a) => {
            let filter = Filter {
                port: a.port,
                ..Filter::default()
            };
            let interval = Duration::from_millis(a.interval.max(1));
            watch::run(
                filter,
                interval,
                a.duration.map(Duration::from_secs_f64),
                a.json,
            )
        }
        Command::Listen(a) => {
            let run = traced(&a.trace, color, &[], false)?;
            let announce = |bound| eprintln!("lab listen: listening on {bound}");
            let done = netcat::listen(a.addr, a.keep, run.tracer(), announce)
                .map_err(|e| explain::startup(e, &a.addr.to_string()));
            finished(done, run)
        }
        Command::Connect(a) => {
            let run = traced(&a.trace, color, &[], false)?;
            let target = format!("{}:{}", a.host, a.port);
            let done = netcat::connect(&a.host, a.port, run.tracer())
                .map_err(|e| explain::startup(e, &target));
            finished(done, run)
        }
        Command::Server(a) => server_cmd(a, color),
        Command::Client(a) => client_cmd(a, color),
        Command::Load(a) => load_cmd(a),
        Command::Trace(a) => trace_cmd(a, color),
        Command::Net(a) => net_cmd(a, color),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "lab",
                &mut io::stdout(),
            );
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
            .render(&mut io::stdout()),
        Command::Lesson(_) => unreachable!("handled by main"),
    }
}

/// `lab sockets`: the kernel's table, as `ss -tan` shows it (a host's, with `--host`).
fn sockets_cmd(a: args::SocketsArgs, color: ColorChoice) -> io::Result<()> {
    if let Some(host) = &a.host {
        crate::net::session::Running::find()
            .and_then(|r| r.join(host))
            .map_err(io::Error::other)?;
    }
    let filter = Filter {
        port: a.port,
        state: a.state,
        listening: a.listening,
        ipv4: a.ipv4,
        ipv6: a.ipv6,
        bound: a.bound,
    };
    render::table::sockets(&filter, a.processes, a.json, color.stdout())
}

/// The run a command of lab's own traces as its flags say (see [`output::tracer`]).
fn traced(
    trace: &args::TraceArgs,
    color: ColorChoice,
    step_on: &'static [crate::trace::Syscall],
    buffered: bool,
) -> io::Result<output::Run> {
    let (to, pictures) = trace.to();
    output::tracer(&to, &pictures, color, step_on, buffered)
}

/// A run of lab's own is over, well or not: its pictures are drawn, then its outcome told.
fn finished(done: io::Result<()>, run: output::Run) -> io::Result<()> {
    let drawn = run.finish();
    done.and(drawn)
}

/// `lab client`: a chat client, traced if asked.
fn client_cmd(a: args::ClientArgs, color: ColorChoice) -> io::Result<()> {
    let run = traced(&a.trace, color, &[], false)?;
    let target = format!("{}:{}", a.host, a.port);
    let (host, port, name, dialect) = (a.host, a.port, a.name, a.dialect);
    let opts = chat::client::Options {
        host,
        port,
        name,
        dialect,
        tracer: run.tracer(),
        color: color.stdout(),
    };
    let done = chat::client::run(opts).map_err(|e| explain::startup(e, &target));
    finished(done, run)
}

/// `lab server`: the tracer (never waiting on one connection), the seed, and the server.
fn server_cmd(a: args::ServerArgs, color: ColorChoice) -> io::Result<()> {
    let run = traced(&a.trace, color, SERVER_STEPS, true)?;
    let tracer = run.tracer();
    // A server must never wait on one connection: states are read right after each call, and
    // a later change shows as the next call's "before".
    if let Some(t) = &tracer {
        t.set_settle_timeout(Duration::ZERO);
    }
    let seed = a.seed.unwrap_or_else(clock_seed);
    // A name (localhost) is resolved as lab client and lab connect resolve theirs.
    let addr = resolve(&a.host, a.port)?;
    let (model, max_clients, dialect) = (a.model, a.max_clients, a.dialect);
    let done = server::serve(&server::Config {
        addr,
        model,
        max_clients,
        seed,
        dialect,
        tracer,
    });
    finished(done, run)
}

/// `lab trace` decodes x86_64 Linux system calls (their numbers and registers) only.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn trace_cmd(_: args::TraceCmdArgs, _: ColorChoice) -> io::Result<()> {
    Err(io::Error::other(
        "lab trace needs Linux on x86_64 (ptrace, seccomp and x86_64's system call numbers)",
    ))
}

/// `lab trace`: another program's calls through the same funnel; exits with its status.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn trace_cmd(a: args::TraceCmdArgs, color: ColorChoice) -> io::Result<()> {
    let target = match (a.pid, a.program.is_empty()) {
        (Some(pid), _) => crate::ptrace::Target::Attach(nix::unistd::Pid::from_raw(pid)),
        (None, false) => crate::ptrace::Target::Launch {
            argv: a.program,
            filter: !a.no_filter,
        },
        (None, true) => {
            return Err(io::Error::other(
                "which program? lab trace -- PROGRAM [ARGS…], or lab trace -p PID",
            ))
        }
    };
    // Before the tracer: its observer thread must inherit the blocked signals.
    let signals = crate::ptrace::block_signals()?;
    let observe = (a.observe_ms > 0).then(|| Duration::from_millis(a.observe_ms));
    let (to, view) = a.shown.to(observe);
    // The pcap file is opened before the program starts: a path that cannot be written stops
    // lab here.
    let wire = match (a.net && crate::netns::own(), a.pcap) {
        (true, pcap) => Some((
            a.wire,
            pcap.as_deref()
                .map(crate::trace::wire::open_pcap)
                .transpose()?,
        )),
        (false, Some(p)) => {
            return Err(io::Error::other(format!(
                "--pcap {}: {}",
                p.display(),
                crate::netns::why_no_capture()
            )))
        }
        (false, None) => None,
    };
    let opts = crate::ptrace::Options {
        all_fds: a.all_fds,
        faults: a.faults.to(),
    };
    let code = output::traced_run(&to, color, &view, wire, |tracer| {
        crate::ptrace::run(target, tracer, opts, &signals)
    })?;
    std::process::exit(code)
}

/// `lab net`: hosts, lab's link between them, the programs on them traced; exits with the
/// first program's status.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn net_cmd(a: args::NetArgs, color: ColorChoice) -> io::Result<()> {
    use crate::net::{run, userns};
    if let Some(cmd) = a.cmd {
        return net_subcommand(cmd, color);
    }
    let on: Vec<(String, String)> =
        a.on.chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
    let traced = crate::ptrace::Options {
        all_fds: a.all_fds,
        faults: a.faults.to(),
    };
    let opts = run::Options {
        link: a.link,
        seed: a.seed,
        on,
        mtu: a.mtu,
        traced,
    };
    // A bad rule is refused before anything starts.
    run::check_link(&opts).map_err(io::Error::other)?;
    // First, before any thread: the kernel makes a user namespace only for a single thread.
    userns::enter()
        .map_err(|e| io::Error::other(crate::i18n::f(crate::i18n::M::NetNoUserns, &[&e])))?;
    let signals = crate::ptrace::block_signals()?;
    let (to, view) = a.shown.to(Some(Duration::from_millis(5)));
    let out = run::WireOut {
        show: a.wire,
        pcap: a
            .pcap
            .as_deref()
            .map(crate::trace::wire::open_pcap)
            .transpose()?,
    };
    let code = output::traced_run(&to, color, &view, None, |tracer| {
        run::run(&opts, tracer, &signals, out)
    })?;
    std::process::exit(code)
}

/// `lab net up`, `exec` and `link`.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn net_subcommand(cmd: args::NetCmd, color: ColorChoice) -> io::Result<()> {
    use crate::net::session;
    use std::os::unix::process::CommandExt;
    match cmd {
        args::NetCmd::Up {
            link,
            seed,
            mtu,
            json,
            trace_file,
            wire,
            pcap,
        } => {
            let to = output::TraceTo {
                on: true,
                json,
                file: trace_file,
                step: false,
                observe: None,
            };
            net_up(&link, (seed, mtu), to, (wire, pcap), color)
        }
        args::NetCmd::Exec { host, command } => {
            session::Running::find()
                .and_then(|r| r.join(&host))
                .map_err(io::Error::other)?;
            let err = std::process::Command::new(&command[0])
                .args(&command[1..])
                .exec();
            Err(io::Error::other(format!(
                "{}: {err}",
                command[0].to_string_lossy()
            )))
        }
        args::NetCmd::Link { rules } => {
            let now = session::send_rules(&rules).map_err(io::Error::other)?;
            println!("lab net link: {now}");
            Ok(())
        }
    }
}

/// `lab net up`: the network kept up until Ctrl+C (or SIGTERM, SIGHUP), its wire traced as
/// `to` and `(wire, pcap)` say.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn net_up(
    link: &str,
    (seed, mtu): (u64, u32),
    to: output::TraceTo,
    (wire, pcap): (args::WireShow, Option<std::path::PathBuf>),
    color: ColorChoice,
) -> io::Result<()> {
    use crate::net::{up, userns};
    crate::net::spec::parse(link, &crate::net::host::DEFAULT_NAMES).map_err(io::Error::other)?;
    userns::enter()
        .map_err(|e| io::Error::other(crate::i18n::f(crate::i18n::M::NetNoUserns, &[&e])))?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let out = crate::net::run::WireOut {
        show: wire,
        pcap: pcap
            .as_deref()
            .map(crate::trace::wire::open_pcap)
            .transpose()?,
    };
    let view = crate::render::picture::Pictures::default();
    output::traced_run(&to, color, &view, None, |tracer| {
        up::up(link, seed, mtu, out, tracer, &stop).map(|()| 0)
    })?;
    Ok(())
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn net_cmd(_: args::NetArgs, _: ColorChoice) -> io::Result<()> {
    Err(io::Error::other(
        "lab net needs Linux on x86_64 (namespaces, TUN, ptrace)",
    ))
}

/// The first address `host` resolves to (an address, or a name through getaddrinfo).
fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    let found = (host, port)
        .to_socket_addrs()
        .map_err(|e| io::Error::other(format!("cannot resolve '{host}': {e}")))?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| io::Error::other(format!("'{host}' has no address")))
}

/// `lab load`: a measurement, or with `--soak` an endurance run among abusive clients.
fn load_cmd(a: args::LoadArgs) -> io::Result<()> {
    let opts = crate::load::Options {
        clients: a.clients,
        messages: a.messages,
        model: a.model,
        target: a.port.map(|p| SocketAddr::from(([127, 0, 0, 1], p))),
        senders: a.senders,
        size: a.size.max(32),
        window: a.window.max(1),
        timeout: Duration::from_secs_f64(a.timeout.max(0.1)),
        trace_file: a.trace_file,
        json: a.json,
        mix: a.mix,
        idle: a.idle,
    };
    let Some(secs) = a.soak else {
        return crate::load::main(&opts);
    };
    let r = crate::load::soak::run(&opts, secs.clamp(1.0, 3600.0))?;
    println!("{}", r.text());
    if r.lost > 0 || r.kept < r.well_behaved {
        return Err(io::Error::other(
            "a well-behaved client lost a delivery or was cut",
        ));
    }
    Ok(())
}

/// Deals artifact hands from the clock when no `--seed` is given.
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// What `lab lesson run` shows besides the trace; the pcap file, if asked for, opened first
/// (a path that cannot be written stops lab here), and only in lab's own network.
fn lesson_view(
    step: bool,
    json: bool,
    pictures: crate::render::picture::Pictures,
    wire: crate::trace::wire::Show,
    pcap: Option<std::path::PathBuf>,
) -> Result<commands::RunView, String> {
    let pcap = pcap
        .as_deref()
        .map(crate::trace::wire::open_pcap)
        .transpose()
        .map_err(|e| e.to_string())?;
    if pcap.is_some() && !crate::netns::own() {
        return Err(format!("--pcap: {}", crate::netns::why_no_capture()));
    }
    Ok(commands::RunView {
        step,
        json,
        pictures,
        wire,
        pcap,
    })
}

fn lesson_cmd(a: LessonArgs, color: ColorChoice) -> i32 {
    let library = lesson::Library::new(a.lessons.as_deref());
    let lang = crate::i18n::lang();
    if let Err(e) = library.check() {
        eprintln!("lab: {e}");
        return 1;
    }
    let found = |name: &str| library.find(name).map_err(|e| eprintln!("lab: {e}"));
    match a.cmd {
        LessonCmd::List { json } => match commands::list(&library, lang, color, json) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("lab: {e}");
                1
            }
        },
        LessonCmd::Show { name } => found(&name).map_or(1, |l| {
            commands::show(&l, color);
            0
        }),
        LessonCmd::Run {
            name,
            step,
            json,
            diagram,
            mermaid,
            svg,
            html,
            wire,
            pcap,
        } => found(&name).map_or(1, |l| {
            let pictures = crate::render::picture::Pictures {
                diagram,
                mermaid,
                svg,
                html,
            };
            match lesson_view(step, json, pictures, wire, pcap) {
                Ok(view) => commands::run(&l, lang, color, view),
                Err(e) => {
                    eprintln!("lab: {e}");
                    1
                }
            }
        }),
        LessonCmd::Check { names } => commands::check(&library, &names, lang, color),
    }
}
