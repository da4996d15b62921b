//! `lab trace` against programs that do odd things — exec from a thread, threads that end in
//! the middle of a call, data moved in ways a trace decodes only with care (or cannot), a
//! set-user-ID program, signals sent to lab itself — each a small C program under
//! `tests/programs/`, each checked for what the trace must not lose or hide.
//!
//! Needs `cc` (apt-get install gcc); each test is skipped loudly without it.

mod common;

use common::run::{compiled, lab_with_sigint};
use common::{have_tool, lab, temp_dir, PATIENCE};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `tests/programs/NAME.c` compiled, for a test that also needs `strace` (apt-get install
/// strace); `None`, skipped loudly, without cc or strace.
fn compiled_for_strace(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    let exe = compiled(dir, name)?;
    have_tool("strace", "strace").then_some(exe)
}

/// Compiles `tests/programs/NAME.c` (skipped loudly without `cc`) and traces it with no
/// options (see [`traced`]).
fn compiled_and_traced(dir: &Path, name: &str) -> Option<(i32, String, Vec<Value>)> {
    let exe = compiled(dir, name)?;
    Some(traced(dir, &[], &[exe.to_str().unwrap()]))
}

/// Runs `lab trace --json ARGS -- PROGRAM` to its end; returns lab's exit code, its stderr,
/// and the trace's events.
fn traced(dir: &Path, args: &[&str], program: &[&str]) -> (i32, String, Vec<Value>) {
    let file = dir.join("trace.jsonl");
    let child = lab_with_sigint()
        .args(["trace", "--json", "--trace-file"])
        .arg(&file)
        .args(args)
        .arg("--")
        .args(program)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lab trace");
    let (code, stderr) = finish(child);
    (code, stderr, events(&file))
}

/// Waits (bounded) for a lab process to end: its exit code and stderr.
fn finish(mut child: Child) -> (i32, String) {
    let deadline = Instant::now() + PATIENCE * 3;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                std::io::Read::read_to_string(&mut e, &mut err).unwrap();
            }
            return (status.code().unwrap_or(-1), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lab trace did not end");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn events(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The call events of `call`.
fn calls<'e>(evs: &'e [Value], call: &str) -> Vec<&'e Value> {
    evs.iter()
        .filter(|e| e["kind"] == "call" && e["call"] == call)
        .collect()
}

/// The notes whose words contain `needle`.
fn notes<'e>(evs: &'e [Value], needle: &str) -> Vec<&'e Value> {
    evs.iter()
        .filter(|e| e["kind"] == "note" && e["note"].as_str().is_some_and(|n| n.contains(needle)))
        .collect()
}

#[test]
fn exec_from_a_thread_while_the_main_thread_waits_in_accept_loses_nothing_after() {
    let dir = temp_dir("odd-exec-thread");
    let Some((code, stderr, evs)) = compiled_and_traced(&dir, "exec_from_thread") else {
        return;
    };
    assert_eq!(code, 3, "lab ends with the new program's status: {stderr}");
    // The new program's 20 sends, and the end, all reach the trace.
    assert_eq!(calls(&evs, "sendto").len(), 20, "{evs:#?}");
    assert_eq!(notes(&evs, "ended with status 3").len(), 1, "{evs:#?}");
    // The old program's accept() never returned: shown, unfinished, before the new program's.
    let accepts = calls(&evs, "accept");
    assert_eq!(accepts.len(), 2, "{accepts:#?}");
    assert!(accepts[0]["detail"]
        .as_str()
        .is_some_and(|d| d.contains("thread ended before it returned")));
    assert_eq!(accepts[0]["ret"], Value::Null);
    assert_eq!(
        accepts[1]["ret"].as_i64().map(|fd| fd >= 0),
        Some(true),
        "the new program's accept returned"
    );
}

#[test]
fn a_call_younger_than_50_ms_whose_thread_ends_is_shown_unfinished() {
    let dir = temp_dir("odd-unfinished");
    let Some((code, stderr, evs)) = compiled_and_traced(&dir, "thread_ends_in_accept") else {
        return;
    };
    assert_eq!(code, 0, "{stderr}");
    let accepts = calls(&evs, "accept");
    assert_eq!(
        accepts.len(),
        1,
        "the accept() the exit cut short is shown: {evs:#?}"
    );
    assert_eq!(
        accepts[0]["detail"],
        "… unfinished: the thread ended before it returned"
    );
    assert_eq!(accepts[0]["fd"], 3);
    let ended = notes(&evs, "ended with status 0");
    assert_eq!(ended.len(), 1);
    assert!(
        accepts[0]["seq"].as_u64() < ended[0]["seq"].as_u64(),
        "in order: the call, then the end"
    );
}

