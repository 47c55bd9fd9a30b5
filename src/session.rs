//! One session of the tool, as every front end runs it: open the host (this one, an offline
//! tree, or a Windows snapshot), load the site policy and the checklist, inspect and judge,
//! sign a walkthrough, find the trust anchors for a record, build and export a summary.
//!
//! `main.rs` (the CLI) and `tui` call these; neither opens a host, picks a checklist, signs
//! or exports on its own, so a third front end (the fleet report) gets the same rules.

use crate::attest::keys::{self, KeyStore};
use crate::attest::{Anchors, ExpectKey, KeyError, LedgerError, LedgerHead, OperatorId, ledger};
use crate::catalogue::Area;
use crate::checklist::Checklist;
use crate::diagnostic::SourceError;
use crate::dirs::Dirs;
use crate::host::{Host, Live, Root};
use crate::inspect::identity::HostIdentity;
use crate::policy::Policy;
use crate::report::Summary;
use crate::report::record::RecordError;
use crate::scan::Scan;
use crate::walkthrough::store::{Store, StoreError};
use crate::walkthrough::{HostKey, SignRefused, Stage, Walkthrough};
use crate::windows::snapshot::{Snapshot, SnapshotError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{}: not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
    /// A policy or checklist file that does not load (names file, line and column).
    #[error("{0}")]
    Config(#[from] SourceError),
    #[error("no checklist loaded")]
    NoChecklist,
    #[error(
        "no walkthrough in progress for {host} and checklist {checklist} (start one with `stationward`)"
    )]
    NoDraft { host: String, checklist: String },
    #[error("no signed record in {} yet (sign one, or use --draft)", .0.display())]
    NoRecord(PathBuf),
    #[error(
        "no key for operator \"{operator}\" in {} (make one with `stationward key generate --operator {operator}`)",
        keys_dir.display()
    )]
    NoKey { operator: String, keys_dir: PathBuf },
    #[error("\"{0}\" is neither a record number nor a record file (NNNNNN.dsse.json)")]
    NotARecord(String),
    #[error(
        "{record} is not in this data directory's ledger ({}); countersign a record where it was signed",
        ours.display()
    )]
    OtherLedger { record: String, ours: PathBuf },
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Record(#[from] RecordError),
    #[error("{0}")]
    Export(String),
}

/// What a session inspects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This host, through `/`.
    Live,
    /// An offline tree (`--root DIR`): a mounted disk image or a copied tree.
    Root(PathBuf),
    /// A Windows snapshot directory (`--snapshot DIR`).
    Snapshot(PathBuf),
}

impl Target {
    /// From the `--root` / `--snapshot` flags (the parser makes them exclusive; a snapshot wins).
    pub fn from_flags(root: Option<PathBuf>, snapshot: Option<PathBuf>) -> Target {
        match (snapshot, root) {
            (Some(dir), _) => Target::Snapshot(dir),
            (None, Some(dir)) => Target::Root(dir),
            (None, None) => Target::Live,
        }
    }

    /// The directory as a walkthrough's host key records it; `None` for this host.
    pub fn name(&self) -> Option<String> {
        match self {
            Target::Live => None,
            Target::Root(dir) | Target::Snapshot(dir) => Some(dir.display().to_string()),
        }
    }

    /// Opens the target: a `--root` must be a directory; a snapshot is read and verified
    /// whole, so a bad one never starts anything and its error names the file.
    pub fn open(&self) -> Result<OpenHost, SessionError> {
        match self {
            Target::Live => Ok(OpenHost::Linux(Arc::new(Live::new()))),
            Target::Root(dir) if dir.is_dir() => Ok(OpenHost::Linux(Arc::new(Root::new(dir)))),
            Target::Root(dir) => Err(SessionError::NotADirectory(dir.clone())),
            Target::Snapshot(dir) => Ok(OpenHost::Snapshot(Box::new(Snapshot::load(dir)?))),
        }
    }
}

/// An opened target, ready to be inspected.
pub enum OpenHost {
    /// A Linux host, live or an offline tree.
    Linux(Arc<dyn Host + Send + Sync>),
    /// A Windows snapshot, already read and verified.
    Snapshot(Box<Snapshot>),
}

impl OpenHost {
    /// Who the host is: a few small reads, enough to find a walkthrough to resume before the
    /// full inspection has run.
    pub fn identity(&self) -> HostIdentity {
        match self {
            OpenHost::Linux(host) => crate::inspect::identity::collect(host.as_ref()),
            OpenHost::Snapshot(s) => {
                crate::windows::identity(&crate::windows::WindowsFacts::from(s.as_ref().clone()))
            }
        }
    }

