//! The neutral summary model every renderer draws from, built from a draft walkthrough or from
//! the parts of a signed record.

use crate::checklist::{Checklist, Method};
use crate::checks::{self, Area, Status};
use crate::date::Date;
use crate::policy::{Policy, WaiverState};
use crate::scan::{Scan, StatusCounts, Tool};
use crate::walkthrough::{self, FindingSnapshot, Verdict, Walkthrough};
use serde::{Deserialize, Serialize};

/// Schema name of the JSON form of a [`Summary`].
pub const SCHEMA: &str = "stationward.summary/v1";

/// The mark every page of an unsigned summary carries.
pub const DRAFT_MARK: &str = "DRAFT — NOT SIGNED";

/// The SSHSIG namespace of record signatures (ATTESTATION.md).
pub const NAMESPACE: &str = "stationward-attestation-v1";

/// The order areas are presented in a summary.
pub const AREA_ORDER: [Area; 6] = [
    Area::Services,
    Area::Accounts,
    Area::Patches,
    Area::Firewall,
    Area::Network,
    Area::Supporting,
];

/// Everything a printed hardening summary shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub schema: String,
    /// True when no signed record backs this summary.
    pub draft: bool,
    pub header: Header,
    /// Controls per verdict.
    pub counts: VerdictCounts,
    /// Automated checks per status, when a scan (or the record's snapshots) gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<StatusCounts>,
    pub controls: Vec<ControlRow>,
    /// One entry per area in [`AREA_ORDER`], findings failing and unknown first.
    pub areas: Vec<AreaFindings>,
    pub waivers: Vec<WaiverRow>,
    /// The ledger record this summary was printed from; `None` for a draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    /// `central-station` or `interface-host`, from the site policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The site policy's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub checklist: ChecklistLine,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub started_at: String,
    /// Last change of a draft walkthrough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<String>,
    /// Whether the inspection could read root-only files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// The offline tree inspected, when not the live host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    pub tool: Tool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistLine {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub version: String,
    pub digest: String,
    /// Set when a checklist with this id was loaded but its digest differs, so its titles
    /// were not used: says so on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub not_applicable: usize,
    pub not_assessed: usize,
}

impl VerdictCounts {
    pub fn of<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> VerdictCounts {
        let mut c = VerdictCounts::default();
        for v in verdicts {
            c.add(*v);
        }
        c
    }

    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Passed => self.passed += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Warned => self.warned += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
            Verdict::NotAssessed => self.not_assessed += 1,
        }
    }

    pub fn get(&self, v: Verdict) -> usize {
        match v {
            Verdict::Passed => self.passed,
            Verdict::Failed => self.failed,
            Verdict::Warned => self.warned,
            Verdict::NotApplicable => self.not_applicable,
            Verdict::NotAssessed => self.not_assessed,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.warned + self.not_applicable + self.not_assessed
    }
}

/// One row of the verdict table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRow {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    pub method: Method,
    pub verdict: Verdict,
    pub note: String,
    /// The automated findings behind the verdict.
    #[serde(default)]
    pub findings: Vec<FindingSnapshot>,
    /// Files attached as evidence, listed with their digests (never opened or rendered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRow>,
}

/// An attached file as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRow {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// Lowercase hex SHA-256: the file is `evidence/sha256/<sha256>` in the data directory.
    pub sha256: String,
}

impl ControlRow {
    /// The checks that make this a PASSED over a failing or unknown check (by the one
    /// justification rule, [`walkthrough::needs_justification`]); empty otherwise. The
    /// summaries mark such a control and print its justification in full.
    pub fn passed_over(&self) -> Vec<&str> {
        if self.verdict != Verdict::Passed {
            return Vec::new();
        }
        self.findings
            .iter()
            .filter(|f| walkthrough::needs_justification(f.status, f.waived))
            .map(|f| f.check.as_str())
            .collect()
    }

    /// The note's lines without the blank ones at either end, each trimmed at the end.
    pub fn note_lines(&self) -> Vec<&str> {
        let lines: Vec<&str> = self.note.lines().map(str::trim_end).collect();
        let start = lines.iter().position(|l| !l.trim().is_empty());
        let end = lines.iter().rposition(|l| !l.trim().is_empty());
        match (start, end) {
            (Some(a), Some(b)) => lines[a..=b].to_vec(),
            _ => Vec::new(),
        }
    }

    /// The first non-blank line of the note (empty when there is none).
    pub fn note_first_line(&self) -> &str {
        self.note
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
    }
}

/// An area's controls and automated findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaFindings {
    pub area: Area,
    /// Verdicts of the controls in this area.
    pub verdicts: VerdictCounts,
    pub findings: Vec<KeyFinding>,
}

