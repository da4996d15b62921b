//! `lab listen` and `lab connect` as real processes: data both ways, the half-close, and the
//! trace each prints — snapshotted (human and JSON Lines), with the shared redactions.

mod common;

use common::{lab, redact, snapshot, temp_dir, wait_file, Proc};

/// Runs one scripted exchange and returns (listener trace, connector trace, listening port).
///
/// Each step waits for the effect of the one before, so each process's calls happen in the same
/// order, and see the same states, every run: connect sends "hola", listen answers "adios" and
/// half-closes, connect sees EOF, then half-closes too; both close.
fn exchange(flags: &[&str], name: &str) -> (String, String, u16) {
    let dir = temp_dir(name);
    let (lt, ct) = (dir.join("listen.trace"), dir.join("connect.trace"));
    let mut listen = lab();
    listen
        .args([
            "listen",
            "127.0.0.1:0",
            "--trace-file",
            lt.to_str().unwrap(),
        ])
        .args(flags);
    let mut listen = Proc::spawn(listen);
    let announced = listen.wait_stderr("\n");
    let port: u16 = announced
        .trim()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .expect("lab listen announces its port");

    let mut connect = lab();
    connect
        .args([
            "connect",
            "127.0.0.1",
            &port.to_string(),
            "--trace-file",
            ct.to_str().unwrap(),
        ])
        .args(flags);
    let mut connect = Proc::spawn(connect);
    // Every step waits until the trace of the step before is written: a trace reads states
    // right after each call, so the other side must not act before that.
    wait_file(&lt, "accept4");
    wait_file(&ct, &format!("127.0.0.1:{port}"));

    connect.write(b"hola\n");
    listen.wait_stdout("hola\n");
    wait_file(&ct, "MSG_NOSIGNAL");

    listen.write(b"adios\n");
    connect.wait_stdout("adios\n");
    wait_file(&lt, "adios");

    // Ctrl+D on the listener: shutdown(SHUT_WR), FIN-WAIT-1 → FIN-WAIT-2; the connector
    // reads EOF and sits in CLOSE-WAIT.
    listen.close_stdin();
    wait_file(&lt, "SHUT_WR");
    wait_file(&ct, "EOF: the peer closed its side");

    // Ctrl+D on the connector: both directions are closed, both close.
    connect.close_stdin();

    let (lcode, lout, lerr) = listen.finish();
    let (ccode, cout, cerr) = connect.finish();
    assert_eq!((lcode, ccode), (0, 0), "listen: {lerr}\nconnect: {cerr}");
    assert_eq!(lout, "hola\n");
    assert_eq!(cout, "adios\n");
    let traces = (
        std::fs::read_to_string(&lt).unwrap(),
        std::fs::read_to_string(&ct).unwrap(),
        port,
    );
    let _ = std::fs::remove_dir_all(&dir);
    traces
}

#[test]
fn human_trace_of_a_listen_connect_exchange() {
    let (l, c, port) = exchange(
        &["--trace", "--color", "never", "--observe-ms", "0"],
        "human",
    );
    assert!(!l.contains('\x1b'), "a file gets no color codes");
    snapshot("netcat_listen_human", &redact(&l, &[port]));
    snapshot("netcat_connect_human", &redact(&c, &[port]));
}

#[test]
fn json_trace_of_a_listen_connect_exchange() {
    let (l, c, port) = exchange(&["--json", "--observe-ms", "0"], "json");
    for line in l.lines().chain(c.lines()) {
        let v: serde_json::Value =
            serde_json::from_str(line).expect("every line is one JSON object");
        for key in [
            "seq", "actor", "call", "fd", "ret", "errno", "state", "kernel", "verdict",
        ] {
            assert!(v.get(key).is_some(), "missing {key}: {line}");
        }
        assert_ne!(v["verdict"], "differs", "{line}");
    }
    snapshot("netcat_listen_json", &redact(&l, &[port]));
    snapshot("netcat_connect_json", &redact(&c, &[port]));
}

#[test]
fn a_port_in_use_is_explained_in_words() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = lab()
        .args(["listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("EADDRINUSE"), "{err}");
    // What holds the port, from the table: the listener this test holds.
    assert!(
        err.contains(&format!("127.0.0.1:{port} is listening there")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn connecting_to_nobody_is_refused_by_name() {
    let (_held, port) = common::refusing_port();
    let out = lab()
        .args([
            "connect",
            "127.0.0.1",
            &port.to_string(),
            "--trace",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("= -1 ECONNREFUSED (Connection refused)"),
        "{err}"
    );
    assert!(err.contains("nobody is listening"), "{err}");
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let (_held, port) = common::refusing_port();
    let run = |color: &str, no_color: bool| {
        let mut c = lab();
        c.args([
            "connect",
            "127.0.0.1",
            &port.to_string(),
            "--trace",
            "--color",
            color,
        ]);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        String::from_utf8(c.output().unwrap().stderr).unwrap()
    };
    assert!(run("always", false).contains("\x1b["));
    assert!(!run("never", false).contains("\x1b["));
    // auto: stderr is a pipe here, so plain.
    assert!(!run("auto", false).contains("\x1b["));
    assert!(!run("auto", true).contains("\x1b["));
}

#[test]
fn bad_arguments_get_a_clear_message() {
    let out = lab()
        .args(["sockets", "--state", "bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown TCP state 'bogus'"));
    let out = lab().args(["listen", "localhost:x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("is not PORT or ADDR:PORT"));
}

#[test]
fn a_trace_file_that_cannot_be_written_says_so_once() {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    let (_held, closed) = common::refusing_port();
    let out = lab()
        .args([
            "connect",
            "127.0.0.1",
            &closed.to_string(),
            "--trace-file",
            "/dev/full",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("the trace could not be written").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("No space left on device") && err.contains("the events after #0 are missing"),
        "{err}"
    );
}
