//! The room's rules hold whatever its members send: random sequences of joins, lines and
//! leaves from several members (commands, names and text mixed with Unicode that changes length
//! when case-mapped, combining marks, control characters) never panic, keep names unique in
//! their canonical form, and conserve every artifact. Cases that once failed are kept by
//! proptest in `tests/room_props.proptest-regressions` and run first, every time.

use lab::chat::framing::Frame;
use lab::chat::message::Leave;
use lab::chat::protocol::canonical;
use lab::chat::room::{ClientId, Room};
use proptest::prelude::*;
use std::collections::HashSet;

/// Pieces of text that have broken chat servers: case-mapping that changes byte length (KELVIN
/// SIGN, Ⱥ, ß, İ), combining marks, escapes, separators the protocol uses.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\u{212A}".to_string()),
        Just("Ⱥ".to_string()),
        Just("ⱥ".to_string()),
        Just("ß".to_string()),
        Just("İ".to_string()),
        Just("e\u{301}".to_string()),
        Just("\u{1b}[31m".to_string()),
        Just("-".to_string()),
        Just(" ".to_string()),
        Just("k".to_string()),
        Just("ana".to_string()),
        "[a-zA-Z0-9_-]{1,6}",
        "\\PC{0,4}",
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(tricky(), 1..4).prop_map(|v| v.concat())
}

/// One line a member might send: a name, a command with arguments, or text.
fn line() -> impl Strategy<Value = String> {
    let cmd = prop_oneof![
        Just(":p ".to_string()),
        Just(":p-".to_string()),
        Just(":offer ".to_string()),
        Just(":accept ".to_string()),
        Just(":reject ".to_string()),
        Just(":artifact ".to_string()),
        Just(":artifacts".to_string()),
        Just(":u".to_string()),
        Just(":i".to_string()),
        Just(":me ".to_string()),
        Just(":q".to_string()),
        Just("".to_string()),
    ];
    let command = (cmd, prop::collection::vec(word(), 0..4))
        .prop_map(|(c, ws)| format!("{c}{}", ws.join(" ")));
    // Often a bare name (the first line registers), often a private message to a tricky name.
    let dashed = (tricky(), word()).prop_map(|(to, text)| format!(":p-{to}-{text}"));
    prop_oneof![3 => tricky(), 3 => dashed, 4 => command]
}

#[derive(Debug, Clone)]
enum Act {
    Join,
    Line(String),
    Leave,
}

fn act() -> impl Strategy<Value = (ClientId, Act)> {
    let a =
        prop_oneof![1 => Just(Act::Join), 8 => line().prop_map(Act::Line), 1 => Just(Act::Leave)];
    (1u64..5, a)
}

proptest! {
    // 128 cases in every `cargo test`; `PROPTEST_CASES=200000 cargo test --release --test
    // room_props` for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_rooms_rules_hold_for_any_sequence(acts in prop::collection::vec(act(), 1..80)) {
        let mut room = Room::new(8, 7);
        let census = room.artifact_census();
        let mut joined: HashSet<ClientId> = HashSet::new();
        for (id, a) in acts {
            match a {
                Act::Join if !joined.contains(&id) => {
                    room.join(id, 10 + id as i32, format!("127.0.0.1:{}", 40000 + id).parse().unwrap());
                    joined.insert(id);
                }
                Act::Join => {}
                Act::Line(l) if joined.contains(&id) => {
                    let _ = room.receive(id, Frame::Line(l.into_bytes()));
                }
                Act::Line(_) => {}
                Act::Leave => {
                    let _ = room.leave(id, Leave::Disconnected);
                    joined.remove(&id);
                }
            }
            let names: Vec<String> = room.registered().filter_map(|id| room.name(id)).map(canonical).collect();
            let unique: HashSet<&String> = names.iter().collect();
            prop_assert_eq!(unique.len(), names.len(), "names not unique: {:?}", names);
            prop_assert_eq!(room.artifact_census(), census.clone());
        }
    }
}

/// One move of the artifact game: joins and leaves (a leave and a join again is a rejoin), and
/// offers whose artifacts are picked from the hands as they are when the offer is made — so
/// most offers are ones the rules must judge, not ones refused for naming nothing.
#[derive(Debug, Clone)]
enum Move {
    Join(ClientId),
    Leave(ClientId),
    Offer {
        from: ClientId,
        to: ClientId,
        mine: usize,
        theirs: usize,
    },
    Accept(ClientId),
    Reject(ClientId),
}

fn game_move() -> impl Strategy<Value = Move> {
    let who = 1u64..6;
    prop_oneof![
        1 => who.clone().prop_map(Move::Join),
        1 => who.clone().prop_map(Move::Leave),
        5 => (who.clone(), who.clone(), 0usize..3, 0usize..3)
            .prop_map(|(from, to, mine, theirs)| Move::Offer { from, to, mine, theirs }),
        4 => who.clone().prop_map(Move::Accept),
        1 => who.prop_map(Move::Reject),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    /// No offer and no accept gives a hand a second copy of an artifact; every hand keeps the
    /// size it was dealt (a trade is one for one); after leaves and rejoins the hands and the
    /// deck still add up to what there was.
    #[test]
    fn trades_never_give_a_hand_two_copies_and_hands_add_up_after_rejoins(
        moves in prop::collection::vec(game_move(), 1..120)
    ) {
        // Room for 40: the deck holds six copies of each artifact, so hands overlap.
        let mut room = Room::new(40, 11);
        let census = room.artifact_census();
        let mut dealt: std::collections::HashMap<ClientId, usize> = Default::default();
        for m in moves {
            match m {
                Move::Join(id) if !dealt.contains_key(&id) => {
                    room.join(id, 10 + id as i32, format!("127.0.0.1:{}", 40000 + id).parse().unwrap());
                    let _ = room.receive(id, Frame::Line(format!("u{id}").into_bytes()));
                    dealt.insert(id, room.hand(id).len());
                }
                Move::Leave(id) => {
                    let _ = room.leave(id, Leave::Reset);
                    dealt.remove(&id);
                }
                Move::Offer { from, to, mine, theirs } if dealt.contains_key(&from) => {
                    let (a, b) = (room.hand(from), room.hand(to));
                    let give = a.get(mine % a.len().max(1)).copied().unwrap_or(99);
                    let take = b.get(theirs % b.len().max(1)).copied().unwrap_or(99);
                    let _ = room.receive(from, Frame::Line(format!(":offer u{to} {give} {take}").into_bytes()));
                }
                Move::Accept(id) if dealt.contains_key(&id) => {
                    let _ = room.receive(id, Frame::Line(b":accept".to_vec()));
                }
                Move::Reject(id) if dealt.contains_key(&id) => {
                    let _ = room.receive(id, Frame::Line(b":reject".to_vec()));
                }
                _ => {}
            }
            for (id, size) in &dealt {
                let hand = room.hand(*id);
                let distinct: HashSet<&u32> = hand.iter().collect();
                prop_assert_eq!(distinct.len(), hand.len(), "u{} holds two copies: {:?}", id, hand);
                prop_assert_eq!(hand.len(), *size, "u{}'s hand changed size: {:?}", id, hand);
            }
            prop_assert_eq!(room.artifact_census(), census.clone());
        }
    }
}
