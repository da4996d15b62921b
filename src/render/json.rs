//! JSON Lines: one event per line, for programs (and graders) to read. The keys are the
//! [`Event`] fields: `seq`, `actor`, `call`, `fd`, `ret`, `errno`, `state`, `kernel`, `verdict`…

use crate::trace::{Event, Sink};
use std::io::Write;
use std::sync::Mutex;

/// Writes each event as one JSON object on its own line.
pub struct JsonSink<W: Write + Send> {
    out: Mutex<Out<W>>,
    /// Flush after every event; otherwise only when told.
    eager: bool,
    /// What reached `out`, and whether a write failed.
    written: super::Written,
}

/// The output and the line being made, kept from event to event: a busy server's trace is
/// hundreds of thousands of lines, each made in the same buffer (no allocation per line).
struct Out<W> {
    to: W,
    line: Vec<u8>,
}

/// A line longer than this (a long note) does not keep its buffer for the lines after it.
const KEEP_LINE: usize = 64 * 1024;

impl<W: Write + Send> JsonSink<W> {
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink {
            out: Mutex::new(Out {
                to: out,
                line: Vec::new(),
            }),
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
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let Out { to, line } = &mut *out;
        // One buffer, one write: serde writes field by field, which on an unbuffered stream
        // (stderr) would be a system call per fragment. Plain data with string keys cannot
        // fail to serialize.
        line.clear();
        if serde_json::to_writer(&mut *line, ev).is_err() {
            line.clear();
        }
        line.push(b'\n');
        self.written.event(to, line, ev.seq, self.eager);
        if line.capacity() > KEEP_LINE {
            *line = Vec::new();
        }
    }

    fn flush(&self) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        self.written.flush(&mut out.to);
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

    /// The line buffer kept from event to event leaves nothing of one line in the next, a
    /// long line included.
    #[test]
    fn each_line_is_its_event_alone() {
        let sink = JsonSink::new(Vec::new()).buffered();
        let long = "x".repeat(2 * KEEP_LINE);
        let evs = [
            Event::words(Kind::Note, "a", "first".into()),
            Event::words(Kind::Note, "b", long),
            Event::words(Kind::Note, "c", "\"quoted\" and ⇄".into()),
        ];
        let mut expected = Vec::new();
        for ev in &evs {
            sink.event(ev);
            expected.extend(serde_json::to_vec(ev).unwrap());
            expected.push(b'\n');
        }
        let out = sink.out.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(out.to).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert!(out.line.capacity() <= KEEP_LINE);
    }
}
