//! A scan: inspect the host, run every check, and keep both in the `stationward.scan/v1` shape.

pub mod render;

use crate::checks::{self, Area, CheckContext, Finding, Status};
use crate::date::{Date, rfc3339_utc, unix_now_secs};
use crate::host::{Host, HostKind};
use crate::inspect::{self, Facts, identity::HostIdentity};
use crate::policy::Policy;
use serde::{Deserialize, Serialize};

pub const SCHEMA: &str = "stationward.scan/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn this() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    pub schema: String,
    pub tool: Tool,
    pub host: HostIdentity,
    /// The offline tree inspected, or null for the live host.
    pub root: Option<String>,
    pub privileged: bool,
    pub scanned_at: String,
    /// The policy the findings were judged against.
    pub policy: String,
    pub facts: Facts,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub unknown: usize,
    pub not_applicable: usize,
    pub waived: usize,
}

impl StatusCounts {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> StatusCounts {
        let mut c = StatusCounts::default();
        for f in findings {
            c.add(f.status, f.waived());
        }
        c
    }

    /// Counts one finding; a waived one counts as waived, whatever its status.
    pub fn add(&mut self, status: Status, waived: bool) {
        let slot = match (waived, status) {
            (true, _) => &mut self.waived,
            (false, Status::Pass) => &mut self.pass,
            (false, Status::Warn) => &mut self.warn,
            (false, Status::Fail) => &mut self.fail,
            (false, Status::Unknown) => &mut self.unknown,
            (false, Status::NotApplicable) => &mut self.not_applicable,
        };
        *slot += 1;
    }
}

impl Scan {
    pub fn counts(&self) -> StatusCounts {
        StatusCounts::of(&self.findings)
    }

    pub fn counts_for(&self, area: Area) -> StatusCounts {
        StatusCounts::of(
            self.findings
                .iter()
                .filter(|f| checks::find(&f.check).is_some_and(|s| s.area == area)),
        )
    }

    /// True when any check fails and no active waiver excuses it.
    pub fn has_failures(&self) -> bool {
        self.findings.iter().any(Finding::is_failing)
    }

    pub fn finding(&self, check: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check == check)
    }
}

/// Inspects `areas` of `host` and judges them against `policy`.
pub fn run(host: &dyn Host, policy: &Policy, areas: &[Area]) -> Scan {
    judge(host, policy, inspect::inspect(host, areas))
}

/// Checks already-collected facts (the TUI collects with progress, then judges).
pub fn judge(host: &dyn Host, policy: &Policy, facts: Facts) -> Scan {
    let now = unix_now_secs();
    let ctx = CheckContext {
        today: Date::from_unix_days(now.div_euclid(86_400)),
        now,
        privileged: host.privileged(),
        live: host.kind() == HostKind::Live,
    };
    let findings = checks::evaluate(&facts, policy, &ctx);
    Scan {
        schema: SCHEMA.to_string(),
        tool: Tool::this(),
        host: facts.identity.clone(),
        root: match host.kind() {
            HostKind::Live => None,
            HostKind::Root(dir) | HostKind::Snapshot(dir) => Some(dir.display().to_string()),
        },
        privileged: ctx.privileged,
        scanned_at: rfc3339_utc(now),
        policy: policy.origin.display().to_string(),
        facts,
        findings,
    }
}
