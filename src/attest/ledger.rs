//! The ledger: `<data dir>/ledger/NNNNNN.dsse.json` records (one line of JSON + newline), each
//! with an SSHSIG beside it, hash-chained through `predicate.ledger.prev.sha256`, listed in a
//! signed `SHA256SUMS`; evidence content-addressed in `<data dir>/evidence/sha256/<hex>`.
//!
//! Appending holds an exclusive `flock` on `ledger/.lock`, creates each file under a temporary
//! name (`O_EXCL`), syncs it, and publishes it with a hard link that fails rather than overwrite;
//! the manifest is replaced by rename. Every record is read back and verified once written.

use super::allowed_signers::AllowedSigners;
use super::keys::{KeyError, Signer, allowed_signers_path};
use super::statement::{
    Body, Counts, DigestSet, GENESIS_PREV, LedgerLink, NewKey, OperatorRef, Predicate, PrevRecord,
    ROTATION_PREDICATE_TYPE, ResourceDescriptor, RotationPredicate, RotationStatement, Statement,
};
use super::trust::{self, Anchors, SignersOrigin};
use super::verify::{self, VerifyOptions};
use super::{dsse, is_sha256_hex, sha256_hex, sshsig};
use crate::diagnostic::SourceError;
use crate::fsread::{self, Follow};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The manifest file, coreutils `sha256sum` format.
pub const MANIFEST: &str = "SHA256SUMS";
/// The SSHSIG over the manifest.
pub const MANIFEST_SIG: &str = "SHA256SUMS.sig";
/// The lock file appenders hold.
pub const LOCK: &str = ".lock";
/// Subject name of the host-identity document.
pub const HOST_IDENTITY_NAME: &str = "host-identity.json";
/// Suffix of a record file.
pub const RECORD_SUFFIX: &str = ".dsse.json";
/// Suffix of a record's SSH signature, after the record name.
pub const SIG_SUFFIX: &str = ".sig";

/// The newest record: its sequence number and the SHA-256 of its file bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerHead {
    pub seq: u64,
    pub sha256: String,
}

impl fmt::Display for LedgerHead {
    /// `SEQ:SHA256`, the form `verify --expect-head` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.sha256)
    }
}

impl FromStr for LedgerHead {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("\"{s}\" is not SEQ:SHA256 (a record number, ':', 64 hex digits)");
        let (seq, sha) = s.split_once(':').ok_or_else(bad)?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        let sha = sha.to_ascii_lowercase();
        if seq == 0 || !is_sha256_hex(&sha) {
            return Err(bad());
        }
        Ok(LedgerHead { seq, sha256: sha })
    }
}

/// An evidence file to attach to a record: a subject name and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why appending failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{}: cannot read: {reason}", path.display())]
    Unreadable {
        path: PathBuf,
        reason: fsread::ReadError,
    },
    #[error("{}: record {missing:06} is missing; run `stationward verify` before appending", path.display())]
    Gap { path: PathBuf, missing: u64 },
    #[error("{}: already exists (a record is never overwritten)", path.display())]
    Exists { path: PathBuf },
    #[error("{}: {reason}; records signed now would not verify", path.display())]
    NotTrusted { path: PathBuf, reason: String },
    #[error("{0}")]
    AllowedSigners(#[from] SourceError),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{}: {reason}", path.display())]
    Evidence { path: PathBuf, reason: String },
    #[error("invalid evidence name \"{name}\": {reason}")]
    EvidenceName { name: String, reason: &'static str },
    #[error("cannot encode the statement: {reason}")]
    Encode { reason: String },
    #[error("{}: written but does not verify: {reason}", path.display())]
    ReadBack { path: PathBuf, reason: String },
    #[error(
        "{}: the ledger does not verify ({first}); nothing was appended. Inspect it with `stationward verify` and `ls -la {}`; records are never added onto a broken ledger",
        path.display(),
        path.display()
    )]
    DoesNotVerify { path: PathBuf, first: String },
    #[error("cannot countersign {record}: {reason}")]
    Countersign { record: String, reason: String },
    #[error(
        "operator \"{operator}\" signs with {pinned} in this ledger, not with {keyid}; introduce a new key with `stationward key rotate --operator {operator}` (signed by the old key)"
    )]
    KeyChanged {
        operator: String,
        pinned: String,
        keyid: String,
    },
}

/// Reads a file of the ledger safely (regular, not through a symlink, capped, non-blocking).
fn read_ledger_file(path: &Path, cap: u64) -> Result<Vec<u8>, LedgerError> {
    fsread::read_small(path, cap, Follow::No).map_err(|e| LedgerError::Unreadable {
        path: path.to_path_buf(),
        reason: e,
    })
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `<data dir>/ledger`.
pub fn ledger_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger")
}

/// `<data dir>/evidence/sha256`.
pub fn evidence_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("evidence").join("sha256")
}

/// `000017.dsse.json`.
pub fn record_file_name(seq: u64) -> String {
    format!("{seq:06}{RECORD_SUFFIX}")
}

/// The path of record `seq`.
pub fn record_path(data_dir: &Path, seq: u64) -> PathBuf {
    ledger_dir(data_dir).join(record_file_name(seq))
}