impl AreaFindings {
    /// Findings that need attention (not passed and not n/a).
    pub fn attention(&self) -> impl Iterator<Item = &KeyFinding> {
        self.findings
            .iter()
            .filter(|f| !matches!(f.status, Status::Pass | Status::NotApplicable))
    }

    pub fn passed(&self) -> impl Iterator<Item = &KeyFinding> {
        self.findings.iter().filter(|f| f.status == Status::Pass)
    }

    pub fn not_applicable(&self) -> impl Iterator<Item = &KeyFinding> {
        self.findings
            .iter()
            .filter(|f| f.status == Status::NotApplicable)
    }
}

/// An automated finding in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFinding {
    pub check: String,
    /// The check's title from the registry (what it verifies).
    pub title: String,
    pub status: Status,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Excused by an active waiver.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRow {
    /// The check or control waived.
    pub target: String,
    pub justification: String,
    pub approver: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    /// Expired on the summary's reference day (today for a draft, the signing day for a record).
    pub expired: bool,
}

/// Where a signed record lives and who signed it; filled by the attestation adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRecordInfo {
    /// The record's file name (`000017.dsse.json`) or path.
    pub record_file: String,
    /// `SHA256:<fingerprint>` of the signing key.
    pub keyid: String,
    pub operator: String,
    /// Ledger sequence number of the record.
    pub seq: u64,
    /// Full lower-case hex SHA-256 of the record file's bytes.
    pub sha256: String,
    pub signed_at: String,
}

impl SignedRecordInfo {
    /// The record's file name without any directory.
    pub fn file_name(&self) -> &str {
        self.record_file
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&self.record_file)
    }

    /// `SEQ:SHA256`, the form `stationward verify --expect-head` takes.
    pub fn head(&self) -> String {
        format!("{}:{}", self.seq, self.sha256)
    }

    /// The commands that check this record, with stationward and with stock tools (run in the
    /// data directory that holds `ledger/` and `allowed_signers`).
    pub fn verify_commands(&self) -> Vec<VerifyCommand> {
        let file = self.file_name();
        vec![
            VerifyCommand {
                purpose: "Check every signature and the chain up to this record".into(),
                command: format!(
                    "stationward verify --expect-head {} --expect-key {}",
                    self.head(),
                    shell_quote(&format!("{}:{}", self.operator, self.keyid))
                ),
            },
            VerifyCommand {
                purpose: "Without stationward: the SSH signature over the record file".into(),
                command: format!(
                    "ssh-keygen -Y verify -f allowed_signers -I {} -n {} -s ledger/{file}.sig < ledger/{file}",
                    shell_quote(&self.operator),
                    NAMESPACE,
                ),
            },
            VerifyCommand {
                purpose: "The record's SHA-256 must equal the one printed above".into(),
                command: format!("sha256sum ledger/{file}"),
            },
            VerifyCommand {
                purpose: "Every record against the signed manifest".into(),
                command: "cd ledger && sha256sum -c SHA256SUMS".into(),
            },
        ]
    }
}

/// One way to check a record, for the attestation block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyCommand {
    pub purpose: String,
    pub command: String,
}

/// The attestation block: the record and how to verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    #[serde(flatten)]
    pub record: SignedRecordInfo,
    pub verify: Vec<VerifyCommand>,
    /// What this record is when it is not the head of its ledger (printed as a banner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Which trust anchors vouched for the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<String>,
    /// Verified countersignatures of this record, oldest first (printed in place of the blank
    /// supervisor line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countersignatures: Vec<Countersignature>,
    /// Set when the site requires a countersignature and this record has no approving one:
    /// the sign-off is pending review (or rejected), not complete (printed as a banner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

impl Attestation {
    /// Applies the site's `require_countersign`: without an `APPROVED` countersignature the
    /// record is pending review (or rejected), and [`Attestation::review`] says so.
    pub fn require_countersign(&mut self) {
        if self
            .countersignatures
            .iter()
            .any(|c| c.verdict == "APPROVED")
        {
            return;
        }
        self.review = Some(match self.countersignatures.last() {
            Some(c) => format!(
                "REJECTED IN REVIEW by {} ({}); the site requires an approving countersignature, so this sign-off is not complete",
                c.operator, c.signed_at
            ),
            None => "PENDING REVIEW: the site requires a countersignature by a second person (stationward countersign); this sign-off is not complete".to_string(),
        });
    }
}

