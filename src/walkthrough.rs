//! One technician's pass through a checklist on one host: per control the verdict, the note
//! and the automated findings shown at the time. Autosaved after every change; resumable.

pub mod answers;
pub mod store;

use crate::checklist::{Checklist, Method};
use crate::checks::{Finding, Status};
use crate::date::{rfc3339_utc, unix_now_secs};
use crate::inspect::identity::HostIdentity;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bumped when the saved shape changes incompatibly.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    #[default]
    NotAssessed,
    Passed,
    Failed,
    Warned,
    NotApplicable,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Passed,
        Verdict::Failed,
        Verdict::Warned,
        Verdict::NotApplicable,
        Verdict::NotAssessed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotAssessed => "NOT_ASSESSED",
            Verdict::Passed => "PASSED",
            Verdict::Failed => "FAILED",
            Verdict::Warned => "WARNED",
            Verdict::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Glyph and word, so a verdict never rests on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotAssessed => "· NOT ASSESSED",
            Verdict::Passed => "✔ PASSED",
            Verdict::Failed => "✘ FAILED",
            Verdict::Warned => "! WARNED",
            Verdict::NotApplicable => "– N/A",
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Verdict::NotAssessed => "·",
            Verdict::Passed => "✔",
            Verdict::Failed => "✘",
            Verdict::Warned => "!",
            Verdict::NotApplicable => "–",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding as the technician saw it when recording the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingSnapshot {
    pub check: String,
    pub status: Status,
    pub summary: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
}

impl FindingSnapshot {
    pub fn of(f: &Finding) -> FindingSnapshot {
        FindingSnapshot {
            check: f.check.clone(),
            status: f.status,
            summary: f.summary.clone(),
            waived: f.waived(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRecord {
    pub id: String,
    pub verdict: Verdict,
    #[serde(default)]
    pub note: String,
    pub method: Method,
    #[serde(default)]
    pub findings: Vec<FindingSnapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Files the technician attached as evidence (already copied into the data directory's
    /// evidence store by the attest layer, which is the only writer of that store).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// Largest file that can be attached to a control (20 MiB: a photo, a scanned form, an ACL
/// export). Stated in the README.
pub const MAX_ATTACHMENT_BYTES: u64 = 20 * 1024 * 1024;
/// Largest total of all attachments of one walkthrough (100 MiB): the signer reads them all
/// back to sign, and the auditor copies the evidence directory.
pub const MAX_ATTACHMENTS_TOTAL_BYTES: u64 = 100 * 1024 * 1024;

/// A file attached to a control: what the statement names. The bytes live content-addressed
/// in the data directory (`evidence/sha256/<sha256>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// The file's own name (no directory), as the technician chose it.
    pub name: String,
    /// Guessed from the content's first bytes, never from the name.
    pub media_type: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// Why an attachment was not added or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("no control {0} in this walkthrough")]
    UnknownControl(String),
    #[error("this walkthrough is signed and can no longer change")]
    Signed,
    #[error("{control} already has an attachment named \"{name}\" (remove it first)")]
    SameName { control: String, name: String },
    #[error("{control} already has this file attached (as \"{name}\")")]
    SameContent { control: String, name: String },
    #[error("is {size} bytes, larger than the {limit}-byte limit per attached file")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "is {size} bytes and the walkthrough's attachments already total {used} bytes: over the {limit}-byte limit per walkthrough"
    )]
    TotalTooLarge { size: u64, used: u64, limit: u64 },
    #[error("{control} has no attachment number {number}")]
    NoSuchAttachment { control: String, number: usize },
}

/// What identifies the host a walkthrough belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKey {
    pub hostname: String,
    pub machine_id_hmac: String,
    /// The offline tree walked, if not the live host.
    pub root: Option<String>,
}

impl HostKey {
    pub fn of(identity: &HostIdentity, root: Option<String>) -> HostKey {
        HostKey {
            hostname: identity.hostname.clone(),
            machine_id_hmac: identity.machine_id_hmac.clone(),
            root,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistRef {
    pub id: String,
    pub version: String,
    pub digest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    InProgress,
    /// Signed into the ledger; never resumed.
    Signed {
        seq: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walkthrough {
    pub format: u32,
    pub host: HostKey,
    pub checklist: ChecklistRef,
    pub started_at: String,
    pub updated_at: String,
    pub stage: Stage,
    pub controls: Vec<ControlRecord>,
}

/// Why a verdict change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerdictError {
    #[error("no control {0} in this walkthrough")]
    UnknownControl(String),
    #[error(
        "{control}: an automated check fails or is unknown ({checks}); marking it PASSED needs a note saying how it was verified"
    )]
    NeedsJustification { control: String, checks: String },
    #[error("this walkthrough is signed and can no longer change")]
    Signed,
}

/// What setting a note did to the control's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteChange {
    Kept,
    /// The note was cleared on a PASSED control whose `checks` fail or are unknown: the
    /// verdict went back to NOT_ASSESSED.
    Reverted {
        checks: String,
    },
}

/// A control marked PASSED without the note its failing or unknown checks call for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unjustified {
    pub control: String,
    pub checks: Vec<String>,
}

impl fmt::Display for Unjustified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.control, self.checks.join(", "))
    }
}

