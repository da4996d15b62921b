//! What `lab load` is asked to run.

use crate::chat::dialect::Dialect;
use crate::chat::server::Model;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub struct Options {
    pub clients: usize,
    pub messages: usize,
    /// Which server to start; ignored with `target`.
    pub model: Model,
    /// Drive a server that is already running here instead of starting one.
    pub target: Option<SocketAddr>,
    pub senders: usize,
    /// Bytes per message line, padding included.
    pub size: usize,
    /// Messages in flight at most (sent but not yet delivered to everyone).
    pub window: usize,
    /// Give up after this long without progress.
    pub timeout: Duration,
    /// Trace the started server into this file (`--json`: JSON Lines).
    pub trace_file: Option<PathBuf>,
    pub json: bool,
    /// The dialects the clients speak, dealt in turn (`--mix line,poli,chatbid`).
    pub mix: Vec<Dialect>,
    /// Connections that connect and then stay silent, never registering: the server watches
    /// them all the same (poll hands each to the kernel on every call; epoll does not).
    pub idle: usize,
}
