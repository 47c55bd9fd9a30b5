//! Check ids, their areas and default severities, and the finding type every check returns.
//!
//! The registry is the stable API: check ids appear in scan JSON, checklists, waivers and
//! signed records, so an id is never renamed, only added.

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
use std::fmt;

/// The inspection areas, the closed set used by checks, controls and `scan --area`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Services,
    Network,
    Accounts,
    Patches,
    Firewall,
    Supporting,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Services,
        Area::Network,
        Area::Accounts,
        Area::Patches,
        Area::Firewall,
        Area::Supporting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Services => "services",
            Area::Network => "network",
            Area::Accounts => "accounts",
            Area::Patches => "patches",
            Area::Firewall => "firewall",
            Area::Supporting => "supporting",
        }
    }

    pub fn parse(s: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the check registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSpec {
    pub id: &'static str,
    pub area: Area,
    pub title: &'static str,
    pub severity: Severity,
}

const fn spec(id: &'static str, area: Area, severity: Severity, title: &'static str) -> CheckSpec {
    CheckSpec {
        id,
        area,
        title,
        severity,
    }
}

use Area::{Accounts, Firewall, Network, Patches, Services, Supporting};
use Severity::{Critical, High, Low, Medium};

/// Every check id in CONTROLS.md, in catalogue order.
pub const REGISTRY: &[CheckSpec] = &[
    spec(
        "host.identity",
        Supporting,
        Low,
        "Host identity recorded (hostname, OS, kernel, machine)",
    ),
    spec(
        "network.listeners",
        Network,
        Medium,
        "Every non-loopback listener is in the site allow-list",
    ),
    spec(
        "network.risky_ports",
        Network,
        High,
        "No risky legacy ports open on a network address",
    ),
    spec(
        "network.hl7_cleartext",
        Network,
        Medium,
        "HL7/MLLP listeners have TLS or VPN evidence",
    ),
    spec(
        "firewall.active",
        Firewall,
        High,
        "A host firewall ruleset is loaded",
    ),
    spec(
        "firewall.default_deny_inbound",
        Firewall,
        High,
        "Inbound default is deny, for IPv4 and IPv6",
    ),
    spec(
        "firewall.ipv6_parity",
        Firewall,
        Medium,
        "IPv6 filtered at least as strictly as IPv4",
    ),
    spec(
        "firewall.listeners_covered",
        Firewall,
        Medium,
        "Each listener is allowed on purpose or dropped",
    ),
    spec(
        "services.legacy_cleartext",
        Services,
        Critical,
        "No telnet, rsh, ftp, tftp, finger or talk servers",
    ),
    spec(
        "services.unexpected",
        Services,
        Medium,
        "Enabled and running services are in the allow-list",
    ),
    spec(
        "patches.pending_security",
        Patches,
        High,
        "No pending security updates",
    ),
    spec(
        "patches.pending_all",
        Patches,
        Low,
        "No pending updates of any kind",
    ),
    spec(
        "patches.data_fresh",
        Patches,
        Medium,
        "Package lists are recent enough to trust the counts",
    ),
    spec(
        "patches.reboot_required",
        Patches,
        Medium,
        "No reboot pending; running kernel is the newest installed",
    ),
    spec(
        "patches.last_applied",
        Patches,
        Medium,
        "Updates were applied within the policy window",
    ),
    spec(
        "patches.os_supported",
        Patches,
        High,
        "Operating system release is still supported",
    ),
    spec(
        "accounts.uid0_only_root",
        Accounts,
        Critical,
        "Only root has UID 0",
    ),
    spec(
        "accounts.no_empty_passwords",
        Accounts,
        Critical,
        "No account has an empty password",
    ),
    spec(
        "accounts.strong_hashes",
        Accounts,
        High,
        "Password hashes use a strong scheme",
    ),
    spec(
        "accounts.system_no_login",
        Accounts,
        High,
        "System accounts cannot log in",
    ),
    spec(
        "accounts.default_names",
        Accounts,
        Medium,
        "No default, vendor or generic account can log in",
    ),
    spec(
        "accounts.sudo_nopasswd",
        Accounts,
        High,
        "sudo always asks for a password",
    ),
    spec(
        "accounts.privileged_members",
        Accounts,
        Medium,
        "Administrative group members reviewed",
    ),
    spec(
        "accounts.password_aging",
        Accounts,
        Low,
        "Password maximum age set per policy",
    ),
    spec(
        "accounts.lockout",
        Accounts,
        Medium,
        "Failed-login lockout configured",
    ),
    spec(
        "ssh.root_login",
        Supporting,
        High,
        "SSH does not accept root logins",
    ),
    spec(
        "ssh.password_auth",
        Supporting,
        Medium,
        "SSH does not accept passwords",
    ),
    spec(
        "remote.tools",
        Supporting,
        High,
        "Only approved remote-access tools are present",
    ),
    spec(
        "malware.present",
        Supporting,
        Medium,
        "Malware protection or an EDR agent is present",
    ),
    spec(
        "mac.enforcing",
        Supporting,
        Medium,
        "AppArmor or SELinux is enforcing",
    ),
    spec(
        "logging.audit",
        Supporting,
        Medium,
        "Audit daemon is installed and enabled",
    ),
    spec(
        "logging.remote",
        Supporting,
        Medium,
        "Logs are forwarded to a central collector",
    ),
    spec("time.sync", Supporting, Medium, "Clock is synchronised"),
    spec(
        "media.usb_storage",
        Supporting,
        Medium,
        "USB mass storage is disabled",
    ),
    spec(
        "storage.encryption",
        Supporting,
        Medium,
        "Root filesystem is on an encrypted volume",
    ),
    spec(
        "kernel.sysctl",
        Supporting,
        Medium,
        "Kernel network and memory hardening settings",
    ),
];

/// Checks that exist only on Windows stations. They are not in `REGISTRY`, so a Linux scan
/// (one finding per `REGISTRY` entry) does not list them; a Windows snapshot scan reports
/// `REGISTRY` and these.
pub const WINDOWS_ONLY: &[CheckSpec] = &[
    spec(
        "accounts.admin_members",
        Accounts,
        High,
        "Administrators (S-1-5-32-544) holds only the accounts the policy names",
    ),
    spec(
        "accounts.builtin_accounts",
        Accounts,
        High,
        "Built-in Administrator (RID 500) and Guest (RID 501) are disabled",
    ),
    spec(
        "os.security_options",
        Supporting,
        Medium,
        "Windows security options hardened (blank passwords, LM/NTLM, SMBv1, WDigest, LLMNR/NetBIOS, UAC)",
    ),
];

/// Looks a check up by id (Linux and Windows checks alike).
pub fn find(id: &str) -> Option<&'static CheckSpec> {
    REGISTRY.iter().chain(WINDOWS_ONLY).find(|c| c.id == id)
}

/// The outcome of a check. `Unknown` always comes with the reason in the finding's summary.
///
/// The variants are declared in the project's one presentation order — fail, warn, unknown,
/// pass, n/a — and `Ord` follows it: the TUI, the summaries and the diff all sort by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    Warn,
    Unknown,
    Pass,
    NotApplicable,
}

impl Status {
    /// Every status, in the one presentation order (worst first).
    pub const ORDER: [Status; 5] = [
        Status::Fail,
        Status::Warn,
        Status::Unknown,
        Status::Pass,
        Status::NotApplicable,
    ];

    /// Rank in the one presentation order: 0 for fail … 4 for n/a.
    pub fn order(self) -> u8 {
        self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "not_applicable",
        }
    }

    /// Glyph and word, so meaning never rests on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "✔ PASS",
            Status::Warn => "! WARN",
            Status::Fail => "✘ FAIL",
            Status::Unknown => "? UNKNOWN",
            Status::NotApplicable => "– N/A",
        }
    }
}

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
