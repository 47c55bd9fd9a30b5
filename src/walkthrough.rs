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
        "{control}: an automated check fails ({checks}); marking it PASSED needs a note saying why"
    )]
    NeedsJustification { control: String, checks: String },
    #[error("this walkthrough is signed and can no longer change")]
    Signed,
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
                })
                .collect(),
        }
    }

    pub fn control(&self, id: &str) -> Option<&ControlRecord> {
        self.controls.iter().find(|c| c.id == id)
    }

    /// Checks of `control` that fail now (not excused by an active waiver).
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
            .filter(|f| c.checks.contains(&f.check) && f.is_failing())
            .collect()
    }

    /// Records a verdict. PASSED over a failing automated check needs a justification note.
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

    pub fn set_note(&mut self, control: &str, note: &str) -> Result<(), VerdictError> {
        if matches!(self.stage, Stage::Signed { .. }) {
            return Err(VerdictError::Signed);
        }
        let record = self
            .controls
            .iter_mut()
            .find(|c| c.id == control)
            .ok_or_else(|| VerdictError::UnknownControl(control.to_string()))?;
        record.note = note.to_string();
        let now = rfc3339_utc(unix_now_secs());
        record.updated_at = Some(now.clone());
        self.updated_at = now;
        Ok(())
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

    /// Controls marked PASSED while one of their checks fails now: the sign-off review shows them.
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
