//! A signed record as a summary. A record is printed only from its ledger, and only when that
//! ledger verifies under the trust anchors the caller names (never a file that merely lies
//! beside the record): every signature, the chain, key continuity, the manifest, evidence.

use super::summary::{
    AttachmentRow, Countersignature, RecordControl, RecordParts, RecordWaiver, SignedRecordInfo,
    Summary, parse_status,
};
use crate::attest::allowed_signers::AllowedSigners;
use crate::attest::dsse;
use crate::attest::ledger;
use crate::attest::statement::{self, Body};
use crate::attest::trust::{Anchors, SignersOrigin};
use crate::attest::verify::{self, VerifyOptions};
use crate::checklist::{self, Checklist};
use crate::scan::Tool;
use crate::walkthrough::{FindingSnapshot, Verdict};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    /// The record or its ledger does not verify under the anchors.
    #[error("{path}: {reason}")]
    Untrusted { path: String, reason: String },
}

/// [`summary_of_ledger_record`] with a data directory's own `allowed_signers` as the anchor
/// (what the TUI's export uses right after signing).
pub fn summary_of_record(
    path: &Path,
    signers: &AllowedSigners,
    checklist: Option<&Checklist>,
) -> Result<Summary, RecordError> {
    let anchors = Anchors {
        signers: Some((signers.clone(), SignersOrigin::Station)),
        expect_keys: Vec::new(),
    };
    summary_of_ledger_record(path, &anchors, checklist)
}

