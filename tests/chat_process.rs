//! `lab server`, `lab client` and real `nc` as separate processes: Ctrl+C, running out of file
//! descriptors, a port in use, nc as a full client, and the snapshot of a traced session.

mod common;

use common::peer::Peer;
use common::run::lab_server;
use common::{have_tool, lab, redact, snapshot, temp_dir, wait_file, Proc, PATIENCE};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn server_cmd(model: &str, extra: &[&str]) -> Command {
    let mut c = lab();
    c.args(["server", "--port", "0", "--model", model, "--seed", "3"])
        .args(extra);
    c
}

/// `lab client` of `name` in the chat at `addr`, with extra arguments.
fn lab_client(addr: SocketAddr, name: &str, extra: &[&str]) -> Proc {
    let mut c = lab();
    c.args(["client", "--host", "127.0.0.1", "--port"])
        .arg(addr.port().to_string())
        .args(["--name", name])
        .args(extra);
    Proc::spawn(c)
}

fn sigint(p: &Proc) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(p.child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
}

#[test]
fn ctrl_c_says_goodbye_closes_every_socket_and_exits_0() {
    for model in ["threads", "poll", "epoll"] {
        let dir = temp_dir(&format!("ctrlc-{model}"));
        let trace = dir.join("trace.jsonl");
        let (srv, addr) = lab_server(server_cmd(
            model,
            &["--json", "--trace-file", trace.to_str().unwrap()],
        ));
        let mut ana = Peer::join(addr, "ana");
        let mut bob = Peer::join(addr, "bob");
        ana.expect("* bob joined");
        sigint(&srv);
        for p in [&mut ana, &mut bob] {
            p.expect("* server shutting down, bye!");
            p.expect_eof();
        }
        let (code, _, err) = srv.finish();
        assert_eq!(code, 0, "{model}: {err}");
        assert!(err.contains("lab server: stopped"), "{err}");
        let events: Vec<serde_json::Value> = std::fs::read_to_string(&trace)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // Written by the writer thread: every event, once, in order.
        let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as i64).collect::<Vec<i64>>(),
            "{model}"
        );
        let accepted: Vec<i64> = events
            .iter()
            .filter(|e| e["call"] == "accept4" && e["ret"].as_i64() > Some(0))
            .map(|e| e["ret"].as_i64().unwrap())
            .collect();
        let listener = events.iter().find(|e| e["call"] == "listen").unwrap()["fd"]
            .as_i64()
            .unwrap();
        assert_eq!(accepted.len(), 2, "{model}");
        for fd in accepted.iter().chain([&listener]) {
            let of_fd: Vec<String> = events
                .iter()
                .filter(|e| e["fd"].as_i64() == Some(*fd) || e["call"] == "close")
                .map(|e| format!("{} {} {} = {}", e["seq"], e["actor"], e["call"], e["ret"]))
                .collect();
            assert!(
                events.iter().any(|e| e["call"] == "close"
                    && e["fd"].as_i64() == Some(*fd)
                    && e["ret"] == 0),
                "{model}: fd {fd} was never closed; its events and every close: {of_fd:#?}"
            );
        }
        let differs: Vec<&serde_json::Value> = events
            .iter()
            .filter(|e| e["verdict"] == "differs")
            .collect();
        assert!(
            differs.is_empty(),
            "{model}: the kernel disagreed: {differs:#?}"
        );
        in_the_order_they_happened(model, &events, listener);
    }
}

