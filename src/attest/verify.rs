//! Offline verification of a ledger: each property checked and reported separately, the first
//! broken record named with the reason.
//!
//! Who may sign is decided by the trust anchors ([`super::trust`]); on top of that, the first
//! record signed by an operator pins that operator's key for the rest of the chain, and only a
//! key-rotation record signed by the pinned key moves the pin (key continuity).

use super::allowed_signers::Refusal;
use super::keys::keyid;
use super::ledger::{
    self, LedgerHead, LedgerListing, MANIFEST, MANIFEST_SIG, SIG_SUFFIX, record_file_name,
};
use super::statement::{Body, CountersignVerdict, GENESIS_PREV};
use super::trust::{Anchors, Distrust, ExpectKey};
use super::{dsse, is_sha256_hex, sha256_hex, sshsig};
use crate::diagnostic::SourceError;
use crate::fsread::{self, Follow, ReadError};
use ssh_key::public::KeyData;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Largest record file read (records are one line of JSON; far smaller in practice).
pub const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;
/// Largest `.sig` or `SHA256SUMS.sig` read.
pub const MAX_SIG_BYTES: u64 = 64 * 1024;
/// Largest `SHA256SUMS` read.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;
/// Largest evidence file re-hashed.
pub const MAX_EVIDENCE_BYTES: u64 = 256 * 1024 * 1024;

/// What to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    pub ledger_dir: PathBuf,
    /// The auditor's own `allowed_signers` (`--allowed-signers`).
    pub allowed_signers: Option<PathBuf>,
    /// Key fingerprints kept off the station (`--expect-key`).
    pub expect_keys: Vec<ExpectKey>,
    /// The station's own `allowed_signers`, used only when no anchor above is given.
    pub station_signers: PathBuf,
    /// `evidence/sha256` beside the ledger.
    pub evidence_dir: PathBuf,
    pub expect_head: Option<LedgerHead>,
}

impl VerifyOptions {
    /// The ledger, `allowed_signers` and evidence of a data directory.
    pub fn for_data_dir(data_dir: &Path) -> VerifyOptions {
        VerifyOptions {
            ledger_dir: ledger::ledger_dir(data_dir),
            allowed_signers: None,
            expect_keys: Vec::new(),
            station_signers: super::keys::allowed_signers_path(data_dir),
            evidence_dir: ledger::evidence_dir(data_dir),
            expect_head: None,
        }
    }

    /// A ledger directory copied elsewhere: `evidence/` is looked for beside it (its parent
    /// directory), and so is the station's `allowed_signers`, used only when no
    /// `allowed_signers` is given.
    pub fn for_ledger_dir(ledger_dir: &Path, allowed_signers: Option<PathBuf>) -> VerifyOptions {
        let parent = ledger_dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        VerifyOptions {
            ledger_dir: ledger_dir.to_path_buf(),
            allowed_signers,
            expect_keys: Vec::new(),
            station_signers: super::keys::allowed_signers_path(parent),
            evidence_dir: ledger::evidence_dir(parent),
            expect_head: None,
        }
    }

    /// The anchors these options name: the explicit ones, else the station's file.
    pub fn anchors(&self) -> Result<Anchors, SourceError> {
        Anchors::explicit_or_station(
            self.allowed_signers.as_deref(),
            self.expect_keys.clone(),
            &self.station_signers,
        )
    }
}

/// Verification could not start: bad input, not a broken ledger.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: no such ledger directory", path.display())]
    Missing { path: PathBuf },
    #[error("{}: not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a ledger directory (no record files like 000001.dsse.json and no SHA256SUMS)", path.display())]
    NotALedger { path: PathBuf },
    #[error("{0}")]
    AllowedSigners(#[from] SourceError),
}

/// One verified property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// Record files, their `.sig` files, nothing unexpected.
    Layout,
    /// DSSE signatures by a trusted key, principal = `operator.id`.
    Envelopes,
    /// The payloads: in-toto Statement with a stationward predicate.
    Statements,
    /// The SSHSIG beside every record.
    SshSignatures,
    /// Sequence numbers without gaps and `prev` links.
    Chain,
    /// Each operator keeps the key their first record pinned, unless a rotation moved it.
    Continuity,
    /// `SHA256SUMS` and `SHA256SUMS.sig`.
    Manifest,
    /// Evidence files re-hashed.
    Evidence,
    /// `signedAt` never going backwards (a warning only).
    Timestamps,
    /// `--expect-head`.
    ExpectedHead,
    /// Each countersignature names an existing sign-off of this ledger, unchanged, that
    /// verifies, by another operator. Reported only when the ledger holds countersignatures.
    Countersignatures,
}

impl Check {
    pub const ALL: [Check; 11] = [
        Check::Layout,
        Check::Envelopes,
        Check::Statements,
        Check::SshSignatures,
        Check::Chain,
        Check::Continuity,
        Check::Manifest,
        Check::Evidence,
        Check::Timestamps,
        Check::ExpectedHead,
        Check::Countersignatures,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Check::Layout => "ledger files",
            Check::Envelopes => "envelope signatures",
            Check::Statements => "statements",
            Check::SshSignatures => "SSH signatures",
            Check::Chain => "hash chain",
            Check::Continuity => "key continuity",
            Check::Manifest => "SHA256SUMS",
            Check::Evidence => "evidence",
            Check::Timestamps => "timestamps",
            Check::ExpectedHead => "expected head",
            Check::Countersignatures => "countersignatures",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
    Skipped,
}

impl Outcome {
    /// Glyph and word, never colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "✔ PASS",
            Outcome::Warn => "! WARN",
            Outcome::Fail => "✘ FAIL",
            Outcome::Skipped => "– SKIP",
        }
    }
}

