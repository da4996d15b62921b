//! The run's picture, made in one place once the run is over: the sequence diagram on the
//! terminal (`--diagram`), as Mermaid (`--mermaid FILE`), as SVG (`--svg FILE`) and as an HTML
//! page with the trace beside it (`--html FILE`). A lesson, `lab trace`, `lab net` and lab's own
//! servers and clients all draw theirs through [`Pictures::draw`].
//!
//! The events are kept while the run goes on by [`Kept`], a sink beside the printed trace: the
//! first [`page::MAX_EVENTS`] for the SVG and the page (a server's long run would make a picture
//! no one can open), the last [`MAX_DIAGRAM_EVENTS`] for the diagram on the terminal and as
//! Mermaid (a `lab server --trace --diagram` that runs for days must not keep every event in
//! memory). A diagram that leaves events out says how many, at its top: never silently.

use super::{diagram, page};
use crate::i18n::{f, Count, M};
use crate::trace::{Event, Sink};
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The most events the terminal and Mermaid diagrams keep: the run's last ones.
pub const MAX_DIAGRAM_EVENTS: usize = 20_000;

/// The lifelines of a run, grouped: each group's name and the actors drawn in it.
pub type Columns = Vec<(String, Vec<String>)>;

/// The pictures asked of a run.
#[derive(Debug, Clone, Default)]
pub struct Pictures {
    /// The sequence diagram, on stdout.
    pub diagram: bool,
    /// The sequence diagram as Mermaid, into this file.
    pub mermaid: Option<PathBuf>,
    /// An SVG sequence diagram, into this file.
    pub svg: Option<PathBuf>,
    /// A self-contained HTML page: the diagram, the trace table, the verdicts.
    pub html: Option<PathBuf>,
}

impl Pictures {
    /// Whether any picture is asked for.
    pub fn any(&self) -> bool {
        self.diagram || self.mermaid.is_some() || self.svg.is_some() || self.html.is_some()
    }

    /// A sink that keeps the run's events for them, if any picture is asked for.
    pub fn keeper(&self) -> Option<Arc<Kept>> {
        self.any().then(|| {
            Arc::new(Kept {
                first: self.svg.is_some() || self.html.is_some(),
                last: self.diagram || self.mermaid.is_some(),
                events: Mutex::default(),
            })
        })
    }

    /// Draws the pictures asked for of a run, from what was kept of it, its lifelines grouped
    /// in `columns`. A file that cannot be written is named in the error.
    pub fn draw(&self, title: &str, run: &KeptEvents, columns: &Columns) -> io::Result<()> {
        if self.diagram {
            println!("\n{}", terminal_diagram(run, columns));
        }
        if let Some(path) = &self.mermaid {
            std::fs::write(path, mermaid_diagram(run, columns)).map_err(|e| named(path, e))?;
        }
        let first = &run.first[..run.first.len().min(page::MAX_EVENTS)];
        if let Some(path) = &self.svg {
            std::fs::write(path, page::svg(first, columns)).map_err(|e| named(path, e))?;
            wrote(path);
        }
        if let Some(path) = &self.html {
            let page = page::html(title, first, run.total, columns);
            std::fs::write(path, page).map_err(|e| named(path, e))?;
            wrote(path);
        }
        Ok(())
    }
}

/// The terminal diagram of the run's last events, under a line that says how many came
/// before them, if any did.
pub fn terminal_diagram(run: &KeptEvents, columns: &Columns) -> String {
    let drawn = diagram::terminal(&run.last, columns);
    match run.left_out() {
        0 => drawn,
        n => format!(
            "{}\n\n{drawn}",
            f(M::DiagramLeftOut, &[&Count(n), &run.total])
        ),
    }
}

/// The Mermaid diagram of the run's last events; if some came before them, a note over the
/// first lifeline says how many (a Mermaid comment would not be drawn).
pub fn mermaid_diagram(run: &KeptEvents, columns: &Columns) -> String {
    let drawn = diagram::mermaid(&run.last, columns);
    let n = run.left_out();
    // The first participant's id: `participant ID` or `participant ID as name`.
    let first = drawn
        .lines()
        .find_map(|l| l.trim().strip_prefix("participant "))
        .and_then(|rest| rest.split_whitespace().next());
    if n == 0 {
        return drawn;
    }
    let words = f(M::DiagramLeftOut, &[&Count(n), &run.total]).replace([';', '#'], ",");
    let Some(first) = first else {
        // No lifeline to put a note over: nothing is drawn, and a comment says why.
        return format!("{drawn}    %% {words}\n");
    };
    let at = drawn
        .lines()
        .take_while(|l| l.starts_with("sequenceDiagram") || l.trim().starts_with("participant"))
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let note = format!("    Note over {first}: {words}\n");
    format!("{}{note}{}", &drawn[..at], &drawn[at..])
}