/// The threads model stops by shutting connections down from one thread while others are
/// blocked on them: each effect must come after its cause in the trace.
fn in_the_order_they_happened(model: &str, events: &[serde_json::Value], listener: i64) {
    let seq = |call: &str, fd: i64, ret: Option<i64>| {
        events
            .iter()
            .find(|e| {
                e["call"] == call
                    && e["fd"].as_i64() == Some(fd)
                    && ret.is_none_or(|r| e["ret"].as_i64() == Some(r))
            })
            .map(|e| e["seq"].as_u64().unwrap())
    };
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e["seq"].as_u64(),
            Some(i as u64 + 1),
            "{model}: seq runs 1, 2, 3…"
        );
    }
    if model != "threads" {
        return;
    }
    let shut = seq("shutdown", listener, None).expect("the listener is shut down for reading");
    let einval = events
        .iter()
        .find(|e| e["call"] == "accept4" && e["errno"] == "EINVAL")
        .expect("the blocked accept4() fails with EINVAL");
    assert!(
        einval["seq"].as_u64().unwrap() > shut,
        "{model}: accept4's EINVAL before the shutdown that caused it"
    );
    assert!(
        einval["note"]
            .as_str()
            .unwrap()
            .contains("shut down for reading"),
        "{einval}"
    );
    for e in events
        .iter()
        .filter(|e| e["call"] == "recv" && e["ret"] == 0)
    {
        let fd = e["fd"].as_i64().unwrap();
        if let Some(s) = seq("shutdown", fd, None) {
            assert!(
                e["seq"].as_u64().unwrap() > s,
                "{model}: recv() = 0 on fd {fd} before the shutdown() that caused it"
            );
        }
    }
}

