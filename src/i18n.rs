//! The words lab itself says, in every language it speaks: one Fluent file per language in
//! `locales/` (`en.ftl`, `es.ftl`, `pt.ftl`), built into lab, which a translator edits without
//! reading Rust; one language for the whole run (`--lang pt`, or `LANG`), chosen once at start.
//!
//! A new language is its file (a copy of `en.ftl`, translated) and one line: its variant in
//! [`Lang`], named for its code. Until it is complete, what its file lacks is said in English.
//!
//! Each message is a [`M`]; its id in the files is the variant's name in kebab case
//! (`ColNumber` → `col-number`). `{ $a1 }`, `{ $a2 }`… in a text are filled, in order, by
//! [`f`]'s arguments. A test checks that every message is in every file, with the same
//! variables. A count is given as [`Count`]: Fluent then sees a number, and a message chooses
//! its words by it (`{ $a1 -> [one] 1 packet *[other] { $a1 } packets }`). The lessons' own
//! prose is in the lesson files; JSON Lines stay English (programs read them).
//!
//! Messages are formatted on the trace's hot path, so each file is parsed once, each message
//! found once (by [`M`], not by its id), and a message without variables is formatted once.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::types::FluentNumber;
use fluent_bundle::{FluentArgs, FluentMessage, FluentResource, FluentValue};
use std::borrow::Cow;
use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use strum::{EnumCount, IntoEnumIterator};

/// A language lab speaks; its code (`--lang pt`) names its file (`locales/pt.ftl`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, strum::EnumIter, strum::EnumCount,
)]
pub enum Lang {
    #[default]
    En,
    Es,
    /// Brazilian Portuguese (`pt_BR`, and `pt_PT` too, from `LANG`).
    Pt,
}

impl Lang {
    /// The language's name, in the language of the run: "Spanish", "español"; its code where
    /// the run's file does not name it yet.
    pub fn name(self) -> String {
        f(M::LangName, &[&self.code()])
    }