/// Waits (bounded) until the trace file holds `needle`.
fn wait_for(file: &Path, needle: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(file)
        .unwrap_or_default()
        .contains(needle)
    {
        assert!(
            Instant::now() < deadline,
            "{needle} never reached {}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn kill_int_sent_to_lab_reaches_the_program_and_its_end_is_told_by_the_signal() {
    let dir = temp_dir("odd-kill-int");
    let Some(exe) = compiled(&dir, "waits_or_kills_itself") else {
        return;
    };
    let file = dir.join("trace.jsonl");
    let child = lab_with_sigint()
        .args(["trace", "--json", "--trace-file"])
        .arg(&file)
        .arg("--")
        .arg(&exe)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&file, r#""call":"listen""#);
    // `kill -INT` to lab alone, as from another terminal: not the terminal's Ctrl+C, which the
    // program gets by itself.
    let lab_pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(lab_pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(
        code,
        128 + 2,
        "the program was killed by the SIGINT lab passed on: {stderr}"
    );
    let evs = events(&file);
    assert_eq!(
        notes(&evs, "the program was killed by SIGINT").len(),
        1,
        "{evs:#?}"
    );

    let (code, _, evs) = traced(&dir, &[], &[exe.to_str().unwrap(), "kill"]);
    assert_eq!(code, 128 + 9);
    assert_eq!(
        notes(&evs, "the program was killed by SIGKILL").len(),
        1,
        "not 'status 137': {evs:#?}"
    );
    assert!(notes(&evs, "status 137").is_empty());
}

#[test]
fn a_program_another_tracer_holds_is_refused_naming_that_tracer() {
    let dir = temp_dir("odd-other-tracer");
    let Some(exe) = compiled_for_strace(&dir, "waits_or_kills_itself") else {
        return;
    };
    let mut strace = Command::new("strace")
        .args(["-o", "/dev/null"])
        .arg(&exe)
        .spawn()
        .unwrap();
    // The program strace started: its child running our program (strace also forks short-lived
    // children of its own to probe the kernel), once strace traces it (before that, lab could
    // attach first).
    let children = format!("/proc/{0}/task/{0}/children", strace.id());
    let deadline = Instant::now() + PATIENCE;
    let tracer_line = format!("TracerPid:\t{}\n", strace.id());
    let traced_pid = loop {
        let text = std::fs::read_to_string(&children).unwrap_or_default();
        let ours = text.split_whitespace().find(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe)
                && status.contains(&tracer_line)
        });
        if let Some(pid) = ours {
            break pid.to_string();
        }
        assert!(Instant::now() < deadline, "strace started no program");
        std::thread::sleep(Duration::from_millis(10));
    };
    let lab = lab()
        .args(["trace", "-p", &traced_pid])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, err) = finish(lab);
    let pid = nix::unistd::Pid::from_raw(traced_pid.parse().unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL)
        .expect("kill the program strace traces");
    let _ = strace.wait();
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "already traced by process {} (strace)",
            strace.id()
        )),
        "{err}"
    );
}

#[test]
fn close_of_a_fd_never_open_is_shown_with_all_fds() {
    let dir = temp_dir("odd-ebadf");
    let Some(exe) = compiled(&dir, "close_never_open") else {
        return;
    };
    let (code, stderr, evs) = traced(&dir, &["--all-fds"], &[exe.to_str().unwrap()]);
    assert_eq!(code, 0, "the program saw EBADF: {stderr}");
    let closes: Vec<_> = calls(&evs, "close")
        .into_iter()
        .filter(|e| e["fd"] == 77)
        .collect();
    assert_eq!(closes.len(), 1, "{evs:#?}");
    assert_eq!(closes[0]["errno"], "EBADF");
    // Without --all-fds, a program without sockets shows no call.
    let (_, _, evs) = traced(&dir, &[], &[exe.to_str().unwrap()]);
    assert!(calls(&evs, "close").is_empty());
}

