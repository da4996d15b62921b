//! `--step` in a real terminal (tmux): the keys Enter, `?`, `c`, `q` and Ctrl+C, the prompt
//! naming the actor as the trace's column does, and the terminal left as it was found
//! (canonical mode, echo on) however the run ends. Needs tmux (`apt-get install tmux`).

mod common;

use common::tmux::Tmux;

/// `lab ARGS` typed into a shell in a 120-column terminal.
fn in_terminal(name: &str, args: &str) -> Option<Tmux> {
    Tmux::start(
        name,
        120,
        50,
        &format!(
            "LANG=C.UTF-8 {} {args} --color never",
            env!("CARGO_BIN_EXE_lab")
        ),
    )
}

/// Once lab is over: its exit code and the terminal's modes, asked of the shell; the screen.
fn after(t: &Tmux) -> String {
    // Typed once the shell is back (a command after `;` would not run after a Ctrl+C).
    t.wait_for_n(common::tmux::PROMPT, 2);
    t.keys(&[
        "-l",
        "echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -e '-*icanon' -e '-*echo' | tr '\\n' ' '; echo MO''DES",
    ]);
    t.keys(&["Enter"]);
    t.wait_for("MODES")
}

/// The terminal after lab: canonical mode and echo, as a shell needs them.
fn restored(screen: &str) -> bool {
    screen.lines().any(|l| l.trim_end() == "icanon echo MODES")
}

#[test]
fn q_quits_a_lesson_cleanly_and_question_mark_lists_the_keys() {
    let Some(t) = in_terminal("q", "lesson run lifecycle --step") else {
        return;
    };
    t.wait_for("next: line 12 srv");
    t.keys(&["Enter"]);
    t.wait_for("next: line 13 srv");
    t.keys(&["?"]);
    t.wait_for("c: continue to the end without pausing · q: quit cleanly");
    t.keys(&["x"]);
    t.wait_for("that key does nothing here");
    t.keys(&["q"]);
    let screen = after(&t);
    assert!(screen.contains("q: quitting"), "{screen}");
    assert!(
        screen.contains("lesson lifecycle: stopped before line 13 (q); 1 check so far, 0 not met"),
        "{screen}"
    );
    // The one socket opened was closed, traced, by the clean-up.
    assert!(
        screen
            .lines()
            .any(|l| l.contains(" srv ") && l.contains("close(")),
        "{screen}"
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        restored(&screen),
        "the terminal was left in another mode:\n{screen}"
    );
}

#[test]
fn c_continues_to_the_end_without_pausing() {
    let Some(t) = in_terminal("c", "lesson run half-close --step") else {
        return;
    };
    t.wait_for("next: line");
    t.keys(&["c"]);
    let screen = after(&t);
    assert!(screen.contains("c: continuing to the end"), "{screen}");
    assert_eq!(
        screen.matches("⏸").count(),
        1,
        "no pause after c:\n{screen}"
    );
    assert!(
        screen.contains("lesson half-close: every expectation met"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=0") && restored(&screen), "{screen}");
}

#[test]
fn ctrl_c_stops_at_once_with_a_line_and_the_terminal_restored() {
    let Some(t) = in_terminal("ctrlc", "lesson run lifecycle --step") else {
        return;
    };
    t.wait_for("next: line 12 srv");
    t.keys(&["C-c"]);
    let screen = after(&t);
    assert!(screen.contains("Ctrl+C: stopped at once"), "{screen}");
    assert!(
        screen.contains("EXIT=130"),
        "killed by SIGINT, as the terminal would have:\n{screen}"
    );
    assert!(restored(&screen), "{screen}");
}

#[test]
fn q_stops_the_chat_server_cleanly() {
    let Some(t) = in_terminal("server", "server --port 0 --step") else {
        return;
    };
    // The prompt names the actor as the trace's column does.
    t.wait_for("next: server socket(");
    // Enter through the set-up calls until the server listens.
    let mut pauses = 1;
    let screen = loop {
        let screen = t.wait_for_n("⏸", pauses);
        if screen.contains("lab server: listening on") {
            break screen;
        }
        assert!(
            pauses < 10,
            "the server does not listen after {pauses} calls:\n{screen}"
        );
        t.keys(&["Enter"]);
        pauses += 1;
        t.wait_for_n("⏸", pauses);
        let screen = t.screen();
        if screen.contains("lab server: listening on") {
            break screen;
        }
    };
    let addr = common::run::listening_on(&screen);
    let _client = std::net::TcpStream::connect(addr).unwrap();
    t.wait_for("next: server accept");
    t.keys(&["q"]);
    let screen = after(&t);
    assert!(
        screen.contains("q: quitting") && screen.contains("lab server: stopped"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=0") && restored(&screen), "{screen}");
}

/// `lab net --step` with the echo server on host a and its client on host b (3 lines).
fn net_echo_in_terminal(name: &str) -> Option<Tmux> {
    let program = |p: &str| format!("{}/tests/programs/{p}", env!("CARGO_MANIFEST_DIR"));
    let (server, client) = (
        program("bulk_echo_server.py"),
        program("bulk_echo_client.py"),
    );
    in_terminal(
        name,
        &format!(
            "net --step --on a 'python3 {server} 0.0.0.0 9000' --on b 'python3 {client} 10.0.0.1 9000 3'"
        ),
    )
}

/// The first pause of a `lab net --step` run, or None (said loudly) where lab cannot make
/// its hosts.
fn first_net_pause(t: &Tmux) -> Option<String> {
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        let screen = t.screen();
        if screen.contains("⏸") {
            return Some(screen);
        }
        if screen.contains("cannot make its hosts") {
            common::skip(&format!("lab net cannot make namespaces here: {screen}"));
            return None;
        }
        assert!(std::time::Instant::now() < deadline, "no pause: {screen}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn lab_net_steps_through_both_hosts_programs_enter_question_mark_then_c() {
    let Some(t) = net_echo_in_terminal("net-c") else {
        return;
    };
    let Some(screen) = first_net_pause(&t) else {
        return;
    };
    // The prompt names the host, as the trace's column does.
    assert!(
        screen.contains("next: a ") || screen.contains("next: b "),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.wait_for_n("⏸", 2);
    t.keys(&["?"]);
    t.wait_for("c: continue to the end without pausing · q: quit cleanly");
    t.keys(&["c"]);
    let screen = after(&t);
    assert!(screen.contains("c: continuing to the end"), "{screen}");
    assert!(
        screen.contains("echo ok"),
        "the client got its echo: {screen}"
    );
    assert!(
        screen.contains("the hosts sent"),
        "the link's summary: {screen}"
    );
    assert!(screen.contains("EXIT=0") && restored(&screen), "{screen}");
}

#[test]
fn q_quits_lab_net_its_programs_ended_and_the_link_summed_up() {
    let Some(t) = net_echo_in_terminal("net-q") else {
        return;
    };
    if first_net_pause(&t).is_none() {
        return;
    }
    t.keys(&["q"]);
    let screen = after(&t);
    assert!(screen.contains("q: quitting"), "{screen}");
    assert!(
        screen.contains("the hosts sent"),
        "the link's summary: {screen}"
    );
    assert!(
        !screen.contains("EXIT=0"),
        "the programs were stopped: {screen}"
    );
    assert!(restored(&screen), "{screen}");
}
