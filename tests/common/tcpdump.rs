//! Reading a pcap file with tcpdump, lab's own arithmetic left out: what a test compares lab's
//! trace with.

use std::path::Path;
use std::process::Command;

/// `tcpdump -r PCAP ARGS`: one line a packet.
pub fn read(pcap: &Path, args: &[&str]) -> String {
    let out = Command::new("tcpdump")
        .arg("-r")
        .arg(pcap)
        .args(args)
        .output()
        .expect("run tcpdump");
    assert!(
        out.status.success(),
        "tcpdump -r: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One TCP line's sender and receiver (`ip:port`), flags (tcpdump's letters) and length:
/// `04:23:22.316 IP 10.0.0.2.57812 > 10.0.0.1.9000: Flags [S], seq …, length 0`.
pub struct Line {
    pub src: String,
    pub dst: String,
    pub flags: String,
    pub len: u64,
}

impl Line {
    pub fn of(line: &str) -> Line {
        let words: Vec<&str> = line.split_whitespace().collect();
        let flags = line
            .split("Flags [")
            .nth(1)
            .unwrap()
            .split(']')
            .next()
            .unwrap();
        let len = line
            .rsplit("length ")
            .next()
            .unwrap()
            .split([' ', ':'])
            .next()
            .unwrap();
        Line {
            src: dotted(words[2]),
            dst: dotted(words[4].trim_end_matches(':')),
            flags: flags.to_string(),
            len: len.parse().unwrap(),
        }
    }
}

/// `127.0.0.1.8888` → `127.0.0.1:8888`.
fn dotted(s: &str) -> String {
    let (ip, port) = s.rsplit_once('.').unwrap();
    format!("{ip}:{port}")
}
