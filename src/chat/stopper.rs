//! How a server (or `lab client`) is stopped: Ctrl+C, SIGTERM or SIGHUP write one byte to a
//! pipe, the self-pipe trick, and whoever serves watches the pipe's read end with its sockets.

use nix::unistd::pipe;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

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
