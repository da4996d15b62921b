//! The wire: lab captures every segment in its own network, and what it shows is what tcpdump
//! reads from the same capture — count, flags, relative seq/ack, lengths and order; nothing
//! missed. Each run is the `lab` binary in a process of its own: the network namespace is made
//! before any thread exists, which a test thread cannot do.

mod common;

use common::events::{events, letters, segments, stderr_events};
use common::run::succeeds;
use common::tcpdump;
use common::{have_tool, lab, temp_dir};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Command;

/// One segment as compared: sender, flags (tcpdump's letters), relative seq and ack, length.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Seen {
    src: String,
    flags: String,
    seq: u64,
    ack: Option<u64>,
    len: u64,
}

/// lab's segment events, in order, from its JSON Lines.
fn lab_segments(json: &str) -> Vec<Seen> {
    segments(&events(json))
        .into_iter()
        .map(|s| {
            let flags = s["flags"].as_str().unwrap().to_string();
            Seen {
                src: s["src"].as_str().unwrap().to_string(),
                ack: flags.contains("ACK").then(|| s["ack"].as_u64().unwrap()),
                flags: letters(&flags),
                seq: s["seq"].as_u64().unwrap(),
                len: s["len"].as_u64().unwrap(),
            }
        })
        .collect()
}

/// tcpdump's reading of the pcap file (`-S`: absolute numbers), made relative to each side's
/// SYN here, independently of lab's own arithmetic.
fn tcpdump_segments(pcap: &std::path::Path) -> Vec<Seen> {
    let text = tcpdump::read(pcap, &["-n", "-S", "-tt"]);
    let mut isn: HashMap<String, u64> = HashMap::new();
    let mut segs = Vec::new();
    for line in text.lines() {
        // 1796522900.899922 IP 127.0.0.1.37334 > 127.0.0.1.33551: Flags [S.], seq 1, ack 2, win …, length 0
        let tcpdump::Line {
            src,
            dst,
            flags,
            len,
        } = tcpdump::Line::of(line);
        let field = |key: &str| {
            line.split(&format!(", {key} "))
                .nth(1)
                .map(|r| r.split([',', ' ']).next().unwrap())
        };
        let seq: u64 = field("seq").map_or(0, |s| s.split(':').next().unwrap().parse().unwrap());
        let ack: Option<u64> = field("ack").map(|a| a.parse().unwrap());
        if flags.contains('S') {
            isn.insert(src.clone(), seq);
        }
        let rel = |n: u64, side: &str| n.wrapping_sub(isn[side]) & 0xffff_ffff;
        // tcpdump leaves out seq on a pure ACK: it is the sender's next byte, as the peer acked.
        let seq = if field("seq").is_some() {
            rel(seq, &src)
        } else {
            u64::MAX
        };
        segs.push(Seen {
            ack: ack.map(|a| rel(a, &dst)),
            src,
            flags,
            seq,
            len,
        });
    }
    segs
}

#[test]
fn every_segment_lab_shows_is_what_tcpdump_reads_from_its_pcap() {
    if !have_tool("tcpdump", "tcpdump") {
        return;
    }
    let dir = temp_dir("wire-pcap");
    for lesson in ["lifecycle", "half-close", "abortive-close", "framing"] {
        let pcap = dir.join(format!("{lesson}.pcap"));
        let out = lab()
            .args([
                "lesson",
                "run",
                lesson,
                "--json",
                "--wire",
                "all",
                "--pcap",
                pcap.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let json = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{lesson}: {stderr}");
        assert!(
            !stderr.contains("no network of lab's own"),
            "{lesson}: {stderr}"
        );
        let ours = lab_segments(&json);
        let theirs = tcpdump_segments(&pcap);
        assert!(ours.len() >= 4, "{lesson}: a handshake and more: {ours:#?}");
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{lesson}: as many segments as tcpdump reads"
        );
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            let b_seq = if b.seq == u64::MAX { a.seq } else { b.seq };
            assert_eq!(
                (&a.src, &a.flags, a.ack, a.len),
                (&b.src, &b.flags, b.ack, b.len),
                "{lesson}: segment {i}"
            );
            assert_eq!(a.seq, b_seq, "{lesson}: segment {i}'s seq");
        }
        let summary = events(&json).into_iter().find(|v| {
            v["actor"] == "wire" && v["note"].as_str().is_some_and(|n| n.starts_with("wire:"))
        });
        let words = summary.expect("a summary line")["note"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            words,
            format!(
                "wire: {} segments captured, all shown, missed: 0",
                ours.len()
            ),
            "{lesson}"
        );
    }
}

