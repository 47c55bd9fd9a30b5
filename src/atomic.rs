//! The one way the tool replaces or publishes a file: write a temporary file beside the target
//! (created exclusively), fsync it, move it into place, fsync the directory. A reader, or a
//! crash at any point, sees the old file or the new one, never half of one.
//!
//! Used by the walkthrough store, the ledger, the key store and the summary writer. A leaf
//! module: it knows files, not what is in them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How the finished file takes its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Rename over the target (a walkthrough, a manifest, a summary).
    Replace,
    /// Hard-link into place, failing with `AlreadyExists` if the target exists (a ledger
    /// record or a key: never overwritten).
    NoReplace,
}

/// Which file an atomic write failed on, and why.
#[derive(Debug)]
pub struct WriteError {
    /// The temporary file, or the target when moving into place failed.
    pub path: PathBuf,
    pub source: io::Error,
}

impl WriteError {
    /// The target already existed (only with [`Place::NoReplace`]).
    pub fn is_exists(&self) -> bool {
        self.source.kind() == io::ErrorKind::AlreadyExists
    }
}

/// A new temporary name for `target`: hidden, beside it, tagged with the pid and a count, so
/// two threads saving the same file (the TUI's autosave and a signing worker) never share
/// one temporary file; each rename is whole, and the last one wins.
pub fn temporary_for(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.tmp-{}-{}", std::process::id(), next()))
}

/// A process-wide count for temporary names.
pub fn next() -> u64 {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Writes `bytes` to `tmp`, syncs, moves it to `target` by `place` and syncs the directory.
/// `mode` sets the new file's permission bits exactly (not narrowed by the umask); `None`
/// leaves the default. A temporary file left by a crashed writer is removed first.
pub fn write(
    target: &Path,
    tmp: &Path,
    bytes: &[u8],
    place: Place,
    mode: Option<u32>,
) -> Result<(), WriteError> {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
        move |source| WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
    match fs::remove_file(tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(at(tmp)(e)),
    }
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        let mut file = options.open(tmp)?;
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(tmp, fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(tmp);
        return Err(at(tmp)(e));
    }
    let moved = match place {
        Place::Replace => fs::rename(tmp, target),
        Place::NoReplace => {
            let linked = fs::hard_link(tmp, target);
            let _ = fs::remove_file(tmp);
            linked
        }
    };
    if let Err(e) = moved {
        let _ = fs::remove_file(tmp);
        return Err(at(target)(e));
    }
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir).map_err(at(dir)),
        _ => Ok(()),
    }
}

/// Creates `dir`, a directory inside `data_dir`, and checks that every component between
/// them is a real directory, not a symbolic link: the tool writes only inside its data
/// directory, and a link planted there by anyone who can write it (a shared account) must not
/// steer the next write elsewhere. The data directory itself (made if missing) may be a link:
/// that is the user's choice.
pub fn create_data_subdir(data_dir: &Path, dir: &Path) -> io::Result<()> {
    let inner = dir.strip_prefix(data_dir).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not inside {}", dir.display(), data_dir.display()),
        )
    })?;
    fs::create_dir_all(data_dir)?;
    let mut here = data_dir.to_path_buf();
    for part in inner.components() {
        here.push(part);
        match fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(io::Error::other(format!(
                    "{} is a symbolic link; stationward writes only inside its data directory, \
                     so it will not follow it (remove the link)",
                    here.display()
                )));
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{} is not a directory",
                    here.display()
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&here) {
                Ok(()) => {}
                // Another process made it meanwhile: check it again on the next pass.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let m = fs::symlink_metadata(&here)?;
                    if !m.is_dir() || m.file_type().is_symlink() {
                        return Err(io::Error::other(format!(
                            "{} is not a directory",
                            here.display()
                        )));
                    }
                }
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Makes a rename or link in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir).and_then(|d| d.sync_all())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_overwrites_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("w.json");
        std::fs::write(&target, "old").unwrap();
        let tmp = temporary_for(&target);
        write(&target, &tmp, b"new", Place::Replace, None).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert!(!tmp.exists());
    }

    #[test]
    fn no_replace_refuses_an_existing_target_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("000001.dsse.json");
        std::fs::write(&target, "signed").unwrap();
        let tmp = temporary_for(&target);
        let err = write(&target, &tmp, b"other", Place::NoReplace, Some(0o644)).unwrap_err();
        assert!(err.is_exists());
        assert_eq!(err.path, target);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "signed");
        assert!(!tmp.exists());
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_exact_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("key");
        write(
            &target,
            &temporary_for(&target),
            b"k",
            Place::NoReplace,
            Some(0o600),
        )
        .unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn concurrent_saves_of_one_file_never_share_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("w.json");
        assert_ne!(temporary_for(&target), temporary_for(&target));
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let target = target.clone();
                std::thread::spawn(move || {
                    let body = format!("{i}").repeat(10_000);
                    for _ in 0..20 {
                        write(
                            &target,
                            &temporary_for(&target),
                            body.as_bytes(),
                            Place::Replace,
                            None,
                        )
                        .unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        // Whole: one writer's content, never a mix or a truncated file.
        let text = std::fs::read_to_string(&target).unwrap();
        assert_eq!(text.len(), 10_000);
        assert!(text.chars().all(|c| c == text.chars().next().unwrap()));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporaries left behind");
    }

    #[test]
    fn a_stale_temporary_from_a_crash_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("m");
        let tmp = temporary_for(&target);
        std::fs::write(&tmp, "half").unwrap();
        write(&target, &tmp, b"whole", Place::Replace, None).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
    }
}
