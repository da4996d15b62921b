//! Every call lab makes on a traced socket is in the trace, and every call in the trace
//! happened: each lesson is run under `strace`, and the socket calls strace saw are compared,
//! one by one, with the calls the trace printed.
//!
//! Left out on purpose, because the trace is how lab *looks*, not what the lesson does: the
//! `getsockopt(TCP_INFO)`, `getsockname`/`getpeername` and netlink reads of every check, and
//! `fcntl(F_GETFL)`, which socket2 makes before the `fcntl(F_SETFL)` that the trace shows.

mod common;

use common::have_tool;
use std::collections::HashSet;
use std::path::Path;

/// The log with each call on one line: when threads interleave, `strace -f` splits a call into
/// `PID name(args <unfinished ...>` and, later, `PID <... name resumed>rest) = ret`. The first
/// part keeps its place (the call's entry), completed by the second.
fn rejoined(log: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut open: std::collections::HashMap<&str, usize> = Default::default();
    for line in log.lines() {
        let pid = line.split_whitespace().next().unwrap_or("");
        if let Some(head) = line.strip_suffix(" <unfinished ...>") {
            open.insert(pid, lines.len());
            lines.push(head.to_string());
        } else if let Some((_, rest)) = line.split_once(" resumed>") {
            match open.remove(pid) {
                Some(at) => lines[at].push_str(rest),
                None => lines.push(line.to_string()),
            }
        } else {
            lines.push(line.to_string());
        }
    }
    lines.join("\n")
}

/// (call as strace names it, fd) for each socket call of an strace log, in order.
fn strace_calls(log: &str) -> Vec<(String, i64)> {
    let mut sockets: HashSet<i64> = HashSet::new();
    let mut epolls: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();
    // The lesson's calls are the main thread's (the first to appear); a lesson on hosts has
    // other threads make the hosts, whose set-up sockets (addresses by ioctl) are lab's own.
    let mut main: Option<&str> = None;
    let log = rejoined(log);
    for line in log.lines() {
        // `PID name(args) = ret ...`
        let Some((pid, call)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        if *main.get_or_insert(pid) != pid {
            continue;
        }
        let call = call.trim_start();
        let Some((name, rest)) = call.split_once('(') else {
            continue;
        };
        // strace pads short calls: `epoll_create1(EPOLL_CLOEXEC)      = 12`.
        let ret: Option<i64> = call
            .rsplit_once(" = ")
            .and_then(|(_, r)| r.split_whitespace().next()?.parse().ok());
        let first = rest.split([',', ')']).next().unwrap_or("");
        let fd = if name == "poll" {
            rest.strip_prefix("[{fd=")
                .and_then(|r| r.split(',').next())
                .and_then(|f| f.parse().ok())
        } else {
            first.parse::<i64>().ok()
        };
        match name {
            "socket" if first == "AF_INET" || first == "AF_INET6" => {
                sockets.extend(ret.filter(|r| *r >= 0));
                out.extend(ret.filter(|r| *r >= 0).map(|r| ("socket".to_string(), r)));
            }
            "accept4" => {
                if let Some(new) = ret.filter(|r| *r >= 0) {
                    sockets.insert(new);
                }
                out.extend(
                    fd.filter(|f| sockets.contains(f))
                        .map(|f| (name.to_string(), f)),
                );
            }
            "epoll_create1" => epolls.extend(ret),
            // epoll_ctl(epfd, op, fd, …): the socket is its third argument.
            "epoll_ctl" => {
                let sock = rest.split(", ").nth(2).and_then(|f| f.parse::<i64>().ok());
                out.extend(
                    sock.filter(|f| sockets.contains(f))
                        .map(|f| (name.to_string(), f)),
                );
            }
            "epoll_wait" => out.extend(
                fd.filter(|f| epolls.contains(f))
                    .map(|f| (name.to_string(), f)),
            ),
            "getsockopt" if rest.contains("TCP_INFO") => {}
            "fcntl" if !rest.contains("F_SETFL") => {}
            _ => {
                let Some(f) = fd.filter(|f| sockets.contains(f)) else {
                    continue;
                };
                out.push((name.to_string(), f));
                if name == "close" {
                    sockets.remove(&f);
                }
            }
        }
    }
    out
}

/// (call as strace names it, fd) for each call event of a JSON Lines trace, in order.
fn traced_calls(jsonl: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for line in jsonl.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        if e["kind"] != "call" || e["call"] == "getaddrinfo" {
            continue;
        }
        // glibc's send() and recv() are the sendto and recvfrom system calls.
        let name = match e["call"].as_str().unwrap() {
            "send" => "sendto",
            "recv" => "recvfrom",
            other => other,
        };
        let fd = match name {
            "poll" => e["args"]
                .as_str()
                .unwrap()
                .strip_prefix("[{fd=")
                .and_then(|r| r.split(',').next())
                .unwrap()
                .parse()
                .unwrap(),
            "socket" => e["ret"].as_i64().unwrap(),
            // `epfd, op, fd, events`: the socket; `epfd, maxevents, timeout`: the epoll fd.
            "epoll_ctl" => e["args"]
                .as_str()
                .unwrap()
                .split(", ")
                .nth(2)
                .unwrap()
                .parse()
                .unwrap(),
            "epoll_wait" => e["args"]
                .as_str()
                .unwrap()
                .split(", ")
                .next()
                .unwrap()
                .parse()
                .unwrap(),
            _ => e["fd"].as_i64().unwrap(),
        };
        out.push((name.to_string(), fd));
    }
    out
}

#[test]
fn every_lessons_socket_calls_are_the_ones_strace_sees() {
    if !have_tool("strace", "strace") {
        return;
    }
    let dir = common::temp_dir("strace");
    let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut checked = 0;
    for path in common::lesson_files(&lessons) {
        // getaddrinfo opens sockets of its own (to sort addresses): not the lesson's calls.
        if std::fs::read_to_string(&path)
            .unwrap()
            .contains(" resolve ")
        {
            continue;
        }
        let log = dir.join("strace.log");
        let calls =
            "socket,bind,listen,accept4,connect,sendto,recvfrom,shutdown,close,poll,setsockopt,getsockopt,fcntl,\
             epoll_create1,epoll_ctl,epoll_wait";
        let out = std::process::Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-e",
                &format!("trace={calls}"),
                "-o",
                log.to_str().unwrap(),
            ])
            .arg(env!("CARGO_BIN_EXE_lab"))
            .args([
                "lesson",
                "run",
                path.to_str().unwrap(),
                "--json",
                "--color",
                "never",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let seen = strace_calls(&std::fs::read_to_string(&log).unwrap());
        let traced = traced_calls(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(
            traced,
            seen,
            "{}: the trace (left) and strace (right) differ",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} lessons checked");
}

#[test]
fn a_call_strace_split_between_threads_is_read_as_one() {
    let log = "10 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 12\n\
               10 accept4(12, NULL, NULL, SOCK_CLOEXEC <unfinished ...>\n\
               11 socket(AF_NETLINK, SOCK_RAW, 0) = 20\n\
               10 <... accept4 resumed>) = 14\n\
               10 recvfrom(14, \"x\", 1, 0, NULL, NULL) = 1\n";
    assert_eq!(
        strace_calls(log),
        [("socket", 12), ("accept4", 12), ("recvfrom", 14)].map(|(c, f)| (c.to_string(), f))
    );
}
