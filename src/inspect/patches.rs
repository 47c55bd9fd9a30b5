//! Patch state: pending updates (security and all), package-list age, last upgrade, reboot
//! pending, and where the release stands in its support life cycle.
//!
//! Debian/Ubuntu live: `apt list --upgradable` (apt's own answer, so pins, holds and phasing
//! are right; ~0.6 s, writes nothing), plus the security lists read directly to catch security
//! fixes superseded by a point release. RHEL family: `dnf --cacheonly check-update` and
//! `updateinfo list --security`. Offline trees: dpkg's installed versions against the tree's
//! own package lists. Nothing here ever refreshes lists or writes anything.

pub mod aptlists;
pub mod debversion;
pub mod lifecycle;
pub mod rpmversion;

use crate::date::{Date, rfc3339_utc, unix_now_secs};
use crate::host::{CommandRun, Host, RunStatus};
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
    pub unknown: Unseen,
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
    if host.metadata("/var/lib/dpkg/status").is_ok() {
        f.manager = "apt".into();
        collect_apt(host, &mut f);
    } else if ["/var/lib/rpm", "/usr/lib/sysimage/rpm", "/usr/bin/dnf"]
        .iter()
        .any(|p| host.metadata(p).is_ok())
    {
        f.manager = "dnf".into();
        collect_dnf(host, &mut f);
    } else {
        let why = "no dpkg or rpm package database found".to_string();
        for key in ["pending", "lists_age", "reboot_required", "last_upgrade"] {
            f.unknown.insert(key.into(), why.clone());
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
        if let Some(why) = packages.unknown.get("packages") {
            f.unknown.insert(
                "pending".into(),
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
            .get("kernel")
            .cloned()
            .unwrap_or_else(|| "running kernel unknown".into());
        f.unknown.insert("kernel".into(), why);
        None
    } else if packages.installed.is_empty() {
        let why = packages
            .unknown
            .get("packages")
            .cloned()
            .unwrap_or_else(|| "no installed packages listed".into());
        f.unknown
            .insert("kernel".into(), format!("installed kernels unknown: {why}"));
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
                    f.unknown.insert("reboot_required".into(), k.note.clone());
                }
            }
        }
    }
    f.reboot_required = reboot;
    f.kernel = kernel;

    match lifecycle::lookup(&identity.os_id, &identity.os_version_id) {
        Some(r) => f.os_lifecycle = Some(OsLifecycle::from(r)),
        None => {
            let why = if let Some(why) = identity.unknown.get("os") {
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
            f.unknown.insert("os_lifecycle".into(), why);
        }
    }
}

// ----------------------------------------------------------------------------------------
// apt

