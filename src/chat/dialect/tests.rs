//! The dialects against the room, without sockets: what each client's bytes become, and what
//! it is sent back, byte for byte.

use super::speaker::{Speaker, FIRST_MAX};
use super::*;
use crate::chat::room::{ClientId, Effect, Room};
use std::time::Instant;

const T0: Duration = Duration::ZERO;

/// A room, and a speaker for client 1 (and 2, 3…) accepted at `t0`.
struct Bench {
    room: Room,
    t0: Instant,
    speakers: Vec<Speaker>,
}

impl Bench {
    fn new(choice: Choice, clients: usize) -> Bench {
        let t0 = Instant::now();
        let mut room = Room::new(10, 1);
        let speakers = (1..=clients)
            .map(|i| {
                room.join(
                    i as ClientId,
                    10 + i as i32,
                    format!("127.0.0.1:{}", 40000 + i).parse().unwrap(),
                );
                Speaker::new(choice, t0)
            })
            .collect();
        Bench { room, t0, speakers }
    }

    /// Client `id` sends `data` at `at` after the start; what is said to whom, in their words.
    fn send(&mut self, id: usize, data: &[u8], at: Duration) -> Vec<(ClientId, Vec<u8>)> {
        let fx = self.speakers[id - 1].hear(&mut self.room, id as ClientId, data, self.t0 + at);
        self.worded(fx)
    }

    fn tick(&mut self, id: usize, at: Duration) -> Vec<(ClientId, Vec<u8>)> {
        let fx = self.speakers[id - 1].tick(&mut self.room, id as ClientId, self.t0 + at);
        self.worded(fx)
    }

    fn worded(&self, fx: Vec<Effect>) -> Vec<(ClientId, Vec<u8>)> {
        let mut out = Vec::new();
        for e in fx {
            let (ids, msg): (Vec<ClientId>, Msg) = match e {
                Effect::To(id, m) => (vec![id], m),
                Effect::All { except, msg } => (
                    self.room
                        .registered()
                        .filter(|i| Some(*i) != except)
                        .collect(),
                    msg,
                ),
                Effect::Close(id) => {
                    out.push((id, b"<close>".to_vec()));
                    continue;
                }
                Effect::Named(..) => continue,
            };
            for id in ids {
                for w in self.speakers[id as usize - 1].output().words(&msg) {
                    out.push((id, wire_bytes(w)));
                }
            }
        }
        out
    }
}

fn wire_bytes(w: Wire) -> Vec<u8> {
    match w {
        Wire::Framed(l) => format!("{l}\n").into_bytes(),
        Wire::Alone(b) => b,
    }
}

fn to(out: &[(ClientId, Vec<u8>)], id: ClientId) -> Vec<String> {
    out.iter()
        .filter(|(i, _)| *i == id)
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect()
}

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn a_line_client_is_told_by_its_newline_and_greeted_first() {
    let mut b = Bench::new(Choice::Auto, 1);
    let out = b.send(1, b"ana\n", MS(1));
    let got = to(&out, 1);
    assert!(got[0].starts_with("* Welcome to lab chat!"), "{got:?}");
    assert!(got[1].starts_with("* Hi ana, welcome!"), "{got:?}");
    assert_eq!(b.speakers[0].dialect(), Some(Dialect::Line));
}

#[test]
fn a_silent_client_is_greeted_after_the_first_words_wait() {
    let mut b = Bench::new(Choice::Auto, 1);
    assert!(
        b.tick(1, FIRST_WORDS - MS(1)).is_empty(),
        "not before the wait is over"
    );
    let got = to(&b.tick(1, FIRST_WORDS), 1);
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("* Welcome to lab chat!"));
    // Then a line: the name, and no second welcome.
    let got = to(&b.send(1, b"ana\n", MS(500)), 1);
    assert!(got[0].starts_with("* Hi ana"), "{got:?}");
    // With --dialect line there is no wait at all.
    assert!(Bench::new(Choice::Line, 1).speakers[0].greets_at_once());
}

