//! A step's expectations against what happened: the result the runner got, and the step's own
//! trace event — the same event the student sees, so a lesson never passes on something the
//! trace did not show.

use super::format::{Expect, Ret};
use crate::i18n::{f, t, M};
use crate::tcp_state::{state_or_gone, TcpState};
use crate::trace::{names, Event};
use nix::errno::Errno;
use std::io;

/// What a call returned, as the lesson's `=` compares it (the data in full, not cut as the
/// trace shows it).
pub struct Got {
    pub ret: i64,
    pub errno: Option<Errno>,
    pub data: Option<Vec<u8>>,
}

impl Got {
    pub fn value(ret: i64) -> Got {
        Got {
            ret,
            errno: None,
            data: None,
        }
    }

    pub fn err(e: &io::Error) -> Got {
        Got {
            ret: -1,
            errno: e.raw_os_error().map(Errno::from_raw),
            data: None,
        }
    }

    /// A call that returns nothing but success or an errno.
    pub fn unit(r: io::Result<()>) -> Got {
        r.map_or_else(|e| Got::err(&e), |()| Got::value(0))
    }

    /// A call that returns a count.
    pub fn count(r: io::Result<usize>) -> Got {
        r.map_or_else(|e| Got::err(&e), |n| Got::value(n as i64))
    }

    fn text(&self) -> String {
        match (&self.errno, &self.data) {
            (Some(e), _) => format!("= -1 {}", names::errno_name(*e)),
            (None, Some(d)) => format!("= {}", names::quoted(d, 64)),
            (None, None) => format!("= {}", self.ret),
        }
    }
}

/// Compares a step's outcome with what the lesson expected: (what was met, what was not).
pub fn compare(e: &Expect, got: &Got, ev: Option<&Event>) -> (Vec<String>, Vec<String>) {
    let mut met = Vec::new();
    let mut failed = Vec::new();
    let mut note =
        |ok: bool, yes: String, no: String| if ok { met.push(yes) } else { failed.push(no) };
    if let Some(r) = &e.ret {
        note(
            ret_matches(r, got),
            r.to_string(),
            f(M::ExpectGot, &[r, &got.text()]),
        );
    }
    let same = |have: Option<TcpState>, want: Option<TcpState>| match (have, want) {
        (Some(h), Some(w)) => h.same_as(w),
        (h, w) => h.is_none() && w.is_none(),
    };
    let state_name = |s: Option<TcpState>| s.map_or(t(M::NoState).to_string(), |s| s.to_string());
    if let Some(want) = e.state {
        let have = ev.and_then(|ev| ev.state);
        let (w, h) = (state_name(want), state_name(have));
        note(
            same(have, want),
            f(M::ExpectStateMet, &[&w]),
            f(M::ExpectState, &[&w, &h]),
        );
    }
    if let Some(want) = e.kernel {
        let have = ev.and_then(|ev| ev.kernel);
        let (w, h) = (state_or_gone(want), state_or_gone(have));
        note(
            same(have, want),
            f(M::ExpectKernelMet, &[&w]),
            f(M::ExpectKernel, &[&w, &h]),
        );
    }
    let queues = [
        ("Recv-Q", e.recvq, ev.and_then(|ev| ev.recv_q)),
        ("Send-Q", e.sendq, ev.and_then(|ev| ev.send_q)),
    ];
    for (what, want, have) in queues {
        if let Some(w) = want {
            let h = have.map_or("-".into(), |h| h.to_string());
            note(
                have == Some(w),
                format!("{what} {w}"),
                f(M::ExpectQueue, &[&what, &w, &h]),
            );
        }
    }
    (met, failed)
}

fn ret_matches(r: &Ret, got: &Got) -> bool {
    match r {
        Ret::Any => true,
        Ret::Value(v) => got.errno.is_none() && got.ret == *v,
        Ret::Errno(n) => got.errno == Some(*n),
        Ret::Data(d) => got.errno.is_none() && got.data.as_deref() == Some(d.as_slice()),
    }
}
