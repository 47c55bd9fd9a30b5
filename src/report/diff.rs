//! What changed between two scans (`stationward.scan/v1`) or two summaries
//! (`stationward.summary/v1`), and whether any of it makes the station less safe.
//!
//! Scans are read through a typed, tolerant view of the contract fields
//! ([`super::scan_view::ScanView`]), so older or newer scans with extra or odd fields still
//! compare.

use super::scan_view::{ListenerView, PendingView, ScanView, UnitView, UserView};
use super::summary::{self, Summary, status_rank};
use crate::checks::Status;
use crate::text::{for_terminal, truncate, wrap};
use crate::walkthrough::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

const WIDTH: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error("{name}: not valid JSON at line {line} column {column}: {reason}")]
    Json {
        name: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error(
        "{name}: not a stationward scan or summary (schema {found}; expected {} or {})",
        crate::scan::SCHEMA,
        summary::SCHEMA
    )]
    Schema { name: String, found: String },
    #[error("cannot compare {old} ({old_kind}) with {new} ({new_kind})")]
    Mismatch {
        old: String,
        old_kind: &'static str,
        new: String,
        new_kind: &'static str,
    },
    #[error("{name}: not a valid summary: {reason}")]
    Summary { name: String, reason: String },
    /// A scan missing what a comparison needs: comparing it would say "no regressions" about
    /// nothing.
    #[error("{name}: not a complete scan: {reason}")]
    Incomplete { name: String, reason: String },
}

/// Diff inputs are scans and summaries, which grow with the host (100,000 units).
pub const MAX_DIFF_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Checks that a scan has every part a comparison reads: the header, facts of the areas it
/// inspected, and at least one finding, each with a check id and a known status.
fn require_complete_scan(name: &str, v: &Value) -> Result<(), DiffError> {
    let bad = |reason: String| DiffError::Incomplete {
        name: name.to_string(),
        reason,
    };
    for key in ["tool", "host", "facts"] {
        if !v.get(key).is_some_and(Value::is_object) {
            return Err(bad(format!("\"{key}\" is missing or not an object")));
        }
    }
    if !v.get("scanned_at").is_some_and(Value::is_string) {
        return Err(bad("\"scanned_at\" is missing".to_string()));
    }
    let areas = v
        .get("facts")
        .and_then(|f| f.get("areas"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("\"facts.areas\" is missing or empty: no area was inspected".into()))?;
    for area in areas {
        let area = area
            .as_str()
            .ok_or_else(|| bad("\"facts.areas\" holds a non-string".into()))?;
        if crate::checks::Area::parse(area).is_none() {
            return Err(bad(format!("unknown area \"{area}\" in facts.areas")));
        }
        if !v["facts"].get(area).is_some_and(Value::is_object) {
            return Err(bad(format!("facts of area \"{area}\" are missing")));
        }
    }
    let findings = v
        .get("findings")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| bad("\"findings\" is missing or empty".into()))?;
    let view = ScanView::of(v);
    let typed = view.findings.0.unwrap_or_default();
    for (i, (f, typed)) in findings.iter().zip(&typed).enumerate() {
        if !f.get("check").is_some_and(Value::is_string) {
            return Err(bad(format!("finding {i} has no check id")));
        }
        let status = &typed.status.0;
        if summary::parse_status(status).is_none() {
            return Err(bad(format!(
                "finding {i} ({}) has an unknown status \"{status}\"",
                typed.check.0
            )));
        }
    }
    Ok(())
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// File name or label given by the caller.
    pub label: String,
    pub hostname: String,
    /// When it was scanned (or signed / last changed, for a summary).
    pub at: String,
}

/// A check whose status changed (or that appears on one side only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckChange {
    pub check: String,
    pub old: Option<Status>,
    pub new: Option<Status>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub old_waived: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_waived: bool,
    pub regression: bool,
}

/// A control whose verdict changed between two summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictChange {
    pub control: String,
    pub title: String,
    pub old: Option<Verdict>,
    pub new: Option<Verdict>,
    pub regression: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ListenerEntry {
    pub proto: String,
    pub address: String,
    pub port: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub process: String,
}

impl ListenerEntry {
    fn key(&self) -> (String, String, u64) {
        (self.proto.clone(), self.address.clone(), self.port)
    }