/// Signing refused: the controls that break the justification rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not signed: PASSED without the note saying how it was verified while a check fails or is unknown: {}",
    .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
)]
pub struct SignRefused(pub Vec<Unjustified>);

/// The justification rule for one finding: PASSED over a check that fails, or whose outcome
/// is unknown, needs the technician's note on how it was verified by hand, unless an active
/// waiver excuses the finding.
pub fn needs_justification(status: Status, waived: bool) -> bool {
    matches!(status, Status::Fail | Status::Unknown) && !waived
}

/// The checks recorded with `record`'s verdict that leave it unjustified (PASSED, empty note).
fn unjustified_snapshot(record: &ControlRecord) -> Vec<String> {
    if record.verdict != Verdict::Passed || !record.note.trim().is_empty() {
        return Vec::new();
    }
    record
        .findings
        .iter()
        .filter(|f| needs_justification(f.status, f.waived))
        .map(|f| f.check.clone())
        .collect()
}

impl Walkthrough {
    pub fn new(checklist: &Checklist, host: HostKey) -> Walkthrough {
        let now = rfc3339_utc(unix_now_secs());
        Walkthrough {
            format: FORMAT,
            host,
            checklist: ChecklistRef {
                id: checklist.id.clone(),
                version: checklist.version.clone(),
                digest: checklist.digest.clone(),
            },
            started_at: now.clone(),
            updated_at: now,
            stage: Stage::InProgress,
            controls: checklist
                .controls
                .iter()
                .map(|c| ControlRecord {
                    id: c.id.clone(),
                    verdict: Verdict::NotAssessed,
                    note: String::new(),
                    method: c.method,
                    findings: Vec::new(),
                    updated_at: None,
                    attachments: Vec::new(),
                })
                .collect(),
        }
    }

    /// Bytes of all attachments of the walkthrough.
    pub fn attachments_total(&self) -> u64 {
        self.controls
            .iter()
            .flat_map(|c| &c.attachments)
            .map(|a| a.size)
            .fold(0u64, u64::saturating_add)
    }

    /// The most bytes a new attachment may have: the per-file limit, or what the
    /// per-walkthrough limit leaves (the caller reads no more than this).
    pub fn attachment_room(&self) -> u64 {
        MAX_ATTACHMENT_BYTES
            .min(MAX_ATTACHMENTS_TOTAL_BYTES.saturating_sub(self.attachments_total()))
    }

