//! The running system.

use super::{
    CommandRun, DirEntryKind, FileKind, FileMeta, FileText, Host, HostError, HostKind, RunStatus,
};
use super::{Oversize, ProcessInfo, file_text};
use crate::fsread::{self, Follow};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command that prints more than this is not one we parse whole: its run is `OutputLost`.
pub(super) const MAX_OUTPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The machine this runs on. What a scan read is recorded by the inspection's own
/// [`crate::inspect::Recorder`], per area; the host keeps no log of its own (a second copy
/// of 100,000 pieces of evidence was tens of MB).
#[derive(Debug, Default)]
pub struct Live {}

impl Live {
    pub fn new() -> Live {
        Live::default()
    }
}

impl Host for Live {
    fn kind(&self) -> HostKind {
        HostKind::Live
    }

    fn read_limited(
        &self,
        path: &str,
        cap: u64,
        oversize: Oversize,
    ) -> Result<FileText, HostError> {
        // The live system's own links (/etc/os-release -> ../usr/lib/os-release) are its
        // truth; what matters here is never blocking on a FIFO or device and never reading
        // without bound.
        read_file(std::path::Path::new(path), path, cap, Follow::Yes, oversize)
    }

    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        list_dir(std::path::Path::new(path), path)
    }

    fn read_dir_kinds(&self, path: &str) -> Result<Vec<DirEntryKind>, HostError> {
        list_dir_kinds(std::path::Path::new(path), path)
    }

    fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
        meta_of(std::path::Path::new(path), path)
    }

    fn read_link(&self, path: &str) -> Result<String, HostError> {
        std::fs::read_link(path)
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| HostError::from_io(path, &e))
    }

    fn run(&self, argv: &[&str], timeout: Duration) -> CommandRun {
        run_command(argv, timeout)
    }

    fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
        let mut sys = System::new().map_err(|e| HostError::Other {
            path: "/proc".into(),
            reason: e.to_string(),
        })?;
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing()
                .with_exe(UpdateKind::Always)
                .with_cmd(UpdateKind::Always)
                .with_user(UpdateKind::Always),
        );
        let mut list: Vec<ProcessInfo> = sys
            .processes()
            .values()
            .filter(|p| p.thread_kind().is_none())
            .map(|p| ProcessInfo {
                pid: p.pid().as_u32(),
                ppid: p.parent().map(sysinfo::Pid::as_u32),
                name: p.name().to_string_lossy().into_owned(),
                exe: p
                    .exe()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                cmdline: p
                    .cmd()
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect(),
                uid: process_uid(p),
            })
            .collect();
        list.sort_by_key(|p| p.pid);
        Ok(list)
    }

    fn privileged(&self) -> bool {
        // /proc/self/status is the portable way to learn the effective UID without libc.
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
            })
            .unwrap_or(false)
    }
}

/// Reads a regular file through `fsread` (non-blocking open, type checked on the descriptor,
/// size checked before reading).
pub(super) fn read_file(
    real: &std::path::Path,
    shown: &str,
    cap: u64,
    follow: Follow,
    oversize: Oversize,
) -> Result<FileText, HostError> {
    let b = fsread::read_regular(real, cap, follow, oversize)
        .map_err(|e| HostError::from_read(shown, e))?;
    Ok(file_text(shown, b.bytes, b.truncated))
}

pub(super) fn list_dir(real: &std::path::Path, shown: &str) -> Result<Vec<String>, HostError> {
    let entries = std::fs::read_dir(real).map_err(|e| HostError::from_io(shown, &e))?;
    // An entry the listing could not return is an error of the listing, not an absence.
    let mut names = entries
        .map(|e| {
            e.map(|e| e.file_name().to_string_lossy().into_owned())
                .map_err(|e| HostError::from_io(shown, &e))
        })
        .collect::<Result<Vec<String>, HostError>>()?;
    names.sort();
    Ok(names)
}

