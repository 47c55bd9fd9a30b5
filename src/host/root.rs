//! An offline tree (`--root DIR`): a mounted disk image or a captured host.
//!
//! Nothing is executed. A captured host may hold command outputs under
//! `DIR/.stationward-capture/commands/<key>.stdout` (and `<key>.exit`, default 0), where `<key>`
//! is `Root::capture_key(argv)` (the argv joined by `_`, other bytes as `%XX`); without one a command is `NotRun`.

use super::live::{MAX_OUTPUT_BYTES, list_dir, list_dir_kinds, meta_of, read_file};
use super::{
    CommandRun, DirEntryKind, FileMeta, FileText, Host, HostError, HostKind, Oversize, ProcessInfo,
    RunStatus,
};
use crate::fsread::{self, Bytes, Follow};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

pub const CAPTURE_DIR: &str = ".stationward-capture/commands";

/// Symlinks followed in one resolution before giving up with ELOOP (the kernel's limit).
const MAX_LINKS: usize = 40;

/// Whether the final component of a path is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Follow,
    Keep,
}

#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
    /// What `readlink` said of each intermediate directory already walked through (`None`: not
    /// a link, or absent), by its path inside the tree. A scan reads tens of thousands of files
    /// under the same few directories; asking again for each was most of an offline scan's
    /// time. The tree is scanned at rest (README, Guarantees), so the answer does not change.
    dir_links: std::sync::Mutex<std::collections::HashMap<String, Option<PathBuf>>>,
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Root {
        Root {
            dir: dir.into(),
            dir_links: std::sync::Mutex::default(),
        }
    }

    /// `readlink` of a path inside the tree: `Ok(None)` when it is not a link or does not
    /// exist (the open that follows reports that, naming the path as the system names it).
    /// Intermediate directories are asked once per scan.
    fn link_of(&self, inner: &str, intermediate: bool) -> std::io::Result<Option<PathBuf>> {
        if intermediate
            && let Some(known) = self
                .dir_links
                .lock()
                .ok()
                .and_then(|m| m.get(inner).cloned())
        {
            return Ok(known);
        }
        let answer = match std::fs::read_link(self.dir.join(inner)) {
            Ok(t) => Some(t),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidInput
                        | std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::NotADirectory
                ) =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        if intermediate && let Ok(mut m) = self.dir_links.lock() {
            m.insert(inner.to_string(), answer.clone());
        }
        Ok(answer)
    }

    /// Resolves `path` inside the tree, following every symlink with the tree as `/`
    /// (absolute targets are relative to the root, `..` never climbs above it), so neither
    /// `/etc -> /srv/etc` nor `/etc/foo -> /usr/lib/foo` leads out to the live system.
    ///
    /// With `Last::Follow` the final component is resolved too; with `Last::Keep` it is left
    /// as named (lstat, readlink). More than 40 links fail with ELOOP, like the kernel:
    /// never a half-resolved path that still ends in a link the kernel would then follow from
    /// the real `/`. The caller opens the result with `O_NOFOLLOW`, so a link swapped in after
    /// resolution is refused rather than followed.
    fn resolve(&self, path: &str, last: Last) -> Result<PathBuf, HostError> {
        let mut pending: Vec<String> = components(path).into_iter().rev().collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            if last == Last::Keep && pending.is_empty() {
                done.push(part);
                break;
            }
            done.push(part);
            let target = match self.link_of(&done.join("/"), !pending.is_empty()) {
                Ok(Some(t)) => t,
                Ok(None) => continue,
                Err(e) => return Err(HostError::from_io(path, &e)),
            };
            links += 1;
            if links > MAX_LINKS {
                return Err(HostError::Other {
                    path: path.to_string(),
                    reason: format!(
                        "too many levels of symbolic links (more than {MAX_LINKS}) inside the tree"
                    ),
                });
            }
            done.pop();
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                done.clear();
            }
            pending.extend(components(&target).into_iter().rev());
        }
        Ok(self.dir.join(done.join("/")))
    }

    /// Where a captured command's output or exit status lives, resolved like any other path.
    fn capture_path(&self, key: &str, suffix: &str) -> Result<PathBuf, HostError> {
        self.resolve(&format!("/{CAPTURE_DIR}/{key}.{suffix}"), Last::Follow)
    }

    /// Reads a captured file: regular, capped, final component never a link.
    fn read_capture(&self, key: &str, suffix: &str, cap: u64) -> Result<Bytes, HostError> {
        let shown = format!("{CAPTURE_DIR}/{key}.{suffix}");
        let real = self.capture_path(key, suffix)?;
        fsread::read_regular(&real, cap, Follow::No, Oversize::Truncate)
            .map_err(|e| HostError::from_read(&shown, e))
    }

    /// The captured exit status: 0 when no `.exit` file was captured (documented default), an
    /// error when one exists but cannot be read or parsed (never silently 0).
    fn captured_exit(&self, key: &str) -> Result<i32, String> {
        match self.read_capture(key, "exit", 64) {
            Err(HostError::NotFound(_)) => Ok(0),
            Err(e) => Err(format!("captured exit status unusable: {e}")),
            Ok(b) => String::from_utf8_lossy(&b.bytes)
                .trim()
                .parse()
                .map_err(|_| format!("captured exit status of {key} is not a number")),
        }
    }

    /// The file name of a captured command's output: the argv joined by `_`, every byte
    /// outside `[A-Za-z0-9._,+=-]` written as `%XX` (so `/` is `%2F`).
    pub fn capture_key(argv: &[&str]) -> String {
        let joined = argv.join("_");
        let mut key = String::with_capacity(joined.len());
        for b in joined.bytes() {
            if b.is_ascii_alphanumeric() || b"._,+=-_".contains(&b) {
                key.push(char::from(b));
            } else {
                key.push_str(&format!("%{b:02X}"));
            }
        }
        key
    }
}