    /// Whether `size` more bytes may be attached, and if not, why (per file, per walkthrough).
    pub fn check_attachment_size(&self, size: u64) -> Result<(), AttachmentError> {
        if size > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentError::TooLarge {
                size,
                limit: MAX_ATTACHMENT_BYTES,
            });
        }
        let used = self.attachments_total();
        if used.saturating_add(size) > MAX_ATTACHMENTS_TOTAL_BYTES {
            return Err(AttachmentError::TotalTooLarge {
                size,
                used,
                limit: MAX_ATTACHMENTS_TOTAL_BYTES,
            });
        }
        Ok(())
    }

    /// Whether `control` could take another attachment now (open walkthrough, known
    /// control): asked before a file is read.
    pub fn can_attach(&self, control: &str) -> Result<(), AttachmentError> {
        if matches!(self.stage, Stage::Signed { .. }) {
            return Err(AttachmentError::Signed);
        }
        if self.control(control).is_none() {
            return Err(AttachmentError::UnknownControl(control.to_string()));
        }
        Ok(())
    }

    /// Records an attachment of `control` (its bytes already stored by the caller). Refused:
    /// a signed walkthrough, an unknown control, a second file of the same name or the same
    /// content on the control, and anything over the size limits.
    pub fn add_attachment(
        &mut self,
        control: &str,
        attachment: Attachment,
    ) -> Result<(), AttachmentError> {
        self.can_attach(control)?;
        self.check_attachment_size(attachment.size)?;
        let record = self
            .controls
            .iter_mut()
            .find(|c| c.id == control)
            .ok_or_else(|| AttachmentError::UnknownControl(control.to_string()))?;
        if let Some(a) = record
            .attachments
            .iter()
            .find(|a| a.sha256 == attachment.sha256)
        {
            return Err(AttachmentError::SameContent {
                control: control.to_string(),
                name: a.name.clone(),
            });
        }
        if record.attachments.iter().any(|a| a.name == attachment.name) {
            return Err(AttachmentError::SameName {
                control: control.to_string(),
                name: attachment.name,
            });
        }
        record.attachments.push(attachment);
        let now = rfc3339_utc(unix_now_secs());
        record.updated_at = Some(now.clone());
        self.updated_at = now;
        Ok(())
    }

    /// Removes attachment `number` (1-based, as listed) of `control`, before signing. The
    /// stored copy stays in the evidence store (content-addressed, maybe shared).
    pub fn remove_attachment(
        &mut self,
        control: &str,
        number: usize,
    ) -> Result<Attachment, AttachmentError> {
        if matches!(self.stage, Stage::Signed { .. }) {
            return Err(AttachmentError::Signed);
        }
        let record = self
            .controls
            .iter_mut()
            .find(|c| c.id == control)
            .ok_or_else(|| AttachmentError::UnknownControl(control.to_string()))?;
        if number == 0 || number > record.attachments.len() {
            return Err(AttachmentError::NoSuchAttachment {
                control: control.to_string(),
                number,
            });
        }
        let removed = record.attachments.remove(number - 1);
        let now = rfc3339_utc(unix_now_secs());
        record.updated_at = Some(now.clone());
        self.updated_at = now;
        Ok(removed)
    }

    pub fn control(&self, id: &str) -> Option<&ControlRecord> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// Checks of `control` that need the technician's word before PASSED (see
    /// [`needs_justification`]): failing or unknown now, not excused by an active waiver.
    pub fn failing_checks<'a>(
        checklist: &'a Checklist,
        control: &str,
        findings: &'a [Finding],
    ) -> Vec<&'a Finding> {
        let Some(c) = checklist.control(control) else {
            return Vec::new();
        };
        findings
            .iter()
            .filter(|f| c.checks.contains(&f.check) && needs_justification(f.status, f.waived()))
            .collect()
    }

    /// Records a verdict. PASSED over a failing or unknown automated check needs a
    /// justification note (the rule of [`Walkthrough::unjustified`]).
    /// `findings` are the current automated findings; the control's snapshot is refreshed.
    pub fn set_verdict(
        &mut self,
        checklist: &Checklist,
        control: &str,
        verdict: Verdict,
        findings: &[Finding],
    ) -> Result<(), VerdictError> {
        if matches!(self.stage, Stage::Signed { .. }) {
            return Err(VerdictError::Signed);
        }
        let failing = Self::failing_checks(checklist, control, findings);
        let record = self
            .controls
            .iter_mut()
            .find(|c| c.id == control)
            .ok_or_else(|| VerdictError::UnknownControl(control.to_string()))?;
        if verdict == Verdict::Passed && !failing.is_empty() && record.note.trim().is_empty() {
            return Err(VerdictError::NeedsJustification {
                control: control.to_string(),
                checks: failing
                    .iter()
                    .map(|f| f.check.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        record.verdict = verdict;
        record.findings = snapshot(checklist, control, findings);
        let now = rfc3339_utc(unix_now_secs());
        record.updated_at = Some(now.clone());
        self.updated_at = now;
        Ok(())
    }

    /// Sets the note. A PASSED control whose recorded findings need a justification cannot
    /// keep its verdict without one: clearing the note puts it back to NOT_ASSESSED, and the
    /// answer says so, naming the checks.
    pub fn set_note(&mut self, control: &str, note: &str) -> Result<NoteChange, VerdictError> {
        if matches!(self.stage, Stage::Signed { .. }) {
            return Err(VerdictError::Signed);
        }
        let record = self
            .controls
            .iter_mut()
            .find(|c| c.id == control)
            .ok_or_else(|| VerdictError::UnknownControl(control.to_string()))?;
        record.note = note.to_string();
        let unjustified = unjustified_snapshot(record);
        let change = if unjustified.is_empty() {
            NoteChange::Kept
        } else {
            record.verdict = Verdict::NotAssessed;
            NoteChange::Reverted {
                checks: unjustified.join(", "),
            }
        };
        let now = rfc3339_utc(unix_now_secs());
        record.updated_at = Some(now.clone());
        self.updated_at = now;
        Ok(change)
    }

    /// As [`Walkthrough::set_note`], and also against the current `findings`: a PASSED
    /// recorded while its checks passed, whose checks fail or are unknown now, cannot keep
    /// its verdict without a note either. The TUI sets notes this way.
    pub fn set_note_with(
        &mut self,
        checklist: &Checklist,
        control: &str,
        note: &str,
        findings: &[Finding],
    ) -> Result<NoteChange, VerdictError> {
        let change = self.set_note(control, note)?;
        if change != NoteChange::Kept {
            return Ok(change);
        }
        let failing = Self::failing_checks(checklist, control, findings);
        match self.controls.iter_mut().find(|c| c.id == control) {
            Some(rec)
                if rec.verdict == Verdict::Passed
                    && rec.note.trim().is_empty()
                    && !failing.is_empty() =>
            {
                rec.verdict = Verdict::NotAssessed;
                Ok(NoteChange::Reverted {
                    checks: failing
                        .iter()
                        .map(|f| f.check.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
            _ => Ok(NoteChange::Kept),
        }
    }

    /// The one justification rule, over the whole walkthrough: every control marked PASSED
    /// with an empty note while one of its checks fails or is unknown, in the findings
    /// recorded with the verdict or in `findings` (the current ones). The TUI, `attest
    /// --answers` and signing all refuse to go on while this list is not empty.
    pub fn unjustified(&self, checklist: &Checklist, findings: &[Finding]) -> Vec<Unjustified> {
        self.controls
            .iter()
            .filter(|c| c.verdict == Verdict::Passed && c.note.trim().is_empty())
            .filter_map(|c| {
                let mut checks = unjustified_snapshot(c);
                for f in Self::failing_checks(checklist, &c.id, findings) {
                    if !checks.contains(&f.check) {
                        checks.push(f.check.clone());
                    }
                }
                (!checks.is_empty()).then(|| Unjustified {
                    control: c.id.clone(),
                    checks,
                })
            })
            .collect()
    }

    /// Signing's re-check of every control: refused with the list when any PASSED control
    /// lacks the justification its checks call for.
    pub fn ready_to_sign(
        &self,
        checklist: &Checklist,
        findings: &[Finding],
    ) -> Result<(), SignRefused> {
        let list = self.unjustified(checklist, findings);
        if list.is_empty() {
            Ok(())
        } else {
            Err(SignRefused(list))
        }
    }

    /// Puts every control that breaks the rule against `findings` (new findings met by a
    /// resumed walkthrough) back to NOT_ASSESSED; returns what it changed.
    pub fn enforce_justification(
        &mut self,
        checklist: &Checklist,
        findings: &[Finding],
    ) -> Vec<Unjustified> {
        if matches!(self.stage, Stage::Signed { .. }) {
            return Vec::new();
        }
        let list = self.unjustified(checklist, findings);
        for u in &list {
            if let Some(rec) = self.controls.iter_mut().find(|c| c.id == u.control) {
                rec.verdict = Verdict::NotAssessed;
            }
        }
        list
    }

    /// Counts per verdict, in `Verdict::ALL` order.
    pub fn counts(&self) -> [(Verdict, usize); 5] {
        Verdict::ALL.map(|v| (v, self.controls.iter().filter(|c| c.verdict == v).count()))
    }

    pub fn assessed(&self) -> usize {
        self.controls
            .iter()
            .filter(|c| c.verdict != Verdict::NotAssessed)
            .count()
    }

    /// Controls marked PASSED while one of their checks fails or is unknown now: the sign-off
    /// review and the summaries show them with their justification.
    pub fn passed_over_failures<'a>(
        &'a self,
        checklist: &Checklist,
        findings: &[Finding],
    ) -> Vec<&'a ControlRecord> {
        self.controls
            .iter()
            .filter(|c| {
                c.verdict == Verdict::Passed
                    && !Self::failing_checks(checklist, &c.id, findings).is_empty()
            })
            .collect()
    }
}

/// The control's findings as they stand now.
pub fn snapshot(
    checklist: &Checklist,
    control: &str,
    findings: &[Finding],
) -> Vec<FindingSnapshot> {
    let Some(c) = checklist.control(control) else {
        return Vec::new();
    };
    findings
        .iter()
        .filter(|f| c.checks.contains(&f.check))
        .map(FindingSnapshot::of)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (Checklist, Walkthrough) {
        let list = Checklist::builtin().unwrap();
        let host = HostKey {
            hostname: "icu-cs-01".into(),
            machine_id_hmac: "ab".repeat(32),
            root: None,
        };
        let w = Walkthrough::new(&list, host);
        (list, w)
    }

    fn attachment(name: &str, size: u64, digit: char) -> Attachment {
        Attachment {
            name: name.into(),
            media_type: "application/pdf".into(),
            size,
            sha256: digit.to_string().repeat(64),
        }
    }

    #[test]
    fn attachments_are_limited_per_file_and_per_walkthrough_and_frozen_once_signed() {
        let (_, mut w) = fixture();
        let big = MAX_ATTACHMENT_BYTES;
        for (i, d) in ['1', '2', '3', '4', '5'].into_iter().enumerate() {
            w.add_attachment("ICS-01", attachment(&format!("f{i}.pdf"), big, d))
                .unwrap();
        }
        assert_eq!(w.attachments_total(), MAX_ATTACHMENTS_TOTAL_BYTES);
        assert_eq!(w.attachment_room(), 0);
        assert_eq!(
            w.add_attachment("ICS-02", attachment("one.pdf", 1, '6'))
                .unwrap_err(),
            AttachmentError::TotalTooLarge {
                size: 1,
                used: MAX_ATTACHMENTS_TOTAL_BYTES,
                limit: MAX_ATTACHMENTS_TOTAL_BYTES
            }
        );
        w.remove_attachment("ICS-01", 5).unwrap();
        assert_eq!(
            w.add_attachment("ICS-02", attachment("huge.pdf", big + 1, '7'))
                .unwrap_err(),
            AttachmentError::TooLarge {
                size: big + 1,
                limit: big
            }
        );
        // The same file on another control is fine; twice on one control is not.
        w.add_attachment("ICS-02", attachment("f0.pdf", 1, '1'))
            .unwrap();
        assert!(matches!(
            w.add_attachment("ICS-01", attachment("other.pdf", 1, '2')),
            Err(AttachmentError::SameContent { .. })
        ));
        assert!(matches!(
            w.add_attachment("ICS-01", attachment("f0.pdf", 1, '8')),
            Err(AttachmentError::SameName { .. })
        ));
        assert!(matches!(
            w.remove_attachment("ICS-01", 9),
            Err(AttachmentError::NoSuchAttachment { number: 9, .. })
        ));
        w.stage = Stage::Signed { seq: 1 };
        assert_eq!(
            w.add_attachment("ICS-03", attachment("late.pdf", 1, '9'))
                .unwrap_err(),
            AttachmentError::Signed
        );
        assert_eq!(
            w.remove_attachment("ICS-01", 1).unwrap_err(),
            AttachmentError::Signed
        );
    }

    fn failing_firewall() -> Vec<Finding> {
        vec![
            Finding::new("firewall.active", Status::Pass, "nftables ruleset loaded"),
            Finding::new(
                "firewall.default_deny_inbound",
                Status::Fail,
                "input policy accept",
            ),
        ]
    }

    #[test]
    fn new_walkthrough_has_every_control_not_assessed() {
        let (list, w) = fixture();
        assert_eq!(w.controls.len(), list.controls.len());
        assert!(w.controls.iter().all(|c| c.verdict == Verdict::NotAssessed));
        assert_eq!(w.assessed(), 0);
    }

    #[test]
    fn passed_over_a_failing_check_needs_a_note() {
        let (list, mut w) = fixture();
        let findings = failing_firewall();
        let err = w.set_verdict(&list, "ICS-03", Verdict::Passed, &findings);
        assert_eq!(
            err,
            Err(VerdictError::NeedsJustification {
                control: "ICS-03".into(),
                checks: "firewall.default_deny_inbound".into()
            })
        );
        assert_eq!(
            w.control("ICS-03").map(|c| c.verdict),
            Some(Verdict::NotAssessed)
        );
        w.set_note("ICS-03", "Vendor firewall appliance upstream; ticket 4411")
            .unwrap();
        w.set_verdict(&list, "ICS-03", Verdict::Passed, &findings)
            .unwrap();
        let rec = w.control("ICS-03").unwrap();
        assert_eq!(rec.verdict, Verdict::Passed);
        assert_eq!(rec.findings.len(), 2);
        assert_eq!(w.passed_over_failures(&list, &findings).len(), 1);
    }

    #[test]
    fn failed_verdict_needs_no_note_and_waived_failures_do_not_block() {
        let (list, mut w) = fixture();
        let mut findings = failing_firewall();
        w.set_verdict(&list, "ICS-03", Verdict::Failed, &findings)
            .unwrap();
        findings[1].waiver = Some(crate::checks::AppliedWaiver {
            justification: "j".into(),
            approver: "a".into(),
            expires: crate::date::Date::new(2099, 1, 1).unwrap(),
            expired: false,
        });
        w.set_verdict(&list, "ICS-03", Verdict::Passed, &findings)
            .unwrap();
        assert!(w.control("ICS-03").unwrap().findings[1].waived);
    }

    #[test]
    fn unknown_control_and_signed_walkthrough_refuse_changes() {
        let (list, mut w) = fixture();
        assert!(matches!(
            w.set_verdict(&list, "NOPE", Verdict::Failed, &[]),
            Err(VerdictError::UnknownControl(_))
        ));
        w.stage = Stage::Signed { seq: 1 };
        assert_eq!(w.set_note("ICS-01", "x"), Err(VerdictError::Signed));
    }

    #[test]
    fn passed_over_an_unknown_check_needs_a_note_too() {
        let (list, mut w) = fixture();
        let findings = vec![Finding::unknown(
            "firewall.default_deny_inbound",
            "needs root to list the ruleset",
        )];
        assert!(matches!(
            w.set_verdict(&list, "ICS-03", Verdict::Passed, &findings),
            Err(VerdictError::NeedsJustification { .. })
        ));
        assert!(needs_justification(Status::Unknown, false));
        assert!(needs_justification(Status::Fail, false));
        assert!(!needs_justification(Status::Fail, true));
        assert!(!needs_justification(Status::Warn, false));
    }

    #[test]
    fn clearing_the_justification_reverts_passed_to_not_assessed() {
        let (list, mut w) = fixture();
        let findings = failing_firewall();
        assert_eq!(
            w.set_note("ICS-03", "upstream appliance, ticket 4411"),
            Ok(NoteChange::Kept)
        );
        w.set_verdict(&list, "ICS-03", Verdict::Passed, &findings)
            .unwrap();
        assert_eq!(w.set_note("ICS-03", "upstream"), Ok(NoteChange::Kept));
        assert_eq!(w.control("ICS-03").unwrap().verdict, Verdict::Passed);
        assert_eq!(
            w.set_note("ICS-03", "  \n "),
            Ok(NoteChange::Reverted {
                checks: "firewall.default_deny_inbound".into()
            })
        );
        assert_eq!(w.control("ICS-03").unwrap().verdict, Verdict::NotAssessed);
        assert!(w.unjustified(&list, &findings).is_empty());
        // A PASSED with nothing failing keeps its verdict without a note.
        w.set_verdict(&list, "ICS-01", Verdict::Passed, &findings)
            .unwrap();
        assert_eq!(w.set_note("ICS-01", ""), Ok(NoteChange::Kept));
        assert_eq!(w.control("ICS-01").unwrap().verdict, Verdict::Passed);
    }

    #[test]
    fn signing_rechecks_every_control_against_current_findings() {
        let (list, mut w) = fixture();
        // Recorded while its checks passed; the checks fail now (a resumed walkthrough).
        w.set_verdict(&list, "ICS-03", Verdict::Passed, &[])
            .unwrap();
        let findings = failing_firewall();
        let refused = w.ready_to_sign(&list, &findings).unwrap_err();
        assert_eq!(
            refused.0,
            [Unjustified {
                control: "ICS-03".into(),
                checks: vec!["firewall.default_deny_inbound".into()]
            }]
        );
        assert!(
            refused
                .to_string()
                .contains("ICS-03 (firewall.default_deny_inbound)"),
            "{refused}"
        );
        // Clearing a note is checked against the current findings too.
        let mut noted = w.clone();
        noted.set_note("ICS-03", "checked upstream").unwrap();
        assert_eq!(
            noted.set_note_with(&list, "ICS-03", "", &findings),
            Ok(NoteChange::Reverted {
                checks: "firewall.default_deny_inbound".into()
            })
        );
        assert_eq!(
            noted.control("ICS-03").unwrap().verdict,
            Verdict::NotAssessed
        );
        // A state built by hand (a hand-edited walkthrough file) is caught the same way.
        let mut edited = w.clone();
        edited.controls[2].findings = snapshot(&list, "ICS-03", &findings);
        assert_eq!(edited.ready_to_sign(&list, &[]).unwrap_err(), refused);
        assert_eq!(w.enforce_justification(&list, &findings), refused.0);
        assert_eq!(w.control("ICS-03").unwrap().verdict, Verdict::NotAssessed);
        assert_eq!(w.ready_to_sign(&list, &findings), Ok(()));
    }

    #[test]
    fn counts_follow_verdicts() {
        let (list, mut w) = fixture();
        w.set_verdict(&list, "ICS-01", Verdict::Passed, &[])
            .unwrap();
        w.set_verdict(&list, "ICS-14", Verdict::NotApplicable, &[])
            .unwrap();
        let counts = w.counts();
        assert_eq!(counts[0], (Verdict::Passed, 1));
        assert_eq!(counts[3], (Verdict::NotApplicable, 1));
        assert_eq!(counts[4], (Verdict::NotAssessed, 13));
    }
}
