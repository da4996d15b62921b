//! Property tests over the parsers that read what the network and instructors send: the line
//! framing, the chat protocol, the dialects, and the lesson format. Each holds for any input; a case that
//! once failed is kept in `tests/fuzz_props.proptest-regressions` and runs first, every time.
//! `PROPTEST_CASES=N cargo test --release --test fuzz_props` for a long run.

use lab::chat::dialect::speaker::Speaker;
use lab::chat::dialect::{Choice, INPUT_PAUSE};
use lab::chat::framing::{Frame, LineReader};
use lab::chat::protocol;
use lab::chat::room::{Effect, Room};
use lab::lesson::format;
use proptest::prelude::*;
use std::path::Path;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Bytes with many newlines, carriage returns and long runs, cut into chunks anywhere.
fn stream() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
        (1usize..40).prop_map(|n| vec![b'x'; n]),
    ];
    let bytes = prop::collection::vec(piece, 0..30).prop_map(|v| v.concat());
    (bytes, prop::collection::vec(1usize..16, 1..20))
}

fn frames(limit: usize, data: &[u8], cuts: &[usize]) -> (Vec<Frame>, usize) {
    let mut r = LineReader::with_limit(limit);
    let mut out = Vec::new();
    let mut rest = data;
    let mut max_pending = 0;
    for c in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at((*c).min(rest.len()));
        r.push(now, &mut out);
        max_pending = max_pending.max(r.pending());
        rest = later;
    }
    (out, max_pending)
}

/// Lines of lesson-like text: real keywords, names, numbers, strings and noise.
fn lesson_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(vec![
            "socket",
            "bind",
            "listen",
            "accept",
            "->",
            "connect",
            "send",
            "recv",
            "close",
            "shutdown",
            "wait",
            "poll",
            "in",
            "out",
            "state",
            "kernel",
            "=",
            "-1",
            "...",
            "gone",
            "ESTAB",
            "TIME-WAIT",
            "srv",
            "cli",
            "127.0.0.1:0",
            "srv",
            "127.0.0.1:srv",
            "setsockopt",
            "SO_LINGER",
            "nonblock",
            "recvfrom",
            "sendto",
            "udp",
            "ipv6",
            "resolve",
            "localhost",
            "recvq",
            "sendq",
            "EAGAIN",
            "note:",
            "note.es:",
            "title:",
            "\"hola\\n\"",
            "\"\\x",
            "\"",
            "#",
            "9999999999999999999",
            "-5",
            "0",
            "1",
            "8",
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ];
    let line = prop::collection::vec(word, 0..7).prop_map(|w| w.join(" "));
    let head = "title: T\ntitle.es: T\nquestion: Q\nquestion.es: P\n";
    prop::collection::vec(line, 0..12).prop_map(move |ls| format!("{head}{}", ls.join("\n")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn framing_does_not_depend_on_where_recv_cut_the_bytes((data, cuts) in stream(), limit in 1usize..64) {
        let (whole, _) = frames(limit, &data, &[usize::MAX]);
        let (cut, max_pending) = frames(limit, &data, &cuts);
        prop_assert_eq!(&cut, &whole);
        // Never more than one line's worth held, whatever arrives.
        prop_assert!(max_pending <= limit);
        for f in &cut {
            if let Frame::Line(l) = f {
                prop_assert!(l.len() <= limit && !l.contains(&b'\n'));
            }
        }
    }

    #[test]
    fn any_bytes_in_any_dialect_leave_the_room_sound(
        (data, cuts) in stream(),
        choice in prop::sample::select(vec![Choice::Auto, Choice::Line, Choice::Stardew, Choice::El4005]),
        pauses in prop::collection::vec(any::<bool>(), 1..20),
    ) {
        // Two clients: one speaks whatever the fuzzer says, cut anywhere, pausing anywhere; the
        // other is a line client. Nothing panics, held bytes stay bounded, and nobody is ever
        // told to close but the one that sent the bytes.
        let t0 = std::time::Instant::now();
        let mut room = Room::new(4, 1);
        room.join(1, 10, "127.0.0.1:40001".parse().unwrap());
        room.join(2, 11, "127.0.0.1:40002".parse().unwrap());
        let mut other = Speaker::new(Choice::Line, t0);
        other.hear(&mut room, 2, b"bob\n", t0);
        let mut s = Speaker::new(choice, t0);
        let mut now = t0;
        let mut rest = &data[..];
        for (c, pause) in cuts.iter().cycle().zip(pauses.iter().cycle()) {
            if rest.is_empty() {
                break;
            }
            let (chunk, later) = rest.split_at((*c).min(rest.len()));
            rest = later;
            let mut fx = s.hear(&mut room, 1, chunk, now);
            if *pause {
                now += INPUT_PAUSE;
                fx.extend(s.tick(&mut room, 1, now));
            }
            prop_assert!(s.pending() <= lab::chat::protocol::MAX_LINE + 64);
            prop_assert!(fx.iter().all(|e| !matches!(e, Effect::Close(id) if *id != 1)), "{:?}", fx);
        }
        prop_assert!(room.is_registered(2));
    }

    #[test]
    fn the_chat_protocol_reads_any_line(bytes in prop::collection::vec(any::<u8>(), 0..64), s in "\\PC{0,24}") {
        let clean = protocol::sanitize(&bytes);
        prop_assert!(!clean.chars().any(|c| c.is_control()), "{:?}", clean);
        for text in [clean.as_str(), s.as_str()] {
            let _ = protocol::parse(text);
            let name = protocol::name_from_line(text);
            let _ = protocol::check_name(name);
            let c = protocol::canonical(name);
            prop_assert_eq!(protocol::canonical(&c), c.clone());
        }
    }

    #[test]
    fn the_lesson_parser_refuses_with_a_line_or_accepts(text in lesson_text()) {
        let lines = text.lines().count().max(1);
        match format::parse(Path::new("lessons/x/01-fuzz.lesson"), &text) {
            Ok(l) => prop_assert!(!l.steps.is_empty()),
            Err(e) => prop_assert!(e.line >= 1 && e.line <= lines, "{} for {} lines", e, lines),
        }
    }
}
