//! Nothing left behind: `lab net`'s hosts (network namespaces, each with its TUN device), lab's
//! user namespace and the programs it runs go with lab — when its programs end (one of them
//! crashed), when it is stopped with Ctrl+C, and when it is killed with SIGKILL, which it
//! cannot answer. And a `lab net up` killed so leaves a file that stands in no one's way.
//!
//! How "nothing left" is checked: a namespace lives as long as something refers to it — a
//! process in it, an open fd, a bind mount (`ip netns add` makes one under /run/netns). The
//! test learns the namespaces of the run from its programs (`/proc/PID/ns/net`), and after lab
//! is gone waits (bounded) until no process, fd or mount on the machine names them; then the
//! kernel has removed them, and their devices with them. The machine's own links and
//! /run/netns are compared before and after too.

mod common;

use common::run::{lab_with_sigint, net_refused};
use common::{lab, temp_dir, Proc, PATIENCE};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What the machine shows outside lab's namespaces: its links' names and /run/netns.
fn machine() -> BTreeSet<String> {
    let out = Command::new("ip").args(["-o", "link", "show"]).output();
    let links = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut seen: BTreeSet<String> = links
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|name| format!("link {}", name.trim()))
        .collect();
    if let Ok(dir) = std::fs::read_dir("/run/netns") {
        seen.extend(dir.flatten().map(|e| format!("netns {:?}", e.file_name())));
    }
    seen
}

/// What a run may have added to the machine: anything new that is lab's (other engineers'
/// tests and benchmarks come and go on a shared machine; lab names its devices `lab0`).
fn added_by_lab(before: &BTreeSet<String>) -> Vec<String> {
    machine()
        .difference(before)
        .filter(|s| s.contains("lab"))
        .cloned()
        .collect()
}

/// The namespaces process `pid` is in that are not this test's own: its network, and its user
/// namespace when lab made one (as a plain user).
fn namespaces_of(pid: i32) -> Vec<String> {
    let link = |p: String| std::fs::read_link(p).map(|l| l.display().to_string());
    ["net", "user"]
        .iter()
        .filter_map(|ns| {
            let theirs = link(format!("/proc/{pid}/ns/{ns}")).ok()?;
            let ours = link(format!("/proc/self/ns/{ns}")).ok()?;
            (theirs != ours).then_some(theirs)
        })
        .collect()
}

/// Now, in clock ticks since boot (USER_HZ, 100 a second), a tick ahead.
fn now_ticks() -> u64 {
    let up = std::fs::read_to_string("/proc/uptime").unwrap();
    let secs: f64 = up.split_whitespace().next().unwrap().parse().unwrap();
    (secs * 100.0) as u64 + 1
}