/// One thing wrong, in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File name inside the ledger directory (or an evidence path).
    pub file: String,
    /// The record concerned, when there is one.
    pub seq: Option<u64>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: Check,
    pub outcome: Outcome,
    /// One line: what was checked and how it went.
    pub summary: String,
    pub problems: Vec<Problem>,
}

/// One record as verified: who signed it with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub seq: u64,
    pub sha256: Option<String>,
    /// Operator and keyid, when the envelope verified with a trusted key.
    pub signer: Option<(String, String)>,
    /// What the record is, when its statement was read.
    pub kind: Option<RecordKind>,
}

/// The kinds of ledger record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    SignOff,
    Rotation,
    Countersign,
}

impl RecordKind {
    fn of(body: &Body) -> RecordKind {
        match body {
            Body::SignOff(_) => RecordKind::SignOff,
            Body::Rotation(_) => RecordKind::Rotation,
            Body::Countersign(_) => RecordKind::Countersign,
        }
    }
}

/// A countersignature record whose signature verified, and whether what it names holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountersignInfo {
    /// The countersignature record's own sequence number.
    pub seq: u64,
    /// The countersigned record's sequence number.
    pub record: u64,
    /// The countersigner and their key (`SHA256:...`).
    pub operator: String,
    pub keyid: String,
    pub verdict: CountersignVerdict,
    pub note: String,
    pub signed_at: String,
    /// Why the countersignature does not stand (the record it names is missing, altered, not
    /// a sign-off, does not verify, or is the countersigner's own); `None` when it stands.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub ledger_dir: PathBuf,
    /// Which anchors decided trust ([`Anchors::describe`]).
    pub trust: String,
    /// True when the station's own `allowed_signers` was the only anchor.
    pub station_anchors: bool,
    pub records: usize,
    /// The newest record present.
    pub head: Option<LedgerHead>,
    /// Every record, in order.
    pub record_summaries: Vec<RecordSummary>,
    /// Operator → the keyid they sign with at the head (their first key, moved only by
    /// key-rotation records).
    pub pinned: BTreeMap<String, String>,
    /// One result per [`Check`], in [`Check::ALL`] order ([`Check::Countersignatures`] only
    /// when the ledger holds countersignatures).
    pub checks: Vec<CheckResult>,
    /// Every countersignature record that verified, in ledger order.
    pub countersigns: Vec<CountersignInfo>,
}

impl VerifyReport {
    /// True when nothing failed (warnings allowed): the exit status decision.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.outcome != Outcome::Fail)
    }

    /// As [`VerifyReport::ok`], and the anchors were not merely the station's own file
    /// (`verify --strict`).
    pub fn ok_strict(&self) -> bool {
        self.ok() && !self.station_anchors
    }

    pub fn check(&self, check: Check) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == check)
    }

    /// The lowest-numbered record with a failing problem (or, when no failing problem names a
    /// record, the first failing problem), and the check that found it.
    pub fn first_broken(&self) -> Option<(Check, &Problem)> {
        let failing = self
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .flat_map(|c| c.problems.iter().map(move |p| (c.check, p)));
        let mut best: Option<(Check, &Problem)> = None;
        for (check, p) in failing {
            best = match best {
                None => Some((check, p)),
                Some((bc, bp)) => match (p.seq, bp.seq) {
                    (Some(a), Some(b)) if a < b => Some((check, p)),
                    (Some(_), None) => Some((check, p)),
                    _ => Some((bc, bp)),
                },
            };
        }
        best
    }

    /// The text report: a header, one line per check (with up to `MAX_LISTED` problems under
    /// a failing or warning check), the first broken record, and the verdict. Everything that
    /// came from the ledger is escaped for the terminal.
    pub fn render_text(&self) -> String {
        use crate::text::for_terminal as t;
        const MAX_LISTED: usize = 10;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Ledger          {}",
            t(&self.ledger_dir.display().to_string())
        );
        let _ = writeln!(out, "Trust           {}", t(&self.trust));
        match &self.head {
            Some(h) => {
                let _ = writeln!(out, "Records         {} (head {h})", self.records);
            }
            None => {
                let _ = writeln!(out, "Records         0");
            }
        }
        out.push('\n');
        for c in &self.checks {
            let _ = writeln!(
                out,
                "{}  {:<20} {}",
                c.outcome.label(),
                c.check.title(),
                t(&c.summary)
            );
            if matches!(c.outcome, Outcome::Fail | Outcome::Warn) {
                for p in c.problems.iter().take(MAX_LISTED) {
                    let _ = writeln!(out, "        {}: {}", t(&p.file), t(&p.reason));
                }
                if c.problems.len() > MAX_LISTED {
                    let _ = writeln!(out, "        … and {} more", c.problems.len() - MAX_LISTED);
                }
            }
        }
        out.push('\n');
        let signoffs = self
            .record_summaries
            .iter()
            .filter(|r| r.kind == Some(RecordKind::SignOff))
            .count();
        if self.countersigns.is_empty() && signoffs > 0 {
            let _ = writeln!(
                out,
                "Sign-offs       {signoffs}, none countersigned (a second person: stationward countersign RECORD --operator ID)\n"
            );
        }
        if !self.countersigns.is_empty() {
            let _ = writeln!(out, "Sign-offs");
            for r in self
                .record_summaries
                .iter()
                .filter(|r| r.kind == Some(RecordKind::SignOff))
            {
                let by: Vec<&CountersignInfo> = self
                    .countersigns
                    .iter()
                    .filter(|c| c.record == r.seq)
                    .collect();
                if by.is_empty() {
                    let _ = writeln!(out, "  {}  not countersigned", record_file_name(r.seq));
                }
                for c in by {
                    let _ = writeln!(
                        out,
                        "  {}  {} by {} ({}) at {} in {}{}",
                        record_file_name(r.seq),
                        c.verdict.as_str(),
                        t(&c.operator),
                        t(&c.keyid),
                        t(&c.signed_at),
                        record_file_name(c.seq),
                        match &c.problem {
                            None => String::new(),
                            Some(why) => format!(": DOES NOT STAND: {}", t(why)),
                        }
                    );
                }
            }
            out.push('\n');
        }
        if let Some((check, p)) = self.first_broken() {
            let _ = writeln!(
                out,
                "First broken: {}: {} ({})",
                t(&p.file),
                t(&p.reason),
                check.title()
            );
            let _ = writeln!(out, "Result: VERIFICATION FAILED");
        } else if self.records == 0 {
            let _ = writeln!(out, "Result: verified (the ledger is empty)");
        } else {
            let _ = writeln!(out, "Result: verified");
        }
        if self.station_anchors {
            let _ = writeln!(
                out,
                "trust: {} (give --allowed-signers or --expect-key from the paper form; --strict fails without them)",
                super::trust::STATION_WARNING
            );
        }
        out
    }
}