    /// Inspects `areas` and judges them against `policy`.
    pub fn scan(&self, policy: &Policy, areas: &[Area]) -> Scan {
        self.scan_with_progress(policy, areas, &|_| {})
    }

    /// [`OpenHost::scan`], calling `progress` as each area is done (the TUI's gauge).
    pub fn scan_with_progress(
        &self,
        policy: &Policy,
        areas: &[Area],
        progress: &(dyn Fn(Area) + Sync),
    ) -> Scan {
        match self {
            OpenHost::Linux(host) => {
                let facts = crate::inspect::inspect_with_progress(host.as_ref(), areas, progress);
                crate::scan::judge(host.as_ref(), policy, facts)
            }
            OpenHost::Snapshot(s) => {
                let scan = crate::windows::judge(
                    s.as_ref().clone(),
                    policy,
                    areas,
                    crate::date::unix_now_secs(),
                );
                for a in areas {
                    progress(*a);
                }
                scan
            }
        }
    }
}

/// Opens `target` and inspects and judges `areas`: `stationward scan`.
pub fn scan(target: &Target, policy: &Policy, areas: &[Area]) -> Result<Scan, SessionError> {
    Ok(target.open()?.scan(policy, areas))
}

/// The site policy: `--policy FILE`, else the config directory's, else the built-in one.
pub fn load_policy(dirs: &Dirs, explicit: Option<&PathBuf>) -> Result<Policy, SessionError> {
    Ok(crate::config::load_policy(dirs, explicit)?)
}

/// The checklist a walkthrough follows. The one rule: the built-in catalogue, then the
/// config directory's, then each `--checklist FILE`, in that order; the last one loaded
/// wins (a site's own, if it gave one). Lists with the same id replace earlier ones.
pub fn load_checklist(dirs: &Dirs, extra: &[PathBuf]) -> Result<Checklist, SessionError> {
    crate::config::load_checklists(dirs, extra)?
        .pop()
        .ok_or(SessionError::NoChecklist)
}

/// Every checklist loaded, in the order of [`load_checklist`]'s rule (the last one wins).
pub fn load_checklists(dirs: &Dirs, extra: &[PathBuf]) -> Result<Vec<Checklist>, SessionError> {
    Ok(crate::config::load_checklists(dirs, extra)?)
}

/// Why a sign-off was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The verdict rule: a PASSED control lacks the justification its checks call for.
    #[error("{0}")]
    NotReady(#[from] SignRefused),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

/// A walkthrough signed into the ledger.
#[derive(Debug)]
pub struct Signed {
    pub head: LedgerHead,
    pub record: PathBuf,
    pub keyid: String,
    /// One sentence per repair of what an interrupted append left behind.
    pub repairs: Vec<String>,
    /// The `--expect-key` anchors that verify the ledger with this record (the paper form).
    pub paper_anchors: Vec<ExpectKey>,
    /// The signed walkthrough's copy in the store; signing stands even when this failed.
    pub saved: Result<PathBuf, StoreError>,
}

/// The operator must have a key here before anything is inspected.
pub fn require_key(data_dir: &Path, operator: &OperatorId) -> Result<(), SessionError> {
    let store = KeyStore::new(data_dir);
    if store.private_key_path(operator).exists() {
        Ok(())
    } else {
        Err(SessionError::NoKey {
            operator: operator.to_string(),
            keys_dir: store.keys_dir(),
        })
    }
}

/// Signs `walkthrough`: the verdict rule re-checked over every control, the operator's key
/// opened, the record appended to the ledger, the walkthrough marked signed and saved.
pub fn sign(
    data_dir: &Path,
    operator: &OperatorId,
    passphrase: &str,
    walkthrough: &mut Walkthrough,
    checklist: &Checklist,
    scan: &Scan,
    policy: &Policy,
) -> Result<Signed, SignError> {
    walkthrough.ready_to_sign(checklist, &scan.findings)?;
    let signer = KeyStore::new(data_dir).load_signer(operator, passphrase)?;
    let appended = crate::attest::signoff::sign_reporting(
        data_dir,
        &signer,
        walkthrough,
        checklist,
        scan,
        policy,
    )?;
    let head = appended.head;
    // Kept beside the others; a signed walkthrough is never resumed.
    walkthrough.stage = Stage::Signed { seq: head.seq };
    let saved = Store::new(data_dir).save(walkthrough);
    Ok(Signed {
        record: ledger::record_path(data_dir, head.seq),
        keyid: signer.keyid().to_string(),
        head,
        repairs: appended.repairs,
        paper_anchors: appended.paper_anchors,
        saved,
    })
}

/// A countersignature appended to the ledger.
#[derive(Debug)]
pub struct Countersigned {
    pub head: LedgerHead,
    pub keyid: String,
    /// One sentence per repair of what an interrupted append left behind.
    pub repairs: Vec<String>,
}

/// Countersigns record `request.seq` of this data directory's ledger with `operator`'s key
/// (the ledger refuses the record's own operator and a record that is not a sign-off).
pub fn countersign(
    data_dir: &Path,
    operator: &OperatorId,
    passphrase: &str,
    request: &crate::attest::ledger::Countersign,
) -> Result<Countersigned, SignError> {
    let signer = KeyStore::new(data_dir).load_signer(operator, passphrase)?;
    let appended =
        ledger::append_countersign(data_dir, &signer, request, crate::date::unix_now_secs())?;
    Ok(Countersigned {
        head: appended.head,
        keyid: signer.keyid().to_string(),
        repairs: appended.repairs,
    })
}

/// The trust anchors for reading a record: the auditor's own (`--allowed-signers`,
/// `--expect-key`) when any were given, else the data directory's `allowed_signers` (the
/// station's own, which the summary says). Never a file beside the record.
pub fn anchors_for_record(
    data_dir: &Path,
    allowed_signers: Option<&Path>,
    expect_keys: Vec<ExpectKey>,
) -> Result<Anchors, SourceError> {
    Anchors::explicit_or_station(
        allowed_signers,
        expect_keys,
        &keys::allowed_signers_path(data_dir),
    )
}

/// Which signed record a summary is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordChoice {
    /// The ledger's head (`--latest`, the default).
    Latest,
    /// A record file, in its ledger directory.
    File(PathBuf),
}

