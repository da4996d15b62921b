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

/// Every `.lesson` file under `dir`, sorted (topic folders and files are numbered).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
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
            Err(format!("no lesson named '{name}' in {} (there are: {})", dir.display(), names.join(", ")))
        }
        _ => Err(format!("several lessons are named '{name}': give the file's path")),
    }
}
