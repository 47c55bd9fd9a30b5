//! From a walkthrough to a signed record: the predicate, the evidence, the append.

use super::Signer;
use super::ledger::{Appended, EvidenceFile, LedgerError, LedgerHead, append_record_reporting};
use super::statement::{
    AttachmentRecord, ChecklistRef, ControlRecord, FindingRecord, HostRef, Method, Predicate,
    ToolRef, Verdict, WaiverRecord,
};
use crate::checklist::{self, Checklist};
use crate::date::Date;
use crate::policy::{Policy, WaiverState};
use crate::scan::Scan;
use crate::walkthrough::{self, Walkthrough};
use std::path::Path;

/// Name of the scan document attached to every record.
pub const SCAN_EVIDENCE_NAME: &str = "scan.json";

/// The predicate for `walkthrough`, with the findings each control showed when its verdict
/// was recorded (or the current ones for a control left NOT_ASSESSED).
pub fn predicate(
    walkthrough: &Walkthrough,
    checklist: &Checklist,
    scan: &Scan,
    policy: &Policy,
    today: Date,
) -> Predicate {
    let controls = walkthrough
        .controls
        .iter()
        .map(|rec| {
            let findings = if rec.findings.is_empty() {
                walkthrough::snapshot(checklist, &rec.id, &scan.findings)
            } else {
                rec.findings.clone()
            };
            // The waiver in force today for this control, if any.
            let waiver = policy
                .waivers_for(&rec.id)
                .filter(|w| matches!(w.state(today), WaiverState::Active { .. }))
                .max_by_key(|w| w.expires)
                .map(|w| WaiverRecord {
                    justification: w.justification.clone(),
                    approver: w.approver.clone(),
                    expires: w.expires.to_string(),
                });
            ControlRecord {
                id: rec.id.clone(),
                verdict: verdict(rec.verdict),
                note: rec.note.clone(),
                method: method(rec.method),
                findings: findings
                    .iter()
                    .map(|f| FindingRecord {
                        check: f.check.clone(),
                        status: f.status.as_str().to_string(),
                        summary: f.summary.clone(),
                    })
                    .collect(),
                waiver,
                attachments: rec
                    .attachments
                    .iter()
                    .map(|a| AttachmentRecord {
                        name: a.name.clone(),
                        media_type: a.media_type.clone(),
                        size: a.size,
                        sha256: a.sha256.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    Predicate {
        checklist: ChecklistRef {
            id: walkthrough.checklist.id.clone(),
            version: walkthrough.checklist.version.clone(),
            digest: format!("sha256:{}", walkthrough.checklist.digest),
        },
        host: HostRef {
            hostname: scan.host.hostname.clone(),
            os: scan.host.os.clone(),
            kernel: scan.host.kernel.clone(),
            machine_id_hmac: scan.host.machine_id_hmac.clone(),
            snapshot: scan.facts.windows.as_ref().map(|w| w.snapshot.digest()),
        },
        tool: ToolRef::default(),
        started_at: walkthrough.started_at.clone(),
        privileged: scan.privileged,
        controls,
        ..Predicate::default()
    }
}

fn verdict(v: walkthrough::Verdict) -> Verdict {
    match v {
        walkthrough::Verdict::Passed => Verdict::Passed,
        walkthrough::Verdict::Failed => Verdict::Failed,
        walkthrough::Verdict::Warned => Verdict::Warned,
        walkthrough::Verdict::NotApplicable => Verdict::NotApplicable,
        walkthrough::Verdict::NotAssessed => Verdict::NotAssessed,
    }
}

fn method(m: checklist::Method) -> Method {
    match m {
        checklist::Method::Test => Method::Test,
        checklist::Method::Examine => Method::Examine,
        checklist::Method::Interview => Method::Interview,
    }
}

/// The scan (facts and findings: configuration state, never patient data) as evidence.
pub fn evidence(scan: &Scan) -> Result<Vec<EvidenceFile>, LedgerError> {
    let mut bytes = serde_json::to_vec_pretty(scan).map_err(|e| LedgerError::Encode {
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(vec![EvidenceFile {
        name: SCAN_EVIDENCE_NAME.to_string(),
        bytes,
    }])
}

/// Signs `walkthrough` into the ledger under `data_dir`, with its attachments (re-hashed from
/// the evidence store first); the caller marks it signed and saves it.
pub fn sign(
    data_dir: &Path,
    signer: &Signer,
    walkthrough: &Walkthrough,
    checklist: &Checklist,
    scan: &Scan,
    policy: &Policy,
) -> Result<LedgerHead, LedgerError> {
    sign_reporting(data_dir, signer, walkthrough, checklist, scan, policy).map(|a| a.head)
}

/// [`sign`], also saying what was repaired in the ledger before appending.
pub fn sign_reporting(
    data_dir: &Path,
    signer: &Signer,
    walkthrough: &Walkthrough,
    checklist: &Checklist,
    scan: &Scan,
    policy: &Policy,
) -> Result<Appended, LedgerError> {
    let predicate = predicate(walkthrough, checklist, scan, policy, Date::today_utc());
    let mut files = evidence(scan)?;
    files.extend(super::attachments::evidence_files(data_dir, walkthrough)?);
    append_record_reporting(
        data_dir,
        signer,
        predicate,
        &files,
        crate::date::unix_now_secs(),
    )
}
