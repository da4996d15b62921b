//! The trace on a real terminal (tmux): fitted to its width, followed as the window is
//! resized, never a line longer than the terminal — and what matters kept at 100 columns: the
//! result (`= 4`) and what `poll()` answered. Needs tmux (`apt-get install tmux`).

mod common;

use common::tmux::Tmux;
use std::io::Write;

/// The screen's logical lines (wrapped rows joined) after the last header that contains
/// `header` (the typed command line left out).
fn lines_after_header(t: &Tmux, header: &str) -> Vec<String> {
    let screen = t.screen();
    let lines: Vec<&str> = screen.trim_end().lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.contains("time ms") && l.contains(header))
        .expect("a header");
    lines[at..]
        .iter()
        .filter(|l| !l.starts_with(common::tmux::PROMPT))
        .map(|l| l.to_string())
        .collect()
}

/// Every trace line of `lines` fits `width` columns; returns how many lines there were.
fn all_fit(lines: &[String], width: usize) -> usize {
    for l in lines {
        assert!(
            l.chars().count() <= width,
            "a line wider than the terminal ({width}):\n{l}\n\nof:\n{}",
            lines.join("\n")
        );
    }
    lines.len()
}

/// A client that joins as `name`, says `text`, and leaves: its FIN, then all the server sent
/// read until the server closes too (nothing left unread, so no RST).
fn chat(addr: &str, name: &str, text: &str) {
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.write_all(format!("{name}\n{text}\n").as_bytes()).unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    c.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let _ = std::io::Read::read_to_end(&mut c, &mut Vec::new());
}

#[test]
fn the_trace_follows_the_terminal_as_it_is_resized() {
    let lab = env!("CARGO_BIN_EXE_lab");
    let cmd = format!("LANG=C.UTF-8 {lab} server --trace --model poll --port 0 --color never");
    let Some(t) = Tmux::start("resize", 100, 80, &cmd) else {
        return;
    };
    let screen = t.wait_for("Ctrl+C to stop");
    let addr = common::run::listening_on(&screen).to_string();

    // 100 columns: the narrow layout; the result and poll's answer on every call's first row.
    const NARROW: &str = "call → result";
    const WIDE: &str = "kernel";
    chat(&addr, "ana", "hola");
    t.wait_for("close(");
    let at_100 = lines_after_header(&t, NARROW);
    all_fit(&at_100, 100);
    let recv = at_100
        .iter()
        .find(|l| l.contains(" recv(") && l.contains("\"ana\\nhola\\n\""))
        .expect("ana's recv");
    assert!(recv.trim_end().ends_with("= 9"), "{recv}");
    let polls: Vec<&String> = at_100.iter().filter(|l| l.contains(" poll([")).collect();
    assert!(!polls.is_empty());
    for p in polls {
        assert!(
            p.contains("→ [{fd=") || p.contains("→ Timeout"),
            "poll's answer cut: {p}"
        );
    }

    // 160 columns: the wide layout, under a header of its own, still no line wider.
    t.resize(160, 80);
    chat(&addr, "bob", "buenas");
    t.wait_for_n("close(", 2);
    let at_160 = lines_after_header(&t, WIDE);
    assert!(
        at_160
            .iter()
            .any(|l| l.contains(" recv(") && l.contains("\"bob\\nbuenas\\n\"")),
        "{at_160:?}"
    );
    all_fit(&at_160, 160);

    // And back to 100: the narrow layout again, under its header.
    t.resize(100, 80);
    chat(&addr, "cy", "chao");
    t.wait_for_n("close(", 3);
    let back = lines_after_header(&t, NARROW);
    all_fit(&back, 100);
    assert!(
        back.iter().any(|l| l.contains(" recv(")
            && l.contains("\"cy\\nchao\\n\"")
            && l.trim_end().ends_with("= 8")),
        "{back:?}"
    );
    t.keys(&["C-c"]);
    t.wait_for("lab server: stopped");
}

#[test]
fn lesson_list_fits_100_columns() {
    let lab = env!("CARGO_BIN_EXE_lab");
    let Some(t) = Tmux::start("list", 100, 200, &format!("LANG=C.UTF-8 {lab} lesson list")) else {
        return;
    };
    let screen = t.wait_for_n(common::tmux::PROMPT, 2);
    assert!(
        screen.contains("three-way-handshake") && screen.contains("paced-messages"),
        "{screen}"
    );
    let rows: Vec<String> = screen
        .lines()
        .filter(|l| !l.starts_with(common::tmux::PROMPT))
        .map(str::to_string)
        .collect();
    all_fit(&rows, 100);
}

#[test]
fn lab_client_leaves_no_half_typed_line_when_the_server_stops() {
    let mut cmd = common::lab();
    cmd.args(["server", "--port", "0"]);
    let mut server = common::Proc::spawn(cmd);
    let err = server.wait_stderr("Ctrl+C to stop");
    let addr = common::run::listening_on(&err).to_string();
    let port = addr.rsplit(':').next().unwrap();
    let client = format!(
        "LANG=C.UTF-8 {} client --host 127.0.0.1 --port {port} --name ana",
        env!("CARGO_BIN_EXE_lab")
    );
    let Some(t) = Tmux::start("client", 100, 30, &client) else {
        return;
    };
    t.wait_for("Hi ana");
    t.keys(&["-l", "hola a tod"]);
    t.wait_for("hola a tod");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let screen = t.wait_for_n(common::tmux::PROMPT, 2);
    assert!(screen.contains("(not sent: hola a tod)"), "{screen}");
    let last = screen.trim_end().lines().last().unwrap_or_default();
    assert_eq!(
        last.trim_end(),
        common::tmux::PROMPT.trim_end(),
        "the shell's prompt on a line of its own:\n{screen}"
    );
    let _ = server.finish();
}
