//! What the server models share: the configuration, the listening socket, the limits, the way
//! to stop, and running a server in a background thread (for `lab load` and the tests).
//!
//! The models differ only in how bytes move: [`super::server_threads`] gives each client its
//! own blocking threads; [`super::server_poll`] serves everyone from one thread that waits with
//! `poll(2)`, or with `epoll(7)` ([`super::server_epoll`]). The rules are
//! [`super::room::Room`]'s, the same for all.

use super::dialect::{Choice, Dialect, Wire};
use super::message::Msg;
use super::room::{ClientId, Effect, Leave, Room};
use crate::i18n::{self, M};
use crate::trace::{SockOpt, TracedSocket, Tracer};
use nix::unistd::pipe;
use socket2::{Domain, Protocol, Type};
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How bytes move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// One thread per client, blocking sockets (seeds 000, 001, 003, 004).
    Threads,
    /// One thread, non-blocking sockets, a poll(2) readiness loop (seed 002 used select).
    Poll,
    /// The same loop waiting with epoll(7): the kernel keeps the list, only ready fds return.
    Epoll,
}

/// How long goodbyes may take to flush at shutdown before the connections are cut.
pub const GOODBYE_GRACE: Duration = Duration::from_secs(2);

/// The backlog asked of `listen()` (the kernel caps it at net.core.somaxconn, 4096 here).
pub const BACKLOG: i32 = 4096;

/// How much one `recv()` takes at most.
pub const RECV_CHUNK: usize = 16 * 1024;

/// Everything a server needs to start.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub model: Model,
    /// More connections than this are told "server full" and closed.
    pub max_clients: usize,
    /// Deals the artifact hands (`--seed`): the same seed, the same hands.
    pub seed: u64,
    /// What the clients may speak (`--dialect`).
    pub dialect: Choice,
    pub tracer: Option<Arc<Tracer>>,
}

/// What `lab server` does on Ctrl+C, and what a test calls to stop a server: one byte written
/// to a pipe. The poll loop watches the pipe's read end with the sockets; the threads model has
/// one thread blocked reading it.
pub struct Stopper {
    read: OwnedFd,
    write: OwnedFd,
}

impl Stopper {
    /// A stopper. Corresponds to `pipe(2)`.
    pub fn new() -> io::Result<Arc<Stopper>> {
        let (read, write) = pipe()?;
        Ok(Arc::new(Stopper { read, write }))
    }

    /// Makes SIGINT (Ctrl+C), SIGTERM and SIGHUP (the terminal was closed) write to the pipe,
    /// instead of killing the process: the program then says goodbye and closes every socket.
    /// A signal handler may do almost nothing safely; writing one byte to a pipe is the classic
    /// thing it may do.
    pub fn on_signals(&self) -> io::Result<()> {
        crate::render::step::stops_on_sigterm();
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            signal_hook::low_level::pipe::register(sig, self.write.try_clone()?)?;
        }
        Ok(())
    }

    /// Asks the server to stop.
    pub fn stop(&self) {
        let _ = nix::unistd::write(&self.write, b"x");
    }

    /// The fd to wait on: readable once a stop was asked for.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// Blocks until a stop is asked for.
    pub fn wait(&self) {
        let mut b = [0u8; 1];
        while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(&self.read, &mut b) {}
    }
}

