//! The README cannot go stale where it states facts lab can check: its table of lessons is
//! `lab lesson list`, row for row; the count in words and the `lesson check` sample's total are
//! the real count; and nothing in the repository points at files a clone does not have.

mod common;

use common::lab;
use common::run::succeeds;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// `(topic, name, question)` of every lesson, as `lab lesson list --json` gives them.
fn listed() -> Vec<(String, String, String)> {
    let out = succeeds(lab().args(["lesson", "list", "--json", "--lang", "en"]));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let s = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("no {k} in {line}"))
                    .to_string()
            };
            (s("topic"), s("name"), s("question"))
        })
        .collect()
}

/// The rows of the README's table of lessons: `| topic | `name` | question |`.
fn readme_rows(readme: &str) -> Vec<(String, String, String)> {
    let start = readme
        .find("| topic | lesson | the question it answers |")
        .expect("the README's table of lessons");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a row of three cells: {l}");
            (
                cells[0].to_string(),
                cells[1].trim_matches('`').to_string(),
                cells[2].to_string(),
            )
        })
        .collect()
}

const WORDS: [&str; 31] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
    "Twenty",
    "Twenty-one",
    "Twenty-two",
    "Twenty-three",
    "Twenty-four",
    "Twenty-five",
    "Twenty-six",
    "Twenty-seven",
    "Twenty-eight",
    "Twenty-nine",
    "Thirty",
];

#[test]
fn the_readme_lists_every_lesson_as_lab_does() {
    let readme = readme();
    let listed = listed();
    assert!(!listed.is_empty());
    assert_eq!(
        readme_rows(&readme),
        listed,
        "README.md's table of lessons differs from `lab lesson list`"
    );
    let n = listed.len();
    let word = WORDS.get(n).map_or(n.to_string(), |w| w.to_string());
    assert!(
        readme.contains(&format!("{word} lessons, by topic")),
        "README.md should say \"{word} lessons, by topic\""
    );
    assert!(
        readme.contains(&format!("\n{n} passed, 0 failed\n")),
        "the `lesson check` sample should end with {n} passed"
    );
}

#[test]
fn the_readme_keeps_its_two_first_commands() {
    let readme = readme();
    for cmd in ["cargo run --release -- lesson run lifecycle", "cargo test"] {
        assert!(readme.contains(cmd), "README.md lost `{cmd}`");
    }
}

/// Every text file of the repository (its build output and hidden folders left out), by path.
fn repository_texts() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let (p, name) = (e.path(), e.file_name().to_string_lossy().into_owned());
            if name.starts_with('.') && name != ".ci" || (dir == root && name == "target") {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                out.push((p.strip_prefix(root).unwrap().display().to_string(), text));
            }
        }
    }
    out
}

#[test]
fn nothing_in_the_repository_points_outside_it() {
    // A clone has no shared folder beside it (the material lab was written from): every script,
    // document and test must work with what the repository holds. The paths are put together
    // here so that this file does not name them itself.
    let outside_paths = [format!("../{}", "shared"), format!("/work/{}", "shared")];
    let outside: Vec<String> = repository_texts()
        .into_iter()
        .flat_map(|(p, t)| {
            t.lines()
                .enumerate()
                .filter(|(_, l)| outside_paths.iter().any(|o| l.contains(o.as_str())))
                .map(|(n, l)| format!("{p}:{}: {l}", n + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        outside.is_empty(),
        "files outside the repository referred to:\n{}",
        outside.join("\n")
    );
}

#[test]
fn every_file_the_readme_links_to_exists() {
    let readme = readme();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let links: Vec<&str> = readme
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect();
    assert!(links.len() >= 5, "{links:?}");
    for link in links.iter().filter(|l| !l.starts_with("http")) {
        assert!(
            root.join(link).exists(),
            "README.md links to {link}, which is not in the repository"
        );
    }
}
