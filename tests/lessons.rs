//! The lessons: every one passes `lab lesson check` on this kernel, each one's trace is
//! snapshotted (in its own process, with the shared redactions), and a malformed or wrong
//! lesson is reported as `file:line: …`.

mod common;

use common::{lab, redact, temp_dir};
use std::path::Path;

fn lessons_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

#[test]
fn every_lesson_passes_on_this_kernel() {
    let out = lab().args(["lesson", "check", "--color", "never"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    let files = common::lesson_files(&lessons_dir());
    assert!(files.len() >= 15, "the course needs at least 15 lessons");
    assert!(text.ends_with(&format!("{} passed, 0 failed\n", files.len())), "{text}");
    for topic in [
        "lifecycle",
        "three-way-handshake",
        "connect-before-accept",
        "connection-refused",
        "many-clients",
        "recv-returns-zero",
        "framing",
        "handshake-protocol",
        "half-close",
        "time-wait",
        "reuseaddr",
        "abortive-close",
        "nonblocking",
        "udp-vs-tcp",
        "ipv4-ipv6",
    ] {
        assert!(text.contains(&format!("/{topic} (")), "no lesson '{topic}':\n{text}");
    }
}

#[test]
fn each_lesson_trace_is_snapshotted() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../lessons", "**/*.lesson", |path| {
            // Its own process: fd numbers are the same every run; ports and times are redacted.
            let out = lab()
                .args(["lesson", "run", path.to_str().unwrap(), "--color", "never", "--lang", "en"])
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
            insta::assert_snapshot!(redact(&text, &[]));
        });
    });
}

const HEAD: &str = "title: T\ntitle.es: T\nquestion: Q\nquestion.es: P\n";

#[test]
fn a_malformed_lesson_is_refused_with_file_and_line() {
    let dir = temp_dir("malformed");
    let path = dir.join("01-bad.lesson");
    std::fs::write(&path, format!("{HEAD}srv socket\nsrv listen 8\nsrv frobnicate 3\n")).unwrap();
    let out = lab().args(["lesson", "check", path.to_str().unwrap(), "--color", "never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("{}:7: unknown call 'frobnicate'", path.display())), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
    // Nothing ran: a malformed lesson is rejected before its first step.
    let out = lab().args(["lesson", "run", path.to_str().unwrap(), "--color", "never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_wrong_expectation_fails_with_expected_and_actual() {
    let dir = temp_dir("wrong");
    let path = dir.join("01-wrong.lesson");
    std::fs::write(
        &path,
        format!("{HEAD}srv socket\nsrv bind 127.0.0.1:0 = 0\nsrv listen 8 = 0\ncli socket\ncli connect srv = 0 kernel CLOSE-WAIT\ncli send \"x\" = 2\n"),
    )
    .unwrap();
    let out = lab().args(["lesson", "check", path.to_str().unwrap(), "--color", "never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("{}:9: expected CLOSE-WAIT, kernel reports ESTAB", path.display())), "{text}");
    assert!(text.contains(&format!("{}:10: expected = 2, got = 1", path.display())), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
}

#[test]
fn spanish_by_flag_or_by_lang() {
    let out = lab().args(["lesson", "run", "half-close", "--color", "never", "--lang", "es"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Medio cierre con shutdown()"), "{text}");
    assert!(text.contains("Los datos siguen fluyendo"), "{text}");
    let out = lab().args(["lesson", "list"]).env("LANG", "es_ES.UTF-8").output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("El saludo de tres vías"));
    let out = lab().args(["lesson", "list"]).env("LANG", "C").env_remove("LC_ALL").output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("The three-way handshake"));
}

#[test]
fn diagrams_in_the_terminal_and_as_mermaid() {
    let dir = temp_dir("diagram");
    let mmd = dir.join("lifecycle.mmd");
    let out = lab()
        .args(["lesson", "run", "lifecycle", "--color", "never", "--diagram", "--mermaid", mmd.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  srv") && text.contains("cli"), "{text}");
    assert!(text.contains("─ SYN ─") && text.contains(" FIN ") && text.contains("\"hola\\n\" (5 bytes)"), "{text}");
    let m = std::fs::read_to_string(&mmd).unwrap();
    assert!(m.starts_with("sequenceDiagram\n    participant srv\n    participant conn\n    participant cli\n"), "{m}");
    assert!(m.contains("cli->>srv: SYN") && m.contains("srv->>cli: SYN-ACK") && m.contains("cli->>conn: FIN"), "{m}");
}

/// The terminal diagram's rows drawn on column `col` (its `●` at that character), as text.
fn on_column(diagram: &str, col: usize) -> Vec<String> {
    diagram
        .lines()
        .filter(|l| l.chars().nth(col) == Some('●'))
        .map(|l| l.chars().skip(col + 2).collect::<String>().split("  ").next().unwrap_or("").trim().to_string())
        .collect()
}

/// The states an SVG bands the lifeline at `x` with (each band a `<rect x=…>` with its title).
fn bands_at(svg: &str, x: usize) -> Vec<String> {
    svg.split("<rect ")
        .skip(1)
        .filter(|r| r.starts_with(&format!("x=\"{}\"", x - 7)))
        .filter_map(|r| r.split("<title>").nth(1)?.split('<').next().map(str::to_string))
        .collect()
}

#[test]
fn the_accepted_socket_has_its_own_lifeline_and_the_listener_stays_listen() {
    let dir = temp_dir("lifeline");
    let (mmd, svg, html) = (dir.join("r.mmd"), dir.join("r.svg"), dir.join("r.html"));
    let out = lab()
        .args(["lesson", "run", "reuseaddr", "--color", "never", "--diagram", "--mermaid"])
        .args([&mmd, Path::new("--svg"), &svg, Path::new("--html"), &html])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let diagram = &text[text.rfind("\n  srv").expect("the diagram's head") + 1..];
    let head = diagram.lines().next().unwrap();
    let (srv, conn) = (head.find("srv").unwrap(), head.find("conn").expect("a lifeline for the accepted socket"));
    let listener = on_column(diagram, srv);
    assert_eq!(listener.iter().filter(|r| r.starts_with("close()")).count(), 1, "one close() each: {listener:?}");
    assert!(listener.iter().all(|r| !r.contains("ESTAB") && !r.contains("CLOSE-WAIT")), "{listener:?}");
    let connection = on_column(diagram, conn);
    assert!(connection.first().is_some_and(|r| r.contains("accepted: ESTAB")), "{connection:?}");
    assert!(connection.iter().any(|r| r.starts_with("close()")), "{connection:?}");

    let m = std::fs::read_to_string(&mmd).unwrap();
    assert!(m.contains("participant srv\n    participant conn\n"), "{m}");
    let over_srv: Vec<&str> = m.lines().filter(|l| l.contains("Note over srv:")).collect();
    assert_eq!(over_srv.iter().filter(|l| l.contains("close()")).count(), 1, "{m}");
    assert!(over_srv.iter().all(|l| !l.contains("ESTAB")), "{m}");
    assert!(m.contains("conn->>cli: FIN"), "{m}");

    // The pictures band the listener LISTEN (after CLOSE) and nothing else, and the page holds
    // the same picture.
    let svg = std::fs::read_to_string(&svg).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    let x = |name: &str| -> usize {
        let at = svg.find(&format!(">{name}</text>")).unwrap();
        let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
        tag.split("x=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
    };
    for picture in [&svg, &page] {
        assert_eq!(bands_at(picture, x("srv")), ["CLOSE", "LISTEN"], "the listener's bands");
        let conn_bands = bands_at(picture, x("conn"));
        assert!(conn_bands.contains(&"ESTAB".to_string()) && conn_bands.contains(&"TIME-WAIT".to_string()));
    }
}

#[test]
fn json_lines_carry_the_checks_too() {
    let out = lab().args(["lesson", "run", "connection-refused", "--json"]).output().unwrap();
    assert!(out.status.success());
    let events: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let refused = events.iter().find(|e| e["call"] == "connect").unwrap();
    assert_eq!(refused["errno"], "ECONNREFUSED");
    assert!(events.iter().any(|e| e["kind"] == "check" && e["verdict"] == "agrees"));
    assert!(events.iter().all(|e| e["verdict"] != "differs"));
}

#[test]
fn show_prints_the_parsed_lesson_line_by_line_as_written() {
    for path in common::lesson_files(&lessons_dir()) {
        let out = lab().args(["lesson", "show", path.to_str().unwrap(), "--color", "never"]).output().unwrap();
        assert!(out.status.success());
        let shown = String::from_utf8(out.stdout).unwrap();
        let file = std::fs::read_to_string(&path).unwrap();
        // Every line of the file: the headers (first, in any order), then the steps, notes and
        // comments in the file's order. Spacing may differ (notes are aligned).
        let squash = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        let is_header = |l: &String| ["title", "question", "explain"].iter().any(|h| l.starts_with(h));
        let split = |text: &str| {
            let lines: Vec<String> = text.lines().map(squash).filter(|l| !l.is_empty()).collect();
            let (mut heads, rest): (Vec<String>, Vec<String>) = lines.into_iter().partition(is_header);
            heads.sort();
            (heads, rest)
        };
        assert_eq!(split(&shown), split(&file), "{}", path.display());
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_printing_quietly() {
    // `lab lesson show X | head -1`: the reader is gone before lab prints; lab must end as
    // `ls | head` does (SIGPIPE), not panic on the broken pipe.
    for args in [&["lesson", "show", "lifecycle"][..], &["lesson", "list"], &["lesson", "run", "lifecycle"]] {
        let mut child =
            lab().args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_missing_lessons_folder_is_an_error_in_words() {
    for cmd in [&["lesson", "list"][..], &["lesson", "check"], &["lesson", "run", "lifecycle"]] {
        let out = lab().args(cmd).env("LAB_LESSONS", "/nonexistent/lessons").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no lessons folder at /nonexistent/lessons"), "{cmd:?}: {err}");
    }
}

#[test]
fn a_mistyped_lesson_name_gets_a_suggestion() {
    let out = lab().args(["lesson", "run", "lifecyle"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean 'lifecycle'?"));
}

#[test]
fn spanish_is_global_for_what_lab_itself_says() {
    let out = lab().args(["--lang", "es", "lesson", "check", "framing"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 bien, 0 mal"), "{out:?}");
    let out = lab().args(["lesson", "run", "framing", "--color", "never"]).env("LANG", "es_ES.UTF-8").output().unwrap();
    let (trace, summary) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(trace.lines().next().is_some_and(|h| h.contains("tiempo ms") && h.contains("llamada")), "{trace}");
    assert!(summary.contains("lección framing: todas las expectativas se cumplen"), "{summary}");
    let out = lab().args(["--lang", "es", "lesson", "run", "framin"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("¿querías decir 'framing'?"));
}
