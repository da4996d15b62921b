//! `lab net up`: a network kept up until Ctrl+C, its wire printed live, for a student to use
//! from other terminals — `lab server` on host a, `nc` or a seed's client on host b — while the
//! link's rules change underneath (`lab net link 'loss 30%'`, `partition`, `heal`).

use super::host::DEFAULT_NAMES;
use super::link::Link;
use super::run::{host_tables, make_hosts, watch_link, WireOut};
use super::session::{self, Running};
use super::spec;
use crate::i18n::{f, M};
use crate::trace::Tracer;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixListener;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Keeps the network up until `stop` is set (Ctrl+C), then takes it down: the hosts and their
/// devices go with lab, and so do the file and socket other terminals found it by.
/// `wire` says which packets are shown and written to a pcap file (`--wire off` and no file:
/// the link at full speed).
pub fn up(
    rules: &str,
    seed: u64,
    mtu: u32,
    wire: WireOut,
    tracer: &Arc<Tracer>,
    stop: &AtomicBool,
) -> Result<(), String> {
    if let Ok(other) = Running::find() {
        return Err(format!(
            "a network is already up (lab, pid {}): one at a time",
            other.pid
        ));
    }
    let names: Vec<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
    let spec = spec::parse(rules, &DEFAULT_NAMES).map_err(|e| e.to_string())?;
    let hosts = make_hosts(&names, mtu)?;
    if let Some(table) = tracer.table() {
        table.add_hosts(host_tables(&hosts)?);
    }
    publish(&hosts)?;
    let link = Arc::new(Mutex::new(Link::new(spec.clauses, seed)));
    listen_for_rules(link.clone(), tracer.clone())?;
    let shown = hosts
        .iter()
        .map(|h| format!("{} {}", h.name, h.v4))
        .collect::<Vec<_>>()
        .join(", ");
    tracer.note(
        "lab",
        &f(
            M::NetUp,
            &[&shown, &if rules.trim().is_empty() { "-" } else { rules }],
        ),
    );
    let counts = watch_link(&hosts, &link, stop, tracer, wire);
    tracer.note("lab", &counts.summary());
    let _ = std::fs::remove_file(session::dir().join("net"));
    let _ = std::fs::remove_file(session::control_path());
    Ok(())
}

/// Writes where the network is (lab's pid, its hosts' names, addresses and namespaces) into
/// the file other terminals find it by: `lab net exec`, `lab sockets --host`.
fn publish(hosts: &[super::host::Host]) -> Result<(), String> {
    let pid = std::process::id() as i32;
    let running = Running {
        pid,
        started: session::start_time(pid).unwrap_or(0),
        userns: !nix::unistd::getuid().is_root(),
        hosts: hosts
            .iter()
            .map(|h| (h.name.clone(), h.v4, h.netns().as_raw_fd()))
            .collect(),
    };
    running
        .publish()
        .map_err(|e| format!("{}: {e}", session::dir().display()))
}

/// A thread that takes `lab net link` commands for as long as lab runs; each change is said in
/// the trace, where the segments it drops or lets through are.
fn listen_for_rules(link: Arc<Mutex<Link>>, tracer: Arc<Tracer>) -> Result<(), String> {
    let path = session::control_path();
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::thread::spawn(move || {
        session::serve_control(listener, |line| {
            let now = change(&link, line, &DEFAULT_NAMES);
            if let Ok(rules) = &now {
                tracer.note("link", &f(M::LessonLinkNow, &[rules]));
            }
            now
        })
    });
    Ok(())
}

/// One `lab net link` line: new rules for the link, or `heal`.
pub(super) fn change(link: &Mutex<Link>, line: &str, hosts: &[&str]) -> Result<String, String> {
    let spec = spec::parse(line, hosts).map_err(|e| e.to_string())?;
    let mut link = link.lock().unwrap_or_else(|e| e.into_inner());
    if spec.heal {
        link.heal();
    } else {
        link.set_rules(spec.clauses);
    }
    let now: Vec<String> = link.rules().iter().map(|c| c.to_string()).collect();
    Ok(if now.is_empty() {
        crate::i18n::t(crate::i18n::M::LinkPerfect).into()
    } else {
        now.join(", ")
    })
}
