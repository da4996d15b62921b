//! The chat protocol: lines ↔ commands.
//!
//! UTF-8 text, one message per `\n`-terminated line (`\r\n` accepted), so `nc` and `telnet` are
//! full clients. Commands start with `:` as in the course material; `/` works too. Everything a
//! client sends is cleaned before anyone sees it: invalid UTF-8 is replaced (U+FFFD), and
//! control characters and terminal escape sequences are removed — otherwise one user could
//! clear, recolor or retitle everyone else's terminal.

use crate::i18n::{f, t, M};

/// Longest line a client may send, in bytes, newline excluded. Longer ones are dropped.
pub const MAX_LINE: usize = 4096;

/// Longest name, in characters.
pub const MAX_NAME: usize = 16;

/// What a registered user's line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A plain line: broadcast it.
    Say(String),
    /// `:p name text`: a private message.
    Private {
        to: String,
        text: String,
    },
    /// `:p-name-text` (seed 002's spelling): the name may itself hold `-`, so the room, which
    /// knows the names, splits it.
    PrivateDashed(String),
    /// `:u`: who is here.
    Users,
    /// `:i`: who is here, with ids and addresses.
    Info,
    /// `:add`: my own id, server-side fd and address.
    Add,
    /// `:h`: help.
    Help,
    /// `:q`, `chao`, `bye`: leave.
    Quit,
    /// `:smile`, `:angry`, `:combito`, `:larva`.
    Emote(&'static str),
    /// `:me text`: an action.
    Me(String),
    /// `:artifacts`: my hand.
    Artifacts,
    /// `:artifact N`: one artifact of the catalog.
    Artifact(String),
    /// `:offer name mine theirs`.
    Offer {
        to: String,
        mine: String,
        theirs: String,
    },
    /// `:accept [name]`, `:reject [name]`.
    Accept(Option<String>),
    Reject(Option<String>),
    /// A command with the wrong arguments: the usage to show.
    Usage(&'static str),
    /// `:something` the server does not know.
    Unknown(String),
    /// An empty line: nothing to do.
    Empty,
}

/// The emotes of seed 001, as it drew them.
pub const EMOTES: [(&str, &str); 4] = [
    ("smile", ":)"),
    ("angry", ">:(("),
    ("combito", "Q( - Q )"),
    ("larva", "Larva ! (:o)OOOooo"),
];

/// Parses one clean line from a registered user.
pub fn parse(line: &str) -> Command {
    let line = line.trim();
    if line.is_empty() {
        return Command::Empty;
    }
    let lower = line.to_lowercase();
    if matches!(lower.as_str(), "chao" | "bye") {
        return Command::Quit;
    }
    let Some(body) = line.strip_prefix(':').or_else(|| line.strip_prefix('/')) else {
        return Command::Say(line.to_string());
    };
    if let Some(rest) = body.strip_prefix("p-") {
        return Command::PrivateDashed(rest.to_string());
    }
    let (cmd, rest) = match body.split_once(char::is_whitespace) {
        Some((c, r)) => (c, r.trim()),
        None => (body, ""),
    };
    let args: Vec<&str> = rest.split_whitespace().collect();
    let opt_name = || args.first().map(|s| s.to_string());
    match cmd.to_lowercase().as_str() {
        "q" | "quit" | "exit" => Command::Quit,
        "h" | "help" | "?" => Command::Help,
        "u" | "users" => Command::Users,
        "i" | "info" => Command::Info,
        "add" => Command::Add,
        "me" if !rest.is_empty() => Command::Me(rest.to_string()),
        "me" => Command::Usage(":me text"),
        "p" | "msg" | "w" => match rest.split_once(char::is_whitespace) {
            Some((to, text)) if !text.trim().is_empty() => Command::Private {
                to: to.to_string(),
                text: text.trim().to_string(),
            },
            _ => Command::Usage(":p name text"),
        },
        "artifacts" | "artefactos" => Command::Artifacts,
        "artifact" | "artefacto" if args.len() == 1 => Command::Artifact(args[0].to_string()),
        "artifact" | "artefacto" => Command::Usage(":artifact N"),
        "offer" if args.len() == 3 => Command::Offer {
            to: args[0].to_string(),
            mine: args[1].to_string(),
            theirs: args[2].to_string(),
        },
        "offer" => Command::Usage(":offer name mine theirs"),
        "accept" => Command::Accept(opt_name()),
        "reject" => Command::Reject(opt_name()),
        other => match EMOTES.iter().find(|(name, _)| *name == other) {
            Some((_, face)) => Command::Emote(face),
            None => Command::Unknown(format!(":{cmd}")),
        },
    }
}

/// Why a name is refused, or `Ok`.
/// A name as typed, composed (NFC): `e` followed by a combining accent becomes `é`.
pub fn composed(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfc().collect()
}

/// The form two names are compared in, decided once, when a name is registered: Unicode NFC
/// (so `é` typed as one character or as `e` + accent is the same name), then lowercase, then
/// NFC again (lowercasing may undo it). `Ana`, `ANA` and `ana` are one name; so are `K` and the
/// KELVIN SIGN `K`, which lowercases to `k`. The result is only ever compared, never used to
/// cut the text it came from: its length in bytes may differ from the original's.
pub fn canonical(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    composed(name).to_lowercase().nfc().collect()
}

pub fn check_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 {
        return Err(t(M::NameEmpty).into());
    }
    if len > MAX_NAME {
        return Err(f(M::NameTooLong, &[&MAX_NAME]));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(f(M::NameBadChar, &[&c]));
    }
    // Words the server itself prints in place of a name.
    if matches!(canonical(name).as_str(), "you" | "server" | "system") {
        return Err(f(M::NameReserved, &[&name]));
    }
    Ok(())
}

