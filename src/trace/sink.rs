//! Where events go. Every event of a run reaches exactly one [`Sink`] (the funnel); a sink may
//! print it (the renderers in [`crate::render`]), keep it (a lesson, a test), or pass it to
//! several others ([`Tee`]).

use super::event::Event;
use std::sync::{Arc, Mutex};

/// Receives every event, in order, from any thread.
pub trait Sink: Send + Sync {
    fn event(&self, ev: &Event);

    /// Receives an event to keep: the tracer hands each one over once it is delivered, so a
    /// sink that stores events (a collector, the writer thread's queue) needs no copy.
    fn take(&self, ev: Event) {
        self.event(&ev);
    }

    /// Pushes out anything buffered, and returns once it is out (the end of a run).
    fn flush(&self) {}

    /// Whether this sink reads the kernel table's verdict itself for an event that carries
    /// [`Event::check_later`], before any reader sees it (`super::writer::Background` does,
    /// in batches, on its writer thread). No other sink may be handed such an event.
    fn checks_later(&self) -> bool {
        false
    }

    /// The program is about to wait (a traced `poll()`): a trace file must be complete while it
    /// idles. The others flush; `super::writer::Background`, which flushes by itself once
    /// idle, only tells its writer not to wait for more.
    fn idle(&self) {
        self.flush();
    }
}

/// Keeps every event, for lessons and tests to read afterwards.
#[derive(Default)]
pub struct Collector {
    events: Mutex<Vec<Event>>,
}

impl Collector {
    pub fn new() -> Arc<Collector> {
        Arc::new(Collector::default())
    }

    /// A copy of the events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many events have arrived.
    pub fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no event has arrived yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the events from the `first`-th on (what one step of a lesson produced).
    pub fn since(&self, first: usize) -> Vec<Event> {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events
            .get(first..)
            .map(<[Event]>::to_vec)
            .unwrap_or_default()
    }
}

impl Sink for Collector {
    fn event(&self, ev: &Event) {
        self.take(ev.clone());
    }

    fn take(&self, ev: Event) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ev);
    }
}

/// Keeps nothing: for running lessons as tests without printing them.
pub struct Discard;

impl Sink for Discard {
    fn event(&self, _: &Event) {}
}

/// Passes each event to several sinks, in order (e.g. the screen and a collector).
pub struct Tee(pub Vec<Arc<dyn Sink>>);

impl Sink for Tee {
    fn event(&self, ev: &Event) {
        for s in &self.0 {
            s.event(ev);
        }
    }

    /// Each sink but the last gets a copy; the last keeps the event itself.
    fn take(&self, ev: Event) {
        if let Some((last, rest)) = self.0.split_last() {
            for s in rest {
                s.event(&ev);
            }
            last.take(ev);
        }
    }

    fn flush(&self) {
        for s in &self.0 {
            s.flush();
        }
    }

    fn idle(&self) {
        for s in &self.0 {
            s.idle();
        }
    }
}