/// A countersignature of the record, as verified in its ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Countersignature {
    /// The countersignature's own record file name.
    pub record_file: String,
    pub operator: String,
    /// `SHA256:<fingerprint>` of the countersigner's key.
    pub keyid: String,
    /// `APPROVED` or `REJECTED`.
    pub verdict: String,
    pub note: String,
    pub signed_at: String,
}

/// A control as recorded: what a record's predicate (or a walkthrough) holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordControl {
    pub id: String,
    pub verdict: Verdict,
    pub note: String,
    pub method: Method,
    pub findings: Vec<FindingSnapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<RecordWaiver>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordWaiver {
    pub justification: String,
    pub approver: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
}

/// The contents of a sign-off, neutral of where they came from. An adapter fills this from a
/// record's predicate; [`Summary::from_draft`] fills it from a walkthrough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordParts {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub checklist_id: String,
    pub checklist_version: String,
    pub checklist_digest: String,
    pub operator: Option<String>,
    pub tool: Tool,
    pub started_at: String,
    pub signed_at: Option<String>,
    pub privileged: Option<bool>,
    /// From the site policy, when known.
    pub role: Option<String>,
    pub site: Option<String>,
    pub controls: Vec<RecordControl>,
}

/// Parses a status word as written in records (`pass`, `warn`, `fail`, `unknown`,
/// `not_applicable`).
pub fn parse_status(s: &str) -> Option<Status> {
    [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Unknown,
        Status::NotApplicable,
    ]
    .into_iter()
    .find(|st| st.as_str() == s)
}

/// Presentation order of statuses: the one order of the project ([`Status::order`]).
pub fn status_rank(s: Status) -> u8 {
    s.order()
}

impl Summary {
    /// A summary of an unsigned walkthrough: marked draft on every page. `scan` supplies the
    /// host details and the current findings (with their details); `today` decides which
    /// waivers have expired.
    pub fn from_draft(
        walkthrough: &Walkthrough,
        checklist: &Checklist,
        scan: Option<&Scan>,
        policy: &Policy,
        operator: Option<&str>,
        today: Date,
    ) -> Summary {
        let (hostname, os, kernel) = match scan {
            Some(s) => (
                s.host.hostname.clone(),
                s.host.os.clone(),
                // As a signed record shows it (report::record).
                match &s.facts.windows {
                    Some(w) => format!(
                        "{} (Windows snapshot {})",
                        s.host.kernel,
                        w.snapshot.digest()
                    ),
                    None => s.host.kernel.clone(),
                },
            ),
            None => (
                walkthrough.host.hostname.clone(),
                String::new(),
                String::new(),
            ),
        };
        let controls = walkthrough
            .controls
            .iter()
            .map(|c| RecordControl {
                id: c.id.clone(),
                verdict: c.verdict,
                note: c.note.clone(),
                method: c.method,
                // The findings as they stand now, when a scan is at hand.
                findings: match scan {
                    Some(s) => walkthrough::snapshot(checklist, &c.id, &s.findings),
                    None => c.findings.clone(),
                },
                waiver: None,
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
            })
            .collect();
        let parts = RecordParts {
            hostname,
            os,
            kernel,
            checklist_id: walkthrough.checklist.id.clone(),
            checklist_version: walkthrough.checklist.version.clone(),
            checklist_digest: walkthrough.checklist.digest.clone(),
            operator: operator.map(str::to_string),
            tool: scan.map_or_else(Tool::this, |s| s.tool.clone()),
            started_at: walkthrough.started_at.clone(),
            signed_at: None,
            privileged: scan.map(|s| s.privileged),
            role: Some(policy.role.as_str().to_string()),
            site: Some(policy.name.clone()),
            controls,
        };
        let mut summary = Summary::from_parts(parts, Some(checklist), None);
        summary.header.updated_at = Some(walkthrough.updated_at.clone());
        if let Some(scan) = scan {
            summary.header.scanned_at = Some(scan.scanned_at.clone());
            summary.header.root.clone_from(&scan.root);
            summary.checks = Some(scan.counts());
            summary.areas = area_findings(
                &summary.controls,
                scan.findings.iter().map(|f| KeyFinding {
                    check: f.check.clone(),
                    title: check_title(&f.check),
                    status: f.status,
                    summary: f.summary.clone(),
                    details: f.details.clone(),
                    waived: f.waived(),
                }),
            );
        }
        summary.waivers = policy
            .waivers
            .iter()
            .map(|w| WaiverRow {
                target: w.target.id().to_string(),
                justification: w.justification.clone(),
                approver: w.approver.clone(),
                expires: w.expires.to_string(),
                expired: matches!(w.state(today), WaiverState::Expired { .. }),
            })
            .collect();
        summary
    }

