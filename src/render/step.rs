//! `--step`: the pause before each call, and the keys that answer it — Enter (the next call),
//! `c` (continue to the end without pausing), `q` (quit cleanly), `?` (the keys), Ctrl+C (stop
//! at once, the terminal restored).
//!
//! The answer is one key read from the terminal itself (`/dev/tty`: stdin may be the data being
//! sent), in non-canonical mode without echo or signals for the time of that one read, so that
//! a key needs no Enter and Ctrl+C arrives as a key we can answer with a line. The terminal's
//! settings are put back right after the read, whatever it returned.

use crate::i18n::{self, t, M};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices};
use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// `c` was pressed: no more pauses for the rest of the run.
static RUNNING_ON: AtomicBool = AtomicBool::new(false);

/// Whether this program stops cleanly on SIGTERM (the chat server and client close every
/// socket and say goodbye; `lab trace` passes it to the program or detaches). If not, `q` ends
/// the process at once, after the line that says so.
static STOPS_ON_SIGTERM: AtomicBool = AtomicBool::new(false);

/// Says that this program handles SIGTERM by stopping cleanly: `q` will send it.
pub fn stops_on_sigterm() {
    STOPS_ON_SIGTERM.store(true, Ordering::Relaxed);
}

/// What the person at the keyboard answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Make the call (Enter; and every pause after `c`).
    Go,
    /// Quit cleanly (`q`).
    Quit,
    /// Stop at once (Ctrl+C).
    Interrupt,
}

/// Control+C as a byte, when the terminal does not turn it into SIGINT.
const CTRL_C: u8 = 0x03;

/// Says what is about to happen (`actor` as the trace's `who` column names it) and waits for
/// a key on the terminal. No terminal: says so and goes on.
pub fn pause(actor: &str, call: &str) -> Answer {
    if RUNNING_ON.load(Ordering::Relaxed) {
        return Answer::Go;
    }
    let mut err = io::stderr();
    let Ok(mut tty) = File::open("/dev/tty") else {
        let _ = writeln!(
            err,
            "  ⏸  {}\n{}",
            i18n::f(M::StepNext, &[&actor, &call]),
            t(M::StepNoTerminal)
        );
        return Answer::Go;
    };
    loop {
        // The prompt shows once the terminal reads keys: a key pressed as soon as it appears
        // (Ctrl+C included) is read by us, not taken by the terminal's line discipline.
        let key = read_key(&mut tty, || {
            let _ = write!(err, "  ⏸  {}", i18n::f(M::StepNext, &[&actor, &call]));
            let _ = err.flush();
        });
        let (answer, said) = match key {
            Ok(Some(b'\n' | b'\r' | b' ')) => (Some(Answer::Go), None),
            Ok(Some(b'c' | b'C')) => {
                RUNNING_ON.store(true, Ordering::Relaxed);
                (Some(Answer::Go), Some(t(M::StepContinue)))
            }
            Ok(Some(b'q' | b'Q')) => (Some(Answer::Quit), Some(t(M::StepQuit))),
            Ok(Some(CTRL_C)) => (Some(Answer::Interrupt), Some(t(M::StepCtrlC))),
            Ok(Some(b'?' | b'h')) => (None, Some(t(M::StepKeys))),
            Ok(Some(_)) => (None, Some(t(M::StepUnknownKey))),
            // The terminal is gone (end of input) or cannot be read: go on, as without one.
            Ok(None) | Err(_) => (Some(Answer::Go), Some(t(M::StepNoTerminal))),
        };
        let _ = writeln!(err);
        if let Some(words) = said {
            let _ = writeln!(err, "     {words}");
        }
        if let Some(a) = answer {
            if a != Answer::Go {
                RUNNING_ON.store(true, Ordering::Relaxed);
            }
            return a;
        }
    }
}

/// The pause before a traced call of a program (`lab server`, `listen`, `connect`, `trace`):
/// `q` stops the program cleanly — a program that handles SIGTERM is sent it (the server says
/// goodbye and closes every socket; `lab trace` stops the program it started, or lets go of
/// one it attached to), any other ends here; Ctrl+C is what the terminal would have done.
pub fn pause_program(actor: &str, call: &str) {
    match pause(actor, call) {
        Answer::Go => {}
        Answer::Interrupt => interrupt(),
        Answer::Quit if STOPS_ON_SIGTERM.load(Ordering::Relaxed) => {
            to_self(nix::sys::signal::Signal::SIGTERM)
        }
        Answer::Quit => std::process::exit(0),
    }
}

/// Ctrl+C, read as a key: what the terminal would have done, now that it is restored — SIGINT
/// to lab (a program `lab trace` started is passed it by lab, once).
pub fn interrupt() {
    to_self(nix::sys::signal::Signal::SIGINT);
}

/// `signal` to this process (not to one thread: whichever thread waits for it gets it).
fn to_self(signal: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::getpid(), signal);
}

/// One key from the terminal, without waiting for Enter and without echo; `None` at end of
/// input. `ready` runs once the terminal is set so (it shows the prompt); the terminal's
/// settings are restored before returning.
fn read_key(tty: &mut File, ready: impl FnOnce()) -> io::Result<Option<u8>> {
    let saved = match termios::tcgetattr(&*tty) {
        Ok(saved) => saved,
        Err(e) => {
            ready();
            return Err(e.into());
        }
    };
    let mut raw = saved.clone();
    raw.local_flags
        .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG);
    raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
    raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
    let set = termios::tcsetattr(&*tty, SetArg::TCSANOW, &raw);
    ready();
    set?;
    let mut byte = [0u8; 1];
    // A signal that interrupts the read (the tracer's wake-up, see `ptrace::waker`) is no key.
    let read = loop {
        match tty.read(&mut byte) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    let restored = termios::tcsetattr(&*tty, SetArg::TCSANOW, &saved);
    let n = read?;
    restored?;
    Ok((n == 1).then_some(byte[0]))
}