#[test]
fn the_close_shows_fin_ack_fin_ack_in_order() {
    let out = lab()
        .args(["lesson", "run", "lifecycle", "--json", "--wire", "all"])
        .output()
        .unwrap();
    let segs = lab_segments(&String::from_utf8(out.stdout).unwrap());
    let flags: Vec<&str> = segs.iter().map(|s| s.flags.as_str()).collect();
    assert_eq!(&flags[..3], ["S", "S.", "."], "the handshake: {flags:?}");
    let fins: Vec<usize> = flags
        .iter()
        .enumerate()
        .filter(|(_, f)| f.contains('F'))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(fins.len(), 2, "{flags:?}");
    for f in fins {
        assert_eq!(
            flags.get(f + 1),
            Some(&"."),
            "each FIN is answered by an ACK: {flags:?}"
        );
        assert_ne!(segs[f].src, segs[f + 1].src, "by the other side");
        assert_eq!(
            segs[f + 1].ack,
            Some(segs[f].seq + 1),
            "acknowledging the FIN"
        );
    }
}

/// `lab lesson run lifecycle` as a student reads it (no colour, in English), with `more`.
fn lifecycle_text(more: &[&str]) -> String {
    let args = [
        "lesson",
        "run",
        "lifecycle",
        "--color",
        "never",
        "--lang",
        "en",
    ];
    let out = succeeds(lab().args(args).args(more));
    String::from_utf8(out.stdout).unwrap()
}

/// The run's last line, as a student reads it, for `--wire MODE`.
fn summary_line(mode: &str) -> String {
    let text = lifecycle_text(&["--wire", mode]);
    let line = text
        .lines()
        .find(|l| l.contains("wire: ") && l.contains("segments captured"))
        .expect("a summary line");
    line[line.find("wire: ").unwrap()..].to_string()
}

#[test]
fn each_wire_mode_says_exactly_what_it_left_out() {
    let all = summary_line("all");
    let n: usize = all["wire: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        all,
        format!("wire: {n} segments captured, all shown, missed: 0")
    );
    let off = summary_line("off");
    assert_eq!(
        off,
        format!(
            "wire: {n} segments captured, not shown: all of them (--wire off; --wire summary or \
             all shows them), missed: 0"
        )
    );
    assert!(!off.contains("ACKs of data"), "{off}");
    let summary = summary_line("summary");
    let hidden = summary
        .split("not shown: ")
        .nth(1)
        .and_then(|r| r.split(' ').next());
    let hidden: usize = hidden.expect(&summary).parse().unwrap();
    assert!(hidden > 0 && hidden < n, "{summary}");
    assert!(
        summary.contains("(ACKs of data only; --wire all shows them)"),
        "{summary}"
    );
}

#[test]
fn the_passive_close_shows_last_ack_as_seen_on_the_wire() {
    let out = lab()
        .args(["lesson", "run", "lifecycle", "--json"])
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    let closes: Vec<Value> = events(&json)
        .into_iter()
        .filter(|v| v["call"] == "close" && v["before"].is_string())
        .collect();
    let wire = |before: &str| {
        let c = closes.iter().find(|c| c["before"] == before).expect(before);
        (c["wire_state"].clone(), c["verdict"].clone())
    };
    // Whatever the table's looks caught (LAST-ACK rarely lasts long enough on lo), the wire
    // saw our FIN leave and its ACK come back after: that is what is claimed, and nothing more.
    assert_eq!(wire("CLOSE-WAIT"), ("LAST-ACK".into(), "agrees".into()));
    assert_eq!(wire("ESTAB"), ("FIN-WAIT-1".into(), "agrees".into()));
    let listener = closes.iter().find(|c| c["before"] == "LISTEN").unwrap();
    assert!(
        listener.get("wire_state").is_none(),
        "a listener sends no FIN"
    );
    let text = lifecycle_text(&[]);
    assert!(
        text.contains("CLOSE-WAIT → (fd gone)      LAST-ACK (on the wire) → ✓ gone"),
        "{text}"
    );
}

