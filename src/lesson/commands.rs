//! `lab lesson list | show | run | check`: what an instructor and a student run.

use super::format::{Lang, Lesson, StepKind};
use super::runner::{self, BeforeStep, Options};
use crate::i18n::{self, M};
use crate::render::human::{paint, Style};
use crate::render::{diagram, output, ColorChoice};
use crate::trace::wire::{Pcap, Show};
use crate::trace::{Discard, Sink};
use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Every lesson by topic, with its title and question (a malformed one as its error).
pub fn list(dir: &Path, lang: Lang, color: ColorChoice) -> io::Result<()> {
    let mut t = comfy_table::Table::new();
    let tty = io::stdout().is_terminal();
    t.load_style(if tty { comfy_table::presets::UTF8_FULL_CONDENSED } else { comfy_table::presets::NOTHING });
    t.set_header([i18n::t(M::ListTopic), i18n::t(M::ListLesson), i18n::t(M::ListTitle), i18n::t(M::ListQuestion)]);
    for l in super::all(dir) {
        match l {
            Ok(l) => t.add_row([l.topic.as_str(), l.name.as_str(), l.title.get(lang), l.question.get(lang)]),
            Err(e) => t.add_row([
                String::new(),
                paint(&e.to_string(), Style::Bad, color.stdout()),
                String::new(),
                String::new(),
            ]),
        };
    }
    println!("{t}");
    Ok(())
}

/// A lesson's script as parsed, highlighted: headers and notes, each step's socket, call and
/// expectations, the instructor's comments where they stand.
pub fn show(l: &Lesson, color: ColorChoice) {
    let c = color.stdout();
    let key =
        |key: &str, width: usize, text: &str| paint(&format!("{:<width$}{text}", format!("{key}:")), Style::Note, c);
    // The comments above the first step come first, then the headers, then the rest in order.
    let first_step = l.steps.first().map_or(0, |s| s.line);
    let mut lines: Vec<((usize, u8), String)> = Vec::new();
    for (n, text) in &l.comments {
        let at = if *n < first_step { (0, 0) } else { (*n, 0) };
        lines.push((at, paint(&format!("# {text}"), Style::Dim, c)));
    }
    for (name, t) in [("title", &l.title), ("question", &l.question), ("explain", &l.explain)] {
        if !t.en.is_empty() {
            lines.push(((0, 1), key(name, 13, &t.en)));
            lines.push(((0, 1), key(&format!("{name}.es"), 13, &t.es)));
        }
    }
    lines.push(((0, 2), String::new()));
    for step in &l.steps {
        let shown = match &step.kind {
            StepKind::Note(t) => format!("{}\n{}", key("note", 9, &t.en), key("note.es", 9, &t.es)),
            StepKind::Call { sock, .. } => {
                let (call, expect) = step.source.split_at(step.expect_at);
                let call = call.strip_prefix(sock.as_str()).unwrap_or(call);
                format!("{}{call}{}", paint(sock, Style::State, c), paint(expect, Style::Good, c))
            }
        };
        lines.push(((step.line, 0), shown));
    }
    lines.sort_by_key(|(at, _)| *at);
    for (_, line) in lines {
        println!("{line}");
    }
}

/// What `lesson run` shows besides the trace.
pub struct RunView<'a> {
    pub step: bool,
    pub json: bool,
    pub diagram: bool,
    pub mermaid: Option<&'a Path>,
    /// The SVG and the HTML page to draw the run into.
    pub pictures: (Option<&'a Path>, Option<&'a Path>),
    /// Which segments the trace shows, and the pcapng file every packet goes to.
    pub wire: Show,
    pub pcap: Option<Pcap>,
}

/// Runs a lesson, the trace on stdout; returns the exit code (1 if an expectation failed).
pub fn run(l: &Lesson, lang: Lang, color: ColorChoice, view: RunView) -> i32 {
    let fit = if io::stdout().is_terminal() { output::width_of(&io::stdout()) } else { None };
    let sink = output::sink(Box::new(io::stdout()), view.json, color.stdout(), false, fit);
    let before_step: Option<BeforeStep> = if view.step {
        Some(Box::new(|line: usize, src: &str| output::step_prompt(&format!("line {line}"), src)))
    } else {
        None
    };
    let report = runner::run(l, sink, Options { lang, before_step, live: view.step, wire: view.wire, pcap: view.pcap });
    if view.diagram {
        println!("\n{}", diagram::terminal(&report.events, &report.columns));
    }
    if let Some(path) = view.mermaid {
        if let Err(e) = std::fs::write(path, diagram::mermaid(&report.events, &report.columns)) {
            eprintln!("lab: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    let title = format!("lesson {}: {}", l.name, l.title.get(lang));
    if let Err(e) =
        crate::render::page::write(view.pictures.0, view.pictures.1, &title, &report.events, &report.columns)
    {
        eprintln!("lab: cannot write the picture of the run: {e}");
        return 1;
    }
    let failures = report.failures();
    if failures.is_empty() {
        eprintln!("{}", i18n::f(M::LessonAllMet, &[&l.name, &report.outcomes.len()]));
        return 0;
    }
    for f in &failures {
        eprintln!("{}", f.message);
    }
    eprintln!("{}", i18n::f(M::LessonNotMet, &[&l.name, &failures.len(), &report.outcomes.len()]));
    1
}

/// Runs lessons as tests (all, or those named): one line each, then "N passed, M failed".
/// Returns the exit code.
pub fn check(dir: &Path, names: &[String], lang: Lang, color: ColorChoice) -> i32 {
    let c = color.stdout();
    let lessons: Vec<Result<Lesson, String>> = if names.is_empty() {
        super::all(dir).into_iter().map(|r| r.map_err(|e| e.to_string())).collect()
    } else {
        names.iter().map(|n| super::find(dir, n)).collect()
    };
    let (mut passed, mut failed) = (0, 0);
    for l in lessons {
        let ok = match l {
            Err(e) => {
                println!("{} {e}", paint(i18n::t(M::CheckFail), Style::Bad, c));
                false
            }
            Ok(l) => check_one(&l, lang, c),
        };
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("{}", i18n::f(M::CheckTotals, &[&passed, &failed]));
    i32::from(failed > 0)
}

/// Runs one lesson silently and prints its line; returns whether it passed.
fn check_one(l: &Lesson, lang: Lang, color: bool) -> bool {
    let start = Instant::now();
    let quiet: Arc<dyn Sink> = Arc::new(Discard);
    let report =
        runner::run(l, quiet, Options { lang, before_step: None, live: false, wire: Show::Summary, pcap: None });
    let ms = start.elapsed().as_millis();
    if report.passed() {
        let checks = report.outcomes.len();
        let counts = i18n::f(M::CheckCounts, &[&checks, &ms]);
        println!("{}   {}/{} {counts}", paint(i18n::t(M::CheckOk), Style::Good, color), l.topic, l.name);
        return true;
    }
    println!("{} {}/{}", paint(i18n::t(M::CheckFail), Style::Bad, color), l.topic, l.name);
    for f in report.failures() {
        println!("     {}", f.message);
    }
    false
}
