//! Where a trace goes: stderr or a file, human lines or JSON Lines, and `--step`'s pause before
//! each call. Every command that traces builds its [`Tracer`] here.

use super::{diagram, human::HumanSink, json::JsonSink, ColorChoice};
use crate::trace::{writer::Background, Collector, Event, Sink, Syscall, Tee, Tracer};
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What the trace flags ask for.
#[derive(Debug, Clone, Default)]
pub struct TraceTo {
    /// Trace at all.
    pub on: bool,
    /// JSON Lines instead of human lines.
    pub json: bool,
    /// A file instead of stderr.
    pub file: Option<PathBuf>,
    /// Pause before each call until Enter.
    pub step: bool,
    /// Run the kernel observer, reading the table this often; `None`: read it after each event.
    pub observe: Option<Duration>,
    /// Draw the run as an SVG sequence diagram into this file, when it is over.
    pub svg: Option<PathBuf>,
    /// The same, as a self-contained HTML page with the trace table beside it.
    pub html: Option<PathBuf>,
}

impl TraceTo {
    /// Whether the run is to be drawn.
    fn pictured(&self) -> bool {
        self.svg.is_some() || self.html.is_some()
    }
}

/// `printed`, and the picture of the run if one is asked for (drawn when the tracer is dropped),
/// titled with the command line; `one_process`: the run is lab's own.
fn with_picture(printed: Arc<dyn Sink>, to: &TraceTo, one_process: bool) -> Arc<dyn Sink> {
    if !to.pictured() {
        return printed;
    }
    let title = command_line(std::env::args());
    let picture =
        super::page::PictureSink::new(to.svg.clone(), to.html.clone(), &title, one_process);
    Arc::new(Tee(vec![printed, Arc::new(picture)]))
}

/// The command line as a shell would take it back (`bash -c 'python3 s.py & nc …'` keeps its
/// quotes): the title of the run's picture.
pub fn command_line(args: impl Iterator<Item = String>) -> String {
    let mut args: Vec<String> = args.collect();
    if let Some(first) = args.first_mut() {
        // The program as a user types it, not the path it was started by.
        *first = "lab".to_string();
    }
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}

/// The tracer the flags ask for; `None` if tracing is off. With `--step`, only calls in
/// `step_on` pause (all of them if it is empty). `buffered`: a trace file is written by a
/// thread of its own, not by the traced program after every event — for the server.
pub fn tracer(
    to: &TraceTo,
    color: ColorChoice,
    step_on: &'static [Syscall],
    buffered: bool,
) -> io::Result<Option<Arc<Tracer>>> {
    if !(to.on || to.json || to.file.is_some() || to.step || to.pictured()) {
        return Ok(None);
    }
    let printed = printed(to, color, buffered && to.file.is_some())?;
    Ok(Some(build(to, with_picture(printed, to, true), step_on)))
}

/// The sink that prints the trace where the flags say: a file, or stderr fitted to its width.
fn printed(to: &TraceTo, color: ColorChoice, buffered: bool) -> io::Result<Arc<dyn Sink>> {
    let (out, tty) = destination(to)?;
    Ok(sink(
        out,
        to.json,
        color.enabled(tty),
        buffered,
        tty.then_some(Screen::Stderr),
    ))
}

/// Where the trace goes: the file asked for, else stderr; and whether that is a terminal.
fn destination(to: &TraceTo) -> io::Result<(Box<dyn Write + Send>, bool)> {
    Ok(match &to.file {
        Some(p) => (Box::new(io::BufWriter::new(File::create(p)?)), false),
        None => (Box::new(io::stderr()), io::stderr().is_terminal()),
    })
}

