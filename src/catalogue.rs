//! The closed vocabulary every layer shares: inspection areas, severities, the check
//! registry (ids, areas, titles, default severities) and the status of a finding in its one
//! presentation order.
//!
//! A leaf module: it imports nothing from the crate, so `inspect`, `checks`, `policy`,
//! `checklist` and the front ends can all name these words without depending on each other.
//! The registry is the stable API: check ids appear in scan JSON, checklists, waivers and
//! signed records, so an id is never renamed, only added.

use serde::{Deserialize, Serialize};
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
