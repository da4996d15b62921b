//! `lab lesson list | show | run | check`: what an instructor and a student run.

use super::format::Origin;
use super::format::{Lang, Lesson, StepKind, Text};
use super::runner::{self, BeforeStep, Options};
use super::Library;
use crate::i18n::{self, Count, M};
use crate::render::human::{paint, Style};
use crate::render::picture::Pictures;
use crate::render::{output, step, ColorChoice};
use crate::trace::wire::{Pcap, Show};
use crate::trace::{Discard, Sink};
use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::Instant;

/// Every lesson by topic, with its title, its question and where it came from (lab's own, or
/// the instructor's folder); a malformed one as its error. On a terminal the table is fitted to
/// its width, the long cells wrapped.
pub fn list(library: &Library, lang: Lang, color: ColorChoice, json: bool) -> io::Result<()> {
    if json {
        return list_json(library, lang);
    }
    let mut t = comfy_table::Table::new();
    let tty = io::stdout().is_terminal();
    t.load_style(if tty {
        comfy_table::presets::UTF8_FULL_CONDENSED
    } else {
        comfy_table::presets::NOTHING
    });
    if let Some(width) = tty.then(|| output::width_of(&io::stdout())).flatten() {
        t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        t.set_width(u16::try_from(width).unwrap_or(u16::MAX));
    }
    let from_folder = library
        .all()
        .iter()
        .any(|l| l.as_ref().is_ok_and(|l| l.origin != Origin::BuiltIn));
    let mut head = vec![
        i18n::t(M::ListTopic),
        i18n::t(M::ListLesson),
        i18n::t(M::ListTitle),
        i18n::t(M::ListQuestion),
    ];
    if from_folder {
        head.push(i18n::t(M::ListFrom));
    }
    t.set_header(head);
    for l in library.all() {
        match l {
            Ok(l) => {
                let mut row = vec![
                    l.topic.clone(),
                    l.name.clone(),
                    l.title.get(lang).into(),
                    l.question.get(lang).into(),
                ];
                if from_folder {
                    row.push(origin_text(&l.origin));
                }
                t.add_row(row)
            }
            Err(e) => t.add_row([
                String::new(),
                paint(&e.to_string(), Style::Bad, color.stdout()),
            ]),
        };
    }
    println!("{t}");
    Ok(())
}

/// Where a lesson came from, in words: "lab" or the folder.
fn origin_text(o: &Origin) -> String {
    match o {
        Origin::BuiltIn => "lab".to_string(),
        Origin::Folder(dir) => dir.display().to_string(),
    }
}

/// `lesson list --json`: one object per lesson and line, for scripts (and the test that keeps the
/// README's table of lessons true); `from` is `lab` or the folder; a malformed lesson is
/// `{"error": …}`.
fn list_json(library: &Library, lang: Lang) -> io::Result<()> {
    use std::io::Write;
    let mut out = io::stdout().lock();
    for l in library.all() {
        let v = match l {
            Ok(l) => serde_json::json!({
                "topic": l.topic, "name": l.name, "title": l.title.get(lang),
                "question": l.question.get(lang),
                "from": origin_text(&l.origin),
            }),
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        };
        writeln!(out, "{v}")?;
    }
    Ok(())
}

/// A lesson's script as parsed, highlighted: headers and notes, each step's socket, call and
/// expectations, the instructor's comments where they stand.
pub fn show(l: &Lesson, color: ColorChoice) {
    let c = color.stdout();
    let key = |key: &str, width: usize, text: &str| {
        paint(
            &format!("{:<width$}{text}", format!("{key}:")),
            Style::Note,
            c,
        )
    };
    // The comments above the first step come first, then the headers, then the rest in order.
    let first_step = l.steps.first().map_or(0, |s| s.line);
    let mut lines: Vec<((usize, u8), String)> = Vec::new();
    // Comments and the network's headers (`hosts:`, `link:` …) before the first step keep
    // their order, at the top.
    let net = l.network.iter().flat_map(|n| n.source.iter());
    let mut top: Vec<(usize, String)> = net.map(|(n, t)| (*n, key_line(t, c))).collect();
    for (n, text) in &l.comments {
        let shown = paint(&format!("# {text}"), Style::Dim, c);
        match *n < first_step {
            true => top.push((*n, shown)),
            false => lines.push(((*n, 0), shown)),
        }
    }
    top.sort_by_key(|(n, _)| *n);
    lines.extend(top.into_iter().map(|(_, t)| ((0, 0), t)));
    if l.lang != Lang::En {
        lines.push(((0, 1), key("lang", 13, &l.lang.code())));
    }
    for (name, t) in [
        ("title", &l.title),
        ("question", &l.question),
        ("explain", &l.explain),
    ] {
        if !t.is_empty() {
            lines.push(((0, 1), text_lines(name, 13, t, &key)));
        }
    }
    lines.push(((0, 2), String::new()));
    for step in &l.steps {
        lines.push(((step.line, 0), step_line(step, &key, c)));
    }
    lines.sort_by_key(|(at, _)| *at);
    for (_, line) in lines {
        println!("{line}");
    }
}