fn collect_apt(host: &dyn Host, f: &mut PatchesFacts) {
    let live = is_live(host);
    let lists = host.read_dir(APT_LISTS);
    let names = lists.clone().unwrap_or_default();
    let releases = read_releases(host, &names);

    let (apt_list, security) = std::thread::scope(|scope| {
        let argv = if live {
            APT_LIST_UPGRADABLE
        } else {
            APT_LIST_UPGRADABLE_CAPTURED
        };
        let apt = scope.spawn(move || host.run(argv, TIMEOUT));
        let security = read_lists(host, &names, &releases, ListChoice::SecurityOnly, live);
        (apt.join().ok(), security)
    });

    match apt_list {
        Some(run) if run.exited_with(&[0]) => {
            let parsed = parse_apt_list_upgradable(&run.stdout);
            f.source = if live {
                "apt list --upgradable".into()
            } else {
                "apt list --upgradable (captured)".into()
            };
            note_skipped(f, parsed.skipped, "apt list");
            f.pending = parsed.updates;
            mark_superseded_security(f, &security);
            let any_lists = names.iter().any(|n| aptlists::packages_file(n).is_some());
            if any_lists
                && security.index.lists_read == 0
                && security.unreadable.is_empty()
                && !f.pending.iter().any(|p| p.security)
            {
                f.unknown.insert(
                    "security".into(),
                    format!("no security suite (such as *-security) among the package lists in {APT_LISTS}: security updates cannot be seen"),
                );
            }
        }
        Some(run) if matches!(run.status, RunStatus::NotRun(_)) => {
            offline_apt(host, f, &names, &releases, &run);
        }
        Some(run) => {
            let why = run.unusable_reason().unwrap_or_else(|| {
                format!("apt list --upgradable failed: {}", first_line(&run.stderr))
            });
            f.unknown.insert("pending".into(), why);
        }
        None => {
            f.unknown.insert(
                "pending".into(),
                "apt list --upgradable could not be run".into(),
            );
        }
    }

    match &lists {
        Ok(_) => {
            let mut times: Vec<i64> = names
                .iter()
                .filter(|n| aptlists::release_prefix(n).is_some())
                .filter_map(|n| host.metadata(&format!("{APT_LISTS}/{n}")).ok())
                .map(|m| m.mtime)
                .collect();
            if let Ok(m) = host.metadata("/var/lib/apt/periodic/update-success-stamp") {
                times.push(m.mtime);
            }
            match times.into_iter().max() {
                Some(t) => set_lists_time(f, t),
                None => {
                    f.lists_missing = true;
                    f.unknown.insert(
                        "lists_age".into(),
                        "no package lists: apt-get update has never run".into(),
                    );
                }
            }
        }
        Err(e) if e.is_not_found() => {
            f.lists_missing = true;
            f.unknown.insert(
                "lists_age".into(),
                format!("no package lists: {APT_LISTS} does not exist"),
            );
        }
        Err(e) => {
            f.unknown.insert("lists_age".into(), e.to_string());
        }
    }
    // Without lists apt knows no candidates: an empty answer is not "nothing pending".
    if f.lists_missing && f.pending.is_empty() {
        f.unknown.entry("pending".into()).or_insert_with(|| {
            "no package lists: apt has nothing to compare with (apt-get update has never run)"
                .into()
        });
    }

    let mut logs = LogSummary::default();
    let mut sources = Vec::new();
    let apt_logs = host.read_dir("/var/log/apt").unwrap_or_default();
    let var_log = host.read_dir("/var/log").unwrap_or_default();
    for (dir, file, listing, parse) in [
        (
            "/var/log/apt",
            "history.log",
            &apt_logs,
            parse_apt_history as fn(&str) -> LogSummary,
        ),
        (
            "/var/log/apt",
            "history.log.1",
            &apt_logs,
            parse_apt_history,
        ),
        ("/var/log", "dpkg.log", &var_log, parse_dpkg_log),
        ("/var/log", "dpkg.log.1", &var_log, parse_dpkg_log),
    ] {
        if !listing.iter().any(|n| n == file) {
            continue;
        }
        let path = format!("{dir}/{file}");
        if let Ok(t) = host.read(&path) {
            let s = parse(&t.text);
            if s.newest_upgrade.is_some() && s.newest_upgrade >= logs.newest_upgrade {
                sources.push(path.clone());
            }
            logs.merge(s);
        }
    }
    let rotated = apt_logs.iter().chain(var_log.iter()).any(|n| {
        (n.starts_with("history.log.") || n.starts_with("dpkg.log.")) && n.ends_with(".gz")
    });
    set_last_upgrade(
        f,
        &logs,
        sources.last().map_or("", String::as_str),
        rotated,
        "/var/log/apt/history.log or /var/log/dpkg.log",
    );

    // /run/reboot-required is written by packages that need a reboot (kernel, libc, ...).
    match host.read("/run/reboot-required") {
        Ok(_) => {
            f.reboot_flag = Some(true);
            let pkgs = host
                .read("/run/reboot-required.pkgs")
                .map(|t| parse_reboot_required_pkgs(&t.text))
                .unwrap_or_default();
            f.reboot_reasons.push(if pkgs.is_empty() {
                "/run/reboot-required is present".to_string()
            } else {
                format!("/run/reboot-required lists {}", pkgs.join(", "))
            });
        }
        Err(e) if e.is_not_found() && live => f.reboot_flag = Some(false),
        Err(e) if e.is_not_found() => {
            f.unknown.insert(
                "reboot_required".into(),
                "offline image: no running system to compare".into(),
            );
        }
        Err(e) => {
            f.unknown.insert("reboot_required".into(), e.to_string());
        }
    }
}

