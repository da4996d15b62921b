//! The input line of `lab client`, kept whole while messages arrive.
//!
//! In the terminal's usual (canonical) mode the kernel holds what you type until Enter, and a
//! message printed meanwhile lands in the middle of it. So on a terminal the client switches
//! it to non-canonical mode without echo (`tcsetattr`, restored on drop) and keeps the line
//! itself: each message is printed above the input line, and the line is drawn again below it.
//!
//! Written here rather than taken from a line-editing crate (rustyline, reedline): those own
//! the read loop and block in it, and the client's one thread must wait on the keyboard and the
//! socket at once (`poll(2)`). What it edits is small: characters, Backspace, Ctrl+U, Ctrl+W,
//! Enter, Ctrl+D; other keys (arrows) are ignored.

use nix::sys::termios::{self, LocalFlags, SetArg, Termios};
use std::io::{self, Write};
use std::os::fd::AsFd;

/// What the keyboard produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// Enter: a whole line, without its newline.
    Line(String),
    /// Ctrl+D on an empty line.
    End,
}

const BACKSPACE: [u8; 2] = [0x7f, 0x08];
const CTRL_D: u8 = 0x04;
const CTRL_U: u8 = 0x15;
const CTRL_W: u8 = 0x17;
const ESC: u8 = 0x1b;

/// The line being typed, and the terminal's settings to give back.
pub struct LineEditor {
    line: String,
    /// Bytes of a UTF-8 character not complete yet.
    partial: Vec<u8>,
    /// In an escape sequence (an arrow key): skip until its final byte.
    escape: bool,
    /// It edits: the terminal echoes nothing, the editor draws the line.
    active: bool,
    saved: Option<Termios>,
}

impl LineEditor {
    /// On a terminal: non-canonical, no echo (Ctrl+C still sends SIGINT). Elsewhere (a pipe,
    /// a file) nothing changes and input is taken as it comes.
    pub fn on_terminal() -> LineEditor {
        let stdin = io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd()).ok();
        if let Some(old) = &saved {
            let mut raw = old.clone();
            raw.local_flags
                .remove(LocalFlags::ICANON | LocalFlags::ECHO);
            let _ = termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw);
        }
        LineEditor {
            line: String::new(),
            partial: Vec::new(),
            escape: false,
            active: saved.is_some(),
            saved,
        }
    }

    /// Whether it edits (stdin is a terminal).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Takes what the keyboard sent; echoes it to `out`; returns the lines finished.
    pub fn feed(&mut self, bytes: &[u8], out: &mut impl Write) -> io::Result<Vec<Input>> {
        let mut done = Vec::new();
        for &b in bytes {
            if self.escape {
                // CSI sequences end with a byte in 0x40..=0x7e ('A' for ↑); '[' starts them.
                self.escape = b == b'[' || !(0x40..=0x7e).contains(&b);
                continue;
            }
            match b {
                b'\r' | b'\n' => {
                    out.write_all(b"\r\n")?;
                    done.push(Input::Line(std::mem::take(&mut self.line)));
                }
                CTRL_D if self.line.is_empty() => done.push(Input::End),
                CTRL_U => {
                    self.line.clear();
                    self.redraw(out)?;
                }
                CTRL_W => {
                    let kept = self.line.trim_end().rfind(' ').map_or(0, |i| i + 1);
                    self.line.truncate(kept);
                    self.redraw(out)?;
                }
                b if BACKSPACE.contains(&b) => {
                    self.line.pop();
                    self.redraw(out)?;
                }
                ESC => self.escape = true,
                b if b < 0x20 => {}
                b => self.push_byte(b, out)?,
            }
        }
        out.flush()?;
        Ok(done)
    }

    fn push_byte(&mut self, b: u8, out: &mut impl Write) -> io::Result<()> {
        self.partial.push(b);
        match std::str::from_utf8(&self.partial) {
            Ok(s) => {
                out.write_all(s.as_bytes())?;
                self.line.push_str(s);
                self.partial.clear();
            }
            // Not complete yet (at most 4 bytes), or not UTF-8 at all: dropped.
            Err(e) if e.error_len().is_some() || self.partial.len() >= 4 => self.partial.clear(),
            Err(_) => {}
        }
        Ok(())
    }

    /// Clears the input line and draws it again.
    fn redraw(&self, out: &mut impl Write) -> io::Result<()> {
        write!(out, "\r\x1b[K{}", self.line)
    }

    /// Prints `text` (already colored) above the input line, which stays as it was.
    pub fn print_above(&self, text: &str, out: &mut impl Write) -> io::Result<()> {
        if self.is_active() {
            write!(out, "\r\x1b[K{text}\r\n{}", self.line)?;
        } else {
            writeln!(out, "{text}")?;
        }
        out.flush()
    }
}

