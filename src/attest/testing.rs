//! Helpers for tests and benchmarks that need signed records without a passphrase prompt:
//! an in-memory key trusted in a data directory's `allowed_signers`, and a filled predicate.

use super::keys::{KeyError, KeyStore, OperatorId, Signer};
use super::statement::{
    ChecklistRef, ControlRecord, FindingRecord, HostRef, Method, Predicate, Verdict,
};

/// A fresh in-memory key for `operator`, listed in `<data dir>/allowed_signers`.
pub fn trusted_signer(data_dir: &std::path::Path, operator: &str) -> Result<Signer, KeyError> {
    let signer = Signer::generate_in_memory(OperatorId::parse(operator)?)?;
    KeyStore::new(data_dir).trust(signer.operator(), signer.public_key())?;
    Ok(signer)
}

/// A plausible predicate with two assessed controls.
pub fn sample_predicate() -> Predicate {
    Predicate {
        checklist: ChecklistRef {
            id: "smdds-ics".into(),
            version: "1".into(),
            digest: format!("sha256:{}", "ab".repeat(32)),
        },
        host: HostRef {
            hostname: "cs-ward4".into(),
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            kernel: "6.1.0-18-amd64".into(),
            machine_id_hmac: "cd".repeat(32),
            snapshot: None,
        },
        started_at: "2026-03-01T08:00:00Z".into(),
        privileged: true,
        controls: vec![
            ControlRecord {
                id: "ICS-03".into(),
                verdict: Verdict::Failed,
                note: "IPv6 not filtered; vendor ticket 4411 opened".into(),
                method: Method::Test,
                findings: vec![FindingRecord {
                    check: "firewall.default_deny_inbound".into(),
                    status: "fail".into(),
                    summary: "inet filter input policy accept".into(),
                }],
                waiver: None,
                attachments: Vec::new(),
            },
            ControlRecord {
                id: "ICS-04".into(),
                verdict: Verdict::Passed,
                note: String::new(),
                method: Method::Examine,
                findings: Vec::new(),
                waiver: None,
                attachments: Vec::new(),
            },
        ],
        ..Predicate::default()
    }
}