/// What one record file yields, checked independently of the others.
#[derive(Debug)]
struct RecordAnalysis {
    seq: u64,
    name: String,
    sha256: Option<String>,
    sig_sha256: Option<String>,
    /// The key the envelope signature verifies with (not yet judged by the anchors).
    signing_key: Option<KeyData>,
    /// The key of a valid SSHSIG over the record bytes (not yet judged).
    sshsig_key: Result<KeyData, String>,
    envelope: Result<(), String>,
    /// The statement, only when the envelope signature holds.
    statement: Option<Result<Body, String>>,
    sshsig: Result<(), String>,
}

/// Verifies the ledger described by `options`. Returns `Err` only when verification cannot
/// start (no ledger directory, unreadable or invalid `allowed_signers`); everything wrong with
/// the ledger itself is in the report.
pub fn verify_ledger(options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    check_ledger_dir(&options.ledger_dir)?;
    let anchors = options.anchors()?;
    verify_with_anchors(options, &anchors)
}

fn check_ledger_dir(dir: &Path) -> Result<(), VerifyError> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(VerifyError::NotADirectory { path: dir.into() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(VerifyError::Missing { path: dir.into() });
        }
        Err(source) => {
            return Err(VerifyError::Io {
                path: dir.into(),
                source,
            });
        }
    }
    let listing = ledger::scan(dir).map_err(|source| VerifyError::Io {
        path: dir.into(),
        source,
    })?;
    // A directory with none of a ledger's files is a wrong path, not an empty ledger: say so
    // before complaining about a missing allowed_signers beside it.
    if listing.records.is_empty() && !listing.manifest && !listing.unexpected.is_empty() {
        return Err(VerifyError::NotALedger { path: dir.into() });
    }
    Ok(())
}

/// [`verify_ledger`] with anchors the caller already holds (`options`' own anchor fields are
/// not used).
pub fn verify_with_anchors(
    options: &VerifyOptions,
    anchors: &Anchors,
) -> Result<VerifyReport, VerifyError> {
    let dir = &options.ledger_dir;
    check_ledger_dir(dir)?;
    let listing = ledger::scan(dir).map_err(|source| VerifyError::Io {
        path: dir.clone(),
        source,
    })?;
    let keys = candidate_keys(anchors);
    let mut analyses = analyse_all(dir, &listing, &keys);
    let trusting = judge(&mut analyses, anchors);

    let head = analyses.last().and_then(|a| {
        a.sha256.as_ref().map(|h| LedgerHead {
            seq: a.seq,
            sha256: h.clone(),
        })
    });
    let record_summaries = analyses
        .iter()
        .map(|a| RecordSummary {
            seq: a.seq,
            sha256: a.sha256.clone(),
            signer: trusted(a).map(|b| (b.operator().id.clone(), b.operator().keyid.clone())),
            kind: trusted(a).map(RecordKind::of),
        })
        .collect();
    let countersigns = countersign_infos(&analyses);
    let mut checks = vec![
        check_layout(&listing),
        check_envelopes(&analyses),
        check_statements(&analyses),
        check_sshsigs(&analyses),
        check_chain(&analyses),
        check_continuity(&trusting),
        check_manifest(dir, &listing, &analyses, anchors, &trusting),
        check_evidence(&options.evidence_dir, &analyses),
        check_timestamps(&analyses),
        check_expected_head(options.expect_head.as_ref(), &analyses),
    ];
    if !countersigns.is_empty() {
        checks.push(check_countersigns(&countersigns, &analyses));
    }
    Ok(VerifyReport {
        ledger_dir: dir.clone(),
        trust: anchors.describe(),
        station_anchors: anchors.is_station(),
        records: listing.records.len(),
        head,
        record_summaries,
        pinned: trusting.pinned.clone(),
        checks,
        countersigns,
    })
}

/// The countersignatures that verified, each judged against the record it names.
fn countersign_infos(analyses: &[RecordAnalysis]) -> Vec<CountersignInfo> {
    let mut out = Vec::new();
    for a in analyses {
        let Some(Body::Countersign(c)) = trusted(a) else {
            continue;
        };
        let p = &c.predicate;
        let named = record_file_name(p.record.seq);
        let problem = if p.record.seq >= a.seq {
            Some(format!(
                "names {named}, which is not an earlier record of this ledger"
            ))
        } else {
            match analyses.iter().find(|t| t.seq == p.record.seq) {
                None => Some(format!("names {named}, which is missing from the ledger")),
                Some(t) => match (&t.sha256, trusted(t)) {
                    (Some(h), _) if *h != p.record.sha256 => Some(format!(
                        "names {named} with SHA-256 {}, but that record's SHA-256 is {h} (altered or replaced)",
                        p.record.sha256
                    )),
                    (None, _) => Some(format!("names {named}, which cannot be read")),
                    (_, None) => Some(format!("names {named}, which does not verify")),
                    (_, Some(Body::SignOff(s))) if s.predicate.operator.id == p.operator.id => {
                        Some(format!(
                            "countersigns {named} by its own operator \"{}\" (a second person must countersign)",
                            p.operator.id
                        ))
                    }
                    (_, Some(Body::SignOff(_))) => None,
                    (_, Some(_)) => Some(format!("names {named}, which is not a sign-off")),
                },
            }
        };
        out.push(CountersignInfo {
            seq: a.seq,
            record: p.record.seq,
            operator: p.operator.id.clone(),
            keyid: p.operator.keyid.clone(),
            verdict: p.verdict,
            note: p.note.clone(),
            signed_at: p.signed_at.clone(),
            problem,
        });
    }
    out
}

