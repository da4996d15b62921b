//! A program that gets rights from its file — set-user-ID (`ping`, `passwd`), set-group-ID, or
//! file capabilities (`setcap cap_net_raw+ep`) — does not get them under `lab trace`, and says
//! nothing: its first privileged call just fails (EPERM). So the tracer looks at every program
//! it sees start (`exec()`) and says so, in words, with how to trace it with its rights.
//!
//! Why the rights are lost: `exec()` grants them only if nothing could abuse them. Under the
//! seccomp filter the program runs with `no_new_privs` set (the kernel demands it of an
//! unprivileged filter), and `exec()` then ignores them all. Under ptrace alone, `exec()`
//! ignores them unless the tracer has CAP_SYS_PTRACE (root): a tracer could otherwise make a
//! privileged program do anything.

use crate::i18n::{self, M};
use crate::sys;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What the file of a program gives it at `exec()`, in words (`set-user-ID (uid 0)`); empty
/// if nothing, or nothing it would not have anyway (a set-user-ID file of lab's own user).
pub fn granted(file: &Path) -> Vec<String> {
    let Ok(meta) = std::fs::metadata(file) else {
        return Vec::new();
    };
    let mut what = Vec::new();
    if meta.mode() & libc::S_ISUID != 0 && meta.uid() != nix::unistd::geteuid().as_raw() {
        what.push(format!("set-user-ID (uid {})", meta.uid()));
    }
    // Without group-execute permission, the set-group-ID bit means mandatory locking instead.
    if meta.mode() & libc::S_ISGID != 0
        && meta.mode() & libc::S_IXGRP != 0
        && meta.gid() != nix::unistd::getegid().as_raw()
    {
        what.push(format!("set-group-ID (gid {})", meta.gid()));
    }
    if sys::has_file_capabilities(file) {
        what.push("given file capabilities".to_string());
    }
    what
}

/// The warning for a program whose file grants `what`, started (`exec()`) as `name`; `None`
/// if it keeps its rights. `filtered`: under lab's seccomp filter; `root_tracer`: lab has
/// CAP_SYS_PTRACE.
pub fn warning(name: &str, what: &[String], filtered: bool, root_tracer: bool) -> Option<String> {
    if what.is_empty() || !filtered && root_tracer {
        return None;
    }
    let what = what.join(", ");
    Some(if filtered {
        i18n::f(M::TracePrivilegesFilter, &[&name, &what])
    } else {
        i18n::f(M::TracePrivilegesPtrace, &[&name, &what])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_file_grants_nothing_and_the_words_say_how_to_keep_the_rights() {
        let me = std::env::current_exe().unwrap();
        assert!(
            granted(&me).is_empty(),
            "a test binary is no set-user-ID program"
        );
        assert_eq!(warning("ping", &[], true, false), None);
        let what = ["set-user-ID (uid 0)".to_string()];
        let filtered = warning("/bin/ping", &what, true, true).unwrap();
        assert!(
            filtered.contains("/bin/ping is set-user-ID (uid 0)"),
            "{filtered}"
        );
        assert!(filtered.contains("sudo lab trace -p PID"), "{filtered}");
        assert!(warning("/bin/ping", &what, false, false)
            .unwrap()
            .contains("CAP_SYS_PTRACE"));
        assert_eq!(
            warning("/bin/ping", &what, false, true),
            None,
            "root traces it with its rights"
        );
    }
}
