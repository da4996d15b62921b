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
    /// What reached `out`, and whether a write failed.
    written: super::Written,
}

impl<W: Write + Send> JsonSink<W> {
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink {
            out: Mutex::new(out),
            eager: true,
            written: Default::default(),
        }
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
        self.written.event(&mut *out, &line, ev.seq, self.eager);
    }

    fn flush(&self) {
        self.written
            .flush(&mut *self.out.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Kind;

    /// A writer whose reader went away.
    struct Gone;
    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_is_noted_and_a_closed_pipe_is_not_an_error() {
        let full = JsonSink::new(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        );
        full.event(&Event::new(Kind::Note, "t"));
        assert!(full.written.failed());
        let gone = JsonSink::new(Gone);
        gone.event(&Event::new(Kind::Note, "t"));
        assert!(!gone.written.failed());
    }
}
