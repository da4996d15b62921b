//! The chat's rules: who is here, names, what each line does, who gets what. No sockets here:
//! the room answers each event with a list of [`Effect`]s (messages to say, connections to
//! close), and a server model carries them out. So every model (threads, poll, epoll) shares
//! exactly the same behaviour, and tests can drive the rules without a network. What is said
//! is typed ([`Msg`]); each client's dialect puts it into words ([`super::dialect`]).
//!
//! What the server says is marked so people and programs can tell it apart:
//! `* ` a notice from the server, `! ` an error, `[private] ` a private message, and a user's
//! own lines come back as `name (you): text` — marked by the server, which knows who sent them,
//! never guessed by a client from a prefix anyone could type.

use super::artifacts::{Artifacts, SwapError};
use super::framing::Frame;
use super::message::{Leave, Msg};
use super::protocol::{self, Command, MAX_LINE};
use crate::i18n::{f, t, M};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;

/// A connection's id in the room, given by the server (never reused while it runs).
pub type ClientId = u64;

/// What the server must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Say this to one client (its dialect words it).
    To(ClientId, Msg),
    /// Say this to every registered client except `except`.
    All { except: Option<ClientId>, msg: Msg },
    /// The client chose this name (a traced server renames the actor).
    Named(ClientId, String),
    /// Close this client's connection after what is queued for it.
    Close(ClientId),
}

struct Member {
    fd: i32,
    peer: SocketAddr,
    name: Option<String>,
}

/// How many names `:u` and `:i` list before saying "and N more".
const LIST_MAX: usize = 50;

/// Above this many users, joins and leaves are no longer announced to everyone: each notice
/// goes to every user, so N users joining one by one make N²/2 lines — 50 million for 10,000
/// users, which would drown the chat (large IRC channels hide them for the same reason).
pub const NOTICE_LIMIT: usize = 200;

/// The room: members, names, artifacts, pending offers.
pub struct Room {
    members: BTreeMap<ClientId, Member>,
    /// Canonical name ([`protocol::canonical`]) → id: names are unique in that form.
    by_name: HashMap<String, ClientId>,
    /// The registered ids, in order: who a broadcast goes to. Kept apart from `members` so a
    /// broadcast costs the users it reaches, not every connection (silent ones included).
    named: BTreeSet<ClientId>,
    artifacts: Artifacts<ClientId>,
    /// (proposer, accepter) → (proposer gives, proposer takes).
    offers: HashMap<(ClientId, ClientId), (u32, u32)>,
}

impl Room {
    /// A room expecting up to `players` users (to size the artifact deck), dealing by `seed`.
    pub fn new(players: usize, seed: u64) -> Room {
        Room {
            members: BTreeMap::new(),
            by_name: HashMap::new(),
            named: BTreeSet::new(),
            artifacts: Artifacts::new(players, seed),
            offers: HashMap::new(),
        }
    }

    /// A new connection, not yet named. `fd` is shown by `:add`. It is greeted by
    /// [`Room::welcome`] — at once, or once its dialect is known
    /// ([`super::dialect::speaker::Speaker`]).
    pub fn join(&mut self, id: ClientId, fd: i32, peer: SocketAddr) {
        self.members.insert(
            id,
            Member {
                fd,
                peer,
                name: None,
            },
        );
    }

    /// The greeting of a new connection, which asks for a name.
    pub fn welcome(&self, id: ClientId) -> Vec<Effect> {
        vec![Effect::To(id, Msg::Welcome)]
    }

    /// A frame arrived from `id`.
    pub fn receive(&mut self, id: ClientId, frame: Frame) -> Vec<Effect> {
        match frame {
            Frame::TooLong => vec![Effect::To(id, Msg::Notice(f(M::RoomTooLong, &[&MAX_LINE])))],
            Frame::Line(bytes) => self.hear(id, &protocol::sanitize(&bytes)),
        }
    }

    /// A clean line from `id`: its name until it has one, then a command or a message.
    pub fn hear(&mut self, id: ClientId, line: &str) -> Vec<Effect> {
        match self.members.get(&id).map(|m| m.name.is_some()) {
            Some(true) => self.command(id, protocol::parse(line)),
            Some(false) => self.register(id, line),
            None => Vec::new(),
        }
    }

