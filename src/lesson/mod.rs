//! Lessons: short scripts of socket calls that instructors write and students step through,
//! each expectation checked against the kernel.
//!
//! - [`commands`]: `lab lesson list | show | run | check`.
//! - [`format`]: the plain-text format, parsed with `file:line:` errors.
//! - [`runner`]: runs a lesson through the traced socket, step by step.
//! - [`expect`]: each step's expectations against what happened.
//!
//! This file finds lessons: a folder per topic under `lessons/`, a `.lesson` file per scenario.

pub mod commands;
pub mod expect;
pub mod format;
pub mod runner;

use crate::i18n::{self, M};
use format::{Lesson, ParseError};
use std::path::{Path, PathBuf};

/// Where the lessons are: `--dir`, else `$LAB_LESSONS`, else `./lessons`, else the `lessons/`
/// folder of the source tree this binary was built from.
pub fn lessons_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(d) = explicit {
        return d.to_path_buf();
    }
    if let Some(d) = std::env::var_os("LAB_LESSONS") {
        return PathBuf::from(d);
    }
    let here = PathBuf::from("lessons");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
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
pub fn check_dir(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(_) => Ok(()),
        Err(e) => Err(i18n::f(M::NoLessonsFolder, &[&dir.display(), &e])),
    }
}

/// Every `.lesson` file under `dir` (at most [`MAX_DEPTH`] folders down, hidden folders and
/// symbolic links left out), sorted (topic folders and files are numbered).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
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

/// Every lesson, parsed (a malformed one as its error).
pub fn all(dir: &Path) -> Vec<Result<Lesson, ParseError>> {
    files(dir).iter().map(|p| format::load(p)).collect()
}

/// The lesson called `name` (`three-way-handshake`), or a lesson file's path.
pub fn find(dir: &Path, name: &str) -> Result<Lesson, String> {
    let as_path = Path::new(name);
    if as_path.extension().is_some_and(|x| x == "lesson") && as_path.is_file() {
        return format::load(as_path).map_err(|e| e.to_string());
    }
    let matches: Vec<PathBuf> = files(dir).into_iter().filter(|p| format::lesson_name(p) == name).collect();
    match matches.as_slice() {
        [one] => format::load(one).map_err(|e| e.to_string()),
        [] => {
            let names: Vec<String> = files(dir).iter().map(|p| format::lesson_name(p)).collect();
            if let Some(close) = did_you_mean(name, &names) {
                return Err(i18n::f(M::DidYouMean, &[&name, &dir.display(), &close]));
            }
            Err(i18n::f(M::NoSuchLesson, &[&name, &dir.display(), &names.join(", ")]))
        }
        _ => Err(format!("several lessons are named '{name}': give the file's path")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_lesson_name_gets_a_suggestion() {
        let names: Vec<String> = ["lifecycle", "framing", "half-close", "time-wait"].map(String::from).into();
        assert_eq!(did_you_mean("lifecyle", &names), Some("lifecycle"));
        assert_eq!(did_you_mean("framin", &names), Some("framing"));
        assert_eq!(did_you_mean("half", &names), Some("half-close"), "the only one containing it");
        assert_eq!(did_you_mean("zzz", &names), None);
    }
}