    /// Its code, as `--lang`, `LANG` and the lessons' `title.es:` write it.
    pub fn code(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// The language `LC_ALL`, `LC_MESSAGES` or `LANG` names (`es_ES.UTF-8` → Spanish), if lab
    /// speaks it; English otherwise.
    pub fn from_env() -> Lang {
        let env = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        env.and_then(|v| Lang::from_locale(&v)).unwrap_or_default()
    }

    /// The language a locale's name starts with: `es`, `es_ES.UTF-8`, `es-MX`.
    fn from_locale(locale: &str) -> Option<Lang> {
        let lang = locale.split(['_', '-', '.', '@']).next()?;
        Lang::iter().find(|l| l.code() == lang)
    }
}

static LANG: AtomicU8 = AtomicU8::new(0);

/// Sets the language of the run (once, at start).
pub fn set(lang: Lang) {
    LANG.store(lang as u8, Ordering::Relaxed);
}

/// The language of the run.
pub fn lang() -> Lang {
    let n = LANG.load(Ordering::Relaxed);
    Lang::iter().find(|l| *l as u8 == n).unwrap_or_default()
}

/// Every message lab says to a student (besides the lessons' own prose). Its id in the `.ftl`
/// files is its name in kebab case: `M::ColNumber` is `col-number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum M {
    WireMissed,
    WireSummary,
    WireSummaryAll,
    WireSummaryOff,
    OnTheWire,
    NetnsRefused,
    NetnsMaxUserNs,
    NetnsUnprivClone,
    NetnsAppArmor,
    NetnsThreads,
    NetnsSeccomp,
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
    StepContinue,
    StepQuit,
    StepCtrlC,
    StepKeys,
    StepUnknownKey,
    LessonStopped,
    LessonAllMet,
    LessonTitle,
    WroteFile,
    DiagramInferred,
    DiagramOnTheWire,
    DiagramAccepted,
    DiagramBytes,
    DiagramInferredArrow,
    PageSummary,
    PageChecks,
    PageFirst,
    LessonNotMet,
    CheckOk,
    CheckFail,
    CheckTotals,
    CheckCounts,
    ListTopic,
    ListLesson,
    ListTitle,
    ListQuestion,
    ListFrom,
    LessonsBuiltIn,
    CheckUntranslated,
    LangName,
    CheckUntranslatedAll,
    ServerListening,
    ServerStopped,
    ModelThreads,
    ModelPoll,
    ModelEpoll,
    TraceAttached,
    TraceChildren,
    TraceDetached,
    TraceEnded,
    TraceKilled,
    TracePrivilegesFilter,
    TracePrivilegesPtrace,
    TraceUnseenSendfile,
    TraceUnseenSplice,
    TraceUnseenIoUring,
    TraceSignal,
    TraceSignalIgnored,
    TraceSignalCaught,
    Trace32Bit,
    TraceBlind,
    NoLessonsFolder,
    NoSuchLesson,
    DidYouMean,
    PeerClosedRelay,
    // What a call handed back, in the trace's text (`src/trace/event.rs`).
    DetailEofOwn,
    DetailAccepted,
    DetailFrom,
    Gone,
    DetailEofPeer,
    DetailBlocked,
    DetailUnfinished,
    DetailInterrupted,
    RestartSys,
    RestartNoIntr,
    RestartNoHand,
    RestartBlock,
    Restarted,
    FdGone,
    // lab client's and lab watch's own lines.
    ClientServerClosed,
    ClientLost,
    Watching,
    OnPort,
    // Errors in words (`src/explain.rs`).
    ErrInUse,
    ErrInUseHeld,
    HeldByListener,
    HeldByConnection,
    HeldByOther,
    ErrAccess,
    ErrNoAddr,
    ErrRefused,
    ErrTimedOut,
    ErrTooManyFiles,
    // The trace's words: TCP's moves, the kernel check's reasons, a lesson's verdicts.
    AcceptAfterShutRd,
    CloseHeldBy,
    CloseHeldPassing,
    CloseHeldUnseen,
    CloseLetGo,
    CloseLetGoUnseen,
    AbortLinger0,
    AbortUnread,
    Crossed,
    FinAlreadyBack,
    PeerMovedOn,
    CloseShouldShow,
    Or,
    CloseAfterGap,
    MoveHandshake,
    MoveFinArrived,
    MoveCrossedClosing,
    MoveFinAcked,
    MoveTimeWait,
    MoveFinWithAck,
    MoveLastAckGone,
    MoveTimeWaitExpired,
    MoveReset,
    MoveGone,
    MoveListenerGone,
    MoveResetOrphan,
    MoveTimedOut,
    MoveKeepAliveGaveUp,
    MoveGaveUp,
    MoveEndedUnknown,
    MoveOwnEndOrphan,
    MoveEndedUnknownOrphan,
    MoveOther,
    NotTcp,
    ReadLaterMoved,
    ReadLaterGone,
    NoLocal,
    Unbound,
    NoPeer,
    FdCloseTimeWait,
    ConnectionOver,
    BoundInvisible,
    BoundIdle,
    ClosePortGiven,
    NoRow,
    OtherInode,
    ExpectGot,
    ExpectStateMet,
    ExpectState,
    ExpectKernelMet,
    ExpectKernel,
    ExpectQueue,
    NoState,
    GuardNote,
    CleanUp,
    AcceptForever,
    RecvForever,
    RecvWaitallForever,
    SendForever,
    ConnectForever,
    SendBeforeConnected,
    RecvfromForever,
    WaitFor,
    Waited,
    FdReports,
    KernelReports,
    KernelReportsRecvQ,
    KernelReportsSendQ,
    WaitTimedOut,
    TableWords,
    TableTimer,
    TableNoRow,
    WireStepMet,
    WireStepMissing,
    WireStepNothing,
    WireStepOther,
    WireStepTime,
    WireStepNotChecked,
    LessonNeedsHosts,
    CheckSkip,
    CheckSkipped,
    LessonLinkNow,
    LessonSysctl,
    LessonNoSysctl,
    // The chat room's words (`src/chat/room.rs`), sent to every client of `lab server`.
    AskName,
    RoomWelcome,
    RoomTooLong,
    RoomLeft,
    LeaveDisconnected,
    LeaveReset,
    LeaveTooSlow,
    LeaveShutdown,
    RoomShutdown,
    RoomBadName,
    RoomNameTaken,
    RoomHi,
    RoomDeckEmpty,
    RoomYourArtifacts,
    RoomJoined,
    RoomMine,
    RoomUsers,
    RoomYouAre,
    RoomBye,
    RoomNoArtifact,
    RoomUsage,
    RoomUnknown,
    RoomNoSuchUserDashed,
    RoomUsersIds,
    RoomUsersMore,
    ListMore,
    RoomNoArtifacts,
    RoomEmptyPrivate,
    RoomPrivateIn,
    RoomPrivateOut,
    RoomNoUser,
    RoomSelfTrade,
    RoomYouLack,
    PollFirstWords,
    ClientNotSent,
    RoomTheyLack,
    RoomYouHave,
    RoomTheyHave,
    RoomOfferIn,
    RoomOfferOut,
    RoomNoOfferFrom,
    RoomNoOffer,
    RoomSeveralOffers,
    RoomRejectedYours,
    RoomYouRejected,
    RoomAccepted,
    RoomTradeDone,
    RoomTheyNoLonger,
    RoomYouNoLonger,
    RoomFull,
    PacedPause,
    ClientNeedsName,
    ChatbidExpected,
    NameEmpty,
    NameTooLong,
    NameBadChar,
    NameReserved,
    RoomHelp,
    LinkError,
    LinkUnknownRule,
    LinkNoHost,
    LinkBadDuration,
    LinkBadPercent,
    LinkBadCount,
    LinkBadRate,
    LinkBadKind,
    LinkMissing,
    LinkHealAlone,
    LinkRepeated,
    DiagramLeftOut,
    NetHosts,
    NetSummary,
    LinkPerfect,
    DroppedPartition,
    DroppedTooBig,
    DroppedScripted,
    DroppedLost,
    DroppedQueueFull,
    NetNoUserns,
    NetUp,
    FaultShortened,
    FaultInterrupted,
}

