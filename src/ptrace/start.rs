//! Getting hold of a program to trace: starting it as our child (`lab trace -- PROGRAM`), or
//! attaching to one already running (`lab trace -p PID`) — and, when the kernel says no, why,
//! in words.

use super::filter;
use crate::sys;
use nix::errno::Errno;
use nix::sys::ptrace::{self, Options};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::ffi::{CString, OsString};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The events every traced thread reports: system-call stops told apart from signals
/// (TRACESYSGOOD), new processes and threads followed from their first instruction, `exec()`,
/// and a thread's exit before the kernel closes its fds (TRACEEXIT: lab lets go of its copies).
fn options() -> Options {
    Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACEEXIT
}

/// Starts `argv` under the seccomp filter, stopped at its first instruction's `exec()`, with
/// the options set. EXITKILL: if lab dies, the program dies too — under the filter, its socket
/// calls would otherwise fail with ENOSYS, no tracer being there to answer.
pub fn launch(
    argv: &[OsString],
    netns: Option<BorrowedFd<'_>>,
    filtered: bool,
) -> Result<Pid, String> {
    let first = argv
        .first()
        .ok_or("lab trace: which program? (lab trace -- PROGRAM [ARGS…])")?;
    let path = find_program(Path::new(first))?;
    refuse_32_bit(&path)?;
    let filter = match filtered {
        true => {
            Some(filter::program().map_err(|e| format!("cannot build the seccomp filter: {e}"))?)
        }
        false => None,
    };
    let cpath = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| "a NUL byte in the program's name")?;
    let args: Result<Vec<CString>, _> = argv.iter().map(|a| CString::new(a.as_bytes())).collect();
    let args = args.map_err(|_| "a NUL byte in an argument")?;
    let pid = sys::spawn_traced(&cpath, &args, filter.as_ref(), netns)
        .map_err(|e| format!("fork: {e}"))?;
    match waitpid(pid, Some(WaitPidFlag::__WALL)) {
        Ok(WaitStatus::Stopped(_, Signal::SIGSTOP)) => {}
        // The child inherits no tracer of lab's, but `strace -f lab …` traces it already.
        Ok(WaitStatus::Exited(_, _)) => {
            return Err(not_traceable("PTRACE_TRACEME", tracer_of("self")))
        }
        other => return Err(format!("the child did not stop as expected: {other:?}")),
    }
    let opts = options() | Options::PTRACE_O_EXITKILL | Options::PTRACE_O_TRACESECCOMP;
    ptrace::setoptions(pid, opts).map_err(|e| format!("PTRACE_SETOPTIONS: {e}"))?;
    ptrace::cont(pid, None).map_err(|e| format!("PTRACE_CONT: {e}"))?;
    Ok(pid)
}

