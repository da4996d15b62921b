//! `lab trace` on programs written the way the seeds write them — a C thread-per-client chat, a
//! Python select chat, a Python client that sends without framing — each run once under lab
//! and once under `strace -f` with the same scenario: the same calls, on the same fds, with the
//! same results, in the same order per thread; and the states lab shows confirmed by `ss` while
//! the program waits.
//!
//! Needs `cc` (apt-get install gcc), `python3` (apt-get install python3), `strace` (apt-get
//! install strace) and `ss` (apt-get install iproute2); each test is skipped loudly without them.

mod common;

use common::events::{events, wait_event};
use common::run::{compiled, program};
use common::{have_tool, lab, temp_dir, wait_file, PATIENCE};
use lab::kernel::check::wait_until;
use lab::kernel::table::{Filter, KernelTable};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The calls strace is told to show: every call `lab trace` decodes.
const CALLS: &str = "socket,bind,listen,accept,accept4,connect,getsockopt,setsockopt,getsockname,getpeername,\
sendto,sendmsg,write,recvfrom,recvmsg,read,shutdown,close,poll,ppoll,select,pselect6,epoll_ctl,epoll_wait,\
epoll_pwait,dup,dup2,dup3,fcntl";

/// One call as both tools report it: its name, the fd it was made on, its result (`None`: `?`,
/// interrupted).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    call: String,
    fd: Option<i64>,
    ret: Option<i64>,
}

/// The calls of each thread, threads in the order they first made a shown call.
type PerThread = Vec<Vec<Seen>>;

fn by_thread(calls: Vec<(String, Seen)>) -> PerThread {
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashMap<String, Vec<Seen>> = HashMap::new();
    for (tid, call) in calls {
        if !order.contains(&tid) {
            order.push(tid.clone());
        }
        seen.entry(tid).or_default().push(call);
    }
    order
        .iter()
        .map(|t| seen.remove(t).unwrap_or_default())
        .collect()
}

/// `socket()`'s fd is its result; readiness calls name none.
fn fd_shown(call: &str, fd: Option<i64>) -> Option<i64> {
    match call {
        "socket" | "poll" | "ppoll" | "select" | "pselect6" | "epoll_wait" | "epoll_pwait" => None,
        _ => fd,
    }
}

/// lab's JSON Lines: every call event (not the "blocked" announcements), by thread.
fn lab_calls(jsonl: &str) -> PerThread {
    let mut calls = Vec::new();
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if v["kind"] != "call"
            || v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("blocked, waiting"))
        {
            continue;
        }
        let actor = v["actor"].as_str().unwrap_or_default();
        let tid = actor.split_whitespace().next().unwrap_or_default();
        let tid = tid.rsplit('/').next().unwrap_or(tid).to_string();
        let call = v["call"].as_str().unwrap_or_default().to_string();
        let fd = fd_shown(&call, v["fd"].as_i64());
        calls.push((
            tid,
            Seen {
                call,
                fd,
                ret: v["ret"].as_i64(),
            },
        ));
    }
    by_thread(calls)
}

/// `strace -f -yy` output: the calls on TCP and UDP sockets (strace decorates such an fd as
/// `4<TCP:[…]>`), `socket()`s of TCP and UDP, and readiness calls that wait on one; an
/// `<unfinished ...>` line is joined with its `<... resumed>`.
fn strace_calls(text: &str) -> PerThread {
    let mut calls = Vec::new();
    let mut unfinished: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        let Some((tid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let whole = if let Some(resumed) = rest.strip_prefix("<... ") {
            let Some(start) = unfinished.remove(tid) else {
                continue;
            };
            let after = resumed.split_once("resumed>").map_or("", |(_, r)| r);
            format!("{start}{after}")
        } else if let Some(start) = rest.strip_suffix("<unfinished ...>") {
            unfinished.insert(tid.to_string(), start.to_string());
            continue;
        } else {
            rest.to_string()
        };
        if let Some(seen) = strace_line(&whole) {
            calls.push((tid.to_string(), seen));
        }
    }
    by_thread(calls)
}

fn strace_line(line: &str) -> Option<Seen> {
    let (call, args) = line.split_once('(')?;
    if call.starts_with('+') || call.starts_with('-') {
        return None;
    }
    let (args, result) = args.rsplit_once(" = ")?;
    let inet = |s: &str| s.contains("<TCP") || s.contains("<UDP");
    let first: String = args.chars().take_while(|c| c.is_ascii_digit()).collect();
    let shown = match call {
        "socket" => {
            args.contains("AF_INET")
                && (args.contains("SOCK_STREAM") || args.contains("SOCK_DGRAM"))
        }
        "poll" | "ppoll" | "select" | "pselect6" | "epoll_wait" | "epoll_pwait" => inet(args),
        _ => inet(&args[first.len()..args.len().min(first.len() + 4)]),
    };
    if !shown {
        return None;
    }
    let ret_text: String = result
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '?')
        .collect();
    let ret = if ret_text == "?" {
        None
    } else {
        ret_text.parse().ok()
    };
    Some(Seen {
        call: call.to_string(),
        fd: fd_shown(call, first.parse().ok()),
        ret,
    })
}