/// The `.ftl` files, built into lab (`build.rs` has cargo rebuild when they change), so that an
/// installed `lab` speaks every language without its clone.
static LOCALES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/locales");

/// A language's file, as built in; empty if it has none (a test checks that each has one).
fn ftl(lang: Lang) -> &'static str {
    LOCALES
        .get_file(format!("{}.ftl", lang.code()))
        .and_then(|f| f.contents_utf8())
        .unwrap_or("")
}

/// One language's messages, read once.
struct Catalog {
    /// Each message (by `M as usize`): its bundle and the message in it; English's where the
    /// language's file lacks it.
    messages: Vec<Option<(&'static Bundle, FluentMessage<'static>)>>,
    /// Each message without its variables filled, formatted the first time it is asked for:
    /// what [`t`] hands out.
    texts: Vec<OnceLock<Cow<'static, str>>>,
}

type Bundle = FluentBundle<FluentResource>;

/// A language's file as a Fluent bundle, parsed the first time the language is needed (a run
/// needs one, or two with English's for what its file lacks) and kept for the run.
fn bundle(lang: Lang) -> &'static Bundle {
    static BUNDLES: [OnceLock<Bundle>; Lang::COUNT] = [const { OnceLock::new() }; Lang::COUNT];
    BUNDLES[lang as usize].get_or_init(|| {
        // A line Fluent cannot read is left out, the rest kept (a test checks none is).
        let res = FluentResource::try_new(ftl(lang).to_string()).unwrap_or_else(|(r, _)| r);
        let tag = lang.code().parse().unwrap_or_default();
        let mut b = FluentBundle::new_concurrent(vec![tag]);
        // No Unicode isolation marks around filled-in values: a terminal shows them.
        b.set_use_isolating(false);
        // A message written twice keeps its first text (a test checks none is).
        let _ = b.add_resource(res);
        b
    })
}

/// A language's catalog, built once: every message looked up.
fn catalog(lang: Lang) -> &'static Catalog {
    static CATALOGS: [OnceLock<Catalog>; Lang::COUNT] = [const { OnceLock::new() }; Lang::COUNT];
    CATALOGS[lang as usize].get_or_init(|| {
        let find = |lang: Lang, m: M| {
            let b = bundle(lang);
            b.get_message(m.into()).map(|msg| (b, msg))
        };
        let messages: Vec<_> = M::iter()
            .map(|m| find(lang, m).or_else(|| find(Lang::En, m)))
            .collect();
        let texts = messages.iter().map(|_| OnceLock::new()).collect();
        Catalog { messages, texts }
    })
}

/// A message's text, its variables filled from `args`; `?` for a message no file has.
fn fill(
    found: Option<&(&'static Bundle, FluentMessage<'static>)>,
    args: Option<&FluentArgs>,
) -> Cow<'static, str> {
    let Some((b, pattern)) = found.and_then(|(b, msg)| Some((b, msg.value()?))) else {
        return Cow::Borrowed("?");
    };
    // A variable not given shows as `{$a2}`: nothing to report beyond that.
    let mut errors = Vec::new();
    b.format_pattern(pattern, args, &mut errors)
}

