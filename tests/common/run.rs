//! Running what a test runs: lab's commands as a student types them, and the test programs of
//! `tests/programs`.

use super::{have_tool, lab, skip, Proc};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `lab` with SIGINT at its default: a test run started in the background by a shell (as CI
/// may be) inherits SIGINT ignored, and so would the traced program — the signal lab passes on
/// would then be ignored, as it would be for that program in that shell.
pub fn lab_with_sigint() -> std::process::Command {
    let like_lab = lab();
    let mut env = std::process::Command::new("env");
    for (key, value) in like_lab.get_envs() {
        match value {
            Some(v) => env.env(key, v),
            None => env.env_remove(key),
        };
    }
    env.arg("--default-signal=INT").arg(like_lab.get_program());
    env
}

/// A program of `tests/programs` (a Python script, a C source), by its full path.
pub fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(name)
}

/// `tests/programs/NAME.c`, compiled into `dir` with `cc`; `None` (skipped loudly) without cc.
pub fn compiled(dir: &Path, name: &str) -> Option<PathBuf> {
    if !have_tool("cc", "gcc") {
        return None;
    }
    let src = program(&format!("{name}.c"));
    let exe = dir.join(name);
    let ok = Command::new("cc")
        .args(["-pthread", "-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cc failed on {}", src.display());
    Some(exe)
}

/// Runs `cmd` to its end and fails the test, showing its stderr, unless it succeeded.
pub fn succeeds(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts `cmd`, a `lab server …` (on port 0, say), and waits until it listens: it, and its
/// address.
pub fn lab_server(cmd: Command) -> (Proc, SocketAddr) {
    let mut p = Proc::spawn(cmd);
    let err = p.wait_stderr("Ctrl+C to stop");
    let addr = listening_on(&err).parse().unwrap();
    (p, addr)
}

/// The address `lab server` says it listens on, in `text` (its stderr, a screen).
pub fn listening_on(text: &str) -> &str {
    text.split("listening on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no 'listening on ADDR' in {text}"))
}

/// `lab lesson check FILE --color never`: one lesson file, checked as a student would.
pub fn check_lesson(path: &Path) -> Output {
    check_lesson_cmd(path).output().unwrap()
}

/// The command [`check_lesson`] runs, to start it another way (its output piped, say).
pub fn check_lesson_cmd(path: &Path) -> std::process::Command {
    let mut c = lab();
    c.args([
        "lesson",
        "check",
        path.to_str().unwrap(),
        "--color",
        "never",
    ]);
    c
}

/// Runs `cmd`, a `lab net …`: its output, or `None` (said loudly) where this machine refuses
/// the namespaces lab needs for its hosts.
pub fn lab_net(cmd: &mut Command) -> Option<Output> {
    let out = cmd.output().expect("run lab net");
    (!net_refused(&String::from_utf8_lossy(&out.stderr))).then_some(out)
}

/// Whether `lab net` said (on its stderr) that it could not make its hosts here; the test is
/// then skipped, loudly.
pub fn net_refused(stderr: &str) -> bool {
    let refused = stderr.contains("cannot make its hosts");
    if refused {
        skip(&format!(
            "lab net cannot make namespaces here: {}",
            stderr.trim()
        ));
    }
    refused
}