/// A name as the first line of a client of seeds 000/004 sends it (`USERNAME:ana`,
/// `CONNECT:ana`), or as typed.
pub fn name_from_line(line: &str) -> &str {
    let line = line.trim();
    for prefix in ["USERNAME:", "CONNECT:"] {
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim();
        }
    }
    line
}

/// Cleans bytes from the network into text anyone may see: invalid UTF-8 becomes U+FFFD;
/// escape sequences (`ESC [ … m`, `ESC ] … BEL`) and other control characters are removed;
/// a tab becomes a space.
pub fn sanitize(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => skip_escape(&mut chars),
            '\t' => out.push(' '),
            // C0 controls, DEL and the C1 range (U+0080..U+009F, e.g. the 8-bit CSI).
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of an escape sequence after ESC: CSI (`[` params final-byte), OSC (`]` …
/// BEL or ESC `\`), or a single following character.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            // Parameters and intermediates run until a final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        Some(']') | Some('P') | Some('_') | Some('^') => {
            while let Some(c) = chars.next() {
                if c == '\x07' {
                    break;
                }
                if c == '\x1b' && chars.peek() == Some(&'\\') {
                    chars.next();
                    break;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_are_said() {
        assert_eq!(parse("hola a todos"), Command::Say("hola a todos".into()));
        assert_eq!(parse("   "), Command::Empty);
    }

    #[test]
    fn commands_in_both_spellings() {
        assert_eq!(parse(":q"), Command::Quit);
        assert_eq!(parse("/q"), Command::Quit);
        assert_eq!(parse("chao"), Command::Quit);
        assert_eq!(parse("BYE"), Command::Quit);
        assert_eq!(parse(":u"), Command::Users);
        assert_eq!(parse("/i"), Command::Info);
        assert_eq!(parse(":add"), Command::Add);
        assert_eq!(parse(":h"), Command::Help);
        assert_eq!(
            parse(":p bob hola que tal"),
            Command::Private {
                to: "bob".into(),
                text: "hola que tal".into()
            }
        );
        assert_eq!(parse(":p bob"), Command::Usage(":p name text"));
        assert_eq!(
            parse(":p-bob-hola"),
            Command::PrivateDashed("bob-hola".into())
        );
        assert_eq!(parse(":smile"), Command::Emote(":)"));
        assert_eq!(parse(":larva"), Command::Emote("Larva ! (:o)OOOooo"));
        assert_eq!(parse(":me baila"), Command::Me("baila".into()));
        assert_eq!(parse(":artefactos"), Command::Artifacts);
        assert_eq!(parse(":artifact 3"), Command::Artifact("3".into()));
        assert_eq!(
            parse(":offer bob 3 7"),
            Command::Offer {
                to: "bob".into(),
                mine: "3".into(),
                theirs: "7".into()
            }
        );
        assert_eq!(
            parse(":offer bob 3"),
            Command::Usage(":offer name mine theirs")
        );
        assert_eq!(parse(":accept"), Command::Accept(None));
        assert_eq!(parse(":reject ana"), Command::Reject(Some("ana".into())));
        assert_eq!(parse(":dance"), Command::Unknown(":dance".into()));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("ana").is_ok());
        assert!(check_name("Ana_2-b").is_ok());
        assert!(check_name("josé").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("ana(you)").is_err());
        assert!(check_name("abcdefghijklmnopq").is_err());
        assert!(check_name("You").is_err());
        assert_eq!(name_from_line("USERNAME:ana\r"), "ana");
    }

    #[test]
    fn escapes_and_controls_are_removed() {
        assert_eq!(sanitize(b"\x1b[31mrojo\x1b[0m"), "rojo");
        assert_eq!(sanitize(b"\x1b]0;titulo\x07hola"), "hola");
        assert_eq!(sanitize(b"a\x07b\x08c\rd"), "abcd");
        assert_eq!(sanitize("\u{9b}31mx".as_bytes()), "31mx");
        assert_eq!(sanitize(b"tab\there"), "tab here");
        assert_eq!(sanitize(b"ol\xffa"), "ol\u{fffd}a");
        assert_eq!(sanitize("ñandú".as_bytes()), "ñandú");
    }
}
