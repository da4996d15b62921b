//! `lab server`: picks the server model and runs it — the dispatcher above the three models.
//! What the models share sits below them (`super::serving`, `super::stopper`,
//! `super::outlet`); how bytes move is each model's own: `super::server_threads` gives
//! each client its own blocking threads; `super::server_poll` serves everyone from one thread
//! that waits with `poll(2)`, or with `epoll(7)` (`super::server_epoll`). The rules are
//! [`super::room::Room`]'s, the same for all.

pub use super::serving::{Config, Model, GOODBYE_GRACE};
pub use super::stopper::Stopper;

use super::serving::{listen, raise_fd_limit};
use crate::i18n::{self, Count, M};
use crate::trace::TracedSocket;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

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
            &[&addr, &model, &Count(cfg.max_clients), &limit]
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