fn check_countersigns(infos: &[CountersignInfo], analyses: &[RecordAnalysis]) -> CheckResult {
    let problems: Vec<Problem> = infos
        .iter()
        .filter_map(|c| {
            c.problem
                .as_ref()
                .map(|why| problem(&record_file_name(c.seq), Some(c.seq), why.clone()))
        })
        .collect();
    let signoffs = analyses
        .iter()
        .filter(|a| matches!(trusted(a), Some(Body::SignOff(_))))
        .collect::<Vec<_>>();
    let countersigned = signoffs
        .iter()
        .filter(|a| {
            infos
                .iter()
                .any(|c| c.record == a.seq && c.problem.is_none())
        })
        .count();
    let n = infos.len();
    result(
        Check::Countersignatures,
        problems,
        true,
        format!(
            "{n} verify, each naming an unchanged sign-off by another operator; {countersigned} of {} sign-offs countersigned",
            signoffs.len()
        ),
        format!("{n} countersignatures; see below"),
    )
}

/// A key worth trying on an envelope, decoded once.
struct CandidateKey {
    keyid: String,
    key_data: KeyData,
    verifying: ed25519_dalek::VerifyingKey,
}

fn candidate(key: &KeyData) -> Option<CandidateKey> {
    let raw = key.ed25519()?;
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&raw.0).ok()?;
    Some(CandidateKey {
        keyid: keyid(key),
        key_data: key.clone(),
        verifying,
    })
}

fn candidate_keys(anchors: &Anchors) -> Vec<CandidateKey> {
    anchors
        .candidate_keys()
        .iter()
        .filter_map(candidate)
        .collect()
}

fn analyse_all(dir: &Path, listing: &LedgerListing, keys: &[CandidateKey]) -> Vec<RecordAnalysis> {
    let records = &listing.records;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 16);
    if threads == 1 || records.len() < 64 {
        return records.iter().map(|&s| analyse(dir, s, keys)).collect();
    }
    let chunk = records.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&s| analyse(dir, s, keys))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(records.len());
        for (h, part) in handles.into_iter().zip(records.chunks(chunk)) {
            match h.join() {
                Ok(v) => all.extend(v),
                // A panic in one worker: analyse that part again on this thread.
                Err(_) => all.extend(part.iter().map(|&s| analyse(dir, s, keys))),
            }
        }
        all
    })
}

/// Reads a ledger file: regular, not through a symlink, capped, never blocking.
fn read_ledger_file(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    fsread::read_small(path, cap, Follow::No)
}

/// The cryptography of one record, without deciding who may sign: which key the envelope
/// verifies with, which key made the SSHSIG.
fn analyse(dir: &Path, seq: u64, keys: &[CandidateKey]) -> RecordAnalysis {
    let name = record_file_name(seq);
    let sig_name = format!("{name}{SIG_SUFFIX}");
    let mut a = RecordAnalysis {
        seq,
        name: name.clone(),
        sha256: None,
        sig_sha256: None,
        signing_key: None,
        sshsig_key: Err(String::new()),
        envelope: Err(String::new()),
        statement: None,
        sshsig: Err(String::new()),
    };
    let sig = read_ledger_file(&dir.join(&sig_name), MAX_SIG_BYTES);
    if let Ok(s) = &sig {
        a.sig_sha256 = Some(sha256_hex(s));
    }
    let bytes = match read_ledger_file(&dir.join(&name), MAX_RECORD_BYTES) {
        Ok(b) => b,
        Err(e) => {
            let reason = format!("cannot read: {e}");
            a.envelope = Err(reason.clone());
            a.sshsig = Err(reason.clone());
            a.sshsig_key = Err(reason);
            return a;
        }
    };
    a.sha256 = Some(sha256_hex(&bytes));
    a.sshsig_key = match sig {
        Err(ReadError::NotFound) => Err(format!("missing {sig_name}")),
        Err(e) => Err(format!("{sig_name}: cannot read: {e}")),
        Ok(sig) => sshsig::verify_signature(&sig, &bytes).map_err(|e| format!("{sig_name}: {e}")),
    };
    a.sshsig = a.sshsig_key.as_ref().map(|_| ()).map_err(Clone::clone);

    // The envelope: verify the signature over the exact bytes before reading the payload.
    // Keys tried: the anchors' keys, and the key of a valid SSHSIG beside the record (so a key
    // known only by its fingerprint, `--expect-key`, can be checked).
    let from_sig = a.sshsig_key.as_ref().ok().and_then(candidate);
    match dsse::open(&bytes) {
        Err(e) => a.envelope = Err(e.to_string()),
        Ok(opened) => {
            let all: Vec<&CandidateKey> = keys.iter().chain(from_sig.as_ref()).collect();
            let by_keyid = all
                .iter()
                .filter(|k| opened.signatures.iter().any(|s| s.keyid == k.keyid));
            let others = all
                .iter()
                .filter(|k| !opened.signatures.iter().any(|s| s.keyid == k.keyid));
            let verified = by_keyid
                .chain(others)
                .find(|k| opened.verify(&k.verifying).is_some());
            match verified {
                None => {
                    let listed = opened
                        .signatures
                        .iter()
                        .any(|s| all.iter().any(|k| k.keyid == s.keyid));
                    a.envelope = Err(if listed {
                        "envelope signature does not verify (record altered)".to_string()
                    } else {
                        let ids: Vec<&str> =
                            opened.signatures.iter().map(|s| s.keyid.as_str()).collect();
                        format!(
                            "signed by {}, which is not a key in the trust anchors for this namespace",
                            ids.join(", "),
                        )
                    });
                }
                Some(key) => {
                    // Every signature of the envelope must hold, as the auditor's openssl
                    // recipe checks them all: a second signature by anyone else is refused.
                    let pae = opened.pae();
                    let all_hold = opened.signatures.iter().all(|sig| {
                        sig.keyid == key.keyid
                            && key
                                .verifying
                                .verify_strict(
                                    &pae,
                                    &ed25519_dalek::Signature::from_bytes(&sig.sig),
                                )
                                .is_ok()
                    });
                    if all_hold {
                        a.signing_key = Some(key.key_data.clone());
                        a.envelope = Ok(());
                        a.statement =
                            Some(Body::from_bytes(&opened.payload).map_err(|e| e.to_string()));
                    } else {
                        a.envelope = Err(format!(
                            "the envelope carries {} signatures and not all are valid signatures by {}; every signature must hold",
                            opened.signatures.len(),
                            key.keyid
                        ));
                    }
                }
            }
        }
    }
    a
}