/// The listening socket: `socket()`, `setsockopt(SO_REUSEADDR)`, `bind()`, `listen()`.
/// Errors come back explained (port in use, port < 1024, no such address).
pub fn listen(cfg: &Config) -> io::Result<TracedSocket> {
    let explain = |e: io::Error| crate::explain::startup(e, &cfg.addr.to_string());
    let sock = TracedSocket::new(
        cfg.tracer.clone(),
        "server",
        Domain::for_address(cfg.addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(explain)?;
    // So that restarting the server works while its last connections sit in TIME-WAIT.
    sock.setsockopt(SockOpt::ReuseAddr(true)).map_err(explain)?;
    sock.bind(cfg.addr).map_err(explain)?;
    sock.listen(BACKLOG).map_err(explain)?;
    Ok(sock)
}

/// `lab server`: listens, says so, serves until Ctrl+C (or SIGTERM), and says goodbye. The fd
/// limit is raised first: 10,000 clients need 10,000 fds.
pub fn serve(cfg: &Config) -> io::Result<()> {
    let limit = raise_fd_limit().unwrap_or(0);
    let listener = listen(cfg)?;
    let stop = Stopper::new()?;
    stop.on_signals()?;
    let model = match cfg.model {
        Model::Threads => i18n::t(M::ModelThreads),
        Model::Poll => i18n::t(M::ModelPoll),
        Model::Epoll => i18n::t(M::ModelEpoll),
    };
    let addr = listener.local_addr()?;
    eprintln!(
        "{}",
        i18n::f(
            M::ServerListening,
            &[&addr, &model, &cfg.max_clients, &limit]
        )
    );
    let result = run(cfg, listener, stop);
    if let Some(t) = &cfg.tracer {
        t.flush();
    }
    result?;
    eprintln!("{}", i18n::t(M::ServerStopped));
    Ok(())
}

/// Runs the server on an already listening socket until `stop` is asked for.
pub fn run(cfg: &Config, listener: TracedSocket, stop: Arc<Stopper>) -> io::Result<()> {
    match cfg.model {
        Model::Threads => super::server_threads::run(cfg, listener, stop),
        Model::Poll => super::server_poll::run(cfg, listener, stop, false),
        Model::Epoll => super::server_poll::run(cfg, listener, stop, true),
    }
}

/// A server running in a background thread.
pub struct Running {
    pub addr: SocketAddr,
    pub stopper: Arc<Stopper>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Running {
    /// Stops the server and waits for it to finish.
    pub fn stop(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        self.stopper.stop();
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Starts a server in a background thread; returns once it is listening.
pub fn spawn(cfg: Config) -> io::Result<Running> {
    let listener = listen(&cfg)?;
    let addr = listener.local_addr()?;
    let stopper = Stopper::new()?;
    let stop = stopper.clone();
    let thread = std::thread::Builder::new()
        .name("lab-server".into())
        .spawn(move || run(&cfg, listener, stop))?;
    Ok(Running {
        addr,
        stopper,
        thread: Some(thread),
    })
}

/// One message, worded in each dialect the first time a recipient of that dialect needs it: a
/// broadcast to 10,000 line clients is formatted once, not 10,000 times.
pub struct Worded<'m> {
    msg: &'m Msg,
    cache: [Option<Vec<Wire>>; Dialect::ALL.len()],
}

impl<'m> Worded<'m> {
    pub fn new(msg: &'m Msg) -> Worded<'m> {
        Worded {
            msg,
            cache: Default::default(),
        }
    }

    /// The message in `d`'s words.
    pub fn words(&mut self, d: Dialect) -> &[Wire] {
        self.cache[d as usize].get_or_insert_with(|| d.words(self.msg))
    }
}

/// How a server model moves the room's messages to its clients: the one thing the models do
/// differently with the room's effects. [`apply`] does the rest.
pub trait Outlet {
    /// The socket of client `id`, if it is still connected.
    fn socket(&self, id: ClientId) -> Option<&TracedSocket>;
    /// Queues one message for client `id`, in the words of its dialect; `false` if its outbox
    /// is full.
    fn push(&mut self, id: ClientId, msg: &mut Worded) -> bool;
    /// Queues one message for every registered client but `except`; returns those whose
    /// outbox is full. By default one [`Outlet::push`] per id the room lists; a model that
    /// can walk its own connections in memory order does that instead (no lookup per
    /// recipient: at 10,000 clients, a cache miss each).
    fn push_all(
        &mut self,
        room: &Room,
        except: Option<ClientId>,
        msg: &mut Worded,
    ) -> Vec<ClientId> {
        room.registered()
            .filter(|id| Some(*id) != except)
            .filter(|id| !self.push(*id, msg))
            .collect()
    }
    /// The client registered (a model that keeps its own list of recipients notes it).
    fn named(&mut self, _id: ClientId) {}
    /// The client asked to leave: send what is queued, then end the connection.
    fn finish(&mut self, id: ClientId);
    /// The client stopped reading: throw away what waits for it, and cut it.
    fn cut(&mut self, id: ClientId);
}

/// Carries out the room's effects through a model's outlet: each message worded in each
/// recipient's dialect, names into the trace, goodbyes. A client whose outbox overflows leaves
/// (too slow), and the notices of its leaving are carried out in turn.
pub fn apply(room: &mut Room, out: &mut impl Outlet, effects: Vec<Effect>) {
    let mut todo = VecDeque::from(effects);
    while let Some(e) = todo.pop_front() {
        let mut full = Vec::new();
        match e {
            Effect::To(id, msg) => {
                if !out.push(id, &mut Worded::new(&msg)) {
                    full.push(id);
                }
            }
            Effect::All { except, msg } => {
                full.extend(out.push_all(room, except, &mut Worded::new(&msg)));
            }
            // From now on the trace calls this connection after its user.
            Effect::Named(id, name) => {
                if let Some(s) = out.socket(id) {
                    s.set_actor(&format!("srv:{name}"));
                }
                out.named(id);
            }
            Effect::Close(id) => out.finish(id),
        }
        for id in full {
            out.cut(id);
            todo.extend(room.leave(id, Leave::TooSlow));
        }
    }
}

/// Turns a connection away when the room is full: one short line, then `close()`. A fresh
/// socket's buffer is empty, so this send cannot block.
pub fn refuse_full(sock: TracedSocket, limit: usize) {
    let _ = sock.send(format!("{}\n", i18n::f(M::RoomFull, &[&limit])).as_bytes());
    let _ = sock.close();
}

/// A wait as `poll()`/`epoll_wait()` take it, in ms, rounded up: waking a little early would
/// find the timer not yet due, and spin. Capped at what the type holds (65 s).
pub fn poll_ms(d: Duration) -> u16 {
    u16::try_from(d.as_micros().div_ceil(1000)).unwrap_or(u16::MAX)
}

/// Whether an accept error means "out of file descriptors" (EMFILE: this process; ENFILE: the
/// whole system). Retrying at once would fail again and spin; the servers wait instead.
pub fn out_of_fds(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
}

/// Raises this process's open-file limit to the hard limit (10,000 clients need 10,000 fds;
/// the soft limit is often 1,024). Corresponds to `setrlimit(RLIMIT_NOFILE)`.
pub fn raise_fd_limit() -> io::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    Ok(hard)
}

/// Why a server's `poll()` waits at most 150 ms for a new client (`who`): its first bytes tell
/// which protocol it speaks (`--dialect auto`); a client that stays silent is greeted.
pub fn first_words_note(who: &str) -> String {
    let ms = super::dialect::FIRST_WORDS.as_millis();
    crate::i18n::f(crate::i18n::M::PollFirstWords, &[&ms, &who])
}