/// The sequence number of a canonical record file name.
pub fn record_seq(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(RECORD_SUFFIX)?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq: u64 = digits.parse().ok()?;
    (seq > 0 && record_file_name(seq) == name).then_some(seq)
}

/// What a ledger directory holds, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerListing {
    /// Record sequence numbers, ascending.
    pub records: Vec<u64>,
    /// Sequence numbers with a `.sig` file.
    pub signatures: BTreeSet<u64>,
    pub manifest: bool,
    pub manifest_sig: bool,
    /// Names that are none of the above (dot files excluded).
    pub unexpected: Vec<String>,
}

/// Lists a ledger directory.
pub fn scan(dir: &Path) -> io::Result<LedgerListing> {
    let mut listing = LedgerListing::default();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if let Some(seq) = record_seq(&name) {
            listing.records.push(seq);
        } else if let Some(seq) = name.strip_suffix(SIG_SUFFIX).and_then(record_seq) {
            listing.signatures.insert(seq);
        } else if name == MANIFEST {
            listing.manifest = true;
        } else if name == MANIFEST_SIG {
            listing.manifest_sig = true;
        } else {
            listing.unexpected.push(name);
        }
    }
    listing.records.sort_unstable();
    listing.unexpected.sort();
    Ok(listing)
}

/// The newest record of the ledger in `data_dir`, or `None` for an empty ledger. Reads the
/// newest file only; it does not verify anything.
pub fn head(data_dir: &Path) -> Result<Option<LedgerHead>, LedgerError> {
    let dir = ledger_dir(data_dir);
    if !dir.exists() {
        return Ok(None);
    }
    let listing = scan(&dir).map_err(io_error(&dir))?;
    let Some(&seq) = listing.records.last() else {
        return Ok(None);
    };
    let path = dir.join(record_file_name(seq));
    let bytes = read_ledger_file(&path, verify::MAX_RECORD_BYTES)?;
    Ok(Some(LedgerHead {
        seq,
        sha256: sha256_hex(&bytes),
    }))
}

/// The newest record of the ledger in `data_dir` that is not a countersignature (the record
/// `summary --latest` prints, with its countersignatures), or `None` when there is none. Reads without verifying:
/// the caller verifies the ledger before trusting the record. A record that cannot be read or
/// parsed is returned as it is, so that the caller reports it rather than skipping it.
pub fn newest_not_countersign(data_dir: &Path) -> Result<Option<u64>, LedgerError> {
    let dir = ledger_dir(data_dir);
    if !dir.exists() {
        return Ok(None);
    }
    let listing = scan(&dir).map_err(io_error(&dir))?;
    for &seq in listing.records.iter().rev() {
        let body = read_ledger_file(&dir.join(record_file_name(seq)), verify::MAX_RECORD_BYTES)
            .ok()
            .and_then(|b| dsse::open(&b).ok())
            .and_then(|o| Body::from_bytes(&o.payload).ok());
        match body {
            Some(Body::Countersign(_)) => {}
            Some(Body::SignOff(_) | Body::Rotation(_)) | None => return Ok(Some(seq)),
        }
    }
    Ok(None)
}

/// Distinguishes temporary evidence files of concurrent writers in one process.
static EVIDENCE_TMP_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Stores `bytes` at `evidence/sha256/<hex>` unless already there, and returns the hex digest.
/// An existing file whose content does not match its name is an error, never overwritten.
pub fn store_evidence(data_dir: &Path, bytes: &[u8]) -> Result<String, LedgerError> {
    let dir = evidence_dir(data_dir);
    crate::atomic::create_data_subdir(data_dir, &dir).map_err(io_error(&dir))?;
    let hex = sha256_hex(bytes);
    let path = dir.join(&hex);
    match fsread::read_small(&path, verify::MAX_EVIDENCE_BYTES, Follow::No) {
        Ok(existing) if sha256_hex(&existing) == hex => return Ok(hex),
        Ok(_) => {
            return Err(LedgerError::Evidence {
                path,
                reason: "content does not match its SHA-256 name (evidence store altered)".into(),
            });
        }
        Err(fsread::ReadError::NotFound) => {}
        Err(e) => {
            return Err(LedgerError::Evidence {
                path,
                reason: format!("cannot read: {e}"),
            });
        }
    }
    let n = EVIDENCE_TMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".tmp-{hex}-{}-{n}", std::process::id()));
    match publish(&tmp, &path, bytes, Publish::NoReplace) {
        // Exists: another writer stored the same content meanwhile.
        Ok(()) | Err(LedgerError::Exists { .. }) => Ok(hex),
        Err(e) => Err(e),
    }
}

/// Appends one signed record to the ledger of `data_dir` and returns the new head.
///
/// The predicate is taken as the caller built it, except: `operator` is set from the signer,
/// `counts` is computed from `controls`, and `ledger` and `signedAt` are set here. The subject
/// lists the host-identity document first (the evidence file named
/// [`HOST_IDENTITY_NAME`], or `predicate.host` as JSON when none is given), then every evidence
/// file; all of them are stored in the evidence store.
pub fn append_record(
    data_dir: &Path,
    signer: &Signer,
    predicate: Predicate,
    evidence: &[EvidenceFile],
) -> Result<LedgerHead, LedgerError> {
    append_record_at(
        data_dir,
        signer,
        predicate,
        evidence,
        crate::date::unix_now_secs(),
    )
}