    /// A summary from the parts of a record. With `record` it is the summary of that signed
    /// record; without, a draft. `checklist`, when it is the one walked, supplies control
    /// titles and areas (otherwise the area is inferred from the control's checks).
    pub fn from_parts(
        parts: RecordParts,
        checklist: Option<&Checklist>,
        record: Option<SignedRecordInfo>,
    ) -> Summary {
        // Titles come only from the checklist the record was signed against: same id and
        // same digest. Another checklist with the same id is named, not used.
        let bare = |d: &str| d.strip_prefix("sha256:").unwrap_or(d).to_ascii_lowercase();
        let same_id = checklist.filter(|c| c.id == parts.checklist_id);
        let checklist = same_id.filter(|c| bare(&c.digest) == bare(&parts.checklist_digest));
        let checklist_note = match (same_id, checklist) {
            (Some(loaded), None) => Some(format!(
                "the loaded checklist {} {} has digest sha256:{}, not the one this was signed against; its control titles are not shown",
                loaded.id,
                loaded.version,
                bare(&loaded.digest)
            )),
            _ => None,
        };
        let controls: Vec<ControlRow> = parts
            .controls
            .iter()
            .map(|c| {
                let known = checklist.and_then(|l| l.control(&c.id));
                ControlRow {
                    id: c.id.clone(),
                    title: known.map_or_else(|| c.id.clone(), |k| k.title.clone()),
                    area: known.map(|k| k.area).or_else(|| infer_area(&c.findings)),
                    method: c.method,
                    verdict: c.verdict,
                    note: c.note.clone(),
                    findings: c.findings.clone(),
                    attachments: c.attachments.clone(),
                }
            })
            .collect();

        // Key findings from the snapshots: one per check, the worst seen.
        let mut seen: Vec<KeyFinding> = Vec::new();
        for f in parts.controls.iter().flat_map(|c| &c.findings) {
            let k = KeyFinding {
                check: f.check.clone(),
                title: check_title(&f.check),
                status: f.status,
                summary: f.summary.clone(),
                details: Vec::new(),
                waived: f.waived,
            };
            match seen.iter_mut().find(|s| s.check == k.check) {
                Some(s) if status_rank(k.status) < status_rank(s.status) => *s = k,
                Some(_) => {}
                None => seen.push(k),
            }
        }
        let checks = (!seen.is_empty()).then(|| status_counts(&seen));
        let areas = area_findings(&controls, seen);

        let reference_day = parts
            .signed_at
            .as_deref()
            .and_then(|s| s.get(..10))
            .and_then(Date::parse);
        let waivers = parts
            .controls
            .iter()
            .filter_map(|c| {
                let w = c.waiver.as_ref()?;
                let expires = Date::parse(&w.expires);
                Some(WaiverRow {
                    target: c.id.clone(),
                    justification: w.justification.clone(),
                    approver: w.approver.clone(),
                    expires: w.expires.clone(),
                    expired: match (expires, reference_day) {
                        (Some(e), Some(day)) => e < day,
                        _ => false,
                    },
                })
            })
            .collect();

        let attestation = record.map(|r| Attestation {
            verify: r.verify_commands(),
            record: r,
            notice: None,
            trust: None,
            countersignatures: Vec::new(),
            review: None,
        });
        let operator = parts
            .operator
            .or_else(|| attestation.as_ref().map(|a| a.record.operator.clone()));
        let signed_at = parts
            .signed_at
            .or_else(|| attestation.as_ref().map(|a| a.record.signed_at.clone()));

        Summary {
            schema: SCHEMA.to_string(),
            draft: attestation.is_none(),
            header: Header {
                hostname: parts.hostname,
                os: parts.os,
                kernel: parts.kernel,
                role: parts.role,
                site: parts.site,
                checklist: ChecklistLine {
                    id: parts.checklist_id,
                    title: checklist.map(|c| c.title.clone()),
                    version: parts.checklist_version,
                    digest: parts.checklist_digest,
                    note: checklist_note,
                },
                operator,
                started_at: parts.started_at,
                updated_at: None,
                signed_at,
                scanned_at: None,
                privileged: parts.privileged,
                root: None,
                tool: parts.tool,
            },
            counts: VerdictCounts::of(controls.iter().map(|c| &c.verdict)),
            checks,
            controls,
            areas,
            waivers,
            attestation,
        }
    }

    pub fn area(&self, area: Area) -> Option<&AreaFindings> {
        self.areas.iter().find(|a| a.area == area)
    }