fn offline_apt(
    host: &dyn Host,
    f: &mut PatchesFacts,
    names: &[String],
    releases: &BTreeMap<String, ReleaseInfo>,
    apt_list: &CommandRun,
) {
    // A captured simulation is the next best thing to a captured apt list.
    let sim = host.run(APT_GET_SIMULATE, TIMEOUT);
    if sim.exited_with(&[0]) {
        let parsed = parse_apt_get_simulate(&sim.stdout);
        f.source = "apt-get -s dist-upgrade (captured)".into();
        note_skipped(f, parsed.skipped, "apt-get -s");
        f.pending = parsed.updates;
        return;
    }
    let lists = read_lists(host, names, releases, ListChoice::All, false);
    if lists.index.lists_read == 0 {
        let why = if !lists.unreadable.is_empty() {
            format!(
                "the package lists in this image are compressed ({}); stationward reads only uncompressed lists offline",
                lists.unreadable.join(", ")
            )
        } else if names.is_empty() {
            format!("no package lists in {APT_LISTS} (apt-get update never ran in this image)")
        } else {
            apt_list
                .unusable_reason()
                .unwrap_or_else(|| "no readable package lists".into())
        };
        f.unknown.insert("pending".into(), why);
        return;
    }
    f.source = format!(
        "installed versions against the image's package lists ({} read)",
        lists.index.lists_read
    );
    f.notes.push(
        "offline: candidates are the highest versions in the image's lists; apt pinning and holds are not applied".into(),
    );
    if !lists.unreadable.is_empty() || !lists.truncated.is_empty() {
        let mut parts = Vec::new();
        if !lists.unreadable.is_empty() {
            parts.push(format!(
                "compressed lists not read: {}",
                lists.unreadable.join(", ")
            ));
        }
        if !lists.truncated.is_empty() {
            parts.push(format!(
                "lists cut at the read limit: {}",
                lists.truncated.join(", ")
            ));
        }
        f.unknown.insert("pending_partial".into(), parts.join("; "));
    }
    if !lists.security_complete {
        f.unknown.insert(
            "security".into(),
            "no complete security list was readable in the image (security updates may be missed)"
                .into(),
        );
    }
    f.offline_index = Some(lists.index);
}

/// Marks pending items whose candidate is not from a security suite but carries a security fix
/// (a security version newer than installed that the point release superseded).
fn mark_superseded_security(f: &mut PatchesFacts, security: &ListsRead) {
    if f.pending.iter().all(|p| p.security) {
        return;
    }
    if security.index.lists_read == 0
        || !security.unreadable.is_empty()
        || !security.truncated.is_empty()
    {
        let mut missing: Vec<String> = security.unreadable.clone();
        missing.extend(security.truncated.iter().cloned());
        let what = if missing.is_empty() {
            "no security list found".to_string()
        } else {
            missing.join(", ")
        };
        f.notes.push(format!(
            "security classification follows the candidate's suite only ({what}): a security fix superseded by a point release is counted as a regular update"
        ));
    }
    for p in f.pending.iter_mut().filter(|p| !p.security) {
        if let Some(o) = security
            .index
            .security_fix(&p.name, &p.arch, &p.installed, &p.candidate)
        {
            p.security = true;
            p.security_via = format!("{} {} (superseded by the candidate)", o.suite, o.version);
        }
    }
}

fn note_skipped(f: &mut PatchesFacts, skipped: usize, what: &str) {
    if skipped > 0 {
        f.unknown.insert(
            "pending_partial".into(),
            format!("{skipped} line(s) of {what} output could not be parsed"),
        );
    }
}