/// What the sequential pass learns: the keys each operator is pinned to, problems of
/// continuity, and the keys rotations introduced.
struct Trusting {
    continuity: Vec<Problem>,
    rotations: usize,
    introduced: BTreeSet<(String, String)>,
    /// Keys that signed a record that passed every per-record check.
    signing_keys: Vec<KeyData>,
    /// `signedAt` of the newest trusted record (the manifest was signed then or later).
    last_signed_at: Option<i64>,
    pinned: BTreeMap<String, String>,
}

fn distrust_text(d: &Distrust, principal: &str, keyid: &str) -> String {
    match d {
        Distrust::Signers {
            refusal: Refusal::KeyNotListed,
            file,
        } => format!(
            "signed by {keyid}, which is not a key in {} for this namespace",
            file.display()
        ),
        Distrust::Signers {
            refusal: Refusal::NamespaceNotAllowed,
            file,
        } => format!(
            "signed by {keyid}, which is not a key in {} for this namespace (its line does not allow {})",
            file.display(),
            super::NAMESPACE
        ),
        other => other.describe(principal),
    }
}

/// Applies the trust rule to every record in order, and key continuity.
fn judge(analyses: &mut [RecordAnalysis], anchors: &Anchors) -> Trusting {
    let mut t = Trusting {
        continuity: Vec::new(),
        rotations: 0,
        introduced: BTreeSet::new(),
        signing_keys: Vec::new(),
        last_signed_at: None,
        pinned: BTreeMap::new(),
    };
    // operator → (keyid, the record that pinned it)
    let mut pinned: HashMap<String, (String, u64)> = HashMap::new();
    for a in analyses.iter_mut() {
        let sig_name = format!("{}{SIG_SUFFIX}", a.name);
        let (Some(key), Some(Ok(body))) = (&a.signing_key, &a.statement) else {
            // No principal known: the SSHSIG key must at least be an anchor for someone.
            if let Ok(k) = &a.sshsig_key
                && !anchors.knows(k)
            {
                a.sshsig = Err(format!(
                    "{sig_name}: signing key {} is not in the trust anchors",
                    keyid(k)
                ));
            }
            continue;
        };
        let principal = body.operator().id.clone();
        let signing_keyid = keyid(key);
        let at = crate::date::parse_rfc3339_utc(body.signed_at()).unwrap_or(i64::MIN);
        a.envelope = anchors
            .trust_with(key, &principal, at, &t.introduced)
            .map_err(|d| distrust_text(&d, &principal, &signing_keyid));
        if body.operator().keyid != signing_keyid {
            a.statement = Some(Err(format!(
                "operator.keyid {} is not the signing key {signing_keyid}",
                body.operator().keyid
            )));
        }
        if let Ok(k) = &a.sshsig_key {
            a.sshsig = if k != key {
                Err(format!(
                    "{sig_name}: made with key {}, not the envelope's key {signing_keyid}",
                    keyid(k)
                ))
            } else {
                anchors
                    .trust_with(k, &principal, at, &t.introduced)
                    .map_err(|d| format!("{sig_name}: {}", d.describe(&principal)))
            };
        }
        let Some(Ok(body)) = &a.statement else {
            continue;
        };
        if a.envelope.is_err() {
            continue;
        }
        // Key continuity.
        match pinned.get(&principal) {
            None => {
                pinned.insert(principal.clone(), (signing_keyid.clone(), a.seq));
            }
            Some((k, _)) if *k == signing_keyid => {}
            Some((k, by)) => {
                t.continuity.push(problem(
                    &a.name,
                    Some(a.seq),
                    format!(
                        "signed by {signing_keyid}, but \"{principal}\" signs with {k} since {} and no key-rotation record signed by that key introduced this one",
                        record_file_name(*by)
                    ),
                ));
                continue;
            }
        }
        if let Body::Rotation(r) = body {
            let new = &r.predicate.new_key;
            match ssh_key::PublicKey::from_openssh(&new.public_key) {
                Ok(pk) if keyid(pk.key_data()) == new.keyid => {
                    t.rotations += 1;
                    pinned.insert(principal.clone(), (new.keyid.clone(), a.seq));
                    t.introduced.insert((principal.clone(), new.keyid.clone()));
                }
                Ok(_) => t.continuity.push(problem(
                    &a.name,
                    Some(a.seq),
                    format!(
                        "key rotation names newKey.keyid {} but its publicKey has another fingerprint",
                        new.keyid
                    ),
                )),
                Err(e) => t.continuity.push(problem(
                    &a.name,
                    Some(a.seq),
                    format!("key rotation: newKey.publicKey is not an OpenSSH key: {e}"),
                )),
            }
        }
        if a.sshsig.is_ok() {
            if !t.signing_keys.contains(key) {
                t.signing_keys.push(key.clone());
            }
            if at != i64::MIN {
                t.last_signed_at = Some(at);
            }
        }
    }
    t.pinned = pinned.into_iter().map(|(op, (k, _))| (op, k)).collect();
    t
}

