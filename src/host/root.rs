//! An offline tree (`--root DIR`): a mounted disk image or a captured host.
//!
//! Nothing is executed. A captured host may hold command outputs under
//! `DIR/.stationward-capture/commands/<key>.stdout` (and `<key>.exit`, default 0), where `<key>`
//! is `Root::capture_key(argv)` (the argv joined by `_`, other bytes as `%XX`); without one a command is `NotRun`.

use super::live::{list_dir, meta_of, read_capped, record_read};
use super::{
    CommandRun, Evidence, EvidenceLog, FileMeta, FileText, Host, HostError, HostKind, ProcessInfo,
    RunStatus,
};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

pub const CAPTURE_DIR: &str = ".stationward-capture/commands";

#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
    log: EvidenceLog,
}

impl Root {
    pub fn new(dir: impl Into<PathBuf>) -> Root {
        Root {
            dir: dir.into(),
            log: EvidenceLog::default(),
        }
    }

    /// Maps a path on the inspected system into the tree, never escaping it via `..`.
    fn inside(&self, path: &str) -> PathBuf {
        let mut out = self.dir.clone();
        for c in Path::new(path).components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::ParentDir if out != self.dir => {
                    out.pop();
                }
                _ => {}
            }
        }
        out
    }

    /// Resolves symlinks in every component inside the tree (absolute targets are relative
    /// to the root), so neither `/etc -> /srv/etc` nor `/etc/foo -> /usr/lib/foo` leads out
    /// to the live system. Loops give up after 40 links, like the kernel.
    fn resolve(&self, path: &str) -> PathBuf {
        let mut pending: Vec<String> = components(path).into_iter().rev().collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            done.push(part);
            let here = self.dir.join(done.join("/"));
            let Ok(target) = std::fs::read_link(&here) else {
                continue;
            };
            links += 1;
            if links > 40 {
                break;
            }
            done.pop();
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                done.clear();
            }
            pending.extend(components(&target).into_iter().rev());
        }
        self.dir.join(done.join("/"))
    }

    /// The path with its directories resolved inside the tree but the last component left
    /// as it is, for operations that must not follow a final symlink (lstat, readlink).
    fn resolve_parent(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        match (p.parent(), p.file_name()) {
            (Some(parent), Some(name)) if parent != Path::new("/") && parent != Path::new("") => {
                self.resolve(&parent.to_string_lossy()).join(name)
            }
            _ => self.inside(path),
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

    fn read(&self, path: &str) -> Result<FileText, HostError> {
        let result = read_capped(&self.resolve(path), path);
        record_read(&self.log, path, &result);
        result
    }

    fn read_dir(&self, path: &str) -> Result<Vec<String>, HostError> {
        list_dir(&self.resolve(path), path)
    }

    fn metadata(&self, path: &str) -> Result<FileMeta, HostError> {
        meta_of(&self.resolve_parent(path), path)
    }

    fn read_link(&self, path: &str) -> Result<String, HostError> {
        std::fs::read_link(self.resolve_parent(path))
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| HostError::from_io(path, &e))
    }

    fn run(&self, argv: &[&str], _timeout: Duration) -> CommandRun {
        let key = Root::capture_key(argv);
        let base = self.dir.join(CAPTURE_DIR);
        let stdout_path = base.join(format!("{key}.stdout"));
        let owned: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
        let run = match std::fs::read(&stdout_path) {
            Ok(bytes) => {
                let exit = std::fs::read_to_string(base.join(format!("{key}.exit")))
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0);
                let status = if exit == 127 {
                    RunStatus::Missing
                } else {
                    RunStatus::Exited(exit)
                };
                CommandRun {
                    argv: owned,
                    status,
                    stdout: String::from_utf8_lossy(&bytes).into_owned(),
                    stderr: String::new(),
                }
            }
            Err(_) => CommandRun {
                argv: owned,
                status: RunStatus::NotRun("offline image: command not run".into()),
                stdout: String::new(),
                stderr: String::new(),
            },
        };
        self.log.push(run.evidence());
        run
    }

    fn evidence(&self) -> Vec<Evidence> {
        self.log.snapshot()
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
        let r = Root::new("/tmp/tree");
        assert_eq!(
            r.inside("/etc/passwd"),
            PathBuf::from("/tmp/tree/etc/passwd")
        );
        assert_eq!(
            r.inside("/../../etc/shadow"),
            PathBuf::from("/tmp/tree/etc/shadow")
        );
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
