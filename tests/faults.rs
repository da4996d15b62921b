//! `--short-reads` and `--short-writes`: lab shortens a traced program's reads and writes on
//! sockets, as TCP may always do, and says so — so a program that takes one send() for one
//! recv() fails at once, and one that loops as it should does not.
//!
//! Needs `python3` (apt-get install python3); without it these tests are skipped, loudly.

mod common;

use common::run::program;
use common::{have_tool, lab};

/// `lab trace [ARGS] -- python3 framing_bug.py`: its status, what it printed, the trace.
fn trace(args: &[&str]) -> (i32, String, String) {
    trace_program(args, "framing_bug.py")
}

fn trace_program(args: &[&str], name: &str) -> (i32, String, String) {
    let out = lab()
        .arg("trace")
        .args(args)
        .arg("--")
        .arg("python3")
        .arg(program(name))
        .output()
        .expect("run lab");
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn a_program_that_takes_one_recv_for_one_message_fails_at_once_under_short_reads() {
    if !have_tool("python3", "python3") {
        return;
    }
    let (status, said, _) = trace(&[]);
    assert_eq!(
        (status, said.trim()),
        (0, "the server got the whole message"),
        "unaltered, loopback hides it"
    );
    let (status, said, trace) = trace(&["--short-reads=2"]);
    assert_eq!(status, 1, "{said}");
    assert!(
        said.contains("the server got a part of the message"),
        "{said}"
    );
    let note = trace
        .lines()
        .find(|l| l.contains("lab shortened this recvfrom() to"))
        .expect(&trace);
    let n: usize = note
        .split(" to ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..33).contains(&n),
        "a part of the 33-byte message: {note}"
    );
    // The call is shown as the kernel got it: with the shortened length.
    let call = trace
        .lines()
        .find(|l| l.contains("recvfrom(") && l.contains(&format!(", {n}, 0)")))
        .expect(&trace);
    assert!(
        call.contains(&format!("= {n}")),
        "it returned what it was allowed: {call}"
    );
}

#[test]
fn a_program_that_loops_on_send_survives_short_writes() {
    if !have_tool("python3", "python3") {
        return;
    }
    let (status, said, trace) = trace(&["--short-writes=3"]);
    assert_eq!(
        (status, said.trim()),
        (0, "the server got the whole message"),
        "{trace}"
    );
    let shortened = trace
        .lines()
        .filter(|l| l.contains("lab shortened this sendto()"))
        .count();
    let sends = trace.lines().filter(|l| l.contains("sendto(")).count();
    assert!(
        shortened >= 1 && sends > 1,
        "sendall() sent the rest in more calls: {trace}"
    );
}

#[test]
fn the_same_seed_cuts_the_same_way() {
    if !have_tool("python3", "python3") {
        return;
    }
    let cut = |seed: &str| {
        let (_, said, _) = trace(&[&format!("--short-reads={seed}")]);
        said
    };
    assert_eq!(cut("7"), cut("7"));
}

#[test]
fn eintr_interrupts_calls_that_may_wait_and_a_program_that_retries_gets_through() {
    if !have_tool("python3", "python3") {
        return;
    }
    let (status, said, trace) = trace_program(&["--eintr=4"], "retries_on_eintr.py");
    assert_eq!((status, said.trim()), (0, "got b'hola\\n'"), "{trace}");
    let lines: Vec<&str> = trace.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("= -1 EINTR"))
        .expect(&trace);
    assert!(
        lines[at - 1].contains("lab interrupted this"),
        "the note comes first: {}",
        lines[at - 1]
    );
    let call = lines[at]
        .split('(')
        .next()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap();
    assert!(
        lines[at + 1..]
            .iter()
            .any(|l| l.contains(&format!("{call}(")) && !l.contains("EINTR")),
        "{call} was made again"
    );
}
