//! Causal order across processes: a `recv()` that returned bytes is printed after the `send()`
//! that wrote them and after the segment that carried them — with both ends traced in two
//! processes (`lab trace --net`) and on two hosts joined by lab's link (`lab net`). The send's
//! exit and the peer's recv's exit are two ptrace stops seen in either order; the send keeps
//! the place it took at its entry, and the segment is queued to the capture before TCP hands
//! its bytes to anyone.

mod common;

use common::events::stderr_events;
use common::run::{lab_net, program};
use common::{have_tool, lab, temp_dir};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Output;

/// Every place where a `recv()` is printed before the bytes it returned were sent, or before
/// a segment carried them: by each direction's byte offsets (what sends wrote, what segments
/// carried and what recvs returned so far, in the trace's order).
fn out_of_order(evs: &[Value]) -> Vec<String> {
    type Way = (String, String);
    let (mut sent, mut carried, mut got) = (
        HashMap::<Way, u64>::new(),
        HashMap::<Way, u64>::new(),
        HashMap::<Way, u64>::new(),
    );
    let mut bad = Vec::new();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    for e in evs {
        if let Some(seg) = e.get("segment").filter(|s| s.is_object()) {
            let (seq, len) = (seg["seq"].as_u64().unwrap(), seg["len"].as_u64().unwrap());
            let end = carried.entry((s(&seg["src"]), s(&seg["dst"]))).or_default();
            if len > 0 {
                *end = (*end).max(seq - 1 + len);
            }
            continue;
        }
        let ret = e["ret"].as_i64().unwrap_or(0);
        if e["kind"] != "call" || ret <= 0 || !e["peer"].is_string() {
            continue;
        }
        let call = e["call"].as_str().unwrap_or_default();
        if ["sendto", "send", "write", "sendmsg", "writev"].contains(&call) {
            *sent.entry((s(&e["local"]), s(&e["peer"]))).or_default() += ret as u64;
        } else if ["recvfrom", "recv", "read", "recvmsg", "readv"].contains(&call) {
            let way = (s(&e["peer"]), s(&e["local"]));
            let upto = got.entry(way.clone()).or_default();
            *upto += ret as u64;
            let (w, c) = (sent.get(&way).copied(), carried.get(&way).copied());
            if w.unwrap_or(0) < *upto || c.unwrap_or(0) < *upto {
                bad.push(format!(
                    "#{} {call} returned bytes up to {upto} of {} → {}, but only {w:?} were sent \
                     and {c:?} carried above it",
                    e["seq"], way.0, way.1
                ));
            }
        }
    }
    bad
}

/// How many bytes the recvs of a run returned in all (a run that exchanged nothing proves
/// nothing).
fn received(evs: &[Value]) -> i64 {
    evs.iter()
        .filter(|e| e["kind"] == "call" && e["peer"].is_string())
        .filter(|e| e["call"].as_str().is_some_and(|c| c.starts_with("recv")))
        .filter_map(|e| e["ret"].as_i64())
        .filter(|r| *r > 0)
        .sum()
}

/// Run `run` of an echo (5 lines of 29 bytes each way): that every byte came back and was
/// traced, and what of it the trace shows out of causal order.
fn echoed_out_of_order(run: usize, out: &Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("echo ok"), "run {run}: {stdout}");
    let evs = stderr_events(out);
    assert!(
        received(&evs) >= 2 * 5 * 29,
        "run {run}: every byte, both ways"
    );
    out_of_order(&evs)
        .into_iter()
        .map(|b| format!("run {run}: {b}"))
        .collect()
}

/// One echo over lo in lab's network: a Python server and client, two processes, one trace.
fn trace_echo(run: usize) -> Output {
    let dir = temp_dir(&format!("causal-{run}"));
    let ready = dir.join("listening");
    let (server, client) = (
        program("bulk_echo_server.py"),
        program("bulk_echo_client.py"),
    );
    let (server, client, ready) = (server.display(), client.display(), ready.display());
    let script = format!(
        "python3 {server} 127.0.0.1 9000 {ready} & \
         python3 {client} 127.0.0.1 9000 5 one-by-one {ready}; wait"
    );
    lab()
        .args(["trace", "--net", "--json", "--", "bash", "-c", &script])
        .output()
        .expect("run lab trace")
}

#[test]
fn no_recv_precedes_its_send_or_its_segment_in_fifty_two_process_traces() {
    if !have_tool("python3", "python3") || !have_tool("bash", "bash") {
        return;
    }
    // Two runs at a time: the order must hold however the two processes' stops interleave.
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                s.spawn(move || {
                    let mut bad = Vec::new();
                    for run in (w..50).step_by(2) {
                        bad.extend(echoed_out_of_order(run, &trace_echo(run)));
                    }
                    bad
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} out of causal order:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_check_itself_catches_a_recv_above_its_send() {
    // The assertion above must be able to fail: a recv printed above the send that wrote it.
    let ev = |seq: u64, call: &str, local: &str, peer: &str| {
        serde_json::json!({"seq": seq, "kind": "call", "call": call, "ret": 5,
                           "local": local, "peer": peer})
    };
    let seg = serde_json::json!({"kind": "segment", "segment":
        {"src": "10.0.0.1:1", "dst": "10.0.0.2:2", "seq": 1, "len": 5}});
    let ok = [
        ev(1, "sendto", "10.0.0.1:1", "10.0.0.2:2"),
        seg.clone(),
        ev(3, "recvfrom", "10.0.0.2:2", "10.0.0.1:1"),
    ];
    assert!(out_of_order(&ok).is_empty());
    let recv_first = [
        seg.clone(),
        ev(2, "recvfrom", "10.0.0.2:2", "10.0.0.1:1"),
        ev(3, "sendto", "10.0.0.1:1", "10.0.0.2:2"),
    ];
    assert_eq!(out_of_order(&recv_first).len(), 1);
    let before_segment = [
        ev(1, "sendto", "10.0.0.1:1", "10.0.0.2:2"),
        ev(2, "recvfrom", "10.0.0.2:2", "10.0.0.1:1"),
        seg,
    ];
    assert_eq!(out_of_order(&before_segment).len(), 1);
}

/// The same echo between hosts a and b over lab's link (`lab net`), or `None` where this
/// machine refuses the namespaces (said loudly).
fn net_echo(run: usize) -> Option<Output> {
    let dir = temp_dir(&format!("causal-net-{run}"));
    let ready = dir.join("listening");
    let (server, client) = (
        program("bulk_echo_server.py"),
        program("bulk_echo_client.py"),
    );
    let (server, client, ready) = (server.display(), client.display(), ready.display());
    lab_net(
        lab()
            .args(["net", "--json", "--on", "a"])
            .arg(format!("python3 {server} 0.0.0.0 9000 {ready}"))
            .args(["--on", "b"])
            .arg(format!(
                "python3 {client} 10.0.0.1 9000 5 one-by-one {ready}"
            )),
    )
}

#[test]
fn under_lab_net_no_recv_precedes_the_sendto_that_wrote_it() {
    if !have_tool("python3", "python3") {
        return;
    }
    let mut bad = Vec::new();
    for run in 0..10 {
        let Some(out) = net_echo(run) else { return };
        bad.extend(echoed_out_of_order(run, &out));
    }
    assert!(
        bad.is_empty(),
        "{} out of causal order:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
