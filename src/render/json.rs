//! JSON Lines: one event per line, for programs (and graders) to read. The keys are the
//! [`Event`] fields: `seq`, `actor`, `call`, `fd`, `ret`, `errno`, `state`, `kernel`, `verdict`…

use crate::trace::{Event, Sink};
use std::io::Write;
use std::sync::Mutex;

/// Writes each event as one JSON object on its own line.
pub struct JsonSink<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonSink<W> {
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink { out: Mutex::new(out) }
    }
}

impl<W: Write + Send> Sink for JsonSink<W> {
    fn event(&self, ev: &Event) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // Serializing plain data with string keys cannot fail.
        let _ = serde_json::to_writer(&mut *out, ev);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
}