#[test]
fn poli_the_name_ends_at_the_end_of_its_chunk_and_messages_echo_to_all() {
    let mut b = Bench::new(Choice::Auto, 2);
    let got = to(&b.send(1, b"USERNAME:ana", MS(1)), 1);
    assert_eq!(got, vec!["Hi ana!! Welcome to the Poli Chat!!\n"]);
    b.send(2, b"bob\n", MS(2));
    let out = b.send(1, b"hola\n", MS(3));
    assert_eq!(
        to(&out, 1),
        vec!["ana: hola\n"],
        "the sender too: its client marks it (you)"
    );
    assert_eq!(
        to(&out, 2),
        vec!["ana: hola\n"],
        "a line client: lab's words"
    );
    let out = b.send(1, b"chao a todos\n", MS(4));
    assert_eq!(to(&out, 1), vec!["* bye ana!\n", "<close>"]);
}

#[test]
fn poli_a_taken_name_is_refused_in_its_words_and_let_go() {
    let mut b = Bench::new(Choice::Auto, 2);
    b.send(1, b"ana\n", MS(1));
    let got = to(&b.send(2, b"USERNAME:ANA", MS(2)), 2);
    assert_eq!(
        got,
        vec![
            "Username \"ANA\" is already taken. Connect again with another one.\n",
            "<close>"
        ]
    );
}

#[test]
fn a_split_marker_waits_for_the_rest_and_a_bare_chunk_for_the_pause() {
    let mut b = Bench::new(Choice::Auto, 1);
    assert!(b.send(1, b"USERN", MS(1)).is_empty());
    assert_eq!(b.speakers[0].dialect(), None);
    assert_eq!(
        to(&b.send(1, b"AME:ana", MS(2)), 1),
        vec!["Hi ana!! Welcome to the Poli Chat!!\n"]
    );
    // A bare name under auto: a line client that forgot its newline, framed by its pause.
    let mut b = Bench::new(Choice::Auto, 1);
    assert!(b.send(1, b"ana", MS(1)).is_empty());
    assert!(b.tick(1, MS(1) + INPUT_PAUSE - MS(1)).is_empty());
    let got = to(&b.tick(1, MS(1) + INPUT_PAUSE), 1);
    assert!(
        got[0].starts_with("* Welcome") && got[1].starts_with("* Hi ana"),
        "{got:?}"
    );
}

#[test]
fn chatbid_lists_users_relays_to_the_others_and_says_disconnect() {
    let mut b = Bench::new(Choice::Auto, 3);
    assert_eq!(to(&b.send(1, b"CONNECT:ana", T0), 1), vec!["USER_LIST:ana"]);
    let out = b.send(2, b"CONNECT:bob", MS(1));
    assert_eq!(to(&out, 1), vec!["USER_LIST:ana,bob"]);
    assert_eq!(to(&out, 2), vec!["USER_LIST:ana,bob"]);
    b.send(3, b"carla\n", MS(2));
    assert!(
        b.send(1, b"MESSAGE:hola", MS(3)).is_empty(),
        "no newline: the message ends at the pause"
    );
    let out = b.tick(1, MS(3) + INPUT_PAUSE);
    assert!(to(&out, 1).is_empty(), "its client shows its own lines");
    assert_eq!(to(&out, 2), vec!["MESSAGE:ana: hola"]);
    assert_eq!(to(&out, 3), vec!["ana: hola\n"]);
    // A name taken: told, then DISCONNECT:, then let go.
    let mut c = Bench::new(Choice::Auto, 2);
    c.send(1, b"CONNECT:ana", T0);
    let got = to(&c.send(2, b"CONNECT:ana", MS(1)), 2);
    assert_eq!(
        got,
        vec![
            "MESSAGE:! the name 'ana' is taken. What's your name?",
            "DISCONNECT:",
            "<close>"
        ]
    );
    // MESSAGE:chao and DISCONNECT: glued in one chunk: one goodbye.
    b.send(1, b"MESSAGE:chaoDISCONNECT:", MS(90));
    let got = to(&b.tick(1, MS(90) + INPUT_PAUSE), 1);
    assert_eq!(got, vec!["DISCONNECT:", "<close>"]);
}