impl Host for Root {
    fn kind(&self) -> HostKind {
        HostKind::Root(self.dir.clone())
    }

    fn read_limited(
        &self,
        path: &str,
        cap: u64,
        oversize: Oversize,
    ) -> Result<FileText, HostError> {
        // Most files are not links: open the final component as named, never following it,
        // and resolve it only when it turns out to be a link. A scan reads every unit file of
        // the tree; this spares a readlink for each.
        let named = self.resolve(path, Last::Keep)?;
        match fsread::read_regular(&named, cap, Follow::No, oversize) {
            Err(fsread::ReadError::Symlink) => self
                .resolve(path, Last::Follow)
                .and_then(|real| read_file(&real, path, cap, Follow::No, oversize)),
            Err(e) => Err(HostError::from_read(path, e)),
            Ok(b) => Ok(super::file_text(path, b.bytes, b.truncated)),
        }
    }

    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        list_dir(&self.resolve(path, Last::Follow)?, path)
    }

    fn read_dir_kinds(&self, path: &str) -> Result<Vec<DirEntryKind>, HostError> {
        list_dir_kinds(&self.resolve(path, Last::Follow)?, path)
    }

    fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
        meta_of(&self.resolve(path, Last::Keep)?, path)
    }

    fn read_link(&self, path: &str) -> Result<String, HostError> {
        std::fs::read_link(self.resolve(path, Last::Keep)?)
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| HostError::from_io(path, &e))
    }

    fn run(&self, argv: &[&str], _timeout: Duration) -> CommandRun {
        let key = Root::capture_key(argv);
        let owned: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
        let ran = |status, stdout: &[u8]| CommandRun {
            argv: owned.clone(),
            status,
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::new(),
        };
        match self.read_capture(&key, "stdout", MAX_OUTPUT_BYTES) {
            Err(HostError::NotFound(_)) => ran(
                RunStatus::NotRun("offline image: command not run".into()),
                b"",
            ),
            Err(e) => ran(
                RunStatus::Failed(format!("captured output unusable: {e}")),
                b"",
            ),
            Ok(out) if out.truncated => ran(
                RunStatus::OutputLost(format!(
                    "captured output larger than {} MiB, not read past it",
                    MAX_OUTPUT_BYTES / 1024 / 1024
                )),
                b"",
            ),
            Ok(out) => match self.captured_exit(&key) {
                Ok(127) => ran(RunStatus::Missing, b""),
                Ok(code) => ran(RunStatus::Exited(code), &out.bytes),
                Err(why) => ran(RunStatus::Failed(why), b""),
            },
        }
    }

    fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
        Err(HostError::Other {
            path: "/proc".into(),
            reason: "offline image: no running processes".into(),
        })
    }

    fn privileged(&self) -> bool {
        // Reading a tree needs no privilege on the tree's behalf; what we cannot read we report.
        true
    }
}