/// The tracer into `sink`, with `--step`'s pause and the kernel observer if asked for.
fn build(to: &TraceTo, sink: Arc<dyn Sink>, step_on: &'static [Syscall]) -> Arc<Tracer> {
    let stepper = move |actor: &str, call: &Event| {
        if step_on.is_empty() || call.call.is_some_and(|c| step_on.contains(&c)) {
            super::step::pause_program(&super::human::who_text(actor), &call.call_text());
        }
    };
    let tracer = if to.step {
        Tracer::with_stepper(sink, Box::new(stepper))
    } else {
        Tracer::new(sink)
    };
    if let Some(interval) = to.observe {
        tracer.observe_live(interval);
    }
    tracer
}

/// What to show once a traced run is over.
#[derive(Debug, Default)]
pub struct Afterwards {
    /// The sequence diagram, on stdout.
    pub diagram: bool,
    /// The sequence diagram as Mermaid, into this file.
    pub mermaid: Option<PathBuf>,
}

/// A run that is always traced (`lab trace`): the tracer, the run, then the diagram of what
/// it recorded, with one lifeline per socket, each actor's in the order they appeared. Returns the run's code.
pub fn traced_run(
    to: &TraceTo,
    color: ColorChoice,
    after: &Afterwards,
    wire: Option<(crate::trace::wire::Show, Option<crate::trace::wire::Pcap>)>,
    run: impl FnOnce(&Tracer) -> Result<i32, String>,
) -> io::Result<i32> {
    let printed = printed(to, color, false)?;
    let collector = (after.diagram || after.mermaid.is_some()).then(Collector::new);
    let all: Arc<dyn Sink> = match &collector {
        Some(c) => Arc::new(Tee(vec![printed, c.clone()])),
        None => printed,
    };
    let tracer = build(to, with_picture(all, to, false), &[]);
    if let Some((show, pcap)) = wire {
        tracer.capture_wire(show, pcap)?;
    }
    let code = run(&tracer).map_err(io::Error::other)?;
    tracer.wire_summary();
    tracer.observe();
    tracer.flush();
    let Some(c) = collector else { return Ok(code) };
    let events = c.events();
    let columns = super::page::actor_columns(&events);
    if after.diagram {
        println!("\n{}", diagram::terminal(&events, &columns));
    }
    if let Some(path) = &after.mermaid {
        std::fs::write(path, diagram::mermaid(&events, &columns))?;
    }
    Ok(code)
}

/// The terminal a trace is printed on, whose width it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Stdout,
    Stderr,
}

impl Screen {
    /// The terminal's width now, if it is one.
    fn width(self) -> Option<usize> {
        match self {
            Screen::Stdout => width_of(&io::stdout()),
            Screen::Stderr => width_of(&io::stderr()),
        }
    }
}

/// A sink that prints every event, human or JSON: flushing after each, or (`buffered`, a
/// trace file of a busy server) formatted and written by a thread of its own, off the hot
/// path ([`Background`]); human lines on a terminal (`screen`) fitted to its width, followed
/// as the window is resized.
pub fn sink(
    out: Box<dyn Write + Send>,
    json: bool,
    color: bool,
    buffered: bool,
    screen: Option<Screen>,
) -> Arc<dyn Sink> {
    let human = |h: HumanSink<Box<dyn Write + Send>>| match screen {
        Some(Screen::Stdout) => h.fit_live(|| Screen::Stdout.width()),
        Some(Screen::Stderr) => h.fit_live(|| Screen::Stderr.width()),
        None => h,
    };
    match (json, buffered) {
        (true, false) => Arc::new(JsonSink::new(out)),
        (true, true) => Arc::new(Background::new(Arc::new(JsonSink::new(out).buffered()))),
        (false, false) => Arc::new(human(HumanSink::new(out, color))),
        (false, true) => Arc::new(Background::new(Arc::new(human(
            HumanSink::new(out, color).buffered(),
        )))),
    }
}

/// The width of the terminal `stream` is, if it is one (`COLUMNS` wins, as for `ls`).
pub fn width_of(stream: &impl std::os::fd::AsFd) -> Option<usize> {
    if let Some(cols) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(cols);
    }
    terminal_size::terminal_size_of(stream).map(|(w, _)| usize::from(w.0))
}