#[test]
fn closing_a_connection_whose_fin_waits_behind_unsent_data_does_not_hold_the_program() {
    let dir = temp_dir("odd-close-stall");
    let Some(exe) = compiled(&dir, "close_with_unsent_data") else {
        return;
    };
    let file = dir.join("trace.jsonl");
    let out = lab()
        .args(["trace", "--json", "--trace-file"])
        .arg(&file)
        .arg("--")
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // The ten close() calls, as the program timed them. A tracer waiting for FIN-WAIT-1 to pass
    // held each for its whole bound (500 ms): 5 s in all.
    let ms: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the program's ms");
    assert!(
        ms < 2000.0,
        "the ten close() calls took {ms} ms under lab trace"
    );
    // Each verdict is still made: the client's fd (4) closed in ESTABLISHED, the kernel agrees
    // the connection is in FIN-WAIT-1.
    let evs = events(&file);
    let closes: Vec<_> = calls(&evs, "close")
        .into_iter()
        .filter(|e| e["fd"] == 4)
        .collect();
    assert_eq!(closes.len(), 10, "{evs:#?}");
    for c in closes {
        let seen = (&c["before"], &c["verdict"], &c["kernel"]);
        assert_eq!(
            seen,
            (
                &Value::from("ESTAB"),
                &Value::from("agrees"),
                &Value::from("FIN-WAIT-1")
            ),
            "{c:#?}"
        );
    }
}