/// When the process of `/proc/PID` started, in clock ticks since boot.
fn start_ticks(proc_dir: &Path) -> Option<u64> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Everything on the machine that still refers to one of `ids` (`net:[4026532…]`): a process
/// in it, an open fd, a mount — of a process started by `until` (clock ticks since boot).
fn references(ids: &[String], until: u64) -> Vec<String> {
    let mut found = Vec::new();
    let names = |l: &str| ids.iter().any(|id| l.contains(id.as_str()));
    for proc_dir in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = proc_dir.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let p = proc_dir.path();
        // A namespace's number is given again once it is freed: a process started after the
        // run ended (another test's lab) may hold a new namespace with an old number.
        if start_ticks(&p).is_none_or(|t| t > until) {
            continue;
        }
        let links = ["ns/net", "ns/user"].iter().map(|n| p.join(n));
        let fds = std::fs::read_dir(p.join("fd"))
            .into_iter()
            .flatten()
            .flatten();
        for l in links.chain(fds.map(|e| e.path())) {
            if let Ok(target) = std::fs::read_link(&l) {
                if names(&target.display().to_string()) {
                    found.push(format!("{} → {}", l.display(), target.display()));
                }
            }
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    found.extend(
        mounts
            .lines()
            .filter(|l| names(l))
            .map(|l| format!("mount {l}")),
    );
    found
}

/// Waits (at most PATIENCE) until nothing refers to `ids` any more and `pids` are gone.
fn wait_all_gone(ids: &[String], pids: &[i32]) {
    let ended = now_ticks();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let alive: Vec<i32> = pids.iter().copied().filter(|p| running(*p)).collect();
        let left = references(ids, ended);
        if alive.is_empty() && left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind after {PATIENCE:?}: processes {alive:?}, references {left:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits (bounded) until the run's programs and namespaces are gone, then asserts the machine
/// has nothing lab added since `before`.
fn left_as_it_was(before: &BTreeSet<String>, ids: &[String], pids: &[i32]) {
    wait_all_gone(ids, pids);
    assert_eq!(
        added_by_lab(before),
        Vec::<String>::new(),
        "the machine as it was"
    );
}

/// Whether `pid` is a running process (not gone, not a zombie waiting to be reaped).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().to_string()))
        .is_some_and(|r| !r.starts_with('Z') && !r.starts_with('X'))
}

/// The pid a program wrote into `file`, once it has (bounded wait).
fn pid_in(file: &Path) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            file.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `lab net` with a program on a and one on b, each writing its pid to DIR/HOST.pid first.
fn two_programs(dir: &Path, a: &str, b: &str) -> Proc {
    let on = |host: &str, rest: &str| format!("echo $$ > {}/{host}.pid; {rest}", dir.display());
    // SIGINT at its default, as in a terminal: a test run started in the background inherits
    // it ignored, and lab's programs would then ignore the Ctrl+C the test sends.
    let mut c = lab_with_sigint();
    c.args(["net", "--on", "a", &on("a", a), "--on", "b", &on("b", b)]);
    Proc::spawn(c)
}

/// A run of lab net, its programs' pids and the namespaces they are in.
type Started = (Proc, Vec<i32>, Vec<String>);

/// Waits until both programs have started; None where lab net is refused.
fn started(dir: &Path, mut lab: Proc) -> Option<Started> {
    let deadline = Instant::now() + PATIENCE;
    while !dir.join("a.pid").exists() || !dir.join("b.pid").exists() {
        if lab.child.try_wait().unwrap().is_some() {
            let (_, _, err) = lab.finish();
            assert!(net_refused(&err), "lab net ended early: {err}");
            return None;
        }
        assert!(Instant::now() < deadline, "the programs never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pids = vec![pid_in(&dir.join("a.pid")), pid_in(&dir.join("b.pid"))];
    let mut ids: Vec<String> = pids.iter().flat_map(|p| namespaces_of(*p)).collect();
    ids.sort();
    ids.dedup();
    assert!(
        ids.iter().filter(|i| i.starts_with("net:")).count() == 2,
        "two hosts: {ids:?}"
    );
    Some((lab, pids, ids))
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn lab_net_killed_with_sigkill_takes_its_hosts_devices_and_programs_with_it() {
    let before = machine();
    let dir = temp_dir("net-sigkill");
    let lab = two_programs(&dir, "exec sleep 600", "exec sleep 600");
    let Some((mut lab, pids, ids)) = started(&dir, lab) else {
        return;
    };
    // The run's namespaces are there now, held by lab and its programs.
    assert!(!references(&ids, u64::MAX).is_empty());
    lab.child.kill().unwrap(); // SIGKILL: lab has no say
    lab.child.wait().unwrap();
    left_as_it_was(&before, &ids, &pids);
}

#[test]
fn ctrl_c_ends_the_programs_says_what_the_link_did_and_leaves_nothing() {
    let before = machine();
    let dir = temp_dir("net-ctrl-c");
    // b's program ignores Ctrl+C (an ignored signal stays ignored across exec).
    let lab = two_programs(&dir, "exec sleep 600", "trap '' INT; exec sleep 600");
    let Some((mut lab, pids, ids)) = started(&dir, lab) else {
        return;
    };
    signal(lab.child.id(), "-INT");
    // The first Ctrl+C ends a's program; b's goes on, and so does lab.
    wait_all_gone(&[], &pids[..1]);
    assert!(
        running(pids[1]) && lab.child.try_wait().unwrap().is_none(),
        "b ignores it"
    );
    // The second kills what is left.
    signal(lab.child.id(), "-INT");
    let (_, _, err) = lab.finish();
    assert!(err.contains("the hosts sent"), "the link's summary: {err}");
    left_as_it_was(&before, &ids, &pids);
}

#[test]
fn a_crashed_program_ends_the_run_with_its_signal_and_leaves_nothing() {
    let dir = temp_dir("net-crash");
    let lab = two_programs(&dir, "sleep 0.5; kill -SEGV $$", "exec sleep 0.5");
    let Some((lab, pids, ids)) = started(&dir, lab) else {
        return;
    };
    let (code, _, err) = lab.finish();
    assert_eq!(code, 128 + 11, "a's status, killed by SIGSEGV: {err}");
    assert!(err.contains("the hosts sent"), "the link's summary: {err}");
    wait_all_gone(&ids, &pids);
}

#[test]
fn a_network_kept_up_killed_with_sigkill_leaves_nothing_and_no_stale_file_in_the_way() {
    let dir = temp_dir("net-up-sigkill");
    let up = || {
        let mut c = lab();
        c.env("XDG_RUNTIME_DIR", &*dir)
            .args(["net", "up", "--wire", "off"]);
        Proc::spawn(c)
    };
    let mut first = up();
    let said = first.wait_stderr("lab net exec");
    if net_refused(&said) {
        return;
    }
    let exec = |host: &str, cmd: &str| {
        let out = lab()
            .env("XDG_RUNTIME_DIR", &*dir)
            .args(["net", "exec", host, "--", "sh", "-c", cmd])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let ids: Vec<String> = ["a", "b"]
        .iter()
        .map(|h| exec(h, "readlink /proc/self/ns/net"))
        .collect();
    assert!(ids.iter().all(|i| i.starts_with("net:[")), "{ids:?}");
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    wait_all_gone(&ids, &[]);
    assert!(
        dir.join("lab").join("net").exists(),
        "SIGKILL leaves the file behind"
    );
    // It stands in no one's way: another network comes up, and is the one reached.
    let mut second = up();
    second.wait_stderr("lab net exec");
    let now = exec("a", "readlink /proc/self/ns/net");
    // (The kernel may give the new namespace a freed number again: what tells them apart is
    // who holds it — the second lab.)
    let holder = format!("/proc/{}/", second.child.id());
    assert!(
        references(std::slice::from_ref(&now), u64::MAX)
            .iter()
            .any(|r| r.starts_with(&holder)),
        "lab net exec reached the new network's a ({now}), held by the second lab"
    );
    let out = lab()
        .env("XDG_RUNTIME_DIR", &*dir)
        .args(["net", "link", "loss 1%"])
        .output();
    assert!(
        out.unwrap().status.success(),
        "lab net link reaches the new network"
    );
    signal(second.child.id(), "-INT");
    let (_, _, err) = second.finish();
    assert!(err.contains("the hosts sent"), "{err}");
}