/// [`append_record`] with `signedAt` = `signed_at` (Unix seconds) instead of the clock: for
/// tests with pinned clocks, and for a station whose clock the caller has already read.
pub fn append_record_at(
    data_dir: &Path,
    signer: &Signer,
    predicate: Predicate,
    evidence: &[EvidenceFile],
    signed_at: i64,
) -> Result<LedgerHead, LedgerError> {
    append_record_reporting(data_dir, signer, predicate, evidence, signed_at).map(|a| a.head)
}

/// A record appended, and what was repaired first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub head: LedgerHead,
    /// One sentence per repair of what an interrupted append left behind.
    pub repairs: Vec<String>,
    /// The `--expect-key` anchors that verify the ledger with this record, for the paper form
    /// ([`verify::VerifyReport::paper_anchors`]).
    pub paper_anchors: Vec<super::trust::ExpectKey>,
}

/// [`append_record_at`], also saying what was repaired before appending.
pub fn append_record_reporting(
    data_dir: &Path,
    signer: &Signer,
    mut predicate: Predicate,
    evidence: &[EvidenceFile],
    signed_at: i64,
) -> Result<Appended, LedgerError> {
    for e in evidence {
        check_evidence_name(&e.name)?;
    }
    let anchors = station_anchors(data_dir, signer, signed_at)?;
    let dir = ledger_dir(data_dir);
    crate::atomic::create_data_subdir(data_dir, &dir).map_err(io_error(&dir))?;
    if !dir.is_dir() {
        return Err(LedgerError::NotADirectory { path: dir });
    }

    // Subjects: host identity first, then every evidence file, each stored by digest.
    let mut subject = Vec::with_capacity(evidence.len() + 1);
    let host_doc = if let Some(e) = evidence.iter().find(|e| e.name == HOST_IDENTITY_NAME) {
        e.bytes.clone()
    } else {
        let mut doc = serde_json::to_vec(&predicate.host).map_err(|e| LedgerError::Encode {
            reason: e.to_string(),
        })?;
        doc.push(b'\n');
        doc
    };
    subject.push(ResourceDescriptor {
        name: HOST_IDENTITY_NAME.to_string(),
        digest: DigestSet {
            sha256: store_evidence(data_dir, &host_doc)?,
        },
    });
    for e in evidence.iter().filter(|e| e.name != HOST_IDENTITY_NAME) {
        subject.push(ResourceDescriptor {
            name: e.name.clone(),
            digest: DigestSet {
                sha256: store_evidence(data_dir, &e.bytes)?,
            },
        });
    }

    predicate.operator = OperatorRef {
        id: signer.operator().to_string(),
        keyid: signer.keyid().to_string(),
    };
    predicate.counts = Counts::of(&predicate.controls);
    append_payload(data_dir, signer, &anchors, signed_at, &mut |link, at, _| {
        let mut p = predicate.clone();
        p.ledger = link;
        p.signed_at = at;
        Statement::new(subject.clone(), p)
            .to_bytes()
            .map_err(|e| LedgerError::Encode {
                reason: e.to_string(),
            })
    })
}

/// Appends a key-rotation record: `signer` (the operator's current key) introduces
/// `new_key` for the same operator. The new key's `.pub` line is stored as evidence.
pub fn append_rotation(
    data_dir: &Path,
    signer: &Signer,
    new_key: &ssh_key::PublicKey,
    signed_at: i64,
) -> Result<Appended, LedgerError> {
    let anchors = station_anchors(data_dir, signer, signed_at)?;
    let dir = ledger_dir(data_dir);
    crate::atomic::create_data_subdir(data_dir, &dir).map_err(io_error(&dir))?;
    let mut plain = new_key.clone();
    plain.set_comment("");
    let line = plain.to_openssh().map_err(|e| LedgerError::Encode {
        reason: e.to_string(),
    })?;
    let doc = format!("{} {line}\n", signer.operator());
    let subject = vec![ResourceDescriptor {
        name: format!("{}.pub", signer.operator()),
        digest: DigestSet {
            sha256: store_evidence(data_dir, doc.as_bytes())?,
        },
    }];
    let new = NewKey {
        keyid: super::keys::keyid(new_key.key_data()),
        public_key: line,
    };
    append_payload(data_dir, signer, &anchors, signed_at, &mut |link, at, _| {
        let statement = RotationStatement {
            type_: super::statement::STATEMENT_TYPE.to_string(),
            subject: subject.clone(),
            predicate_type: ROTATION_PREDICATE_TYPE.to_string(),
            predicate: RotationPredicate {
                operator: OperatorRef {
                    id: signer.operator().to_string(),
                    keyid: signer.keyid().to_string(),
                },
                new_key: new.clone(),
                tool: super::statement::ToolRef::default(),
                signed_at: at,
                ledger: link,
            },
        };
        serde_json::to_vec(&statement).map_err(|e| LedgerError::Encode {
            reason: e.to_string(),
        })
    })
}

/// What a countersignature says about a sign-off record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countersign {
    /// The countersigned record's sequence number.
    pub seq: u64,
    pub verdict: super::statement::CountersignVerdict,
    /// Free text; required (the reason) for `REJECTED`.
    pub note: String,
}