/// The port process `pid`, a server started untraced on port 0, listens on: the listener in
/// the kernel's table whose inode one of its fds holds (as `ss -ltp` finds it). See
/// [`lab_listening_port`] for why no test picks a port itself.
fn listening_port_of(pid: u32) -> u16 {
    let table = KernelTable::open().expect("the kernel's table");
    let listening = Filter {
        listening: true,
        ..Filter::default()
    };
    let deadline = Instant::now() + PATIENCE;
    loop {
        let inodes: Vec<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .filter_map(|l| {
                l.to_str()?
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .parse()
                    .ok()
            })
            .collect();
        let rows = table.rows(&listening).unwrap_or_default();
        if let Some(row) = rows.iter().find(|r| inodes.contains(&r.inode)) {
            return row.local.port();
        }
        assert!(Instant::now() < deadline, "process {pid} never listened");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The port a traced server listens on, from lab's trace at `trace`: its `listen()`. Told to
/// listen on port 0, the server gets a free port from the kernel as it binds. A port the test
/// picked and freed beforehand (bound to port 0, closed again) may be taken by then — by
/// another test's server (they run in parallel), or by another program on the machine — and
/// the test's clients would talk to that one: a chat that stops with them in its accept queue
/// resets them ("Connection reset by peer" before the welcome).
fn lab_listening_port(trace: &Path) -> u16 {
    let listened = |e: &Value| e["call"] == "listen" && e["ret"] == 0;
    let evs = wait_event(trace, listened);
    let listen = evs.iter().find(|e| listened(e)).unwrap();
    let local = listen["local"].as_str().unwrap_or_default();
    let addr: std::net::SocketAddr = local
        .parse()
        .unwrap_or_else(|e| panic!("listen()'s local address {local:?}: {e}"));
    addr.port()
}

/// The same from `strace -yy`'s output at `out`: `listen(3<TCP:[127.0.0.1:40000]>, 10) = 0`.
fn strace_listening_port(out: &Path) -> u16 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        let port = text
            .lines()
            .filter(|l| l.contains(" listen(") && l.ends_with(" = 0"))
            .find_map(|l| {
                let addr = l.split_once("<TCP:[")?.1.split_once("]>")?.0;
                addr.rsplit_once(':')?.1.parse().ok()
            });
        if let Some(port) = port {
            return port;
        }
        assert!(
            Instant::now() < deadline,
            "strace never showed a listen(): {text}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The real python3 (not a pyenv shim, a shell script that would be traced too).
fn python() -> Option<String> {
    if !have_tool("python3", "python3") {
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A client of the chat: connects (retrying, bounded, until the server listens).
fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_read_timeout(Some(PATIENCE)).unwrap();
                return s;
            }
            Err(e) => assert!(
                Instant::now() < deadline,
                "the program never listened on {port}: {e}"
            ),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads until `needle` has arrived (bounded by the read timeout).
fn read_until(s: &mut TcpStream, needle: &str) {
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&got).contains(needle) {
        let n = match s.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other.unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}; got {got:?}")),
        };
        assert!(
            n > 0,
            "closed before {needle:?}; got {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

/// Two clients of the C chat, each step waiting for its answer, so that every run makes the
/// same calls in the same order. `paused` runs while both are in and the server waits.
fn c_chat_scenario(port: u16, paused: impl FnOnce()) {
    let mut ana = connect(port);
    ana.write_all(b"USERNAME:ana").unwrap();
    read_until(&mut ana, "Hi ana!! Welcome\n");
    let mut bo = connect(port);
    bo.write_all(b"USERNAME:bo").unwrap();
    read_until(&mut bo, "Hi bo!! Welcome\n");
    paused();
    ana.write_all(b"hola").unwrap();
    read_until(&mut ana, "ana: hola\n");
    read_until(&mut bo, "ana: hola\n");
    drop(bo);
    read_until(&mut ana, "User bo has left the chat\n");
}

/// Runs `cmd` (the program and its arguments) under `strace -f -yy`, drives it with
/// `scenario(strace's output file)`, and returns its calls.
fn under_strace(dir: &Path, cmd: &[&str], scenario: impl FnOnce(&Path)) -> PerThread {
    let out = dir.join("strace.txt");
    let mut strace = Command::new("strace");
    strace.args([
        "-f",
        "-qq",
        "-yy",
        "-s",
        "0",
        "-e",
        &format!("trace={CALLS}"),
        "-e",
        "signal=none",
        "-o",
    ]);
    let mut child = strace
        .arg(&out)
        .args(cmd)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn strace");
    scenario(&out);
    wait_exit(&mut child);
    strace_calls(&std::fs::read_to_string(&out).unwrap())
}

/// Runs `cmd` under `lab trace --json`, drives it with `scenario(trace file)`, and returns the
/// trace's text.
fn under_lab(dir: &Path, cmd: &[&str], scenario: impl FnOnce(&Path)) -> String {
    let out = dir.join("lab.jsonl");
    let mut child = lab()
        .args(["trace", "--json", "--trace-file"])
        .arg(&out)
        .arg("--")
        .args(cmd)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn lab trace");
    scenario(&out);
    let code = wait_exit(&mut child);
    assert_eq!(code, 0, "lab trace exits with the program's status");
    std::fs::read_to_string(&out).unwrap()
}

fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the traced program did not end");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every call event's verdict: no state lab showed was contradicted by the kernel's table.
fn no_mismatch(jsonl: &str) {
    for line in jsonl.lines() {
        assert!(
            !line.contains(r#""verdict":"differs""#),
            "the kernel's table disagreed: {line}"
        );
    }
}

/// The latest state lab showed for each open fd, from its call events.
fn lab_states(jsonl: &str) -> HashMap<i64, String> {
    let mut states = HashMap::new();
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let (Some(fd), "call") = (v["fd"].as_i64(), v["kind"].as_str().unwrap_or_default()) else {
            continue;
        };
        let fd = if v["call"] == "accept" || v["call"] == "accept4" {
            v["ret"].as_i64().unwrap_or(fd)
        } else {
            fd
        };
        match (v["fd_gone"].as_bool(), v["state"].as_str()) {
            (Some(true), _) => {
                states.remove(&fd);
            }
            (_, Some(s)) => {
                states.insert(fd, s.to_string());
            }
            _ => {}
        }
    }
    states
}

/// `ss -tan`'s states for the sockets on `port`, sorted.
fn ss_states(port: u16) -> Vec<String> {
    let out = Command::new("ss")
        .args(["-tanH", "state", "all", &format!("( sport = :{port} )")])
        .output()
        .unwrap();
    let mut states: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    states.sort();
    states
}

#[test]
fn a_c_thread_per_client_chat_traces_as_strace_sees_it_and_ss_confirms_its_states() {
    if !(have_tool("strace", "strace") && have_tool("ss", "iproute2")) {
        return;
    }
    let dir = temp_dir("trace-c-chat");
    let Some(exe) = compiled(&dir, "chat_threads") else {
        return;
    };
    let exe = exe.to_string_lossy().into_owned();
    let traced = under_lab(&dir, &[&exe, "0", "2"], |trace| {
        let port = lab_listening_port(trace);
        c_chat_scenario(port, || {
            // Both clients in, the server's threads blocked in recv(): lab's states, the
            // kernel's table as ss prints it.
            // bo's thread waits in recv(): shown as blocked once it has waited.
            let text = wait_file(
                trace,
                r#""args":"5, ..., 1024, 0","detail":"… blocked, waiting""#,
            );
            let mut lab: Vec<String> = lab_states(&text).into_values().collect();
            lab.sort();
            assert_eq!(lab, ["ESTAB", "ESTAB", "LISTEN"], "lab's states: {text}");
            assert_eq!(ss_states(port), ["ESTAB", "ESTAB", "LISTEN"], "ss");
        })
    });
    no_mismatch(&traced);
    let straced = under_strace(&dir, &[&exe, "0", "2"], |out| {
        c_chat_scenario(strace_listening_port(out), || {})
    });
    let ours = lab_calls(&traced);
    assert_eq!(
        ours.len(),
        3,
        "main thread and one thread per client: {ours:#?}"
    );
    assert_eq!(ours, straced, "lab trace vs strace -f, per thread");
}

/// The Python select chat: a greeting, a nickname, a broadcast, a leave.
fn py_chat_scenario(port: u16) {
    let mut ana = connect(port);
    read_until(&mut ana, "Welcome! Your nickname?\n");
    ana.write_all(b"ana").unwrap();
    read_until(&mut ana, "ana joined\n");
    let mut bo = connect(port);
    read_until(&mut bo, "Welcome! Your nickname?\n");
    bo.write_all(b"bo").unwrap();
    read_until(&mut bo, "bo joined\n");
    read_until(&mut ana, "bo joined\n");
    ana.write_all(b"hola").unwrap();
    read_until(&mut bo, "ana: hola");
    read_until(&mut ana, "ana: hola");
    drop(bo);
    read_until(&mut ana, "bo left\n");
}

#[test]
fn a_python_select_chat_traces_as_strace_sees_it() {
    if !have_tool("strace", "strace") {
        return;
    }
    let Some(py) = python() else { return };
    let dir = temp_dir("trace-py-chat");
    let script = program("chat_select.py").to_string_lossy().into_owned();
    let traced = under_lab(&dir, &[&py, &script, "0", "2"], |trace| {
        py_chat_scenario(lab_listening_port(trace))
    });
    no_mismatch(&traced);
    let straced = under_strace(&dir, &[&py, &script, "0", "2"], |out| {
        py_chat_scenario(strace_listening_port(out))
    });
    let ours = lab_calls(&traced);
    assert_eq!(ours.len(), 1, "one thread");
    assert_eq!(ours, straced, "lab trace vs strace -f");
    assert!(
        ours[0]
            .iter()
            .any(|s| s.call == "select" || s.call == "pselect6"),
        "the select loop is shown: {ours:?}"
    );
}

#[test]
fn a_python_client_without_framing_traces_as_strace_sees_it_and_its_time_wait_is_seen() {
    if !have_tool("strace", "strace") {
        return;
    }
    let Some(py) = python() else { return };
    let dir = temp_dir("trace-py-client");
    let Some(exe) = compiled(&dir, "chat_threads") else {
        return;
    };
    let script = program("client_unframed.py").to_string_lossy().into_owned();
    let mut server = Command::new(&exe).args(["0", "3"]).spawn().unwrap();
    let port = listening_port_of(server.id());
    drop(connect(port)); // the server listens; this counts as its first client
    let p = port.to_string();
    let traced = under_lab(&dir, &[&py, &script, &p, "ana", "hola"], |_| {});
    no_mismatch(&traced);
    let straced = under_strace(&dir, &[&py, &script, &p, "ana", "hola"], |_| {});
    wait_exit(&mut server);
    assert_eq!(lab_calls(&traced), straced, "lab trace vs strace -f");
    // The client closed first: its side of the connection ends in TIME-WAIT, which the trace
    // shows either in close()'s path or as the kernel's own move afterwards.
    assert!(
        traced.contains(r#""TIME-WAIT""#),
        "TIME-WAIT is seen: {traced}"
    );
}

#[test]
fn a_call_a_signal_interrupts_and_a_forked_child_trace_as_strace_sees_them() {
    if !have_tool("strace", "strace") {
        return;
    }
    let Some(py) = python() else { return };
    let dir = temp_dir("trace-fork-signal");
    let script = program("fork_and_signal.py").to_string_lossy().into_owned();
    let traced = under_lab(&dir, &[&py, &script, "0"], |_| {});
    no_mismatch(&traced);
    let straced = under_strace(&dir, &[&py, &script, "0"], |_| {});
    let ours = lab_calls(&traced);
    assert_eq!(ours.len(), 2, "the parent and its forked child: {ours:#?}");
    assert_eq!(ours, straced, "lab trace vs strace -f");
    let interrupted = Seen {
        call: "accept4".into(),
        fd: Some(3),
        ret: None,
    };
    assert!(
        ours[0].contains(&interrupted),
        "the interrupted accept4 is shown as such: {ours:?}"
    );
    assert!(
        traced.contains("ERESTARTSYS: interrupted by a signal")
            && traced.contains("--- SIGALRM ---")
    );
}

/// A forking server's parent closes its copy of each connection at once: that close sends
/// nothing (no FIN, nor the RST its unread data would mean for a last close), and the trace
/// says so and names the child that still holds the socket — in green, without waiting.
#[test]
fn a_forking_servers_close_names_the_child_that_still_holds_the_connection() {
    let Some(py) = python() else { return };
    let dir = temp_dir("trace-forking-server");
    let script = program("forking_server.py").to_string_lossy().into_owned();
    let traced = under_lab(&dir, &[&py, &script, "0"], |trace| {
        let mut c = connect(lab_listening_port(trace));
        c.write_all(b"hi").unwrap();
        let mut echo = [0u8; 2];
        c.read_exact(&mut echo).unwrap();
    });
    no_mismatch(&traced);
    let events: Vec<Value> = traced
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pid = |e: &Value| {
        e["actor"]
            .as_str()
            .unwrap_or_default()
            .split(' ')
            .next()
            .map(str::to_owned)
    };
    let accept = events
        .iter()
        .find(|e| e["call"] == "accept4" && e["ret"] == 4)
        .unwrap();
    let parent = pid(accept).unwrap();
    let child = events
        .iter()
        .filter_map(pid)
        .find(|p| *p != parent && p != "lab")
        .unwrap();
    let close = events
        .iter()
        .find(|e| e["call"] == "close" && e["fd"] == 4 && pid(e).as_ref() == Some(&parent))
        .unwrap();
    assert_eq!(
        (&close["verdict"], &close["kernel"]),
        (&"agrees".into(), &"ESTAB".into())
    );
    let why = close["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains(&format!("/{child} fd=4 still holds this socket")),
        "{close}"
    );
    assert!(close["note"].is_null(), "no RST was sent: {close}");
}

/// The pid that starts an event's actor (`4312 server`, `4312/4315 server`).
fn actor_pid(e: &Value) -> Option<u32> {
    let first = e["actor"].as_str()?.split([' ', '/']).next()?;
    first.parse().ok()
}

/// An `accept()` or `accept4()` that returned a connection.
fn is_accept(e: &&Value) -> bool {
    e["call"].as_str().is_some_and(|c| c.starts_with("accept")) && e["ret"].as_i64() > Some(0)
}

/// `tests/programs/forking_echo_server.c`, compiled into `dir` (`None`: no C compiler, said
/// loudly by `compiled`).
fn forking_server(dir: &std::path::Path) -> Option<String> {
    let exe = compiled(dir, "forking_echo_server")?;
    Some(exe.to_string_lossy().into_owned())
}

/// A C forking server: once its parent has closed its copy of the connection, only the child
/// holds it — so the client's FIN (ESTAB → CLOSE-WAIT) is told once, on the child's lifeline,
/// and nothing the kernel does to the connection afterwards shows on the parent's.
#[test]
fn a_forking_servers_connection_moves_once_on_the_childs_lifeline_after_the_parent_closes_it() {
    let dir = temp_dir("trace-forking-c");
    let Some(exe) = forking_server(&dir) else {
        return;
    };
    let (mut server, mut client) = (None, None);
    let traced = under_lab(&dir, &[&exe, "0"], |trace| {
        let mut c = connect(lab_listening_port(trace));
        server = Some(c.peer_addr().unwrap().to_string());
        client = Some(c.local_addr().unwrap().to_string());
        c.write_all(b"hi").unwrap();
        let mut echo = [0u8; 2];
        c.read_exact(&mut echo).unwrap();
        // The parent's close and the child's echo are in the trace: the FIN comes after both.
        let evs = wait_event(trace, |e| e["call"] == "close" && e["fd"] == 4);
        let parent = evs.iter().find(is_accept).and_then(actor_pid);
        wait_event(trace, |e| e["call"] == "sendto" && actor_pid(e) != parent);
    });
    no_mismatch(&traced);
    let evs = events(&traced);
    let (parent, closed) = parents_close(&evs);
    let child = evs
        .iter()
        .find(|e| e["call"] == "recvfrom" && actor_pid(e) != Some(parent))
        .and_then(actor_pid)
        .unwrap_or_else(|| panic!("the child serves the connection: {evs:#?}"));
    let (server, client) = (server.unwrap(), client.unwrap());
    let fin: Vec<&Value> = kernel_moves(&evs, (&server, &client))
        .filter(|e| e["before"] == "ESTAB" && e["kernel"] == "CLOSE-WAIT")
        .collect();
    assert_eq!(fin.len(), 1, "the client's FIN is told once: {fin:#?}");
    assert_eq!(
        actor_pid(fin[0]),
        Some(child),
        "on the child's lifeline: {fin:#?}"
    );
    let after = |e: &&Value| e["seq"].as_u64() > closed["seq"].as_u64();
    let parents: Vec<&Value> = kernel_moves(&evs, (&server, &client))
        .filter(after)
        .filter(|e| actor_pid(e) == Some(parent))
        .collect();
    assert!(
        parents.is_empty(),
        "nothing on the parent's lifeline after its close: {parents:#?}"
    );
    // The listener likewise: the child closed its copy first, the parent holds it to the end.
    let listener = |e: &&Value| e["local"] == server.as_str() && e["peer"].is_null();
    let childs: Vec<&Value> = evs
        .iter()
        .filter(listener)
        .filter(|e| e["kind"] == "kernel" && actor_pid(e) == Some(child))
        .collect();
    assert!(
        childs.is_empty(),
        "the listener's end is not the child's: {childs:#?}"
    );
}

/// The forking server's parent (its pid: it accepted the connection) and its close of its copy.
fn parents_close(evs: &[Value]) -> (u32, &Value) {
    let accept = evs.iter().find(is_accept).expect("the parent accepts");
    let (parent, conn) = (actor_pid(accept).unwrap(), &accept["ret"]);
    let closed = evs
        .iter()
        .find(|e| e["call"] == "close" && e["fd"] == *conn && actor_pid(e) == Some(parent))
        .unwrap_or_else(|| panic!("the parent closes its copy: {evs:#?}"));
    (parent, closed)
}

/// The kernel's moves of the connection `server ⇄ client` (its server's end), in `evs`.
fn kernel_moves<'e>(
    evs: &'e [Value],
    (server, client): (&'e str, &'e str),
) -> impl Iterator<Item = &'e Value> {
    evs.iter()
        .filter(move |e| e["kind"] == "kernel" && e["local"] == server && e["peer"] == client)
}

/// The child's first call on the connection is its close(), after the parent's: the watch
/// handed to it at the parent's close is its own then — not a second one beside it, telling the
/// connection's story again from ESTAB — so the moves after the child's close follow on from the
/// state it left the connection in, one after the other, and none is on the parent's lifeline.
#[test]
fn a_forking_servers_child_that_hangs_up_at_once_tells_the_connections_story_once() {
    let dir = temp_dir("trace-forking-hangup");
    let Some(exe) = forking_server(&dir) else {
        return;
    };
    let (mut server, mut seen) = (String::new(), false);
    let traced = under_lab(&dir, &[&exe, "0", "hangup"], |trace| {
        let port = lab_listening_port(trace);
        let mut c = connect(port);
        server = c.peer_addr().unwrap().to_string();
        let eof = c.read(&mut [0u8; 1]).is_ok_and(|n| n == 0);
        drop(c);
        // Our FIN moves the server's end to TIME-WAIT (in the child's close or after it).
        let in_time_wait = |e: &Value| e["kernel"] == "TIME-WAIT" && e["local"] == server.as_str();
        let text = || std::fs::read_to_string(trace).unwrap_or_default();
        seen = eof && wait_until(PATIENCE, || events(&text()).iter().any(in_time_wait));
        // The parent ends once it has accepted one more: also when the wait above failed.
        drop(connect(port));
    });
    assert!(seen, "the child hung up, and TIME-WAIT was seen: {traced}");
    no_mismatch(&traced);
    let evs = events(&traced);
    let (parent, closed) = parents_close(&evs);
    let client = closed["peer"].as_str().unwrap_or_default().to_string();
    let hung_up = evs
        .iter()
        .find(|e| e["call"] == "close" && e["peer"] == client.as_str() && e["seq"] != closed["seq"])
        .unwrap_or_else(|| panic!("the child closes the connection: {evs:#?}"));
    let after = |e: &&Value| e["seq"].as_u64() > hung_up["seq"].as_u64();
    let moves: Vec<&Value> = kernel_moves(&evs, (&server, &client))
        .filter(after)
        .collect();
    let mut state = &hung_up["kernel"];
    for m in &moves {
        assert_eq!(
            &m["before"], state,
            "one story, from the child's close on: {moves:#?}"
        );
        state = &m["kernel"];
    }
    let since_parents: Vec<&Value> = kernel_moves(&evs, (&server, &client))
        .filter(|e| e["seq"].as_u64() > closed["seq"].as_u64())
        .collect();
    assert!(
        since_parents.iter().all(|e| actor_pid(e) != Some(parent)),
        "none on the parent's lifeline: {since_parents:#?}"
    );
}

/// The first event whose JSON line holds every one of `parts`, as (seq, line).
fn first_event(jsonl: &str, parts: &[&str]) -> Option<(u64, String)> {
    jsonl
        .lines()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["seq"].as_u64().unwrap_or(0), l.to_string())
        })
}

