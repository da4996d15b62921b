//! The files of `src/` form layers: no import cycle between two files, and none between the
//! top-level modules (`kernel` never reaches up into `trace`). Read from the source as a
//! student would: every path a file names (`use super::…`, `crate::trace::…`, a child
//! module's `name::…`), comments and literals left out, each resolved to the file that holds
//! it. A `pub use child::X` in a `mod.rs` is an edge to the child, like any other `use`; so a
//! child names what a sibling defines by the sibling's own file (`super::event::Event`), not
//! through its parent's re-export, and the graph shows the real dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path, as the file that holds it: `chat::dialect` is `src/chat/dialect/mod.rs`.
type Module = Vec<String>;

/// Each file and the files it names.
type Graph = BTreeMap<Module, BTreeSet<Module>>;

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut m: Module = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if m.last().is_some_and(|l| l == "mod") {
        m.pop();
    }
    m
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code without its comments and literals: each comment, string and char literal becomes
/// spaces (its newlines kept), so nothing inside one is read as a path or a brace.
fn code(text: &str) -> String {
    let t: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < t.len() {
        let end = literal_end(&t, i);
        if end > i {
            out.extend(
                t[i..end]
                    .iter()
                    .map(|&c| if c == '\n' { '\n' } else { ' ' }),
            );
            i = end;
        } else {
            out.push(t[i]);
            i += 1;
        }
    }
    out
}

/// Where the comment or literal that starts at `i` ends; `i` if none starts there.
fn literal_end(t: &[char], i: usize) -> usize {
    let at = |k: usize| t.get(k).copied().unwrap_or('\0');
    // `r` starts a raw string only as a word of its own (or after a byte string's `b`).
    let raw_start = match i.checked_sub(1).map(|p| t[p]) {
        Some('b') => i < 2 || !is_ident(t[i - 2]),
        Some(p) => !is_ident(p),
        None => true,
    };
    match (t[i], at(i + 1)) {
        ('/', '/') => (i..t.len()).find(|&k| t[k] == '\n').unwrap_or(t.len()),
        ('/', '*') => block_comment_end(t, i),
        ('"', _) => string_end(t, i + 1),
        ('r', '"' | '#') if raw_start => raw_string_end(t, i + 1).unwrap_or(i),
        // `'a'`, `'\n'`, `'\u{7f}'`, but not a lifetime (`'a`) or a label.
        ('\'', '\\') => (i + 3..t.len())
            .find(|&k| t[k] == '\'')
            .map_or(t.len(), |k| k + 1),
        ('\'', _) if at(i + 2) == '\'' => i + 3,
        _ => i,
    }
}