/// Why a countersignature was refused before anything was written.
fn countersign_refused(seq: u64, reason: impl Into<String>) -> LedgerError {
    LedgerError::Countersign {
        record: record_file_name(seq),
        reason: reason.into(),
    }
}

/// The same key under another name is the same person (a copied key file and an added
/// allowed_signers line): a countersignature with a key the record's operator holds in the
/// chain is refused like one under the operator's own name.
fn own_key(
    report: &verify::VerifyReport,
    seq: u64,
    record: &super::statement::Statement,
    signer: &Signer,
) -> Option<LedgerError> {
    let operator = &record.predicate.operator.id;
    let held = report.operator_keys.get(operator.as_str());
    let own = record.predicate.operator.keyid == signer.keyid()
        || held.is_some_and(|k| k.iter().any(|k| k == signer.keyid()));
    own.then(|| {
        countersign_refused(
            seq,
            format!(
                "the key {} is a key of \"{operator}\", who signed it; a countersignature must come from another person with their own key",
                signer.keyid()
            ),
        )
    })
}

/// Appends a countersignature: `signer` (the reviewer) approves or rejects sign-off record
/// `request.seq` of this ledger. Refused, with nothing written: a record that is missing, that
/// is not a sign-off, a countersigner who is the record's own operator, a rejection without a
/// reason, and (as for every append) a ledger that does not verify. The record is checked
/// under the ledger lock, after the whole ledger verified, so it is the record that verified.
/// A copy of the countersigned record is stored as evidence (the statement's subject), so the
/// countersignature can be checked on its own by `sha256sum`.
pub fn append_countersign(
    data_dir: &Path,
    signer: &Signer,
    request: &Countersign,
    signed_at: i64,
) -> Result<Appended, LedgerError> {
    use super::statement::{
        COUNTERSIGN_PREDICATE_TYPE, CountersignPredicate, CountersignStatement, CountersignVerdict,
        CountersignedRecord,
    };
    // The walkthrough's rule: a reason with no visible character (zero-width, BOM) is none.
    if request.verdict == CountersignVerdict::Rejected
        && crate::walkthrough::note_is_empty(&request.note)
    {
        return Err(countersign_refused(
            request.seq,
            "a rejection needs a reason (--reject REASON)",
        ));
    }
    if request.note.chars().any(char::is_control) {
        return Err(countersign_refused(
            request.seq,
            "the note contains control characters",
        ));
    }
    let anchors = station_anchors(data_dir, signer, signed_at)?;
    let dir = ledger_dir(data_dir);
    if !dir.is_dir() {
        return Err(countersign_refused(
            request.seq,
            format!("there is no ledger in {}", data_dir.display()),
        ));
    }
    let path = dir.join(record_file_name(request.seq));
    append_payload(data_dir, signer, &anchors, signed_at, &mut |link, at, v| {
        if request.seq == 0 || request.seq >= link.seq {
            return Err(countersign_refused(
                request.seq,
                format!(
                    "no such record in {} (the newest is {})",
                    dir.display(),
                    link.seq.saturating_sub(1)
                ),
            ));
        }
        // The ledger verified under this lock just before: this read is that record.
        let bytes = read_ledger_file(&path, verify::MAX_RECORD_BYTES)?;
        let opened =
            dsse::open(&bytes).map_err(|e| countersign_refused(request.seq, e.to_string()))?;
        let body = Body::from_bytes(&opened.payload)
            .map_err(|e| countersign_refused(request.seq, e.to_string()))?;
        let Body::SignOff(statement) = &body else {
            return Err(countersign_refused(
                request.seq,
                "not a sign-off record (only sign-offs are countersigned)",
            ));
        };
        let operator = &statement.predicate.operator.id;
        if operator == signer.operator().as_str() {
            return Err(countersign_refused(
                request.seq,
                format!(
                    "signed by \"{operator}\" and a countersignature must come from another person"
                ),
            ));
        }
        // `v`: the verified ledger this record extends.
        if let Some(e) = own_key(v, request.seq, statement, signer) {
            return Err(e);
        }
        let sha256 = sha256_hex(&bytes);
        store_evidence(data_dir, &bytes)?;
        let statement = CountersignStatement {
            type_: super::statement::STATEMENT_TYPE.to_string(),
            subject: vec![ResourceDescriptor {
                name: record_file_name(request.seq),
                digest: DigestSet {
                    sha256: sha256.clone(),
                },
            }],
            predicate_type: COUNTERSIGN_PREDICATE_TYPE.to_string(),
            predicate: CountersignPredicate {
                operator: OperatorRef {
                    id: signer.operator().to_string(),
                    keyid: signer.keyid().to_string(),
                },
                record: CountersignedRecord {
                    seq: request.seq,
                    sha256,
                },
                verdict: request.verdict,
                note: request.note.clone(),
                tool: super::statement::ToolRef::default(),
                signed_at: at,
                ledger: link,
            },
        };
        serde_json::to_vec(&statement).map_err(|e| LedgerError::Encode {
            reason: e.to_string(),
        })
    })
}