#[test]
fn stardew_the_whole_handshake_byte_for_byte() {
    let mut b = Bench::new(Choice::Stardew, 2);
    b.send(2, b"bob\n", MS(1));
    // A bare name, then silence: only the pause tells it is a stardew client.
    assert!(b.send(1, "bob".as_bytes(), MS(2)).is_empty());
    assert_eq!(to(&b.tick(1, MS(2) + INPUT_PAUSE), 1), vec![stardew::TAKEN]);
    let out = b.send(1, b"ana", MS(100));
    assert!(out.is_empty());
    let out = b.tick(1, MS(100) + INPUT_PAUSE);
    assert_eq!(to(&out, 1), vec![stardew::WELCOME, stardew::ASK_HAND]);
    assert_eq!(to(&out, 2), vec!["* ana joined the chat\n"]);
    b.send(1, b"1, 2", MS(200));
    let got = to(&b.tick(1, MS(200) + INPUT_PAUSE), 1);
    assert_eq!(got.len(), 2, "{got:?}");
    // The seed's catalog in its own (Spanish) words, whatever the server's language.
    assert_eq!(
        got[0],
        "[SERVER] Tus artefactos son: \n[1] Pergamino enano I, [2] Ánfora desconchada"
    );
    assert_eq!(got[1], stardew::IS_IT_RIGHT);
    b.send(1, b"no", MS(300));
    assert_eq!(
        to(&b.tick(1, MS(300) + INPUT_PAUSE), 1),
        vec![stardew::ASK_HAND],
        "anything but si: asked again"
    );
    b.send(1, b"3", MS(400));
    b.tick(1, MS(400) + INPUT_PAUSE);
    b.send(1, b"si", MS(500));
    assert_eq!(to(&b.tick(1, MS(500) + INPUT_PAUSE), 1), vec![stardew::OK]);
    assert_eq!(b.room.hand(1), vec![3]);
    b.send(1, b":smile", MS(600));
    let out = b.tick(1, MS(600) + INPUT_PAUSE);
    assert_eq!(to(&out, 2), vec!["ana: :)\n"]);
    assert!(to(&out, 1).is_empty());
    b.send(1, b":artefacto 3", MS(700));
    assert_eq!(
        to(&b.tick(1, MS(700) + INPUT_PAUSE), 1),
        vec!["[SERVER] El artefacto es: [3] Punta de flecha"]
    );
    b.send(1, b":artefactos", MS(800));
    assert_eq!(
        to(&b.tick(1, MS(800) + INPUT_PAUSE), 1),
        vec!["[SERVER] Tus artefactos son: \n[3] Punta de flecha"]
    );
    // A line client beside it has lab's catalog, in the server's language.
    let out = b.send(2, b":artifact 3\n", MS(900));
    assert_eq!(
        to(&out, 2),
        vec!["* [3] Arrowhead: A crudely fashioned point used for hunting.\n"]
    );
}

#[test]
fn el4005_greeted_first_yes_or_no_then_lines() {
    let mut b = Bench::new(Choice::El4005, 2);
    assert_eq!(to(&b.tick(1, FIRST_WORDS), 1), vec![el4005::GREETING]);
    b.send(2, b"bob\n", MS(1));
    b.send(1, b"BOB", MS(200));
    assert_eq!(to(&b.tick(1, MS(200) + INPUT_PAUSE), 1), vec!["yes"]);
    b.send(1, b"ana", MS(300));
    assert_eq!(
        to(&b.tick(1, MS(300) + INPUT_PAUSE), 1),
        vec!["no"],
        "nothing else with it"
    );
    b.send(2, b"hola\n", MS(400));
    b.send(1, b":p-bob-secreto", MS(500));
    let out = b.tick(1, MS(500) + INPUT_PAUSE);
    assert_eq!(to(&out, 2), vec!["[private] ana -> you: secreto\n"]);
    let out = b.send(2, b":p ana hey\n", MS(600));
    assert_eq!(to(&out, 1), vec!["<Mensaje privado de: bob>: hey\n"]);
    // A line client under --dialect el4005: greeted the same way, served in lines.
    let mut c = Bench::new(Choice::El4005, 1);
    c.tick(1, FIRST_WORDS);
    let got = to(&c.send(1, b"nc_user\n", MS(500)), 1);
    assert!(got[0].starts_with("* Hi nc_user"), "{got:?}");
}

