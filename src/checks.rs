//! The finding type every check returns, and the rules that produce findings from facts.
//!
//! The registry of check ids, their areas and severities lives in [`crate::catalogue`] (a
//! leaf module, so `inspect` and `policy` can name an area without importing the checks);
//! it is re-exported here under its old paths.

pub mod accounts;
pub mod firewall;
pub mod identity;
pub mod network;
pub mod patches;
pub mod services;
pub mod supporting;

use crate::date::Date;
use crate::host::Evidence;
use crate::inspect::Facts;
use crate::policy::{Policy, WaiverState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::catalogue::{Area, CheckSpec, REGISTRY, Severity, Status, WINDOWS_ONLY, find};

/// A waiver from the site policy, as shown on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    pub justification: String,
    pub approver: String,
    pub expires: Date,
    /// An expired waiver is shown but no longer excuses the finding.
    pub expired: bool,
}

/// What one check concluded, with what it was derived from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check: String,
    pub status: Status,
    pub severity: Severity,
    /// One line a technician understands; for `unknown`, the reason it could not look.
    pub summary: String,
    /// Items behind the summary (accounts named, ports listed), one per line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    pub evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
}

impl Finding {
    /// A finding for a registered check, with the registry's severity.
    pub fn new(check: &str, status: Status, summary: impl Into<String>) -> Finding {
        Finding {
            check: check.to_string(),
            status,
            severity: find(check).map_or(Severity::Medium, |c| c.severity),
            summary: summary.into(),
            details: Vec::new(),
            evidence: Vec::new(),
            waiver: None,
        }
    }

    pub fn unknown(check: &str, reason: impl Into<String>) -> Finding {
        Finding::new(check, Status::Unknown, reason)
    }

    pub fn with_details(mut self, details: Vec<String>) -> Finding {
        self.details = details;
        self
    }

    pub fn with_evidence(mut self, evidence: Vec<Evidence>) -> Finding {
        self.evidence = evidence;
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    /// True when an active waiver excuses this finding.
    pub fn waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }

    /// A failure that counts: failing and not excused by an active waiver.
    pub fn is_failing(&self) -> bool {
        self.status == Status::Fail && !self.waived()
    }
}

/// What every check may consult besides the facts.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext {
    pub today: Date,
    /// Unix seconds, for ages of files and logs.
    pub now: i64,
    /// Whether the inspection could read root-only files.
    pub privileged: bool,
    /// Whether the facts come from the running system (not an offline tree).
    pub live: bool,
}

/// Runs every check of the inspected areas, applies the policy's waivers, and returns the
/// findings in registry order. A registered check that produced nothing is reported as
/// `unknown`, never silently absent or passed.
pub fn evaluate(facts: &Facts, policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let mut produced = Vec::new();
    // Why an area's checks cannot be judged: its inspection (or that of an area whose facts
    // its checks read) failed, or its own evaluation panicked.
    let mut blind: BTreeMap<Area, String> = BTreeMap::new();
    for area in &facts.areas {
        let feeds: &[Area] = match area {
            Area::Supporting => &[Area::Supporting, Area::Services],
            Area::Firewall => &[Area::Firewall, Area::Network],
            _ => std::slice::from_ref(area),
        };
        if let Some(why) = feeds.iter().find_map(|a| facts.failed.get(a)) {
            blind.insert(*area, why.clone());
            continue;
        }
        let judged = crate::inspect::guarded(|| match area {
            Area::Services => services::evaluate(facts, policy, ctx),
            Area::Network => network::evaluate(facts, policy, ctx),
            Area::Accounts => accounts::evaluate(facts, policy, ctx),
            Area::Patches => patches::evaluate(facts, policy, ctx),
            Area::Firewall => firewall::evaluate(facts, policy, ctx),
            Area::Supporting => {
                let mut v = identity::evaluate(facts, policy, ctx);
                v.extend(supporting::evaluate(facts, policy, ctx));
                v
            }
        });
        match judged {
            Ok(found) => produced.extend(found),
            Err(why) => {
                blind.insert(
                    *area,
                    format!("evaluation of {} failed: {why}", area.as_str()),
                );
            }
        }
    }
    let mut out = Vec::new();
    for spec in REGISTRY.iter().filter(|s| facts.areas.contains(&s.area)) {
        let mut mine: Vec<Finding> = match blind.get(&spec.area) {
            Some(why) => vec![Finding::unknown(spec.id, why.clone())],
            None => produced
                .iter()
                .filter(|f| f.check == spec.id)
                .cloned()
                .collect(),
        };
        if mine.is_empty() {
            mine.push(Finding::unknown(
                spec.id,
                "this check produced no result (not implemented in this build)",
            ));
        }
        for mut f in mine {
            apply_waiver(&mut f, policy, ctx.today);
            out.push(f);
        }
    }
    out
}

/// Applies the policy's waivers to findings produced outside `evaluate` (Windows snapshots).
pub fn apply_waivers(findings: &mut [Finding], policy: &Policy, today: Date) {
    for f in findings {
        apply_waiver(f, policy, today);
    }
}

fn apply_waiver(f: &mut Finding, policy: &Policy, today: Date) {
    if !matches!(f.status, Status::Fail | Status::Warn | Status::Unknown) {
        return;
    }
    // The waiver that lasts longest wins; an expired one is still shown.
    let best = policy.waivers_for(&f.check).max_by_key(|w| w.expires);
    if let Some(w) = best {
        f.waiver = Some(AppliedWaiver {
            justification: w.justification.clone(),
            approver: w.approver.clone(),
            expires: w.expires,
            expired: matches!(w.state(today), WaiverState::Expired { .. }),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_prefixed_by_a_known_family() {
        let mut seen = HashSet::new();
        for c in REGISTRY {
            assert!(seen.insert(c.id), "duplicate check id {}", c.id);
            let (family, rest) = c.id.split_once('.').unwrap_or(("", ""));
            assert!(
                !family.is_empty() && !rest.is_empty(),
                "malformed id {}",
                c.id
            );
        }
        assert_eq!(REGISTRY.len(), 36);
        for c in WINDOWS_ONLY {
            assert!(seen.insert(c.id), "duplicate check id {}", c.id);
        }
    }

    #[test]
    fn find_and_area_parse() {
        assert_eq!(
            find("firewall.active").map(|c| c.area),
            Some(Area::Firewall)
        );
        assert!(find("firewall.bogus").is_none());
        assert_eq!(Area::parse("patches"), Some(Area::Patches));
        assert_eq!(Area::parse("Patches"), None);
    }
}
