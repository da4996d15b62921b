//! Lessons: short scripts of socket calls that instructors write and students step through,
//! each expectation checked against the kernel.
//!
//! - `commands`: `lab lesson list | show | run | check`.
//! - [`format`](mod@format): the plain-text format, parsed with `file:line:` errors.
//! - `runner`: runs a lesson through the traced socket, step by step.
//! - `expect`: each step's expectations against what happened.
//! - `wire`: a `wire` step, a segment expected on the wire.
//!
//! This file finds lessons: a folder per topic, a `.lesson` file per scenario — lab's own, built
//! into the binary, and an instructor's folder beside them.

mod bounded;
pub(crate) mod commands;
mod expect;
pub mod format;
mod runner;
mod wire;

use crate::i18n::{self, M};
use format::{Lesson, Origin, ParseError};
use std::path::{Path, PathBuf};

/// The lessons built into lab: the source tree's `lessons/` when lab was built (`build.rs` has
/// cargo rebuild when it changes), so that an installed `lab` has them without its clone.
static BUILT_IN: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/lessons");

/// The lessons lab knows: its own, and an instructor's folder beside them. A lesson of the
/// folder replaces a built-in one of the same name.
pub struct Library {
    folder: Option<PathBuf>,
}

/// One lesson file: where it came from, its path below that root
/// (`04-closing/01-half-close.lesson`), and how to read it.
struct Entry {
    origin: Origin,
    rel: PathBuf,
}

impl Library {
    /// The built-in lessons, and `folder` (else `$LAB_LESSONS`) if given.
    pub fn new(folder: Option<&Path>) -> Library {
        let folder = folder
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("LAB_LESSONS").map(PathBuf::from));
        Library {
            folder: folder.filter(|f| !f.as_os_str().is_empty()),
        }
    }

    /// Whether the instructor's folder, if any, can be read; the error says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        match &self.folder {
            Some(dir) => check_dir(dir),
            None => Ok(()),
        }
    }

    /// Every lesson file: the built-in ones not replaced by the folder's, and the folder's, in
    /// the order of their paths (topic folders and files are numbered).
    fn entries(&self) -> Vec<Entry> {
        let mut built_in = Vec::new();
        built_in_files(&BUILT_IN, 0, &mut built_in);
        let mut all: Vec<Entry> = Vec::new();
        if let Some(dir) = &self.folder {
            for p in files(dir) {
                let rel = p.strip_prefix(dir).unwrap_or(&p).to_path_buf();
                all.push(Entry {
                    origin: Origin::Folder(dir.clone()),
                    rel,
                });
            }
        }
        let theirs: Vec<String> = all.iter().map(|e| format::lesson_name(&e.rel)).collect();
        for rel in built_in {
            if !theirs.contains(&format::lesson_name(&rel)) {
                all.push(Entry {
                    origin: Origin::BuiltIn,
                    rel,
                });
            }
        }
        all.sort_by(|a, b| a.rel.cmp(&b.rel));
        all
    }

    /// Every lesson, parsed (a malformed one as its error).
    pub fn all(&self) -> Vec<Result<Lesson, ParseError>> {
        self.entries().iter().map(load).collect()
    }

    /// The lesson called `name` (`three-way-handshake`), or a lesson file's path.
    pub fn find(&self, name: &str) -> Result<Lesson, String> {
        let as_path = Path::new(name);
        if as_path.extension().is_some_and(|x| x == "lesson") && as_path.is_file() {
            return format::load(as_path)
                .map(|l| in_folder(l, as_path))
                .map_err(|e| e.to_string());
        }
        let entries = self.entries();
        let matches: Vec<&Entry> = entries
            .iter()
            .filter(|e| format::lesson_name(&e.rel) == name)
            .collect();
        match matches.as_slice() {
            [one] => load(one).map_err(|e| e.to_string()),
            [] => {
                let names: Vec<String> = entries
                    .iter()
                    .map(|e| format::lesson_name(&e.rel))
                    .collect();
                let place = self.describe();
                if let Some(close) = did_you_mean(name, &names) {
                    return Err(i18n::f(M::DidYouMean, &[&name, &place, &close]));
                }
                Err(i18n::f(
                    M::NoSuchLesson,
                    &[&name, &place, &names.join(", ")],
                ))
            }
            _ => Err(format!(
                "several lessons are named '{name}': give the file's path"
            )),
        }
    }

    /// Where the lessons are looked for, in words: "lab's lessons" and the folder.
    fn describe(&self) -> String {
        let own = i18n::t(M::LessonsBuiltIn).to_string();
        match &self.folder {
            Some(dir) => format!("{own} + {}", dir.display()),
            None => own,
        }
    }
}

