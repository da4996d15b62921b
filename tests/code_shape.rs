//! The code a student reads keeps its shape: no function in `src/` is longer than
//! [`MAX_LINES`] lines, counted from its `fn` line to its closing brace, as `cargo fmt` lays it
//! out at its default width (100). A long function is where a reader loses the thread; the
//! failure names each one as `file:line`, with its length, so it can be split where a concept
//! ends.
//!
//! No line in `src/` is wider than [`MAX_COLUMNS`] either: `cargo fmt` keeps code to that width
//! but cannot wrap a comment or a string, so a long one is wrapped by hand (a string with a `\`
//! line continuation or `concat!`, so what lab prints stays the same).
//!
//! The source is read with a small scanner, not a Rust parser: it knows comments, strings (raw
//! ones too), characters and lifetimes well enough to match a function's braces, which is all
//! this needs.

use std::path::{Path, PathBuf};

/// The most lines a function may take.
const MAX_LINES: usize = 60;

/// The widest a line may be, in characters: rustfmt's default `max_width`.
const MAX_COLUMNS: usize = 100;

#[test]
fn no_function_in_src_is_longer_than_sixty_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    let mut counted = 0;
    for path in rust_files(&src) {
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        for f in functions(&text) {
            counted += 1;
            if f.lines > MAX_LINES {
                long.push(format!(
                    "{}:{} {} is {} lines",
                    shown.display(),
                    f.line,
                    f.name,
                    f.lines
                ));
            }
        }
    }
    // The scanner found the functions at all: lab has hundreds.
    assert!(counted > 500, "only {counted} functions found in src/");
    assert!(
        long.is_empty(),
        "{} functions are longer than {MAX_LINES} lines; split each where a concept ends:\n{}",
        long.len(),
        long.join("\n")
    );
}

#[test]
fn the_scanner_matches_braces_past_strings_comments_and_characters() {
    let text = r####"
fn one() {
    let s = "}{";
    let r = r#"}"#;
    let c = '}';
    let l: &'static str = "x";
    // }
    /* } /* } */ } */
}
trait T {
    fn declared(&self, a: [u8; 2]);
}
fn two<'a>(f: fn(u8) -> u8) -> impl Fn() {
    move || {}
}
"####;
    let found: Vec<(String, usize, usize)> = functions(text)
        .into_iter()
        .map(|f| (f.name, f.line, f.lines))
        .collect();
    assert_eq!(
        found,
        vec![("one".to_string(), 2, 8), ("two".to_string(), 13, 3)]
    );
}

#[test]
fn no_line_in_src_is_wider_than_a_hundred_columns() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (mut wide, mut read) = (Vec::new(), 0);
    for path in rust_files(&src) {
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        read += text.lines().count();
        for (line, columns) in wide_lines(&text) {
            wide.push(format!("{}:{line} is {columns} columns", shown.display()));
        }
    }
    // The files were read at all: lab has tens of thousands of lines.
    assert!(read > 10_000, "only {read} lines read in src/");
    assert!(
        wide.is_empty(),
        "{} lines are wider than {MAX_COLUMNS} columns; wrap each (a comment at a word, a string \
         with a `\\` continuation or `concat!`, its text unchanged):\n{}",
        wide.len(),
        wide.join("\n")
    );
}

#[test]
fn the_width_check_counts_characters_and_names_the_wide_line() {
    // 101 characters on line 3; line 2 is 100 characters of 200 bytes, which fits.
    let text = format!(
        "fn a() {{}}\n{}\n    // {}\n",
        "é".repeat(100),
        "x".repeat(94)
    );
    assert_eq!(wide_lines(&text), vec![(3, 101)]);
    assert_eq!(wide_lines("fn a() {}\n"), vec![]);
}

/// The lines of `text` wider than [`MAX_COLUMNS`] characters: each one's number (from 1) and
/// width.
fn wide_lines(text: &str) -> Vec<(usize, usize)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.chars().count()))
        .filter(|(_, columns)| *columns > MAX_COLUMNS)
        .collect()
}

/// Every `.rs` file under `dir`, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

/// A function with a body: its name, the line of its `fn`, and how many lines it takes.
#[derive(Debug)]
struct Function {
    name: String,
    line: usize,
    lines: usize,
}

/// What the scanner keeps of the source: words and the punctuation that delimits bodies.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Open,
    Close,
    /// `(` or `[`: a `;` inside (`[u8; 6]`) does not end a declaration.
    Bracket,
    Unbracket,
    Semicolon,
    Other,
}