/// CPU time (user + system) a process has used, in clock ticks, from /proc/PID/stat.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    let rest = stat.rsplit(") ").next().unwrap();
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn out_of_file_descriptors_no_busy_loop_and_accepting_resumes() {
    if !have_tool("prlimit", "util-linux") {
        return;
    }
    for model in ["threads", "poll", "epoll"] {
        // 24 fds in all: a dozen are taken by stdio, the stop pipe, the listener and friends,
        // so the server runs out at its ~15th client.
        let mut cmd = Command::new("prlimit");
        cmd.args([
            "--nofile=24:24",
            env!("CARGO_BIN_EXE_lab"),
            "server",
            "--port",
            "0",
            "--model",
            model,
        ]);
        let (srv, addr) = lab_server(cmd);
        // More connections than fds: the kernel completes every handshake (the backlog is
        // large), but accept() fails with EMFILE for the ones beyond the limit.
        let mut peers: Vec<TcpStream> =
            (0..30).map(|_| TcpStream::connect(addr).unwrap()).collect();
        // Wait (bounded) until the server has taken what it can: all 24 of its fds are open.
        let pid = srv.child.id();
        let open_fds = || {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .map(|d| d.count())
                .unwrap_or(0)
        };
        assert!(
            lab::kernel::check::wait_until(PATIENCE, || open_fds() >= 24),
            "{model}: only {} fds open",
            open_fds()
        );
        // Over one second, a server spinning on EMFILE would burn ~100 ticks of CPU.
        let before = cpu_ticks(pid);
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu_ticks(pid) - before;
        assert!(
            used < 20,
            "{model}: {used} ticks of CPU in 1 s while out of fds: a busy loop"
        );
        // Free fds: close the first 25 (those accepted, and queued ones, which the server will
        // accept, read EOF from and close); the last one, still queued in the kernel, must then
        // be accepted and greeted.
        peers.drain(..25);
        let mut last = Peer::from_stream(peers.pop().unwrap());
        last.expect("What's your name?");
        last.send("ultimo");
        last.expect("Hi ultimo");
        drop(peers);
        sigint(&srv);
        let (code, _, err) = srv.finish();
        assert_eq!(code, 0, "{model}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = lab().args(["server", "--port", &port]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    // A listener holds it: named (SO_REUSEADDR would not help against a listener).
    assert!(
        err.contains("EADDRINUSE") && err.contains(&format!("127.0.0.1:{port} is listening there")),
        "{err}"
    );
}

#[test]
fn the_server_resolves_a_host_name_as_the_client_does() {
    let mut c = lab();
    c.args([
        "server",
        "--host",
        "localhost",
        "--port",
        "0",
        "--seed",
        "3",
    ]);
    let mut server = Proc::spawn(c);
    let text = server.wait_stderr("Ctrl+C to stop");
    assert!(
        text.contains("listening on 127.0.0.1:") || text.contains("listening on [::1]:"),
        "{text}"
    );
    let _ = server.child.kill();
    let out = lab()
        .args(["server", "--host", "no-such-host.invalid", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot resolve 'no-such-host.invalid'"));
}

#[test]
fn a_bad_address_is_explained() {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: bind() fails, nothing is sent.
    let out = lab()
        .args(["server", "--host", "192.0.2.1", "--port", "9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("EADDRNOTAVAIL") && err.contains("this machine has no such address"),
        "{err}"
    );
}

#[test]
fn nc_is_a_full_client() {
    if !have_tool("nc", "netcat-openbsd") {
        return;
    }
    let (srv, addr) = lab_server(server_cmd("poll", &[]));
    let mut nc = Command::new("nc");
    nc.args([addr.ip().to_string(), addr.port().to_string()]);
    let mut nc = Proc::spawn(nc);
    nc.wait_stdout("What's your name?");
    nc.write(b"nina\n");
    nc.wait_stdout("Hi nina, welcome!");
    let mut bob = Peer::join(addr, "bob");
    nc.wait_stdout("* bob joined the chat");
    bob.send("hola nina");
    nc.wait_stdout("bob: hola nina");
    nc.write(b":p bob desde nc\n");
    bob.expect("[private] nina -> you: desde nc");
    nc.write(b"chao\n");
    nc.wait_stdout("* bye nina!");
    bob.expect("* nina left the chat");
    // The server closed the connection: nc ends by itself.
    let (code, out, _) = nc.finish();
    assert_eq!(code, 0, "{out}");
    sigint(&srv);
    assert_eq!(srv.finish().0, 0);
}

#[test]
fn a_spanish_server_speaks_spanish_and_lab_client_still_joins_it() {
    let mut p = Proc::spawn(server_cmd("poll", &["--lang", "es"]));
    let err = p.wait_stderr("Ctrl+C para parar");
    let addr: SocketAddr = err
        .split("escuchando en ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let mut zoe = lab_client(addr, "zoe", &["--color", "never"]);
    zoe.wait_stdout("* ¡Hola zoe, bienvenid@!");
    zoe.write(b"hola\n");
    zoe.wait_stdout("zoe (tú): hola");
    zoe.write(b":q\n");
    zoe.wait_stdout("* ¡adiós zoe!");
    assert_eq!(zoe.finish().0, 0);
    sigint(&p);
    p.wait_stderr("lab server: parado");
}

#[test]
fn lab_client_shows_messages_and_leaves_cleanly() {
    let (srv, addr) = lab_server(server_cmd("threads", &[]));
    let mut zoe = lab_client(addr, "zoe", &["--color", "never"]);
    zoe.wait_stdout("* Hi zoe, welcome!");
    let mut bob = Peer::join(addr, "bob");
    bob.send("hola zoe");
    zoe.wait_stdout("bob: hola zoe");
    zoe.write(b"hola bob\n");
    bob.expect("zoe: hola bob");
    zoe.wait_stdout("zoe (you): hola bob");
    zoe.write(b":q\n");
    zoe.wait_stdout("* bye zoe!");
    let (code, out, err) = zoe.finish();
    assert_eq!(code, 0, "{out}\n{err}");
    bob.expect("* zoe left the chat");
    // So does a closed terminal (SIGHUP), like Ctrl+C.
    let mut hu = lab_client(addr, "hu", &["--color", "never"]);
    hu.wait_stdout("* Hi hu, welcome!");
    bob.expect("* hu joined");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(hu.child.id() as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    hu.wait_stdout("* bye hu!");
    let (code, _, err) = hu.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(bob.expect("* hu left"), "* hu left the chat");
    // End of input (Ctrl+D) leaves politely too.
    let mut yan = lab_client(addr, "yan", &[]);
    yan.wait_stdout("* Hi yan, welcome!");
    yan.close_stdin();
    let (code, out, _) = yan.finish();
    assert_eq!(code, 0);
    assert!(out.contains("* bye yan!"), "{out}");
    // Ctrl+C leaves politely as well: the client says :q, and the others are told.
    let mut xia = lab_client(addr, "xia", &[]);
    xia.wait_stdout("* Hi xia, welcome!");
    bob.expect("* xia joined the chat");
    sigint(&xia);
    bob.expect("* xia left the chat");
    let (code, out, _) = xia.finish();
    assert_eq!(code, 0, "{out}");
    sigint(&srv);
    assert_eq!(srv.finish().0, 0);
}

/// `printf 'hola a todos\n' | lab client --name ana`: the line is in the pipe before the client
/// even connects, and the server asks for the name only after waiting for a client's first
/// words. The name still goes first, the line second, then end of input leaves politely.
#[test]
fn a_piped_line_goes_after_the_name_whatever_the_timing() {
    let (srv, addr) = lab_server(server_cmd("poll", &[]));
    let mut bob = Peer::join(addr, "bob");
    let mut ana = lab_client(addr, "ana", &["--color", "never"]);
    ana.write(b"hola a todos\n");
    ana.close_stdin();
    assert_eq!(bob.expect(" joined the chat"), "* ana joined the chat");
    assert_eq!(bob.expect("hola a todos"), "ana: hola a todos");
    assert_eq!(bob.expect(" left the chat"), "* ana left the chat");
    let (code, out, err) = ana.finish();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("* Hi ana, welcome!"), "{out}");
    assert!(out.contains("ana (you): hola a todos"), "{out}");
    sigint(&srv);
    assert_eq!(srv.finish().0, 0);
}

/// Waits until the trace file has `n` lines containing `needle`.
fn wait_count(path: &Path, needle: &str, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.matches(needle).count() >= n {
            return;
        }
        assert!(Instant::now() < deadline, "never {n}× {needle:?}:\n{text}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn snapshot_of_a_traced_poll_server_session() {
    let dir = temp_dir("server-snapshot");
    let trace = dir.join("server.trace");
    // --observe-ms 0: the table is read after every event, so kernel events land in the same
    // place every run.
    let (srv, addr) = lab_server(server_cmd(
        "poll",
        &[
            "--trace-file",
            trace.to_str().unwrap(),
            "--color",
            "never",
            "--observe-ms",
            "0",
            "--dialect",
            "line",
        ],
    ));
    // Every step waits for its effect at the client and for the server's trace of it, so the
    // single-threaded server's calls (and what each poll() finds ready) are the same every run.
    let mut alice = Peer::join(addr, "alice");
    wait_count(&trace, "Hi alice", 1);
    let mut bob = Peer::join(addr, "bob");
    alice.expect("* bob joined");
    wait_count(&trace, "bob joined", 1);
    alice.send("hola");
    bob.expect("alice: hola");
    alice.expect("alice (you): hola");
    wait_count(&trace, "alice (you): hola", 1);
    bob.send(":p alice psst");
    alice.expect("[private] bob -> you: psst");
    bob.expect("[private] you -> alice: psst");
    wait_count(&trace, "[private] you -> alice", 1);
    // bob leaves by closing his socket (having read everything: no RST).
    drop(bob);
    alice.expect("* bob left the chat (disconnected)");
    wait_count(&trace, "bob left the chat", 1);
    drop(alice);
    wait_count(&trace, "close(", 2);
    sigint(&srv);
    let (code, _, err) = srv.finish();
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(!text.contains('✗'), "the kernel disagreed:\n{text}");
    snapshot("server_poll_trace", &redact(&text, &[addr.port()]));
}

#[test]
fn a_short_soak_among_abusive_clients_loses_nothing() {
    for model in ["poll", "threads", "epoll"] {
        let out = lab()
            .args(["load", "--soak", "3", "--clients", "10", "--model", model])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{model}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("10 of 10 well-behaved clients kept"),
            "{model}: {text}"
        );
        assert!(text.contains("(0 lost)"), "{model}: {text}");
    }
}

/// Issue 19, item 5: at server stop the trace says only what happened: the listener's
/// shutdown(SHUT_RD) on its own line, no kernel line claiming a change nobody made, a listener
/// never called "the connection", and its wildcard peer written `0.0.0.0:*` as everywhere else.
#[test]
fn server_stop_tells_no_kernel_move_nobody_made() {
    for model in ["threads", "poll", "epoll"] {
        let dir = temp_dir(&format!("stop-words-{model}"));
        let trace = dir.join("trace.txt");
        let (srv, _) = lab_server(server_cmd(
            model,
            &["--color", "never", "--trace-file", trace.to_str().unwrap()],
        ));
        wait_file(&trace, "listen(");
        sigint(&srv);
        let (code, _, err) = srv.finish();
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&trace).unwrap();
        for wrong in [
            "the kernel changed the state",
            "0.0.0.0:0 ",
            "the connection is gone",
        ] {
            assert!(!text.contains(wrong), "{model}: {wrong:?} in\n{text}");
        }
        let listener_closed = text
            .lines()
            .any(|l| l.contains("close(") && l.contains("(fd gone)"));
        assert!(
            listener_closed,
            "{model}: the listener's close is traced\n{text}"
        );
    }
}

/// Issue 19, item 8: EADDRINUSE names the real port and what holds it, from the table — here a
/// listener this test holds, with its owner (this process) — not a literal `--port PORT`.
#[test]
fn eaddrinuse_names_the_real_port_and_what_holds_it() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let out = lab()
        .args(["server", "--port", &port.to_string()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("EADDRINUSE") && !err.contains("PORT"), "{err}");
    assert!(
        err.contains(&format!("127.0.0.1:{port} is listening there")),
        "{err}"
    );
    assert!(
        err.contains(&format!("/{} fd=", std::process::id())),
        "the owner, by pid: {err}"
    );
    assert!(
        err.contains(&format!("lab sockets --port {port} -p")),
        "{err}"
    );
}

#[test]
fn the_wait_for_a_new_clients_first_words_is_explained_on_its_line() {
    for model in ["threads", "poll", "epoll"] {
        let dir = temp_dir(&format!("first-words-{model}"));
        let trace = dir.join("trace.txt");
        let (srv, addr) = lab_server(server_cmd(
            model,
            &["--trace-file", trace.to_str().unwrap()],
        ));
        // A client that says nothing: the server waits 150 ms for its first words, then greets.
        let mut silent = TcpStream::connect(addr).unwrap();
        silent.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut greeting = [0u8; 16];
        assert!(
            std::io::Read::read(&mut silent, &mut greeting).unwrap() > 0,
            "{model}: greeted"
        );
        let text = wait_file(&trace, "to speak first");
        let lines: Vec<&str> = text.lines().collect();
        let note = lines
            .iter()
            .position(|l| l.contains("↳ waits up to 150 ms for srv:#1 to speak first"));
        let call = note
            .and_then(|n| n.checked_sub(1))
            .map(|n| lines[n])
            .unwrap_or_default();
        // The note is on the wait that ran out: poll() or epoll_wait() with a timeout of ~150 ms.
        assert!(
            call.contains("→ Timeout") && call.contains("poll"),
            "{model}:\n{text}"
        );
        sigint(&srv);
        let _ = srv.finish();
    }
}

#[test]
fn a_served_client_is_one_lifeline_whatever_its_thread_is_called() {
    for model in ["threads", "poll", "epoll"] {
        let dir = temp_dir(&format!("lifeline-{model}"));
        let page = dir.join("server.html");
        let trace = dir.join("trace.txt");
        let (srv, addr) = lab_server(server_cmd(
            model,
            &[
                "--trace-file",
                trace.to_str().unwrap(),
                "--html",
                page.to_str().unwrap(),
            ],
        ));
        let mut ana = Peer::join(addr, "ana");
        let mut bob = Peer::join(addr, "bob");
        ana.expect("* bob joined");
        bob.send("hola");
        ana.expect("bob: hola");
        sigint(&srv);
        for p in [&mut ana, &mut bob] {
            p.expect_eof();
        }
        let (code, _, err) = srv.finish();
        assert_eq!(code, 0, "{model}: {err}");
        let html = std::fs::read_to_string(&page).unwrap();
        // Each head is a lifeline: the listener, and one per client, named as it is known last.
        let heads: Vec<&str> = html
            .split(r#"<text class="head""#)
            .skip(1)
            .map(|h| h.split('>').nth(1).unwrap().split('<').next().unwrap())
            .collect();
        assert_eq!(heads.len(), 3, "{model}: {heads:?}");
        assert!(
            heads.contains(&"srv:ana") && heads.contains(&"srv:bob"),
            "{model}: {heads:?}"
        );
    }
}

/// A busy server traced into a file has its verdicts read in batches by the file's writer
/// (`trace::later`): each model's server, traced as JSON into a file, loaded by `lab load` (40
/// clients, 200 lines: hundreds of sends, several lines each). Every send and recv in the file has its verdict —
/// none left waiting, none a ✗ — and each ✓ shows the kernel's row (the state the call left
/// and both queues) or says why there is none. Only a call whose connection ended before its row was read may be `?`, and
/// then it says so.
#[test]
fn a_busy_servers_trace_file_has_every_verdict_read_in_batches() {
    for model in ["poll", "epoll", "threads"] {
        let dir = temp_dir(&format!("busy-{model}"));
        let trace = dir.join("server.jsonl");
        let file = trace.to_str().unwrap();
        let (srv, addr) = lab_server(server_cmd(model, &["--json", "--trace-file", file]));
        let port = addr.port().to_string();
        let load = lab()
            .args([
                "load",
                "--port",
                &port,
                "--clients",
                "40",
                "--messages",
                "200",
            ])
            .output()
            .unwrap();
        assert!(load.status.success(), "{model}: {load:?}");
        sigint(&srv);
        let (code, _, err) = srv.finish();
        assert_eq!(code, 0, "{model}: {err}");
        let text = std::fs::read_to_string(&trace).unwrap();
        let agreed = every_data_call_has_its_verdict(model, &text);
        // At least its name read and its welcome sent, for each client.
        assert!(
            agreed >= 40 * 2,
            "{model}: only {agreed} confirmed sends and recvs"
        );
    }
}

/// Checks each send and recv of a JSON trace; returns how many were confirmed. One not
/// confirmed must be on a connection the server then closed.
fn every_data_call_has_its_verdict(model: &str, text: &str) -> usize {
    let (mut agreed, mut unconfirmed) = (0, Vec::new());
    let mut closed = std::collections::HashSet::new();
    for line in text.lines() {
        let ev: serde_json::Value = serde_json::from_str(line).unwrap();
        if ev["call"] == "close" {
            closed.insert(ev["peer"].to_string());
        }
        if !matches!(ev["call"].as_str(), Some("send" | "recv")) || ev["errno"].is_string() {
            continue;
        }
        match ev["verdict"].as_str() {
            // A row in the state the call left, with its queues; or no row, and the reason
            // (a connection over: the table has nothing for it).
            Some("agrees") if ev["state"] == ev["kernel"] || ev["kernel"].is_null() => {
                let queues = ev["recv_q"].is_u64() && ev["send_q"].is_u64();
                let why = ev["reason"].is_string();
                assert!(
                    if ev["kernel"].is_null() { why } else { queues },
                    "{model}: {line}"
                );
                agreed += 1;
            }
            Some("unavailable") => {
                let why = ev["reason"].as_str().unwrap_or_default();
                assert!(
                    why.starts_with("not confirmed: when the table was read"),
                    "{line}"
                );
                unconfirmed.push((ev["peer"].to_string(), line));
            }
            _ => panic!("{model}: a send or recv without its verdict: {line}"),
        }
    }
    for (peer, line) in unconfirmed {
        assert!(
            closed.contains(&peer),
            "{model}: {line}\nis on a connection that never ended"
        );
    }
    agreed
}