/// `key rotate`: the operator's current key (opened with `old_passphrase`) signs a
/// key-rotation record introducing a new key (encrypted with `new_passphrase`, bcrypt
/// `rounds`); then the key files are replaced (the old ones kept as `*.retired-<time>`) and
/// the new key is listed in `allowed_signers`. Nothing changes if the record cannot be
/// appended.
pub fn rotate_key(
    data_dir: &Path,
    operator: &super::keys::OperatorId,
    old_passphrase: &str,
    new_passphrase: &str,
    rounds: u32,
    at: i64,
) -> Result<(super::keys::KeyInfo, Appended), LedgerError> {
    let store = super::keys::KeyStore::new(data_dir);
    let old = store.load_signer(operator, old_passphrase)?;
    let new = super::keys::new_encrypted_key(operator, new_passphrase, rounds)?;
    // The new key is on disk before the ledger names it: if the process dies between the
    // record and the key files, `keys/.<id>.rotating` still holds it (encrypted, 0600).
    let pending = store.keys_dir().join(format!(".{operator}.rotating"));
    let text = new
        .to_openssh(ssh_key::LineEnding::LF)
        .map_err(|e| LedgerError::Encode {
            reason: e.to_string(),
        })?;
    let _ = fs::remove_file(&pending);
    publish_private(&pending, text.as_bytes())?;
    let appended = match append_rotation(data_dir, &old, new.public_key(), at) {
        Ok(a) => a,
        Err(e) => {
            let _ = fs::remove_file(&pending);
            return Err(e);
        }
    };
    let info = store.replace(operator, &new, at)?;
    let _ = fs::remove_file(&pending);
    Ok((info, appended))
}

/// Writes a private key file (0600, never over an existing file) and syncs it.
fn publish_private(path: &Path, bytes: &[u8]) -> Result<(), LedgerError> {
    let mut file = crate::fsread::with_mode(OpenOptions::new().write(true).create_new(true), 0o600)
        .open(path)
        .map_err(io_error(path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))
}

/// The data directory's own anchors, and the check that `signer` may sign now.
fn station_anchors(data_dir: &Path, signer: &Signer, at: i64) -> Result<Anchors, LedgerError> {
    let signers_path = allowed_signers_path(data_dir);
    let anchors = match fsread::open_regular(&signers_path, Follow::Yes) {
        Err(fsread::ReadError::NotFound) => Anchors {
            signers: Some((
                AllowedSigners::parse(&signers_path, "")?,
                SignersOrigin::Station,
            )),
            expect_keys: Vec::new(),
        },
        _ => Anchors::station(&signers_path)?,
    };
    trust::trust(
        &anchors,
        signer.public_key().key_data(),
        signer.operator().as_str(),
        at,
    )
    .map_err(|d| LedgerError::NotTrusted {
        path: signers_path.clone(),
        reason: d.describe(signer.operator().as_str()),
    })?;
    Ok(anchors)
}

/// Builds a record's payload from its link, its `signedAt` and the verified ledger it extends.
type MakePayload<'a> =
    dyn FnMut(LedgerLink, String, &verify::VerifyReport) -> Result<Vec<u8>, LedgerError> + 'a;

