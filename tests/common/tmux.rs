//! A real terminal for the tests that need one (`--step`'s keys, a resized window): a tmux
//! server of the test's own, a window of a given size running one command, keys sent to it and
//! the screen read back, every wait bounded.

use super::PATIENCE;
use std::process::Command;
use std::time::{Duration, Instant};

/// The shell's prompt: once on the screen at start, once more whenever a command is over.
pub const PROMPT: &str = "lab-test> ";
const PROMPT_VAR: &str = "PS1=lab-test> ";

/// One tmux server (its own socket) with one window; killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `command` typed into an interactive shell in a `width`×`height` terminal; `None` (the
    /// test skips loudly) if tmux or bash is not installed.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Option<Tmux> {
        if !super::have_tool("tmux", "tmux") || !super::have_tool("bash", "bash") {
            return None;
        }
        let t = Tmux {
            socket: format!("lab-test-{name}-{}", std::process::id()),
        };
        let (w, h) = (width.to_string(), height.to_string());
        // The command's shell exits with it; `remain-on-exit` keeps its last screen to read.
        // An interactive shell, as a person's: the command runs as a job of its own (its own
        // process group, in the foreground), and the shell outlives a Ctrl+C to report after it.
        let shell = ["env", PROMPT_VAR, "bash", "--norc", "--noprofile", "-i"];
        let mut args = vec!["new-session", "-d", "-s", "t", "-x", &w, "-y", &h];
        args.extend_from_slice(&shell);
        assert!(t.tmux(&args).is_some(), "tmux could not start a session");
        // Typed before the shell is ready, the command would be echoed ahead of its prompt.
        t.wait_for(PROMPT);
        t.keys(&["-l", command]);
        t.keys(&["Enter"]);
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Sends keys as tmux names them (`Enter`, `C-c`, `q`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).is_some(), "tmux send-keys {keys:?}");
    }

    /// The screen and its scrollback, as text.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-2000", "-t", "t"])
            .unwrap_or_default()
    }

    /// The screen as it is, lines as wide as the window (no joining of wrapped lines).
    pub fn rows(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-2000", "-t", "t"])
            .unwrap_or_default()
    }

    /// Waits (bounded) until the screen holds `text` `count` times; returns the screen.
    pub fn wait_for_n(&self, text: &str, count: usize) -> String {
        let end = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= count {
                return screen;
            }
            assert!(
                Instant::now() < end,
                "no {count}× '{text}' on the screen within {PATIENCE:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) until the screen holds `text`; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_n(text, 1)
    }

    /// Resizes the window.
    pub fn resize(&self, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        assert!(
            self.tmux(&["resize-window", "-t", "t", "-x", &w, "-y", &h])
                .is_some(),
            "tmux resize-window"
        );
        // Bounded wait until the pane's terminal itself has the new size (tmux sets it a little
        // after it answers): what a program in it measures.
        let tty = self
            .tmux(&["display-message", "-p", "-t", "t", "#{pane_tty}"])
            .expect("the pane's tty");
        let size = || {
            let out = Command::new("stty")
                .args(["-F", tty.trim(), "size"])
                .output()
                .ok()?;
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .nth(1)
                .map(str::to_string)
        };
        let end = Instant::now() + PATIENCE;
        while size().as_deref() != Some(w.as_str()) {
            assert!(
                Instant::now() < end,
                "the pane's terminal did not become {w} columns wide"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