/// The names of a message's variables, in the order [`f`]'s arguments fill them.
const VARIABLES: [&str; 9] = ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"];

/// A message without variables in `lang`.
pub fn text_in(m: M, lang: Lang) -> &'static str {
    let c = catalog(lang);
    c.texts[m as usize].get_or_init(|| fill(c.messages[m as usize].as_ref(), None))
}

/// A message in the run's language.
pub fn t(m: M) -> &'static str {
    text_in(m, lang())
}

/// A count a message chooses its words by ("1 packet", "2 packets"): given as `Count(n)`,
/// Fluent sees a number and picks the message's variant for it (`[one]`, `*[other]`). It
/// prints as `n` does (`20000`: Fluent adds no grouping).
#[derive(Debug, Clone, Copy)]
pub struct Count<N>(pub N);

/// What fills a message's variable: anything shown as text (`Display`), or a [`Count`].
pub trait Arg {
    /// The value Fluent is given.
    fn value(&self) -> FluentValue<'_>;
}

impl<T: Display + ?Sized> Arg for T {
    fn value(&self) -> FluentValue<'_> {
        FluentValue::from(self.to_string())
    }
}

impl<N: Copy + Display + Into<FluentNumber>> Arg for Count<N> {
    fn value(&self) -> FluentValue<'_> {
        let n: FluentNumber = self.0.into();
        // Fluent keeps numbers as f64, exact up to 2^53: a count beyond prints as the text it
        // is (no message says "1" of it anyway).
        if n.as_string() == self.0.to_string() {
            FluentValue::from(n)
        } else {
            FluentValue::from(self.0.to_string())
        }
    }
}

/// A message in the run's language, its `{ $a1 }`, `{ $a2 }`… filled with `args` in order.
pub fn f(m: M, args: &[&dyn Arg]) -> String {
    f_in(m, lang(), args)
}

/// A message in `lang`, its `{ $a1 }`, `{ $a2 }`… filled with `args` in order.
pub fn f_in(m: M, lang: Lang, args: &[&dyn Arg]) -> String {
    if args.is_empty() {
        return text_in(m, lang).to_string();
    }
    let mut fa = FluentArgs::with_capacity(args.len());
    for (name, a) in VARIABLES.iter().zip(args) {
        fa.set(*name, a.value());
    }
    fill(catalog(lang).messages[m as usize].as_ref(), Some(&fa)).into_owned()
}

