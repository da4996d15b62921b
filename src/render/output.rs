//! Where a trace goes: stderr or a file, human lines or JSON Lines, and `--step`'s pause before
//! each call. Every command that traces builds its [`Tracer`] here, with the sink that keeps
//! the events for the run's pictures ([`super::picture`]) if they are asked for.

use super::picture::{Kept, Pictures};
use super::{human::HumanSink, json::JsonSink, page, ColorChoice};
use crate::trace::{writer::Background, Event, Sink, Syscall, Tee, Tracer};
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
}

/// The pictures of a run yet to be drawn: the events kept for them, and what was asked.
struct Picture {
    kept: Arc<Kept>,
    asked: Pictures,
    /// The command line.
    title: String,
    /// Every actor is a thread of this one process, sharing its fds: one group of lifelines
    /// (see [`page::one_process`]); else a group for each actor.
    one_process: bool,
}

impl Picture {
    /// Draws the pictures of what was kept.
    fn draw(self) -> io::Result<()> {
        let run = self.kept.events();
        // The lifelines of every event kept, first and last.
        let events: Vec<Event> = run.first.iter().chain(&run.last).cloned().collect();
        let columns = if self.one_process {
            page::one_process(&events)
        } else {
            page::actor_columns(&events)
        };
        self.asked.draw(&self.title, &run, &columns)
    }
}

/// `printed`, and beside it the sink that keeps the run's events for its pictures, if any are
/// asked for; `one_process`: the run is lab's own.
fn with_picture(
    printed: Arc<dyn Sink>,
    pictures: &Pictures,
    one_process: bool,
) -> (Arc<dyn Sink>, Option<Picture>) {
    let Some(kept) = pictures.keeper() else {
        return (printed, None);
    };
    let picture = Picture {
        kept: kept.clone(),
        asked: pictures.clone(),
        title: command_line(std::env::args()),
        one_process,
    };
    (Arc::new(Tee(vec![printed, kept])), Some(picture))
}

/// A run of lab's own (a server, a client, `lab listen`): its tracer, `None` when tracing is
/// off, and its pictures, drawn by [`Run::finish`] once it is over.
pub struct Run {
    tracer: Option<Arc<Tracer>>,
    picture: Option<Picture>,
}

impl Run {
    /// The tracer the run's sockets are to use.
    pub fn tracer(&self) -> Option<Arc<Tracer>> {
        self.tracer.clone()
    }

    /// The run is over: draws its pictures, if any were asked for, from the events so far.
    pub fn finish(self) -> io::Result<()> {
        if let Some(t) = &self.tracer {
            t.flush();
        }
        self.picture.map_or(Ok(()), Picture::draw)
    }
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

/// The run the flags ask for: its tracer (none if tracing is off) and its pictures. With
/// `--step`, only calls in `step_on` pause (all of them if it is empty). `buffered`: a trace
/// file is written by a thread of its own, not by the traced program after every event — for
/// the server.
pub fn tracer(
    to: &TraceTo,
    pictures: &Pictures,
    color: ColorChoice,
    step_on: &'static [Syscall],
    buffered: bool,
) -> io::Result<Run> {
    if !(to.on || to.json || to.file.is_some() || to.step || pictures.any()) {
        return Ok(Run {
            tracer: None,
            picture: None,
        });
    }
    let printed = printed(to, color, buffered && to.file.is_some())?;
    let (sink, picture) = with_picture(printed, pictures, true);
    Ok(Run {
        tracer: Some(build(to, sink, step_on)),
        picture,
    })
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

/// How much of the trace a file's writer gathers before writing it.
const FILE_BUFFER: usize = 64 * 1024;

/// Where the trace goes: the file asked for, else stderr; and whether that is a terminal.
/// A file is written [`FILE_BUFFER`] at a time (a busy server's trace is 100 MB: a `write(2)`
/// per 64 KiB, not per 8 KiB, std's default).
fn destination(to: &TraceTo) -> io::Result<(Box<dyn Write + Send>, bool)> {
    Ok(match &to.file {
        Some(p) => {
            let file = io::BufWriter::with_capacity(FILE_BUFFER, File::create(p)?);
            (Box::new(file), false)
        }
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

/// A run that is always traced (`lab trace`, `lab net`): the tracer, the run, then its
/// pictures, with one lifeline per socket, each actor's in the order they appeared. Returns
/// the run's code. A trace file is formatted and written by a thread of its own: `lab net`'s
/// relay makes an event of every packet and only queues it, and a program `lab trace` follows
/// waits at each of its calls while lab looks — writing the line need not be part of that wait.
pub fn traced_run(
    to: &TraceTo,
    color: ColorChoice,
    pictures: &Pictures,
    wire: Option<(crate::trace::wire::Show, Option<crate::trace::wire::Pcap>)>,
    run: impl FnOnce(&Arc<Tracer>) -> Result<i32, String>,
) -> io::Result<i32> {
    // Not while stepping, where each line is wanted as the pause shows it.
    let printed = printed(to, color, to.file.is_some() && !to.step)?;
    let (sink, picture) = with_picture(printed, pictures, false);
    let tracer = build(to, sink, &[]);
    if let Some((show, pcap)) = wire {
        tracer.capture_wire(show, pcap)?;
    }
    let code = run(&tracer).map_err(io::Error::other)?;
    // What the kernel did after the last call is in the trace, then the wire's count of
    // every segment printed, and the trace in its file, before the run is drawn.
    tracer.finish();
    if let Some(p) = picture {
        p.draw()?;
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
