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
    /// The language's name, in the language of the run: "Spanish", "español".
    pub fn name(self) -> &'static str {
        t(match self {
            Lang::En => M::LangEnglish,
            Lang::Es => M::LangSpanish,
        })
    }

    /// Spanish if `LANG` (or `LC_ALL`, `LC_MESSAGES`) says so, English otherwise.
    pub fn from_env() -> Lang {
        let env = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
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
    WroteFile,
    DiagramInferred,
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
    LangEnglish,
    LangSpanish,
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
    CloseOtherReference,
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
    MoveOther,
    NotTcp,
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
    NetHosts,
    NetSummary,
    NetNoUserns,
    NetUp,
    FaultShortened,
    FaultInterrupted,
}

/// Every message, English and Spanish. `{}` marks where [`f`] puts its arguments, in order.
pub const CATALOG: &[(M, &str, &str)] = &[
    (
        M::WireMissed,
        "the capture fell behind: the kernel dropped {} packets here, not shown (nor in --pcap)",
        "la captura se quedó atrás: el kernel descartó aquí {} paquetes, que no se muestran (ni en --pcap)",
    ),
    (
        M::WireSummary,
        "wire: {} segments captured, not shown: {} (ACKs of data only; --wire all shows them), missed: {}",
        "cable: {} segmentos capturados, sin mostrar: {} (solo ACK de datos; --wire all los muestra), perdidos: {}",
    ),
    (M::WireSummaryAll, "wire: {} segments captured, all shown, missed: {}", "cable: {} segmentos capturados, todos mostrados, perdidos: {}"),
    (
        M::WireSummaryOff,
        "wire: {} segments captured, not shown: all of them (--wire off; --wire summary or all shows them), missed: {}",
        "cable: {} segmentos capturados, sin mostrar: todos (--wire off; --wire summary o all los muestra), perdidos: {}",
    ),
    (M::OnTheWire, "on the wire", "en el cable"),
    (
        M::NetnsRefused,
        "no network of lab's own ({} failed: {}). {} Running on the machine's network: the segments are not captured, and every arrow is inferred from the calls.",
        "sin red propia de lab ({} falló: {}). {} Se ejecuta en la red de la máquina: los segmentos no se capturan y cada flecha se deduce de las llamadas.",
    ),
    (
        M::NetnsMaxUserNs,
        "user.max_user_namespaces is 0: allow them with `sudo sysctl user.max_user_namespaces=15000`.",
        "user.max_user_namespaces vale 0: permítelos con `sudo sysctl user.max_user_namespaces=15000`.",
    ),
    (
        M::NetnsUnprivClone,
        "kernel.unprivileged_userns_clone is 0: allow them with `sudo sysctl kernel.unprivileged_userns_clone=1`.",
        "kernel.unprivileged_userns_clone vale 0: permítelos con `sudo sysctl kernel.unprivileged_userns_clone=1`.",
    ),
    (
        M::NetnsAppArmor,
        "kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu): the namespace is made without its capabilities. Allow it with `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or give lab an AppArmor profile with `userns,`, or run it with sudo.",
        "kernel.apparmor_restrict_unprivileged_userns vale 1 (Ubuntu): el espacio se crea sin sus capacidades. Permítelo con `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, o da a lab un perfil de AppArmor con `userns,`, o ejecútalo con sudo.",
    ),
    (
        M::NetnsThreads,
        "The process already had threads (a user namespace is refused to a multi-threaded process): a bug in lab, please report it.",
        "El proceso ya tenía hilos (a un proceso con varios hilos se le niega un espacio de usuario): un fallo de lab, avísanos.",
    ),
    (
        M::NetnsSeccomp,
        "No sysctl forbids it: a container's seccomp profile may (Docker: `--security-opt seccomp=unconfined`), or run lab with sudo.",
        "Ningún sysctl lo prohíbe: puede hacerlo el perfil seccomp de un contenedor (Docker: `--security-opt seccomp=unconfined`), o ejecuta lab con sudo.",
    ),
    (M::ColNumber, "#", "#"),
    (M::ColTime, "time ms", "tiempo ms"),
    (M::ColWho, "who", "quién"),
    (M::ColCall, "call", "llamada"),
    (M::ColResult, "result", "res."),
    (M::ColState, "state", "estado"),
    (M::ColKernel, "kernel", "kernel"),
    (M::ColCallResult, "call → result", "llamada → resultado"),
    (M::StepNext, "next: {} {}  — Enter, c, q, ? ", "siguiente: {} {}  — Intro, c, q, ? "),
    (M::StepContinue, "c: continuing to the end without pausing", "c: sigo hasta el final sin pausas"),
    (M::StepQuit, "q: quitting", "q: salgo"),
    (M::StepCtrlC, "Ctrl+C: stopped at once (the kernel closes what was open)", "Ctrl+C: parado en el acto (el kernel cierra lo que quedó abierto)"),
    (
        M::StepKeys,
        "Enter or space: make this call · c: continue to the end without pausing · q: quit cleanly · ?: these keys · Ctrl+C: stop at once",
        "Intro o espacio: hacer esta llamada · c: seguir hasta el final sin pausas · q: salir limpiamente · ?: estas teclas · Ctrl+C: parar en el acto",
    ),
    (M::StepUnknownKey, "that key does nothing here: ? lists the keys", "esa tecla no hace nada aquí: ? muestra las teclas"),
    (
        M::LessonStopped,
        "lesson {}: stopped before line {} (q); {} checks so far, {} not met",
        "lección {}: parada antes de la línea {} (q); {} comprobaciones hasta aquí, {} no se cumplen",
    ),
    (M::StepNoTerminal, "(no terminal to wait on; going on)", "(no hay terminal en la que esperar; sigo)"),
    (M::WroteFile, "wrote {}", "escrito {}"),
    (
        M::DiagramInferred,
        "inferred from the calls: no capture of the wire shows it",
        "deducida de las llamadas: ninguna captura de la red la muestra",
    ),
    (M::LessonAllMet, "lesson {}: every expectation met ({} checks)", "lección {}: todas las expectativas se cumplen ({} comprobaciones)"),
    (M::LessonNotMet, "lesson {}: {} of {} expectations not met", "lección {}: {} de {} expectativas no se cumplen"),
    (M::CheckOk, "ok", "ok"),
    (M::CheckFail, "FAIL", "FALLO"),
    (M::CheckTotals, "{} passed, {} failed", "{} bien, {} mal"),
    (M::CheckSkip, "skip", "omit"),
    (M::CheckSkipped, ", {} not run here", ", {} sin correr aquí"),
    (M::CheckCounts, "({} checks, {} ms)", "({} comprobaciones, {} ms)"),
    (M::ListTopic, "topic", "tema"),
    (M::ListLesson, "lesson", "lección"),
    (M::ListFrom, "from", "origen"),
    (M::LangEnglish, "English", "inglés"),
    (M::LangSpanish, "Spanish", "español"),
    (M::LessonsBuiltIn, "lab's lessons", "las lecciones de lab"),
    (M::CheckUntranslated, "     not in {}: {} (shown in {})", "     sin traducir al {}: {} (se muestra en {})"),
    (M::ListTitle, "title", "título"),
    (M::ListQuestion, "question", "pregunta"),
    (
        M::ServerListening,
        "lab server: listening on {} ({})\n            up to {} clients, fd limit {}; Ctrl+C to stop",
        "lab server: escuchando en {} ({})\n            hasta {} clientes, límite de fds {}; Ctrl+C para parar",
    ),
    (M::ServerStopped, "lab server: stopped", "lab server: parado"),
    (M::ModelThreads, "threads: one per client", "hilos: uno por cliente"),
    (M::ModelPoll, "poll: one thread", "poll: un solo hilo"),
    (M::ModelEpoll, "epoll: one thread, the kernel keeps the list of fds", "epoll: un hilo, el kernel guarda la lista de fds"),
    (
        M::TraceAttached,
        "attached to process {}: Ctrl+C detaches, and it goes on as before",
        "enganchado al proceso {}: Ctrl+C lo suelta, y sigue como antes",
    ),
    (
        M::TraceChildren,
        "process {} has children, started before lab attached and not traced: if it is a shell or a launcher, the sockets are theirs: {}",
        "el proceso {} tiene hijos, lanzados antes de que lab se uniera y no trazados: si es un shell o un lanzador, los sockets son suyos: {}",
    ),
    (M::TraceDetached, "detached from process {}: it goes on untraced", "soltado el proceso {}: sigue sin trazar"),
    (M::TraceEnded, "the program ended with status {}", "el programa terminó con estado {}"),
    (M::TraceKilled, "the program was killed by {}", "el programa murió por la señal {}"),
    (
        M::TracePrivilegesFilter,
        "{} is {}: under lab trace it runs WITHOUT those rights (lab's seccomp filter sets no_new_privs, and exec then ignores them), so a call that needs them fails (EPERM). To trace it with them: start it yourself and `sudo lab trace -p PID`, or `sudo lab trace --no-filter -- PROGRAM`",
        "{} es {}: bajo lab trace se ejecuta SIN esos derechos (el filtro seccomp de lab activa no_new_privs, y exec los ignora), así que una llamada que los necesite falla (EPERM). Para trazarlo con ellos: arráncalo tú y `sudo lab trace -p PID`, o `sudo lab trace --no-filter -- PROGRAMA`",
    ),
    (
        M::TracePrivilegesPtrace,
        "{} is {}: traced by a process without CAP_SYS_PTRACE, exec ignores them and it runs WITHOUT those rights, so a call that needs them fails (EPERM). To trace it with them: `sudo lab trace -p PID`",
        "{} es {}: trazado por un proceso sin CAP_SYS_PTRACE, exec los ignora y se ejecuta SIN esos derechos, así que una llamada que los necesite falla (EPERM). Para trazarlo con ellos: `sudo lab trace -p PID`",
    ),
    (
        M::TraceUnseenSendfile,
        "sendfile() copies a file into the socket inside the kernel: the trace shows how many bytes it sent, not what they were",
        "sendfile() copia un archivo al socket dentro del kernel: la traza muestra cuántos bytes envió, no cuáles eran",
    ),
    (
        M::TraceUnseenSplice,
        "splice() moves data between a pipe and the socket inside the kernel: the trace shows how many bytes, not what they were",
        "splice() mueve datos entre una tubería y el socket dentro del kernel: la traza muestra cuántos bytes, no cuáles eran",
    ),
    (
        M::TraceUnseenIoUring,
        "this program sets up an io_uring: what it submits through the ring (connect, accept, send, recv…) the kernel carries out without a system call for each, and no tracer sees it — the trace shows only the calls it makes directly",
        "este programa crea un io_uring: lo que envía por el anillo (connect, accept, send, recv…) lo hace el kernel sin una llamada al sistema por operación, y ningún trazador lo ve: la traza muestra solo las llamadas que hace directamente",
    ),
    (M::TraceSignal, "--- {} --- delivered to the program: its default action", "--- {} --- entregada al programa: su acción por defecto"),
    (M::TraceSignalIgnored, "--- {} --- ignored by the program (SIG_IGN): nothing happens", "--- {} --- ignorada por el programa (SIG_IGN): no pasa nada"),
    (M::TraceSignalCaught, "--- {} --- delivered to the program's handler", "--- {} --- entregada al manejador del programa"),
    (
        M::Trace32Bit,
        "a 32-bit system call (int 0x80): not supported; its calls are not shown",
        "una llamada al sistema de 32 bits (int 0x80): no soportada; sus llamadas no se muestran",
    ),
    (
        M::NoLessonsFolder,
        "cannot read the lessons folder {} ({}): check the path given with --lessons or LAB_LESSONS",
        "no se puede leer la carpeta de lecciones {} ({}): revisa la ruta dada con --lessons o LAB_LESSONS",
    ),
    (M::NoSuchLesson, "no lesson named '{}' in {} (there are: {})", "no hay ninguna lección '{}' en {} (hay: {})"),
    (M::DidYouMean, "no lesson named '{}' in {}: did you mean '{}'?", "no hay ninguna lección '{}' en {}: ¿querías decir '{}'?"),
    (
        M::PeerClosedRelay,
        "lab: the peer closed its side (recv returned 0); Ctrl+D closes ours",
        "lab: el otro extremo cerró su lado (recv devolvió 0); Ctrl+D cierra el nuestro",
    ),
    (M::DetailAccepted, "{} from {}", "{} desde {}"),
    (M::DetailFrom, "from {}", "desde {}"),
    (M::Gone, "gone", "ya no está"),
    (M::DetailEofOwn, "EOF: this side was shut down for reading", "EOF: este lado se cerró para lectura"),
    (M::DetailEofPeer, "EOF: the peer closed its side", "EOF: el otro extremo cerró su lado"),
    (M::DetailBlocked, "… blocked, waiting", "… bloqueada, esperando"),
    (
        M::DetailUnfinished,
        "… unfinished: the thread ended before it returned",
        "… sin terminar: el hilo acabó antes de que volviera",
    ),
    (M::DetailInterrupted, "? {}: interrupted by a signal, {}", "? {}: interrumpida por una señal, {}"),
    (M::RestartSys, "made again if the handler has SA_RESTART (else EINTR)", "se repite si el manejador tiene SA_RESTART (si no, EINTR)"),
    (M::RestartNoIntr, "always made again", "siempre se repite"),
    (M::RestartNoHand, "made again unless a handler ran (else EINTR)", "se repite salvo que se ejecutara un manejador (si no, EINTR)"),
    (M::RestartBlock, "continued as restart_syscall when the program runs again", "sigue como restart_syscall cuando el programa vuelve a correr"),
    (M::Restarted, "restarted", "reiniciada"),
    (M::FdGone, "(fd gone)", "(fd cerrado)"),
    (M::ClientServerClosed, "* the server closed the connection", "* el servidor cerró la conexión"),
    (M::ClientLost, "! connection lost: {}", "! conexión perdida: {}"),
    (M::OnPort, " on port {}", " en el puerto {}"),
    (M::Watching, "watching {} socket(s){}; Ctrl+C to stop", "vigilando {} socket(s){}; Ctrl+C para parar"),
    (M::ErrInUse, "{} is already in use: another program is listening there (see `lab sockets --port {} -p`), or a connection in TIME-WAIT holds the port and the listener did not set SO_REUSEADDR", "{} ya está en uso: otro programa escucha ahí (ver `lab sockets --port {} -p`), o una conexión en TIME-WAIT retiene el puerto y el listener no puso SO_REUSEADDR"),
    (M::ErrInUseHeld, "{} is already in use: {} (see `lab sockets --port {} -p`)", "{} ya está en uso: {} (ver `lab sockets --port {} -p`)"),
    (M::HeldByListener, "{} is listening there, held by {}", "{} escucha ahí, en manos de {}"),
    (M::HeldByConnection, "the connection {} in {} holds the port{}: a new socket binds it only if it sets SO_REUSEADDR (and, for a listener's port, the old one did too)", "la conexión {} en {} retiene el puerto{}: un socket nuevo solo lo obtiene si pone SO_REUSEADDR (y, si es el puerto de un listener, el viejo también)"),
    (M::HeldByOther, "another user's process", "un proceso de otro usuario"),
    (M::ErrAccess, "{}: ports below 1024 need root (or CAP_NET_BIND_SERVICE); pick a port ≥ 1024", "{}: los puertos por debajo de 1024 necesitan root (o CAP_NET_BIND_SERVICE); elige un puerto ≥ 1024"),
    (M::ErrNoAddr, "{}: this machine has no such address; use 127.0.0.1, ::1 or 0.0.0.0", "{}: esta máquina no tiene esa dirección; usa 127.0.0.1, ::1 o 0.0.0.0"),
    (M::ErrRefused, "{}: nobody is listening there (the kernel answered the SYN with RST)", "{}: nadie escucha ahí (el kernel respondió al SYN con RST)"),
    (M::ErrTimedOut, "{}: no answer to the SYN (a firewall, or no such host)", "{}: no hubo respuesta al SYN (un cortafuegos, o no existe ese host)"),
    (M::ErrTooManyFiles, "too many open files: raise the limit with `ulimit -n`", "demasiados ficheros abiertos: sube el límite con `ulimit -n`"),
    (M::AcceptAfterShutRd, "the listener was shut down for reading (shutdown(SHUT_RD)): accept() fails with EINVAL — how a blocked accept() is woken to stop", "el listener se cerró para lectura (shutdown(SHUT_RD)): accept() falla con EINVAL — así se despierta un accept() bloqueado para que pare"),
    (M::CloseOtherReference, "another fd still holds this socket (a dup(), or a fork()ed process): this close() dropped one reference, no FIN was sent", "otro fd aún tiene este socket (un dup(), o un proceso hecho con fork()): este close() quitó una referencia, no se envió FIN"),
    (M::AbortLinger0, "SO_LINGER 0: close() sends RST, not FIN", "SO_LINGER 0: close() envía RST, no FIN"),
    (M::AbortUnread, "unread data in the receive queue: close() sends RST, not FIN", "datos sin leer en la cola de recepción: close() envía RST, no FIN"),
    (M::Crossed, "the peer's FIN crossed ours", "el FIN del otro extremo se cruzó con el nuestro"),
    (M::FinAlreadyBack, "the peer's FIN was already back at the first look", "el FIN del otro extremo ya había vuelto en la primera mirada"),
    (M::PeerMovedOn, "the peer moved it on meanwhile: next line", "el otro extremo lo movió entretanto: línea siguiente"),
    (M::CloseShouldShow, "after close() from {} the table should show {}", "tras close() desde {} la tabla debería mostrar {}"),
    (M::Or, " or ", " o "),
    (M::CloseAfterGap, "the peer's FIN arrived between lab's look and the close itself: closed from CLOSE-WAIT (FIN, LAST-ACK, gone)", "el FIN del otro extremo llegó entre la mirada de lab y el propio close: cerrado desde CLOSE-WAIT (FIN, LAST-ACK, desaparece)"),
    (M::MoveHandshake, "the handshake finished (the peer's program has not called accept yet)", "el saludo terminó (el programa del otro extremo aún no llamó a accept)"),
    (M::MoveFinArrived, "the peer's FIN arrived: recv() will return 0", "llegó el FIN del otro extremo: recv() devolverá 0"),
    (M::MoveCrossedClosing, "the peer's FIN crossed ours: both sides close at once", "el FIN del otro extremo se cruzó con el nuestro: los dos lados cierran a la vez"),
    (M::MoveFinAcked, "the peer acknowledged our FIN", "el otro extremo confirmó nuestro FIN"),
    (M::MoveTimeWait, "the peer's FIN arrived: who closes first waits in TIME-WAIT (60 s)", "llegó el FIN del otro extremo: quien cierra primero espera en TIME-WAIT (60 s)"),
    (M::MoveFinWithAck, "the peer's FIN arrived with the ACK of ours (it closed on reading our FIN): who closes first waits in TIME-WAIT (60 s)", "llegó el FIN del otro extremo con la confirmación del nuestro (cerró al leer nuestro FIN): quien cierra primero espera en TIME-WAIT (60 s)"),
    (M::MoveLastAckGone, "the peer acknowledged our FIN: the connection is gone", "el otro extremo confirmó nuestro FIN: la conexión desaparece"),
    (M::MoveTimeWaitExpired, "TIME-WAIT expired: the 4-tuple is free again", "TIME-WAIT expiró: la 4-tupla vuelve a estar libre"),
    (M::MoveReset, "the peer reset the connection (RST): the fd remains, the connection is gone", "el otro extremo reinició la conexión (RST): el fd sigue, la conexión desaparece"),
    (M::MoveGone, "the connection is gone from the table", "la conexión ya no está en la tabla"),
    (M::MoveListenerGone, "the listener is gone from the table: nothing listens on its port any more", "el listener ya no está en la tabla: nadie escucha ya en su puerto"),
    (M::MoveResetOrphan, "reset: an RST ended it, no TIME-WAIT (the peer aborted — e.g. it closed with data unread)", "reiniciada: un RST la terminó, sin TIME-WAIT (el otro extremo abortó — p. ej. cerró con datos sin leer)"),
    (M::MoveTimedOut, "timed out: nothing came from the peer, and the kernel's timer let it go", "expiró: no llegó nada del otro extremo y el temporizador del kernel la soltó"),
    (M::MoveOther, "the kernel changed the state", "el kernel cambió el estado"),
    (M::NotTcp, "not a TCP socket: no connection states", "no es un socket TCP: no tiene estados de conexión"),
    (M::NoLocal, "no local address", "sin dirección local"),
    (M::Unbound, "not listed (unbound): a socket enters the table when it gets a port", "no aparece (sin bind): un socket entra en la tabla cuando tiene un puerto"),
    (M::NoPeer, "no peer address to look the connection up by", "sin dirección del otro extremo para buscar la conexión"),
    (M::FdCloseTimeWait, "the fd's socket is CLOSE; its connection lives on in TIME-WAIT without it", "el socket del fd está en CLOSE; su conexión sigue en TIME-WAIT sin él"),
    (M::ConnectionOver, "the connection is over", "la conexión terminó"),
    (M::BoundInvisible, "bound but not listening: invisible to sock_diag before Linux 6.8", "con bind pero sin listen: invisible para sock_diag antes de Linux 6.8"),
    (M::BoundIdle, "bound, idle: listed since Linux 6.8", "con bind, inactivo: aparece desde Linux 6.8"),
    (M::ClosePortGiven, "CLOSE and holding no port (one bind() did not name is given back): not in the table", "en CLOSE y sin puerto (uno que bind() no nombró se devuelve): no está en la tabla"),
    (M::NoRow, "the table has no row for this 4-tuple", "la tabla no tiene fila para esta 4-tupla"),
    (M::OtherInode, "the row for this 4-tuple is another socket (inode differs)", "la fila de esta 4-tupla es otro socket (el inodo es distinto)"),
    (M::ExpectGot, "expected {}, got {}", "se esperaba {}, se obtuvo {}"),
    (M::ExpectStateMet, "state {}", "estado {}"),
    (M::ExpectState, "expected state {}, fd reports {}", "se esperaba el estado {}, el fd dice {}"),
    (M::ExpectKernelMet, "kernel {}", "kernel {}"),
    (M::ExpectKernel, "expected {}, kernel reports {}", "se esperaba {}, el kernel dice {}"),
    (M::ExpectQueue, "expected {} {}, kernel reports {}", "se esperaba {} {}, el kernel dice {}"),
    (M::NoState, "no state", "sin estado"),
    (M::GuardNote, "the lesson's guard: wait (at most 3 s) until a blocking call would not block", "la guarda de la lección: espera (como mucho 3 s) hasta que una llamada bloqueante no bloquee"),
    (M::CleanUp, "clean-up: closing the sockets the lesson left open", "limpieza: se cierran los sockets que la lección dejó abiertos"),
    (M::AcceptForever, "accept() would wait forever: no connection is waiting on {}", "accept() esperaría para siempre: ninguna conexión espera en {}"),
    (M::RecvForever, "recv() would wait forever: nothing will arrive", "recv() esperaría para siempre: no llegará nada"),
    (M::RecvfromForever, "recvfrom() would wait forever: no datagram will arrive", "recvfrom() esperaría para siempre: no llegará ningún datagrama"),
    (M::WaitFor, "wait for {}", "esperar a {}"),
    (M::Waited, "{} (waited)", "{} (tras esperar)"),
    (M::FdReports, "fd reports {}", "el fd dice {}"),
    (M::KernelReports, "kernel reports {}", "el kernel dice {}"),
    (M::KernelReportsRecvQ, "kernel reports Recv-Q {}", "el kernel dice Recv-Q {}"),
    (M::KernelReportsSendQ, "kernel reports Send-Q {}", "el kernel dice Send-Q {}"),
    (M::WaitTimedOut, "expected {} within {} s, {}", "se esperaba {} en {} s, {}"),
    (M::TableWords, "the kernel's table: {}, Recv-Q {}{}", "la tabla del kernel: {}, Recv-Q {}{}"),
    (M::TableTimer, ", timer {}", ", temporizador {}"),
    (M::TableNoRow, "the kernel's table: no row", "la tabla del kernel: sin fila"),
    (M::WireStepMet, "{} seen on the wire", "{} visto en el cable"),
    (M::WireStepMissing, "expected {} on the wire within {} s; {}", "se esperaba {} en el cable en {} s; {}"),
    (M::WireStepNothing, "nothing more went from {} to {}", "nada más fue de {} a {}"),
    (M::WireStepOther, "the last that went from {} to {}: {}", "lo último que fue de {} a {}: {}"),
    (M::WireStepTime, "expected {}, seen {} ms after the previous segment", "se esperaba {}, visto {} ms después del segmento anterior"),
    (M::LessonNeedsHosts, "this lesson runs on hosts joined by lab's link, and they cannot be made here: {}", "esta lección corre en hosts unidos por el enlace de lab, y aquí no se pueden crear: {}"),
    (M::LessonSysctl, "sysctl {}={} on {}", "sysctl {}={} en {}"),
    (M::LessonNoSysctl, "sysctl {}={}: this kernel has no such setting, nothing changed on {}", "sysctl {}={}: este kernel no tiene ese ajuste, nada cambió en {}"),
    (M::LessonLinkNow, "the link from now on: {}", "el enlace desde ahora: {}"),
    (M::WireStepNotChecked, "wire {}: not checked, no capture here ({})", "wire {}: sin comprobar, aquí no hay captura ({})"),
    (M::AskName, "What's your name?", "¿Cómo te llamas?"),
    (M::RoomWelcome, "* Welcome to lab chat! What's your name? (1-16 letters, digits, _ or -)", "* ¡Bienvenid@ al chat de lab! ¿Cómo te llamas? (de 1 a 16 letras, dígitos, _ o -)"),
    (M::RoomTooLong, "! line too long (over {} bytes): dropped", "! línea demasiado larga (más de {} bytes): descartada"),
    (M::RoomLeft, "* {} left the chat{}", "* {} salió del chat{}"),
    (M::LeaveDisconnected, " (disconnected)", " (desconectad@)"),
    (M::LeaveReset, " (connection reset)", " (conexión reiniciada)"),
    (M::LeaveTooSlow, " (dropped: it stopped reading)", " (echad@: dejó de leer)"),
    (M::LeaveShutdown, " (server shutting down)", " (el servidor se apaga)"),
    (M::ClientNeedsName, "--dialect {} sends its name right after connect(): give it with --name", "--dialect {} envía su nombre justo después de connect(): dalo con --name"),
    (M::PacedPause, "waited {} ms so that this message arrives in its own recv(): the protocol has no framing", "esperó {} ms para que este mensaje llegue en su propio recv(): el protocolo no delimita sus mensajes"),
    (M::ChatbidExpected, "! expected MESSAGE:text or DISCONNECT:, got '{}'", "! se esperaba MESSAGE:texto o DISCONNECT:, llegó '{}'"),
    (M::RoomShutdown, "* server shutting down, bye!", "* el servidor se apaga, ¡adiós!"),
    (M::RoomBadName, "! {}. What's your name?", "! {}. ¿Cómo te llamas?"),
    (M::RoomNameTaken, "! the name '{}' is taken. What's your name?", "! el nombre '{}' ya está en uso. ¿Cómo te llamas?"),
    (M::RoomHi, "* Hi {}, welcome! {} other user(s) here. Type :h for help.", "* ¡Hola {}, bienvenid@! Hay {} usuari@(s) más. Escribe :h para ver la ayuda."),
    (M::RoomDeckEmpty, "* the artifact deck is empty: you have none", "* el mazo de artefactos está vacío: no tienes ninguno"),
    (M::RoomYourArtifacts, "* your artifacts: {}", "* tus artefactos: {}"),
    (M::RoomJoined, "* {} joined the chat", "* {} entró al chat"),
    (M::RoomMine, "{} (you): {}", "{} (tú): {}"),
    (M::RoomUsers, "* users ({}): {}", "* usuari@s ({}): {}"),
    (M::RoomYouAre, "* you are {}: id {}, fd {} on the server, your address {}", "* eres {}: id {}, fd {} en el servidor, tu dirección {}"),
    (M::RoomBye, "* bye {}!", "* ¡adiós {}!"),
    (M::RoomNoArtifact, "! no artifact '{}' in the catalog (ids 1-20)", "! no hay ningún artefacto '{}' en el catálogo (ids 1-20)"),
    (M::RoomUsage, "! usage: {}", "! uso: {}"),
    (M::RoomUnknown, "! unknown command {}: type :h for help", "! comando desconocido {}: escribe :h para ver la ayuda"),
    (M::RoomNoSuchUserDashed, "! no such user: :p-name-text needs a connected user's name (see :u)", "! no existe ese usuario: :p-nombre-texto necesita el nombre de alguien conectad@ (ver :u)"),
    (M::RoomUsersIds, "* users ({}), id and address:", "* usuari@s ({}), id y dirección:"),
    (M::RoomUsersMore, "*   ... and {} more", "*   ... y {} más"),
    (M::ListMore, ", ... and {} more", ", ... y {} más"),
    (M::RoomNoArtifacts, "* you have no artifacts", "* no tienes artefactos"),
    (M::RoomEmptyPrivate, "! empty message to {}", "! mensaje vacío para {}"),
    (M::RoomPrivateIn, "[private] {} -> you: {}", "[privado] {} -> tú: {}"),
    (M::RoomPrivateOut, "[private] you -> {}: {}", "[privado] tú -> {}: {}"),
    (M::RoomNoUser, "! no user named '{}' (see :u)", "! no hay nadie llamad@ '{}' (ver :u)"),
    (M::RoomSelfTrade, "! you cannot trade with yourself", "! no puedes intercambiar contigo mism@"),
    (
        M::PollFirstWords,
        "waits up to {} ms for {} to speak first: its first bytes tell which protocol it speaks (--dialect auto); silent, it is greeted",
        "espera hasta {} ms a que {} hable primero: sus primeros bytes dicen qué protocolo habla (--dialect auto); si calla, se le saluda",
    ),
    (M::ClientNotSent, "(not sent: {})", "(no enviado: {})"),
    (M::RoomYouLack, "! you have no artifact {} (see :artifacts)", "! no tienes el artefacto {} (ver :artifacts)"),
    (M::RoomTheyLack, "! {} has no artifact {}", "! {} no tiene el artefacto {}"),
    (M::RoomYouHave, "! you already have {}: a hand holds each artifact once", "! ya tienes {}: una mano tiene cada artefacto una sola vez"),
    (M::RoomTheyHave, "! {} already has {}: a hand holds each artifact once", "! {} ya tiene {}: una mano tiene cada artefacto una sola vez"),
    (M::RoomOfferIn, "* {} offers you {} for your {}: :accept {} or :reject {}", "* {} te ofrece {} por tu {}: :accept {} o :reject {}"),
    (M::RoomOfferOut, "* offer sent to {}: your {} for their {}", "* oferta enviada a {}: tu {} por su {}"),
    (M::RoomNoOfferFrom, "! no offer from '{}'", "! no hay ninguna oferta de '{}'"),
    (M::RoomNoOffer, "! no offer to settle", "! no hay ninguna oferta pendiente"),
    (M::RoomSeveralOffers, "! several offers: say whose, e.g. :accept ana", "! varias ofertas: di de quién, p. ej. :accept ana"),
    (M::RoomRejectedYours, "* {} rejected your offer ({} for {})", "* {} rechazó tu oferta ({} por {})"),
    (M::RoomYouRejected, "* you rejected {}'s offer", "* rechazaste la oferta de {}"),
    (M::RoomAccepted, "* {} accepted: you gave {} and got {}", "* {} aceptó: diste {} y recibiste {}"),
    (M::RoomTradeDone, "* trade done: you gave {} and got {}", "* intercambio hecho: diste {} y recibiste {}"),
    (M::RoomTheyNoLonger, "! {} no longer has {}: offer cancelled", "! {} ya no tiene {}: oferta cancelada"),
    (M::RoomYouNoLonger, "! you no longer have {}: offer cancelled", "! ya no tienes {}: oferta cancelada"),
    (M::RoomFull, "! server full ({} clients): try again later", "! servidor lleno ({} clientes): inténtalo más tarde"),
    (M::NameEmpty, "a name needs at least one character", "un nombre necesita al menos un carácter"),
    (M::NameTooLong, "a name has at most {} characters", "un nombre tiene como mucho {} caracteres"),
    (M::NameBadChar, "'{}' is not allowed: use letters, digits, _ and -", "'{}' no está permitido: usa letras, dígitos, _ y -"),
    (M::NameReserved, "'{}' is reserved", "'{}' está reservado"),
    (M::RoomHelp, "* commands (':' or '/'):\n*   text               say it to everyone\n*   :p name text       private message (also :p-name-text)\n*   :u / :i            users / users with id and address\n*   :add               your id, your fd on the server, your address\n*   :me text           an action\n*   :smile :angry :combito :larva   emotes\n*   :artifacts         your artifacts; :artifact N looks one up\n*   :offer name mine theirs         propose a swap (artifact ids)\n*   :accept [name] / :reject [name] settle an offer made to you\n*   :h                 this help\n*   :q, chao, bye      leave", "* comandos (':' o '/'):\n*   texto              dilo a todo el mundo\n*   :p nombre texto    mensaje privado (también :p-nombre-texto)\n*   :u / :i            usuari@s / usuari@s con id y dirección\n*   :add               tu id, tu fd en el servidor, tu dirección\n*   :me texto          una acción\n*   :smile :angry :combito :larva   emoticonos\n*   :artefactos        tus artefactos; :artefacto N busca uno\n*   :offer nombre mío suyo          propón un cambio (ids de artefactos)\n*   :accept [nombre] / :reject [nombre] resuelve una oferta que te hicieron\n*   :h                 esta ayuda\n*   :q, chao, bye      salir"),
    (M::LinkError, "link rule, column {}: '{}': {}", "regla del enlace, columna {}: '{}': {}"),
    (M::LinkUnknownRule, "not a rule (delay, loss, drop, duplicate, reorder, rate, mtu, partition, heal)", "no es una regla (delay, loss, drop, duplicate, reorder, rate, mtu, partition, heal)"),
    (M::LinkNoHost, "there is no host '{}'", "no hay ningún host '{}'"),
    (M::LinkBadDuration, "a time is a number and a unit, from 0 to 10s: 30ms, 1s, 250us", "un tiempo es un número y una unidad, de 0 a 10s: 30ms, 1s, 250us"),
    (M::LinkBadPercent, "a chance is a percentage from 0 to 100: 5%", "una probabilidad es un porcentaje de 0 a 100: 5%"),
    (M::LinkBadCount, "expected a whole number in range (mtu: 68 to 65536; counts: 1 to 1000000)", "se esperaba un número entero en rango (mtu: 68 a 65536; cuentas: 1 a 1000000)"),
    (M::LinkBadRate, "a rate is a number and bit, kbit, mbit or gbit, from 1kbit to 100gbit: 1mbit", "una tasa es un número y bit, kbit, mbit o gbit, de 1kbit a 100gbit: 1mbit"),
    (M::LinkBadKind, "drop counts data, SYN, FIN or RST segments", "drop cuenta segmentos data, SYN, FIN o RST"),
    (M::LinkMissing, "the rule needs its {}", "a la regla le falta su {}"),
    (M::LinkHealAlone, "'heal' is said alone: it ends a partition and keeps the other rules", "'heal' va solo: termina una partición y deja las demás reglas"),
    (M::NetHosts, "lab's network: {} — link: {}", "la red de lab: {} — enlace: {}"),
    (M::NetSummary, "the hosts sent {} packets: {} arrived, {} were dropped by the link, {} were for no host", "los hosts enviaron {} paquetes: {} llegaron, {} los descartó el enlace, {} no eran para ningún host"),
    (M::NetNoUserns, "lab net cannot make its hosts: {}", "lab net no puede crear sus hosts: {}"),
    (M::NetUp, "lab's network is up: {} — link: {}. In another terminal: lab net exec a -- COMMAND, lab net link 'RULES', lab sockets --host a. Ctrl+C takes it down.", "la red de lab está activa: {} — enlace: {}. En otra terminal: lab net exec a -- ORDEN, lab net link 'REGLAS', lab sockets --host a. Ctrl+C la desmonta."),
    (M::FaultShortened, "lab shortened this {}() to {} of the {} bytes asked ({}): TCP may always do this", "lab acortó este {}() a {} de los {} bytes pedidos ({}): TCP siempre puede hacerlo"),
    (M::FaultInterrupted, "lab interrupted this {}() before it ran (--eintr): it returns EINTR, as when a signal arrives while it waits", "lab interrumpió este {}() antes de que corriera (--eintr): devuelve EINTR, como cuando llega una señal mientras espera"),
];

/// A message in `lang`.
pub fn text_in(m: M, lang: Lang) -> &'static str {
    // CATALOG lists every message (a test checks it).
    let (_, en, es) = CATALOG
        .iter()
        .find(|(k, _, _)| *k == m)
        .copied()
        .unwrap_or((m, "?", "?"));
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
    const SAME: [M; 4] = [M::ColNumber, M::ColKernel, M::CheckOk, M::ExpectKernelMet];

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        assert_eq!(M::iter().count(), CATALOG.len());
        for m in M::iter() {
            assert_eq!(
                CATALOG.iter().filter(|(k, _, _)| *k == m).count(),
                1,
                "{m:?} listed once"
            );
            let (en, es) = (text_in(m, Lang::En), text_in(m, Lang::Es));
            assert!(!en.is_empty() && !es.is_empty(), "{m:?}");
            assert_eq!(
                en.matches("{}").count(),
                es.matches("{}").count(),
                "{m:?}: placeholders"
            );
            assert!(en != es || SAME.contains(&m), "{m:?} is not translated");
        }
    }

    #[test]
    fn every_prompt_for_a_name_holds_the_words_clients_look_for() {
        for lang in [Lang::En, Lang::Es] {
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
    }
}
