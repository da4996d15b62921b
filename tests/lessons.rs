//! The lessons: every one passes `lab lesson check` on this kernel, each one's trace is
//! snapshotted (in its own process, with the shared redactions), and a malformed or wrong
//! lesson is reported as `file:line: …`.

mod common;

use common::events::json_lines;
use common::run::{check_lesson, check_lesson_cmd, succeeds};
use common::{lab, redact, temp_dir};
use std::path::Path;

fn lessons_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

#[test]
fn every_lesson_passes_on_this_kernel() {
    let out = lab()
        .args(["lesson", "check", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    let files = common::lesson_files(&lessons_dir());
    assert!(files.len() >= 15, "the course needs at least 15 lessons");
    assert!(
        text.ends_with(&format!("{} passed, 0 failed\n", files.len())),
        "{text}"
    );
    // Every lesson in every language: no "not in Portuguese (shown in English)" warning.
    assert!(!text.contains("(shown in "), "{text}");
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
        // Over lab's lossy link, between two hosts (issue 22).
        "lost-segment",
        "fast-retransmit",
        "lost-syns",
        "drop-or-reject",
        "flow-control",
        "nagle-delayed-ack",
        "one-send-many-recvs",
        "keepalive",
        "send-returned",
        "reorder-and-duplicates",
    ] {
        assert!(
            text.contains(&format!("/{topic} (")),
            "no lesson '{topic}':\n{text}"
        );
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
                .args([
                    "lesson",
                    "run",
                    path.to_str().unwrap(),
                    "--color",
                    "never",
                    "--lang",
                    "en",
                ])
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            insta::assert_snapshot!(redact(&text, &[]));
        });
    });
}

const HEAD: &str = "title: T\ntitle.es: T\nquestion: Q\nquestion.es: P\n";