/// One step as the lesson file has it: the socket's name, the call and what is expected, painted.
fn step_line(
    step: &crate::lesson::format::Step,
    key: &dyn Fn(&str, usize, &str) -> String,
    c: bool,
) -> String {
    match &step.kind {
        StepKind::Note(t) => text_lines("note", 9, t, key),
        StepKind::Wire(_) | StepKind::Link(_) => {
            let (word, expect) = step.source.split_at(step.expect_at);
            format!(
                "{}{}",
                paint(word, Style::State, c),
                paint(expect, Style::Good, c)
            )
        }
        StepKind::Call { sock, .. } => {
            let (call, expect) = step.source.split_at(step.expect_at);
            let call = call.strip_prefix(sock.as_str()).unwrap_or(call);
            format!(
                "{}{call}{}",
                paint(sock, Style::State, c),
                paint(expect, Style::Good, c)
            )
        }
    }
}

/// A network header (`hosts: a b`) as written, its key painted as the other headers'.
fn key_line(text: &str, color: bool) -> String {
    paint(text, Style::Note, color)
}

/// A text's line and its translations' (`title:`, then `title.es:` …), aligned at `width`.
fn text_lines(
    name: &str,
    width: usize,
    t: &Text,
    key: &dyn Fn(&str, usize, &str) -> String,
) -> String {
    let mut out = key(name, width, &t.own);
    for (lang, text) in &t.translations {
        out.push('\n');
        out.push_str(&key(&format!("{name}.{}", lang.code()), width, text));
    }
    out
}

/// What `lesson run` shows besides the trace.
pub struct RunView {
    pub step: bool,
    pub json: bool,
    /// The diagram, Mermaid, SVG and HTML page to draw the run into.
    pub pictures: Pictures,
    /// Which segments the trace shows, and the pcapng file every packet goes to.
    pub wire: Show,
    pub pcap: Option<Pcap>,
}

/// Runs a lesson, the trace on stdout; returns the exit code (1 if an expectation failed).
pub fn run(l: &Lesson, lang: Lang, color: ColorChoice, view: RunView) -> i32 {
    let screen = io::stdout().is_terminal().then_some(output::Screen::Stdout);
    let sink = output::sink(
        Box::new(io::stdout()),
        view.json,
        color.stdout(),
        false,
        screen,
    );
    let before_step = view.step.then(pause_before_step);
    let report = runner::run(
        l,
        sink,
        Options {
            lang,
            before_step,
            live: view.step,
            wire: view.wire,
            pcap: view.pcap,
        },
    );
    let title = i18n::f(M::LessonTitle, &[&l.name, &l.title.get(lang)]);
    let (events, columns) = (&report.events, &report.columns);
    let run = crate::render::picture::KeptEvents::whole(events);
    if let Err(e) = view.pictures.draw(&title, &run, columns) {
        eprintln!("lab: {e}");
        return 1;
    }
    tell_outcome(l, &report)
}

/// `--step`: the pause before each step of the lesson; whether to go on.
fn pause_before_step() -> BeforeStep {
    Box::new(
        |line: usize, src: &str| match step::pause(&format!("line {line}"), src) {
            step::Answer::Go => true,
            step::Answer::Quit => false,
            step::Answer::Interrupt => {
                step::interrupt();
                false
            }
        },
    )
}

