//! Walkthrough files in `<data dir>/walkthroughs/`: atomic saves, resume, corrupt files kept aside.

use super::{FORMAT, HostKey, Stage, Walkthrough};
use crate::checklist::Checklist;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path}: cannot encode walkthrough: {reason}")]
    Encode { path: PathBuf, reason: String },
    /// Another stationward has this walkthrough open: two writers would overwrite each
    /// other's verdicts and notes.
    #[error("{path} is open in another stationward ({holder}); finish or quit that one first")]
    Locked { path: PathBuf, holder: String },
}

/// Held while a walkthrough is open for writing; released when dropped (or when the process
/// ends, however it ends: the lock is the kernel's `flock`, not a file's existence).
#[derive(Debug)]
pub struct WalkthroughLock {
    _file: std::fs::File,
    pub path: PathBuf,
}

fn io_err(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        reason: crate::input::io_reason(e),
    }
}

/// A walkthrough ready to use, and what happened while finding it.
#[derive(Debug)]
pub struct Opened {
    pub walkthrough: Walkthrough,
    pub path: PathBuf,
    pub resumed: bool,
    /// Things the technician should be told (resumed, corrupt file set aside).
    pub notices: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(data_dir: &Path) -> Store {
        Store {
            dir: data_dir.join("walkthroughs"),
        }
    }