/// The functions with a body in `text`.
fn functions(text: &str) -> Vec<Function> {
    let tokens = tokens(text);
    let mut out = Vec::new();
    for (i, (token, line)) in tokens.iter().enumerate() {
        if *token != Token::Word("fn".into()) {
            continue;
        }
        // `fn(u8) -> u8` is a type, not a function; `fn $name` is a macro's.
        let Some((Token::Word(name), _)) = tokens.get(i + 1) else {
            continue;
        };
        if let Some(end) = body_end(&tokens[i + 2..]) {
            out.push(Function {
                name: name.clone(),
                line: *line,
                lines: end - line + 1,
            });
        }
    }
    out
}

/// The line of the brace that closes the body starting in `rest`, or `None` for a declaration
/// without one (`fn declared(&self);`).
fn body_end(rest: &[(Token, usize)]) -> Option<usize> {
    let (mut depth, mut brackets) = (0usize, 0usize);
    for (token, line) in rest {
        match token {
            Token::Bracket => brackets += 1,
            Token::Unbracket => brackets = brackets.saturating_sub(1),
            Token::Semicolon if depth == 0 && brackets == 0 => return None,
            Token::Open => depth += 1,
            Token::Close => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(*line);
                }
            }
            _ => {}
        }
    }
    None
}

/// The tokens of `text`, each with its line (from 1), past comments, strings and characters.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let c: Vec<char> = text.chars().collect();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    while i < c.len() {
        let start_line = line;
        let next = skip(&c, i);
        if next > i {
            line += c[i..next].iter().filter(|ch| **ch == '\n').count();
            i = next;
            continue;
        }
        let ch = c[i];
        let token = if ch.is_alphabetic() || ch == '_' {
            let mut j = i;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            let word: String = c[i..j].iter().collect();
            i = j;
            Token::Word(word)
        } else {
            i += 1;
            match ch {
                '{' => Token::Open,
                '}' => Token::Close,
                ';' => Token::Semicolon,
                '(' | '[' => Token::Bracket,
                ')' | ']' => Token::Unbracket,
                '\n' => {
                    line += 1;
                    continue;
                }
                ch if ch.is_whitespace() => continue,
                _ => Token::Other,
            }
        };
        out.push((token, start_line));
    }
    out
}

/// Where the comment, string or character literal starting at `i` ends (`i` itself if none
/// starts there). A lifetime (`'a`) is not a character literal: it has no closing quote.
fn skip(c: &[char], i: usize) -> usize {
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    match (at(i), at(i + 1)) {
        ('/', '/') => (i..c.len()).find(|k| c[*k] == '\n').unwrap_or(c.len()),
        ('/', '*') => block_comment_end(c, i),
        ('"', _) => quoted_end(c, i + 1, '"'),
        ('\'', '\\') => quoted_end(c, i + 1, '\''),
        ('\'', _) if at(i + 2) == '\'' => i + 3,
        // A raw string: r"…", r#"…"#, br"…" (not an identifier that merely starts with r).
        ('r', '"' | '#') | ('b', 'r') if raw_start(c, i).is_some() => raw_end(c, i),
        ('b', '"') => quoted_end(c, i + 2, '"'),
        ('b', '\'') => quoted_end(c, i + 2, '\''),
        _ => i,
    }
}

/// The end of a `/* … */` comment (they nest).
fn block_comment_end(c: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i + 1 < c.len() {
        match (c[i], c[i + 1]) {
            ('/', '*') => (depth, i) = (depth + 1, i + 2),
            ('*', '/') => {
                (depth, i) = (depth - 1, i + 2);
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    c.len()
}

/// The end of a literal whose body starts at `i`, closed by `quote`, with `\` escapes.
fn quoted_end(c: &[char], mut i: usize, quote: char) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            ch if ch == quote => return i + 1,
            _ => i += 1,
        }
    }
    c.len()
}

/// For a raw string starting at `i` (at its `r` or `b`): where its opening quote is and how
/// many `#` it has.
fn raw_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = if c[i] == 'b' { i + 2 } else { i + 1 };
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        (hashes, j) = (hashes + 1, j + 1);
    }
    (c.get(j) == Some(&'"')).then_some((j, hashes))
}

/// The end of the raw string starting at `i`: its closing quote and as many `#`.
fn raw_end(c: &[char], i: usize) -> usize {
    let Some((open, hashes)) = raw_start(c, i) else {
        return i;
    };
    let mut j = open + 1;
    while j < c.len() {
        if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
            return j + 1 + hashes;
        }
        j += 1;
    }
    c.len()
}