/// The end of a `/* … */` comment starting at `i` (they nest).
fn block_comment_end(t: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i + 1 < t.len() {
        match (t[i], t[i + 1]) {
            ('/', '*') => (depth, i) = (depth + 1, i + 2),
            ('*', '/') if depth == 1 => return i + 2,
            ('*', '/') => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    t.len()
}

/// The end of a string whose text starts at `i` (just after its `"`).
fn string_end(t: &[char], mut i: usize) -> usize {
    while i < t.len() {
        match t[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    t.len()
}

/// The end of a raw string whose hashes start at `i` (`r#"…"#`); `None` if it is not one
/// (`r#type`, a raw identifier).
fn raw_string_end(t: &[char], i: usize) -> Option<usize> {
    let hashes = t[i..].iter().take_while(|&&c| c == '#').count();
    if t.get(i + hashes) != Some(&'"') {
        return None;
    }
    let close: Vec<char> = std::iter::once('"')
        .chain("#".repeat(hashes).chars())
        .collect();
    let from = i + hashes + 1;
    let end = (from..t.len()).find(|&k| t[k..].starts_with(&close));
    Some(end.map_or(t.len(), |k| k + close.len()))
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn skip_space(text: &[char], mut at: usize) -> usize {
    while at < text.len() && text[at].is_whitespace() {
        at += 1;
    }
    at
}

/// An identifier at `at` (possibly empty), and where it ends.
fn ident(text: &[char], at: usize) -> (String, usize) {
    let end = (at..text.len())
        .find(|&k| !is_ident(text[k]))
        .unwrap_or(text.len());
    (text[at..end].iter().collect(), end)
}

/// The paths a `use` tree or expression path names from `at`: `a::{b, c::{d}}` → `a::b`,
/// `a::c::d`; `a::*` → `a`; `a::B as C` → `a::B`.
fn expand(text: &[char], mut at: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        at = skip_space(text, at);
        match text.get(at) {
            Some('{') => return expand_group(text, at + 1, &path, out),
            Some('*') => {
                out.push(path);
                return at + 1;
            }
            _ => {}
        }
        let (name, end) = ident(text, at);
        if name.is_empty() {
            out.push(path);
            return at;
        }
        path.push(name);
        at = end;
        if text.get(at..at + 2) == Some(&[':', ':']) {
            at += 2;
            continue;
        }
        out.push(path);
        // `as C`: the alias names nothing of its own.
        let after = skip_space(text, at);
        if ident(text, after).0 == "as" {
            return ident(text, skip_space(text, after + 2)).1;
        }
        return at;
    }
}

/// The paths of a `{ … }` group whose first item starts at `at`; returns just past its `}`.
fn expand_group(
    text: &[char],
    mut at: usize,
    path: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        let before = at;
        at = expand(text, at, path.to_vec(), out);
        while at < text.len() && (text[at].is_whitespace() || text[at] == ',') {
            at += 1;
        }
        if at >= text.len() || text[at] == '}' {
            return at + 1;
        }
        if at == before {
            // Something no path holds: step over it, so the reader always moves on.
            at += 1;
        }
    }
}

/// The spans of the inline modules in a file's code (`mod tests { … }`), by char index: a
/// `super` inside one names the file's own module.
fn inline_modules(text: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for at in 0..text.len() {
        let word_start = at == 0 || !is_ident(text[at - 1]);
        if !word_start || !text[at..].starts_with(&['m', 'o', 'd', ' ']) {
            continue;
        }
        let (name, end) = ident(text, skip_space(text, at + 4));
        let open = skip_space(text, end);
        if name.is_empty() || text.get(open) != Some(&'{') {
            continue;
        }
        let mut depth = 0;
        for (i, c) in text.iter().enumerate().skip(open) {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            if depth == 0 {
                spans.push((open, i));
                break;
            }
        }
    }
    spans
}

/// Every path `code` (a file of module `me`) names that starts at `super`, `crate`, `self` or
/// one of its children.
fn paths(code: &str, me: &Module, children: &BTreeSet<String>) -> Vec<Module> {
    let text: Vec<char> = code.chars().collect();
    let inline = inline_modules(&text);
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let at_word = i == 0 || !(is_ident(text[i - 1]) || text[i - 1] == ':');
        if !at_word || !is_ident(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let (word, end) = ident(&text, i);
        i = end;
        if text.get(i..i + 2) != Some(&[':', ':']) {
            continue;
        }
        // Inside an inline module, `self` and `super` start below the file's module.
        let depth = inline
            .iter()
            .filter(|(a, b)| *a < start && start < *b)
            .count();
        let here: Module = [me.clone(), vec!["{inline}".to_string(); depth]].concat();
        let base: Module = match word.as_str() {
            "crate" => Vec::new(),
            "self" => here,
            "super" => here[..here.len() - 1].to_vec(),
            w if children.contains(w) => [me.clone(), vec![w.to_string()]].concat(),
            _ => continue,
        };
        i = expand(&text, i + 2, base, &mut found);
    }
    found
}

/// Which file holds the thing a path names: the longest prefix that is a module of `known`.
fn holder(path: &Module, known: &BTreeSet<Module>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| known.contains(m))
}

/// Each file of the library (`src/`, but `lib.rs` and the binary's `main.rs`) and the files
/// it names.
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.retain(|f| f.parent() != Some(&src) || !f.ends_with("lib.rs") && !f.ends_with("main.rs"));
    let known: BTreeSet<Module> = all.iter().map(|f| module_of(&src, f)).collect();
    let mut g = Graph::new();
    for f in &all {
        let me = module_of(&src, f);
        let children: BTreeSet<String> = known
            .iter()
            .filter(|m| m.len() == me.len() + 1 && m.starts_with(&me))
            .map(|m| m[me.len()].clone())
            .collect();
        let text = code(&std::fs::read_to_string(f).unwrap());
        let edges = paths(&text, &me, &children)
            .iter()
            .filter_map(|p| holder(p, &known))
            .filter(|m| *m != me)
            .collect();
        g.insert(me, edges);
    }
    g
}

/// The graph of the top-level modules: `kernel` → `sys` if any file of `kernel/` names one of
/// `sys`.
fn top_level(g: &Graph) -> Graph {
    let mut top = Graph::new();
    for (from, to) in g {
        let edges = top.entry(from[..1].to_vec()).or_default();
        edges.extend(
            to.iter()
                .map(|m| m[..1].to_vec())
                .filter(|m| *m != from[..1]),
        );
    }
    top
}

/// A cycle through the graph, if there is one, as the files in it.
fn cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        m: &Module,
        g: &Graph,
        done: &mut BTreeSet<Module>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == m) {
            return Some(stack[i..].iter().chain([m]).map(|m| m.join("::")).collect());
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.clone());
        for next in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, g, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m.clone());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|m| visit(m, g, &mut done, &mut Vec::new()))
}

