//! A signed record as a summary: open the envelope, check its signature against
//! `allowed_signers`, and map the predicate into the report's neutral parts.

use super::summary::{
    RecordControl, RecordParts, RecordWaiver, SignedRecordInfo, Summary, parse_status,
};
use crate::attest::allowed_signers::AllowedSigners;
use crate::attest::dsse;
use crate::attest::statement::{self, Statement};
use crate::checklist::{self, Checklist};
use crate::scan::Tool;
use crate::walkthrough::{FindingSnapshot, Verdict};
use std::path::Path;

/// Records are one line of JSON; anything much larger is not one of ours.
const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    /// The envelope is not signed by a key `allowed_signers` lists for the record's operator.
    #[error("{path}: {reason}")]
    Untrusted { path: String, reason: String },
}

/// Reads the record at `path`, verifies its DSSE signature with a key that `signers` lists
/// for the operator the record names, and builds its summary.
pub fn summary_of_record(
    path: &Path,
    signers: &AllowedSigners,
    checklist: Option<&Checklist>,
) -> Result<Summary, RecordError> {
    let shown = path.display().to_string();
    let bytes = read_capped(path).map_err(|reason| RecordError::Read {
        path: shown.clone(),
        reason,
    })?;
    let invalid = |reason: String| RecordError::Invalid {
        path: shown.clone(),
        reason,
    };
    let envelope = dsse::open(&bytes).map_err(|e| invalid(e.to_string()))?;
    // The payload is untrusted until a signature checks; only the operator id is read first,
    // to know which keys may have signed it.
    let statement = Statement::from_bytes(&envelope.payload).map_err(|e| invalid(e.to_string()))?;
    let operator = statement.predicate.operator.id.clone();
    let signed = signers.keys().into_iter().any(|key| {
        signers.lists(key.key_data(), &operator)
            && key
                .key_data()
                .ed25519()
                .and_then(|raw| ed25519_dalek::VerifyingKey::from_bytes(&raw.0).ok())
                .is_some_and(|vk| envelope.verify(&vk).is_some())
    });
    if !signed {
        return Err(RecordError::Untrusted {
            path: shown,
            reason: format!(
                "the envelope signature does not verify with any key allowed_signers lists for \"{operator}\"; run `stationward verify`"
            ),
        });
    }
    let p = &statement.predicate;
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
        record_file: shown,
        keyid: p.operator.keyid.clone(),
        operator,
        seq: p.ledger.seq,
        sha256: crate::attest::sha256_hex(&bytes),
        signed_at: p.signed_at.clone(),
    };
    Ok(Summary::from_parts(parts, checklist, Some(info)))
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
        waiver: c.waiver.as_ref().map(|w| RecordWaiver {
            justification: w.justification.clone(),
            approver: w.approver.clone(),
            expires: w.expires.clone(),
        }),
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| crate::input::io_reason(&e))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::input::io_reason(&e))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err("larger than any record stationward writes".into());
    }
    Ok(bytes)
}