/// A lesson read from a file named on the command line: its folder is where it came from.
fn in_folder(mut l: Lesson, path: &Path) -> Lesson {
    l.origin = Origin::Folder(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    l
}

/// Reads and parses one lesson file, built in or from the folder.
fn load(e: &Entry) -> Result<Lesson, ParseError> {
    let mut lesson = match &e.origin {
        Origin::BuiltIn => {
            let shown = Path::new("lessons").join(&e.rel);
            let bytes = BUILT_IN
                .get_file(&e.rel)
                .map(|f| f.contents().to_vec())
                .unwrap_or_default();
            format::from_bytes(&shown, bytes)?
        }
        Origin::Folder(dir) => format::load(&dir.join(&e.rel))?,
    };
    lesson.origin = e.origin.clone();
    Ok(lesson)
}

/// Every `.lesson` file built into lab, by its path below `lessons/`, at most [`MAX_DEPTH`]
/// folders down.
fn built_in_files(dir: &include_dir::Dir<'static>, depth: usize, out: &mut Vec<PathBuf>) {
    for f in dir.files() {
        if f.path().extension().is_some_and(|x| x == "lesson") {
            out.push(f.path().to_path_buf());
        }
    }
    if depth < MAX_DEPTH {
        for d in dir.dirs() {
            built_in_files(d, depth + 1, out);
        }
    }
}

/// The lesson name closest to a mistyped one, if one is close enough (Jaro-Winkler similarity
/// ≥ 0.8, as clap uses for subcommands), or the only one that contains it.
pub fn did_you_mean<'a>(typed: &str, names: &'a [String]) -> Option<&'a str> {
    let best = names
        .iter()
        .map(|n| (strsim::jaro_winkler(typed, n), n))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.as_str());
    let containing: Vec<&String> = names.iter().filter(|n| n.contains(typed)).collect();
    best.or(match containing.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    })
}

/// How deep under the lessons folder lessons are looked for: `topic/lesson.lesson`, and one
/// more level for an instructor's own grouping. `--dir /` must not walk the whole disk.
const MAX_DEPTH: usize = 3;

/// Whether `dir` is a lessons folder one can read; the error says what is wrong in words.
fn check_dir(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(_) => Ok(()),
        Err(e) => Err(i18n::f(M::NoLessonsFolder, &[&dir.display(), &e])),
    }
}

/// Every `.lesson` file under `dir` (at most [`MAX_DEPTH`] folders down, hidden folders and
/// symbolic links left out), sorted (topic folders and files are numbered).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            let real_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if real_dir {
                if !hidden && depth < MAX_DEPTH {
                    todo.push((p, depth + 1));
                }
            } else if p.extension().is_some_and(|x| x == "lesson") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_lesson_name_gets_a_suggestion() {
        let names: Vec<String> = ["lifecycle", "framing", "half-close", "time-wait"]
            .map(String::from)
            .into();
        assert_eq!(did_you_mean("lifecyle", &names), Some("lifecycle"));
        assert_eq!(did_you_mean("framin", &names), Some("framing"));
        assert_eq!(
            did_you_mean("half", &names),
            Some("half-close"),
            "the only one containing it"
        );
        assert_eq!(did_you_mean("zzz", &names), None);
    }

    /// Every lesson built into lab is in every language lab speaks: one added without its
    /// Spanish or Portuguese fails here, not only as `lab lesson check`'s warning.
    #[test]
    fn every_built_in_lesson_is_in_every_language() {
        use clap::ValueEnum;
        let lessons = Library { folder: None }.all();
        assert!(lessons.len() >= 29, "{} lessons", lessons.len());
        for l in lessons {
            let l = l.expect("a built-in lesson parses");
            for lang in i18n::Lang::value_variants() {
                let missing = l.untranslated(*lang);
                let name = (&l.topic, &l.name, lang.code());
                assert!(
                    missing.is_empty(),
                    "{name:?}: no translation of {missing:?}"
                );
            }
        }
    }
}
