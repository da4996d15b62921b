//! Message framing: turning a byte stream back into lines.
//!
//! TCP delivers bytes, not messages: two sends can arrive in one `recv()`, one send can arrive
//! in two. (Seeds 000–004 treated each `recv()` as one message; that is the bug this file
//! fixes.) So bytes are gathered until a `\n`, and each complete line is one message.
//!
//! The buffer is bounded: a client that sends 1 GB without a newline must not make the server
//! hold 1 GB. Past [`MAX_LINE`] bytes the line is reported too long and the rest of it, up to
//! the next newline, is thrown away as it arrives.

use super::protocol::MAX_LINE;

/// What one chunk of bytes yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete line, without its `\n` (or `\r\n`), still raw bytes.
    Line(Vec<u8>),
    /// A line passed [`MAX_LINE`] bytes; it is being dropped.
    TooLong,
}

/// The partial line of one connection.
#[derive(Debug)]
pub struct LineReader {
    partial: Vec<u8>,
    /// Inside a too-long line: drop bytes until the next newline.
    discarding: bool,
    limit: usize,
}

impl Default for LineReader {
    fn default() -> LineReader {
        LineReader::with_limit(MAX_LINE)
    }
}

impl LineReader {
    /// A reader for lines of at most [`MAX_LINE`] bytes (what a client may send).
    pub fn new() -> LineReader {
        LineReader::default()
    }

    /// A reader for lines of at most `limit` bytes.
    pub fn with_limit(limit: usize) -> LineReader {
        LineReader {
            partial: Vec::new(),
            discarding: false,
            limit,
        }
    }

    /// Feeds received bytes; appends each complete line (or too-long notice) to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<Frame>) {
        while !data.is_empty() {
            let newline = data.iter().position(|&b| b == b'\n');
            let (chunk, rest, complete) = match newline {
                Some(i) => (&data[..i], &data[i + 1..], true),
                None => (data, &data[data.len()..], false),
            };
            data = rest;
            if self.discarding {
                // Still inside the too-long line: its end frees us.
                self.discarding = !complete;
                continue;
            }
            if self.partial.len() + chunk.len() > self.limit {
                self.partial.clear();
                self.discarding = !complete;
                out.push(Frame::TooLong);
                continue;
            }
            self.partial.extend_from_slice(chunk);
            if complete {
                if self.partial.last() == Some(&b'\r') {
                    self.partial.pop();
                }
                out.push(Frame::Line(std::mem::take(&mut self.partial)));
            }
        }
    }

    /// The unfinished line as a message of its own: for protocols without framing, where a
    /// client's pause ends a message. Nothing if no bytes are held (or a too-long line is
    /// being dropped).
    pub fn take_partial(&mut self) -> Option<Frame> {
        if self.discarding {
            self.discarding = false;
            return None;
        }
        if self.partial.is_empty() {
            return None;
        }
        Some(Frame::Line(std::mem::take(&mut self.partial)))
    }

    /// Bytes held for an unfinished line (at most the limit).
    pub fn pending(&self) -> usize {
        self.partial.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(r: &mut LineReader, data: &[u8]) -> Vec<Frame> {
        let mut out = Vec::new();
        r.push(data, &mut out);
        out
    }

    #[test]
    fn two_sends_in_one_recv_are_two_lines() {
        let mut r = LineReader::new();
        assert_eq!(
            feed(&mut r, b"hola\nque tal\r\n"),
            vec![
                Frame::Line(b"hola".to_vec()),
                Frame::Line(b"que tal".to_vec())
            ]
        );
    }

    #[test]
    fn one_send_split_across_recvs_is_one_line() {
        let mut r = LineReader::new();
        assert!(feed(&mut r, b"ho").is_empty());
        assert_eq!(r.pending(), 2);
        assert_eq!(feed(&mut r, b"la\n"), vec![Frame::Line(b"hola".to_vec())]);
    }

    #[test]
    fn a_huge_line_is_dropped_and_memory_stays_bounded() {
        let mut r = LineReader::new();
        let chunk = vec![b'x'; 1000];
        let mut frames = Vec::new();
        for _ in 0..1000 {
            r.push(&chunk, &mut frames);
            assert!(r.pending() <= MAX_LINE);
        }
        assert_eq!(frames, vec![Frame::TooLong]);
        // The rest of the long line is dropped; the next line arrives whole.
        assert_eq!(
            feed(&mut r, b"xxxx\nok\n"),
            vec![Frame::Line(b"ok".to_vec())]
        );
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes() {
        let mut r = LineReader::new();
        let mut line = vec![b'y'; MAX_LINE];
        line.push(b'\n');
        assert_eq!(feed(&mut r, &line), vec![Frame::Line(vec![b'y'; MAX_LINE])]);
    }
}