    /// A registered user's hand, as it declares it (seed 001's client answers "1, 2" when
    /// asked which artifacts it has): its dealt hand goes back to the deck and the declared
    /// ones are taken from it. An artifact the deck has no copy of left is not given, so no
    /// copy is ever made out of nothing.
    pub fn declare_hand(&mut self, id: ClientId, answer: &str) -> Vec<Effect> {
        if !self.is_registered(id) {
            return Vec::new();
        }
        let wanted: Vec<u32> = answer
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter_map(|k| self.artifacts.find(k).map(|i| i.id))
            .collect();
        self.offers.retain(|(a, b), _| *a != id && *b != id);
        self.artifacts.redeal(id, &wanted);
        vec![Effect::To(id, Msg::Hand(self.hand_ids(id)))]
    }

    /// The connection ended: tell the others, return the artifacts, forget the offers.
    pub fn leave(&mut self, id: ClientId, why: Leave) -> Vec<Effect> {
        let Some(m) = self.members.remove(&id) else {
            return Vec::new();
        };
        self.offers.retain(|(a, b), _| *a != id && *b != id);
        let Some(name) = m.name else {
            return Vec::new();
        };
        self.by_name.remove(&protocol::canonical(&name));
        self.named.remove(&id);
        self.artifacts.return_hand(id);
        if self.by_name.len() >= NOTICE_LIMIT {
            return Vec::new();
        }
        vec![Effect::All {
            except: Some(id),
            msg: Msg::Left {
                name,
                why,
                roster: self.roster(),
            },
        }]
    }

    /// The server is stopping: everyone is told.
    pub fn shutdown_notice(&self) -> Vec<Effect> {
        self.members
            .keys()
            .map(|id| Effect::To(*id, Msg::Shutdown))
            .collect()
    }

    /// Registered clients, in id order: the recipients of a broadcast.
    pub fn registered(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.named.iter().copied()
    }

    /// Whether `id` has chosen a name.
    pub fn is_registered(&self, id: ClientId) -> bool {
        self.members.get(&id).is_some_and(|m| m.name.is_some())
    }

    /// Every connection, registered or not.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Everyone registered, by name, in id order.
    pub fn roster(&self) -> Vec<String> {
        self.members
            .values()
            .filter_map(|m| m.name.clone())
            .collect()
    }

    /// `id`'s name, once registered.
    pub fn name(&self, id: ClientId) -> Option<&str> {
        self.members.get(&id).and_then(|m| m.name.as_deref())
    }

    /// How many copies of each artifact exist (constant: see `Artifacts::census`).
    pub fn artifact_census(&self) -> BTreeMap<u32, usize> {
        self.artifacts.census()
    }

    /// `id`'s artifacts.
    pub fn hand(&self, id: ClientId) -> Vec<u32> {
        self.artifacts.hand(id).to_vec()
    }

    fn register(&mut self, id: ClientId, line: &str) -> Vec<Effect> {
        // Shown as typed, but composed (NFC): `e` + a combining accent is the letter `é`.
        let composed = protocol::composed(protocol::name_from_line(line));
        let name = composed.as_str();
        if let Err(why) = protocol::check_name(name) {
            return vec![Effect::To(id, Msg::BadName(why))];
        }
        let key = protocol::canonical(name);
        if self.by_name.contains_key(&key) {
            return vec![Effect::To(id, Msg::NameTaken(name.to_string()))];
        }
        self.by_name.insert(key, id);
        self.named.insert(id);
        if let Some(m) = self.members.get_mut(&id) {
            m.name = Some(name.to_string());
        }
        self.artifacts.deal(id);
        let hand = self.hand_ids(id);
        // by_name holds every registered user (this one included): counting members would
        // make each join cost as much as the room, and 10,000 joins 50 million steps.
        let others = self.by_name.len() - 1;
        let roster = if others < NOTICE_LIMIT {
            self.roster()
        } else {
            Vec::new()
        };
        let mut fx = vec![
            Effect::Named(id, name.to_string()),
            Effect::To(
                id,
                Msg::Hi {
                    name: name.to_string(),
                    others,
                    roster: roster.clone(),
                },
            ),
            Effect::To(id, Msg::Dealt(hand)),
        ];
        if others < NOTICE_LIMIT {
            fx.push(Effect::All {
                except: Some(id),
                msg: Msg::Joined {
                    name: name.to_string(),
                    roster,
                },
            });
        }
        fx
    }

