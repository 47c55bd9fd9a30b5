//! Where bytes come from: the live host, or an offline tree (`--root DIR`).
//!
//! This is the only module that touches the inspected system. Every read and every command
//! is recorded as evidence, so findings can say exactly what they were derived from.

pub mod fake;
mod live;
mod root;

pub use live::{Live, kill_running_commands, running_commands};
pub use root::Root;

pub use crate::fsread::Oversize;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Files larger than this are not read (configuration, account databases, logs): a check that
/// needed the file is `unknown` with "file larger than 16 MiB, not read past it".
pub const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;
/// Package databases and downloaded package indexes are legitimately larger than any
/// configuration file (Debian's main `Packages` index is ~60 MB).
pub const MAX_PACKAGE_DB_BYTES: u64 = 128 * 1024 * 1024;

/// Account databases of a directory-joined host can hold hundreds of thousands of entries
/// (500,000 accounts are about 20 MB of /etc/passwd).
pub const MAX_ACCOUNT_DB_BYTES: u64 = 64 * 1024 * 1024;

/// The size cap for a file on the inspected system, by kind of file. A file over its cap is
/// refused, never cut: what needed it is `unknown`, saying so.
pub fn read_cap(path: &str) -> u64 {
    match path {
        "/var/lib/dpkg/status" => MAX_PACKAGE_DB_BYTES,
        p if p.starts_with("/var/lib/apt/lists/") => MAX_PACKAGE_DB_BYTES,
        "/etc/passwd" | "/etc/shadow" | "/etc/group" | "/etc/gshadow" => MAX_ACCOUNT_DB_BYTES,
        _ => MAX_READ_BYTES,
    }
}
/// Default time a command may take before it is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a finding was derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Evidence {
    File {
        path: String,
        sha256: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        truncated: bool,
    },
    Command {
        argv: Vec<String>,
        /// Exit code; `null` when the command was missing, timed out or was not run.
        exit: Option<i32>,
        stdout_sha256: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A path that was looked for and is absent or unreadable (absence is evidence too).
    Absent { path: String, reason: String },
}

impl Evidence {
    /// The file path or the command's program, for matching evidence to a check.
    pub fn subject(&self) -> &str {
        match self {
            Evidence::File { path, .. } | Evidence::Absent { path, .. } => path,
            Evidence::Command { argv, .. } => argv.first().map_or("", String::as_str),
        }
    }
}

/// A file's contents as text (invalid UTF-8 replaced, never fatal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    pub path: String,
    pub text: String,
    pub sha256: String,
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Other,
}

/// A directory entry's name and kind (see [`Host::read_dir_kinds`]).
pub type DirEntryKind = (String, Result<FileKind, HostError>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub mtime: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("needs root to read {0}")]
    PermissionDenied(String),
    #[error("cannot read {path}: {reason}")]
    Other { path: String, reason: String },
    /// Refused, not cut: whatever depended on the tail must not pass on a prefix.
    #[error("{path}: file larger than {} MiB, not read past it", cap / 1024 / 1024)]
    TooLarge { path: String, size: u64, cap: u64 },
}

impl HostError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, HostError::NotFound(_))
    }

    pub(crate) fn from_io(path: &str, e: &std::io::Error) -> HostError {
        match e.kind() {
            std::io::ErrorKind::NotFound => HostError::NotFound(path.to_string()),
            std::io::ErrorKind::PermissionDenied => HostError::PermissionDenied(path.to_string()),
            _ => HostError::Other {
                path: path.to_string(),
                reason: e.to_string(),
            },
        }
    }

    pub(crate) fn from_read(path: &str, e: crate::fsread::ReadError) -> HostError {
        use crate::fsread::ReadError;
        match e {
            ReadError::NotFound => HostError::NotFound(path.to_string()),
            ReadError::PermissionDenied => HostError::PermissionDenied(path.to_string()),
            ReadError::TooLarge { size, cap } => HostError::TooLarge {
                path: path.to_string(),
                size,
                cap,
            },
            other => HostError::Other {
                path: path.to_string(),
                reason: other.to_string(),
            },
        }
    }
}

