//! Reading lab's JSON Lines (`--json`): its events, and the segments among them.

use serde_json::Value;
use std::process::Output;

/// The events among `text`'s lines: each line that is a JSON object with a `kind`. Other lines
/// are passed over — where lab writes its trace to stderr, the traced programs write there too.
pub fn events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["kind"].is_string())
        .collect()
}

/// The events of a run whose trace went to stderr, beside the programs' own lines.
pub fn stderr_events(out: &Output) -> Vec<Value> {
    events(&String::from_utf8_lossy(&out.stderr))
}

/// Every line of `text` as JSON, failing the test at the first that is not.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The segments among `evs`, in the trace's order.
pub fn segments(evs: &[Value]) -> Vec<&Value> {
    evs.iter()
        .filter(|e| e["kind"] == "segment")
        .map(|e| &e["segment"])
        .collect()
}

/// lab's flag names as tcpdump's letters: `SYN,ACK` → `S.`.
pub fn letters(flags: &str) -> String {
    let has = |name: &str| flags.split(',').any(|f| f == name);
    let mut out: String = [
        ("FIN", 'F'),
        ("SYN", 'S'),
        ("RST", 'R'),
        ("PSH", 'P'),
        ("URG", 'U'),
        ("ECE", 'E'),
        ("CWR", 'W'),
    ]
    .iter()
    .filter(|(name, _)| has(name))
    .map(|(_, l)| *l)
    .collect();
    if has("ACK") {
        out.push('.');
    }
    out
}

/// Waits (bounded) until the JSON Lines trace at `path` holds an event `found` picks; returns
/// every event it holds then.
pub fn wait_event(path: &std::path::Path, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + super::PATIENCE;
    loop {
        let evs = events(&std::fs::read_to_string(path).unwrap_or_default());
        if evs.iter().any(&found) {
            return evs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} never showed the event; it has: {evs:#?}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