/// The program's file: as given if it has a `/`, else the first executable of that name on
/// PATH, as a shell finds it.
fn find_program(name: &Path) -> Result<PathBuf, String> {
    let executable = |p: &Path| {
        p.is_file()
            && p.metadata()
                .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    };
    if name.as_os_str().as_bytes().contains(&b'/') {
        return if executable(name) {
            Ok(name.to_path_buf())
        } else {
            Err(format!("{}: no such executable file", name.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| executable(p))
        .ok_or_else(|| format!("{}: command not found on PATH", name.display()))
}

/// A 32-bit ELF program makes its calls through another table (`int 0x80`, socketcall), which
/// this tracer does not decode: it says so rather than show wrong calls.
fn refuse_32_bit(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut head = [0u8; 5];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    // ELF magic, then EI_CLASS: 1 = 32-bit, 2 = 64-bit.
    if read.is_ok() && head[..4] == *b"\x7fELF" && head[4] == 1 {
        return Err(format!(
            "{} is a 32-bit program: lab trace follows x86_64 programs only (32-bit calls go \
                through another system call table)",
            path.display()
        ));
    }
    Ok(())
}

/// Attaches to every thread of `pid` (PTRACE_SEIZE, then PTRACE_INTERRUPT to stop each once),
/// scanning `/proc/PID/task` again until no thread was created meanwhile. Returns the threads.
pub fn attach(pid: Pid) -> Result<Vec<Pid>, String> {
    let mut seized: BTreeSet<i32> = BTreeSet::new();
    loop {
        let tids = threads(pid)?;
        let new: Vec<i32> = tids.into_iter().filter(|t| !seized.contains(t)).collect();
        if new.is_empty() {
            break;
        }
        for tid in new {
            match ptrace::seize(Pid::from_raw(tid), options()) {
                Ok(()) => {
                    let _ = ptrace::interrupt(Pid::from_raw(tid));
                    seized.insert(tid);
                }
                // The thread ended between the scan and the seize.
                Err(Errno::ESRCH) if !seized.is_empty() => {}
                Err(e) => return Err(attach_refused(pid, e)),
            }
        }
    }
    Ok(seized.into_iter().map(Pid::from_raw).collect())
}

fn threads(pid: Pid) -> Result<Vec<i32>, String> {
    let dir =
        std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|_| format!("no process {pid}"))?;
    Ok(dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect())
}

/// Why the kernel refused to let us trace `pid`, in words.
fn attach_refused(pid: Pid, e: Errno) -> String {
    if e == Errno::ESRCH {
        return format!("no process {pid}");
    }
    if e != Errno::EPERM {
        return format!("PTRACE_SEIZE {pid}: {e}");
    }
    let owner = std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    let me = nix::unistd::geteuid().as_raw();
    if owner.is_some_and(|o| o != me) {
        return format!(
            "process {pid} belongs to another user (uid {}; you are {me}): only root, or a tracer \
                with CAP_SYS_PTRACE, may trace it",
            owner.unwrap_or(0)
        );
    }
    not_traceable(&format!("PTRACE_SEIZE {pid}"), tracer_of(&pid.to_string()))
}

/// The process that traces `/proc/WHO` already (`TracerPid:` in its status; 0: none), and its
/// name (`/proc/TRACER/comm`): a process has one tracer at a time.
fn tracer_of(who: &str) -> Option<(i32, String)> {
    let status = std::fs::read_to_string(format!("/proc/{who}/status")).ok()?;
    let pid: i32 = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))?
        .trim()
        .parse()
        .ok()?;
    if pid == 0 {
        return None;
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    Some((pid, comm.trim().to_string()))
}

/// The reasons ptrace may be refused to one's own processes: a tracer already there (named),
/// Yama, a container.
fn not_traceable(what: &str, tracer: Option<(i32, String)>) -> String {
    if let Some((pid, comm)) = tracer {
        return format!(
            "{what} refused: it is already traced by process {pid} ({comm}), and a process has one \
                tracer at a time: stop {comm} first"
        );
    }
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok();
    let scope = scope.as_deref().map(str::trim);
    let why = match scope {
        Some("1") => concat!(
            "Yama's ptrace_scope is 1: only a parent may trace its children. ",
            "`lab trace -- PROGRAM` works; for -p use sudo (or `sysctl kernel.yama.ptrace_scope=0`)"
        ),
        Some("2") => "Yama's ptrace_scope is 2: only root (CAP_SYS_PTRACE) may trace",
        Some("3") => "Yama's ptrace_scope is 3: ptrace is disabled on this machine until reboot",
        _ if !has_cap_sys_ptrace() && in_container() => concat!(
            "this looks like a container without ptrace ",
            "(docker: --cap-add=SYS_PTRACE, and a seccomp profile that allows ptrace)"
        ),
        _ => concat!(
            "the process may already be traced (by strace or gdb: only one tracer at a time), ",
            "or ptrace is not allowed here"
        ),
    };
    format!("{what} refused: {why}")
}

/// Whether this process has CAP_SYS_PTRACE (bit 19 of `CapEff` in `/proc/self/status`).
pub fn has_cap_sys_ptrace() -> bool {
    const CAP_SYS_PTRACE: u32 = 19;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .map(str::trim);
    eff.and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_PTRACE) != 0)
}

fn in_container() -> bool {
    Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists()
}

/// The processes `pid` started that are still running, each with its command line, children
/// before grandchildren (`/proc/*/stat`'s parent field). A shell or a launcher (a pyenv shim
/// that forks, `bash -c '… &'`) makes no socket call itself: the work is in these.
pub fn children(pid: Pid) -> Vec<(i32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: Vec<(i32, i32)> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            // `pid (comm) state ppid …`: the name may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(") ")?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut out = Vec::new();
    let mut level = vec![pid.as_raw()];
    while !level.is_empty() && out.len() < 20 {
        let next: Vec<i32> = parents
            .iter()
            .filter(|(_, pp)| level.contains(pp))
            .map(|(p, _)| *p)
            .collect();
        for p in &next {
            let cmd = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            let cmd: Vec<String> = cmd
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            out.push((*p, cmd.join(" ")));
        }
        level = next;
    }
    out
}