    /// A registered user's command (the line protocol's, or a dialect's translated into it).
    pub fn command(&mut self, id: ClientId, cmd: Command) -> Vec<Effect> {
        // Registered, so the name exists.
        let me = self.name(id).unwrap_or_default().to_string();
        let reply = |line: String| vec![notice(id, line)];
        match cmd {
            Command::Empty => Vec::new(),
            Command::Say(text) => said(id, me, text),
            Command::Emote(face) => said(id, me, face.to_string()),
            Command::Me(text) => vec![Effect::All {
                except: None,
                msg: Msg::Action { from: me, text },
            }],
            Command::Private { to, text } => self.private(id, &me, &to, &text),
            Command::PrivateDashed(rest) => self.private_dashed(id, &me, &rest),
            Command::Users => {
                let names = self.roster();
                let shown = names.iter().take(LIST_MAX).cloned().collect();
                vec![Effect::To(
                    id,
                    Msg::Users {
                        total: names.len(),
                        shown,
                    },
                )]
            }
            Command::Info => self.info(id),
            Command::Add => {
                let m = &self.members[&id];
                reply(f(M::RoomYouAre, &[&me, &id, &m.fd, &m.peer]))
            }
            Command::Help => t(M::RoomHelp)
                .lines()
                .map(|l| notice(id, l.to_string()))
                .collect(),
            Command::Quit => vec![Effect::To(id, Msg::Bye(me)), Effect::Close(id)],
            Command::Artifacts => vec![Effect::To(id, Msg::Hand(self.hand_ids(id)))],
            Command::Artifact(key) => match self.artifacts.find(&key) {
                Some(item) => vec![Effect::To(id, Msg::Artifact(item.id))],
                None => reply(f(M::RoomNoArtifact, &[&key])),
            },
            Command::Offer { to, mine, theirs } => self.offer(id, &me, &to, &mine, &theirs),
            Command::Accept(from) => self.settle(id, &me, from, true),
            Command::Reject(from) => self.settle(id, &me, from, false),
            Command::Usage(usage) => reply(f(M::RoomUsage, &[&usage])),
            Command::Unknown(cmd) => reply(f(M::RoomUnknown, &[&cmd])),
        }
    }

    /// `:p-name-text`: the longest registered name followed by '-' wins (names may hold '-').
    /// Each '-' of the text is tried as the end of the name; what comes after it is the message.
    /// The text is cut only where it has a '-' — never at a length measured on another string
    /// (a canonical name may be longer or shorter in bytes than what the user typed).
    fn private_dashed(&self, id: ClientId, me: &str, rest: &str) -> Vec<Effect> {
        let target = rest
            .match_indices('-')
            .map(|(i, _)| (&rest[..i], &rest[i + 1..]))
            .filter(|(name, _)| self.by_name.contains_key(&protocol::canonical(name)))
            .max_by_key(|(name, _)| name.len());
        match target {
            Some((name, text)) => self.private(id, me, name, text.trim()),
            None => vec![notice(id, t(M::RoomNoSuchUserDashed).into())],
        }
    }

    /// `:i`: every user with its id and address, at most [`LIST_MAX`] of them.
    fn info(&self, id: ClientId) -> Vec<Effect> {
        let mut fx = vec![notice(id, f(M::RoomUsersIds, &[&self.by_name.len()]))];
        let rows: Vec<String> = self
            .members
            .iter()
            .filter_map(|(cid, m)| {
                m.name
                    .as_ref()
                    .map(|n| format!("*   {cid:>5}  {n:<16} {}", m.peer))
            })
            .collect();
        let extra = rows.len().saturating_sub(LIST_MAX);
        fx.extend(rows.into_iter().take(LIST_MAX).map(|r| notice(id, r)));
        if extra > 0 {
            fx.push(notice(id, f(M::RoomUsersMore, &[&extra])));
        }
        fx
    }

    /// `id`'s artifacts, as catalog ids.
    fn hand_ids(&self, id: ClientId) -> Vec<u32> {
        self.artifacts.hand(id).to_vec()
    }