impl LineEditor {
    /// The session is over: the input line is cleared, so that the shell's prompt starts on a
    /// clean line; what was typed and not sent is said as such.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.active {
            return Ok(());
        }
        out.write_all(b"\r\x1b[K")?;
        if !self.line.is_empty() {
            writeln!(
                out,
                "{}\r",
                crate::i18n::f(
                    crate::i18n::M::ClientNotSent,
                    &[&std::mem::take(&mut self.line)]
                )
            )?;
        }
        out.flush()
    }
}

impl Drop for LineEditor {
    /// The terminal as it was.
    fn drop(&mut self) {
        if let Some(old) = &self.saved {
            let _ = termios::tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An editor that leaves the terminal alone, drawing as if it edited (`active`) or not.
    fn detached(active: bool) -> LineEditor {
        LineEditor {
            line: String::new(),
            partial: Vec::new(),
            escape: false,
            active,
            saved: None,
        }
    }

    #[test]
    fn a_half_typed_line_is_cleared_and_said_unsent_at_the_end() {
        let mut ed = detached(true);
        let mut out = Vec::new();
        ed.feed(b"hola a tod", &mut out).unwrap();
        let mut end = Vec::new();
        ed.finish(&mut end).unwrap();
        assert_eq!(
            String::from_utf8(end).unwrap(),
            "\r\x1b[K(not sent: hola a tod)\r\n"
        );
        let mut empty = detached(true);
        let mut end = Vec::new();
        empty.finish(&mut end).unwrap();
        assert_eq!(end, b"\r\x1b[K", "an empty input line: only cleared");
    }

    #[test]
    fn keys_edit_the_line_and_enter_sends_it() {
        let mut ed = detached(true);
        let mut echo = Vec::new();
        let got = ed
            .feed(
                "hola mundo\x7f\x7f\x7f\x7f\x7famigo\x1b[A\r".as_bytes(),
                &mut echo,
            )
            .unwrap();
        assert_eq!(
            got,
            [Input::Line("hola amigo".into())],
            "backspace edits, an arrow key is ignored"
        );
        let got = ed
            .feed("uno dos\x17tres\rx\x04\x15y\n".as_bytes(), &mut echo)
            .unwrap();
        assert_eq!(
            got,
            [Input::Line("uno tres".into()), Input::Line("y".into())],
            "Ctrl+W, Ctrl+U; Ctrl+D only on an empty line"
        );
        assert_eq!(ed.feed(b"\x04", &mut echo).unwrap(), [Input::End]);
    }

    #[test]
    fn utf8_split_across_reads_is_one_character_and_garbage_is_dropped() {
        let mut ed = detached(true);
        let mut echo = Vec::new();
        let e = "é".as_bytes();
        assert!(ed.feed(&e[..1], &mut echo).unwrap().is_empty());
        let got = ed.feed(&[e[1], 0xff, b'!', b'\r'], &mut echo).unwrap();
        assert_eq!(got, [Input::Line("é!".into())]);
    }

    #[test]
    fn a_message_is_printed_above_what_is_being_typed() {
        for (active, want) in [
            (true, "\r\x1b[Kana: hola\r\nhalf a li"),
            (false, "ana: hola\n"),
        ] {
            let mut ed = detached(active);
            ed.feed(b"half a li", &mut Vec::new()).unwrap();
            let mut out = Vec::new();
            ed.print_above("ana: hola", &mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "active: {active}");
        }
    }
}
