//! Helpers shared by the integration tests: running `lab` as its own process, talking to it
//! through pipes with bounded waits, reading its JSON events, and the one table of snapshot
//! redactions.
#![allow(dead_code)]

pub mod events;
pub mod peer;
pub mod run;
pub mod tcpdump;
pub mod tmux;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// How long any test waits for anything before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A port on 127.0.0.1 where nobody listens, held for as long as the returned socket lives.
/// The socket is bound and does not listen, so a connection to the port is refused (the kernel
/// answers its SYN with RST), and no other test's server can take the port meanwhile — as one
/// could between a bind-and-close and the test's `connect()`, tests running in parallel.
pub fn refusing_port() -> (socket2::Socket, u16) {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    s.bind(&any.into()).unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

/// The `lab` binary cargo built for this test run.
pub fn lab() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lab"));
    c.env_remove("NO_COLOR");
    // The snapshots are English: a developer's Spanish LANG must not change them.
    c.env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    c
}

/// A `lab` process with its stdin, stdout and stderr piped; output is read by threads into
/// channels so a test can wait for it with a deadline.
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    out: Receiver<Vec<u8>>,
    err: Receiver<Vec<u8>>,
    out_buf: Vec<u8>,
    err_buf: Vec<u8>,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn lab");
        let out = pump(child.stdout.take().expect("piped stdout"));
        let err = pump(child.stderr.take().expect("piped stderr"));
        let stdin = child.stdin.take();
        Proc {
            child,
            stdin,
            out,
            err,
            out_buf: Vec::new(),
            err_buf: Vec::new(),
        }
    }

    pub fn write(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(data).expect("write to lab's stdin");
        stdin.flush().expect("flush lab's stdin");
    }

    /// Closes stdin: for `lab listen`/`lab connect` this is Ctrl+D.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits until stdout holds `needle`; returns all stdout so far.
    pub fn wait_stdout(&mut self, needle: &str) -> String {
        wait_text(&self.out, &mut self.out_buf, needle, "stdout")
    }

    /// Whether stdout holds `needle` within `d` (for a client that must be nudged to read).
    pub fn stdout_within(&mut self, needle: &str, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        loop {
            if String::from_utf8_lossy(&self.out_buf).contains(needle) {
                return true;
            }
            match self
                .out
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(chunk) => self.out_buf.extend(chunk),
                Err(_) => return false,
            }
        }
    }

    /// Waits until stderr holds `needle`; returns all stderr so far.
    pub fn wait_stderr(&mut self, needle: &str) -> String {
        wait_text(&self.err, &mut self.err_buf, needle, "stderr")
    }

    /// Waits for the process to exit (bounded) and returns (status code, stdout, stderr).
    pub fn finish(mut self) -> (i32, String, String) {
        self.stdin = None;
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!(
                    "lab did not exit within {PATIENCE:?}; stderr: {}",
                    String::from_utf8_lossy(&self.err_buf)
                );
            }
            // Polling a child's exit status: a bounded wait for a condition.
            std::thread::sleep(Duration::from_millis(5));
        };
        for chunk in self.out.try_iter() {
            self.out_buf.extend(chunk);
        }
        // The pump threads end at EOF, which follows the exit.
        while let Ok(chunk) = self.out.recv_timeout(Duration::from_millis(200)) {
            self.out_buf.extend(chunk);
        }
        while let Ok(chunk) = self.err.recv_timeout(Duration::from_millis(200)) {
            self.err_buf.extend(chunk);
        }
        (
            status.code().unwrap_or(-1),
            String::from_utf8_lossy(&self.out_buf).into(),
            String::from_utf8_lossy(&self.err_buf).into(),
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pump(mut r: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_text(rx: &Receiver<Vec<u8>>, buf: &mut Vec<u8>, needle: &str, what: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = String::from_utf8_lossy(buf).into_owned();
        if text.contains(needle) {
            return text;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => buf.extend(chunk),
            Err(_) => panic!("{what} never showed {needle:?}; it has: {text:?}"),
        }
    }
}

/// Waits (bounded) until the file at `path` contains `needle`; returns its text.
pub fn wait_file(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never showed {needle:?}; it has:\n{text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A fresh temporary directory for one test, removed when the test is done with it (also
/// when it fails: the guard's drop runs while the panic unwinds).
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("lab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    TempDir(dir)
}

/// A temporary directory that is removed on drop.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The one table of redactions for every snapshot: what differs from run to run.
///
/// File descriptors and ports are not blotted out but *numbered by first appearance*: the first
/// fd the trace shows is `[FD1]` wherever it appears, the next new one `[FD2]`, and ports alike
/// (`[PORT1]`, …). A snapshot thus still shows which fd `accept()` returned and which one was
/// closed, and which end of a connection is which, while the numbers themselves (ports always,
/// fds in a test process with threads) may differ from run to run. `ports` are the ports the test
/// knows (a listener's), numbered like the rest wherever they appear; any other port on a
/// loopback address (or a host's of lab's link) is ephemeral and numbered too.
pub fn redact(text: &str, ports: &[u16]) -> String {
    let mut s = number_fds_and_ports(text, ports);
    let rules: &[(&str, &str)] = &[
        // Times: the human trace's time column, JSON's t_us, and any "NN ms".
        (r"(?m)^(\s*\d+)\s+\d+\.\d{3}  ", "$1   [TIME]  "),
        (r#""t_us":\d+"#, r#""t_us":"[TIME]""#),
        // Timers: TIME-WAIT's remaining seconds.
        (r"timewait,[0-9.]+m?sec", "timewait,[TIME]"),
        (r"timewait,\d+ms", "timewait,[TIME]"),
        // Inodes.
        (r#""inode":\d+"#, r#""inode":"[INODE]""#),
    ];
    for (re, with) in rules {
        s = regex::Regex::new(re)
            .unwrap()
            .replace_all(&s, *with)
            .into_owned();
    }
    s
}

/// Where the trace shows a fd (each pattern's capture groups are fds): as the first argument of
/// any call the trace knows (one list: Syscall's), as what `socket()`/`accept4()` return, in
/// poll lists, epoll_ctl and select sets, and in JSON.
fn fd_patterns() -> Vec<String> {
    let calls: Vec<&str> = lab::trace::syscall::TABLE
        .iter()
        .map(|(_, name, _)| *name)
        .collect();
    let mut p = vec![format!(r"\b(?:{})\((\d+)", calls.join("|"))];
    p.extend(
        [
            r"socket\(AF_\w+, [^)]*\)\s+= (\d+)",
            r"→ (\d+) from \S+\s+= (\d+)",
            r"→ (\d+) from",
            r"\{fd=(\d+)",
            r"data=\{u32=(\d+), u64=(\d+)\}",
            r"EPOLL_CTL_[A-Z]+, (\d+)",
            r#""fd":(\d+)"#,
            r#""args":"(\d+)[,"]"#,
            r#""call":"(?:socket|accept4)".*?"ret":(\d+)"#,
            r#""detail":"(\d+) from"#,
        ]
        .map(String::from),
    );
    p
}

/// Replaces every fd and port by its number of first appearance (see [`redact`]).
fn number_fds_and_ports(text: &str, ports: &[u16]) -> String {
    use regex::Regex;
    use std::collections::{BTreeMap, HashMap};
    // Every (start, end) of a number to replace, with what it is.
    let mut spans: BTreeMap<(usize, usize), &str> = BTreeMap::new();
    let mut collect = |pattern: &str, kind: &'static str| {
        for caps in Regex::new(pattern).unwrap().captures_iter(text) {
            for m in caps.iter().skip(1).flatten() {
                spans.insert((m.start(), m.end()), kind);
            }
        }
    };
    for p in fd_patterns() {
        collect(&p, "FD");
    }
    for p in ports {
        collect(&format!(r":({p})\b"), "PORT");
    }
    // Loopback, and the hosts of lab's link (10.0.0.N, fd00::N: lab's alone).
    collect(
        r"(?:127\.0\.0\.1|\[::1\]|\[::ffff:127\.0\.0\.1\]|::1|10\.0\.0\.\d+|\[fd00::\d+\]):([1-9]\d*)",
        "PORT",
    );
    let mut labels: HashMap<(&str, &str), String> = HashMap::new();
    let mut next: HashMap<&str, usize> = HashMap::new();
    let (mut out, mut at, mut shift) = (String::with_capacity(text.len()), 0, 0);
    for ((start, end), kind) in spans {
        if start < at {
            continue; // overlaps one already replaced
        }
        let value = &text[start..end];
        let label = labels.entry((kind, value)).or_insert_with(|| {
            let n = next.entry(kind).or_insert(0);
            *n += 1;
            format!("[{kind}{n}]")
        });
        shift = copy_realigned(&mut out, &text[at..start], shift);
        out.push_str(label);
        shift += label.len() - value.len();
        at = end;
    }
    copy_realigned(&mut out, &text[at..], shift);
    out
}

/// Copies `text` to `out`, taking `shift` columns (what the labels added beyond the numbers they
/// replaced) out of the next column gap (two spaces or more) on the line, down to the two spaces
/// that always separate columns. A column's padding then no longer depends on how many digits
/// the number had (fd 9 or 10): the same trace gives the same snapshot. Returns the shift left
/// (no gap yet on this line).
fn copy_realigned(out: &mut String, text: &str, shift: usize) -> usize {
    if shift == 0 {
        out.push_str(text);
        return 0;
    }
    let gap = text.find("  ").filter(|g| !text[..*g].contains('\n'));
    let Some(g) = gap else {
        out.push_str(text);
        return if text.contains('\n') { 0 } else { shift };
    };
    let spaces = text[g..].len() - text[g..].trim_start_matches(' ').len();
    out.push_str(&text[..g]);
    out.push_str(&" ".repeat(spaces.saturating_sub(shift).max(2)));
    out.push_str(&text[g + spaces..]);
    0
}

/// Asserts a snapshot stored under `snapshots/` at the top of the repository.
pub fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Whether a system tool a test needs is installed. If not, the test says so loudly (which tool,
/// how to install it) and is skipped — unless `LAB_REQUIRE_TOOLS` is set (`.ci/run` sets it),
/// where a missing tool fails the test.
pub fn have_tool(tool: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip(&format!(
            "this test needs `{tool}`: install it with `apt-get install {package}`"
        ));
    }
    found
}

/// Says loudly that a test is skipped, and why; with `LAB_REQUIRE_TOOLS` set, fails it instead.
pub fn skip(why: &str) {
    let msg = format!("SKIPPED: {why}");
    assert!(
        std::env::var_os("LAB_REQUIRE_TOOLS").is_none(),
        "{msg} (LAB_REQUIRE_TOOLS is set)"
    );
    // Straight to the process's stderr: `eprintln!` would be captured by the test harness and
    // shown only for a failing test, and a skip must not go unnoticed.
    let _ = std::io::stderr().write_all(format!("\n*** {msg} ***\n").as_bytes());
}

/// The state `ss -tan` shows for the connection from `local` to `peer`, in ss's spelling.
pub fn ss_state(local: std::net::SocketAddr, peer: std::net::SocketAddr) -> Option<String> {
    let out = Command::new("ss").arg("-tan").output().expect("run ss");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() >= 5 && f[3] == local.to_string() && f[4] == peer.to_string())
            .then(|| f[0].to_string())
    })
}

/// Every `.lesson` file under `dir`, sorted.
pub fn lesson_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(lesson_files(&p));
        } else if p.extension().is_some_and(|x| x == "lesson") {
            out.push(p);
        }
    }
    out.sort();
    out
}
