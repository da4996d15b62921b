//! The words lab itself says, in English and Spanish: one catalog, one language for the whole
//! run (`--lang es`, or a Spanish `LANG`), chosen once at start.
//!
//! Each message is a [`M`] with its two texts side by side in [`CATALOG`], so a translator sees
//! both at once and a test checks that every message has both, with the same placeholders.
//! `{}` in a text is filled, in order, by [`f`]'s arguments. The lessons' own prose has its
//! `.es` lines in the lesson files; JSON Lines stay English (programs read them).

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language lab speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// Spanish if `LANG` (or `LC_ALL`, `LC_MESSAGES`) says so, English otherwise.
    pub fn from_env() -> Lang {
        let env =
            ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        match env {
            Some(v) if v.starts_with("es") => Lang::Es,
            _ => Lang::En,
        }
    }
}

static LANG: AtomicU8 = AtomicU8::new(0);

/// Sets the language of the run (once, at start).
pub fn set(lang: Lang) {
    LANG.store(lang as u8, Ordering::Relaxed);
}

/// The language of the run.
pub fn lang() -> Lang {
    if LANG.load(Ordering::Relaxed) == Lang::Es as u8 {
        Lang::Es
    } else {
        Lang::En
    }
}

/// Every message lab says to a student (besides the lessons' own prose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum M {
    ColNumber,
    ColTime,
    ColWho,
    ColCall,
    ColResult,
    ColState,
    ColKernel,
    ColCallResult,
    StepNext,
    StepNoTerminal,
    LessonAllMet,
    LessonNotMet,
    CheckOk,
    CheckFail,
    CheckTotals,
    CheckCounts,
    ListTopic,
    ListLesson,
    ListTitle,
    ListQuestion,
    ServerListening,
    ServerStopped,
    ModelThreads,
    ModelPoll,
    TraceAttached,
    TraceDetached,
    TraceEnded,
    TraceSignal,
    Trace32Bit,
    NoLessonsFolder,
    NoSuchLesson,
    DidYouMean,
    PeerClosedRelay,
}

/// Every message, English and Spanish. `{}` marks where [`f`] puts its arguments, in order.
pub const CATALOG: [(M, &str, &str); 33] = [
    (M::ColNumber, "#", "#"),
    (M::ColTime, "time ms", "tiempo ms"),
    (M::ColWho, "who", "quién"),
    (M::ColCall, "call", "llamada"),
    (M::ColResult, "result", "res."),
    (M::ColState, "state", "estado"),
    (M::ColKernel, "kernel", "kernel"),
    (M::ColCallResult, "call → result", "llamada → resultado"),
    (M::StepNext, "next: {} {}  — press Enter ", "siguiente: {} {}  — pulsa Intro "),
    (M::StepNoTerminal, "(no terminal to wait on; continuing)", "(no hay terminal en la que esperar; sigo)"),
    (M::LessonAllMet, "lesson {}: every expectation met ({} checks)", "lección {}: todas las expectativas se cumplen ({} comprobaciones)"),
    (M::LessonNotMet, "lesson {}: {} of {} expectations not met", "lección {}: {} de {} expectativas no se cumplen"),
    (M::CheckOk, "ok", "ok"),
    (M::CheckFail, "FAIL", "FALLO"),
    (M::CheckTotals, "{} passed, {} failed", "{} bien, {} mal"),
    (M::CheckCounts, "({} checks, {} ms)", "({} comprobaciones, {} ms)"),
    (M::ListTopic, "topic", "tema"),
    (M::ListLesson, "lesson", "lección"),
    (M::ListTitle, "title", "título"),
    (M::ListQuestion, "question", "pregunta"),
    (
        M::ServerListening,
        "lab server: listening on {} ({}; up to {} clients, fd limit {}); Ctrl+C to stop",
        "lab server: escuchando en {} ({}; hasta {} clientes, límite de fds {}); Ctrl+C para parar",
    ),
    (M::ServerStopped, "lab server: stopped", "lab server: parado"),
    (M::ModelThreads, "threads: one per client", "hilos: uno por cliente"),
    (M::ModelPoll, "poll: one thread", "poll: un solo hilo"),
    (
        M::TraceAttached,
        "attached to process {}: Ctrl+C detaches, and it goes on as before",
        "enganchado al proceso {}: Ctrl+C lo suelta, y sigue como antes",
    ),
    (M::TraceDetached, "detached from process {}: it goes on untraced", "soltado el proceso {}: sigue sin trazar"),
    (M::TraceEnded, "the program ended with status {}", "el programa terminó con estado {}"),
    (M::TraceSignal, "--- {} --- delivered to the program", "--- {} --- entregada al programa"),
    (
        M::Trace32Bit,
        "a 32-bit system call (int 0x80): not supported; its calls are not shown",
        "una llamada al sistema de 32 bits (int 0x80): no soportada; sus llamadas no se muestran",
    ),
    (
        M::NoLessonsFolder,
        "no lessons folder at {} ({}): give one with --dir or LAB_LESSONS, or run lab from the source tree",
        "no hay carpeta de lecciones en {} ({}): indica una con --dir o LAB_LESSONS, o ejecuta lab desde el código fuente",
    ),
    (M::NoSuchLesson, "no lesson named '{}' in {} (there are: {})", "no hay ninguna lección '{}' en {} (hay: {})"),
    (M::DidYouMean, "no lesson named '{}' in {}: did you mean '{}'?", "no hay ninguna lección '{}' en {}: ¿querías decir '{}'?"),
    (
        M::PeerClosedRelay,
        "lab: the peer closed its side (recv returned 0); Ctrl+D closes ours",
        "lab: el otro extremo cerró su lado (recv devolvió 0); Ctrl+D cierra el nuestro",
    ),
];

/// A message in `lang`.
pub fn text_in(m: M, lang: Lang) -> &'static str {
    // CATALOG lists every message (a test checks it).
    let (_, en, es) = CATALOG.iter().find(|(k, _, _)| *k == m).copied().unwrap_or((m, "?", "?"));
    match lang {
        Lang::En => en,
        Lang::Es => es,
    }
}

/// A message in the run's language.
pub fn t(m: M) -> &'static str {
    text_in(m, lang())
}

/// A message in the run's language, its `{}` filled with `args` in order.
pub fn f(m: M, args: &[&dyn Display]) -> String {
    f_in(m, lang(), args)
}

/// A message in `lang`, its `{}` filled with `args` in order.
pub fn f_in(m: M, lang: Lang, args: &[&dyn Display]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut parts = text_in(m, lang).split("{}").peekable();
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some() {
            if let Some(a) = args.next() {
                out.push_str(&a.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    /// Messages that are the same word in both languages.
    const SAME: [M; 3] = [M::ColNumber, M::ColKernel, M::CheckOk];

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        assert_eq!(M::iter().count(), CATALOG.len());
        for m in M::iter() {
            assert_eq!(CATALOG.iter().filter(|(k, _, _)| *k == m).count(), 1, "{m:?} listed once");
            let (en, es) = (text_in(m, Lang::En), text_in(m, Lang::Es));
            assert!(!en.is_empty() && !es.is_empty(), "{m:?}");
            assert_eq!(en.matches("{}").count(), es.matches("{}").count(), "{m:?}: placeholders");
            assert!(en != es || SAME.contains(&m), "{m:?} is not translated");
        }
    }

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(f_in(M::CheckTotals, Lang::Es, &[&3, &1]), "3 bien, 1 mal");
        assert_eq!(f_in(M::CheckTotals, Lang::En, &[&3, &1]), "3 passed, 1 failed");
    }
}