    /// The walkthroughs directory, made if missing; a link in its place is refused.
    fn create_dir(&self) -> Result<(), StoreError> {
        let data_dir = self.dir.parent().unwrap_or(&self.dir);
        crate::atomic::create_data_subdir(data_dir, &self.dir).map_err(|e| io_err(&self.dir, &e))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<host>--<checklist>--` : walkthroughs of one host and checklist share this prefix.
    fn prefix(host: &HostKey, checklist_id: &str) -> String {
        let mut key = sanitize(&host.hostname);
        if key.is_empty() {
            key = "unnamed".into();
        }
        let machine: String = host.machine_id_hmac.chars().take(12).collect();
        if !machine.is_empty() {
            key.push('-');
            key.push_str(&machine);
        }
        if let Some(root) = &host.root {
            // Different offline trees of the same image are different walkthroughs.
            let h = crate::host::sha256_hex(root.as_bytes());
            key.push_str("-root");
            key.push_str(&h[..8]);
        }
        format!("{key}--{}--", sanitize(checklist_id))
    }

    pub fn path_for(&self, w: &Walkthrough) -> PathBuf {
        let stamp: String = w
            .started_at
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        self.dir.join(format!(
            "{}{stamp}.json",
            Self::prefix(&w.host, &w.checklist.id)
        ))
    }

    /// Locks the walkthrough at `path` for this process: `<path>.lock` beside it holds an
    /// exclusive `flock` and the holder's PID and start time, which a second process names
    /// when it is refused. (The walkthrough file itself is replaced by every save, so it
    /// cannot carry the lock.)
    pub fn lock(&self, path: &Path) -> Result<WalkthroughLock, StoreError> {
        self.create_dir()?;
        let lock_path = lock_path_of(path);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, &e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = crate::fsread::read_small(&lock_path, 4096, crate::fsread::Follow::No)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "a process that did not say who it is".to_string());
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                    holder: crate::text::for_terminal(&holder).into_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path, &e)),
        }
        let who = format!(
            "PID {} since {}",
            std::process::id(),
            crate::date::rfc3339_utc(crate::date::unix_now_secs())
        );
        let write = |f: &mut std::fs::File| -> std::io::Result<()> {
            f.set_len(0)?;
            f.write_all(who.as_bytes())?;
            f.flush()
        };
        write(&mut file).map_err(|e| io_err(&lock_path, &e))?;
        Ok(WalkthroughLock {
            _file: file,
            path: lock_path,
        })
    }

    /// Writes atomically: temp file, fsync, rename, fsync of the directory.
    pub fn save(&self, w: &Walkthrough) -> Result<PathBuf, StoreError> {
        self.create_dir()?;
        let path = self.path_for(w);
        let mut bytes = serde_json::to_vec_pretty(w).map_err(|e| StoreError::Encode {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        // Unique per write: the TUI's autosave and its signing worker may save at once.
        let tmp = path.with_extension(format!(
            "json.tmp-{}-{}",
            std::process::id(),
            crate::atomic::next()
        ));
        crate::atomic::write(&path, &tmp, &bytes, crate::atomic::Place::Replace, None)
            .map_err(|e| io_err(&path, &e.source))?;
        Ok(path)
    }

    /// The last resort when `save` keeps failing: the walkthrough goes to a new file,
    /// `unsaved-<time>.json`, in the walkthroughs directory or else in the data directory
    /// itself. Never over an existing file (`create_new`), and never outside the data
    /// directory: the tool writes nowhere else. The name does not look like a walkthrough of
    /// any host, so it is never resumed by accident; the technician is told where it is.
    pub fn rescue(&self, w: &Walkthrough) -> Result<PathBuf, StoreError> {
        let stamp: String = crate::date::rfc3339_utc(crate::date::unix_now_secs())
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        self.rescue_as(w, &stamp)
    }

    fn rescue_as(&self, w: &Walkthrough, stamp: &str) -> Result<PathBuf, StoreError> {
        let mut bytes = serde_json::to_vec_pretty(w).map_err(|e| StoreError::Encode {
            path: self.dir.clone(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        let mut failure = None;
        for dir in [Some(self.dir.as_path()), self.dir.parent()]
            .into_iter()
            .flatten()
        {
            // Two rescues in the same second get -2, -3, …; a directory full of them stops.
            for n in 1..=100 {
                let name = if n == 1 {
                    format!("unsaved-{stamp}.json")
                } else {
                    format!("unsaved-{stamp}-{n}.json")
                };
                let path = dir.join(name);
                match write_new(&path, &bytes) {
                    Ok(()) => return Ok(path),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        failure = Some(io_err(&path, &e));
                    }
                    Err(e) => {
                        failure = Some(io_err(&path, &e));
                        break;
                    }
                }
            }
        }
        Err(failure.unwrap_or_else(|| StoreError::Io {
            path: self.dir.clone(),
            reason: "no directory to write to".into(),
        }))
    }

    pub fn load(path: &Path) -> Result<Walkthrough, String> {
        let text = crate::input::read_text_file(path).map_err(|e| e.to_string())?;
        let w: Walkthrough = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: {}",
                path.display(),
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            )
        })?;
        if w.format != FORMAT {
            return Err(format!(
                "{}: walkthrough format {} is not the supported {FORMAT}",
                path.display(),
                w.format
            ));
        }
        Ok(w)
    }

    /// Walkthrough files whose name starts with `prefix`, oldest first (names end in the
    /// start time); a missing directory has none.
    fn candidates(&self, prefix: &str) -> Result<Vec<PathBuf>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir, &e)),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// The newest unfinished walkthrough of this host and checklist, without changing
    /// anything on disk (for `summary --draft`).
    pub fn find_in_progress(
        &self,
        host: &HostKey,
        checklist_id: &str,
    ) -> Option<(PathBuf, Walkthrough)> {
        self.candidates(&Self::prefix(host, checklist_id))
            .ok()?
            .into_iter()
            .rev()
            .filter_map(|p| Self::load(&p).ok().map(|w| (p, w)))
            .find(|(_, w)| w.stage == Stage::InProgress)
    }

    /// Resumes the newest unfinished walkthrough of this host and checklist, or starts one.
    /// With `fresh`, always starts a new one (older files are kept). A file that cannot be read
    /// is renamed aside (`.corrupt-<time>`) and reported, never overwritten.
    pub fn open(
        &self,
        checklist: &Checklist,
        host: HostKey,
        fresh: bool,
    ) -> Result<Opened, StoreError> {
        let mut notices = Vec::new();
        if !fresh {
            let mut candidates = self.candidates(&Self::prefix(&host, &checklist.id))?;
            while let Some(path) = candidates.pop() {
                match Self::load(&path) {
                    Ok(w) if w.stage == Stage::InProgress => {
                        let mut notice = format!(
                            "Resumed the walkthrough started {} ({} of {} controls assessed).",
                            w.started_at,
                            w.assessed(),
                            w.controls.len()
                        );
                        if w.checklist.digest != checklist.digest {
                            notice.push_str(" The checklist text has changed since; verdicts were kept by control id.");
                        }
                        let walkthrough = reconcile(w, checklist);
                        notices.push(notice);
                        return Ok(Opened {
                            walkthrough,
                            path,
                            resumed: true,
                            notices,
                        });
                    }
                    Ok(_) => break, // the newest is signed: start afresh
                    Err(reason) => {
                        let aside = path.with_extension(format!(
                            "json.corrupt-{}",
                            crate::date::unix_now_secs()
                        ));
                        std::fs::rename(&path, &aside).map_err(|e| io_err(&path, &e))?;
                        notices.push(format!(
                            "Could not read {reason}; kept it aside as {}.",
                            aside.display()
                        ));
                    }
                }
            }
        }
        let mut walkthrough = Walkthrough::new(checklist, host);
        // Two starts within one second must not share a file name.
        while self.path_for(&walkthrough).exists() {
            std::thread::sleep(std::time::Duration::from_millis(1100));
            walkthrough = Walkthrough::new(checklist, walkthrough.host.clone());
        }
        let path = self.save(&walkthrough)?;
        Ok(Opened {
            walkthrough,
            path,
            resumed: false,
            notices,
        })
    }
}

/// Keeps verdicts by control id when the checklist changed; adds new controls, drops none
/// (a control that left the checklist keeps its record so nothing recorded is lost).
fn reconcile(mut w: Walkthrough, checklist: &Checklist) -> Walkthrough {
    let mut ordered = Vec::with_capacity(checklist.controls.len());
    for c in &checklist.controls {
        match w.controls.iter().position(|r| r.id == c.id) {
            Some(i) => ordered.push(w.controls.remove(i)),
            None => ordered.push(super::ControlRecord {
                id: c.id.clone(),
                verdict: super::Verdict::NotAssessed,
                note: String::new(),
                method: c.method,
                findings: Vec::new(),
                updated_at: None,
                attachments: Vec::new(),
            }),
        }
    }
    ordered.append(&mut w.controls);
    w.controls = ordered;
    w.checklist.version = checklist.version.clone();
    w.checklist.digest = checklist.digest.clone();
    w
}

/// Creates `path` (refusing one that exists), writes `bytes` and syncs; a partly written
/// file is removed.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .inspect_err(|_| {
            let _ = std::fs::remove_file(path);
        })
}

/// The walkthrough as JSON in ASCII only (everything else as `\uXXXX`), for printing where
/// it could not be saved: the text stays valid JSON to load back, and nothing typed into a
/// note can reach the terminal as a control sequence.
pub fn ascii_json(w: &Walkthrough) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string_pretty(w)?;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        // serde_json already escapes C0 controls; DEL and every non-ASCII character (C1
        // controls, bidi overrides) only occur inside strings, where `\u` is valid.
        if c.is_ascii() && c != '\x7f' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    Ok(out)
}

fn lock_path_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walkthrough::Verdict;

    fn host() -> HostKey {
        HostKey {
            hostname: "icu cs/01".into(),
            machine_id_hmac: "0123456789abcdef".into(),
            root: None,
        }
    }

    #[test]
    fn save_then_resume_keeps_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let opened = store.open(&list, host(), false).unwrap();
        assert!(!opened.resumed);
        let name = opened
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with("icu_cs_01-0123456789ab--smdds-ics--"),
            "{name}"
        );
        let mut w = opened.walkthrough;
        w.set_verdict(&list, "ICS-02", Verdict::Failed, &[])
            .unwrap();
        w.set_note("ICS-02", "port 5900 open\nvendor ticket 12")
            .unwrap();
        store.save(&w).unwrap();

        let again = store.open(&list, host(), false).unwrap();
        assert!(again.resumed);
        assert_eq!(again.path, opened.path);
        assert_eq!(again.walkthrough, w);
        assert!(again.notices[0].starts_with("Resumed the walkthrough started"));
    }

    #[test]
    fn a_second_writer_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let opened = store.open(&list, host(), false).unwrap();
        let held = store.lock(&opened.path).unwrap();
        // flock locks belong to the open file, so a second open in this process is refused
        // just like another process would be.
        let err = store.lock(&opened.path).unwrap_err().to_string();
        assert!(
            err.contains("is open in another stationward")
                && err.contains(&format!("PID {}", std::process::id())),
            "{err}"
        );
        drop(held);
        let again = store.lock(&opened.path).unwrap();
        // The lock file is not a walkthrough: resuming still finds the same one.
        let next = store.open(&list, host(), false).unwrap();
        assert_eq!(next.path, opened.path);
        drop(again);
    }

    #[test]
    fn fresh_start_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let first = store.open(&list, host(), false).unwrap();
        let second = store.open(&list, host(), true).unwrap();
        assert_ne!(first.path, second.path);
        assert!(first.path.exists() && second.path.exists());
        // The newest is resumed from now on.
        let third = store.open(&list, host(), false).unwrap();
        assert_eq!(third.path, second.path);
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let first = store.open(&list, host(), false).unwrap();
        std::fs::write(&first.path, "{\"format\": 1, \"host\": ").unwrap();
        let next = store.open(&list, host(), false).unwrap();
        assert!(!next.resumed);
        assert!(
            next.notices[0].contains("kept it aside"),
            "{:?}",
            next.notices
        );
        let names: Vec<String> = std::fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.contains(".json.corrupt-")),
            "{names:?}"
        );
        assert!(!first.path.exists() || first.path == next.path);
    }

    #[test]
    fn a_rescue_stays_in_the_data_directory_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let mut w = store.open(&list, host(), false).unwrap().walkthrough;
        w.set_note("ICS-02", "vendor ticket 12").unwrap();
        // Someone else's file (or an earlier rescue) with the same name is kept.
        let taken = store.dir().join("unsaved-20261201T050000Z.json");
        std::fs::write(&taken, "earlier").unwrap();
        let first = store.rescue_as(&w, "20261201T050000Z").unwrap();
        assert_eq!(first, store.dir().join("unsaved-20261201T050000Z-2.json"));
        assert_eq!(std::fs::read_to_string(&taken).unwrap(), "earlier");
        assert_eq!(Store::load(&first).unwrap(), w);
        // Not a walkthrough of any host: the next start does not resume it.
        let next = store.open(&list, host(), false).unwrap();
        assert_ne!(next.path, first);
        // The walkthroughs directory refuses (here: a file in its place): the data directory
        // itself takes it.
        let data = dir.path().join("other");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("walkthroughs"), "").unwrap();
        let blocked = Store::new(&data);
        let second = blocked.rescue_as(&w, "20261201T050000Z").unwrap();
        assert_eq!(second, data.join("unsaved-20261201T050000Z.json"));
        // Neither can take it: an error naming the path, and nothing written anywhere.
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = Store::new(&file).rescue(&w).unwrap_err().to_string();
        assert!(err.contains(&file.display().to_string()), "{err}");
    }

    #[test]
    fn ascii_json_loads_back_and_carries_no_control_characters() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let mut w = store.open(&list, host(), false).unwrap().walkthrough;
        w.set_note(
            "ICS-02",
            "\u{1b}]0;pwned\u{7}\u{9b}2J \u{202e}txt.exe \u{7f} 🩺 Überwachung",
        )
        .unwrap();
        let json = ascii_json(&w).unwrap();
        assert!(json.is_ascii() && !json.contains('\x7f') && !json.contains('\x1b'));
        let back: Walkthrough = serde_json::from_str(&json).unwrap();
        assert_eq!(back, w);
    }

    #[test]
    fn signed_walkthroughs_are_not_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let list = Checklist::builtin().unwrap();
        let mut w = store.open(&list, host(), false).unwrap().walkthrough;
        w.stage = Stage::Signed { seq: 3 };
        store.save(&w).unwrap();
        let next = store.open(&list, host(), false).unwrap();
        assert!(!next.resumed);
    }
}