fn result(
    check: Check,
    problems: Vec<Problem>,
    fail: bool,
    ok_summary: String,
    bad_summary: String,
) -> CheckResult {
    let outcome = if problems.is_empty() {
        Outcome::Pass
    } else if fail {
        Outcome::Fail
    } else {
        Outcome::Warn
    };
    CheckResult {
        check,
        outcome,
        summary: if problems.is_empty() {
            ok_summary
        } else {
            bad_summary
        },
        problems,
    }
}

fn problem(file: &str, seq: Option<u64>, reason: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        seq,
        reason: reason.into(),
    }
}

fn check_layout(listing: &LedgerListing) -> CheckResult {
    let mut problems = Vec::new();
    for seq in &listing.signatures {
        if listing.records.binary_search(seq).is_err() {
            problems.push(problem(
                &format!("{}{SIG_SUFFIX}", record_file_name(*seq)),
                Some(*seq),
                format!("signature without its record {}", record_file_name(*seq)),
            ));
        }
    }
    let failing = !problems.is_empty();
    for name in &listing.unexpected {
        problems.push(problem(
            name,
            None,
            "unexpected file in the ledger directory",
        ));
    }
    let n = listing.records.len();
    let mut r = result(
        Check::Layout,
        problems,
        failing,
        format!("{n} record{}", if n == 1 { "" } else { "s" }),
        format!("{n} records; see below"),
    );
    if r.outcome == Outcome::Warn {
        r.summary = format!("{n} records; unexpected files present");
    }
    r
}

fn check_envelopes(analyses: &[RecordAnalysis]) -> CheckResult {
    let problems: Vec<Problem> = analyses
        .iter()
        .filter_map(|a| {
            a.envelope
                .as_ref()
                .err()
                .map(|e| problem(&a.name, Some(a.seq), e.clone()))
        })
        .collect();
    let n = analyses.len();
    let good = n - problems.len();
    result(
        Check::Envelopes,
        problems,
        true,
        format!("{n} of {n} verify, each by its operator's key"),
        format!("{good} of {n} verify"),
    )
}

fn check_statements(analyses: &[RecordAnalysis]) -> CheckResult {
    let mut skipped = 0;
    let mut problems = Vec::new();
    for a in analyses {
        match &a.statement {
            None => skipped += 1,
            Some(Err(e)) => problems.push(problem(&a.name, Some(a.seq), e.clone())),
            Some(Ok(_)) => {}
        }
    }
    let n = analyses.len();
    let ok = n - skipped - problems.len();
    let note = if skipped > 0 {
        format!("; {skipped} not read (envelope does not verify)")
    } else {
        String::new()
    };
    result(
        Check::Statements,
        problems,
        true,
        format!(
            "{ok} of {n} are stationward statements (sign-off, key rotation or countersignature){note}"
        ),
        format!("{ok} of {n} are valid{note}"),
    )
}

fn check_sshsigs(analyses: &[RecordAnalysis]) -> CheckResult {
    let problems: Vec<Problem> = analyses
        .iter()
        .filter_map(|a| {
            a.sshsig
                .as_ref()
                .err()
                .map(|e| problem(&a.name, Some(a.seq), e.clone()))
        })
        .collect();
    let n = analyses.len();
    let good = n - problems.len();
    result(
        Check::SshSignatures,
        problems,
        true,
        format!("{n} of {n} verify in namespace {}", super::NAMESPACE),
        format!("{good} of {n} verify"),
    )
}

fn trusted(a: &RecordAnalysis) -> Option<&Body> {
    match (&a.envelope, &a.statement) {
        (Ok(()), Some(Ok(s))) => Some(s),
        _ => None,
    }
}

fn check_chain(analyses: &[RecordAnalysis]) -> CheckResult {
    let mut problems = Vec::new();
    let mut unchecked = 0;
    let mut expected_seq = 1u64;
    let mut previous: Option<&RecordAnalysis> = None;
    for a in analyses {
        if a.seq != expected_seq {
            let missing = if a.seq == expected_seq + 1 {
                record_file_name(expected_seq)
            } else {
                format!(
                    "{} to {}",
                    record_file_name(expected_seq),
                    record_file_name(a.seq - 1)
                )
            };
            problems.push(problem(
                &a.name,
                Some(expected_seq),
                format!("sequence gap: {missing} missing before this record"),
            ));
        }
        expected_seq = a.seq + 1;
        let Some(statement) = trusted(a) else {
            unchecked += 1;
            previous = Some(a);
            continue;
        };
        let link = statement.ledger();
        if link.seq != a.seq {
            problems.push(problem(
                &a.name,
                Some(a.seq),
                format!(
                    "holds record seq {} (records renamed, swapped or reordered)",
                    link.seq
                ),
            ));
        }
        if a.seq == 1 {
            if link.prev.sha256 != GENESIS_PREV {
                problems.push(problem(
                    &a.name,
                    Some(a.seq),
                    "first record's prev.sha256 is not 64 zeros (earlier records removed?)",
                ));
            }
        } else if let Some(p) = previous.filter(|p| p.seq + 1 == a.seq) {
            match &p.sha256 {
                Some(h) if *h == link.prev.sha256 => {}
                Some(_) => problems.push(problem(
                    &a.name,
                    Some(a.seq),
                    format!(
                        "prev.sha256 does not match the SHA-256 of {} (that record was changed or replaced)",
                        p.name
                    ),
                )),
                None => {}
            }
        }
        previous = Some(a);
    }
    let n = analyses.len();
    let note = if unchecked > 0 {
        format!("; {unchecked} links not checked (record does not verify)")
    } else {
        String::new()
    };
    let last = analyses.last().map_or(0, |a| a.seq);
    result(
        Check::Chain,
        problems,
        true,
        if n == 0 {
            "empty ledger".to_string()
        } else {
            format!("records 1 to {last} linked, no gaps{note}")
        },
        format!("broken{note}"),
    )
}