/// Reads a file that may legitimately be missing: `Ok(None)` only when it does not exist;
/// every other failure (permission denied, not a regular file, too large, a symlink loop)
/// is surfaced, so a collector never mistakes "could not read" for "absent".
pub fn read_optional(host: &dyn Host, path: &str) -> Result<Option<FileText>, HostError> {
    match host.read(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// As [`read_optional`] for directory listings.
pub fn read_dir_optional(host: &dyn Host, path: &str) -> Result<Option<Vec<String>>, HostError> {
    match host.read_dir(path) {
        Ok(names) => Ok(Some(names)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// As [`read_optional`] for metadata: `Ok(None)` only when nothing is at `path`, so an
/// existence probe never reads "could not look" as "not there".
pub fn metadata_optional(host: &dyn Host, path: &str) -> Result<Option<FileMeta>, HostError> {
    match host.metadata(path) {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// As [`read_optional`] for symbolic links.
pub fn read_link_optional(host: &dyn Host, path: &str) -> Result<Option<String>, HostError> {
    match host.read_link(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStatus {
    Exited(i32),
    /// Killed by a signal.
    Signalled,
    /// The program is not installed (or not in the offline capture).
    Missing,
    TimedOut(Duration),
    /// It ran, but its output could not be collected whole (a pipe still held open after the
    /// grace period, output beyond the cap): never to be read as a complete, empty answer.
    OutputLost(String),
    /// Not executed: offline tree without a captured output.
    NotRun(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRun {
    pub argv: Vec<String>,
    pub status: RunStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CommandRun {
    /// True when the command ran and exited with one of `codes`.
    pub fn exited_with(&self, codes: &[i32]) -> bool {
        matches!(self.status, RunStatus::Exited(c) if codes.contains(&c))
    }

    /// Why this output cannot be used, in words for an `unknown` finding; None when it ran.
    pub fn unusable_reason(&self) -> Option<String> {
        let program = self.argv.first().map_or("command", String::as_str);
        match &self.status {
            RunStatus::Exited(_) => None,
            RunStatus::Signalled => Some(format!("{program} was killed by a signal")),
            RunStatus::Missing => Some(format!("{program} is not installed")),
            RunStatus::TimedOut(d) => {
                Some(format!("{program} did not finish within {} s", d.as_secs()))
            }
            RunStatus::OutputLost(why) => Some(format!("output of {program} was lost: {why}")),
            RunStatus::NotRun(why) => Some(why.clone()),
            RunStatus::Failed(why) => Some(format!("{program} could not be started: {why}")),
        }
    }

    pub fn evidence(&self) -> Evidence {
        let exit = match self.status {
            RunStatus::Exited(c) => Some(c),
            _ => None,
        };
        Evidence::Command {
            argv: self.argv.clone(),
            exit,
            stdout_sha256: sha256_hex(self.stdout.as_bytes()),
            note: self.unusable_reason(),
        }
    }
}

/// Whether the source is the running system or an offline tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    Live,
    Root(std::path::PathBuf),
    /// A Windows snapshot directory (`--snapshot DIR`, see `crate::windows`).
    Snapshot(std::path::PathBuf),
}

/// The inspected system. Paths are absolute as seen on that system (`/etc/passwd`).
pub trait Host: Sync {
    fn kind(&self) -> HostKind;
    /// The host underneath a recorder, for reads made only to find what matters (the ssh
    /// collector reads every unit file to learn which run sshd): they are not evidence, and
    /// 100,000 of them were a tenth of a large scan's memory. `None`: this host records
    /// nothing.
    fn unrecorded(&self) -> Option<&dyn Host> {
        None
    }
    /// The whole file, refused when it is not a regular file or is larger than
    /// `read_cap(path)` ([`HostError::TooLarge`]).
    fn read(&self, path: &str) -> Result<FileText, HostError> {
        self.read_limited(path, read_cap(path), Oversize::Refuse)
    }
    /// The file read up to `cap` bytes; with [`Oversize::Truncate`] a larger file gives its
    /// prefix with `truncated` set, and the caller must make whatever needed the tail unknown.
    fn read_limited(&self, path: &str, cap: u64, oversize: Oversize)
    -> Result<FileText, HostError>;
    /// Entry names (not paths), sorted.
    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError>;
    /// Entry names with what each is (links not followed), sorted by name; `Err` for an
    /// entry whose kind could not be learned. Trees and the live host take the kinds from
    /// the listing itself (d_type): a metadata call for each of 100,000 unit files was a
    /// tenth of a large scan's system time.
    fn read_dir_kinds(&self, path: &str) -> Result<Vec<DirEntryKind>, HostError> {
        let dir = path.trim_end_matches('/');
        Ok(self
            .read_dir(path)?
            .into_iter()
            .map(|name| {
                let kind = self.metadata(&format!("{dir}/{name}")).map(|m| m.kind);
                (name, kind)
            })
            .collect())
    }
    /// Metadata of the path itself (symlinks not followed).
    fn metadata(&self, path: &str) -> Result<FileMeta, HostError>;
    /// Target of a symlink, as stored.
    fn read_link(&self, path: &str) -> Result<String, HostError>;
    /// Runs a program without a shell, `LC_ALL=C`, killed after `timeout`.
    fn run(&self, argv: &[&str], timeout: Duration) -> CommandRun;
    /// Whether this process can read root-only files (effective UID 0 on a live host).
    fn privileged(&self) -> bool;
    /// Running processes; an offline tree has none to show (`Err` with the reason).
    fn processes(&self) -> Result<Vec<ProcessInfo>, HostError>;
}

/// A running process, as far as this user can see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub ppid: Option<u32>,
    pub name: String,
    /// Executable path; empty when not visible (other users' processes without root).
    pub exe: String,
    pub cmdline: Vec<String>,
    pub uid: Option<u32>,
}

/// Collects evidence from concurrent readers, each item once, in the order first seen.
#[derive(Debug, Default)]
pub struct EvidenceLog {
    items: Mutex<EvidenceItems>,
}

#[derive(Debug, Default)]
struct EvidenceItems {
    order: Vec<Evidence>,
    /// Where in `order` the item with this hash is: a scan of 100,000 unit files records as
    /// many items, and a linear `contains` per push made the scan quadratic, while a set of
    /// clones held every item twice.
    seen: HashMap<u64, usize>,
    /// Further items whose hash equals an earlier, different item's (in practice never).
    collided: HashMap<u64, Vec<usize>>,
}

impl EvidenceLog {
    pub fn push(&self, e: Evidence) {
        let Ok(mut items) = self.items.lock() else {
            return;
        };
        let EvidenceItems {
            order,
            seen,
            collided,
        } = &mut *items;
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            e.hash(&mut h);
            h.finish()
        };
        match seen.get(&hash) {
            Some(&i) if order.get(i) == Some(&e) => return,
            Some(_) => {
                let more = collided.entry(hash).or_default();
                if more.iter().any(|&j| order.get(j) == Some(&e)) {
                    return;
                }
                more.push(order.len());
            }
            None => {
                seen.insert(hash, order.len());
            }
        }
        order.push(e);
    }

    /// The items, without a copy: a scan of 100,000 unit files holds as many, and a clone
    /// of them was tens of MB at the peak.
    pub fn into_items(self) -> Vec<Evidence> {
        self.items
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .order
    }

    pub fn snapshot(&self) -> Vec<Evidence> {
        self.items
            .lock()
            .map(|v| v.order.clone())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.items.lock().map_or(0, |v| v.order.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Lower-case hex (of a SHA-256): the one helper in [`crate::digest`].
pub use crate::digest::{hex, sha256_hex};

/// Turns bytes into text, keeping what is valid and marking what is not.
pub(crate) fn file_text(path: &str, bytes: Vec<u8>, truncated: bool) -> FileText {
    let sha256 = sha256_hex(&bytes);
    // Valid UTF-8 (nearly every file) is taken as it is, not copied.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    FileText {
        path: path.to_string(),
        text,
        sha256,
        truncated,
    }
}

/// Runs independent commands at the same time (each in its own thread and process group), so
/// an area that needs several costs the slowest one's time, not the sum of their timeouts.
/// Results come back in the order of `argvs`.
pub fn run_all(host: &dyn Host, argvs: &[&[&str]], timeout: Duration) -> Vec<CommandRun> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = argvs
            .iter()
            .map(|argv| scope.spawn(move || host.run(argv, timeout)))
            .collect();
        handles
            .into_iter()
            .zip(argvs)
            .map(|(h, argv)| {
                h.join().unwrap_or_else(|_| CommandRun {
                    argv: argv.iter().map(|s| (*s).to_string()).collect(),
                    status: RunStatus::Failed("the thread running it panicked".into()),
                    stdout: String::new(),
                    stderr: String::new(),
                })
            })
            .collect()
    })
}

/// Reads the whole of `path` (up to the cap) through `host`, returning text or the reason it
/// could not: the usual entry point for collectors.
pub fn read_text(host: &dyn Host, path: &str) -> Result<String, HostError> {
    host.read(path).map(|f| f.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_dedup_is_linear_not_quadratic() {
        // Every unit file read is an evidence item; a linear `contains` per push made a scan
        // quadratic (50,000 items: over 10 s). With a hash set it takes well under a second.
        let log = EvidenceLog::default();
        let start = std::time::Instant::now();
        for i in 0..50_000 {
            log.push(Evidence::File {
                path: format!("/lib/systemd/system/bench-{i:06}.service"),
                sha256: "0".repeat(64),
                truncated: false,
            });
        }
        // Duplicates are still dropped, and the first-seen order is kept.
        log.push(Evidence::File {
            path: "/lib/systemd/system/bench-000000.service".into(),
            sha256: "0".repeat(64),
            truncated: false,
        });
        assert_eq!(log.len(), 50_000);
        assert_eq!(
            log.snapshot()[1].subject(),
            "/lib/systemd/system/bench-000001.service"
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn read_optional_maps_only_not_found_to_absent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(dir.path().join("etc/securetty"))
            .status()
            .unwrap();
        assert!(status.success());
        let root = Root::new(dir.path());
        assert_eq!(read_optional(&root, "/etc/nothing-here"), Ok(None));
        let err = read_optional(&root, "/etc/securetty").unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let inner = Root::new(dir.path());
        let denied = fake::FaultyHost::everything(
            &inner,
            fake::Fault::PermissionDenied,
            HostKind::Root(dir.path().into()),
        );
        assert!(matches!(
            read_optional(&denied, "/etc/securetty"),
            Err(HostError::PermissionDenied(_))
        ));
        assert!(read_dir_optional(&denied, "/etc").is_err());
    }
}
