//! The run's picture, made in one place once the run is over: the sequence diagram on the
//! terminal (`--diagram`), as Mermaid (`--mermaid FILE`), as SVG (`--svg FILE`) and as an HTML
//! page with the trace beside it (`--html FILE`). A lesson, `lab trace`, `lab net` and lab's own
//! servers and clients all draw theirs through [`Pictures::draw`].
//!
//! The events are kept while the run goes on by [`Kept`], a sink beside the printed trace: at
//! most [`page::MAX_EVENTS`] of them for the SVG and the page (a server's long run would make a
//! picture no one can open), all of them when the diagram is drawn on the terminal or as
//! Mermaid, which show the whole run.

use super::{diagram, page};
use crate::trace::{Event, Sink};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
                all: self.diagram || self.mermaid.is_some(),
                events: Mutex::default(),
            })
        })
    }

    /// Draws the pictures asked for of a run of `total` events, of which `events` are the first
    /// (all of them, or [`page::MAX_EVENTS`]), its lifelines grouped in `columns`. A file that
    /// cannot be written is named in the error.
    pub fn draw(
        &self,
        title: &str,
        events: &[Event],
        total: usize,
        columns: &Columns,
    ) -> io::Result<()> {
        if self.diagram {
            println!("\n{}", diagram::terminal(events, columns));
        }
        if let Some(path) = &self.mermaid {
            std::fs::write(path, diagram::mermaid(events, columns)).map_err(|e| named(path, e))?;
        }
        if let Some(path) = &self.svg {
            let shown = &events[..events.len().min(page::MAX_EVENTS)];
            std::fs::write(path, page::svg(shown, columns)).map_err(|e| named(path, e))?;
            wrote(path);
        }
        if let Some(path) = &self.html {
            let page = page::html(title, events, total, columns);
            std::fs::write(path, page).map_err(|e| named(path, e))?;
            wrote(path);
        }
        Ok(())
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

/// The run's events kept for its pictures, and how many there were in all.
pub struct Kept {
    /// Keep every event, not only the first [`page::MAX_EVENTS`].
    all: bool,
    events: Mutex<(Vec<Event>, usize)>,
}

impl Kept {
    /// The events kept, and how many the run had.
    pub fn events(&self) -> (Vec<Event>, usize) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Sink for Kept {
    fn event(&self, ev: &Event) {
        let mut kept = self.events.lock().unwrap_or_else(|p| p.into_inner());
        kept.1 += 1;
        if self.all || kept.0.len() < page::MAX_EVENTS {
            kept.0.push(ev.clone());
        }
    }
}