fn read_releases(host: &dyn Host, names: &[String]) -> BTreeMap<String, ReleaseInfo> {
    let mut out = BTreeMap::new();
    for n in names {
        if let Some(prefix) = aptlists::release_prefix(n) {
            // Prefer InRelease over Release when both exist (sorted: "InRelease" first).
            if out.contains_key(prefix) {
                continue;
            }
            if let Ok(t) = host.read(&format!("{APT_LISTS}/{n}")) {
                out.insert(prefix.to_string(), aptlists::parse_release(&t.text));
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListChoice {
    All,
    SecurityOnly,
}

#[derive(Debug, Default)]
struct ListsRead {
    index: AvailableIndex,
    unreadable: Vec<String>,
    truncated: Vec<String>,
    /// At least one security list was read whole, and none was missed.
    security_complete: bool,
}

fn read_lists(
    host: &dyn Host,
    names: &[String],
    releases: &BTreeMap<String, ReleaseInfo>,
    choice: ListChoice,
    live: bool,
) -> ListsRead {
    let mut out = ListsRead::default();
    let mut security_read = 0;
    let mut security_missed = 0;
    let empty = ReleaseInfo::default();
    for n in names {
        let Some(kind) = aptlists::packages_file(n) else {
            continue;
        };
        let release = aptlists::release_for(n, releases.keys().map(String::as_str))
            .and_then(|p| releases.get(p))
            .unwrap_or(&empty);
        let security = release.is_security() || n.to_ascii_lowercase().contains("security");
        if choice == ListChoice::SecurityOnly && !security {
            continue;
        }
        let path = format!("{APT_LISTS}/{n}");
        let text = match kind {
            ListFile::Plain => host.read(&path).ok().map(|t| (t.text, t.truncated)),
            // apt's helper decompresses its own lists (lz4 included) and writes nothing.
            ListFile::Compressed(_) if live => {
                let run = host.run(&[APT_HELPER, "cat-file", &path], TIMEOUT);
                run.exited_with(&[0]).then(|| {
                    let cut = run.stdout.len() as u64 >= crate::host::MAX_READ_BYTES;
                    (run.stdout, cut)
                })
            }
            ListFile::Compressed(_) => None,
        };
        let Some((text, truncated)) = text else {
            out.unreadable.push(n.clone());
            if security {
                security_missed += 1;
            }
            continue;
        };
        if truncated {
            out.truncated.push(n.clone());
            if security {
                security_missed += 1;
            }
        } else if security {
            security_read += 1;
        }
        let suite = if release.suite.is_empty() {
            list_suite_from_name(n)
        } else {
            release.suite.clone()
        };
        out.index.add(
            aptlists::parse_packages(&text, truncated),
            &suite,
            security,
            release.not_automatic,
        );
    }
    out.security_complete = security_read > 0 && security_missed == 0;
    out
}

/// `host_path_dists_SUITE_component_binary-arch_Packages` → SUITE (best effort, for display).
fn list_suite_from_name(name: &str) -> String {
    name.split_once("_dists_")
        .and_then(|(_, rest)| rest.split('_').next())
        .unwrap_or("")
        .to_string()
}

fn pending_from_index(
    index: &AvailableIndex,
    installed: &[InstalledPackage],
) -> Vec<PendingUpdate> {
    let mut out = Vec::new();
    for p in installed {
        let Some((candidate, origins)) = index.candidate(&p.name, &p.arch, &p.version) else {
            continue;
        };
        let direct = origins
            .iter()
            .any(|s| s.to_ascii_lowercase().contains("security"));
        let fix = if direct {
            None
        } else {
            index.security_fix(&p.name, &p.arch, &p.version, &candidate)
        };
        out.push(PendingUpdate {
            name: p.name.clone(),
            arch: p.arch.clone(),
            installed: p.version.clone(),
            candidate,
            security: direct || fix.is_some(),
            origins,
            security_via: fix
                .map(|o| format!("{} {} (superseded by the candidate)", o.suite, o.version))
                .unwrap_or_default(),
        });
    }
    out
}

/// Parsed update listing, with how many lines looked like entries but could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateListing {
    pub updates: Vec<PendingUpdate>,
    pub skipped: usize,
}

fn suite_is_security(suite: &str) -> bool {
    suite.to_ascii_lowercase().contains("security")
}

/// Parses `apt list --upgradable`:
/// `openssl/stable-security,stable 3.0.17-1~deb12u2 amd64 [upgradable from: 3.0.15-1~deb12u1]`.
pub fn parse_apt_list_upgradable(text: &str) -> UpdateListing {
    let mut out = UpdateListing::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with("Listing")
            || line.starts_with("WARNING:")
            || line.starts_with("N:")
        {
            continue;
        }
        match parse_apt_list_line(line) {
            Some(u) => out.updates.push(u),
            None => out.skipped += 1,
        }
    }
    out
}

fn parse_apt_list_line(line: &str) -> Option<PendingUpdate> {
    let (head, tail) = line.split_once(" [upgradable from: ")?;
    let installed = tail.strip_suffix(']')?.trim();
    let mut fields = head.split_whitespace();
    let (name_suites, candidate, arch) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || installed.is_empty() || installed.contains(char::is_whitespace) {
        return None;
    }
    let (name, suites) = name_suites.split_once('/')?;
    if name.is_empty() {
        return None;
    }
    let origins: Vec<String> = suites
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Some(PendingUpdate {
        name: name.to_string(),
        arch: arch.to_string(),
        installed: installed.to_string(),
        candidate: candidate.to_string(),
        security: origins.iter().any(|s| suite_is_security(s)),
        origins,
        security_via: String::new(),
    })
}

/// Parses the `Inst` lines of `apt-get -s dist-upgrade`:
/// `Inst libssl3 [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian:12.11/stable, Debian-Security:12/stable-security [amd64])`.
/// New packages the upgrade would install (no `[old]`) are not pending updates and are left out.
pub fn parse_apt_get_simulate(text: &str) -> UpdateListing {
    let mut out = UpdateListing::default();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("Inst ") else {
            continue;
        };
        if !rest.contains(" [")
            || rest
                .find(" (")
                .is_some_and(|p| rest.find(" [").is_some_and(|q| p < q))
        {
            continue; // a new install: no installed version
        }
        match parse_inst_line(rest) {
            Some(u) => out.updates.push(u),
            None => out.skipped += 1,
        }
    }
    out
}

fn parse_inst_line(rest: &str) -> Option<PendingUpdate> {
    let (name, rest) = rest.split_once(" [")?;
    let (installed, rest) = rest.split_once("] (")?;
    let (inner, _) = rest.split_once(')')?;
    let (candidate, origins_arch) = inner.split_once(' ')?;
    let origins_part = origins_arch
        .rsplit_once(" [")
        .map_or(origins_arch, |(o, _)| o);
    let arch = origins_arch
        .rsplit_once(" [")
        .and_then(|(_, a)| a.strip_suffix(']'))
        .unwrap_or("");
    let (name, name_arch) = name.split_once(':').unwrap_or((name, ""));
    let origins: Vec<String> = origins_part
        .split(", ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if name.is_empty() || installed.is_empty() || candidate.is_empty() || origins.is_empty() {
        return None;
    }
    Some(PendingUpdate {
        name: name.to_string(),
        arch: if name_arch.is_empty() {
            arch.to_string()
        } else {
            name_arch.to_string()
        },
        installed: installed.to_string(),
        candidate: candidate.to_string(),
        security: origins.iter().any(|o| suite_is_security(o)),
        origins,
        security_via: String::new(),
    })
}

/// Package names listed in /run/reboot-required.pkgs, deduplicated, in order.
pub fn parse_reboot_required_pkgs(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| seen.insert(l.to_string()))
        .map(str::to_string)
        .collect()
}

