//! JSON Lines: one event per line, for programs (and graders) to read. The keys are the
//! [`Event`] fields: `seq`, `actor`, `call`, `fd`, `ret`, `errno`, `state`, `kernel`, `verdict`…

use crate::trace::{Event, Sink};
use std::io::Write;
use std::sync::Mutex;

/// Writes each event as one JSON object on its own line.
pub struct JsonSink<W: Write + Send> {
    out: Mutex<W>,
    /// Flush after every event; otherwise only when told.
    eager: bool,
}

impl<W: Write + Send> JsonSink<W> {
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink { out: Mutex::new(out), eager: true }
    }

    /// Buffer events until [`Sink::flush`] (a trace file of a busy server).
    pub fn buffered(mut self) -> JsonSink<W> {
        self.eager = false;
        self
    }
}

impl<W: Write + Send> Sink for JsonSink<W> {
    fn event(&self, ev: &Event) {
        // One buffer, one write: serde writes field by field, which on an unbuffered stream
        // (stderr) would be a system call per fragment. Plain data with string keys cannot
        // fail to serialize.
        let mut line = serde_json::to_vec(ev).unwrap_or_default();
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(&line);
        if self.eager {
            let _ = out.flush();
        }
    }

    fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|p| p.into_inner()).flush();
    }
}