fn check_continuity(t: &Trusting) -> CheckResult {
    result(
        Check::Continuity,
        t.continuity.clone(),
        true,
        format!(
            "each operator signs with the key of their first record{}",
            match t.rotations {
                0 => String::new(),
                1 => " (1 key rotation)".to_string(),
                n => format!(" ({n} key rotations)"),
            }
        ),
        "an operator's key changed without a key-rotation record".into(),
    )
}

fn check_manifest(
    dir: &Path,
    listing: &LedgerListing,
    analyses: &[RecordAnalysis],
    anchors: &Anchors,
    trusting: &Trusting,
) -> CheckResult {
    let mut problems = Vec::new();
    let mut signed_by: Vec<String> = Vec::new();
    if !listing.manifest {
        if listing.records.is_empty() {
            return CheckResult {
                check: Check::Manifest,
                outcome: Outcome::Skipped,
                summary: "no records, no manifest".to_string(),
                problems,
            };
        }
        problems.push(problem(MANIFEST, None, "missing"));
        return result(
            Check::Manifest,
            problems,
            true,
            String::new(),
            "missing".into(),
        );
    }
    let path = dir.join(MANIFEST);
    let text = match read_ledger_file(&path, MAX_MANIFEST_BYTES) {
        Ok(b) => b,
        Err(e) => {
            problems.push(problem(MANIFEST, None, format!("cannot read: {e}")));
            return result(
                Check::Manifest,
                problems,
                true,
                String::new(),
                "unreadable".into(),
            );
        }
    };
    match read_ledger_file(&dir.join(MANIFEST_SIG), MAX_SIG_BYTES) {
        Err(ReadError::NotFound) => {
            problems.push(problem(MANIFEST_SIG, None, "missing"));
        }
        Err(e) => problems.push(problem(MANIFEST_SIG, None, format!("cannot read: {e}"))),
        Ok(sig) => match sshsig::verify_signature(&sig, &text) {
            Err(e) => problems.push(problem(MANIFEST_SIG, None, e.to_string())),
            Ok(key) => {
                // Signed by whoever appended last: a key that signed a record of this chain
                // and that the anchors trust for some operator.
                let at = trusting
                    .last_signed_at
                    .unwrap_or_else(crate::date::unix_now_secs);
                signed_by = anchors.principals_for(&key, at, &trusting.introduced);
                if signed_by.is_empty() {
                    let reason = match anchors.allowed_signers() {
                        Some(s) if !anchors.knows(&key) => {
                            Refusal::KeyNotListed.describe("", &s.path)
                        }
                        _ => format!("signing key {} is not trusted by the anchors", keyid(&key)),
                    };
                    problems.push(problem(MANIFEST_SIG, None, reason));
                } else if !trusting.signing_keys.contains(&key) {
                    problems.push(problem(
                        MANIFEST_SIG,
                        None,
                        format!(
                            "signed by {} ({}), a key that signed no verified record of this ledger",
                            keyid(&key),
                            signed_by.join(", ")
                        ),
                    ));
                }
            }
        },
    }
    let entries = match std::str::from_utf8(&text)
        .map_err(|_| (1, "not UTF-8 text".to_string()))
        .and_then(ledger::parse_manifest)
    {
        Ok(e) => e,
        Err((line, reason)) => {
            problems.push(problem(MANIFEST, None, format!("line {line}: {reason}")));
            return result(
                Check::Manifest,
                problems,
                true,
                String::new(),
                "unreadable".into(),
            );
        }
    };
    let mut actual: BTreeMap<String, (Option<u64>, Option<&String>)> = BTreeMap::new();
    for a in analyses {
        actual.insert(a.name.clone(), (Some(a.seq), a.sha256.as_ref()));
        if a.sig_sha256.is_some() {
            actual.insert(
                format!("{}{SIG_SUFFIX}", a.name),
                (Some(a.seq), a.sig_sha256.as_ref()),
            );
        }
    }
    for &seq in &listing.signatures {
        let name = format!("{}{SIG_SUFFIX}", record_file_name(seq));
        if !actual.contains_key(&name) {
            let hash = read_ledger_file(&dir.join(&name), MAX_SIG_BYTES)
                .ok()
                .map(|b| sha256_hex(&b));
            problems.push(match hash {
                Some(_) => problem(&name, Some(seq), "present but its record is not"),
                None => problem(&name, Some(seq), "unreadable"),
            });
        }
    }
    let mut listed = HashMap::new();
    for (name, hex) in &entries {
        listed.insert(name.as_str(), hex.as_str());
        let seq = ledger::record_seq(name)
            .or_else(|| name.strip_suffix(SIG_SUFFIX).and_then(ledger::record_seq));
        match actual.get(name) {
            None => problems.push(problem(
                name,
                seq,
                "listed in SHA256SUMS but missing from the ledger (records deleted?)",
            )),
            Some((_, Some(h))) if *h == hex => {}
            Some((seq, Some(h))) => problems.push(problem(
                name,
                *seq,
                format!("SHA-256 is {h}, SHA256SUMS says {hex}"),
            )),
            Some((_, None)) => {}
        }
    }
    for (name, (seq, _)) in &actual {
        if !listed.contains_key(name.as_str()) {
            problems.push(problem(name, *seq, "not listed in SHA256SUMS"));
        }
    }
    let n = entries.len();
    result(
        Check::Manifest,
        problems,
        true,
        format!(
            "{n} files match, signature by {} verifies",
            if signed_by.is_empty() {
                "?".to_string()
            } else {
                signed_by.join(", ")
            }
        ),
        "does not match the ledger".into(),
    )
}