// ----------------------------------------------------------------------------------------
// Logs

/// What a package log says about upgrades.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogSummary {
    /// Unix time of the newest upgrade.
    pub newest_upgrade: Option<i64>,
    /// Unix time of the earliest entry of any kind.
    pub oldest_entry: Option<i64>,
}

impl LogSummary {
    fn merge(&mut self, other: LogSummary) {
        self.newest_upgrade = self.newest_upgrade.max(other.newest_upgrade);
        self.oldest_entry = match (self.oldest_entry, other.oldest_entry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn saw(&mut self, t: i64, upgrade: bool) {
        self.oldest_entry = Some(self.oldest_entry.map_or(t, |o| o.min(t)));
        if upgrade {
            self.newest_upgrade = Some(self.newest_upgrade.map_or(t, |n| n.max(t)));
        }
    }
}

/// `YYYY-MM-DD` and `HH:MM:SS` as Unix time (the logs' local time read as UTC).
fn log_time(date: &str, time: &str) -> Option<i64> {
    let date = Date::parse(date)?;
    let mut hms = time.splitn(3, ':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let s: i64 = hms.next()?.get(..2)?.parse().ok()?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(date.unix_days() * 86_400 + h * 3600 + m * 60 + s)
}

/// /var/log/apt/history.log: stanzas with `Start-Date: 2026-09-22  04:48:20` and, when
/// packages were upgraded, an `Upgrade:` line.
pub fn parse_apt_history(text: &str) -> LogSummary {
    let mut out = LogSummary::default();
    for stanza in text.split("\n\n") {
        let mut start = None;
        let mut upgraded = false;
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Start-Date:") {
                let mut f = v.split_whitespace();
                start = f.next().zip(f.next()).and_then(|(d, t)| log_time(d, t));
            } else if let Some(v) = line.strip_prefix("Upgrade:") {
                upgraded |= !v.trim().is_empty();
            }
        }
        if let Some(t) = start {
            out.saw(t, upgraded);
        }
    }
    out
}

/// /var/log/dpkg.log: `2026-09-22 04:48:20 upgrade curl:amd64 7.88.1-10+deb12u14 7.88.1-10+deb12u15`.
pub fn parse_dpkg_log(text: &str) -> LogSummary {
    let mut out = LogSummary::default();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(d), Some(t)) = (f.next(), f.next()) else {
            continue;
        };
        let Some(time) = log_time(d, t) else {
            continue;
        };
        out.saw(time, f.next() == Some("upgrade"));
    }
    out
}

