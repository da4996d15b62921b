//! A made-up protocol, to show what adding a dialect takes: this one file. The client knocks
//! (`KNOCK KNOCK`), the server asks `WHO'S THERE?`, the client answers with its name; then
//! every message is one `send()`, and the server shouts every message back in capitals.

use lab::chat::dialect::speech::{Conversation, Speech, Wire};
use lab::chat::message::Msg;
use lab::chat::room::{ClientId, Effect, Room};

pub struct Knock;

const KNOCK: &str = "KNOCK KNOCK";
const WHO: &str = "WHO'S THERE?";

impl Speech for Knock {
    fn name(&self) -> &'static str {
        "knock"
    }

    fn hello_marker(&self) -> Option<&'static [u8]> {
        Some(KNOCK.as_bytes())
    }

    fn words(&self, msg: &Msg) -> Vec<Wire> {
        let text = match msg {
            Msg::Welcome | Msg::Dealt(_) | Msg::Mine { .. } => return Vec::new(),
            Msg::Hi { name, .. } => format!("COME IN, {name}"),
            Msg::Said { from, text } => format!("{from} SAYS {text}"),
            Msg::Verbatim(text) => text.clone(),
            _ => "...".to_string(),
        };
        vec![Wire::alone(text.to_uppercase())]
    }

    fn conversation(&self) -> Box<dyn Conversation> {
        Box::new(Door::Closed)
    }

    fn hello(&self, _name: &str) -> Option<Vec<u8>> {
        Some(KNOCK.as_bytes().to_vec())
    }

    fn answer(&self, received: &str, name: &str, _hand: &str) -> Option<Vec<u8>> {
        (received == WHO).then(|| name.as_bytes().to_vec())
    }

    fn joined(&self, received: &str, name: &str) -> bool {
        received == format!("COME IN, {}", name.to_uppercase())
    }
}

/// Its own handshake: the door, closed until the knock is answered with a name.
#[derive(Debug)]
enum Door {
    Closed,
    Asked,
    Open,
}

impl Conversation for Door {
    fn heard(&mut self, room: &mut Room, id: ClientId, text: &str) -> Vec<Effect> {
        match self {
            Door::Closed if text.trim() == KNOCK => {
                *self = Door::Asked;
                vec![Effect::To(id, Msg::Verbatim(WHO.into()))]
            }
            Door::Closed => Vec::new(),
            Door::Asked | Door::Open => {
                *self = Door::Open;
                room.hear(id, text.trim())
            }
        }
    }
}