/// Under the lock: repair what an interrupted append left, refuse a ledger that does not
/// verify or a key that breaks continuity, then write signature, record and manifest.
fn append_payload(
    data_dir: &Path,
    signer: &Signer,
    anchors: &Anchors,
    signed_at: i64,
    make: &mut MakePayload<'_>,
) -> Result<Appended, LedgerError> {
    let dir = ledger_dir(data_dir);
    let _lock = LedgerLock::acquire(&dir)?;
    // Read the anchors again under the lock: another process may have added its key and
    // appended a record signed with it since the caller read them.
    let fresh = station_anchors(data_dir, signer, signed_at)?;
    let anchors = if fresh == *anchors { anchors } else { &fresh };
    let mut repairs = remove_orphans(&dir, anchors)?;
    let listing = scan(&dir).map_err(io_error(&dir))?;
    for (expected, &seq) in (1u64..).zip(&listing.records) {
        if seq != expected {
            return Err(LedgerError::Gap {
                path: dir,
                missing: expected,
            });
        }
    }
    let prev_seq = listing.records.last().copied().unwrap_or(0);
    let seq = prev_seq + 1;
    let name = record_file_name(seq);
    let record_path = dir.join(&name);
    let sig_path = dir.join(format!("{name}{SIG_SUFFIX}"));
    for p in [&record_path, &sig_path] {
        if fs::symlink_metadata(p).is_ok() {
            return Err(LedgerError::Exists { path: p.clone() });
        }
    }
    let options = VerifyOptions::for_data_dir(data_dir);
    let mut report =
        verify::verify_with_anchors(&options, anchors).map_err(|e| LedgerError::DoesNotVerify {
            path: dir.clone(),
            first: e.to_string(),
        })?;
    // Only a ledger whose every record, link and key holds may have its manifest completed:
    // never sign a manifest naming a record that does not verify.
    let only_manifest = report
        .checks
        .iter()
        .filter(|c| c.outcome == verify::Outcome::Fail)
        .all(|c| c.check == verify::Check::Manifest);
    if !report.ok()
        && only_manifest
        && let Some(repair) = complete_manifest(&dir, signer, anchors, &listing)?
    {
        repairs.push(repair);
        report = verify::verify_with_anchors(&options, anchors).map_err(|e| {
            LedgerError::DoesNotVerify {
                path: dir.clone(),
                first: e.to_string(),
            }
        })?;
    }
    if let Some((_, p)) = report.first_broken() {
        return Err(LedgerError::DoesNotVerify {
            path: dir,
            first: format!("{}: {}", p.file, p.reason),
        });
    }
    let operator = signer.operator().as_str();
    if let Some(pinned) = report.pinned.get(operator)
        && pinned != signer.keyid()
    {
        return Err(LedgerError::KeyChanged {
            operator: operator.to_string(),
            pinned: pinned.clone(),
            keyid: signer.keyid().to_string(),
        });
    }
    let prev = report
        .head
        .as_ref()
        .filter(|h| h.seq == prev_seq)
        .map_or_else(|| GENESIS_PREV.to_string(), |h| h.sha256.clone());

    let payload = make(
        LedgerLink {
            seq,
            prev: PrevRecord { sha256: prev },
        },
        crate::date::rfc3339_utc(signed_at),
        &report,
    )?;
    let record = dsse::sign(signer, dsse::PAYLOAD_TYPE, &payload)?;
    let sig = signer.sign_sshsig(&record)?;

    // The signature first, then the record: a record is never visible without its
    // signature. An interrupted run leaves at most a signature without its record, which
    // the next append removes (see `remove_orphans`).
    publish(
        &dir.join(format!(".tmp-{name}{SIG_SUFFIX}")),
        &sig_path,
        sig.as_bytes(),
        Publish::NoReplace,
    )?;
    if let Err(e) = publish(
        &dir.join(format!(".tmp-{name}")),
        &record_path,
        &record,
        Publish::NoReplace,
    ) {
        let _ = fs::remove_file(&sig_path);
        return Err(e);
    }
    read_back(signer, &record_path, &sig_path, &record, seq)?;

    update_manifest(&dir, signer, &listing, seq, &record, sig.as_bytes())?;
    sync_dir(&dir)?;
    // The signer's key is pinned already (checked above) or is pinned by this record.
    let mut paper_anchors = report.paper_anchors();
    if !paper_anchors.iter().any(|k| k.operator == operator) {
        paper_anchors.push(super::trust::ExpectKey {
            operator: operator.to_string(),
            keyid: signer.keyid().to_string(),
        });
        paper_anchors.sort();
    }
    Ok(Appended {
        head: LedgerHead {
            seq,
            sha256: sha256_hex(&record),
        },
        repairs,
        paper_anchors,
    })
}

/// Removes what an interrupted append leaves that no reader may see: temporary files, and
/// a signature without its record just past the newest record (the signature is published
/// first). Only a valid SSH signature by a key the anchors know is removed, and only while
/// the manifest does not list it; anything else is left for `verify` to report.
fn remove_orphans(dir: &Path, anchors: &Anchors) -> Result<Vec<String>, LedgerError> {
    let mut repairs = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") {
            let p = entry.path();
            fs::remove_file(&p).map_err(io_error(&p))?;
        }
    }
    let listing = scan(dir).map_err(io_error(dir))?;
    let next = listing.records.last().copied().unwrap_or(0) + 1;
    if !listing.signatures.contains(&next) {
        return Ok(repairs);
    }
    let sig_name = format!("{}{SIG_SUFFIX}", record_file_name(next));
    let listed = fsread::read_small(&dir.join(MANIFEST), verify::MAX_MANIFEST_BYTES, Follow::No)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| parse_manifest(&t).ok())
        .is_some_and(|m| m.iter().any(|(n, _)| *n == sig_name));
    if listed {
        return Ok(repairs);
    }
    let path = dir.join(&sig_name);
    let ours = fsread::read_small(&path, verify::MAX_SIG_BYTES, Follow::No)
        .ok()
        .and_then(|b| ssh_key::SshSig::from_pem(b).ok())
        .is_some_and(|s| s.namespace() == super::NAMESPACE && anchors.knows(s.public_key()));
    if ours {
        fs::remove_file(&path).map_err(io_error(&path))?;
        sync_dir(dir)?;
        repairs.push(format!(
            "removed {sig_name}: a signature without its record, left by an interrupted append"
        ));
    }
    Ok(repairs)
}