/// /var/log/dnf.rpm.log: `2024-05-01T10:00:00+0000 SUBDEBUG Upgrade: openssl-1:3.0.7-27.el9.x86_64`.
pub fn parse_dnf_rpm_log(text: &str) -> LogSummary {
    let mut out = LogSummary::default();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(stamp) = f.next() else {
            continue;
        };
        let Some(time) = dnf_time(stamp) else {
            continue;
        };
        let upgrade = f
            .nth(1)
            .is_some_and(|w| w == "Upgrade:" || w == "Upgraded:");
        out.saw(time, upgrade);
    }
    out
}

/// `2024-05-01T10:00:00+0000`, `...Z` or `...+00:00` → Unix time (offset applied).
fn dnf_time(stamp: &str) -> Option<i64> {
    let (date, rest) = stamp.split_once('T')?;
    let local = log_time(date, rest.get(..8)?)?;
    let offset = rest.get(8..).unwrap_or("");
    let offset_secs = match offset {
        "" | "Z" => 0,
        o => {
            let sign = match o.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    Some(local - offset_secs)
}

fn set_last_upgrade(
    f: &mut PatchesFacts,
    logs: &LogSummary,
    source: &str,
    rotated: bool,
    looked_in: &str,
) {
    f.logs_since = logs.oldest_entry.map(rfc3339_utc);
    match logs.newest_upgrade {
        Some(t) => {
            f.last_upgrade = Some(rfc3339_utc(t));
            f.last_upgrade_source = source.to_string();
        }
        None => {
            let mut why = format!("no upgrade recorded in {looked_in}");
            if rotated {
                why.push_str(" (older logs are compressed and not read)");
            }
            f.unknown.insert("last_upgrade".into(), why);
        }
    }
}

fn set_lists_time(f: &mut PatchesFacts, t: i64) {
    f.lists_updated = Some(rfc3339_utc(t));
    f.lists_age_days = Some(((unix_now_secs() - t) / 86_400).max(0));
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no error text")
}

// ----------------------------------------------------------------------------------------
// dnf

/// Where dnf (and dnf5, and yum) cache repository metadata.
pub const DNF_CACHES: [&str; 3] = ["/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum"];

fn collect_dnf(host: &dyn Host, f: &mut PatchesFacts) {
    let live = is_live(host);
    let (check, security, restart) = std::thread::scope(|scope| {
        let check = scope.spawn(|| host.run(DNF_CHECK_UPDATE, TIMEOUT));
        let security = scope.spawn(|| host.run(DNF_SECURITY, TIMEOUT));
        let restart = host.run(NEEDS_RESTARTING, TIMEOUT);
        (check.join().ok(), security.join().ok(), restart)
    });
    match check {
        // check-update: 100 = updates available, 0 = none.
        Some(run) if run.exited_with(&[0, 100]) => {
            let parsed = parse_dnf_check_update(&run.stdout);
            if run.exited_with(&[100]) && parsed.updates.is_empty() {
                f.unknown.insert(
                    "pending".into(),
                    "dnf reported updates but none could be parsed".into(),
                );
            } else {
                f.source = if live {
                    "dnf check-update (cache only)".into()
                } else {
                    "dnf check-update (captured)".into()
                };
                note_skipped(f, parsed.skipped, "dnf check-update");
                f.pending = parsed.updates;
            }
        }
        Some(run) => {
            let why = run
                .unusable_reason()
                .unwrap_or_else(|| format!("dnf check-update failed: {}", first_line(&run.stderr)));
            f.unknown.insert("pending".into(), why);
        }
        None => {
            f.unknown
                .insert("pending".into(), "dnf check-update could not be run".into());
        }
    }
    match security {
        Some(run) if run.exited_with(&[0]) => {
            let advisories = parse_dnf_updateinfo(&run.stdout);
            for p in &mut f.pending {
                if let Some(id) = advisories.iter().find(|a| {
                    a.name == p.name
                        && (a.arch.is_empty()
                            || p.arch.is_empty()
                            || a.arch == p.arch
                            || a.arch == "noarch")
                }) {
                    p.security = true;
                    p.security_via = id.advisory.clone();
                }
            }
        }
        Some(run) => {
            let why = run
                .unusable_reason()
                .unwrap_or_else(|| format!("dnf updateinfo failed: {}", first_line(&run.stderr)));
            f.unknown.insert("security".into(), why);
        }
        None => {
            f.unknown
                .insert("security".into(), "dnf updateinfo could not be run".into());
        }
    }

    // Metadata age: the newest repomd.xml in dnf's (or dnf5's) cache. Each one is also read
    // (a few KB) so that it is recorded as evidence for patches.data_fresh; metadata() alone
    // records nothing.
    let mut newest = None;
    for cache in DNF_CACHES {
        for repo in host.read_dir(cache).unwrap_or_default() {
            let repomd = format!("{cache}/{repo}/repodata/repomd.xml");
            if let Ok(m) = host.metadata(&repomd) {
                newest = newest.max(Some(m.mtime));
                let _recorded = host.read(&repomd);
            }
        }
    }
    match newest {
        Some(t) => set_lists_time(f, t),
        None => {
            f.lists_missing = true;
            f.unknown.insert(
                "lists_age".into(),
                "no dnf repository metadata cached (dnf makecache never ran)".into(),
            );
        }
    }

    let mut logs = LogSummary::default();
    let mut source = String::new();
    let var_log = host.read_dir("/var/log").unwrap_or_default();
    for name in var_log
        .iter()
        .filter(|n| n.starts_with("dnf.rpm.log") && !n.ends_with(".gz"))
    {
        let path = format!("/var/log/{name}");
        if let Ok(t) = host.read(&path) {
            let s = parse_dnf_rpm_log(&t.text);
            if s.newest_upgrade.is_some() && s.newest_upgrade >= logs.newest_upgrade {
                source = path;
            }
            logs.merge(s);
        }
    }
    set_last_upgrade(f, &logs, &source, false, "/var/log/dnf.rpm.log");

    // needs-restarting -r: exit 1 = reboot needed, 0 = not.
    match restart.status {
        RunStatus::Exited(1) => {
            f.reboot_flag = Some(true);
            f.reboot_reasons.push(
                "needs-restarting -r: core libraries or the kernel were updated since boot".into(),
            );
        }
        RunStatus::Exited(0) => f.reboot_flag = Some(false),
        _ => {
            let why = restart.unusable_reason().unwrap_or_else(|| {
                format!(
                    "needs-restarting -r failed: {}",
                    first_line(&restart.stderr)
                )
            });
            // The kernel comparison may still find a reboot due; it cannot clear one.
            f.unknown.insert("reboot_required".into(), why);
        }
    }
}

/// Parses `dnf check-update` (`name.arch  [epoch:]version-release  repo`), including the
/// wrapped form dnf uses for long names, and stops at "Obsoleting Packages".
pub fn parse_dnf_check_update(text: &str) -> UpdateListing {
    let mut out = UpdateListing::default();
    let mut carry: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("Obsoleting Packages") {
            break;
        }
        if trimmed.is_empty()
            || trimmed.starts_with("Last metadata expiration")
            || trimmed.starts_with("Security:")
            || trimmed.starts_with("Updating Subscription")
        {
            continue;
        }
        let mut fields: Vec<&str> = trimmed.split_whitespace().collect();
        let joined;
        if let Some(first) = carry.take() {
            if fields.len() == 2 {
                joined = first;
                fields.insert(0, &joined);
            } else {
                out.skipped += 1;
            }
        }
        if fields.len() == 1
            && fields[0].contains('.')
            && line.starts_with(|c: char| !c.is_whitespace())
        {
            carry = Some(fields[0].to_string());
            continue;
        }
        let [name_arch, version, repo] = fields[..] else {
            out.skipped += 1;
            continue;
        };
        let Some((name, arch)) = name_arch.rsplit_once('.') else {
            out.skipped += 1;
            continue;
        };
        if name.is_empty() || !version.contains('-') {
            out.skipped += 1;
            continue;
        }
        out.updates.push(PendingUpdate {
            name: name.to_string(),
            arch: arch.to_string(),
            installed: String::new(),
            candidate: version.strip_prefix("0:").unwrap_or(version).to_string(),
            security: false,
            origins: vec![repo.to_string()],
            security_via: String::new(),
        });
    }
    if carry.is_some() {
        out.skipped += 1;
    }
    out
}

/// One package named by a security advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryPackage {
    pub advisory: String,
    pub name: String,
    pub arch: String,
}

