//! The files of `src/chat/` (and of `src/load/`, the tool that drives a chat) form layers: no
//! import cycle between two files. Read from the source as a student would: every path a file
//! names (`use super::…`, `crate::chat::…`, a child module's `name::…`), comments left out,
//! each resolved to the file that holds it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path, as the file that holds it: `chat::dialect` is `src/chat/dialect/mod.rs`.
type Module = Vec<String>;

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

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code without its comments (line comments and doc comments; a `//` inside a string
/// literal is kept).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            }
            if !in_str && c == '/' && prev == '/' {
                cut = i - 1;
                break;
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths a `use` tree or expression path names from `at`: `a::{b, c::{d}}` → `a::b`,
/// `a::c::d`.
fn expand(text: &[char], mut at: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        while at < text.len() && text[at].is_whitespace() {
            at += 1;
        }
        if at < text.len() && text[at] == '{' {
            at += 1;
            loop {
                at = expand(text, at, path.clone(), out);
                while at < text.len() && (text[at].is_whitespace() || text[at] == ',') {
                    at += 1;
                }
                if at >= text.len() || text[at] == '}' {
                    return at + 1;
                }
            }
        }
        let start = at;
        while at < text.len() && is_ident(text[at]) {
            at += 1;
        }
        if start == at {
            out.push(path);
            return at;
        }
        path.push(text[start..at].iter().collect());
        if text.get(at..at + 2) == Some(&[':', ':']) {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The spans of the inline modules in a file's code (`mod tests { … }`), by char index: a
/// `super` inside one names the file's own module.
fn inline_modules(text: &[char]) -> Vec<(usize, usize)> {
    let code: String = text.iter().collect();
    let mut spans = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        let rest = &code[at + 4..];
        let name_len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if name_len == 0 || !rest[name_len..].trim_start().starts_with('{') {
            continue;
        }
        let open = at + 4 + name_len + rest[name_len..].find('{').unwrap();
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            if depth == 0 {
                let to_chars = |b: usize| code[..b].chars().count();
                spans.push((to_chars(open), to_chars(open + i)));
                break;
            }
        }
    }
    spans
}

/// Every path `file` names that starts at `super`, `crate`, `self` or one of its children.
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
        while i < text.len() && is_ident(text[i]) {
            i += 1;
        }
        let word: String = text[start..i].iter().collect();
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
        let mut named = Vec::new();
        i = expand(&text, i + 2, base, &mut named);
        found.extend(named);
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

/// Each file of `src/<top>/` and the files of that tree it names.
fn graph(top: &str) -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src.join(top), &mut all);
    let known: BTreeSet<Module> = all.iter().map(|f| module_of(&src, f)).collect();
    let mut g = BTreeMap::new();
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

/// A cycle through the graph, if there is one, as the files in it.
fn cycle(g: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<String>> {
    fn visit(
        m: &Module,
        g: &BTreeMap<Module, BTreeSet<Module>>,
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
fn the_files_of_chat_import_each_other_without_a_cycle() {
    let g = graph("chat");
    // The reader sees what a student sees: these imports are there (so an empty graph, or a
    // reader that misses them, fails here).
    for (from, to) in [
        ("chat::server", "chat::server_threads"),
        ("chat::server_poll", "chat::server_epoll"),
        ("chat::room", "chat::message"),
        ("chat::dialect", "chat::dialect::stardew"),
        ("chat::dialect::poli", "chat::dialect::speech"),
        ("chat::dialect::speaker", "chat::dialect"),
    ] {
        assert!(g[&m(from)].contains(&m(to)), "{from} should import {to}");
    }
    assert_eq!(
        cycle(&g),
        None,
        "an import cycle between files of src/chat/"
    );
}

#[test]
fn the_load_generator_imports_without_a_cycle() {
    let g = graph("load");
    assert!(g[&m("load")].contains(&m("load::drive")));
    assert_eq!(
        cycle(&g),
        None,
        "an import cycle between files of src/load/"
    );
}

#[test]
fn a_cycle_is_found_where_there_is_one() {
    let mut g = BTreeMap::new();
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
