//! The in-toto Statement v1 and the stationward sign-off predicate
//! (`urn:stationward:hardening-signoff:v1`), field names in lowerCamelCase.

use serde::{Deserialize, Serialize};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "urn:stationward:hardening-signoff:v1";

/// 64 zeros: the `prev` of the first record.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<ResourceDescriptor>,
    pub predicate_type: String,
    pub predicate: Predicate,
}

impl Statement {
    pub fn new(subject: Vec<ResourceDescriptor>, predicate: Predicate) -> Statement {
        Statement {
            type_: STATEMENT_TYPE.to_string(),
            subject,
            predicate_type: PREDICATE_TYPE.to_string(),
            predicate,
        }
    }

    /// Compact JSON: the bytes that go into the envelope.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// Parses payload bytes (after the envelope signature was checked) and requires the
    /// statement and predicate types.
    pub fn from_bytes(bytes: &[u8]) -> Result<Statement, StatementError> {
        let statement: Statement =
            serde_json::from_slice(bytes).map_err(|e| StatementError::Json {
                line: e.line(),
                column: e.column(),
                reason: super::dsse::json_reason(&e),
            })?;
        if statement.type_ != STATEMENT_TYPE {
            return Err(StatementError::Type(statement.type_));
        }
        if statement.predicate_type != PREDICATE_TYPE {
            return Err(StatementError::PredicateType(statement.predicate_type));
        }
        Ok(statement)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("payload is not a valid statement at line {line} column {column}: {reason}")]
    Json {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("unknown statement _type \"{0}\" (expected {STATEMENT_TYPE})")]
    Type(String),
    #[error("unknown predicateType \"{0}\" (expected {PREDICATE_TYPE})")]
    PredicateType(String),
}

/// An in-toto `ResourceDescriptor` restricted to what stationward writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    pub name: String,
    pub digest: DigestSet,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSet {
    pub sha256: String,
}