/// Completes the manifest an interrupted append left behind, only when the previous
/// manifest signature proves it: the existing `SHA256SUMS.sig` must verify over the manifest
/// of every file except the newest record and its signature (an append stopped after
/// writing the record, or between the manifest and its signature), or the ledger holds only
/// record 1. A deleted tail never passes this: the old signature covers the records removed.
fn complete_manifest(
    dir: &Path,
    signer: &Signer,
    anchors: &Anchors,
    listing: &LedgerListing,
) -> Result<Option<String>, LedgerError> {
    let Some(&newest) = listing.records.last() else {
        return Ok(None);
    };
    if !listing.signatures.contains(&newest) {
        return Ok(None);
    }
    let actual = hash_all(dir, listing)?;
    let name = record_file_name(newest);
    let mut before = actual.clone();
    before.remove(&name);
    before.remove(&format!("{name}{SIG_SUFFIX}"));
    let (before_text, actual_text) = (render_manifest(&before), render_manifest(&actual));
    let read = |n: &str, cap| fsread::read_small(&dir.join(n), cap, Follow::No).ok();
    let manifest = read(MANIFEST, verify::MAX_MANIFEST_BYTES);
    let manifest_sig = read(MANIFEST_SIG, verify::MAX_SIG_BYTES);
    let state_ok = match &manifest {
        None => true,
        Some(t) => *t == before_text.as_bytes() || *t == actual_text.as_bytes(),
    };
    let proven = match &manifest_sig {
        None => newest == 1,
        Some(sig) => {
            sshsig::verify_signature(sig, before_text.as_bytes()).is_ok_and(|k| anchors.knows(&k))
        }
    };
    if !(state_ok && proven)
        || manifest.as_deref() == Some(actual_text.as_bytes())
            && manifest_sig
                .as_ref()
                .is_some_and(|s| sshsig::verify_signature(s, actual_text.as_bytes()).is_ok())
    {
        return Ok(None);
    }
    write_manifest(dir, signer, &actual)?;
    sync_dir(dir)?;
    Ok(Some(format!(
        "completed SHA256SUMS for {name}: an append was interrupted after writing the record"
    )))
}

/// Rewrites `SHA256SUMS` from every record and `.sig` present, and signs it. This is what a
/// key holder can do after deleting records at the tail; only a head kept elsewhere
/// (`verify --expect-head`) catches that.
pub fn rebuild_manifest(ledger_dir: &Path, signer: &Signer) -> Result<(), LedgerError> {
    let _lock = LedgerLock::acquire(ledger_dir)?;
    let listing = scan(ledger_dir).map_err(io_error(ledger_dir))?;
    let entries = hash_all(ledger_dir, &listing)?;
    write_manifest(ledger_dir, signer, &entries)?;
    sync_dir(ledger_dir)
}

fn check_evidence_name(name: &str) -> Result<(), LedgerError> {
    let bad = |reason| LedgerError::EvidenceName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("it contains control characters"));
    }
    Ok(())
}

/// Checks what was just written, before the manifest names it.
fn read_back(
    signer: &Signer,
    record_path: &Path,
    sig_path: &Path,
    expected: &[u8],
    seq: u64,
) -> Result<(), LedgerError> {
    let fail = |path: &Path, reason: String| LedgerError::ReadBack {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = fsread::read_small(record_path, verify::MAX_RECORD_BYTES, Follow::No)
        .map_err(|e| fail(record_path, e.to_string()))?;
    if bytes != expected {
        return Err(fail(
            record_path,
            "bytes differ from what was written".into(),
        ));
    }
    let opened = dsse::open(&bytes).map_err(|e| fail(record_path, e.to_string()))?;
    if opened.verify(&signer.verifying_key()?).is_none() {
        return Err(fail(
            record_path,
            "envelope signature does not verify".into(),
        ));
    }
    let body = Body::from_bytes(&opened.payload).map_err(|e| fail(record_path, e.to_string()))?;
    if body.ledger().seq != seq {
        return Err(fail(record_path, "sequence number differs".into()));
    }
    let sig = fsread::read_small(sig_path, verify::MAX_SIG_BYTES, Follow::No)
        .map_err(|e| fail(sig_path, e.to_string()))?;
    let key = sshsig::verify_signature(&sig, &bytes).map_err(|e| fail(sig_path, e.to_string()))?;
    if key != *signer.public_key().key_data() {
        return Err(fail(sig_path, "made with another key".into()));
    }
    Ok(())
}

/// Adds the new record and its signature to the manifest and re-signs it. The previous
/// manifest's lines are reused when it lists every earlier file; otherwise everything is
/// re-hashed.
fn update_manifest(
    dir: &Path,
    signer: &Signer,
    before: &LedgerListing,
    seq: u64,
    record: &[u8],
    sig: &[u8],
) -> Result<(), LedgerError> {
    let path = dir.join(MANIFEST);
    let previous = fsread::read_small(&path, verify::MAX_MANIFEST_BYTES, Follow::No)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| parse_manifest(&t).ok())
        .map(|lines| lines.into_iter().collect::<BTreeMap<_, _>>());
    let complete = previous.as_ref().is_some_and(|m| {
        before.records.iter().all(|&s| {
            let n = record_file_name(s);
            m.contains_key(&n) && m.contains_key(&format!("{n}{SIG_SUFFIX}"))
        }) && m.len() == before.records.len() + before.signatures.len()
    });
    let mut entries = match previous {
        Some(m) if complete => m,
        _ => hash_all(dir, before)?,
    };
    let name = record_file_name(seq);
    entries.insert(name.clone(), sha256_hex(record));
    entries.insert(format!("{name}{SIG_SUFFIX}"), sha256_hex(sig));
    write_manifest(dir, signer, &entries)
}

fn hash_all(dir: &Path, listing: &LedgerListing) -> Result<BTreeMap<String, String>, LedgerError> {
    let mut entries = BTreeMap::new();
    let names = listing.records.iter().map(|&s| record_file_name(s)).chain(
        listing
            .signatures
            .iter()
            .map(|&s| format!("{}{SIG_SUFFIX}", record_file_name(s))),
    );
    for name in names {
        let p = dir.join(&name);
        let bytes = read_ledger_file(&p, verify::MAX_RECORD_BYTES)?;
        entries.insert(name, sha256_hex(&bytes));
    }
    Ok(entries)
}