/// Says how the run went, on stderr (the trace is on stdout): the expectations not met, and
/// the counts. Returns the exit code (1 if an expectation failed).
fn tell_outcome(l: &Lesson, report: &runner::Report) -> i32 {
    if let Some(why) = &report.not_run {
        eprintln!("lab: {why}");
        return 1;
    }
    let failures = report.failures();
    if let Some(line) = report.stopped_at {
        for f in &failures {
            eprintln!("{}", f.message);
        }
        let counts = [
            &l.name as &dyn i18n::Arg,
            &line,
            &Count(report.outcomes.len()),
            &Count(failures.len()),
        ];
        eprintln!("{}", i18n::f(M::LessonStopped, &counts));
        return i32::from(!failures.is_empty());
    }
    if failures.is_empty() {
        eprintln!(
            "{}",
            i18n::f(M::LessonAllMet, &[&l.name, &Count(report.outcomes.len())])
        );
        return 0;
    }
    for f in &failures {
        eprintln!("{}", f.message);
    }
    eprintln!(
        "{}",
        i18n::f(
            M::LessonNotMet,
            &[
                &l.name,
                &Count(failures.len()),
                &Count(report.outcomes.len())
            ]
        )
    );
    1
}

/// Runs lessons as tests (all, or those named): one line each, then "N passed, M failed".
/// Returns the exit code.
pub fn check(library: &Library, names: &[String], lang: Lang, color: ColorChoice) -> i32 {
    let c = color.stdout();
    let lessons: Vec<Result<Lesson, String>> = if names.is_empty() {
        library
            .all()
            .into_iter()
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    } else {
        names.iter().map(|n| library.find(n)).collect()
    };
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for l in lessons {
        let ok = match l {
            Err(e) => {
                println!("{} {e}", paint(i18n::t(M::CheckFail), Style::Bad, c));
                Some(false)
            }
            Ok(l) => check_one(&l, lang, c),
        };
        match ok {
            Some(true) => passed += 1,
            Some(false) => failed += 1,
            None => skipped += 1,
        }
    }
    let mut totals = i18n::f(M::CheckTotals, &[&Count(passed), &Count(failed)]);
    if skipped > 0 {
        totals.push_str(&i18n::f(M::CheckSkipped, &[&Count(skipped)]));
    }
    println!("{totals}");
    i32::from(failed > 0)
}

/// A warning, not a failure: what a reader of another language lab speaks sees untranslated.
fn warn_untranslated(l: &Lesson, color: bool) {
    use clap::ValueEnum;
    for lang in Lang::value_variants()
        .iter()
        .filter(|lang| **lang != l.lang)
    {
        let missing = l.untranslated(*lang);
        let line = if missing.is_empty() {
            continue;
        } else if l.untranslated_all(*lang) {
            // Nothing of it in that language: the list would be the whole lesson.
            i18n::f(M::CheckUntranslatedAll, &[&lang.name(), &l.lang.name()])
        } else {
            let missing = missing.join(", ");
            i18n::f(
                M::CheckUntranslated,
                &[&lang.name(), &missing, &l.lang.name()],
            )
        };
        println!("{}", paint(&line, Style::Dim, color));
    }
}

/// Runs one lesson silently and prints its line; returns whether it passed (`None`: it could
/// not run here, and the line says why).
fn check_one(l: &Lesson, lang: Lang, color: bool) -> Option<bool> {
    let start = Instant::now();
    let quiet: Arc<dyn Sink> = Arc::new(Discard);
    let report = runner::run(
        l,
        quiet,
        Options {
            lang,
            before_step: None,
            live: false,
            wire: Show::Summary,
            pcap: None,
        },
    );
    let ms = start.elapsed().as_millis();
    if let Some(why) = &report.not_run {
        let skip = paint(i18n::t(M::CheckSkip), Style::Dim, color);
        println!("{skip} {}/{}: {why}", l.topic, l.name);
        return None;
    }
    if report.passed() {
        let checks = report.outcomes.len();
        let counts = i18n::f(M::CheckCounts, &[&Count(checks), &ms]);
        println!(
            "{}   {}/{} {counts}",
            paint(i18n::t(M::CheckOk), Style::Good, color),
            l.topic,
            l.name
        );
        warn_untranslated(l, color);
        return Some(true);
    }
    println!(
        "{} {}/{}",
        paint(i18n::t(M::CheckFail), Style::Bad, color),
        l.topic,
        l.name
    );
    for f in report.failures() {
        println!("     {}", f.message);
    }
    Some(false)
}