#[test]
fn a_pcap_that_cannot_be_written_stops_lab_before_the_lesson() {
    let out = lab()
        .args([
            "lesson",
            "run",
            "lifecycle",
            "--pcap",
            "/nonexistent-dir/x.pcap",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing ran: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--pcap /nonexistent-dir/x.pcap: No such file or directory"),
        "{err}"
    );
}

#[test]
fn a_plain_user_gets_a_network_of_its_own_too() {
    // Run as `nobody` (needs root to switch, and the binary readable by nobody).
    let is_root = nix::unistd::geteuid().is_root();
    if !is_root || !have_tool("su", "util-linux") {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\n*** SKIPPED: needs root to run lab as nobody ***\n",
        );
        return;
    }
    let bin = env!("CARGO_BIN_EXE_lab");
    let lessons = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/lessons/01-lifecycle/01-lifecycle.lesson"
    );
    let cmd = format!("{bin} lesson run {lessons} --json --wire all");
    let out = Command::new("su")
        .args(["nobody", "-s", "/bin/sh", "-c", &cmd])
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("Permission denied") && out.stdout.is_empty() {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("\n*** SKIPPED: nobody cannot run {bin}: {err} ***\n").as_bytes(),
        );
        return;
    }
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("no network of lab's own"), "{err}");
    let segs = lab_segments(&String::from_utf8(out.stdout).unwrap());
    assert!(segs.len() >= 10, "{segs:#?}");
}

/// The numbers in a note: `the kernel dropped 3 packets` → 3.
fn first_number(words: &str, after: &str) -> u64 {
    let rest = &words[words.find(after).expect(words) + after.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect(words)
}

#[test]
fn a_capture_that_cannot_keep_up_says_how_many_segments_it_missed() {
    if !have_tool("python3", "python3") || !have_tool("bash", "bash") {
        return;
    }
    let dir = temp_dir("wire-missed");
    let ready = dir.join("listening");
    let p = |n: &str| format!("{}/tests/programs/{n}", env!("CARGO_MANIFEST_DIR"));
    // A bulk echo, then TCP's own count of the segments it received in lab's network: each
    // was queued to the capture first, or dropped there and counted.
    let script = format!(
        "python3 {} 127.0.0.1 9000 {r} & python3 {} 127.0.0.1 9000 20000 {r}; wait; \
         grep Tcp: /proc/net/snmp",
        p("bulk_echo_server.py"),
        p("bulk_echo_client.py"),
        r = ready.display()
    );
    let out = lab()
        .args(["trace", "--net", "--json", "--", "bash", "-c", &script])
        .env("LAB_CAPTURE_QUEUE", "1") // the kernel keeps one packet waiting at most
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let snmp: Vec<&str> = stdout.lines().filter(|l| l.starts_with("Tcp:")).collect();
    let in_segs: u64 = {
        let (names, values) = (snmp[0].split(' '), snmp[1].split(' '));
        let (_, v) = names
            .zip(values)
            .find(|(n, _)| *n == "InSegs")
            .expect("InSegs");
        v.parse().unwrap()
    };
    let notes: Vec<String> = stderr_events(&out)
        .into_iter()
        .filter(|v| v["actor"] == "wire" && v["kind"] == "note")
        .map(|v| v["note"].as_str().unwrap().to_string())
        .collect();
    let holes: u64 = notes
        .iter()
        .filter(|n| n.contains("fell behind"))
        .map(|n| first_number(n, "dropped"))
        .sum();
    let summary = notes.last().expect("a summary");
    let (captured, missed) = (
        first_number(summary, "wire:"),
        first_number(summary, "missed:"),
    );
    assert!(missed > 0, "a queue of one packet overflows: {summary}");
    assert_eq!(
        holes, missed,
        "each hole is said where it is, and they add up: {notes:#?}"
    );
    assert_eq!(
        captured + missed,
        in_segs,
        "every segment TCP received: {summary}, {snmp:?}"
    );
}

#[test]
fn a_pcap_that_cannot_be_written_stops_lab_trace_before_the_program() {
    let dir = temp_dir("wire-pcap-trace");
    let ran = dir.join("ran");
    let out = lab()
        .args([
            "trace",
            "--net",
            "--pcap",
            "/nonexistent-dir/x.pcap",
            "--",
            "touch",
        ])
        .arg(&ran)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--pcap /nonexistent-dir/x.pcap: No such file or directory"),
        "{err}"
    );
    assert!(!ran.exists(), "the program never started");
}