/// A client with a small receive buffer that registers and then reads nothing.
fn slow_reader(port: u16) -> TcpStream {
    let slow = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    slow.set_recv_buffer_size(4096).unwrap();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + PATIENCE;
    while slow.connect(&addr.into()).is_err() {
        assert!(Instant::now() < deadline, "the chat never listened");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut slow: TcpStream = slow.into();
    slow.set_read_timeout(Some(PATIENCE)).unwrap();
    slow.write_all(b"USERNAME:slow").unwrap();
    read_until(&mut slow, "Welcome\n");
    slow
}

/// A client that reads everything it gets and sends 1000-byte lines until the trace shows the
/// server's send() to the slow reader (fd 4) blocked.
fn flood_until_blocked(port: u16, trace: &Path, blocked: &[&str]) {
    let mut fast = connect(port);
    fast.write_all(b"USERNAME:fast").unwrap();
    read_until(&mut fast, "Welcome\n");
    fast.set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut reader = fast.try_clone().unwrap();
    std::thread::spawn(move || while reader.read(&mut [0u8; 65536]).is_ok_and(|n| n > 0) {});
    let line = [b'x'; 1000];
    // The kernel grows the server's send buffer up to tcp_wmem's 4 MB: a few thousand lines.
    let deadline = Instant::now() + 3 * PATIENCE;
    while first_event(&std::fs::read_to_string(trace).unwrap_or_default(), blocked).is_none() {
        assert!(
            Instant::now() < deadline,
            "the server's send() to slow never blocked"
        );
        // Once the server is stuck in the send() to slow it stops reading fast too: a write
        // that cannot go on within the timeout means "look at the trace again".
        for _ in 0..200 {
            if fast.write_all(&line).is_err() {
                break;
            }
        }
    }
}

#[test]
fn a_broadcast_holding_its_lock_across_a_blocking_send_makes_everyone_wait_for_the_slow_reader() {
    let dir = temp_dir("trace-lock-across-send");
    let Some(exe) = compiled(&dir, "chat_threads") else {
        return;
    };
    let out = dir.join("lock.jsonl");
    let mut tracer = lab()
        .args(["trace", "--json", "--trace-file"])
        .arg(&out)
        .arg("--")
        .args([exe.to_string_lossy().as_ref(), "0"])
        .spawn()
        .unwrap();
    let port = lab_listening_port(&out);
    let mut slow = slow_reader(port);
    let blocked = [r#""call":"sendto","args":"4, "#, "blocked, waiting"];
    flood_until_blocked(port, &out, &blocked);
    // bo connects: the kernel completes the handshake and accept() returns, but the main thread
    // then needs the client list's lock (add_client) that the blocked broadcast holds.
    let mut bo = connect(port);
    bo.write_all(b"USERNAME:bo").unwrap();
    wait_file(&out, r#""call":"accept","args":"3","detail":"6 from"#);
    // slow reads at last: the blocked send() returns, the lock is let go, bo is served.
    std::thread::spawn(move || while slow.read(&mut [0u8; 65536]).is_ok_and(|n| n > 0) {});
    read_until(&mut bo, "Hi bo!! Welcome\n");
    // bo got its welcome: the call that read its name is in the trace (the file is written by
    // a thread of lab's own, a few ms behind the program).
    let text = wait_file(&out, r#""call":"recvfrom","args":"6, "#);
    let seq = |parts: &[&str]| {
        first_event(&text, parts)
            .map(|(s, _)| s)
            .unwrap_or(u64::MAX)
    };
    let blocked_at = seq(&blocked);
    let accepted = seq(&[r#""call":"accept","args":"3","detail":"6 from"#]);
    let returned = text
        .lines()
        .filter(|l| l.contains(r#""call":"sendto","args":"4, "#) && !l.contains(r#""ret":null"#))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["seq"].as_u64())
        .find(|s| *s > blocked_at)
        .unwrap_or(u64::MAX);
    let bo_served = seq(&[r#""call":"recvfrom""#, r#""fd":6"#]);
    assert!(
        blocked_at < accepted,
        "slow's send() blocked before bo came"
    );
    assert!(
        returned < bo_served,
        "bo was served only after the send() to slow returned"
    );
    let _ = Command::new("kill").arg(tracer.id().to_string()).status();
    wait_exit(&mut tracer);
}

#[test]
fn attaching_to_a_running_server_and_detaching_leaves_it_working() {
    let dir = temp_dir("trace-attach");
    let Some(exe) = compiled(&dir, "chat_threads") else {
        return;
    };
    let mut server = Command::new(&exe).arg("0").spawn().unwrap();
    let port = listening_port_of(server.id());
    drop(connect(port));
    let out = dir.join("attach.txt");
    let mut tracer = lab()
        .args(["trace", "--color", "never", "--trace-file"])
        .arg(&out)
        .args(["-p", &server.id().to_string()])
        .spawn()
        .unwrap();
    wait_file(&out, "attached to process");
    let mut ana = connect(port);
    ana.write_all(b"USERNAME:ana").unwrap();
    read_until(&mut ana, "Hi ana!! Welcome\n");
    let text = wait_file(&out, "Hi ana!! Welcome");
    assert!(text.contains("accept(3)"), "the accept is traced: {text}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(tracer.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert_eq!(wait_exit(&mut tracer), 0, "Ctrl+C detaches");
    assert!(wait_file(&out, "detached").contains("it goes on untraced"));
    // The server goes on as before: a new client is served, and ana still chats.
    let mut bo = connect(port);
    bo.write_all(b"USERNAME:bo").unwrap();
    read_until(&mut bo, "Hi bo!! Welcome\n");
    ana.write_all(b"hola").unwrap();
    read_until(&mut bo, "ana: hola\n");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn what_cannot_be_traced_is_said_in_words() {
    let dir = temp_dir("trace-refused");
    let out = lab()
        .args(["trace", "--", "/nonexistent/program"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such executable file"));
    let out = lab()
        .args(["trace", "--", "no-such-command-anywhere"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("command not found on PATH"));
    // A 32-bit ELF header is refused before anything runs.
    let fake = dir.join("old32");
    std::fs::write(&fake, b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = lab().arg("trace").arg("--").arg(&fake).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a 32-bit program"),
        "{out:?}"
    );
    let out = lab().args(["trace", "-p", "999999999"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no process 999999999"),
        "{out:?}"
    );
}

#[test]
fn all_fds_shows_files_and_pipes_too_and_the_run_can_be_drawn() {
    let dir = temp_dir("trace-all-fds");
    let (trace, page) = (dir.join("t.jsonl"), dir.join("echo.html"));
    let out = lab()
        .args(["trace", "--all-fds", "--json", "--trace-file"])
        .arg(&trace)
        .arg("--html")
        .arg(&page)
        .args(["--", "/bin/echo", "hola"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hola\n",
        "the program's own output is untouched"
    );
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(
        text.contains(r#""call":"write","args":"1, \"hola\\n\", 5""#),
        "{text}"
    );
    // Without --all-fds, a program with no sockets shows no call at all.
    let out = lab()
        .args(["trace", "--json", "--", "/bin/echo", "hola"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(r#""kind":"call""#));
    assert!(std::fs::read_to_string(&page).unwrap().contains("<svg"));
}

#[test]
fn attaching_to_a_shell_names_the_children_that_do_the_work() {
    let dir = temp_dir("trace-shell");
    // A shell that started the work in the background and waits, as `bash -c '… &'` does.
    let mut shell = Command::new("sh")
        .args(["-c", "sleep 30 & wait"])
        .spawn()
        .unwrap();
    let sh = shell.id();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    let child = loop {
        let found = std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid: u32 = stat
                .rsplit_once(") ")?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            // Once it has exec'd sleep: just forked, it is still a copy of sh (its command
            // line `sh -c sleep 30 & wait`), and lab names it as it finds it.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            (ppid == sh && cmdline.starts_with(b"sleep\0")).then_some(pid)
        });
        if let Some(p) = found {
            break p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the shell started no child"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let out = dir.join("shell.txt");
    let mut tracer = lab()
        .args(["trace", "--color", "never", "--trace-file"])
        .arg(&out)
        .args(["-p", &sh.to_string()])
        .spawn()
        .unwrap();
    let text = wait_file(&out, "has children");
    assert!(
        text.contains(&format!("lab trace -p {child}  (sleep 30)")),
        "{text}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(tracer.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert_eq!(wait_exit(&mut tracer), 0);
    let _ = Command::new("kill").arg(child.to_string()).status();
    let _ = shell.kill();
    let _ = shell.wait();
}

/// Issue 19, item 6: a traced program stops even for a signal it ignores, but nothing is
/// delivered to it: the trace says the signal was ignored (SIGINT inherited as ignored, or set
/// so), and says "delivered" only where the program's handler runs.
#[test]
fn an_ignored_signal_is_not_said_to_be_delivered() {
    let script = r#"trap "" INT; kill -INT $$; trap "true" USR1; kill -USR1 $$; exit 0"#;
    let out = lab()
        .args(["trace", "--color", "never", "--", "sh", "-c", script])
        .output()
        .unwrap();
    // The trace goes to stderr: stdout is the program's.
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let line = |sig: &str| {
        text.lines()
            .find(|l| l.contains(sig))
            .unwrap_or_else(|| panic!("no {sig}:\n{text}"))
    };
    assert!(
        line("--- SIGINT ---").contains("ignored") && !line("--- SIGINT ---").contains("delivered"),
        "{text}"
    );
    assert!(
        line("--- SIGUSR1 ---").contains("delivered to the program's handler"),
        "{text}"
    );
}

/// Issue 19, item 9: another program's `select()` shows its ready sets as select returns them
/// (`in [3]`), and its `epoll_wait()` its events by their EPOLL names — not poll's `revents`.
#[test]
fn select_and_epoll_results_are_written_as_they_return_them() {
    let Some(py) = python() else { return };
    let script = "import socket, select\n\
                  l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()\n\
                  c = socket.create_connection(l.getsockname())\n\
                  select.select([l], [], [], 1)\n\
                  e = select.epoll(); e.register(l.fileno(), select.EPOLLIN); e.poll(1)\n";
    let out = lab()
        .args(["trace", "--color", "never", "--", &py, "-c", script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let line = |call: &str| {
        text.lines()
            .find(|l| l.contains(call))
            .unwrap_or_else(|| panic!("no {call}:\n{text}"))
    };
    let sel = line("select");
    assert!(
        sel.contains("→ in [3]") && !sel.contains("revents"),
        "{sel}"
    );
    let ep = line("epoll_wait(");
    assert!(
        ep.contains("events=EPOLLIN, data={u32=3") && !ep.contains("POLLIN}"),
        "{ep}"
    );
}
