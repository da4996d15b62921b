//! A new dialect is one file: `knock.rs` holds both sides of its protocol — how its client is
//! told apart, its own handshake, the room's messages in its words, and what its client sends
//! and waits for. Here it meets lab's room, as a server meets a client that speaks it: a
//! client of `knock` and a line client chat, with no code of lab's changed.

mod knock;

use lab::chat::dialect::speech::{Speech, Wire};
use lab::chat::dialect::Dialect;
use lab::chat::room::{ClientId, Effect, Room};

/// What the room's effects send client `to`, in the words of the dialect it speaks.
fn sent(fx: &[Effect], room: &Room, to: ClientId, speech: &dyn Speech) -> Vec<String> {
    let mut out = Vec::new();
    for e in fx {
        let msg = match e {
            Effect::To(id, msg) if *id == to => msg,
            Effect::All { except, msg } if *except != Some(to) && room.is_registered(to) => msg,
            _ => continue,
        };
        for w in speech.words(msg) {
            out.push(match w {
                Wire::Framed(line) => line,
                Wire::Alone(bytes) => String::from_utf8(bytes).unwrap(),
            });
        }
    }
    out
}

#[test]
fn a_dialect_in_one_file_chats_with_a_line_client_in_lab_s_room() {
    // The one line that brings it in.
    let knock: &dyn Speech = &knock::Knock;
    let line = Dialect::Line.speech();
    let mut room = Room::new(10, 1);
    let addr = "127.0.0.1:5000".parse().unwrap();
    room.join(1, 10, addr);
    room.join(2, 11, addr);
    let mut bob = line.conversation();
    room.hear(2, "bob");

    // Its client knocks; the server, told by the marker, holds a conversation in its words.
    let hello = String::from_utf8(knock.hello("ana").unwrap()).unwrap();
    assert!(hello.as_bytes().starts_with(knock.hello_marker().unwrap()));
    let mut ana = knock.conversation();
    let fx = ana.heard(&mut room, 1, &hello);
    let asked = sent(&fx, &room, 1, knock);
    assert_eq!(asked, ["WHO'S THERE?"]);
    let reply = knock
        .answer(&asked[0], "ana", "")
        .expect("it answers the door");
    let fx = ana.heard(&mut room, 1, std::str::from_utf8(&reply).unwrap());
    let welcome = sent(&fx, &room, 1, knock);
    assert!(
        welcome.iter().any(|m| knock.joined(m, "ana")),
        "{welcome:?}"
    );
    assert!(room.is_registered(1));

    // ana and bob chat, each in the words of the dialect they speak.
    let typed = knock.typed("hola");
    let fx = ana.heard(&mut room, 1, std::str::from_utf8(&typed[0]).unwrap());
    assert_eq!(sent(&fx, &room, 2, line), ["ana: hola"]);
    let fx = bob.heard(&mut room, 2, "hi ana");
    assert_eq!(sent(&fx, &room, 1, knock), ["BOB SAYS HI ANA"]);
}
