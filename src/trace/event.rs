//! One trace event: what the program asked the kernel, what came back, and what the kernel's
//! table says now. Every renderer (human, plain, JSON Lines, diagram), every lesson and every
//! test reads these and nothing else.

use crate::kernel::check::Verdict;
use crate::tcp_state::TcpState;
use serde::Serialize;

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A system call the program made, with its result.
    Call,
    /// A state change the kernel's table showed for a connection whose fd is already closed
    /// (FIN-WAIT-2 → TIME-WAIT happens after `close()` returned, driven by the peer).
    Kernel,
    /// Words for the student, attached to no call.
    Note,
    /// A lesson's expectation, met (`verdict: agrees`) or not (`differs`), with the words in
    /// `note` (`lessons/x.lesson:12: expected CLOSE-WAIT, kernel reports ESTAB`).
    Check,
}

/// One event. Field names are the JSON Lines keys (`--json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// 1, 2, 3, … in the order events reached the sink.
    pub seq: u64,
    /// Who made the call: `server`, `client`, `ana`, `c1`.
    pub actor: String,
    /// Microseconds since the tracer started.
    pub t_us: u64,
    pub kind: Kind,
    /// The system call's name, as strace prints it: `socket`, `accept4`, `recv`.
    pub call: String,
    /// Its arguments, constants by name: `3, SOL_SOCKET, SO_REUSEADDR, 1`.
    pub args: String,
    /// What the call handed back besides its return value: `4 from 127.0.0.1:50312`, `"hola\n"`.
    pub detail: Option<String>,
    /// The fd the call was made on (for `socket()`, the new fd).
    pub fd: Option<i32>,
    /// The return value; `-1` on error, `None` for events that are not calls.
    pub ret: Option<i64>,
    /// The errno's name on error: `ECONNREFUSED`.
    pub errno: Option<String>,
    /// The errno's message: `Connection refused`.
    pub errmsg: Option<String>,
    /// The socket's local and peer address after the call, if it has them.
    pub local: Option<String>,
    pub peer: Option<String>,
    /// The fd's TCP state before the call.
    pub before: Option<TcpState>,
    /// States the fd passed through after the call before reaching `state` (FIN-WAIT-1 on
    /// the way to FIN-WAIT-2), found by a bounded wait.
    pub transit: Vec<TcpState>,
    /// The fd's TCP state after the call, as `ss` prints it; `None` if the fd is gone or the
    /// socket has no states (UDP).
    pub state: Option<TcpState>,
    /// The fd no longer exists (after `close()`).
    pub fd_gone: bool,
    /// The state the kernel's table reports for this socket's 4-tuple; `None` if no row.
    pub kernel: Option<TcpState>,
    /// After `close()`: the states the table showed for the 4-tuple, in order, `None` = gone.
    pub kernel_path: Vec<Option<TcpState>>,
    /// The table's Recv-Q and Send-Q for the row (for a listener: accept queue and backlog).
    pub recv_q: Option<u32>,
    pub send_q: Option<u32>,
    /// Do the fd and the kernel's table agree?
    pub verdict: Verdict,
    /// Why, in words, when the verdict needs one.
    pub reason: Option<String>,
    /// A plain-language note for the student.
    pub note: Option<String>,
}

impl Event {
    /// A blank event of `kind` by `actor`; the tracer fills in `seq` and `t_us`.
    pub fn new(kind: Kind, actor: &str, call: &str, args: String) -> Event {
        Event {
            seq: 0,
            actor: actor.to_string(),
            t_us: 0,
            kind,
            call: call.to_string(),
            args,
            detail: None,
            fd: None,
            ret: None,
            errno: None,
            errmsg: None,
            local: None,
            peer: None,
            before: None,
            transit: Vec::new(),
            state: None,
            fd_gone: false,
            kernel: None,
            kernel_path: Vec::new(),
            recv_q: None,
            send_q: None,
            verdict: Verdict::NotApplicable,
            reason: None,
            note: None,
        }
    }

    /// The call as strace would print it, without the result: `bind(3, 0.0.0.0:8888)`.
    pub fn call_text(&self) -> String {
        format!("{}({})", self.call, self.args)
    }

    /// The result as strace prints it: `= 0`, `= -1 ECONNREFUSED (Connection refused)`.
    pub fn result_text(&self) -> String {
        match (&self.ret, &self.errno) {
            (Some(r), Some(e)) => format!("= {r} {e} ({})", self.errmsg.as_deref().unwrap_or("")),
            (Some(r), None) => format!("= {r}"),
            _ => String::new(),
        }
    }

    /// Did the call fail?
    pub fn failed(&self) -> bool {
        self.errno.is_some()
    }
}