fn check_evidence(evidence_dir: &Path, analyses: &[RecordAnalysis]) -> CheckResult {
    let mut problems = Vec::new();
    let mut seen: HashMap<String, Option<String>> = HashMap::new();
    let mut count = 0usize;
    let shown_dir = evidence_dir.parent().and_then(Path::file_name).map_or_else(
        || evidence_dir.display().to_string(),
        |p| format!("{}/sha256", p.to_string_lossy()),
    );
    for a in analyses {
        let Some(statement) = trusted(a) else {
            continue;
        };
        // Every attachment a control names is a subject (so it is re-hashed below and by
        // `sha256sum`): an entry without one would be a digest nobody checks.
        if let Body::SignOff(signoff) = statement {
            for c in &signoff.predicate.controls {
                for at in &c.attachments {
                    let name = format!("{}/{}", c.id, at.name);
                    let listed = statement
                        .subject()
                        .iter()
                        .any(|s| s.name == name && s.digest.sha256 == at.sha256);
                    if !listed {
                        problems.push(problem(
                            &a.name,
                            Some(a.seq),
                            format!(
                                "attachment \"{name}\" (SHA-256 {}) is not in the statement's subject list",
                                at.sha256
                            ),
                        ));
                    }
                }
            }
        }
        for subject in statement.subject() {
            count += 1;
            let hex = &subject.digest.sha256;
            if !is_sha256_hex(hex) {
                problems.push(problem(
                    &a.name,
                    Some(a.seq),
                    format!("subject \"{}\" has an invalid sha256 digest", subject.name),
                ));
                continue;
            }
            let failure = seen
                .entry(hex.clone())
                .or_insert_with(|| {
                    match fsread::read_small(
                        &evidence_dir.join(hex),
                        MAX_EVIDENCE_BYTES,
                        Follow::No,
                    ) {
                        Ok(bytes) if sha256_hex(&bytes) == *hex => None,
                        Ok(bytes) => Some(format!(
                            "was altered: its SHA-256 is now {}",
                            sha256_hex(&bytes)
                        )),
                        Err(ReadError::NotFound) => Some("is missing".to_string()),
                        Err(e) => Some(format!("cannot be read: {e}")),
                    }
                })
                .clone();
            if let Some(reason) = failure {
                problems.push(problem(
                    &a.name,
                    Some(a.seq),
                    format!("evidence \"{}\" ({shown_dir}/{hex}) {reason}", subject.name),
                ));
            }
        }
    }
    let distinct = seen.len();
    result(
        Check::Evidence,
        problems,
        true,
        format!("{count} subjects, {distinct} distinct files re-hashed"),
        format!("{count} subjects checked"),
    )
}

fn check_timestamps(analyses: &[RecordAnalysis]) -> CheckResult {
    let mut problems = Vec::new();
    let mut last: Option<(i64, &str)> = None;
    for a in analyses {
        let Some(statement) = trusted(a) else {
            continue;
        };
        let at = statement.signed_at();
        match crate::date::parse_rfc3339_utc(at) {
            None => problems.push(problem(
                &a.name,
                Some(a.seq),
                format!("signedAt \"{at}\" is not an RFC 3339 UTC time"),
            )),
            Some(t) => {
                if let Some((prev, prev_at)) = last
                    && t < prev
                {
                    problems.push(problem(
                        &a.name,
                        Some(a.seq),
                        format!("signedAt {at} is earlier than the previous record's {prev_at}"),
                    ));
                }
                last = Some((t, at));
            }
        }
    }
    result(
        Check::Timestamps,
        problems,
        false,
        "signing times never go backwards (the station's own clock)".into(),
        "clock went backwards (warning only)".into(),
    )
}

fn check_expected_head(expect: Option<&LedgerHead>, analyses: &[RecordAnalysis]) -> CheckResult {
    let Some(expect) = expect else {
        return CheckResult {
            check: Check::ExpectedHead,
            outcome: Outcome::Skipped,
            summary: "no --expect-head given (a deleted tail is only caught with one)".into(),
            problems: Vec::new(),
        };
    };
    let name = record_file_name(expect.seq);
    let mut problems = Vec::new();
    match analyses.iter().find(|a| a.seq == expect.seq) {
        None => {
            let newest = analyses.last().map_or_else(
                || "the ledger is empty".to_string(),
                |a| format!("the newest record is {}", a.name),
            );
            problems.push(problem(
                &name,
                Some(expect.seq),
                format!("expected head {name} is missing; {newest} (records deleted at the tail?)"),
            ));
        }
        Some(a) => match &a.sha256 {
            Some(h) if *h == expect.sha256 => {}
            Some(h) => problems.push(problem(
                &name,
                Some(expect.seq),
                format!("SHA-256 is {h}, expected {}", expect.sha256),
            )),
            None => problems.push(problem(&name, Some(expect.seq), "unreadable")),
        },
    }
    let after = analyses.iter().filter(|a| a.seq > expect.seq).count();
    result(
        Check::ExpectedHead,
        problems,
        true,
        if after == 0 {
            format!("the ledger ends at {expect}")
        } else {
            format!("the ledger holds {expect} and {after} newer record(s)")
        },
        format!("does not extend {expect}"),
    )
}