impl RecordChoice {
    /// The record's path; for `Latest`, the data directory's ledger head.
    pub fn resolve(&self, data_dir: &Path) -> Result<PathBuf, SessionError> {
        match self {
            RecordChoice::File(p) => Ok(p.clone()),
            RecordChoice::Latest => {
                let head = ledger::head(data_dir)?
                    .ok_or_else(|| SessionError::NoRecord(ledger::ledger_dir(data_dir)))?;
                // Countersignatures after the newest sign-off are shown with it.
                let seq = ledger::newest_not_countersign(data_dir)?.unwrap_or(head.seq);
                Ok(ledger::record_path(data_dir, seq))
            }
        }
    }
}

/// The site's rules for a summary, as every front end applies them: with
/// `require_countersign`, a sign-off without an approving countersignature is pending review.
pub fn apply_site_rules(summary: &mut Summary, policy: &Policy) {
    if policy.require_countersign
        && let Some(a) = summary.attestation.as_mut()
    {
        a.require_countersign();
    }
}

/// The sequence number of a record of this data directory's ledger, named by its number
/// (`17`) or its file (`ledger/000017.dsse.json`): what a countersignature refers to. A
/// record of another ledger is refused (a countersignature goes where the record was signed).
pub fn own_record_seq(data_dir: &Path, record: &str) -> Result<u64, SessionError> {
    if let Ok(n) = record.parse::<u64>()
        && n > 0
    {
        return Ok(n);
    }
    let shown = || crate::text::for_terminal(record).into_owned();
    let path = Path::new(record);
    let seq = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(ledger::record_seq)
        .ok_or_else(|| SessionError::NotARecord(shown()))?;
    let ours = ledger::ledger_dir(data_dir);
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let same = match (std::fs::canonicalize(parent), std::fs::canonicalize(&ours)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        Ok(seq)
    } else {
        Err(SessionError::OtherLedger {
            record: shown(),
            ours,
        })
    }
}

/// The summary of a signed record, after its ledger verifies under `anchors`.
pub fn record_summary(
    record: &Path,
    anchors: &Anchors,
    checklist: &Checklist,
) -> Result<Summary, RecordError> {
    crate::report::record::summary_of_ledger_record(record, anchors, Some(checklist))
}

/// The summary of the walkthrough in progress on `target` (unsigned, marked DRAFT): the host
/// is inspected again for its current findings.
pub fn draft_summary(
    data_dir: &Path,
    target: &Target,
    policy: &Policy,
    checklist: &Checklist,
) -> Result<Summary, SessionError> {
    let scan = scan(target, policy, &Area::ALL)?;
    let key = HostKey::of(&scan.host, target.name());
    let (_, walkthrough) = Store::new(data_dir)
        .find_in_progress(&key, &checklist.id)
        .ok_or_else(|| SessionError::NoDraft {
            host: if scan.host.hostname.is_empty() {
                "this host".to_string()
            } else {
                scan.host.hostname.clone()
            },
            checklist: checklist.id.clone(),
        })?;
    Ok(Summary::from_draft(
        &walkthrough,
        checklist,
        Some(&scan),
        policy,
        None,
        crate::date::Date::today_utc(),
    ))
}

