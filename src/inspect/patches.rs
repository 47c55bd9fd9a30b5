//! Patch state: pending updates (security and all), package-list age, last upgrade, reboot
//! pending, and where the release stands in its support life cycle.
//!
//! Debian/Ubuntu live: `apt list --upgradable` (apt's own answer, so pins, holds and phasing
//! are right; ~0.6 s, writes nothing), plus the security lists read directly to catch security
//! fixes superseded by a point release. RHEL family: `dnf --cacheonly check-update` and
//! `updateinfo list --security`. Offline trees: dpkg's installed versions against the tree's
//! own package lists. Nothing here ever refreshes lists or writes anything.

mod apt;
pub mod aptlists;
pub mod debversion;
mod dnf;
mod kernel;
pub mod lifecycle;
mod logs;
pub mod rpmversion;

pub use apt::*;
pub use dnf::*;
pub use kernel::*;
pub use logs::*;

use crate::date::{Date, rfc3339_utc, unix_now_secs};
use crate::host::{CommandRun, Host, HostError, RunStatus, read_dir_optional, read_optional};
use crate::inspect::gap::{IdentityGap, PackagesGap, PatchesGap};
use crate::inspect::identity::HostIdentity;
use crate::inspect::packages::{InstalledPackage, PackageFacts};
use crate::inspect::{Unseen, is_live};
use aptlists::{AvailableIndex, ListFile, ReleaseInfo};
use lifecycle::OsLifecycle;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const APT_LISTS: &str = "/var/lib/apt/lists";
const APT_HELPER: &str = "/usr/lib/apt/apt-helper";
/// Commands here take well under a second; this bounds a wedged package manager.
const TIMEOUT: Duration = crate::host::DEFAULT_TIMEOUT;

/// `apt list --upgradable` with apt's binary caches disabled: as root, apt would otherwise
/// rewrite a stale /var/cache/apt/pkgcache.bin. Building the cache in memory costs ~0.6 s.
pub const APT_LIST_UPGRADABLE: &[&str] = &[
    "apt",
    "-o",
    "Dir::Cache::pkgcache=",
    "-o",
    "Dir::Cache::srcpkgcache=",
    "list",
    "--upgradable",
];
/// The plain form, looked up in a captured tree (`apt_list_--upgradable.stdout`).
pub const APT_LIST_UPGRADABLE_CAPTURED: &[&str] = &["apt", "list", "--upgradable"];
/// The simulation form that writes nothing (no lock, no planner log, no cache files). Used only
/// when a captured tree holds its output: it takes ~2 s live, too slow for a scan.
pub const APT_GET_SIMULATE: &[&str] = &[
    "apt-get",
    "-s",
    "-o",
    "Debug::NoLocking=1",
    "-o",
    "Dir::Log::Planner=/dev/null",
    "-o",
    "Dir::Cache::pkgcache=",
    "-o",
    "Dir::Cache::srcpkgcache=",
    "dist-upgrade",
];
pub const DNF_CHECK_UPDATE: &[&str] = &["dnf", "-q", "--cacheonly", "check-update"];
pub const DNF_SECURITY: &[&str] = &[
    "dnf",
    "-q",
    "--cacheonly",
    "updateinfo",
    "list",
    "--security",
];
pub const NEEDS_RESTARTING: &[&str] = &["needs-restarting", "-r"];

/// One package with a newer version available (or, under a baseline, approved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpdate {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arch: String,
    pub installed: String,
    pub candidate: String,
    /// The candidate carries a fix published in a security suite or advisory.
    pub security: bool,
    /// Suites (apt) or repositories (dnf) offering the candidate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
    /// Why `security` is set when the candidate itself is not from a security suite.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub security_via: String,
}

/// The running kernel against the installed kernel packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelStatus {
    pub running: String,
    /// Installed package the running kernel came from (empty when none matches).
    pub running_package: String,
    pub running_package_version: String,
    pub newest_package: String,
    pub newest_version: String,
    /// Package version the running kernel was built from (Debian's /proc/version), if stated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub running_build: String,
    /// True when a newer kernel is installed than the one running; None when not comparable.
    pub outdated: Option<bool>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchesFacts {
    /// "apt", "dnf", or empty when no supported package manager was found.
    pub manager: String,
    /// Where `pending` came from (the command, or the offline lists).
    pub source: String,
    pub pending: Vec<PendingUpdate>,
    /// Age of the package lists at inspection time, in whole days.
    pub lists_age_days: Option<i64>,
    /// When the package lists were last refreshed (RFC 3339, UTC).
    pub lists_updated: Option<String>,
    /// The package manager has no downloaded lists at all (never refreshed): counts mean nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lists_missing: bool,
    pub reboot_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reboot_reasons: Vec<String>,
    /// When updates were last applied (RFC 3339; log times are local, read as UTC).
    pub last_upgrade: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_upgrade_source: String,
    /// The earliest entry of the readable package logs: with no upgrade found in them, none
    /// happened since this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_lifecycle: Option<OsLifecycle>,
    /// Caveats a technician should read with the counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// "pending", "pending_partial", "security", "lists_age", "reboot_required",
    /// "last_upgrade", "kernel", "os_lifecycle" → why it could not be seen.
    pub unknown: Unseen<PatchesGap>,
    /// Offline: what the tree's lists offer, compared with the installed packages in `complete`.
    #[serde(skip)]
    pub(crate) offline_index: Option<AvailableIndex>,
    /// The reboot flag before the kernel comparison (/run/reboot-required, needs-restarting).
    #[serde(skip)]
    pub(crate) reboot_flag: Option<bool>,
    /// /proc/version (live only), for the running kernel's package version.
    #[serde(skip)]
    pub(crate) proc_version: String,
}