/// The sign-off predicate. The caller fills everything except `ledger` and `signedAt` (set
/// when the record is appended), `operator` (taken from the signer) and `counts` (computed
/// from `controls`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Predicate {
    pub checklist: ChecklistRef,
    pub host: HostRef,
    pub operator: OperatorRef,
    pub tool: ToolRef,
    /// RFC 3339 UTC (`Z`), when the walkthrough started.
    pub started_at: String,
    /// RFC 3339 UTC (`Z`), when the record was signed.
    pub signed_at: String,
    pub privileged: bool,
    pub controls: Vec<ControlRecord>,
    pub counts: Counts,
    pub ledger: LedgerLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChecklistRef {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the checklist file.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostRef {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    /// HMAC of /etc/machine-id (never the raw id).
    pub machine_id_hmac: String,
    /// `sha256:<hex>` of the Windows snapshot's manifest.json when the scan was of a
    /// snapshot (`--snapshot DIR`); absent for Linux hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperatorRef {
    pub id: String,
    /// `SHA256:<fingerprint>` of the signing key.
    pub keyid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolRef {
    pub name: String,
    pub version: String,
}

impl Default for ToolRef {
    /// This build of stationward.
    fn default() -> Self {
        ToolRef {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Passed,
    Failed,
    Warned,
    NotApplicable,
    #[default]
    NotAssessed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Failed => "FAILED",
            Verdict::Warned => "WARNED",
            Verdict::NotApplicable => "NOT_APPLICABLE",
            Verdict::NotAssessed => "NOT_ASSESSED",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Warned,
            Verdict::NotApplicable,
            Verdict::NotAssessed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Method {
    Test,
    #[default]
    Examine,
    Interview,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ControlRecord {
    pub id: String,
    pub verdict: Verdict,
    pub note: String,
    pub method: Method,
    pub findings: Vec<FindingRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRecord>,
    /// Files attached as evidence of this control; each is also a subject of the statement
    /// (named `<control id>/<name>`), so its digest is re-hashed by `verify` and `sha256sum`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRecord>,
}

/// A file attached to a control: its name, the media type guessed from its first bytes, its
/// size and SHA-256 (the bytes are at `evidence/sha256/<sha256>`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentRecord {
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

/// An automated finding as shown to the technician.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FindingRecord {
    pub check: String,
    /// `pass`, `warn`, `fail`, `unknown` or `not_applicable`.
    pub status: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WaiverRecord {
    pub justification: String,
    pub approver: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
    pub warned: u32,
    pub not_applicable: u32,
    pub not_assessed: u32,
}

impl Counts {
    pub fn of(controls: &[ControlRecord]) -> Counts {
        let mut c = Counts::default();
        for control in controls {
            let slot = match control.verdict {
                Verdict::Passed => &mut c.passed,
                Verdict::Failed => &mut c.failed,
                Verdict::Warned => &mut c.warned,
                Verdict::NotApplicable => &mut c.not_applicable,
                Verdict::NotAssessed => &mut c.not_assessed,
            };
            *slot = slot.saturating_add(1);
        }
        c
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLink {
    pub seq: u64,
    pub prev: PrevRecord,
}

impl Default for LedgerLink {
    fn default() -> Self {
        LedgerLink {
            seq: 0,
            prev: PrevRecord {
                sha256: GENESIS_PREV.to_string(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrevRecord {
    pub sha256: String,
}

/// Predicate type of a key-rotation record: the operator's old key introduces a new one.
pub const ROTATION_PREDICATE_TYPE: &str = "urn:stationward:key-rotation:v1";

/// A key-rotation record's predicate. Signed (DSSE and SSHSIG) by the old key named in
/// `operator.keyid`; from the next record on, the operator signs with `newKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationPredicate {
    /// The operator and the key being retired (the signing key of this record).
    pub operator: OperatorRef,
    pub new_key: NewKey,
    pub tool: ToolRef,
    /// RFC 3339 UTC (`Z`).
    pub signed_at: String,
    pub ledger: LedgerLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    /// `SHA256:<fingerprint>` of `publicKey`.
    pub keyid: String,
    /// `ssh-ed25519 AAAA...` without comment.
    pub public_key: String,
}

/// An in-toto Statement carrying a [`RotationPredicate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationStatement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<ResourceDescriptor>,
    pub predicate_type: String,
    pub predicate: RotationPredicate,
}

/// Predicate type of a countersignature: a second person (a supervisor) reviews a sign-off
/// record of the same ledger and approves or rejects it.
pub const COUNTERSIGN_PREDICATE_TYPE: &str = "urn:stationward:countersign:v1";

/// The reviewer's decision on a countersigned record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CountersignVerdict {
    Approved,
    Rejected,
}

impl CountersignVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            CountersignVerdict::Approved => "APPROVED",
            CountersignVerdict::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<CountersignVerdict> {
        [CountersignVerdict::Approved, CountersignVerdict::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The record a countersignature names: its sequence number and the SHA-256 of its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersignedRecord {
    pub seq: u64,
    pub sha256: String,
}

/// A countersignature's predicate. Signed (DSSE and SSHSIG) by the countersigner's key named
/// in `operator.keyid`; the countersigner is never the countersigned record's operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountersignPredicate {
    /// The countersigner and their signing key.
    pub operator: OperatorRef,
    pub record: CountersignedRecord,
    pub verdict: CountersignVerdict,
    /// Free text; the reason when `verdict` is `REJECTED` (never empty then).
    pub note: String,
    pub tool: ToolRef,
    /// RFC 3339 UTC (`Z`).
    pub signed_at: String,
    pub ledger: LedgerLink,
}

/// An in-toto Statement carrying a [`CountersignPredicate`]. Its subject is the countersigned
/// record file itself (name and SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountersignStatement {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<ResourceDescriptor>,
    pub predicate_type: String,
    pub predicate: CountersignPredicate,
}

/// What a ledger record holds: a sign-off, a key rotation or a countersignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    SignOff(Box<Statement>),
    Rotation(Box<RotationStatement>),
    Countersign(Box<CountersignStatement>),
}

impl Body {
    /// Parses payload bytes (after the envelope signature was checked), dispatching on
    /// `predicateType`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Body, StatementError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Peek {
            predicate_type: Option<String>,
        }
        let peek: Result<Peek, _> = serde_json::from_slice(bytes);
        if let Ok(Peek {
            predicate_type: Some(t),
        }) = peek
            && t == ROTATION_PREDICATE_TYPE
        {
            let statement: RotationStatement =
                serde_json::from_slice(bytes).map_err(|e| StatementError::Json {
                    line: e.line(),
                    column: e.column(),
                    reason: super::dsse::json_reason(&e),
                })?;
            if statement.type_ != STATEMENT_TYPE {
                return Err(StatementError::Type(statement.type_));
            }
            return Ok(Body::Rotation(Box::new(statement)));
        }
        if let Ok(Peek {
            predicate_type: Some(t),
        }) = serde_json::from_slice::<Peek>(bytes)
            && t == COUNTERSIGN_PREDICATE_TYPE
        {
            let statement: CountersignStatement =
                serde_json::from_slice(bytes).map_err(|e| StatementError::Json {
                    line: e.line(),
                    column: e.column(),
                    reason: super::dsse::json_reason(&e),
                })?;
            if statement.type_ != STATEMENT_TYPE {
                return Err(StatementError::Type(statement.type_));
            }
            return Ok(Body::Countersign(Box::new(statement)));
        }
        Statement::from_bytes(bytes).map(|s| Body::SignOff(Box::new(s)))
    }

    pub fn operator(&self) -> &OperatorRef {
        match self {
            Body::SignOff(s) => &s.predicate.operator,
            Body::Rotation(r) => &r.predicate.operator,
            Body::Countersign(c) => &c.predicate.operator,
        }
    }

    pub fn ledger(&self) -> &LedgerLink {
        match self {
            Body::SignOff(s) => &s.predicate.ledger,
            Body::Rotation(r) => &r.predicate.ledger,
            Body::Countersign(c) => &c.predicate.ledger,
        }
    }

    pub fn signed_at(&self) -> &str {
        match self {
            Body::SignOff(s) => &s.predicate.signed_at,
            Body::Rotation(r) => &r.predicate.signed_at,
            Body::Countersign(c) => &c.predicate.signed_at,
        }
    }

    pub fn subject(&self) -> &[ResourceDescriptor] {
        match self {
            Body::SignOff(s) => &s.subject,
            Body::Rotation(r) => &r.subject,
            Body::Countersign(c) => &c.subject,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Statement {
        let controls = vec![
            ControlRecord {
                id: "ICS-03".into(),
                verdict: Verdict::Failed,
                note: "IPv6 not filtered; vendor ticket 4411 opened".into(),
                method: Method::Test,
                findings: vec![FindingRecord {
                    check: "firewall.default_deny_inbound".into(),
                    status: "fail".into(),
                    summary: "INPUT policy ACCEPT".into(),
                }],
                waiver: None,
                attachments: Vec::new(),
            },
            ControlRecord {
                id: "ICS-04".into(),
                verdict: Verdict::Passed,
                waiver: Some(WaiverRecord {
                    justification: "vendor".into(),
                    approver: "ciso".into(),
                    expires: "2026-12-31".into(),
                }),
                ..ControlRecord::default()
            },
        ];
        let predicate = Predicate {
            checklist: ChecklistRef {
                id: "smdds-ics".into(),
                version: "1".into(),
                digest: "sha256:ab".into(),
            },
            host: HostRef {
                hostname: "cs-01".into(),
                os: "Debian 12".into(),
                kernel: "6.1".into(),
                machine_id_hmac: "hmac".into(),
                snapshot: None,
            },
            counts: Counts::of(&controls),
            controls,
            privileged: true,
            started_at: "2026-01-02T03:04:05Z".into(),
            signed_at: "2026-01-02T04:04:05Z".into(),
            ..Predicate::default()
        };
        Statement::new(
            vec![ResourceDescriptor {
                name: "host-identity.json".into(),
                digest: DigestSet {
                    sha256: "00".repeat(32),
                },
            }],
            predicate,
        )
    }

    #[test]
    fn round_trip_and_field_names() {
        let s = sample();
        let bytes = s.to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        for field in [
            "\"_type\":\"https://in-toto.io/Statement/v1\"",
            "\"predicateType\":\"urn:stationward:hardening-signoff:v1\"",
            "\"machineIdHmac\"",
            "\"startedAt\"",
            "\"signedAt\"",
            "\"verdict\":\"FAILED\"",
            "\"method\":\"TEST\"",
            "\"notApplicable\":0",
            "\"notAssessed\":0",
            "\"ledger\":{\"seq\":0,\"prev\":{\"sha256\":\"0000",
            "\"waiver\":{\"justification\"",
        ] {
            assert!(text.contains(field), "{field} missing from {text}");
        }
        assert_eq!(text.matches("\"waiver\"").count(), 1);
        assert_eq!(Statement::from_bytes(&bytes).unwrap(), s);
        assert_eq!(s.predicate.counts.failed, 1);
        assert_eq!(s.predicate.counts.passed, 1);
    }

    #[test]
    fn rejects_other_types() {
        let text = String::from_utf8(sample().to_bytes().unwrap()).unwrap();
        let other = text.replace("hardening-signoff:v1", "other:v9");
        assert!(matches!(
            Statement::from_bytes(other.as_bytes()),
            Err(StatementError::PredicateType(_))
        ));
        let other = text.replace("Statement/v1", "Statement/v0.1");
        assert!(matches!(
            Statement::from_bytes(other.as_bytes()),
            Err(StatementError::Type(_))
        ));
        assert!(matches!(
            Statement::from_bytes(b"{\"_type\":1}"),
            Err(StatementError::Json { .. })
        ));
    }

    #[test]
    fn verdict_names() {
        for v in [
            "PASSED",
            "FAILED",
            "WARNED",
            "NOT_APPLICABLE",
            "NOT_ASSESSED",
        ] {
            assert_eq!(Verdict::parse(v).unwrap().as_str(), v);
        }
        assert_eq!(Verdict::parse("passed"), None);
    }
}