#[test]
fn held_bytes_stay_bounded_whatever_a_client_sends() {
    let mut b = Bench::new(Choice::Stardew, 1);
    b.send(1, b"ana", T0);
    b.tick(1, INPUT_PAUSE);
    let junk = vec![b'x'; 100_000];
    for i in 0..50 {
        b.send(1, &junk, MS(100 + i));
        assert!(b.speakers[0].pending() <= crate::chat::protocol::MAX_LINE + FIRST_MAX);
    }
    let got = to(&b.tick(1, MS(200) + INPUT_PAUSE), 1);
    assert!(
        got.iter().all(|m| m.len() < 200),
        "no echo of the junk: {:?}",
        got.len()
    );
}

#[test]
fn messages_glued_in_one_recv_are_cut_at_what_the_handshake_knows() {
    let glued = format!("{}{}", stardew::WELCOME, stardew::ASK_HAND);
    assert_eq!(
        Dialect::Stardew.speech().split_glued(&glued),
        vec![stardew::WELCOME, stardew::ASK_HAND]
    );
    assert_eq!(
        Dialect::Chatbid
            .speech()
            .split_glued("USER_LIST:a,bMESSAGE:a: hi"),
        vec!["USER_LIST:a,b", "MESSAGE:a: hi"]
    );
    assert_eq!(
        Dialect::El4005.speech().split_glued("no* bob joined\n"),
        vec!["no", "* bob joined\n"]
    );
    assert_eq!(
        Dialect::Poli.speech().split_glued("Hi a!! x\n"),
        vec!["Hi a!! x\n"]
    );
}

#[test]
fn every_dialect_is_listed_once_and_found_by_its_name() {
    use clap::ValueEnum;
    // `ALL` is what detection walks and `lab load` deals from: a variant left out of it would
    // be a dialect the server never tells apart.
    assert_eq!(Dialect::ALL.as_slice(), Dialect::value_variants());
    for d in Dialect::ALL {
        assert_eq!(Dialect::from_name(d.name()), Some(d));
        let as_cli = d.to_possible_value().expect("every dialect has a name");
        assert_eq!(
            as_cli.get_name(),
            d.name(),
            "--dialect spells it as its Speech does"
        );
    }
}

/// A server thread that wakes late (a busy machine) reads a message's bytes after the pause
/// that ended the one before had passed, with no tick in between: the one before ends first,
/// as an on-time thread would have ended it, instead of both going out glued as one (`lab load
/// --mix` counted the second as lost under load).
#[test]
fn bytes_read_after_the_pause_passed_end_the_message_before_them() {
    let mut b = Bench::new(Choice::Auto, 2);
    b.send(1, b"CONNECT:ana", T0);
    b.send(2, b"bob\n", MS(1));
    assert!(b.send(1, b"MESSAGE:uno", MS(10)).is_empty());
    // Read 130 ms later (the client paused its 120 ms), the pause's tick never ran.
    let out = b.send(1, b"MESSAGE:dos", MS(140));
    assert_eq!(to(&out, 2), vec!["ana: uno\n"]);
    assert_eq!(to(&b.tick(1, MS(140) + INPUT_PAUSE), 2), vec!["ana: dos\n"]);
    // Bytes that come before the pause passed are the same message, as before.
    assert!(b.send(1, b"MESSAGE:tr", MS(300)).is_empty());
    assert!(b.send(1, b"es", MS(310)).is_empty());
    assert_eq!(
        to(&b.tick(1, MS(310) + INPUT_PAUSE), 2),
        vec!["ana: tres\n"]
    );
}