#[test]
fn gathered_and_batched_sends_and_receives_show_their_data_and_what_cannot_be_seen_is_said_once() {
    let dir = temp_dir("odd-vectored");
    let Some((code, stderr, evs)) = compiled_and_traced(&dir, "vectored_and_batched") else {
        return;
    };
    assert_eq!(code, 0, "every way of moving data worked: {stderr}");
    let one = |call: &str| {
        let found = calls(&evs, call);
        assert!(!found.is_empty(), "{call} is shown: {evs:#?}");
        (
            found[0]["args"].as_str().unwrap_or_default().to_string(),
            found[0]["ret"].as_i64(),
            found[0]["fd"].as_i64(),
        )
    };
    // Connected fd 4 sends, accepted fd 5 receives: the data of every buffer, gathered.
    assert_eq!(
        one("writev"),
        (r#"4, "hello\n", 2"#.into(), Some(6), Some(4))
    );
    assert_eq!(
        one("readv"),
        (r#"5, "hello\n", 2"#.into(), Some(6), Some(5))
    );
    assert_eq!(
        one("sendmmsg"),
        (r#"4, "one\ntwo\n", 2, 0"#.into(), Some(2), Some(4))
    );
    let (args, messages, fd) = one("recvmmsg");
    assert_eq!(
        (
            fd,
            args.starts_with(r#"5, "one\n"#),
            args.ends_with("MSG_WAITFORONE")
        ),
        (Some(5), true, true),
        "{args}"
    );
    assert!(messages.is_some_and(|m| m >= 1));
    // sendfile() and splice() are shown with their byte counts, each on the socket, twice…
    for call in ["sendfile", "splice"] {
        let found = calls(&evs, call);
        assert_eq!(found.len(), 2, "{call}: {evs:#?}");
        assert!(
            found
                .iter()
                .all(|e| e["fd"] == 4 && e["ret"] == 12 && e["verdict"] == "agrees"),
            "{found:#?}"
        );
    }
    // …and what the trace cannot show of them is said once each.
    assert_eq!(
        notes(
            &evs,
            "sendfile() copies a file into the socket inside the kernel"
        )
        .len(),
        1
    );
    assert_eq!(
        notes(&evs, "splice() moves data between a pipe and the socket").len(),
        1
    );
}

#[test]
fn a_program_that_sets_up_an_io_uring_is_told_once_what_the_trace_cannot_see() {
    let dir = temp_dir("odd-io-uring");
    let Some((code, stderr, evs)) = compiled_and_traced(&dir, "io_uring_user") else {
        return;
    };
    // The program asks for two rings; said once, whether or not the kernel allows io_uring
    // here (kernel.io_uring_disabled): the program means to move data where no tracer sees.
    assert!(code == 0 || code == 2, "{stderr}");
    assert_eq!(
        notes(&evs, "this program sets up an io_uring").len(),
        1,
        "{evs:#?}"
    );
}

#[test]
fn a_set_user_id_program_is_said_to_run_without_its_rights() {
    if !nix::unistd::geteuid().is_root() {
        common::skip("making a set-user-ID root program needs root");
        return;
    }
    let dir = temp_dir("odd-setuid");
    let Some(exe) = compiled(&dir, "raw_socket_setuid") else {
        return;
    };
    if !have_tool("su", "util-linux") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    // Set-user-ID root, as ping is installed; the directory open to `nobody`, who runs it.
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o4755)).unwrap();
    std::fs::set_permissions(&*dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let file = dir.join("trace.jsonl");
    let quote = |p: &Path| format!("'{}'", p.display());
    let lab_path = Path::new(env!("CARGO_BIN_EXE_lab"));
    let line = format!(
        "{} trace --json --trace-file {} -- {}",
        quote(lab_path),
        quote(&file),
        quote(&exe)
    );
    let out = Command::new("su")
        .args(["nobody", "-s", "/bin/sh", "-c", &line])
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    // Without its rights, socket(SOCK_RAW) fails with EPERM: the program's own exit code 3.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&file);
    let said = notes(
        &evs,
        "is set-user-ID (uid 0): under lab trace it runs WITHOUT those rights",
    );
    assert_eq!(said.len(), 1, "{evs:#?}");
    assert!(said[0]["note"]
        .as_str()
        .unwrap()
        .contains("sudo lab trace -p PID"));
}

/// A tracer that cannot copy the program's fds (`pidfd_getfd` refused — here by strace's fault
/// injection into lab itself) shows the socket calls unchecked (`?`, with the reason) and says
/// why, rather than hiding them as calls on closed fds. Needs `strace` (apt-get install strace).
#[test]
fn a_program_whose_fds_lab_cannot_copy_still_shows_its_socket_calls_and_says_why() {
    let dir = temp_dir("odd-blind");
    let Some(exe) = compiled_for_strace(&dir, "close_with_unsent_data") else {
        return;
    };
    let file = dir.join("trace.jsonl");
    let lab = lab();
    let out = Command::new("strace")
        .args(["-o", "/dev/null", "-e", "trace=pidfd_getfd"])
        .args(["-e", "inject=pidfd_getfd:error=EPERM"])
        .arg(lab.get_program())
        .envs(lab.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .args(["trace", "--json", "--trace-file"])
        .arg(&file)
        .arg("--")
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let evs = events(&file);
    let told = notes(&evs, "pidfd_getfd");
    assert_eq!(told.len(), 1, "said once for the one process: {evs:#?}");
    for call in ["bind", "listen", "connect", "sendto"] {
        let shown = calls(&evs, call);
        assert!(!shown.is_empty(), "{call} is left out: {evs:#?}");
        // Unchecked, and said so: no state, no kernel row, the verdict "could not look" (not
        // "nothing to compare") with the reason.
        let unchecked = |c: &&Value| c["state"].is_null() && c["kernel"].is_null();
        assert!(shown.iter().all(unchecked));
        assert!(
            shown.iter().all(|c| c["verdict"] == "unavailable"),
            "{shown:#?}"
        );
        let why = |c: &&Value| {
            c["reason"]
                .as_str()
                .is_some_and(|r| r.contains("not permitted"))
        };
        assert!(shown.iter().all(why), "{shown:#?}");
    }
    // The same program seen normally: its calls are checked (so the test above can fail).
    let (_, _, evs) = traced(&dir, &[], &[exe.to_str().unwrap()]);
    assert!(notes(&evs, "pidfd_getfd").is_empty());
    let connects = calls(&evs, "connect");
    assert!(!connects.is_empty() && connects.iter().all(|c| !c["state"].is_null()));
}

/// A number that held a file and holds a socket next (after `close()`, or `dup2()` onto it) is
/// traced as the socket it is: whatever lab remembers of a fd (its kept copies of sockets; a
/// memory of which fds are files, tried and measured in docs/performance.md) goes when the
/// program gives the fd up.
#[test]
fn a_fd_number_that_held_a_file_is_traced_as_the_socket_it_holds_next() {
    let dir = temp_dir("odd-file-fd-reused");
    let Some((code, stderr, evs)) = compiled_and_traced(&dir, "file_fd_reused") else {
        return;
    };
    assert_eq!(code, 0, "{stderr}");
    // fd 3 held the program's own file, then the first socket; fd 4 another read of it, then
    // the second socket, by dup2().
    for call in ["bind", "listen"] {
        let fds: Vec<_> = calls(&evs, call).iter().map(|e| e["fd"].clone()).collect();
        assert_eq!(fds, [3, 4], "{call} on both sockets: {evs:#?}");
    }
    // The files' reads are no socket calls: not shown without --all-fds.
    assert!(calls(&evs, "read").is_empty(), "{evs:#?}");
}