/// What a run kept for its pictures: its first events (for the SVG and the page), its last
/// (for the diagrams), and how many it had in all.
#[derive(Debug, Clone, Default)]
pub struct KeptEvents {
    pub first: Vec<Event>,
    pub last: Vec<Event>,
    pub total: usize,
}

impl KeptEvents {
    /// A run whose every event was kept (a lesson's).
    pub fn whole(events: &[Event]) -> KeptEvents {
        KeptEvents {
            first: events.to_vec(),
            last: events.to_vec(),
            total: events.len(),
        }
    }

    /// How many events came before the last ones kept.
    pub fn left_out(&self) -> usize {
        self.total - self.last.len()
    }
}

/// An error writing `path`, that says which file it was.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
}

/// Says where a picture went (on stderr: stdout may be the trace).
fn wrote(path: &Path) {
    eprintln!(
        "{}",
        crate::i18n::f(crate::i18n::M::WroteFile, &[&path.display()])
    );
}

/// The run's events kept for its pictures, and how many there were in all: never more than
/// [`page::MAX_EVENTS`] first ones and [`MAX_DIAGRAM_EVENTS`] last ones, however long it runs.
pub struct Kept {
    /// Keep the first events (an SVG or a page is asked for).
    first: bool,
    /// Keep the last events (a diagram is asked for).
    last: bool,
    events: Mutex<(Vec<Event>, VecDeque<Event>, usize)>,
}

impl Kept {
    /// What was kept so far.
    pub fn events(&self) -> KeptEvents {
        let kept = self.events.lock().unwrap_or_else(|p| p.into_inner());
        KeptEvents {
            first: kept.0.clone(),
            last: kept.1.iter().cloned().collect(),
            total: kept.2,
        }
    }
}

impl Sink for Kept {
    fn event(&self, ev: &Event) {
        let mut kept = self.events.lock().unwrap_or_else(|p| p.into_inner());
        kept.2 += 1;
        if self.first && kept.0.len() < page::MAX_EVENTS {
            kept.0.push(ev.clone());
        }
        if self.last {
            if kept.1.len() >= MAX_DIAGRAM_EVENTS {
                kept.1.pop_front();
            }
            kept.1.push_back(ev.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Arg, Event, Syscall};

    /// A long run with `--diagram` keeps only the last MAX_DIAGRAM_EVENTS events (memory
    /// bounded), and the diagram says how many came before them.
    #[test]
    fn a_long_runs_diagram_keeps_its_last_events_and_says_how_many_it_left_out() {
        crate::i18n::set(crate::i18n::Lang::En);
        let asked = Pictures {
            diagram: true,
            ..Pictures::default()
        };
        let kept = asked.keeper().unwrap();
        let extra = 7;
        for n in 0..MAX_DIAGRAM_EVENTS + extra {
            let mut ev = Event::call("srv", Syscall::Send, Some(3), vec![Arg::Fd(3)]);
            (ev.seq, ev.ret) = (n as u64 + 1, Some(1));
            kept.event(&ev);
        }
        let run = kept.events();
        assert_eq!(
            (run.last.len(), run.total),
            (MAX_DIAGRAM_EVENTS, MAX_DIAGRAM_EVENTS + extra)
        );
        assert!(
            run.first.is_empty(),
            "no SVG or page asked: nothing kept for them"
        );
        assert_eq!(run.last[0].seq, extra as u64 + 1, "the last ones are kept");
        let columns = vec![("srv".to_string(), vec!["srv".to_string()])];
        let said = format!("{extra} earlier events");
        let text = terminal_diagram(&run, &columns);
        assert!(
            text.lines().next().unwrap().contains(&said),
            "{}",
            &text[..text.len().min(300)]
        );
        let m = mermaid_diagram(&run, &columns);
        assert!(
            m.lines()
                .any(|l| l.contains("Note over") && l.contains(&said)),
            "{}",
            &m[..m.len().min(300)]
        );
        // A run that kept everything says nothing of the kind.
        let whole = KeptEvents::whole(&run.last[..3]);
        assert!(!terminal_diagram(&whole, &columns).contains("earlier events"));
    }
}