/// Writes a lesson of these `steps` (under [`HEAD`]) to `path` and checks it, which fails:
/// what the check printed on stdout, and on stderr.
fn failed_check(path: &Path, steps: &str) -> (String, String) {
    std::fs::write(path, format!("{HEAD}{steps}")).unwrap();
    let out = check_lesson(path);
    assert_eq!(out.status.code(), Some(1));
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_malformed_lesson_is_refused_with_file_and_line() {
    let dir = temp_dir("malformed");
    let path = dir.join("01-bad.lesson");
    let (text, _) = failed_check(&path, "srv socket\nsrv listen 8\nsrv frobnicate 3\n");
    assert!(
        text.contains(&format!("{}:7: unknown call 'frobnicate'", path.display())),
        "{text}"
    );
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
    // Nothing ran: a malformed lesson is rejected before its first step.
    let out = lab()
        .args(["lesson", "run", path.to_str().unwrap(), "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

/// A blocking connect() nobody answers — every SYN lost, the default retries: about 127 s —
/// is interrupted after lab's bound (10 s) instead of holding the class: the trace shows the
/// EINTR it returned, in SYN-SENT as the kernel's table confirms, and the step fails on its
/// line saying why. Nothing of the socket was changed (no TCP_SYNCNT set by lab): its SYN kept
/// being sent meanwhile, as the wire shows.
#[test]
fn a_connect_nobody_answers_is_interrupted_and_fails_on_its_line() {
    let dir = temp_dir("connect-forever");
    let path = dir.join("01-no-answer.lesson");
    let steps = "hosts: a b\nlink: b>a drop SYN 100\n\
                 sysctl: net.ipv4.tcp_syn_linear_timeouts=0\n\n\
                 srv socket on a\nsrv bind a:9000 = 0\nsrv listen 8 = 0\n\
                 cli socket on b\ncli connect srv = 0\ncli send \"x\" = 1\n";
    std::fs::write(&path, format!("{HEAD}{steps}")).unwrap();
    let start = std::time::Instant::now();
    let out = lab()
        .args(["lesson", "run", path.to_str().unwrap(), "--color", "never"])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    if common::run::net_refused(&err) {
        return;
    }
    // Its kernel would have given up only after about 127 s.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(60),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1), "{text}{err}");
    let connect = text
        .lines()
        .find(|l| l.contains("connect("))
        .unwrap_or_default();
    assert!(
        connect.contains("= -1 EINTR") && connect.contains("✓ SYN-SENT"),
        "{text}"
    );
    let why = format!(
        "{}:13: connect() on cli waited too long: its handshake did not finish in 10 s",
        path.display()
    );
    assert!(text.contains(&why), "{text}");
    let retransmitted = text.lines().filter(|l| l.contains("SYN seq=0")).count();
    assert!(
        retransmitted >= 3,
        "the SYN was sent again meanwhile: {text}"
    );
    // A send() on it waits for the handshake, not for room in the buffers: said so.
    let send = format!(
        "{}:14: send() on cli waited too long: its connection is still in its handshake",
        path.display()
    );
    assert!(text.contains(&send), "{text}");
}

#[test]
fn a_malformed_lesson_with_a_5_mb_token_is_reported_in_a_few_words() {
    let dir = temp_dir("malformed-big");
    let path = dir.join("01-big.lesson");
    let big = "A".repeat(5 << 20);
    // The token where a call, an address, a state, an errno, a result and a header are expected.
    let bodies = [
        format!("srv {big}\n"),
        format!("srv bind {big} = 0\n"),
        format!("srv listen 8 = 0 state {big}\n"),
        format!("srv listen 8 = -1 {big}\n"),
        format!("srv listen 8 = {big}\n"),
        format!("{big}: x\n"),
        format!("srv listen 8 = 0 {big}\n"),
    ];
    for body in bodies {
        let (out, err) = failed_check(&path, &format!("srv socket\n{body}"));
        let text = out + &err;
        assert!(text.len() < 1000, "{} bytes: {}…", text.len(), &text[..300]);
        assert!(text.contains(&format!("{}:6: ", path.display())), "{text}");
        assert!(
            text.contains(&format!("AAAA… ({} bytes)", big.len())),
            "{text}"
        );
    }
}

/// A lesson whose blocking step waits for what never comes fails on that step's line, saying
/// what it waited for, within the runner's bound — it never hangs the class. A `recv N waitall`
/// returns only with all N bytes: 5 of 100 arriving is not enough; a blocking `send` waits for
/// room that a peer that does not read never makes.
#[test]
fn a_step_waiting_for_what_never_comes_fails_with_its_line_instead_of_hanging() {
    let dir = temp_dir("forever");
    let path = dir.join("01-forever.lesson");
    let steps = "srv socket\nsrv bind 127.0.0.1:0 = 0\nsrv listen 8 = 0\ncli socket\n\
                 cli connect srv = 0\nsrv accept -> conn = ...\ncli send \"hello\" = 5\n\
                 conn recv 100 waitall = 100\ncli recv 10 = ...\nsrv accept -> other = ...\n\
                 conn recv 5 waitall = \"hello\"\n\
                 s2 socket\ns2 setsockopt SO_RCVBUF 4096 = 0\ns2 bind 127.0.0.1:0 = 0\n\
                 s2 listen 8 = 0\nc2 socket\nc2 setsockopt SO_SNDBUF 4096 = 0\n\
                 c2 connect s2 = 0\ns2 accept -> r2 = ...\nc2 send \"x\" * 1048576 = 1048576\n";
    std::fs::write(&path, format!("{HEAD}{steps}")).unwrap();
    let mut child = check_lesson_cmd(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Four steps stopped after a few seconds each: a minute means it hung.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("lab lesson check {} hung", path.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let at = |line: usize| format!("{}:{line}: ", path.display());
    let expected = [
        format!(
            "{}recv() on conn with MSG_WAITALL would wait forever: it waits for all 100 bytes, \
             and 5 had arrived after 3 s",
            at(12)
        ),
        format!("{}recv() would wait forever: nothing will arrive", at(13)),
        format!(
            "{}accept() would wait forever: no connection is waiting on srv",
            at(14)
        ),
    ];
    for e in expected {
        assert!(text.contains(&e), "{e:?} not in:\n{text}");
    }
    // A send() far bigger than both buffers, to a peer that does not read: interrupted.
    let send = format!(
        "{}send() on c2 would wait forever: the buffers hold no more",
        at(24)
    );
    assert!(text.contains(&send), "{text}");
    assert!(text.contains("of 1048576 bytes after 3 s"), "{text}");
    // The bytes that did arrive are still there, for a recv() that asks for no more.
    assert!(!text.contains(&at(15)), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
}

#[test]
fn a_wrong_expectation_fails_with_expected_and_actual() {
    let dir = temp_dir("wrong");
    let path = dir.join("01-wrong.lesson");
    let (text, _) = failed_check(
        &path,
        "srv socket\nsrv bind 127.0.0.1:0 = 0\nsrv listen 8 = 0\ncli socket\n\
         cli connect srv = 0 kernel CLOSE-WAIT\ncli send \"x\" = 2\n",
    );
    assert!(
        text.contains(&format!(
            "{}:9: expected CLOSE-WAIT, kernel reports ESTAB",
            path.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:10: expected = 2, got = 1", path.display())),
        "{text}"
    );
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
}

#[test]
fn spanish_by_flag_or_by_lang() {
    let out = lab()
        .args([
            "lesson",
            "run",
            "half-close",
            "--color",
            "never",
            "--lang",
            "es",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Medio cierre con shutdown()"), "{text}");
    assert!(text.contains("Los datos siguen fluyendo"), "{text}");
    let out = lab()
        .args(["lesson", "list"])
        .env("LANG", "es_ES.UTF-8")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("El saludo de tres vías"));
    let out = lab()
        .args(["lesson", "list"])
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("The three-way handshake"));
}

#[test]
fn diagrams_in_the_terminal_and_as_mermaid() {
    let dir = temp_dir("diagram");
    let mmd = dir.join("lifecycle.mmd");
    let out = lab()
        .args([
            "lesson",
            "run",
            "lifecycle",
            "--color",
            "never",
            "--diagram",
            "--mermaid",
            mmd.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  srv") && text.contains("cli"), "{text}");
    let m = std::fs::read_to_string(&mmd).unwrap();
    assert!(
        m.starts_with(
            "sequenceDiagram\n    participant srv\n    participant conn\n    participant cli\n"
        ),
        "{m}"
    );
    // Where lab's own network captured the wire, each arrow is a segment seen on it; where it
    // could not, each is inferred from the calls, dashed and said to be.
    if text.contains(" wire 127.0.0.1:") {
        assert!(
            text.contains("─ SYN seq=0 ─")
                && text.contains(" FIN,ACK seq=6 ack=7 ")
                && !text.contains('╌'),
            "{text}"
        );
        assert!(
            m.contains("cli->>srv: SYN seq=0") && m.contains("srv->>cli: SYN,ACK seq=0 ack=1"),
            "{m}"
        );
        assert!(
            m.contains("cli->>conn: FIN,ACK")
                && m.contains("conn->>cli: ACK")
                && !m.contains("-->>"),
            "{m}"
        );
    } else {
        assert!(
            text.contains("╌ SYN ╌")
                && text.contains(" FIN ")
                && text.contains("\"hola\\n\" (5 bytes)"),
            "{text}"
        );
        assert!(
            text.contains("╌╌▷ inferred from the calls"),
            "the dashes explained: {text}"
        );
        assert!(
            m.contains("cli-->>srv: SYN (inferred)")
                && m.contains("srv-->>cli: SYN-ACK (inferred)"),
            "{m}"
        );
        assert!(m.contains("cli-->>conn: FIN (inferred)"), "{m}");
    }
}

/// The terminal diagram's rows drawn on column `col` (its `●` at that character), as text.
fn on_column(diagram: &str, col: usize) -> Vec<String> {
    diagram
        .lines()
        .filter(|l| l.chars().nth(col) == Some('●'))
        .map(|l| {
            l.chars()
                .skip(col + 2)
                .collect::<String>()
                .split("  ")
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .collect()
}

/// The states an SVG bands the lifeline at `x` with (each band a `<rect>` centred on it, with
/// its state as title).
fn bands_at(svg: &str, x: usize) -> Vec<String> {
    let attr = |r: &str, name: &str| -> usize {
        r.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|v| v.split('"').next()?.parse().ok())
            .unwrap_or(0)
    };
    svg.split("<rect")
        .skip(1)
        .filter(|r| (attr(r, "x") + attr(r, "width") / 2).abs_diff(x) <= 1)
        .filter_map(|r| {
            r.split("<title>")
                .nth(1)?
                .split('<')
                .next()
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn the_accepted_socket_has_its_own_lifeline_and_the_listener_stays_listen() {
    let dir = temp_dir("lifeline");
    let (mmd, svg, html) = (dir.join("r.mmd"), dir.join("r.svg"), dir.join("r.html"));
    let out = succeeds(
        lab()
            .args([
                "lesson",
                "run",
                "reuseaddr",
                "--color",
                "never",
                "--diagram",
                "--mermaid",
            ])
            .args([&mmd, Path::new("--svg"), &svg, Path::new("--html"), &html]),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let diagram = &text[text.rfind("\n  srv").expect("the diagram's head") + 1..];
    let head = diagram.lines().next().unwrap();
    let (srv, conn) = (
        head.find("srv").unwrap(),
        head.find("conn")
            .expect("a lifeline for the accepted socket"),
    );
    let listener = on_column(diagram, srv);
    assert_eq!(
        listener.iter().filter(|r| r.starts_with("close()")).count(),
        1,
        "one close() each: {listener:?}"
    );
    assert!(
        listener
            .iter()
            .all(|r| !r.contains("ESTAB") && !r.contains("CLOSE-WAIT")),
        "{listener:?}"
    );
    let connection = on_column(diagram, conn);
    assert!(
        connection
            .first()
            .is_some_and(|r| r.contains("accepted: ESTAB")),
        "{connection:?}"
    );
    assert!(
        connection.iter().any(|r| r.starts_with("close()")),
        "{connection:?}"
    );

    let m = std::fs::read_to_string(&mmd).unwrap();
    assert!(m.contains("participant srv\n    participant conn\n"), "{m}");
    let over_srv: Vec<&str> = m.lines().filter(|l| l.contains("Note over srv:")).collect();
    assert_eq!(
        over_srv.iter().filter(|l| l.contains("close()")).count(),
        1,
        "{m}"
    );
    assert!(over_srv.iter().all(|l| !l.contains("ESTAB")), "{m}");
    assert!(
        m.contains("conn->>cli: FIN") || m.contains("conn-->>cli: FIN"),
        "{m}"
    );

    // The pictures band the listener LISTEN (after CLOSE) and nothing else, and the page holds
    // the same picture.
    let svg = std::fs::read_to_string(&svg).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    // A lifeline's x: its dashed line's, drawn right after its name.
    let x = |name: &str| -> usize {
        let at = svg.find(&format!(">{name}</text>")).unwrap();
        let life = &svg[at..][svg[at..].find(r#"<line class="life""#).unwrap()..];
        life.split("x1=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    for picture in [&svg, &page] {
        assert_eq!(
            bands_at(picture, x("srv")),
            ["CLOSE", "LISTEN"],
            "the listener's bands"
        );
        let conn_bands = bands_at(picture, x("conn"));
        assert!(
            conn_bands.contains(&"ESTAB".to_string())
                && conn_bands.contains(&"TIME-WAIT".to_string())
        );
    }
}

#[test]
fn json_lines_carry_the_checks_too() {
    let out = lab()
        .args(["lesson", "run", "connection-refused", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let events = json_lines(&String::from_utf8(out.stdout).unwrap());
    let refused = events.iter().find(|e| e["call"] == "connect").unwrap();
    assert_eq!(refused["errno"], "ECONNREFUSED");
    assert!(events
        .iter()
        .any(|e| e["kind"] == "check" && e["verdict"] == "agrees"));
    assert!(events.iter().all(|e| e["verdict"] != "differs"));
}

#[test]
fn show_prints_the_parsed_lesson_line_by_line_as_written() {
    for path in common::lesson_files(&lessons_dir()) {
        let out = lab()
            .args(["lesson", "show", path.to_str().unwrap(), "--color", "never"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let shown = String::from_utf8(out.stdout).unwrap();
        let file = std::fs::read_to_string(&path).unwrap();
        // Every line of the file: the headers (first, in any order), then the steps, notes and
        // comments in the file's order. Spacing may differ (notes are aligned).
        let squash = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        let is_header = |l: &String| {
            ["title", "question", "explain"]
                .iter()
                .any(|h| l.starts_with(h))
        };
        let split = |text: &str| {
            let lines: Vec<String> = text.lines().map(squash).filter(|l| !l.is_empty()).collect();
            let (mut heads, rest): (Vec<String>, Vec<String>) =
                lines.into_iter().partition(is_header);
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
    for args in [
        &["lesson", "show", "lifecycle"][..],
        &["lesson", "list"],
        &["lesson", "run", "lifecycle"],
    ] {
        let mut child = lab()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_missing_lessons_folder_is_an_error_in_words() {
    for cmd in [
        &["lesson", "list"][..],
        &["lesson", "check"],
        &["lesson", "run", "lifecycle"],
    ] {
        let out = lab()
            .args(cmd)
            .env("LAB_LESSONS", "/nonexistent/lessons")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot read the lessons folder /nonexistent/lessons"),
            "{cmd:?}: {err}"
        );
    }
}

#[test]
fn the_lessons_are_inside_the_binary() {
    // An installed lab, far from its source tree: a copy of the binary, run from elsewhere.
    let dir = temp_dir("installed");
    let bin = dir.join("lab");
    std::fs::copy(env!("CARGO_BIN_EXE_lab"), &bin).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&bin)
            .args(args)
            .current_dir(&dir)
            .env("LANG", "C.UTF-8")
            .env_remove("LAB_LESSONS")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, list) = run(&["lesson", "list", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        list.lines().count(),
        common::lesson_files(&lessons_dir()).len(),
        "{list}"
    );
    assert!(
        list.lines().all(|l| l.contains(r#""from":"lab""#)),
        "{list}"
    );
    let (code, out) = run(&["lesson", "check", "lifecycle"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");
}

#[test]
fn an_instructors_folder_adds_lessons_and_replaces_by_name() {
    let dir = temp_dir("instructor");
    std::fs::create_dir_all(dir.join("08-mine")).unwrap();
    // Written in English only: it runs and checks; its missing Spanish is a warning.
    let only_english = "title: Bound and listening\nquestion: Does a lesson need Spanish?\nsrv socket\nsrv bind 127.0.0.1:0 = 0\nnote: in English only\nsrv listen 4 = 0 state LISTEN kernel LISTEN\n";
    std::fs::write(dir.join("08-mine/01-english-only.lesson"), only_english).unwrap();
    let mine =
        std::fs::read_to_string(lessons_dir().join("01-lifecycle/01-lifecycle.lesson")).unwrap();
    let mine = mine.replacen(
        "title:       The lifecycle of a TCP connection",
        "title: My lifecycle",
        1,
    );
    // Translated in part: its title is not in Portuguese.
    let mine = mine.replacen("title.pt:    O ciclo de vida de uma conexão TCP\n", "", 1);
    assert!(mine.contains("title: My lifecycle") && !mine.contains("title.pt"));
    std::fs::write(dir.join("08-mine/02-lifecycle.lesson"), mine).unwrap();

    let out = lab()
        .args([
            "lesson",
            "list",
            "--json",
            "--lessons",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    let rows = json_lines(&list);
    assert_eq!(
        rows.len(),
        common::lesson_files(&lessons_dir()).len() + 1,
        "one added, one replaced: {list}"
    );
    let lifecycle: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["name"] == "lifecycle").collect();
    assert_eq!(lifecycle.len(), 1, "{list}");
    assert_eq!(
        (&lifecycle[0]["title"], &lifecycle[0]["from"]),
        (&"My lifecycle".into(), &dir.to_str().unwrap().into())
    );
    assert!(rows
        .iter()
        .any(|r| r["name"] == "english-only" && r["from"] == dir.to_str().unwrap()));
    assert!(rows
        .iter()
        .any(|r| r["name"] == "half-close" && r["from"] == "lab"));

    // The same through LAB_LESSONS; the English-only lesson passes, with a warning.
    let out = lab()
        .args(["lesson", "check", "english-only", "lifecycle"])
        .env("LAB_LESSONS", &*dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    // Nothing of it in Spanish or Portuguese: said in short; a part missing: said which.
    assert!(
        text.contains("not in Spanish (shown in English)")
            && text.contains("not in Portuguese (shown in English)")
            && text.contains("not in Portuguese: title (shown in English)"),
        "{text}"
    );
    assert!(text.ends_with("2 passed, 0 failed\n"), "{text}");
    let out = lab()
        .args([
            "--lang",
            "es",
            "lesson",
            "run",
            "english-only",
            "--lessons",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success()
            && text.contains("Bound and listening")
            && text.contains("in English only"),
        "{text}"
    );
}

/// `lab --lang LANG lesson run lifecycle --color never`, run to its end.
fn lifecycle_in(lang: &str) -> std::process::Output {
    let args = [
        "--lang",
        lang,
        "lesson",
        "run",
        "lifecycle",
        "--color",
        "never",
    ];
    lab().args(args).output().unwrap()
}

#[test]
fn spanish_says_every_word_of_the_trace_in_spanish() {
    let out = lifecycle_in("es");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("✓ kernel TIME-WAIT (tras esperar)"), "{text}");
    assert!(
        text.contains("✓ ya no está") && text.contains("kernel ya no está"),
        "{text}"
    );
    assert!(text.contains(" desde 127.0.0.1:"), "{text}");
    assert!(
        text.lines().any(|l| l.contains(" lección ")),
        "the lesson's lines, named in Spanish: {text}"
    );
    for english in [
        "(waited)",
        "✓ gone",
        "kernel gone",
        " from 127.0.0.1:",
        " lesson ",
    ] {
        assert!(
            !text.contains(english),
            "'{english}' in the Spanish trace:\n{text}"
        );
    }
}

/// `lab --lang pt lesson run lifecycle`, and the same with `LANG=pt_BR.UTF-8`: Portuguese
/// throughout, lab's own words (from `locales/pt.ftl`) and the lesson's (its `.pt` lines).
#[test]
fn portuguese_by_flag_or_by_lang_speaks_every_word_of_the_lifecycle() {
    let by_flag = lifecycle_in("pt");
    let by_lang = lab()
        .args(["lesson", "run", "lifecycle", "--color", "never"])
        .env("LANG", "pt_BR.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    for out in [by_flag, by_lang] {
        // The trace on stdout, the verdict on stderr.
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        for pt in [
            // The catalog's words: the columns, the checks, the verdict.
            " quem ",
            "✓ kernel TIME-WAIT (após esperar)",
            "✓ não existe mais",
            " de 127.0.0.1:",
            "(fd fechado)",
            "lição lifecycle: todas as expectativas cumpridas",
            // The lesson's words: its title and every note.
            "O ciclo de vida de uma conexão TCP",
            "bind() dá um endereço ao socket",
            "recv() = 0 é o fim do fluxo",
            "O cliente fechou primeiro",
        ] {
            assert!(text.contains(pt), "'{pt}' missing:\n{text}");
        }
        for other in [
            "(waited)",
            "(tras esperar)",
            "✓ gone",
            " from 127.0.0.1:",
            " lesson ",
            " lección ",
            "The lifecycle",
            "Now the client closes first",
            "Ahora el cliente",
        ] {
            assert!(
                !text.contains(other),
                "'{other}' in the Portuguese trace:\n{text}"
            );
        }
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
    let out = lab()
        .args(["--lang", "es", "lesson", "check", "framing"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 bien, 0 mal"),
        "{out:?}"
    );
    let out = lab()
        .args(["lesson", "run", "framing", "--color", "never"])
        .env("LANG", "es_ES.UTF-8")
        .output()
        .unwrap();
    let (trace, summary) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        trace
            .lines()
            .next()
            .is_some_and(|h| h.contains("tiempo ms") && h.contains("llamada")),
        "{trace}"
    );
    assert!(
        summary.contains("lección framing: todas las expectativas se cumplen"),
        "{summary}"
    );
    let out = lab()
        .args(["--lang", "es", "lesson", "run", "framin"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("¿querías decir 'framing'?"));
}

/// Issue 19, item 12: the redaction numbers fds and ports by first appearance, so a trace that
/// returned the wrong fd from accept, closed the wrong fd, or swapped local and peer no longer
/// looks the same as the right one; and what the table showed after a close is never blotted out.
#[test]
fn snapshot_redaction_numbers_fds_and_ports_and_hides_no_state() {
    let right = "accept4(3, SOCK_CLOEXEC) → 4 from 127.0.0.1:40000   = 4\nclose(4)\n\
                 (kernel) 127.0.0.1:8888 ⇄ 127.0.0.1:40000\n";
    let wrong_fd = right.replace("→ 4 from", "→ 5 from");
    let wrong_close = right.replace("close(4)", "close(3)");
    let swapped = right.replace(
        "127.0.0.1:8888 ⇄ 127.0.0.1:40000",
        "127.0.0.1:40000 ⇄ 127.0.0.1:8888",
    );
    let shown = redact(right, &[8888]);
    assert_eq!(
        shown,
        "accept4([FD1], SOCK_CLOEXEC) → [FD2] from 127.0.0.1:[PORT1]  = [FD2]\nclose([FD2])\n\
         (kernel) 127.0.0.1:[PORT2] ⇄ 127.0.0.1:[PORT1]\n"
    );
    for wrong in [wrong_fd, wrong_close, swapped] {
        assert_ne!(redact(&wrong, &[8888]), shown, "{wrong}");
    }
    // The same trace with fd 9 or fd 10 (another fd open in the process) gives one snapshot:
    // the label takes its room from the column's padding.
    let fd = |n: &str, pad: &str| redact(&format!("close({n}){pad}  = 0     ESTAB\n"), &[]);
    assert_eq!(fd("9", "     "), fd("10", "    "));
    let seen = |path: &str| redact(&format!("close(4) = 0  ESTAB → (fd gone)  ✓ {path}\n"), &[]);
    assert_ne!(
        seen("FIN-WAIT-1 → FIN-WAIT-2"),
        seen("FIN-WAIT-2"),
        "which states were seen must show"
    );
}

/// Issue 19, item 3: the kernel's move that satisfied a lesson's `wait` is printed before the
/// wait, not after it (three-way handshake: c2's SYN-SENT → ESTAB, then "wait for state ESTAB").
#[test]
fn a_kernel_move_is_printed_before_the_wait_it_satisfied() {
    let out = lab()
        .args([
            "lesson",
            "run",
            "three-way-handshake",
            "--color",
            "never",
            "--lang",
            "en",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    assert!(
        at("SYN-SENT → ESTAB") < at("wait for state ESTAB"),
        "{text}"
    );
}

/// Issue 19, item 8: a bind that fails with EADDRINUSE says what holds the port, from the
/// table: in the reuseaddr lesson, the server's old connection in TIME-WAIT, by its 4-tuple.
#[test]
fn eaddrinuse_in_a_trace_names_the_time_wait_connection_holding_the_port() {
    let out = lab()
        .args([
            "lesson",
            "run",
            "reuseaddr",
            "--color",
            "never",
            "--lang",
            "en",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let at = text
        .find("= -1 EADDRINUSE")
        .unwrap_or_else(|| panic!("{text}"));
    let note = text[at..].lines().nth(1).unwrap_or("");
    assert!(
        note.contains("↳ the connection 127.0.0.1:")
            && note.contains("in TIME-WAIT holds the port"),
        "{note}"
    );
}

/// A lesson's `wire` steps, run as a student would: the trace's text and the exit code; `None`
/// (said loudly) where this machine refuses lab its own network, so nothing is captured.
fn run_wire_lesson(name: &str, steps: &str) -> Option<(std::path::PathBuf, i32, String, String)> {
    let dir = temp_dir(name);
    let path = dir.join("01-wire.lesson");
    let head = "srv socket\nsrv bind 127.0.0.1:0 = 0\nsrv listen 8 = 0\ncli socket\ncli connect srv = 0\nsrv accept -> conn = ...\n";
    std::fs::write(&path, format!("{HEAD}{head}{steps}")).unwrap();
    let out = lab()
        .args(["lesson", "run", path.to_str().unwrap(), "--color", "never"])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    if text.contains("not checked, no capture here") {
        common::skip(&format!("no capture in lab's own network here: {text}"));
        return None;
    }
    Some((path, out.status.code().unwrap_or(-1), text, err))
}

#[test]
fn a_wire_step_is_met_by_the_segment_it_names() {
    let steps = "cli close = 0\nwire cli>conn FIN,ACK seq 1 ack 1\nwire conn>cli ACK ack 2\n";
    let Some((_, code, text, err)) = run_wire_lesson("wire-met", steps) else {
        return;
    };
    assert_eq!(code, 0, "{text}{err}");
    let fin = text.find("FIN,ACK seq=1 ack=1").expect(&text);
    let met = text
        .find("✓ cli>conn FIN,ACK seq 1 ack 1 seen on the wire")
        .expect(&text);
    assert!(fin < met, "the segment, then its check: {text}");
    assert!(
        text.contains("✓ conn>cli ACK ack 2 seen on the wire"),
        "{text}"
    );
    assert!(err.contains("every expectation met"), "{err}");
}

#[test]
fn a_wire_step_with_the_wrong_flags_fails_saying_what_went_instead() {
    // The FIN goes as FIN,ACK: a bare FIN is never sent on an established connection.
    let steps = "cli close = 0\nwire cli>conn FIN\nwire conn>cli ACK ack 2\n";
    let Some((path, code, text, err)) = run_wire_lesson("wire-wrong", steps) else {
        return;
    };
    assert_eq!(code, 1, "{text}{err}");
    let want = format!(
        "{}:12: expected cli>conn FIN on the wire within 3 s; the last that went from cli to conn: FIN,ACK seq=1 ack=1",
        path.display()
    );
    assert!(text.contains(&format!("✗ {want}")), "{text}");
    assert!(err.contains(&want), "{err}");
    // The cursor did not move: the next step still finds the ACK of the FIN.
    assert!(
        text.contains("✓ conn>cli ACK ack 2 seen on the wire"),
        "{text}"
    );
}

#[test]
fn a_malformed_wire_step_is_refused_with_file_and_line() {
    let dir = temp_dir("wire-malformed");
    let path = dir.join("01-bad.lesson");
    for (step, why) in [
        (
            "wire cli>nobody FIN,ACK",
            "'nobody' in 'cli>nobody' is neither a socket nor a host",
        ),
        ("wire cli>srv FIN,AKC", "unknown flag 'AKC'"),
        (
            "wire cli>srv ACK after soon",
            "'after soon': a time like 200ms",
        ),
    ] {
        let steps = format!("srv socket\nsrv bind 127.0.0.1:0 = 0\ncli socket\n{step}\n");
        let (text, _) = failed_check(&path, &steps);
        assert!(
            text.contains(&format!("{}:8: {why}", path.display())),
            "{step}: {text}"
        );
    }
}

/// The pictures speak the run's language too: `--lang pt` gives a diagram, a page (its title,
/// summary, table head and `lang`) and a lossy link's drop reasons in Portuguese, none of it in
/// English.
#[test]
fn portuguese_pictures_and_drops_say_nothing_in_english() {
    let dir = temp_dir("pt-page");
    let page = dir.join("p.html");
    let out = lab()
        .args(["--lang", "pt", "lesson", "run", "lifecycle", "--diagram"])
        .args(["--color", "never", "--html"])
        .arg(&page)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(", aceito: ESTAB") && !text.contains("accepted:"),
        "{text}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for pt in [
        r#"<html lang="pt">"#,
        "<h1>lição lifecycle: O ciclo de vida",
        " eventos; a tabela do kernel concordou ",
        " expectativas, 0 não cumpridas",
        "<th>quem</th><th>chamada</th>",
    ] {
        assert!(html.contains(pt), "'{pt}' missing from the page");
    }
    for en in ["<h1>lesson ", " events; ", "<th>who</th>", "accepted:"] {
        assert!(!html.contains(en), "'{en}' in the Portuguese page");
    }
    let out = lab()
        .args([
            "--lang",
            "pt",
            "lesson",
            "run",
            "lost-segment",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && text.contains("não podem ser criados aqui") {
        common::skip("lab's network cannot be made here: no lossy link to read");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("✗ descartado conforme o roteiro") && !text.contains("as scripted"),
        "{text}"
    );
}