fn m(path: &str) -> Module {
    path.split("::").map(String::from).collect()
}

#[test]
fn the_files_of_src_import_each_other_without_a_cycle() {
    let g = graph();
    // The reader sees what a student sees: these imports are there (so an empty graph, or a
    // reader that misses them, fails here).
    for (from, to) in [
        ("chat::server", "chat::server_threads"),
        ("chat::server_poll", "chat::server_epoll"),
        ("chat::room", "chat::message"),
        ("chat::dialect", "chat::dialect::stardew"),
        ("chat::dialect::poli", "chat::dialect::speech"),
        ("chat::dialect::speaker", "chat::dialect"),
        ("load", "load::drive"),
        ("transitions", "tcp_state"),
        ("trace::socket", "kernel::table"),
    ] {
        assert!(g[&m(from)].contains(&m(to)), "{from} should import {to}");
    }
    assert!(g.len() > 100, "only {} files read", g.len());
    assert_eq!(cycle(&g), None, "an import cycle between files of src/");
}

/// The layers `lib.rs`'s crate map names, top first: "Layers only call downwards: `cli` →
/// `lesson`, `load` → …".
fn layers_in_crate_map() -> Vec<Vec<String>> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let lib = std::fs::read_to_string(lib).unwrap();
    let said: Vec<&str> = lib
        .lines()
        .map(|l| l.trim_start_matches("//!").trim())
        .skip_while(|l| !l.starts_with("Layers only call downwards"))
        .take_while(|l| !l.is_empty())
        .collect();
    let said = said.join(" ");
    let (_, layers) = said
        .split_once(':')
        .expect("lib.rs says how its layers call");
    layers
        .split('→')
        .map(|layer| {
            layer
                .split('`')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect()
        })
        .collect()
}

#[test]
fn the_top_level_modules_call_only_downwards_as_lib_rs_says() {
    let top = top_level(&graph());
    let layers = layers_in_crate_map();
    let layer_of = |m: &Module| layers.iter().position(|l| l.contains(&m[0]));
    // Not empty: the line was read, and the imports with it.
    assert!(layers.len() > 5, "{layers:?}");
    assert!(top[&m("trace")].contains(&m("kernel")));
    for (from, to) in &top {
        let here = layer_of(from);
        assert!(here.is_some(), "lib.rs's layers do not name `{}`", from[0]);
        for to in to {
            assert!(
                here < layer_of(to),
                "`{}` imports `{}`, which lib.rs's layers do not put below it",
                from[0],
                to[0]
            );
        }
    }
}

#[test]
fn a_cycle_is_found_where_there_is_one() {
    let mut g = Graph::new();
    g.insert(m("a"), BTreeSet::from([m("b")]));
    g.insert(m("b"), BTreeSet::from([m("c")]));
    g.insert(m("c"), BTreeSet::from([m("a")]));
    assert_eq!(cycle(&g).map(|c| c.len()), Some(4));
    let code = "use super::{line, speech::{Speech, Wire}};\nfn f() { other::x(); line::y() }";
    let named = paths(code, &m("chat::dialect::poli"), &BTreeSet::new());
    assert!(named.contains(&m("chat::dialect::speech::Wire")));
    assert!(named.contains(&m("chat::dialect::line")));
    assert_eq!(named.len(), 3, "{named:?}");
    let code = "use super::x;\nmod tests {\n    use super::*;\n}\n";
    let named = paths(code, &m("load::drive"), &BTreeSet::new());
    assert_eq!(named, [m("load::x"), m("load::drive")]);
}

/// What once made the reader loop for ever (a glob inside a group, in `transitions.rs`), and
/// what it must not take for code: comments, strings, chars and their braces.
#[test]
fn the_reader_reads_globs_aliases_and_literals() {
    let named = paths(
        "use crate::tcp_state::{\n    TcpState::{self, *},\n};",
        &m("transitions"),
        &BTreeSet::new(),
    );
    assert_eq!(
        named,
        [m("tcp_state::TcpState::self"), m("tcp_state::TcpState")]
    );
    let named = paths("use super::{a::B as C, d};", &m("x::y"), &BTreeSet::new());
    assert_eq!(named, [m("x::a::B"), m("x::d")]);
    let text = code(concat!(
        "let s = \"use super::a; {\"; // super::b\n",
        "let c = '{'; let q = '\"'; let e = '\\''; /* super::c /* nested */ */\n",
        "let r = r#\"super::d \"{\"#; fn f<'a>(x: &'a str) { super::e::f() }\n",
        "mod tests { use super::*; }\n",
    ));
    let named = paths(&text, &m("x::y"), &BTreeSet::new());
    assert_eq!(named, [m("x::e::f"), m("x::y")], "{text}");
}