/// Normal components of a path, with `..` kept (resolved against what precedes it).
fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let r = Root::new("/tmp/stationward-no-such-tree");
        assert_eq!(
            r.resolve("/etc/passwd", Last::Follow),
            Ok(PathBuf::from("/tmp/stationward-no-such-tree/etc/passwd"))
        );
        assert_eq!(
            r.resolve("/../../etc/shadow", Last::Follow),
            Ok(PathBuf::from("/tmp/stationward-no-such-tree/etc/shadow"))
        );
    }

    /// A tree whose /etc/passwd is a link; the live host's /etc/passwd must never be read.
    fn tree_with_link(
        make: impl FnOnce(&Path) -> std::io::Result<()>,
    ) -> std::io::Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("etc"))?;
        make(dir.path())?;
        Ok(dir)
    }

    fn assert_not_live(r: &Root, path: &str) {
        let got = r.read(path);
        let live = std::fs::read_to_string(path).unwrap_or_default();
        if let Ok(f) = &got {
            assert_ne!(f.text, live, "{path} read the live host's file");
        }
        let err = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err.contains("too many levels of symbolic links"),
            "{path}: {err}"
        );
    }

    #[test]
    fn a_self_loop_fails_with_eloop_not_the_live_file() -> std::io::Result<()> {
        let dir = tree_with_link(|d| std::os::unix::fs::symlink("passwd", d.join("etc/passwd")))?;
        let r = Root::new(dir.path());
        assert_not_live(&r, "/etc/passwd");
        assert!(r.read_dir("/etc/passwd").is_err());
        Ok(())
    }

    #[test]
    fn a_41_link_chain_ending_outside_fails_with_eloop() -> std::io::Result<()> {
        // l0 -> l1 -> ... -> l40 -> /etc/passwd: the 41st link is the one that would reach
        // outside, and a resolver that gives up there must not hand back "l40" for the kernel
        // to follow from the real /.
        let dir = tree_with_link(|d| {
            for i in 0..40 {
                std::os::unix::fs::symlink(format!("l{}", i + 1), d.join(format!("etc/l{i}")))?;
            }
            std::os::unix::fs::symlink("/etc/passwd", d.join("etc/l40"))?;
            std::os::unix::fs::symlink("l0", d.join("etc/passwd"))
        })?;
        let r = Root::new(dir.path());
        assert_not_live(&r, "/etc/passwd");
        // Metadata of the link itself is still visible (lstat does not follow).
        assert_eq!(
            r.metadata("/etc/passwd").map(|m| m.kind),
            Ok(crate::host::FileKind::Symlink)
        );
        Ok(())
    }

    #[test]
    fn forty_links_are_still_followed() -> std::io::Result<()> {
        let dir = tree_with_link(|d| {
            for i in 0..39 {
                std::os::unix::fs::symlink(format!("l{}", i + 1), d.join(format!("etc/l{i}")))?;
            }
            std::fs::write(d.join("etc/l39"), "root:x:0:0::/root:/bin/sh\n")?;
            std::os::unix::fs::symlink("l0", d.join("etc/passwd"))
        })?;
        let r = Root::new(dir.path());
        assert_eq!(
            r.read("/etc/passwd").map(|f| f.text),
            Ok("root:x:0:0::/root:/bin/sh\n".to_string())
        );
        Ok(())
    }

    #[test]
    fn capture_files_that_are_links_stay_inside_the_tree() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let cap = dir.path().join(CAPTURE_DIR);
        std::fs::create_dir_all(&cap)?;
        let key = Root::capture_key(&["cat", "/etc/hostname"]);
        // Absolute target: resolved inside the tree, where it does not exist.
        std::os::unix::fs::symlink("/etc/hostname", cap.join(format!("{key}.stdout")))?;
        let r = Root::new(dir.path());
        let run = r.run(&["cat", "/etc/hostname"], Duration::from_secs(1));
        assert!(matches!(run.status, RunStatus::NotRun(_)), "{run:?}");
        assert_eq!(run.stdout, "");
        // Inside the tree it is followed.
        std::fs::create_dir_all(dir.path().join("etc"))?;
        std::fs::write(dir.path().join("etc/hostname"), "image-host\n")?;
        let run = r.run(&["cat", "/etc/hostname"], Duration::from_secs(1));
        assert_eq!(run.status, RunStatus::Exited(0));
        assert_eq!(run.stdout, "image-host\n");
        // A loop is a failure with its reason, never the live file.
        let key2 = Root::capture_key(&["hostname"]);
        std::os::unix::fs::symlink(format!("{key2}.stdout"), cap.join(format!("{key2}.stdout")))?;
        let run = r.run(&["hostname"], Duration::from_secs(1));
        assert!(
            run.unusable_reason()
                .is_some_and(|w| w.contains("too many levels")),
            "{run:?}"
        );
        Ok(())
    }

    #[test]
    fn capture_fifo_and_bad_exit_are_failures_not_exit_0() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let cap = dir.path().join(CAPTURE_DIR);
        std::fs::create_dir_all(&cap)?;
        let key = Root::capture_key(&["nft", "list", "ruleset"]);
        let fifo = cap.join(format!("{key}.stdout"));
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()?
                .success()
        );
        let r = Root::new(dir.path());
        let t = std::time::Instant::now();
        let run = r.run(&["nft", "list", "ruleset"], Duration::from_secs(1));
        assert!(t.elapsed() < Duration::from_secs(1));
        assert!(
            run.unusable_reason().is_some_and(|w| w.contains("FIFO")),
            "{run:?}"
        );
        std::fs::remove_file(&fifo)?;
        std::fs::write(&fifo, "table inet filter {}\n")?;
        std::fs::write(cap.join(format!("{key}.exit")), "garbage")?;
        let run = r.run(&["nft", "list", "ruleset"], Duration::from_secs(1));
        assert!(matches!(run.status, RunStatus::Failed(_)), "{run:?}");
        Ok(())
    }

    #[test]
    fn fifo_and_devices_in_a_tree_are_refused_at_once() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("etc"))?;
        assert!(
            std::process::Command::new("mkfifo")
                .arg(dir.path().join("etc/shadow"))
                .status()?
                .success()
        );
        // An absolute link to /dev/zero resolves inside the tree (absent), a relative one
        // climbing out is clamped at the root: neither reaches the live device.
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("etc/group"))?;
        let r = Root::new(dir.path());
        let t = std::time::Instant::now();
        let shadow = r.read("/etc/shadow").map_err(|e| e.to_string());
        assert!(t.elapsed() < Duration::from_millis(500));
        assert!(
            shadow.as_ref().is_err_and(|e| e.contains("FIFO")),
            "{shadow:?}"
        );
        assert!(matches!(r.read("/etc/group"), Err(HostError::NotFound(_))));
        Ok(())
    }

    #[test]
    fn an_oversized_file_is_refused_with_its_reason() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("etc"))?;
        let f = std::fs::File::create(dir.path().join("etc/login.defs"))?;
        f.set_len(crate::host::MAX_READ_BYTES + 1)?;
        let f = std::fs::File::create(dir.path().join("etc/passwd"))?;
        f.set_len(crate::host::MAX_ACCOUNT_DB_BYTES + 1)?;
        let r = Root::new(dir.path());
        let err = r.read("/etc/login.defs").map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("/etc/login.defs: file larger than 16 MiB, not read past it".to_string())
        );
        let err = r.read("/etc/passwd").map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("/etc/passwd: file larger than 64 MiB, not read past it".to_string())
        );
        Ok(())
    }

    #[test]
    fn absolute_symlinks_resolve_within_the_tree() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("usr/lib"))?;
        std::fs::create_dir_all(dir.path().join("etc"))?;
        std::fs::write(dir.path().join("usr/lib/os-release"), "ID=debian\n")?;
        std::os::unix::fs::symlink("/usr/lib/os-release", dir.path().join("etc/os-release"))?;
        let r = Root::new(dir.path());
        assert_eq!(
            r.read("/etc/os-release").map(|f| f.text),
            Ok("ID=debian\n".to_string())
        );
        assert!(matches!(
            r.run(&["nft", "-j", "list", "ruleset"], Duration::from_secs(1))
                .status,
            RunStatus::NotRun(_)
        ));
        Ok(())
    }
}
