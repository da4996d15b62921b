//! The chat server over real loopback sockets, every behaviour checked for both models
//! (threads and poll): registration, commands, private messages, leave notices, bad input,
//! slow readers, limits, and the artifact trade's conservation under concurrency.

use lab::chat::dialect::Choice;
use lab::chat::server::{self, Config, Model, Running};
use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

mod common;

use common::peer::Peer;
use common::PATIENCE;

fn start(model: Model, max_clients: usize) -> Running {
    server::spawn(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        model,
        max_clients,
        seed: 7,
        dialect: Choice::Auto,
        tracer: None,
    })
    .unwrap()
}

/// Each test runs against both server models.
macro_rules! both_models {
    ($($name:ident),* $(,)?) => {
        mod threads { $( #[test] fn $name() { super::$name(super::Model::Threads) } )* }
        mod poll { $( #[test] fn $name() { super::$name(super::Model::Poll) } )* }
        mod epoll { $( #[test] fn $name() { super::$name(super::Model::Epoll) } )* }
    };
}

both_models!(
    registration_welcome_and_unique_names,
    a_line_is_broadcast_and_echoed_as_you,
    users_info_add_help_me_emotes_unknown,
    private_messages_and_their_errors,
    quit_words_and_leave_notices,
    abrupt_disconnects_are_ordinary,
    a_huge_line_is_refused_and_the_next_one_works,
    invalid_utf8_and_escapes_are_cleaned,
    a_slow_reader_is_dropped_and_delays_nobody,
    a_burst_of_large_lines_keeps_every_reader,
    a_full_server_says_so,
    trades_conserve_every_artifact_under_concurrency,
    stopping_says_goodbye_to_everyone,
    every_reset_client_is_announced_as_reset,
    ctrl_c_leaves_as_soon_as_every_goodbye_is_sent,
);

fn registration_welcome_and_unique_names(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut other = Peer::connect(srv.addr);
    other.expect("What's your name?");
    other.send("ANA");
    assert!(other.expect("!").contains("the name 'ANA' is taken"));
    other.send("a b");
    assert!(other.expect("!").contains("not allowed"));
    other.send("this-name-is-far-too-long");
    assert!(other.expect("!").contains("at most 16"));
    other.send("USERNAME:bob");
    other.expect("Hi bob, welcome! 1 other user here");
    assert!(other.expect("your artifacts:").contains('['));
    ana.expect("* bob joined the chat");
}

fn a_line_is_broadcast_and_echoed_as_you(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    ana.send("hola a todos");
    assert_eq!(ana.expect("hola a todos"), "ana (you): hola a todos");
    assert_eq!(bob.expect("hola a todos"), "ana: hola a todos");
    // Typing the mark does not make a line yours: the server decides.
    bob.send("ana (you): fake");
    assert_eq!(ana.expect("fake"), "bob: ana (you): fake");
}

fn users_info_add_help_me_emotes_unknown(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    ana.send(":u");
    assert_eq!(ana.expect("* users"), "* users (2): ana, bob");
    ana.send("/i");
    ana.expect("id and address");
    let row = ana.expect("bob");
    assert!(
        row.contains(&bob.s.local_addr().unwrap().to_string()),
        "{row}"
    );
    bob.send(":add");
    let add = bob.expect("* you are bob");
    assert!(
        add.contains(&format!("your address {}", bob.s.local_addr().unwrap())),
        "{add}"
    );
    assert!(add.contains("fd "), "{add}");
    ana.send(":h");
    ana.expect(":offer name mine theirs");
    ana.send(":me baila");
    assert_eq!(bob.expect("baila"), "* ana baila");
    ana.send(":larva");
    assert_eq!(bob.expect("Larva"), "ana: Larva ! (:o)OOOooo");
    ana.send(":combito");
    assert_eq!(bob.expect("Q("), "ana: Q( - Q )");
    // An unknown command is answered, never a disconnect.
    ana.send(":bailar");
    assert_eq!(
        ana.expect("unknown"),
        "! unknown command :bailar: type :h for help"
    );
    ana.send("sigo aqui");
    bob.expect("ana: sigo aqui");
}

fn private_messages_and_their_errors(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    let mut carla = Peer::join(srv.addr, "carla");
    ana.send(":p bob solo para ti");
    assert_eq!(
        bob.expect("[private]"),
        "[private] ana -> you: solo para ti"
    );
    assert_eq!(
        ana.expect("[private]"),
        "[private] you -> bob: solo para ti"
    );
    ana.send(":p-carla-y esto");
    assert_eq!(carla.expect("[private]"), "[private] ana -> you: y esto");
    ana.send(":p nadie hola");
    assert_eq!(ana.expect("!"), "! no user named 'nadie' (see :u)");
    ana.send(":p bob");
    assert_eq!(ana.expect("!"), "! usage: :p name text");
    // carla saw nothing of the private message to bob.
    carla.send(":u");
    let seen = carla.expect("* users");
    assert!(!seen.contains("solo para ti"));
}

fn quit_words_and_leave_notices(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    for (name, word) in [
        ("bob", ":q"),
        ("carla", "chao"),
        ("dave", "bye"),
        ("eve", "/q"),
    ] {
        let mut p = Peer::join(srv.addr, name);
        ana.expect(&format!("* {name} joined the chat"));
        p.send(word);
        assert_eq!(p.expect("bye"), format!("* bye {name}!"));
        p.expect_eof();
        assert_eq!(
            ana.expect(&format!("* {name} left")),
            format!("* {name} left the chat")
        );
    }
}

fn abrupt_disconnects_are_ordinary(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    // RST: SO_LINGER 0 makes close() abort the connection.
    let bob = Peer::join(srv.addr, "bob");
    ana.expect("* bob joined");
    socket2::SockRef::from(&bob.s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(bob);
    assert_eq!(
        ana.expect("* bob left"),
        "* bob left the chat (connection reset)"
    );
    // EOF in the middle of a line: the half line is not a message.
    let mut carla = Peer::join(srv.addr, "carla");
    ana.expect("* carla joined");
    carla.send_raw(b"media lin");
    drop(carla);
    assert_eq!(ana.expect("carla"), "* carla left the chat (disconnected)");
    // Before registering, a disconnect tells no one, and the server goes on.
    drop(Peer::connect(srv.addr));
    let mut dave = Peer::join(srv.addr, "dave");
    dave.send(":u");
    assert_eq!(dave.expect("* users"), "* users (2): ana, dave");
}

fn a_huge_line_is_refused_and_the_next_one_works(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    let mut huge = vec![b'x'; 1_000_000];
    huge.push(b'\n');
    ana.send_raw(&huge);
    assert_eq!(
        ana.expect("!"),
        "! line too long (over 4096 bytes): dropped"
    );
    ana.send("corta");
    assert_eq!(bob.expect("corta"), "ana: corta");
    // A line of exactly 4096 bytes is fine.
    let max = "y".repeat(4096);
    ana.send(&max);
    assert_eq!(bob.expect("yyy"), format!("ana: {max}"));
}

fn invalid_utf8_and_escapes_are_cleaned(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    ana.send_raw(b"\xff hola \x1b[31mrojo\x1b[0m \x1b]0;titulo\x07fin\x07\r\n");
    assert_eq!(bob.expect("hola"), "ana: \u{fffd} hola rojo fin");
    // A name cannot smuggle escapes either.
    let mut p = Peer::connect(srv.addr);
    p.expect("What's your name?");
    p.send_raw(b"\x1b[2Jeve\n");
    p.expect("Hi eve, welcome!");
}

fn a_burst_of_large_lines_keeps_every_reader(m: Model) {
    // 40 clients, each sending 3 lines of 4,000 bytes at the same moment: for an instant every
    // outbox holds ~480 KB, more than the soft limit — and every client is reading. None may be
    // cut, and every line must reach everyone.
    let (clients, lines, size) = (40, 3, 4000);
    let srv = start(m, 100);
    let peers: Vec<Peer> = (0..clients)
        .map(|i| Peer::join(srv.addr, &format!("u{i}")))
        .collect();
    let go = std::sync::Arc::new(std::sync::Barrier::new(clients));
    let text = "b".repeat(size);
    let mut readers = Vec::new();
    for (i, mut p) in peers.into_iter().enumerate() {
        let mut writer = p.s.try_clone().unwrap();
        let (go, burst) = (go.clone(), text.clone());
        std::thread::spawn(move || {
            go.wait();
            for j in 0..lines {
                std::io::Write::write_all(&mut writer, format!("m{i}.{j} {burst}\n").as_bytes())
                    .unwrap();
            }
        });
        let text = text.clone();
        readers.push(std::thread::spawn(move || {
            let (mut got, want) = (0, clients * lines);
            while got < want {
                let l = p.line().expect("a reading client stays connected");
                assert!(!l.contains("(dropped"), "a reader was cut: {l}");
                if l.contains(&format!(" {text}")) {
                    got += 1;
                }
            }
            got
        }));
    }
    for r in readers {
        assert_eq!(r.join().unwrap(), clients * lines);
    }
}

fn a_slow_reader_is_dropped_and_delays_nobody(m: Model) {
    let srv = start(m, 100);
    // The stalled client: a tiny receive buffer, and it never reads after registering.
    let stall = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    stall.set_recv_buffer_size(4096).unwrap();
    stall.connect(&srv.addr.into()).unwrap();
    let mut stall = Peer::from_stream(stall.into());
    stall.expect("What's your name?");
    stall.send("stall");
    stall.expect("Hi stall");
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    // 4,000 lines of 1,000 bytes: 4 MB, far more than the stalled client's buffers and its
    // outbox's hard limit (1 MiB). bob and ana must get every line, promptly.
    let n = 4000;
    let text = "z".repeat(990);
    let reader = std::thread::spawn(move || {
        let mut got = 0;
        let mut dropped = false;
        while got < n || !dropped {
            let l = bob.line().expect("bob stays connected");
            if l.starts_with("ana: m") {
                got += 1;
            }
            dropped |= l == "* stall left the chat (dropped: it stopped reading)";
        }
        got
    });
    let echo = {
        let mut ana_reader = Peer::from_stream(ana.s.try_clone().unwrap());
        std::thread::spawn(move || {
            (0..n)
                .filter(|_| ana_reader.expect("ana (you): m").starts_with("ana (you)"))
                .count()
        })
    };
    let start = Instant::now();
    for i in 0..n {
        ana.send(&format!("m{i} {text}"));
    }
    assert_eq!(reader.join().unwrap(), n);
    assert_eq!(echo.join().unwrap(), n);
    // On this machine this takes well under a second; a frozen server would never finish.
    assert!(start.elapsed() < PATIENCE, "took {:?}", start.elapsed());
    // The stalled client was cut with RST (SO_LINGER 0): what it did not read was thrown away,
    // and no FIN waits behind it. Reading now drains its buffer, then meets the reset.
    let deadline = Instant::now() + PATIENCE;
    let mut chunk = [0u8; 65536];
    let end = loop {
        assert!(
            Instant::now() < deadline,
            "the stalled client was never cut"
        );
        stall.s.set_read_timeout(Some(PATIENCE)).unwrap();
        match stall.s.read(&mut chunk) {
            Ok(0) => break "EOF",
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break "RST",
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(end, "RST");
}

fn a_full_server_says_so(m: Model) {
    let srv = start(m, 2);
    let _a = Peer::join(srv.addr, "ana");
    let _b = Peer::join(srv.addr, "bob");
    let mut c = Peer::connect(srv.addr);
    assert_eq!(
        c.expect("server full"),
        "! server full (2 clients): try again later"
    );
    c.expect_eof();
}

fn trades_conserve_every_artifact_under_concurrency(m: Model) {
    let srv = start(m, 100);
    let names: Vec<String> = (0..8).map(|i| format!("t{i}")).collect();
    let parse_hand = |line: &str| -> Vec<u32> {
        line.split('[')
            .skip(1)
            .filter_map(|s| s.split(']').next()?.parse().ok())
            .collect()
    };
    let mut peers: Vec<Peer> = Vec::new();
    let mut hands: Vec<Vec<u32>> = Vec::new();
    for n in &names {
        let (p, hand) = Peer::join_with_hand(srv.addr, n);
        hands.push(parse_hand(&hand));
        peers.push(p);
    }
    let mut before: Vec<u32> = hands.concat();
    before.sort();
    // Everyone trades with everyone at once, and offers the same artifact to three partners
    // before anyone accepts: once one partner accepts, the other two offers are stale, and the
    // server must notice at accept time.
    let threads: Vec<_> = peers
        .into_iter()
        .enumerate()
        .map(|(i, mut p)| {
            let (names, hands) = (names.clone(), hands.clone());
            std::thread::spawn(move || {
                let n = names.len();
                for round in 0..10 {
                    let mine = hands[i][round % hands[i].len()];
                    for k in 1..=3 {
                        let j = (i + k + round) % n;
                        let theirs = hands[j][round % hands[j].len()];
                        p.send(&format!(":offer {} {mine} {theirs}", names[j]));
                    }
                    for (j, name) in names.iter().enumerate() {
                        if j != i {
                            p.send(&format!(":accept {name}"));
                        }
                    }
                }
                // Drain: count trades and stale offers until our own marker comes back.
                p.send(":me fin");
                let (mut done, mut stale) = (0, 0);
                loop {
                    let l = p.line().expect("connected");
                    done += usize::from(l.starts_with("* trade done"));
                    stale += usize::from(l.contains("no longer has"));
                    if l == format!("* {} fin", names[i]) {
                        break;
                    }
                }
                (p, (done, stale))
            })
        })
        .collect();
    let results: Vec<(Peer, (usize, usize))> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let trades: usize = results.iter().map(|(_, (d, _))| d).sum();
    let stale: usize = results.iter().map(|(_, (_, s))| s).sum();
    // Every peer has finished sending; now every hand is final. Ask each.
    let mut after = Vec::new();
    for (mut p, _) in results {
        p.send(":artifacts");
        after.extend(parse_hand(&p.expect("* your artifacts:")));
    }
    after.sort();
    assert_eq!(
        after, before,
        "artifacts created or lost ({trades} trade messages)"
    );
    assert!(trades > 0, "no trade happened at all");
    assert!(
        stale > 0,
        "no stale offer was accepted: the re-check at accept time went untested"
    );
}

fn stopping_says_goodbye_to_everyone(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut bob = Peer::join(srv.addr, "bob");
    let mut nameless = Peer::connect(srv.addr);
    nameless.expect("What's your name?");
    srv.stop().unwrap();
    for p in [&mut ana, &mut bob, &mut nameless] {
        p.expect("* server shutting down, bye!");
        p.expect_eof();
    }
}

/// A reset is a reset however the server learns of it: by the reader's `recv()`, or by a send
/// to the client that met the RST first (which takes the error the reader would have seen).
fn every_reset_client_is_announced_as_reset(m: Model) {
    let srv = start(m, 100);
    let mut ana = Peer::join(srv.addr, "ana");
    let mut words = Vec::new();
    for i in 0..40 {
        let name = format!("r{i}");
        let victim = Peer::join(srv.addr, &name);
        ana.expect(&format!("* {name} joined"));
        socket2::SockRef::from(&victim.s)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(victim);
        // Lines broadcast to it while its RST arrives: sends race its reader for the error.
        for k in 0..4 {
            ana.send(&format!("line {k}"));
        }
        let left = ana.expect(&format!("* {name} left"));
        words.push(left);
    }
    let wrong: Vec<&String> = words
        .iter()
        .filter(|w| !w.ends_with("(connection reset)"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} resets announced otherwise: {wrong:?}",
        wrong.len(),
        words.len()
    );
}

/// Ctrl+C waits (bounded) for goodbyes that cannot go out yet, not for ones already sent: with
/// every client reading, the server is gone at once, not after the whole grace period.
fn ctrl_c_leaves_as_soon_as_every_goodbye_is_sent(m: Model) {
    let srv = start(m, 100);
    let mut peers = vec![Peer::join(srv.addr, "ana"), Peer::join(srv.addr, "bob")];
    peers[0].expect("* bob joined");
    let mut nameless = Peer::connect(srv.addr);
    nameless.expect("What's your name?");
    peers.push(nameless);
    let start = Instant::now();
    srv.stop().unwrap();
    let took = start.elapsed();
    for p in &mut peers {
        p.expect("* server shutting down, bye!");
        p.expect_eof();
    }
    assert!(
        took < lab::chat::server::GOODBYE_GRACE / 4,
        "stopping took {took:?} with nothing left to write"
    );
}