/// Collects what needs the host. `complete` then adds what needs other areas' facts
/// (installed packages, identity); `inspect` calls both.
pub fn collect(host: &dyn Host) -> PatchesFacts {
    let mut f = PatchesFacts::default();
    // A database that exists and cannot be looked at is not "no database": say why.
    let mut unseen = Vec::new();
    let mut exists = |p: &str| match crate::host::metadata_optional(host, p) {
        Ok(m) => m.is_some(),
        Err(e) => {
            unseen.push(e.to_string());
            false
        }
    };
    if exists("/var/lib/dpkg/status") {
        f.manager = "apt".into();
        collect_apt(host, &mut f);
    } else if ["/var/lib/rpm", "/usr/lib/sysimage/rpm", "/usr/bin/dnf"]
        .iter()
        .any(|p| exists(p))
    {
        f.manager = "dnf".into();
        collect_dnf(host, &mut f);
    } else {
        let why = if unseen.is_empty() {
            "no dpkg or rpm package database found".to_string()
        } else {
            format!("package database not seen: {}", unseen.join("; "))
        };
        for key in [
            PatchesGap::Pending,
            PatchesGap::ListsAge,
            PatchesGap::RebootRequired,
            PatchesGap::LastUpgrade,
        ] {
            f.unknown.insert(key, why.clone());
        }
    }
    if is_live(host)
        && let Ok(v) = host.read("/proc/version")
    {
        f.proc_version = v.text;
    }
    f.reboot_required = f.reboot_flag;
    f
}

/// Adds what depends on the installed packages and the host identity: offline pending updates,
/// installed versions for dnf, the kernel comparison, the final reboot verdict and the OS
/// life cycle.
pub fn complete(f: &mut PatchesFacts, identity: &HostIdentity, packages: &PackageFacts) {
    if let Some(index) = f.offline_index.take() {
        if let Some(why) = packages.unknown.get(&PackagesGap::Packages) {
            f.unknown.insert(
                PatchesGap::Pending,
                format!("installed packages unknown: {why}"),
            );
        } else {
            f.pending = pending_from_index(&index, &packages.installed);
        }
    }
    if f.manager == "dnf" {
        for p in &mut f.pending {
            if p.installed.is_empty()
                && let Some(i) = packages
                    .installed
                    .iter()
                    .find(|i| i.name == p.name && (p.arch.is_empty() || i.arch == p.arch))
            {
                p.installed.clone_from(&i.version);
            }
        }
    }

    let kernel = if identity.kernel.is_empty() {
        let why = identity
            .unknown
            .get(&IdentityGap::Kernel)
            .cloned()
            .unwrap_or_else(|| "running kernel unknown".into());
        f.unknown.insert(PatchesGap::Kernel, why);
        None
    } else if packages.installed.is_empty() {
        let why = packages
            .unknown
            .get(&PackagesGap::Packages)
            .cloned()
            .unwrap_or_else(|| "no installed packages listed".into());
        f.unknown.insert(
            PatchesGap::Kernel,
            format!("installed kernels unknown: {why}"),
        );
        None
    } else {
        Some(kernel_status(
            &identity.kernel,
            &packages.installed,
            &f.manager,
            &f.proc_version,
        ))
    };

    let mut reboot = f.reboot_flag;
    if let Some(k) = &kernel {
        match k.outdated {
            Some(true) => {
                f.reboot_reasons.push(format!(
                    "running kernel {} is older than the installed {} {}",
                    k.running, k.newest_package, k.newest_version
                ));
                reboot = Some(true);
            }
            Some(false) => {}
            None if k.newest_package.is_empty() => {}
            None => {
                if reboot == Some(false) {
                    reboot = None;
                    f.unknown.insert(PatchesGap::RebootRequired, k.note.clone());
                }
            }
        }
    }
    f.reboot_required = reboot;
    f.kernel = kernel;

    match lifecycle::lookup(&identity.os_id, &identity.os_version_id) {
        Some(r) => f.os_lifecycle = Some(OsLifecycle::from(r)),
        None => {
            let why = if let Some(why) = identity.unknown.get(&IdentityGap::Os) {
                format!("operating system unknown: {why}")
            } else if identity.os_id.is_empty() {
                "os-release has no ID".to_string()
            } else {
                let os = if identity.os.is_empty() {
                    &identity.os_id
                } else {
                    &identity.os
                };
                format!(
                    "{os} (ID={} VERSION_ID={}) is not in the shipped end-of-life table",
                    identity.os_id, identity.os_version_id
                )
            };
            f.unknown.insert(PatchesGap::OsLifecycle, why);
        }
    }
}

#[cfg(test)]
mod tests;