    pub fn describe(&self) -> String {
        let addr = if self.address.contains(':') {
            format!("[{}]", self.address)
        } else {
            self.address.clone()
        };
        let process = if self.process.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.process)
        };
        format!("{} {addr}:{}{process}", self.proto, self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountEntry {
    pub name: String,
    pub uid: Option<u64>,
}

impl AccountEntry {
    pub fn describe(&self) -> String {
        match self.uid {
            Some(uid) => format!("{} (UID {uid})", self.name),
            None => format!("{} (UID unknown)", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PendingEntry {
    pub name: String,
    pub installed: String,
    pub candidate: String,
    pub security: bool,
}

impl PendingEntry {
    pub fn describe(&self) -> String {
        let sec = if self.security { " [security]" } else { "" };
        format!(
            "{} {} → {}{sec}",
            self.name,
            dash(&self.installed),
            dash(&self.candidate)
        )
    }
}

/// Items present on one side only. `regressions` names the added items that count as
/// regressions (by their description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes<T> {
    pub added: Vec<T>,
    pub removed: Vec<T>,
}

impl<T> Default for Changes<T> {
    fn default() -> Self {
        Changes {
            added: Vec::new(),
            removed: Vec::new(),
        }
    }
}

impl<T> Changes<T> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// An existing account whose UID changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UidChange {
    pub name: String,
    pub old: Option<u64>,
    pub new: Option<u64>,
    pub regression: bool,
}

/// Everything that changed, each item flagged when it makes the station less safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffReport {
    /// `scan` or `summary`.
    pub kind: String,
    pub old: Side,
    pub new: Side,
    pub checks: Vec<CheckChange>,
    pub controls: Vec<VerdictChange>,
    pub listeners: Changes<ListenerEntry>,
    /// Services enabled at boot.
    pub services: Changes<String>,
    pub accounts: Changes<AccountEntry>,
    pub uid_changes: Vec<UidChange>,
    pub pending: Changes<PendingEntry>,
    /// What could not be compared, and other things to know (different hosts).
    pub notes: Vec<String>,
}

impl DiffReport {
    fn new(kind: &str, old: Side, new: Side) -> DiffReport {
        DiffReport {
            kind: kind.to_string(),
            old,
            new,
            checks: Vec::new(),
            controls: Vec::new(),
            listeners: Changes::default(),
            services: Changes::default(),
            accounts: Changes::default(),
            uid_changes: Vec::new(),
            pending: Changes::default(),
            notes: Vec::new(),
        }
    }

    /// The regressions, one line each in plain words.
    pub fn regressions(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in self.checks.iter().filter(|c| c.regression) {
            out.push(format!(
                "check {} went {} → {}",
                c.check,
                status_word(c.old, c.old_waived),
                status_word(c.new, c.new_waived)
            ));
        }
        for c in self.controls.iter().filter(|c| c.regression) {
            out.push(format!(
                "control {} went {} → {}",
                c.control,
                verdict_word(c.old),
                verdict_word(c.new)
            ));
        }
        for l in &self.listeners.added {
            out.push(format!("new listener {}", l.describe()));
        }
        for s in &self.services.added {
            out.push(format!("new enabled service {s}"));
        }
        for a in self.accounts.added.iter().filter(|a| a.uid == Some(0)) {
            out.push(format!("new UID 0 account {}", a.name));
        }
        for u in self.uid_changes.iter().filter(|u| u.regression) {
            out.push(format!(
                "account {} now has UID 0 (was {})",
                u.name,
                u.old
                    .map_or_else(|| "unknown".to_string(), |n| n.to_string())
            ));
        }
        out
    }

    /// True when anything got worse: a check or verdict regressed, a listener or enabled
    /// service appeared, or an account gained UID 0.
    pub fn regressed(&self) -> bool {
        !self.regressions().is_empty()
    }

    /// True when nothing at all changed.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
            && self.controls.is_empty()
            && self.listeners.is_empty()
            && self.services.is_empty()
            && self.accounts.is_empty()
            && self.uid_changes.is_empty()
            && self.pending.is_empty()
    }

    /// The comparison as 80-column text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Names, hosts and notes come from the compared files: escaped so none can move the
        // cursor or forge a line ("No regressions") on the terminal.
        let side = |s: &Side| {
            format!(
                "{} ({}, {})",
                for_terminal(&s.label),
                for_terminal(dash(&s.hostname)),
                for_terminal(dash(&s.at))
            )
        };
        let _ = writeln!(out, "stationward diff ({})", self.kind);
        for (tag, s) in [("OLD", &self.old), ("NEW", &self.new)] {
            for (i, line) in wrap(&side(s), WIDTH, "    ").into_iter().enumerate() {
                if i == 0 {
                    let _ = writeln!(out, "{tag} {}", line.trim_start());
                } else {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        let regressions = self.regressions();
        out.push('\n');
        if regressions.is_empty() {
            let verdict = if self.is_empty() {
                "No changes."
            } else {
                "No regressions: nothing got worse."
            };
            let _ = writeln!(out, "{verdict}");
        } else {
            let _ = writeln!(
                out,
                "✘ REGRESSED: {} change{} make{} the station less safe:",
                regressions.len(),
                if regressions.len() == 1 { "" } else { "s" },
                if regressions.len() == 1 { "s" } else { "" }
            );
            for r in &regressions {
                for (i, line) in wrap(&for_terminal(r), WIDTH, "    ")
                    .into_iter()
                    .enumerate()
                {
                    if i == 0 {
                        let _ = writeln!(out, "  ✘ {}", line.trim_start());
                    } else {
                        let _ = writeln!(out, "{line}");
                    }
                }
            }
        }
        for n in &self.notes {
            for (i, line) in wrap(&for_terminal(n), WIDTH, "    ")
                .into_iter()
                .enumerate()
            {
                if i == 0 {
                    let _ = writeln!(out, "  Note: {}", line.trim_start());
                } else {
                    let _ = writeln!(out, "{line}");
                }
            }
        }

        if !self.checks.is_empty() {
            let _ = writeln!(out, "\nCHECKS");
            for c in &self.checks {
                let change = format!(
                    "{} → {}",
                    status_word(c.old, c.old_waived),
                    status_word(c.new, c.new_waived)
                );
                row(&mut out, mark(c.regression), &c.check, &change);
            }
        }
        if !self.controls.is_empty() {
            let _ = writeln!(out, "\nCONTROLS");
            for c in &self.controls {
                let change = format!("{} → {}", verdict_word(c.old), verdict_word(c.new));
                row(&mut out, mark(c.regression), &c.control, &change);
            }
        }
        section(
            &mut out,
            "LISTENERS",
            &self.listeners,
            ListenerEntry::describe,
            |_| true,
        );
        section(
            &mut out,
            "ENABLED SERVICES",
            &self.services,
            String::clone,
            |_| true,
        );
        section(
            &mut out,
            "ACCOUNTS",
            &self.accounts,
            AccountEntry::describe,
            |a| a.uid == Some(0),
        );
        if !self.uid_changes.is_empty() {
            if self.accounts.is_empty() {
                let _ = writeln!(out, "\nACCOUNTS");
            }
            for u in &self.uid_changes {
                let change = format!(
                    "UID {} → {}",
                    u.old.map_or_else(|| "?".to_string(), |n| n.to_string()),
                    u.new.map_or_else(|| "?".to_string(), |n| n.to_string())
                );
                row(&mut out, mark(u.regression), &u.name, &change);
            }
        }
        section(
            &mut out,
            "PENDING UPDATES",
            &self.pending,
            PendingEntry::describe,
            |_| false,
        );
        out
    }
}

fn mark(regression: bool) -> &'static str {
    if regression { "✘" } else { " " }
}

fn row(out: &mut String, mark: &str, name: &str, change: &str) {
    let name = truncate(&for_terminal(name), 36);
    let line = format!("  {mark} {name:<36} {change}");
    let _ = writeln!(out, "{}", truncate(&line, WIDTH));
}

fn section<T>(
    out: &mut String,
    title: &str,
    changes: &Changes<T>,
    describe: impl Fn(&T) -> String,
    added_is_regression: impl Fn(&T) -> bool,
) {
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}");
    for a in &changes.added {
        let m = if added_is_regression(a) { "✘" } else { " " };
        let _ = writeln!(
            out,
            "{}",
            truncate(&format!("  {m} + {}", for_terminal(&describe(a))), WIDTH)
        );
    }
    for r in &changes.removed {
        let _ = writeln!(
            out,
            "{}",
            truncate(&format!("    - {}", for_terminal(&describe(r))), WIDTH)
        );
    }
}

fn status_word(s: Option<Status>, waived: bool) -> String {
    match s {
        None => "(not checked)".to_string(),
        Some(s) if waived => format!("{} (waived)", s.label()),
        Some(s) => s.label().to_string(),
    }
}

fn verdict_word(v: Option<Verdict>) -> &'static str {
    v.map_or("(absent)", Verdict::label)
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// How bad a status is for regression purposes: an actively waived finding counts as fine.
fn badness(s: Status, waived: bool) -> u8 {
    if waived {
        return 0;
    }
    match s {
        Status::Pass | Status::NotApplicable => 0,
        Status::Warn | Status::Unknown => 1,
        Status::Fail => 2,
    }
}

fn verdict_badness(v: Verdict) -> u8 {
    match v {
        Verdict::Passed | Verdict::NotApplicable => 0,
        Verdict::Warned | Verdict::NotAssessed => 1,
        Verdict::Failed => 2,
    }
}

/// Compares two JSON documents (both scans or both summaries); `old_name`/`new_name` label
/// them in messages and in the report.
pub fn diff_json(
    old_name: &str,
    old_text: &str,
    new_name: &str,
    new_text: &str,
) -> Result<DiffReport, DiffError> {
    let old = parse(old_name, old_text)?;
    let new = parse(new_name, new_text)?;
    let (ok, nk) = (kind(old_name, &old)?, kind(new_name, &new)?);
    if ok != nk {
        return Err(DiffError::Mismatch {
            old: old_name.to_string(),
            old_kind: ok,
            new: new_name.to_string(),
            new_kind: nk,
        });
    }
    if ok == "scan" {
        require_complete_scan(old_name, &old)?;
        require_complete_scan(new_name, &new)?;
        return Ok(diff_scans(old_name, &old, new_name, &new));
    }
    let old: Summary = serde_json::from_value(old).map_err(|e| DiffError::Summary {
        name: old_name.to_string(),
        reason: e.to_string(),
    })?;
    let new: Summary = serde_json::from_value(new).map_err(|e| DiffError::Summary {
        name: new_name.to_string(),
        reason: e.to_string(),
    })?;
    Ok(diff_summaries(old_name, &old, new_name, &new))
}

fn parse(name: &str, text: &str) -> Result<Value, DiffError> {
    serde_json::from_str(text).map_err(|e| DiffError::Json {
        name: name.to_string(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })
}

fn kind(name: &str, v: &Value) -> Result<&'static str, DiffError> {
    match v.get("schema").and_then(Value::as_str) {
        Some(crate::scan::SCHEMA) => Ok("scan"),
        Some(summary::SCHEMA) => Ok("summary"),
        other => Err(DiffError::Schema {
            name: name.to_string(),
            found: other.map_or_else(|| "missing".to_string(), |s| format!("\"{s}\"")),
        }),
    }
}

/// Worst status per check, with whether that finding is actively waived.
fn check_statuses(scan: &ScanView) -> BTreeMap<String, (Status, bool)> {
    let mut out: BTreeMap<String, (Status, bool)> = BTreeMap::new();
    for f in scan.findings.0.iter().flatten() {
        let Some(status) = summary::parse_status(&f.status.0) else {
            continue;
        };
        let waived = f.waiver.0;
        let entry = out.entry(f.check.0.clone()).or_insert((status, waived));
        if status_rank(status) < status_rank(entry.0) {
            *entry = (status, waived);
        }
    }
    out
}

fn listeners(list: &[ListenerView]) -> BTreeMap<(String, String, u64), ListenerEntry> {
    list.iter()
        .map(|l| ListenerEntry {
            proto: l.proto.0.clone(),
            address: l.address.0.clone(),
            port: l.port.0.unwrap_or(0),
            process: l.process.0.clone(),
        })
        .map(|l| (l.key(), l))
        .collect()
}

fn enabled_services(list: &[UnitView]) -> BTreeSet<String> {
    list.iter()
        .filter(|u| u.enabled.0)
        .map(|u| u.name.0.clone())
        .filter(|n| !n.is_empty())
        .collect()
}

fn accounts(list: &[UserView]) -> BTreeMap<String, AccountEntry> {
    list.iter()
        .map(|u| AccountEntry {
            name: u.name.0.clone(),
            uid: u.uid.0,
        })
        .filter(|a| !a.name.is_empty())
        .map(|a| (a.name.clone(), a))
        .collect()
}

fn pending(list: &[PendingView]) -> BTreeMap<String, PendingEntry> {
    list.iter()
        .map(|p| PendingEntry {
            name: p.name.0.clone(),
            installed: p.installed.0.clone(),
            candidate: p.candidate.0.clone(),
            security: p.security.0,
        })
        .filter(|p| !p.name.is_empty())
        .map(|p| (p.name.clone(), p))
        .collect()
}

fn set_changes<K: Ord + Clone, T: Clone>(old: &BTreeMap<K, T>, new: &BTreeMap<K, T>) -> Changes<T> {
    Changes {
        added: new
            .iter()
            .filter(|(k, _)| !old.contains_key(k))
            .map(|(_, v)| v.clone())
            .collect(),
        removed: old
            .iter()
            .filter(|(k, _)| !new.contains_key(k))
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

/// Compares the fact list `facts.<area>.<list>` of both scans with `compare`, or notes why not.
fn compare_list<'a, T>(
    report: &mut DiffReport,
    (old, new): (&'a Option<Vec<T>>, &'a Option<Vec<T>>),
    area: &str,
    list: &str,
    compare: impl FnOnce(&mut DiffReport, &'a [T], &'a [T]),
) {
    match (old, new) {
        (Some(o), Some(n)) => compare(report, o, n),
        (o, n) => {
            let missing: Vec<&str> = [(o.is_none(), "OLD"), (n.is_none(), "NEW")]
                .iter()
                .filter(|(m, _)| *m)
                .map(|(_, s)| *s)
                .collect();
            report.notes.push(format!(
                "facts.{area}.{list} not compared: absent from {}",
                missing.join(" and ")
            ));
        }
    }
}

/// Compares two scans given as JSON values (`stationward.scan/v1`).
pub fn diff_scans(old_name: &str, old: &Value, new_name: &str, new: &Value) -> DiffReport {
    let (old, new) = (ScanView::of(old), ScanView::of(new));
    let side = |label: &str, v: &ScanView| Side {
        label: label.to_string(),
        hostname: v.host.0.hostname.0.clone(),
        at: v.scanned_at.0.clone(),
    };
    let mut report = DiffReport::new("scan", side(old_name, &old), side(new_name, &new));
    if report.old.hostname != report.new.hostname {
        report.notes.push(format!(
            "the scans are of different hosts ({} and {})",
            dash(&report.old.hostname),
            dash(&report.new.hostname)
        ));
    }

    let (o, n) = (check_statuses(&old), check_statuses(&new));
    let ids: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    // Registry order where known, so the list reads like a scan.
    let mut ids: Vec<&String> = ids.into_iter().collect();
    ids.sort_by_key(|id| {
        crate::checks::REGISTRY
            .iter()
            .position(|s| s.id == id.as_str())
            .unwrap_or(usize::MAX)
    });
    for id in ids {
        let (before, after) = (o.get(id).copied(), n.get(id).copied());
        if before == after {
            continue;
        }
        let regression = match (before, after) {
            (Some((bs, bw)), Some((as_, aw))) => badness(as_, aw) > badness(bs, bw),
            (None, Some((as_, aw))) => badness(as_, aw) == 2,
            _ => false,
        };
        report.checks.push(CheckChange {
            check: id.clone(),
            old: before.map(|b| b.0),
            new: after.map(|a| a.0),
            old_waived: before.is_some_and(|b| b.1),
            new_waived: after.is_some_and(|a| a.1),
            regression,
        });
    }

    let (of, nf) = (&old.facts.0, &new.facts.0);
    compare_list(
        &mut report,
        (&of.network.0.listeners.0, &nf.network.0.listeners.0),
        "network",
        "listeners",
        |r, o, n| {
            r.listeners = set_changes(&listeners(o), &listeners(n));
        },
    );
    compare_list(
        &mut report,
        (&of.services.0.units.0, &nf.services.0.units.0),
        "services",
        "units",
        |r, o, n| {
            let (o, n) = (enabled_services(o), enabled_services(n));
            r.services = Changes {
                added: n.difference(&o).cloned().collect(),
                removed: o.difference(&n).cloned().collect(),
            };
        },
    );
    compare_list(
        &mut report,
        (&of.accounts.0.users.0, &nf.accounts.0.users.0),
        "accounts",
        "users",
        |r, o, n| {
            let (o, n) = (accounts(o), accounts(n));
            r.accounts = set_changes(&o, &n);
            for (name, before) in &o {
                if let Some(after) = n.get(name)
                    && after.uid != before.uid
                {
                    r.uid_changes.push(UidChange {
                        name: name.clone(),
                        old: before.uid,
                        new: after.uid,
                        regression: after.uid == Some(0),
                    });
                }
            }
        },
    );
    compare_list(
        &mut report,
        (&of.patches.0.pending.0, &nf.patches.0.pending.0),
        "patches",
        "pending",
        |r, o, n| {
            r.pending = set_changes(&pending(o), &pending(n));
        },
    );
    report
}

/// Compares two summaries: verdict changes per control and status changes per check.
pub fn diff_summaries(old_name: &str, old: &Summary, new_name: &str, new: &Summary) -> DiffReport {
    let side = |label: &str, s: &Summary| Side {
        label: label.to_string(),
        hostname: s.header.hostname.clone(),
        at: s
            .header
            .signed_at
            .clone()
            .or_else(|| s.header.updated_at.clone())
            .unwrap_or_else(|| s.header.started_at.clone()),
    };
    let mut report = DiffReport::new("summary", side(old_name, old), side(new_name, new));
    if old.header.hostname != new.header.hostname {
        report.notes.push(format!(
            "the summaries are of different hosts ({} and {})",
            dash(&old.header.hostname),
            dash(&new.header.hostname)
        ));
    }
    if old.header.checklist.id != new.header.checklist.id
        || old.header.checklist.version != new.header.checklist.version
    {
        report.notes.push(format!(
            "different checklists ({} {} and {} {})",
            old.header.checklist.id,
            old.header.checklist.version,
            new.header.checklist.id,
            new.header.checklist.version
        ));
    }
    let mut ids: Vec<&str> = new.controls.iter().map(|c| c.id.as_str()).collect();
    for c in &old.controls {
        if !ids.contains(&c.id.as_str()) {
            ids.push(&c.id);
        }
    }
    for id in ids {
        let before = old.controls.iter().find(|c| c.id == id);
        let after = new.controls.iter().find(|c| c.id == id);
        let (bv, av) = (before.map(|c| c.verdict), after.map(|c| c.verdict));
        if bv == av {
            continue;
        }
        let regression = match (bv, av) {
            (Some(b), Some(a)) => verdict_badness(a) > verdict_badness(b),
            (None, Some(a)) => a == Verdict::Failed,
            _ => false,
        };
        report.controls.push(VerdictChange {
            control: id.to_string(),
            title: after
                .or(before)
                .map(|c| c.title.clone())
                .unwrap_or_default(),
            old: bv,
            new: av,
            regression,
        });
    }
    let statuses = |s: &Summary| -> BTreeMap<String, (Status, bool)> {
        s.areas
            .iter()
            .flat_map(|a| &a.findings)
            .map(|f| (f.check.clone(), (f.status, f.waived)))
            .collect()
    };
    let (o, n) = (statuses(old), statuses(new));
    for spec in crate::checks::REGISTRY {
        let (before, after) = (o.get(spec.id).copied(), n.get(spec.id).copied());
        if before == after {
            continue;
        }
        let regression = match (before, after) {
            (Some((bs, bw)), Some((as_, aw))) => badness(as_, aw) > badness(bs, bw),
            (None, Some((as_, aw))) => badness(as_, aw) == 2,
            _ => false,
        };
        report.checks.push(CheckChange {
            check: spec.id.to_string(),
            old: before.map(|b| b.0),
            new: after.map(|a| a.0),
            old_waived: before.is_some_and(|b| b.1),
            new_waived: after.is_some_and(|a| a.1),
            regression,
        });
    }
    report
}