/// Parses `dnf updateinfo list --security`: `RHSA-2024:1234 Important/Sec. openssl-1:3.0.7-27.el9.x86_64`.
pub fn parse_dnf_updateinfo(text: &str) -> Vec<AdvisoryPackage> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [advisory, kind, nevra] = f[..] else {
                return None;
            };
            if !kind.contains("Sec") {
                return None;
            }
            let (name, arch) = split_nevra(nevra)?;
            Some(AdvisoryPackage {
                advisory: advisory.to_string(),
                name: name.to_string(),
                arch: arch.to_string(),
            })
        })
        .collect()
}

/// `name-[epoch:]version-release.arch` → (name, arch).
fn split_nevra(nevra: &str) -> Option<(&str, &str)> {
    let (nevr, arch) = nevra.rsplit_once('.')?;
    let (nev, _release) = nevr.rsplit_once('-')?;
    let (name, _version) = nev.rsplit_once('-')?;
    (!name.is_empty() && !arch.is_empty()).then_some((name, arch))
}

// ----------------------------------------------------------------------------------------
// Kernel

/// Kernel release of a Debian/Ubuntu kernel image package name, if it is one
/// (`linux-image-6.1.0-28-amd64` → `6.1.0-28-amd64`; metapackages and debug images are not).
pub fn debian_kernel_release(package: &str) -> Option<&str> {
    let rest = package.strip_prefix("linux-image-")?;
    let rest = rest.strip_prefix("unsigned-").unwrap_or(rest);
    let rest = rest.strip_suffix("-unsigned").unwrap_or(rest);
    if rest.ends_with("-dbg")
        || rest.ends_with("-dbgsym")
        || !rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    Some(rest)
}

