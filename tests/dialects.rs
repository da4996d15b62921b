//! The seeds' own chat clients in lab's chat: each client as its seed's listing writes it
//! (`tests/programs/seeds/`), two of them and a line client in one room, against both server
//! models. What each client prints is what its user would see.
//!
//! Needs `python3` (apt-get install python3) and, for seed 000's C client, `cc` (apt-get
//! install gcc); without them these tests are skipped, loudly.

mod common;

use common::peer::Peer;
use common::run::lab_server;
use common::{have_tool, lab, temp_dir, wait_file, Proc, TempDir};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const MODELS: [&str; 3] = ["threads", "poll", "epoll"];

/// `lab server` on a free port with this model and dialect (and a trace file, if given).
fn server(model: &str, dialect: &str, trace: Option<&Path>) -> (Proc, SocketAddr) {
    let mut c = lab();
    c.args([
        "server",
        "--port",
        "0",
        "--model",
        model,
        "--seed",
        "3",
        "--dialect",
        dialect,
    ]);
    if let Some(t) = trace {
        c.args(["--trace-file", t.to_str().unwrap(), "--color", "never"]);
    }
    lab_server(c)
}

fn seed_program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs/seeds")
        .join(name)
}

/// A seed's Python client on `port`, unbuffered so that its prints reach us as they happen.
fn python_client(script: &str, port: u16) -> Proc {
    let mut c = Command::new("python3");
    c.arg("-u").arg(seed_program(script)).arg(port.to_string());
    Proc::spawn(c)
}

fn has_python() -> bool {
    have_tool("python3", "python3")
}

/// A line client (as nc would be) named `name`.
fn line_user(addr: SocketAddr, name: &str) -> Peer {
    Peer::join(addr, name)
}

/// A line client that speaks first (`printf 'carla\n' | nc`): told by its newline, it gets
/// lab's welcome whatever a silent client would have been greeted with.
fn line_user_speaking_first(addr: SocketAddr, name: &str) -> Peer {
    let mut p = Peer::connect(addr);
    p.send(name);
    p.expect("What's your name?");
    p.expect(&format!("Hi {name}, welcome!"));
    p.expect("artifact");
    p
}

/// Waits until the server's trace (human) has said `needle`, then returns it.
fn traced(trace: &Path, needle: &str) -> String {
    wait_file(trace, needle)
}

fn stop(mut srv: Proc) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(srv.child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let _ = srv.wait_stderr("lab server: stopped");
}

