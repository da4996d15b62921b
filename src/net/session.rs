//! A network kept up (`lab net up`) and the commands that reach it from other terminals:
//! `lab net exec HOST -- CMD`, `lab net link 'RULES'`, `lab sockets --host HOST`.
//!
//! The running lab writes where it is — its pid and, for each host, the number of the fd that
//! holds the host's network namespace — to a small file only its user can read. Another lab
//! joins a host as `nsenter` would: it enters lab's user namespace (`/proc/PID/ns/user`), then
//! the host's network namespace (`/proc/PID/fd/N`), and runs the command there. Rule changes
//! go over a Unix socket beside that file, a line each way.

use nix::sched::{setns, CloneFlags};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

/// The longest rule line the control socket reads: a spec is a few words.
const MAX_LINE: u64 = 4096;

/// Where a running network says where it is: `$XDG_RUNTIME_DIR/lab`, else `/tmp/lab-UID`.
pub fn dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("lab"),
        _ => PathBuf::from(format!("/tmp/lab-{}", nix::unistd::getuid())),
    }
}

/// A running network, as its file tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub pid: i32,
    /// When that process started (clock ticks since boot, `/proc/PID/stat`'s 22nd field): a
    /// lab killed with SIGKILL leaves its file behind, and its pid may since be another
    /// process's.
    pub started: u64,
    /// Whether lab made a user namespace (it did not as real root).
    pub userns: bool,
    /// Each host: its name, its IPv4 address, the fd lab holds its namespace with.
    pub hosts: Vec<(String, Ipv4Addr, i32)>,
}

impl Running {
    /// Writes the file (and makes its folder, for this user alone).
    pub fn publish(&self) -> io::Result<()> {
        let dir = dir();
        std::fs::create_dir_all(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let mut text = format!(
            "pid {}\nstarted {}\nuserns {}\n",
            self.pid,
            self.started,
            u8::from(self.userns)
        );
        for (name, v4, fd) in &self.hosts {
            text.push_str(&format!("host {name} {v4} {fd}\n"));
        }
        std::fs::write(dir.join("net"), text)
    }

    /// The network that is up, if one is: its lab still running — the same process that wrote
    /// the file, not another that has its pid since (a file left by a lab killed with SIGKILL
    /// is stale, and stands in nobody's way).
    pub fn find() -> Result<Running, String> {
        let text = std::fs::read_to_string(dir().join("net")).map_err(|_| no_network())?;
        let running = Running::parse(&text).ok_or_else(no_network)?;
        let alive = start_time(running.pid).is_some_and(|t| t == running.started);
        alive.then_some(running).ok_or_else(no_network)
    }

    fn parse(text: &str) -> Option<Running> {
        let mut r = Running {
            pid: 0,
            started: 0,
            userns: false,
            hosts: Vec::new(),
        };
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["pid", pid] => r.pid = pid.parse().ok()?,
                ["started", t] => r.started = t.parse().ok()?,
                ["userns", u] => r.userns = *u == "1",
                ["host", name, v4, fd] => {
                    r.hosts
                        .push((name.to_string(), v4.parse().ok()?, fd.parse().ok()?))
                }
                _ => return None,
            }
        }
        (r.pid > 0).then_some(r)
    }

    /// Moves this process into host `name`'s network (and lab's user namespace first). Must
    /// be called before any thread exists: the kernel lets only a single-threaded process
    /// enter a user namespace. Corresponds to `setns(/proc/PID/ns/user, CLONE_NEWUSER)`, then
    /// `setns(/proc/PID/fd/N, CLONE_NEWNET)`.
    pub fn join(&self, name: &str) -> Result<(), String> {
        let Some((_, _, fd)) = self.hosts.iter().find(|(n, _, _)| n == name) else {
            let names: Vec<&str> = self.hosts.iter().map(|(n, _, _)| n.as_str()).collect();
            return Err(format!(
                "no host {name} (the network has {})",
                names.join(", ")
            ));
        };
        let open = |path: String| File::open(&path).map_err(|e| format!("{path}: {e}"));
        let net = open(format!("/proc/{}/fd/{fd}", self.pid))?;
        if self.userns && !nix::unistd::getuid().is_root() {
            let user = open(format!("/proc/{}/ns/user", self.pid))?;
            setns(&user, CloneFlags::CLONE_NEWUSER)
                .map_err(|e| format!("entering lab's user namespace: {e}"))?;
        }
        setns(&net, CloneFlags::CLONE_NEWNET).map_err(|e| format!("entering host {name}: {e}"))
    }
}

/// When process `pid` started, in clock ticks since boot (`/proc/PID/stat`'s 22nd field);
/// `None` if there is no such process.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name, in parentheses, may hold spaces: count the fields after its last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

fn no_network() -> String {
    "no network is up: start one with `lab net up` in another terminal".into()
}

/// The Unix socket a running network takes rule changes on.
pub fn control_path() -> PathBuf {
    dir().join("control")
}

/// Listens for rule changes; `apply` answers each line with `Ok(words)` or `Err(words)`.
/// Returns when the listener fails (it is closed when lab ends).
pub fn serve_control(
    listener: UnixListener,
    mut apply: impl FnMut(&str) -> Result<String, String>,
) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { return };
        let mut line = String::new();
        let mut reader = BufReader::new((&conn).take(MAX_LINE));
        if reader.read_line(&mut line).is_err() {
            continue;
        }
        let answer = match apply(line.trim()) {
            Ok(words) => format!("ok {words}\n"),
            Err(words) => format!("error {words}\n"),
        };
        let _ = (&conn).write_all(answer.as_bytes());
    }
}

/// `lab net link 'RULES'`: sends the rules to the running network; its answer.
pub fn send_rules(rules: &str) -> Result<String, String> {
    Running::find()?;
    let mut conn = UnixStream::connect(control_path())
        .map_err(|e| format!("{}: {e}", control_path().display()))?;
    conn.write_all(format!("{}\n", rules.replace('\n', " ")).as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    BufReader::new(conn.take(MAX_LINE))
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    match answer.trim().split_once(' ') {
        Some(("ok", words)) => Ok(words.to_string()),
        Some(("error", words)) => Err(words.to_string()),
        _ => Err(format!("the network answered {answer:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_back() {
        let r = Running {
            pid: 42,
            started: 7,
            userns: true,
            hosts: vec![("a".into(), Ipv4Addr::new(10, 0, 0, 1), 7)],
        };
        let text = "pid 42\nstarted 7\nuserns 1\nhost a 10.0.0.1 7\n";
        assert_eq!(Running::parse(text), Some(r));
        assert_eq!(Running::parse("pid x\n"), None);
        assert_eq!(Running::parse("rm -rf /\n"), None);
    }

    #[test]
    fn a_process_start_time_is_its_own() {
        let me = std::process::id() as i32;
        let t = start_time(me).expect("this process has one");
        assert!(t > 0);
        assert_eq!(start_time(me), Some(t), "the same on a second look");
        assert_eq!(start_time(i32::MAX), None, "no such process");
    }
}