/// The package version a Debian kernel says it was built from: `... Debian 6.1.119-1 (2024-11-22)`.
pub fn debian_running_build(proc_version: &str) -> Option<&str> {
    let idx = proc_version.rfind(" Debian ")?;
    let v = proc_version[idx + " Debian ".len()..]
        .split_whitespace()
        .next()?;
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

/// Compares the running kernel with the installed kernel packages.
pub fn kernel_status(
    running: &str,
    installed: &[InstalledPackage],
    manager: &str,
    proc_version: &str,
) -> KernelStatus {
    let mut k = KernelStatus {
        running: running.to_string(),
        ..KernelStatus::default()
    };
    // (package name, package version, kernel release it boots)
    let kernels: Vec<(&str, &str, String)> = if manager == "dnf" {
        let core: Vec<&InstalledPackage> = installed
            .iter()
            .filter(|p| p.name == "kernel-core")
            .collect();
        let list = if core.is_empty() {
            installed.iter().filter(|p| p.name == "kernel").collect()
        } else {
            core
        };
        list.into_iter()
            .map(|p| {
                let vr = p
                    .version
                    .split_once(':')
                    .map_or(p.version.as_str(), |(_, vr)| vr);
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    if p.arch.is_empty() {
                        vr.to_string()
                    } else {
                        format!("{vr}.{}", p.arch)
                    },
                )
            })
            .collect()
    } else {
        installed
            .iter()
            .filter_map(|p| {
                debian_kernel_release(&p.name)
                    .map(|r| (p.name.as_str(), p.version.as_str(), r.to_string()))
            })
            .collect()
    };
    let cmp = |a: &str, b: &str| {
        if manager == "dnf" {
            rpmversion::compare_evr(a, b)
        } else {
            debversion::compare(a, b)
        }
    };
    let Some(newest) = kernels
        .iter()
        .max_by(|a, b| cmp(a.1, b.1).then_with(|| debversion::compare(&a.2, &b.2)))
    else {
        k.note =
            "no kernel package is installed (container, or a kernel booted from outside)".into();
        return k;
    };
    k.newest_package = newest.0.to_string();
    k.newest_version = newest.1.to_string();
    let Some(current) = kernels.iter().find(|c| c.2 == running) else {
        k.note = format!(
            "running kernel {running} does not come from an installed package (newest installed: {} {})",
            newest.0, newest.1
        );
        return k;
    };
    k.running_package = current.0.to_string();
    k.running_package_version = current.1.to_string();
    if cmp(newest.1, current.1).is_gt() {
        k.outdated = Some(true);
        return k;
    }
    // Same package upgraded in place (Debian keeps the ABI name): the build version tells.
    if manager != "dnf"
        && let Some(build) = debian_running_build(proc_version)
    {
        k.running_build = build.to_string();
        if debversion::is_newer(current.1, build) {
            k.outdated = Some(true);
            k.note = format!(
                "{} was upgraded in place to {} after boot (running build {build})",
                current.0, current.1
            );
            return k;
        }
    }
    k.outdated = Some(false);
    k
}

#[cfg(test)]
mod tests;