    /// A copy whose every string is safe on a terminal ([`crate::text::for_terminal`]; notes,
    /// justifications and details keep their line breaks): what the text and Markdown
    /// renderers draw from, since hostnames, notes and file names come from outside.
    pub fn for_terminal(&self) -> Summary {
        fn walk(v: &mut serde_json::Value, lines: bool) {
            match v {
                serde_json::Value::String(s) => {
                    let escaped = if lines {
                        crate::text::for_terminal_lines(s)
                    } else {
                        crate::text::for_terminal(s)
                    };
                    if let std::borrow::Cow::Owned(e) = escaped {
                        *s = e;
                    }
                }
                serde_json::Value::Array(items) => {
                    for i in items {
                        walk(i, lines);
                    }
                }
                serde_json::Value::Object(map) => {
                    for (k, v) in map.iter_mut() {
                        walk(
                            v,
                            matches!(k.as_str(), "note" | "justification" | "details"),
                        );
                    }
                }
                _ => {}
            }
        }
        let Ok(mut value) = serde_json::to_value(self) else {
            return self.clone();
        };
        walk(&mut value, false);
        serde_json::from_value(value).unwrap_or_else(|_| self.clone())
    }
}

/// The registry title of a check, or the id itself for one this build does not know.
pub fn check_title(check: &str) -> String {
    checks::find(check).map_or_else(|| check.to_string(), |s| s.title.to_string())
}

/// The area of most of a control's checks.
fn infer_area(findings: &[FindingSnapshot]) -> Option<Area> {
    let mut best: Option<(Area, usize)> = None;
    for area in AREA_ORDER {
        let n = findings
            .iter()
            .filter(|f| checks::find(&f.check).is_some_and(|s| s.area == area))
            .count();
        if n > 0 && best.is_none_or(|(_, m)| n > m) {
            best = Some((area, n));
        }
    }
    best.map(|(a, _)| a)
}

fn status_counts(findings: &[KeyFinding]) -> StatusCounts {
    let mut c = StatusCounts::default();
    for f in findings {
        c.add(f.status, f.waived);
    }
    c
}

fn area_findings(
    controls: &[ControlRow],
    findings: impl IntoIterator<Item = KeyFinding>,
) -> Vec<AreaFindings> {
    let mut areas: Vec<AreaFindings> = AREA_ORDER
        .iter()
        .map(|&area| AreaFindings {
            area,
            verdicts: VerdictCounts::of(
                controls
                    .iter()
                    .filter(|c| c.area == Some(area))
                    .map(|c| &c.verdict),
            ),
            findings: Vec::new(),
        })
        .collect();
    for f in findings {
        let area = checks::find(&f.check).map_or(Area::Supporting, |s| s.area);
        if let Some(slot) = areas.iter_mut().find(|a| a.area == area) {
            slot.findings.push(f);
        }
    }
    for a in &mut areas {
        // Stable: within one status, registry order is kept.
        a.findings.sort_by_key(|f| status_rank(f.status));
    }
    areas
}

/// Quotes a word for a POSIX shell when it holds anything beyond a safe set.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@+=:,/".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_first_line_skips_blank_lines() {
        let row = ControlRow {
            id: "X".into(),
            title: "t".into(),
            area: None,
            method: Method::Test,
            verdict: Verdict::Passed,
            note: "\n  \n  first line \nsecond".into(),
            findings: Vec::new(),
            attachments: Vec::new(),
        };
        assert_eq!(row.note_first_line(), "first line");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("jdoe"), "jdoe");
        assert_eq!(shell_quote("J Doe"), "'J Doe'");
        assert_eq!(shell_quote("o'neil"), r"'o'\''neil'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn status_words_round_trip() {
        for s in [
            Status::Pass,
            Status::Warn,
            Status::Fail,
            Status::Unknown,
            Status::NotApplicable,
        ] {
            assert_eq!(parse_status(s.as_str()), Some(s));
        }
        assert_eq!(parse_status("PASS"), None);
    }

    #[test]
    fn verify_commands_name_the_record_and_head() {
        let info = SignedRecordInfo {
            record_file: "/var/lib/stationward/ledger/000017.dsse.json".into(),
            keyid: "SHA256:abc".into(),
            operator: "jdoe".into(),
            seq: 17,
            sha256: "ab".repeat(32),
            signed_at: "2026-11-18T11:06:40Z".into(),
        };
        let cmds = info.verify_commands();
        assert_eq!(
            cmds[0].command,
            format!(
                "stationward verify --expect-head 17:{} --expect-key jdoe:SHA256:abc",
                "ab".repeat(32)
            )
        );
        assert!(cmds[1].command.contains("-s ledger/000017.dsse.json.sig"));
        assert!(cmds[1].command.contains("-I jdoe"));
    }
}