/// The text of `m` in `lang` around its variables, for a reader that recognises lab's own lines
/// (a chat client telling the server's marks): `[private] { $a1 } -> you: { $a2 }` gives
/// `["[private] ", " -> you: ", ""]`.
pub fn pieces_in(m: M, lang: Lang) -> Vec<String> {
    // No message holds a NUL: it marks where each variable went.
    let holes = ['\0'; VARIABLES.len()];
    let args: Vec<&dyn Arg> = holes.iter().map(|h| h as &dyn Arg).collect();
    f_in(m, lang, &args).split('\0').map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages that are the same word in English and another language.
    const SAME: [M; 5] = [
        M::ColNumber,
        M::ColKernel,
        M::CheckOk,
        M::ExpectKernelMet,
        M::DiagramBytes,
    ];

    /// The variables message `m` uses in `lang`'s file, sorted: those Fluent misses when it
    /// formats the message with none given.
    fn variables(m: M, lang: Lang) -> Vec<String> {
        let b = bundle(lang);
        let msg = b.get_message(m.into());
        let msg =
            msg.unwrap_or_else(|| panic!("{} missing from {}.ftl", <&str>::from(m), lang.code()));
        let mut errors = Vec::new();
        b.format_pattern(
            msg.value().expect("a message has a text"),
            None,
            &mut errors,
        );
        let mut vars: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        vars.sort();
        vars.dedup();
        vars
    }

    #[test]
    fn every_file_parses_and_is_a_language_lab_speaks() {
        for file in LOCALES.files() {
            let name = file.path().to_string_lossy();
            let code = name
                .strip_suffix(".ftl")
                .expect("only .ftl files in locales/");
            assert!(
                Lang::iter().any(|l| l.code() == code),
                "{name}: add its language to Lang"
            );
        }
        for lang in Lang::iter() {
            let text = ftl(lang);
            assert!(!text.is_empty(), "locales/{}.ftl missing", lang.code());
            if let Err((_, errors)) = FluentResource::try_new(text.to_string()) {
                panic!("locales/{}.ftl: {errors:?}", lang.code());
            }
            let res = FluentResource::try_new(text.to_string()).unwrap();
            let mut b = FluentBundle::new_concurrent(vec!["en".parse().unwrap()]);
            b.add_resource(res).expect("no message written twice");
            // A message no `M` names is a leftover: lab would never say it.
            // A message starts a line with its id (a selector's closing `}` does too: skipped).
            let starts = |l: &&str| l.starts_with(|c: char| c.is_ascii_lowercase());
            for line in text.lines().filter(starts) {
                let id = line.split(" =").next().unwrap_or(line);
                assert!(
                    M::iter().any(|m| <&str>::from(m) == id),
                    "{id} in {}.ftl: no M",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn every_message_is_in_every_language_with_the_same_placeholders() {
        for m in M::iter() {
            let en = variables(m, Lang::En);
            assert!(
                en.len() <= VARIABLES.len(),
                "{m:?}: at most {} variables",
                VARIABLES.len()
            );
            for lang in Lang::iter() {
                assert_eq!(variables(m, lang), en, "{m:?} in {lang:?}: placeholders");
                // Filled (with a language's code, which `lang-name` selects on), as a reader
                // sees it.
                let codes: Vec<&dyn Arg> = vec![&"pt"; VARIABLES.len()];
                let text = f_in(m, lang, &codes);
                assert!(!text.is_empty(), "{m:?} in {lang:?}");
                let same = lang != Lang::En && text == f_in(m, Lang::En, &codes);
                assert!(
                    !same || SAME.contains(&m),
                    "{m:?} is not translated into {lang:?}"
                );
            }
        }
    }

    #[test]
    fn every_prompt_for_a_name_holds_the_words_clients_look_for() {
        for lang in Lang::iter() {
            let ask = text_in(M::AskName, lang);
            for m in [M::RoomWelcome, M::RoomBadName, M::RoomNameTaken] {
                assert!(text_in(m, lang).contains(ask), "{m:?} in {lang:?}");
            }
            for m in M::iter().filter(|m| format!("{m:?}").starts_with("Room")) {
                let text = text_in(m, lang);
                let marked =
                    ["* ", "! ", "[priv"].iter().any(|p| text.starts_with(p)) || m == M::RoomMine;
                assert!(
                    marked,
                    "{m:?} in {lang:?}: the server's lines carry their mark"
                );
            }
        }
    }

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(f_in(M::CheckTotals, Lang::Es, &[&3, &1]), "3 bien, 1 mal");
        assert_eq!(
            f_in(M::CheckTotals, Lang::En, &[&3, &1]),
            "3 passed, 1 failed"
        );
        let pieces = pieces_in(M::RoomPrivateIn, Lang::En);
        assert_eq!(pieces, ["[private] ", " -> you: ", ""]);
        // A message with variables, given none, still reads (its variables shown by name).
        assert_eq!(
            f_in(M::CheckTotals, Lang::En, &[]),
            "{$a1} passed, {$a2} failed"
        );
    }

    /// Messages with every variable a count of `n` (a lesson's name `x`), and what they say.
    const COUNTED: [(M, Lang, u64, &str); 19] = [
        (M::CheckCounts, Lang::En, 1, "(1 check, 1 ms)"),
        (M::CheckCounts, Lang::En, 2, "(2 checks, 2 ms)"),
        (M::CheckCounts, Lang::Es, 1, "(1 comprobación, 1 ms)"),
        (M::CheckCounts, Lang::Es, 2, "(2 comprobaciones, 2 ms)"),
        (M::CheckCounts, Lang::Pt, 1, "(1 verificação, 1 ms)"),
        (M::CheckCounts, Lang::Pt, 2, "(2 verificações, 2 ms)"),
        (
            M::LessonNotMet,
            Lang::En,
            1,
            "lesson x: 1 of 1 expectation not met",
        ),
        (
            M::LessonNotMet,
            Lang::En,
            2,
            "lesson x: 2 of 2 expectations not met",
        ),
        (
            M::LessonNotMet,
            Lang::Es,
            1,
            "lección x: 1 de 1 expectativa no se cumple",
        ),
        (
            M::LessonNotMet,
            Lang::Es,
            2,
            "lección x: 2 de 2 expectativas no se cumplen",
        ),
        (
            M::LessonNotMet,
            Lang::Pt,
            1,
            "lição x: 1 de 1 expectativa não cumprida",
        ),
        (
            M::LessonNotMet,
            Lang::Pt,
            2,
            "lição x: 2 de 2 expectativas não cumpridas",
        ),
        (
            M::NetSummary,
            Lang::En,
            1,
            "the hosts sent 1 packet: 1 arrived, 1 was dropped by the link, 1 was for no host",
        ),
        (
            M::NetSummary,
            Lang::En,
            2,
            "the hosts sent 2 packets: 2 arrived, 2 were dropped by the link, \
             2 were for no host",
        ),
        (
            M::NetSummary,
            Lang::Es,
            1,
            "los hosts enviaron 1 paquete: 1 llegó, 1 lo descartó el enlace, \
             1 no era para ningún host",
        ),
        (
            M::NetSummary,
            Lang::Es,
            2,
            "los hosts enviaron 2 paquetes: 2 llegaron, 2 los descartó el enlace, \
             2 no eran para ningún host",
        ),
        (
            M::NetSummary,
            Lang::Pt,
            1,
            "os hosts enviaram 1 pacote: 1 chegou, 1 foi descartado pelo enlace, \
             1 não era para nenhum host",
        ),
        (
            M::NetSummary,
            Lang::Pt,
            2,
            "os hosts enviaram 2 pacotes: 2 chegaram, 2 foram descartados pelo enlace, \
             2 não eram para nenhum host",
        ),
        // CLDR's Portuguese `one` takes 0 ("0 pacote"): pt.ftl selects on [1].
        (
            M::NetSummary,
            Lang::Pt,
            0,
            "os hosts enviaram 0 pacotes: 0 chegaram, 0 foram descartados pelo enlace, \
             0 não eram para nenhum host",
        ),
    ];

    /// `m` in `lang` with every variable a count of `n` (a lesson's name `x`).
    fn counted(m: M, lang: Lang, n: u64) -> String {
        let c = Count(n);
        let named = m == M::LessonNotMet;
        let args: Vec<&dyn Arg> = (0..4)
            .map(|i| {
                if named && i == 0 {
                    &"x" as &dyn Arg
                } else {
                    &c as &dyn Arg
                }
            })
            .collect();
        f_in(m, lang, &args)
    }

    #[test]
    fn a_count_of_one_is_singular_and_two_plural_in_every_language() {
        for (m, lang, n, want) in COUNTED {
            assert_eq!(counted(m, lang, n), want, "{m:?} in {lang:?} with {n}");
        }
        // Spanish's verb agrees with the failures, its noun with the expectations.
        let (one, three) = (Count(1), Count(3));
        assert_eq!(
            f_in(M::LessonNotMet, Lang::Es, &[&"x", &one, &three]),
            "lección x: 1 de 3 expectativas no se cumple"
        );
    }

    #[test]
    fn a_count_prints_as_its_digits() {
        // Fluent's NUMBER adds no grouping ("20,000") and, with isolation off, no marks.
        for m in M::iter() {
            for lang in Lang::iter() {
                let c = Count(20_000);
                let text = f_in(m, lang, &[&c as &dyn Arg; VARIABLES.len()]);
                assert!(
                    !text.contains(['\u{2068}', '\u{2069}']),
                    "{m:?} in {lang:?}"
                );
                for grouped in ["20,000", "20.000", "20\u{a0}000", "20 000"] {
                    assert!(!text.contains(grouped), "{m:?} in {lang:?}: {text}");
                }
            }
        }
        assert_eq!(
            counted(M::CheckCounts, Lang::En, 20_000),
            "(20000 checks, 20000 ms)"
        );
        // Beyond what an f64 holds exactly, the count is its text.
        let big = u64::MAX;
        assert_eq!(
            f_in(M::CheckCounts, Lang::En, &[&Count(big), &0]),
            format!("({big} checks, 0 ms)")
        );
    }

    #[test]
    fn a_locale_names_its_language() {
        for (locale, lang) in [
            ("es_ES.UTF-8", Some(Lang::Es)),
            ("es", Some(Lang::Es)),
            ("pt_BR.UTF-8", Some(Lang::Pt)),
            ("pt_PT", Some(Lang::Pt)),
            ("pt", Some(Lang::Pt)),
            ("en_US.UTF-8", Some(Lang::En)),
            ("C.UTF-8", None),
            ("esperanto", None),
        ] {
            assert_eq!(Lang::from_locale(locale), lang, "{locale}");
        }
    }
}