/// Seed 000's C client, compiled once into `dir`.
fn poli_client(dir: &TempDir) -> Option<PathBuf> {
    if !have_tool("cc", "gcc") {
        return None;
    }
    let exe = dir.join("poli_client");
    let ok = Command::new("cc")
        .args(["-pthread", "-O1", "-o"])
        .arg(&exe)
        .arg(seed_program("poli_client.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "cc failed on poli_client.c");
    Some(exe)
}

#[test]
fn poli_clients_join_chat_with_a_line_client_and_mark_their_own_lines() {
    let dir = temp_dir("dialect-poli");
    let Some(exe) = poli_client(&dir) else { return };
    for model in MODELS {
        let (srv, addr) = server(model, "auto", None);
        let run = |name: &str| {
            let mut c = Command::new(&exe);
            c.arg(addr.port().to_string()).arg(name);
            Proc::spawn(c)
        };
        let mut ana = run("ana");
        ana.wait_stdout("Hi ana!! Welcome to the Poli Chat!!\n");
        let mut bob = run("bob");
        bob.wait_stdout("Hi bob!! Welcome to the Poli Chat!!\n");
        ana.wait_stdout("User \"bob\" has joined the chat\n");
        let mut carla = line_user(addr, "carla");
        ana.wait_stdout("User \"carla\" has joined the chat\n");
        ana.write(b"hola\n");
        // Its client marks its own line, as the seed's does: by the start of the recv().
        ana.wait_stdout("ana(you):hola\n");
        bob.wait_stdout("ana: hola\n");
        carla.expect("ana: hola");
        carla.send("que tal");
        ana.wait_stdout("carla: que tal\n");
        bob.wait_stdout("carla: que tal\n");
        // The same name again: refused in its words, and let go (it cannot send another).
        let mut again = run("ANA");
        again.wait_stdout("Username \"ANA\" is already taken. Connect again with another one.\n");
        again.wait_stdout("[the server closed the connection]");
        ana.write(b"chao\n");
        carla.expect("* ana left the chat");
        bob.wait_stdout("User \"ana\" has left the chat\n");
        stop(srv);
        bob.wait_stdout("[the server closed the connection]");
    }
}

#[test]
fn chatbid_clients_get_user_lists_and_each_others_messages() {
    if !has_python() {
        return;
    }
    for model in MODELS {
        let (srv, addr) = server(model, "auto", None);
        let join = |name: &str| {
            let mut p = python_client("chatbid_client.py", addr.port());
            p.write(format!("{name}\n").as_bytes());
            p
        };
        let mut ana = join("ana");
        ana.wait_stdout("Usuarios conectados: ana\n");
        let mut bob = join("bob");
        bob.wait_stdout("Usuarios conectados: ana,bob\n");
        ana.wait_stdout("Usuarios conectados: ana,bob\n");
        let mut carla = line_user(addr, "carla");
        ana.wait_stdout("Usuarios conectados: ana,bob,carla\n");
        ana.write(b"hola\n");
        bob.wait_stdout("ana: hola\n");
        carla.expect("ana: hola");
        carla.send("que tal");
        ana.wait_stdout("carla: que tal\n");
        // A command typed in a chatbid client works as in any other.
        bob.write(b":p ana psst\n");
        ana.wait_stdout("[private] bob -> you: psst\n");
        let mut again = join("ana");
        again.wait_stdout("! the name 'ana' is taken");
        again.wait_stdout("Desconectado del servidor");
        ana.write(b"chao\n");
        ana.wait_stdout("Desconectado del servidor");
        bob.wait_stdout("Usuarios conectados: bob,carla\n");
        carla.expect("* ana left the chat");
        stop(srv);
        bob.wait_stdout("Desconectado del servidor");
    }
}

/// A stardew client through the whole handshake: name, artifacts, "si".
fn stardew_join(addr: SocketAddr, name: &str, hand: &str) -> Proc {
    let mut p = python_client("stardew_client.py", addr.port());
    p.wait_stdout("Ingresa tu nombre: ");
    p.write(format!("{name}\n").as_bytes());
    p.wait_stdout("Bienvenid@ al chat de Granjerxs!\n");
    p.wait_stdout("Ingresa tus artefactos: ");
    p.write(format!("{hand}\n").as_bytes());
    p.wait_stdout("[SERVER] ¿Está Bien?\n");
    p.write(b"si\n");
    p.wait_stdout("[SERVER] ¡OK!\n");
    p
}

#[test]
fn stardew_clients_pass_their_handshake_byte_for_byte_and_play() {
    if !has_python() {
        return;
    }
    for model in MODELS {
        let dir = temp_dir(&format!("dialect-stardew-{model}"));
        let trace = dir.join("server.trace");
        let (srv, addr) = server(model, "stardew", Some(&trace));
        let mut ana = stardew_join(addr, "ana", "1, 2");
        let out = ana.wait_stdout("[SERVER] Tus artefactos son: \n");
        assert!(out.contains("[1] ") && out.contains(", [2] "), "{out}");
        let mut bob = stardew_join(addr, "bob", "3");
        ana.wait_stdout("[SERVER] Cliente bob conectado\n");
        let mut carla = line_user(addr, "carla");
        ana.write(b":smile\n");
        bob.wait_stdout("ana: :)\n");
        carla.expect("ana: :)");
        carla.send("hola granjeras");
        ana.wait_stdout("carla: hola granjeras\n");
        bob.write(b":u\n");
        bob.wait_stdout("[SERVER] Usuarios conectados: ana, bob, carla\n");
        // A trade between the two seed clients, in the seed's commands.
        ana.write(b":offer bob 1 3\n");
        bob.wait_stdout("offers you [1]");
        bob.write(b":accept\n");
        ana.wait_stdout("accepted: you gave [1]");
        // The pauses that keep each message alone are in the trace, said as what they are.
        let text = traced(&trace, "so that this message arrives in its own recv()");
        assert!(text.contains("the protocol has no framing"), "{text}");
        // The same name: the seed's own refusal, and its client asks again.
        let mut again = python_client("stardew_client.py", addr.port());
        again.wait_stdout("Ingresa tu nombre: ");
        again.write(b"ANA\n");
        again.wait_stdout("[SERVER] Nombre ya en uso.\n");
        again.wait_stdout("Ingresa tu nombre: ");
        ana.write(b":q\n");
        ana.wait_stdout("[SERVER] Adiós y suerte completando tu colección!");
        carla.expect("* ana left the chat");
        bob.wait_stdout("[SERVER] ana desconectado.\n");
        drop(again);
        stop(srv);
        assert!(
            !std::fs::read_to_string(&trace).unwrap().contains('✗'),
            "the kernel disagreed"
        );
    }
}

/// Presses Enter in an el4005 client until it has shown `needle`: it reads one `recv()` per
/// Enter, and paced messages arrive one by one.
fn enter_until(p: &mut Proc, needle: &str) -> String {
    for _ in 0..40 {
        p.write(b"\n");
        if p.stdout_within(needle, Duration::from_millis(250)) {
            return p.wait_stdout(needle);
        }
    }
    p.wait_stdout(needle)
}

/// An el4005 client greeted, named, and past its "yes"/"no".
fn el4005_join(addr: SocketAddr, name: &str) -> Proc {
    let mut p = python_client("el4005_client.py", addr.port());
    p.wait_stdout("Welcome to the best chat in the universe!\n");
    p.wait_stdout("Ingresa tu nombre: ");
    p.write(format!("{name}\n").as_bytes());
    p.wait_stdout(&format!("<{name}>: "));
    p
}

#[test]
fn el4005_clients_are_greeted_first_and_read_what_piled_up_after_enter() {
    if !has_python() {
        return;
    }
    for model in MODELS {
        let (srv, addr) = server(model, "el4005", None);
        let mut ana = el4005_join(addr, "ana");
        let mut bob = el4005_join(addr, "bob");
        let mut carla = line_user_speaking_first(addr, "carla");
        carla.send("hola a todos");
        carla.send("segunda linea");
        // Its client reads only after Enter: lines wait in its socket buffer, and the
        // newlines keep them apart when one recv() returns several.
        let out = enter_until(&mut ana, "<carla>: segunda linea\n");
        assert!(out.contains("<carla>: hola a todos\n"), "{out}");
        ana.write(b"que tal\n");
        carla.expect("ana: que tal");
        enter_until(&mut bob, "<ana>: que tal\n");
        bob.write(b":p-ana-secreto\n");
        enter_until(&mut ana, "<Mensaje privado de: bob>: secreto\n");
        // A taken nickname: "yes", and its client asks again.
        let mut again = python_client("el4005_client.py", addr.port());
        again.wait_stdout("Ingresa tu nombre: ");
        again.write(b"bob\n");
        again.wait_stdout("Nombre en uso. Escoge otro nombre: ");
        again.write(b"dani\n");
        again.wait_stdout("<dani>: ");
        ana.write(b":q\n");
        carla.expect("* ana left the chat");
        drop(again);
        stop(srv);
    }
}

#[test]
fn lab_client_speaks_each_dialect_as_the_seeds_clients_do() {
    if !has_python() {
        return;
    }
    let (srv, addr) = server("poll", "stardew", None);
    let mut ana = stardew_join(addr, "ana", "1");
    let port = addr.port().to_string();
    let client = |dialect: &str, name: &str| {
        let mut c = lab();
        c.args([
            "client",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--dialect",
            dialect,
            "--name",
            name,
        ]);
        c.args(["--color", "never"]);
        Proc::spawn(c)
    };
    // lab client --dialect poli: seed 000's bytes, so the server answers as poli.
    let mut p = client("poli", "pol");
    p.wait_stdout("Hi pol!! Welcome to the Poli Chat!!");
    let mut c = client("chatbid", "cha");
    c.wait_stdout("USER_LIST:ana,pol,cha");
    // Each typed line is one message, in its dialect's form.
    c.write(b"hola desde chatbid\n");
    ana.wait_stdout("cha: hola desde chatbid\n");
    p.wait_stdout("cha: hola desde chatbid");
    ana.write(b"hola poli\n");
    p.wait_stdout("ana: hola poli");
    c.wait_stdout("MESSAGE:ana: hola poli");
    // Leaving in each dialect's words: the others are told.
    c.write(b"chao\n");
    ana.wait_stdout("[SERVER] cha desconectado.\n");
    let (code, _, err) = c.finish();
    assert_eq!(code, 0, "{err}");
    stop(srv);
    p.wait_stdout("");
}

#[test]
fn lab_load_mixes_dialects_and_every_message_reaches_everyone() {
    for model in MODELS {
        for mix in ["line,poli,chatbid", "line,stardew", "el4005,poli"] {
            let out = lab()
                .args([
                    "load",
                    "--clients",
                    "6",
                    "--messages",
                    "10",
                    "--model",
                    model,
                    "--mix",
                    mix,
                ])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{model} {mix}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.contains("held=6 ") && text.contains(" lost=0 "),
                "{model} {mix}: {text}"
            );
        }
    }
    let out = lab()
        .args(["load", "--clients", "2", "--mix", "stardew,el4005"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot share a server"));
}