/// Where `summary -o FILE` must never write: a signed record, a key, the evidence store or
/// the work in progress, of this data directory or of the ledger `record` came from.
pub fn protected_outputs(data_dir: &Path, record: Option<&Path>) -> Vec<PathBuf> {
    let mut protected = vec![
        ledger::ledger_dir(data_dir),
        data_dir.join("evidence"),
        KeyStore::new(data_dir).keys_dir(),
        keys::allowed_signers_path(data_dir),
        data_dir.join("walkthroughs"),
    ];
    let Some(record) = record else {
        return protected;
    };
    protected.push(record.to_path_buf());
    let ledger_of_record = std::fs::canonicalize(record).ok().and_then(|real| {
        let parent = real.parent()?;
        (parent.file_name() == Some(std::ffi::OsStr::new("ledger"))).then(|| parent.to_path_buf())
    });
    if let Some(ledger_dir) = ledger_of_record {
        if let Some(base) = ledger_dir.parent() {
            protected.push(base.join("evidence"));
            protected.push(base.join("keys"));
            protected.push(base.join("allowed_signers"));
        }
        protected.push(ledger_dir);
    }
    protected
}

/// What an exported summary is of, for its file name.
pub enum ExportOf {
    /// Signed record number `seq`.
    Record(u64),
    /// The walkthrough in progress, at `unix_secs`.
    Draft { unix_secs: i64 },
}

/// Writes `summary` as HTML and text into `<data dir>/summaries/`, named for the host and the
/// record (or the time, for a draft). Returns the files written.
pub fn export_summary(
    data_dir: &Path,
    summary: &Summary,
    hostname: &str,
    of: &ExportOf,
) -> Result<Vec<PathBuf>, SessionError> {
    use crate::report::Format;
    let dir = data_dir.join("summaries");
    crate::atomic::create_data_subdir(data_dir, &dir).map_err(|e| {
        SessionError::Export(format!(
            "{}: {}",
            dir.display(),
            crate::input::io_reason(&e)
        ))
    })?;
    let mut host: String = hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if host.is_empty() || host.starts_with('-') {
        host.insert_str(0, "station");
    }
    let stem = match of {
        ExportOf::Record(seq) => format!("{host}-record-{seq:06}"),
        ExportOf::Draft { unix_secs } => format!(
            "{host}-draft-{}",
            crate::date::rfc3339_utc(*unix_secs).replace(':', "")
        ),
    };
    let mut written = Vec::new();
    for (format, ext) in [(Format::Html, "html"), (Format::Text, "txt")] {
        let path = dir.join(format!("{stem}.{ext}"));
        crate::report::summary_command(summary, format, Some(&path))
            .map_err(|e| SessionError::Export(e.to_string()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_follows_the_flags_and_names_its_directory() {
        assert_eq!(Target::from_flags(None, None), Target::Live);
        assert_eq!(Target::Live.name(), None);
        let root = Target::from_flags(Some("/mnt/cs".into()), None);
        assert_eq!(root.name().as_deref(), Some("/mnt/cs"));
        let snap = Target::from_flags(None, Some("/snap".into()));
        assert_eq!(snap, Target::Snapshot("/snap".into()));
    }

    #[test]
    fn a_root_that_is_not_a_directory_is_refused_before_anything_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, "").unwrap();
        let err = Target::Root(file.clone()).open().err().unwrap();
        assert_eq!(
            err.to_string(),
            format!("{}: not a directory", file.display())
        );
    }

    #[test]
    fn the_last_checklist_loaded_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = Dirs {
            data: tmp.path().join("data"),
            config: tmp.path().join("config"),
        };
        let builtin = load_checklist(&dirs, &[]).unwrap();
        let site = tmp.path().join("site.toml");
        let text = crate::checklist::BUILTIN_SMDDS.replacen(
            &format!("id = \"{}\"", builtin.id),
            "id = \"site-own\"",
            1,
        );
        std::fs::write(&site, text).unwrap();
        assert_eq!(load_checklist(&dirs, &[site]).unwrap().id, "site-own");
    }

    #[test]
    fn an_empty_ledger_has_no_latest_record() {
        let tmp = tempfile::tempdir().unwrap();
        let err = RecordChoice::Latest.resolve(tmp.path()).unwrap_err();
        assert!(matches!(err, SessionError::NoRecord(_)), "{err}");
    }

    #[test]
    fn outputs_never_go_over_the_ledger_keys_or_work_in_progress() {
        let data = Path::new("/data");
        let p = protected_outputs(data, None);
        for dir in [
            "ledger",
            "evidence",
            "keys",
            "allowed_signers",
            "walkthroughs",
        ] {
            assert!(p.contains(&data.join(dir)), "{dir} not protected: {p:?}");
        }
    }
}