    fn private(&self, id: ClientId, me: &str, to: &str, text: &str) -> Vec<Effect> {
        match self.by_name.get(&protocol::canonical(to)) {
            Some(&target) if text.is_empty() => {
                vec![notice(
                    id,
                    f(M::RoomEmptyPrivate, &[&self.name(target).unwrap_or(to)]),
                )]
            }
            Some(&target) => {
                let name = self.name(target).unwrap_or(to).to_string();
                vec![
                    Effect::To(
                        target,
                        Msg::PrivateIn {
                            from: me.to_string(),
                            text: text.to_string(),
                        },
                    ),
                    Effect::To(
                        id,
                        Msg::PrivateOut {
                            to: name,
                            text: text.to_string(),
                        },
                    ),
                ]
            }
            None => vec![notice(id, f(M::RoomNoUser, &[&to]))],
        }
    }

    fn offer(&mut self, id: ClientId, me: &str, to: &str, mine: &str, theirs: &str) -> Vec<Effect> {
        let err = |line: String| vec![notice(id, line)];
        let Some(&target) = self.by_name.get(&protocol::canonical(to)) else {
            return err(f(M::RoomNoUser, &[&to]));
        };
        if target == id {
            return err(t(M::RoomSelfTrade).into());
        }
        let them = self.name(target).unwrap_or(to).to_string();
        // The syntax was right: an id or name outside the catalog is an artifact nobody has.
        let Some(give) = self.artifacts.find(mine).map(|i| i.id) else {
            return err(f(M::RoomYouLack, &[&format!("'{mine}'")]));
        };
        let Some(take) = self.artifacts.find(theirs).map(|i| i.id) else {
            return err(f(M::RoomTheyLack, &[&them, &format!("'{theirs}'")]));
        };
        let (g, t) = (self.artifacts.label(give), self.artifacts.label(take));
        match self.artifacts.may_swap(id, give, target, take) {
            Ok(()) => {}
            Err(SwapError::ProposerLacks(_)) => return err(f(M::RoomYouLack, &[&g])),
            Err(SwapError::AccepterLacks(_)) => return err(f(M::RoomTheyLack, &[&them, &t])),
            Err(SwapError::ProposerHas(_)) => return err(f(M::RoomYouHave, &[&t])),
            Err(SwapError::AccepterHas(_)) => return err(f(M::RoomTheyHave, &[&them, &g])),
        }
        self.offers.insert((id, target), (give, take));
        vec![
            notice(target, f(M::RoomOfferIn, &[&me, &g, &t, &me, &me])),
            notice(id, f(M::RoomOfferOut, &[&them, &g, &t])),
        ]
    }

    /// `:accept` / `:reject`: settles the offer made to `id` by `from` (or the only one).
    fn settle(
        &mut self,
        id: ClientId,
        me: &str,
        from: Option<String>,
        accept: bool,
    ) -> Vec<Effect> {
        let err = |line: String| vec![notice(id, line)];
        let pending: Vec<ClientId> = self
            .offers
            .keys()
            .filter(|(_, to)| *to == id)
            .map(|(from, _)| *from)
            .collect();
        let proposer = match from {
            Some(name) => match self.by_name.get(&protocol::canonical(&name)) {
                Some(p) if pending.contains(p) => *p,
                _ => return err(f(M::RoomNoOfferFrom, &[&name])),
            },
            None => match pending.as_slice() {
                [one] => *one,
                [] => return err(t(M::RoomNoOffer).into()),
                _ => return err(t(M::RoomSeveralOffers).into()),
            },
        };
        let Some((give, take)) = self.offers.remove(&(proposer, id)) else {
            return err(t(M::RoomNoOffer).into());
        };
        let them = self.name(proposer).unwrap_or_default().to_string();
        let (g, t) = (self.artifacts.label(give), self.artifacts.label(take));
        if !accept {
            return vec![
                notice(proposer, f(M::RoomRejectedYours, &[&me, &g, &t])),
                notice(id, f(M::RoomYouRejected, &[&them])),
            ];
        }
        match self.artifacts.swap(proposer, give, id, take) {
            Ok(()) => {
                vec![
                    notice(proposer, f(M::RoomAccepted, &[&me, &g, &t])),
                    notice(id, f(M::RoomTradeDone, &[&t, &g])),
                ]
            }
            Err(SwapError::ProposerLacks(_)) => err(f(M::RoomTheyNoLonger, &[&them, &g])),
            Err(SwapError::AccepterLacks(_)) => err(f(M::RoomYouNoLonger, &[&t])),
            // Since the offer, a hand got what this trade would give it a second copy of.
            Err(SwapError::ProposerHas(_)) => err(f(M::RoomTheyHave, &[&them, &t])),
            Err(SwapError::AccepterHas(_)) => err(f(M::RoomYouHave, &[&g])),
        }
    }
}