/// Verifies the ledger that holds the record at `path` (its directory, with `evidence/`
/// beside it) under `anchors`, then builds the record's summary. Refused: a path that is not
/// a record in a ledger, a ledger that does not verify, a key-rotation record. A record that
/// is not the ledger's head is printed with a notice saying so.
pub fn summary_of_ledger_record(
    path: &Path,
    anchors: &Anchors,
    checklist: Option<&Checklist>,
) -> Result<Summary, RecordError> {
    let shown = crate::text::for_terminal(&path.display().to_string()).into_owned();
    let invalid = |reason: String| RecordError::Invalid {
        path: shown.clone(),
        reason,
    };
    let seq = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(ledger::record_seq)
        .ok_or_else(|| {
            invalid(
                "not a ledger record (NNNNNN.dsse.json); a summary is printed from a record in its ledger/ directory".into(),
            )
        })?;
    let bytes =
        crate::fsread::read_small(path, verify::MAX_RECORD_BYTES, crate::fsread::Follow::Yes)
            .map_err(|e| RecordError::Read {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let options = VerifyOptions::for_ledger_dir(dir, None);
    let report = verify::verify_with_anchors(&options, anchors).map_err(|e| RecordError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let untrusted = |reason: String| RecordError::Untrusted {
        path: shown.clone(),
        reason,
    };
    if let Some((check, p)) = report.first_broken() {
        return Err(untrusted(format!(
            "its ledger does not verify ({}: {}: {}); not printed. Run `stationward verify {}`",
            check.title(),
            crate::text::for_terminal(&p.file),
            crate::text::for_terminal(&p.reason),
            crate::text::for_terminal(&dir.display().to_string())
        )));
    }
    let verified = report
        .record_summaries
        .iter()
        .find(|r| r.seq == seq)
        .ok_or_else(|| untrusted("not found in its ledger".into()))?;
    let sha256 = crate::attest::sha256_hex(&bytes);
    if verified.sha256.as_deref() != Some(sha256.as_str()) {
        return Err(untrusted(
            "changed while its ledger was being verified; not printed".into(),
        ));
    }
    let envelope = dsse::open(&bytes).map_err(|e| invalid(e.to_string()))?;
    let statement = match Body::from_bytes(&envelope.payload).map_err(|e| invalid(e.to_string()))? {
        Body::SignOff(s) => *s,
        Body::Rotation(r) => {
            return Err(invalid(format!(
                "a key-rotation record (operator \"{}\" moved to key {}), not a sign-off",
                crate::text::for_terminal(&r.predicate.operator.id),
                r.predicate.new_key.keyid
            )));
        }
        Body::Countersign(c) => {
            return Err(invalid(format!(
                "a countersignature ({} of {} by \"{}\"), not a sign-off; print the summary of {} to see it",
                c.predicate.verdict.as_str(),
                ledger::record_file_name(c.predicate.record.seq),
                crate::text::for_terminal(&c.predicate.operator.id),
                ledger::record_file_name(c.predicate.record.seq),
            )));
        }
    };
    let p = &statement.predicate;
    let operator = p.operator.id.clone();
    let parts = RecordParts {
        hostname: p.host.hostname.clone(),
        os: p.host.os.clone(),
        kernel: match &p.host.snapshot {
            Some(digest) => format!("{} (Windows snapshot {digest})", p.host.kernel),
            None => p.host.kernel.clone(),
        },
        checklist_id: p.checklist.id.clone(),
        checklist_version: p.checklist.version.clone(),
        checklist_digest: p.checklist.digest.clone(),
        operator: Some(operator.clone()),
        tool: Tool {
            name: p.tool.name.clone(),
            version: p.tool.version.clone(),
        },
        started_at: p.started_at.clone(),
        signed_at: Some(p.signed_at.clone()),
        privileged: Some(p.privileged),
        role: None,
        site: None,
        controls: p.controls.iter().map(control).collect(),
    };
    let info = SignedRecordInfo {
        record_file: path.display().to_string(),
        keyid: p.operator.keyid.clone(),
        operator,
        seq: p.ledger.seq,
        sha256,
        signed_at: p.signed_at.clone(),
    };
    let mut summary = Summary::from_parts(parts, checklist, Some(info));
    if let Some(a) = summary.attestation.as_mut() {
        a.trust = Some(report.trust.clone());
        a.countersignatures = report
            .countersigns
            .iter()
            .filter(|c| c.record == seq && c.problem.is_none())
            .map(|c| Countersignature {
                record_file: ledger::record_file_name(c.seq),
                operator: c.operator.clone(),
                keyid: c.keyid.clone(),
                verdict: c.verdict.as_str().to_string(),
                note: c.note.clone(),
                signed_at: c.signed_at.clone(),
            })
            .collect();
        // Countersignatures of this record after it do not make it stale.
        let newer_other = report.record_summaries.iter().any(|r| {
            r.seq > seq
                && !report
                    .countersigns
                    .iter()
                    .any(|c| c.seq == r.seq && c.record == seq)
        });
        if let Some(head) = report.head.as_ref().filter(|h| h.seq != seq && newer_other) {
            a.notice = Some(format!(
                "NOT THE NEWEST RECORD: this is record {seq} of a ledger whose head is {head}; newer records exist"
            ));
        }
    }
    Ok(summary)
}

fn control(c: &statement::ControlRecord) -> RecordControl {
    RecordControl {
        id: c.id.clone(),
        verdict: Verdict::parse(c.verdict.as_str()).unwrap_or(Verdict::NotAssessed),
        note: c.note.clone(),
        method: match c.method {
            statement::Method::Test => checklist::Method::Test,
            statement::Method::Examine => checklist::Method::Examine,
            statement::Method::Interview => checklist::Method::Interview,
        },
        findings: c
            .findings
            .iter()
            .filter_map(|f| {
                Some(FindingSnapshot {
                    check: f.check.clone(),
                    status: parse_status(&f.status)?,
                    summary: f.summary.clone(),
                    waived: false,
                })
            })
            .collect(),
        attachments: c
            .attachments
            .iter()
            .map(|a| AttachmentRow {
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                size: a.size,
                sha256: a.sha256.clone(),
            })
            .collect(),
        waiver: c.waiver.as_ref().map(|w| RecordWaiver {
            justification: w.justification.clone(),
            approver: w.approver.clone(),
            expires: w.expires.clone(),
        }),
    }
}