fn write_manifest(
    dir: &Path,
    signer: &Signer,
    entries: &BTreeMap<String, String>,
) -> Result<(), LedgerError> {
    let text = render_manifest(entries);
    let sig = signer.sign_sshsig(text.as_bytes())?;
    publish(
        &dir.join(format!(".tmp-{MANIFEST}")),
        &dir.join(MANIFEST),
        text.as_bytes(),
        Publish::Replace,
    )?;
    publish(
        &dir.join(format!(".tmp-{MANIFEST_SIG}")),
        &dir.join(MANIFEST_SIG),
        sig.as_bytes(),
        Publish::Replace,
    )
}

/// coreutils format: `<hex>  <name>` per line, sorted by name.
pub fn render_manifest(entries: &BTreeMap<String, String>) -> String {
    let mut text = String::with_capacity(entries.len() * 90);
    for (name, hex) in entries {
        text.push_str(hex);
        text.push_str("  ");
        text.push_str(name);
        text.push('\n');
    }
    text
}

/// Parses `sha256sum` output: `(line number, message)` on the first bad line.
pub fn parse_manifest(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let (hex, rest) = line
            .split_at_checked(64)
            .ok_or((i + 1, "line too short".into()))?;
        if !is_sha256_hex(hex) {
            return Err((i + 1, "not a lower-case SHA-256 hex digest".into()));
        }
        let name = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .ok_or((i + 1, "expected two spaces after the digest".into()))?;
        if name.is_empty() {
            return Err((i + 1, "missing file name".into()));
        }
        out.push((name.to_string(), hex.to_string()));
    }
    Ok(out)
}

/// How a ledger file takes its place (see [`crate::atomic::Place`]): records and blobs are
/// linked, never overwritten; the manifest is renamed over.
use crate::atomic::Place as Publish;

/// Writes `bytes` to `tmp` (created exclusively, mode 0644), syncs, and moves it to `target`.
fn publish(tmp: &Path, target: &Path, bytes: &[u8], mode: Publish) -> Result<(), LedgerError> {
    crate::atomic::write(target, tmp, bytes, mode, Some(0o644)).map_err(|e| {
        if e.is_exists() && e.path == target {
            LedgerError::Exists {
                path: target.to_path_buf(),
            }
        } else {
            io_error(&e.path)(e.source)
        }
    })
}

fn sync_dir(dir: &Path) -> Result<(), LedgerError> {
    crate::atomic::sync_dir(dir).map_err(io_error(dir))
}

/// An exclusive `flock` on `ledger/.lock`, released when dropped (and by the kernel if the
/// process dies, so a crash never leaves a stale lock).
struct LedgerLock {
    _file: File,
}

impl LedgerLock {
    fn acquire(dir: &Path) -> Result<LedgerLock, LedgerError> {
        let path = dir.join(LOCK);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        let file = crate::fsread::with_mode(&mut opts, 0o644)
            .open(&path)
            .map_err(io_error(&path))?;
        file.lock().map_err(io_error(&path))?;
        Ok(LedgerLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names() {
        assert_eq!(record_file_name(17), "000017.dsse.json");
        assert_eq!(record_file_name(1_234_567), "1234567.dsse.json");
        assert_eq!(record_seq("000017.dsse.json"), Some(17));
        assert_eq!(record_seq("1234567.dsse.json"), Some(1_234_567));
        for bad in [
            "17.dsse.json",
            "0000017.dsse.json",
            "000000.dsse.json",
            "00001a.dsse.json",
            "000017.dsse.json.sig",
            "+00017.dsse.json",
        ] {
            assert_eq!(record_seq(bad), None, "{bad}");
        }
    }

    #[test]
    fn head_strings() {
        let h: LedgerHead = format!("17:{}", "AB".repeat(32)).parse().unwrap();
        assert_eq!(h.seq, 17);
        assert_eq!(h.to_string(), format!("17:{}", "ab".repeat(32)));
        for bad in ["", "17", "x:00", "0:".to_string().as_str(), "17:abc"] {
            assert!(bad.parse::<LedgerHead>().is_err(), "{bad}");
        }
    }

    #[test]
    fn manifest_round_trip() {
        let mut m = BTreeMap::new();
        m.insert("000001.dsse.json".to_string(), "a".repeat(64));
        m.insert("000001.dsse.json.sig".to_string(), "b".repeat(64));
        let text = render_manifest(&m);
        assert_eq!(
            text,
            format!(
                "{}  000001.dsse.json\n{}  000001.dsse.json.sig\n",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
        let parsed: BTreeMap<_, _> = parse_manifest(&text).unwrap().into_iter().collect();
        assert_eq!(parsed, m);
        assert_eq!(parse_manifest("abc  x\n").unwrap_err().0, 1);
        assert!(parse_manifest(&format!("{} x\n", "a".repeat(64))).is_err());
        assert!(parse_manifest(&format!("{}  \n", "a".repeat(64))).is_err());
        assert!(parse_manifest(&format!("{}  x\u{fffd}\n", "a".repeat(64))).is_ok());
    }
}