/// A line of `me` (`id`): to everyone else, and its own copy (marked, or not shown, by its
/// dialect).
fn said(id: ClientId, me: String, text: String) -> Vec<Effect> {
    let others = Msg::Said {
        from: me.clone(),
        text: text.clone(),
    };
    vec![
        Effect::All {
            except: Some(id),
            msg: others,
        },
        Effect::To(id, Msg::Mine { from: me, text }),
    ]
}

/// Something the room says in lab's words.
fn notice(id: ClientId, line: String) -> Effect {
    Effect::To(id, Msg::Notice(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::words;

    fn line(s: &str) -> Frame {
        Frame::Line(s.as_bytes().to_vec())
    }

    fn room_with(names: &[&str]) -> Room {
        let mut r = Room::new(10, 1);
        for (i, n) in names.iter().enumerate() {
            let id = i as ClientId + 1;
            r.join(
                id,
                10 + id as i32,
                format!("127.0.0.1:{}", 50000 + id).parse().unwrap(),
            );
            r.receive(id, line(n));
        }
        r
    }

    /// What `id` is told, in lab's line protocol.
    fn to(fx: &[Effect], id: ClientId) -> Vec<String> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::To(t, m) if *t == id => Some(words::of(m)),
                _ => None,
            })
            .collect()
    }

    /// The effects with every message in lab's words: `To(id, line)`, `All(except, line)`.
    fn worded(fx: &[Effect]) -> Vec<String> {
        fx.iter()
            .map(|e| match e {
                Effect::To(id, m) => format!("To({id}, {})", words::of(m)),
                Effect::All { except, msg } => format!("All({except:?}, {})", words::of(msg)),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn registration_welcomes_and_announces() {
        let mut r = Room::new(10, 1);
        r.join(1, 5, "127.0.0.1:5000".parse().unwrap());
        assert!(to(&r.welcome(1), 1)[0].contains("What's your name?"));
        let fx = r.receive(1, line("ana"));
        assert_eq!(fx[0], Effect::Named(1, "ana".into()));
        assert!(to(&fx, 1)[0].starts_with("* Hi ana, welcome!"));
        assert!(
            worded(&fx).contains(&"All(Some(1), * ana joined the chat)".to_string()),
            "{fx:?}"
        );
        assert!(r.is_registered(1));
    }

    #[test]
    fn names_are_unique_ignoring_case_and_invalid_ones_are_refused() {
        let mut r = room_with(&["ana"]);
        r.join(2, 6, "127.0.0.1:5001".parse().unwrap());
        assert!(to(&r.receive(2, line("ANA")), 2)[0].contains("is taken"));
        assert!(to(&r.receive(2, line("a b")), 2)[0].starts_with("! ' ' is not allowed"));
        assert!(!r.is_registered(2));
        assert_eq!(r.receive(2, line("bob"))[0], Effect::Named(2, "bob".into()));
    }

    #[test]
    fn a_line_goes_to_the_others_and_back_marked_you() {
        let mut r = room_with(&["ana", "bob"]);
        let fx = r.receive(1, line("hola"));
        assert_eq!(
            worded(&fx),
            vec!["All(Some(1), ana: hola)", "To(1, ana (you): hola)"]
        );
    }

    #[test]
    fn typing_you_cannot_spoof_the_mark() {
        let mut r = room_with(&["ana", "bob"]);
        let fx = r.receive(2, line("ana (you): fake"));
        assert_eq!(worded(&fx)[0], "All(Some(2), bob: ana (you): fake)");
    }

    #[test]
    fn private_messages_both_spellings_and_errors() {
        let mut r = room_with(&["ana", "bob-x", "bob"]);
        let fx = r.receive(1, line(":p bob hola"));
        assert_eq!(to(&fx, 3), vec!["[private] ana -> you: hola"]);
        assert_eq!(to(&fx, 1), vec!["[private] you -> bob: hola"]);
        let fx = r.receive(1, line(":p-bob-x-que tal"));
        assert_eq!(to(&fx, 2), vec!["[private] ana -> you: que tal"]);
        let fx = r.receive(1, line(":p nadie hola"));
        assert_eq!(to(&fx, 1), vec!["! no user named 'nadie' (see :u)"]);
    }

    #[test]
    fn quit_says_bye_and_leaving_is_announced() {
        let mut r = room_with(&["ana", "bob"]);
        let fx = r.receive(1, line("chao"));
        assert_eq!(worded(&fx), vec!["To(1, * bye ana!)", "Close(1)"]);
        let fx = r.leave(1, Leave::Quit);
        assert_eq!(worded(&fx), vec!["All(Some(1), * ana left the chat)"]);
        let fx = r.leave(2, Leave::Reset);
        assert_eq!(
            worded(&fx),
            vec!["All(Some(2), * bob left the chat (connection reset))"]
        );
    }

    #[test]
    fn users_info_add_help_and_unknown() {
        let mut r = room_with(&["ana", "bob"]);
        assert_eq!(
            to(&r.receive(1, line(":u")), 1),
            vec!["* users (2): ana, bob"]
        );
        let info = to(&r.receive(1, line(":i")), 1);
        assert!(
            info[1].contains("ana") && info[1].contains("127.0.0.1:50001"),
            "{info:?}"
        );
        assert_eq!(
            to(&r.receive(1, line(":add")), 1),
            vec!["* you are ana: id 1, fd 11 on the server, your address 127.0.0.1:50001"]
        );
        assert!(to(&r.receive(1, line(":h")), 1).len() > 5);
        assert_eq!(
            to(&r.receive(1, line(":bailar")), 1),
            vec!["! unknown command :bailar: type :h for help"]
        );
    }

    #[test]
    fn an_offer_accepted_swaps_and_conserves() {
        let mut r = room_with(&["ana", "bob"]);
        let before = r.artifact_census();
        let (give, take) = (r.hand(1)[0], r.hand(2)[0]);
        let fx = r.receive(1, line(&format!(":offer bob {give} {take}")));
        assert!(to(&fx, 2)[0].contains(":accept ana"), "{fx:?}");
        let fx = r.receive(2, line(":accept"));
        assert!(to(&fx, 2)[0].starts_with("* trade done"), "{fx:?}");
        assert!(r.hand(2).contains(&give) && r.hand(1).contains(&take));
        assert_eq!(r.artifact_census(), before);
        assert_eq!(
            to(&r.receive(2, line(":accept")), 2),
            vec!["! no offer to settle"]
        );
    }

    /// The refusal of a trade that would give a hand a second copy of `artifact`.
    fn second_copy(who_has: &str, artifact: impl std::fmt::Display) -> Vec<String> {
        vec![format!(
            "! {who_has} {artifact}: a hand holds each artifact once"
        )]
    }

    #[test]
    fn a_trade_that_would_give_a_hand_a_second_copy_is_refused() {
        let mut r = room_with(&["u0", "u3", "u5"]);
        let before = r.artifact_census();
        // u0 offers 6 for u3's 20 while u3 already holds a 6: refused when offered.
        r.artifacts.redeal(1, &[6, 1, 2]);
        r.artifacts.redeal(2, &[20, 6, 3]);
        let fx = r.receive(1, line(":offer u3 6 20"));
        assert_eq!(
            to(&fx, 1),
            second_copy("u3 already has", r.artifacts.label(6))
        );
        let fx = r.receive(1, line(":offer u3 1 6"));
        assert_eq!(
            to(&fx, 1),
            second_copy("you already have", r.artifacts.label(6))
        );
        // Offered when it was fine; by the accept, u3 got a 1 from u5: refused then.
        r.receive(1, line(":offer u3 1 20"));
        r.artifacts.redeal(3, &[1, 4]);
        r.receive(3, line(":offer u3 1 3"));
        r.receive(2, line(":accept u5"));
        let fx = r.receive(2, line(":accept u0"));
        assert_eq!(
            to(&fx, 2),
            second_copy("you already have", r.artifacts.label(1))
        );
        for id in 1..=3 {
            let hand = r.hand(id);
            assert!(
                hand.iter()
                    .all(|a| hand.iter().filter(|b| *b == a).count() == 1),
                "{id}: {hand:?}"
            );
        }
        assert_eq!(r.artifact_census(), before);
    }

    #[test]
    fn an_offer_of_an_artifact_nobody_has_says_so() {
        let mut r = room_with(&["ana", "bob"]);
        let take = r.hand(2)[0];
        let fx = r.receive(1, line(&format!(":offer bob 99 {take}")));
        assert_eq!(
            to(&fx, 1),
            vec!["! you have no artifact '99' (see :artifacts)"]
        );
        let give = r.hand(1)[0];
        let fx = r.receive(1, line(&format!(":offer bob {give} 77")));
        assert_eq!(to(&fx, 1), vec!["! bob has no artifact '77'"]);
    }

    #[test]
    fn ownership_is_checked_again_at_accept_time() {
        let mut r = room_with(&["ana", "bob", "carla"]);
        let (give, take) = (r.hand(1)[0], r.hand(2)[0]);
        r.receive(1, line(&format!(":offer bob {give} {take}")));
        // Meanwhile ana trades `give` away to carla.
        let c = r.hand(3)[0];
        r.receive(1, line(&format!(":offer carla {give} {c}")));
        r.receive(3, line(":accept ana"));
        let before = r.artifact_census();
        let fx = r.receive(2, line(":accept ana"));
        assert!(to(&fx, 2)[0].contains("no longer has"), "{fx:?}");
        assert_eq!(r.artifact_census(), before);
    }

    #[test]
    fn a_rejected_offer_changes_nothing() {
        let mut r = room_with(&["ana", "bob"]);
        let hands = (r.hand(1), r.hand(2));
        r.receive(
            1,
            line(&format!(":offer bob {} {}", hands.0[0], hands.1[0])),
        );
        let fx = r.receive(2, line(":reject ana"));
        assert!(to(&fx, 1)[0].contains("rejected your offer"));
        assert_eq!((r.hand(1), r.hand(2)), hands);
    }

    #[test]
    fn a_crowd_is_not_told_of_every_join() {
        let names: Vec<String> = (0..NOTICE_LIMIT + 2).map(|i| format!("u{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut r = room_with(&refs[..NOTICE_LIMIT]);
        let id = NOTICE_LIMIT as ClientId + 1;
        r.join(id, 99, "127.0.0.1:6000".parse().unwrap());
        let fx = r.receive(id, line(refs[NOTICE_LIMIT]));
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::All { .. })),
            "{fx:?}"
        );
        assert!(to(&fx, id)[0].contains(&format!("{NOTICE_LIMIT} other users")));
        assert!(r.leave(id, Leave::Quit).is_empty());
    }

    #[test]
    fn too_long_lines_and_escapes() {
        let mut r = room_with(&["ana", "bob"]);
        assert!(to(&r.receive(1, Frame::TooLong), 1)[0].starts_with("! line too long"));
        let fx = r.receive(1, Frame::Line(b"\x1b[2Jhola\x07".to_vec()));
        assert_eq!(worded(&fx)[0], "All(Some(1), ana: hola)");
    }

    #[test]
    fn a_name_that_changes_length_when_case_mapped_cuts_nothing_wrong() {
        // KELVIN SIGN (3 bytes) lowercases to `k` (1 byte): once this sliced the text by the
        // lowercased name's length and panicked ("byte index 2 is not a char boundary").
        let mut r = room_with(&["k", "bob"]);
        let fx = r.receive(2, line(":p-\u{212A}-hola"));
        assert_eq!(to(&fx, 1), vec!["[private] bob -> you: hola"]);
        // `Ⱥ` (2 bytes) lowercases to `ⱥ` (3 bytes): once out of bounds.
        let mut r = room_with(&["ⱥ", "bob"]);
        let fx = r.receive(2, line(":p-Ⱥ-"));
        assert_eq!(to(&fx, 2), vec!["! empty message to ⱥ"]);
    }

    #[test]
    fn names_are_one_in_their_canonical_form() {
        let mut r = room_with(&["José"]);
        // The same name typed with a combining accent (e + U+0301), and in capitals.
        r.join(2, 12, "127.0.0.1:50002".parse().unwrap());
        let fx = r.receive(2, line("JOSE\u{301}"));
        assert_eq!(
            to(&fx, 2),
            vec!["! the name 'JOSÉ' is taken. What's your name?"]
        );
        let fx = r.receive(2, line("\u{212A}elvin"));
        // NFC itself turns the KELVIN SIGN into the letter K.
        assert!(to(&fx, 2)[0].starts_with("* Hi Kelvin,"), "{fx:?}");
        r.join(3, 13, "127.0.0.1:50003".parse().unwrap());
        assert_eq!(
            to(&r.receive(3, line("kelvin")), 3),
            vec!["! the name 'kelvin' is taken. What's your name?"]
        );
    }
}
