//! An inspected system that fails on purpose, for fault-injection tests: wraps a real host (an
//! offline tree) and makes every read and command fail the chosen way, or panic.
//!
//! The fault suite runs every collector and every check through it: no check may pass on
//! what it could not see.

use super::{
    CommandRun, FileMeta, FileText, Host, HostError, HostKind, Oversize, ProcessInfo, RunStatus,
};
use std::time::Duration;

/// How the fake host is blind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every read is EACCES; every command exits 1 saying "Permission denied".
    PermissionDenied,
    /// Every command times out; every read fails as an I/O error (a hung mount).
    Timeout,
    /// Every command's output is lost; every file is larger than its cap.
    LostOutput,
    /// Every call panics (a bug in a collector's path).
    Panic,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::PermissionDenied,
        Fault::Timeout,
        Fault::LostOutput,
        Fault::Panic,
    ];
}

/// Injects `fault` into calls on `inner`; `kind` is what it claims to be (a live host makes
/// collectors run commands, a tree makes them read captures).
pub struct FaultyHost<'a> {
    pub inner: &'a dyn Host,
    pub fault: Fault,
    pub kind: HostKind,
    /// Only these paths and programs fail (None: everything).
    pub only: Option<std::collections::BTreeSet<String>>,
}

impl<'a> FaultyHost<'a> {
    /// Every read and command fails.
    pub fn everything(inner: &'a dyn Host, fault: Fault, kind: HostKind) -> FaultyHost<'a> {
        FaultyHost {
            inner,
            fault,
            kind,
            only: None,
        }
    }

    /// Only `subject` (a path, or a command's program) fails; the rest is `inner`'s.
    pub fn only(
        inner: &'a dyn Host,
        fault: Fault,
        kind: HostKind,
        subject: &str,
    ) -> FaultyHost<'a> {
        FaultyHost {
            inner,
            fault,
            kind,
            only: Some(std::collections::BTreeSet::from([subject.to_string()])),
        }
    }

    fn hits(&self, subject: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(subject))
    }

    fn file_error(&self, path: &str) -> HostError {
        match self.fault {
            Fault::PermissionDenied => HostError::PermissionDenied(path.to_string()),
            Fault::Timeout => HostError::Other {
                path: path.to_string(),
                reason: "Connection timed out (injected)".into(),
            },
            Fault::LostOutput => HostError::TooLarge {
                path: path.to_string(),
                size: u64::MAX,
                cap: super::read_cap(path),
            },
            Fault::Panic => panic!("injected panic reading {path}"),
        }
    }
}

impl Host for FaultyHost<'_> {
    fn kind(&self) -> HostKind {
        self.kind.clone()
    }

    fn read_limited(&self, path: &str, cap: u64, o: Oversize) -> Result<FileText, HostError> {
        if !self.hits(path) {
            return self.inner.read_limited(path, cap, o);
        }
        Err(self.file_error(path))
    }

    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        if !self.hits(path) {
            return self.inner.read_dir(path);
        }
        Err(self.file_error(path))
    }

    fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
        if !self.hits(path) {
            return self.inner.metadata(path);
        }
        Err(self.file_error(path))
    }

    fn read_link(&self, path: &str) -> Result<String, HostError> {
        if !self.hits(path) {
            return self.inner.read_link(path);
        }
        Err(self.file_error(path))
    }

    fn run(&self, argv: &[&str], timeout: Duration) -> CommandRun {
        if !self.hits(argv.first().unwrap_or(&"")) {
            return self.inner.run(argv, timeout);
        }
        let (status, stderr) = match self.fault {
            Fault::PermissionDenied => (
                RunStatus::Exited(1),
                format!(
                    "{}: Permission denied (injected)\n",
                    argv.first().unwrap_or(&"")
                ),
            ),
            Fault::Timeout => (RunStatus::TimedOut(timeout), String::new()),
            Fault::LostOutput => (
                RunStatus::OutputLost("injected: output lost after the grace period".into()),
                String::new(),
            ),
            Fault::Panic => panic!("injected panic running {argv:?}"),
        };
        CommandRun {
            argv: argv.iter().map(|s| (*s).to_string()).collect(),
            status,
            stdout: String::new(),
            stderr,
        }
    }

    fn privileged(&self) -> bool {
        true
    }

    fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
        if !self.hits("/proc") {
            return self.inner.processes();
        }
        Err(self.file_error("/proc"))
    }
}