/// [`list_dir`] with each entry's kind from the listing (std asks the file system only where
/// the listing does not say).
pub(super) fn list_dir_kinds(
    real: &std::path::Path,
    shown: &str,
) -> Result<Vec<DirEntryKind>, HostError> {
    let entries = std::fs::read_dir(real).map_err(|e| HostError::from_io(shown, &e))?;
    let dir = shown.trim_end_matches('/');
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| HostError::from_io(shown, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .map(kind_of)
            .map_err(|e| HostError::from_io(&format!("{dir}/{name}"), &e));
        out.push((name, kind));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn kind_of(ft: std::fs::FileType) -> FileKind {
    if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

pub(super) fn meta_of(real: &std::path::Path, shown: &str) -> Result<FileMeta, HostError> {
    let m = std::fs::symlink_metadata(real).map_err(|e| HostError::from_io(shown, &e))?;
    unix_meta(kind_of(m.file_type()), &m, shown)
}

#[cfg(unix)]
// Always Ok here; the non-Unix variant below cannot see, and both share one signature.
#[allow(clippy::unnecessary_wraps)]
fn unix_meta(kind: FileKind, m: &std::fs::Metadata, _shown: &str) -> Result<FileMeta, HostError> {
    use std::os::unix::fs::MetadataExt;
    Ok(FileMeta {
        kind,
        mode: m.mode(),
        uid: m.uid(),
        gid: m.gid(),
        size: m.size(),
        mtime: m.mtime(),
    })
}

/// Owner and mode bits of a Linux tree do not survive on a Windows file system: a check that
/// needs them cannot see, rather than reading "root, 0000".
#[cfg(not(unix))]
fn unix_meta(_kind: FileKind, _m: &std::fs::Metadata, shown: &str) -> Result<FileMeta, HostError> {
    Err(HostError::from_io(
        shown,
        &std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "owner and mode bits are not available on this operating system",
        ),
    ))
}

/// How long the pipes may stay open after the command ended (or was killed): a grandchild
/// that inherited them can hold them forever.
const PIPE_GRACE: Duration = Duration::from_millis(200);

/// Process groups of the commands running now, so the tool can kill them when it exits
/// (quit, Ctrl-C, SIGTERM) instead of leaving them behind.
static RUNNING: std::sync::Mutex<std::collections::BTreeSet<i32>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Set when the tool is exiting: no new command starts after that.
static EXITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Kills the whole process group of every command still running and lets no new one start
/// (the exit path of the tool: quit, Ctrl-C, SIGTERM, a closed terminal).
pub fn kill_running_commands() {
    EXITING.store(true, std::sync::atomic::Ordering::SeqCst);
    let groups: Vec<i32> = RUNNING
        .lock()
        .map(|g| g.iter().copied().collect())
        .unwrap_or_default();
    for pgid in groups {
        kill_group(pgid);
    }
}

/// How many commands are running now (for tests and the TUI's quit path).
pub fn running_commands() -> usize {
    RUNNING.lock().map_or(0, |g| g.len())
}

#[cfg(not(unix))]
fn kill_group(_pgid: i32) {}

#[cfg(unix)]
fn kill_group(pgid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Keeps a command's group registered while it runs; unregisters (and kills what is left of
/// the group) when dropped, on every path out of `run_command`.
struct GroupGuard(i32);

impl GroupGuard {
    fn new(pgid: i32) -> GroupGuard {
        if let Ok(mut g) = RUNNING.lock() {
            g.insert(pgid);
        }
        GroupGuard(pgid)
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Ok(mut g) = RUNNING.lock() {
            g.remove(&self.0);
        }
    }
}

/// What a pipe gave: the bytes, and whether there was more than the cap.
struct Drained {
    bytes: Vec<u8>,
    overflow: bool,
}

fn run_command(argv: &[&str], timeout: Duration) -> CommandRun {
    let owned: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
    let done = |status, stdout: Vec<u8>, stderr: Vec<u8>| CommandRun {
        argv: owned.clone(),
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    let Some((program, args)) = argv.split_first() else {
        return done(
            RunStatus::Failed("empty command".into()),
            Vec::new(),
            Vec::new(),
        );
    };
    if EXITING.load(std::sync::atomic::Ordering::SeqCst) {
        return done(
            RunStatus::Failed("not started: the tool is exiting".into()),
            Vec::new(),
            Vec::new(),
        );
    }
    let mut command = Command::new(program);
    command
        .args(args)
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group: at the timeout (and when the tool exits) the command is killed
    // together with whatever it started, and a Ctrl-C meant for the tool's terminal does not
    // reach it half-way.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return done(RunStatus::Missing, Vec::new(), Vec::new());
        }
        Err(e) => return done(RunStatus::Failed(e.to_string()), Vec::new(), Vec::new()),
    };
    let pgid = i32::try_from(child.id()).unwrap_or(0);
    let guard = GroupGuard::new(pgid);
    if EXITING.load(std::sync::atomic::Ordering::SeqCst) {
        // The tool began exiting between the spawn and the registration.
        kill_group(pgid);
    }
    // Drain both pipes on threads so a chatty child never blocks on a full pipe; past the
    // cap the rest is read and dropped, so the child can still finish.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut overflow = false;
            if let Some(mut p) = pipe {
                let _ = (&mut p).take(MAX_OUTPUT_BYTES + 1).read_to_end(&mut buf);
                if buf.len() as u64 > MAX_OUTPUT_BYTES {
                    overflow = true;
                    buf.truncate(usize::try_from(MAX_OUTPUT_BYTES).unwrap_or(usize::MAX));
                    let _ = std::io::copy(&mut p, &mut std::io::sink());
                }
            }
            Drained {
                bytes: buf,
                overflow,
            }
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st.code().map_or(RunStatus::Signalled, RunStatus::Exited),
            Ok(None) if start.elapsed() >= timeout => {
                kill_group(pgid);
                let _ = child.kill();
                let _ = child.wait();
                break RunStatus::TimedOut(timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => break RunStatus::Failed(e.to_string()),
        }
    };
    let mut stdout = join_within(out, PIPE_GRACE);
    if stdout.is_none() {
        // Something the command left behind in its group still holds the pipe: end it, and
        // give the reader one more grace period.
        kill_group(pgid);
    }
    let stderr = join_within(err, PIPE_GRACE);
    drop(guard);
    let status = match (status, &mut stdout) {
        (RunStatus::Exited(_) | RunStatus::Signalled, None) => RunStatus::OutputLost(format!(
            "the output pipe was still open {} ms after the command ended",
            PIPE_GRACE.as_millis()
        )),
        (RunStatus::Exited(_) | RunStatus::Signalled, Some(d)) if d.overflow => {
            RunStatus::OutputLost(format!(
                "output larger than {} MiB, not read past it",
                MAX_OUTPUT_BYTES / 1024 / 1024
            ))
        }
        (status, _) => status,
    };
    done(
        status,
        stdout.map(|d| d.bytes).unwrap_or_default(),
        stderr.map(|d| d.bytes).unwrap_or_default(),
    )
}

fn join_within(handle: std::thread::JoinHandle<Drained>, grace: Duration) -> Option<Drained> {
    let start = Instant::now();
    while !handle.is_finished() {
        if start.elapsed() > grace {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    handle.join().ok()
}

#[cfg(unix)]
fn process_uid(p: &sysinfo::Process) -> Option<u32> {
    p.user_id().map(|u| **u)
}

/// Windows identifies a process's owner by SID, not by a numeric UID.
#[cfg(not(unix))]
fn process_uid(_p: &sysinfo::Process) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_is_a_value() {
        let run = run_command(
            &["/nonexistent/stationward-no-such-tool"],
            Duration::from_secs(1),
        );
        assert_eq!(run.status, RunStatus::Missing);
        assert!(
            run.unusable_reason()
                .is_some_and(|r| r.contains("not installed"))
        );
    }

    #[test]
    fn hanging_program_is_killed_at_the_timeout() {
        let start = Instant::now();
        let run = run_command(&["sleep", "5"], Duration::from_millis(200));
        assert_eq!(run.status, RunStatus::TimedOut(Duration::from_millis(200)));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn the_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("grandchild.pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
        let start = Instant::now();
        let run = run_command(&["sh", "-c", &script], Duration::from_millis(300));
        assert_eq!(run.status, RunStatus::TimedOut(Duration::from_millis(300)));
        // The timeout costs the timeout plus the pipe grace, not the grandchild's 30 s.
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let alive = std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
                .unwrap_or_default()
                .contains(") Z ");
        assert!(!alive, "the grandchild {pid} outlived the timeout");
        assert_eq!(running_commands(), 0);
    }

    #[test]
    fn output_lost_after_the_grace_is_not_exit_0_with_empty_output() {
        // The command exits 0 at once, but a background child keeps its stdout open.
        let run = run_command(
            &["sh", "-c", "(sleep 5; echo late) & echo early"],
            Duration::from_secs(5),
        );
        assert!(
            matches!(run.status, RunStatus::OutputLost(_)),
            "{:?}",
            run.status
        );
        assert!(!run.exited_with(&[0]));
        assert!(
            run.unusable_reason()
                .is_some_and(|w| w.contains("output of sh was lost"))
        );
    }

    #[test]
    fn output_past_the_cap_is_lost_not_cut() {
        let run = run_command(
            &[
                "head",
                "-c",
                &(MAX_OUTPUT_BYTES + 10).to_string(),
                "/dev/zero",
            ],
            Duration::from_secs(20),
        );
        assert!(
            matches!(run.status, RunStatus::OutputLost(ref w) if w.contains("not read past it")),
            "{:?}",
            run.status
        );
    }

    #[test]
    fn output_and_exit_code_are_captured_with_c_locale() {
        let run = run_command(
            &["sh", "-c", "echo $LC_ALL; echo err >&2; exit 3"],
            Duration::from_secs(5),
        );
        assert_eq!(run.status, RunStatus::Exited(3));
        assert_eq!(run.stdout, "C\n");
        assert_eq!(run.stderr, "err\n");
    }
}
