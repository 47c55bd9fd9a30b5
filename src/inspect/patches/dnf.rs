//! dnf / yum: pending updates from the metadata cache (`dnf --cacheonly`), security advisories.

#[allow(clippy::wildcard_imports)]
// one module split along its seams: the siblings share its words
use super::*;

/// Where dnf (and dnf5, and yum) cache repository metadata.
pub const DNF_CACHES: [&str; 3] = ["/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum"];

pub(super) fn collect_dnf(host: &dyn Host, f: &mut PatchesFacts) {
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
                    PatchesGap::Pending,
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
            f.unknown.insert(PatchesGap::Pending, why);
        }
        None => {
            f.unknown.insert(
                PatchesGap::Pending,
                "dnf check-update could not be run".into(),
            );
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
            f.unknown.insert(PatchesGap::Security, why);
        }
        None => {
            f.unknown.insert(
                PatchesGap::Security,
                "dnf updateinfo could not be run".into(),
            );
        }
    }

    // Metadata age: the newest repomd.xml in dnf's (or dnf5's) cache. Each one is also read
    // (a few KB) so that it is recorded as evidence for patches.data_fresh; metadata() alone
    // records nothing.
    let mut newest = None;
    let mut caches_unread = Vec::new();
    for cache in DNF_CACHES {
        for repo in list_or_note(host, cache, &mut caches_unread) {
            let repomd = format!("{cache}/{repo}/repodata/repomd.xml");
            if let Ok(m) = host.metadata(&repomd) {
                newest = newest.max(Some(m.mtime));
                let _recorded = host.read(&repomd);
            }
        }
    }
    match newest {
        Some(t) => set_lists_time(f, t),
        // Not "never ran": the cache could not be looked at.
        None if !caches_unread.is_empty() => {
            let why: Vec<String> = caches_unread.iter().map(ToString::to_string).collect();
            f.unknown.insert(PatchesGap::ListsAge, why.join("; "));
        }
        None => {
            f.lists_missing = true;
            f.unknown.insert(
                PatchesGap::ListsAge,
                "no dnf repository metadata cached (dnf makecache never ran)".into(),
            );
        }
    }

    let mut logs = LogSummary::default();
    let mut source = String::new();
    let mut unread = Vec::new();
    let var_log = list_or_note(host, "/var/log", &mut unread);
    for name in var_log
        .iter()
        .filter(|n| n.starts_with("dnf.rpm.log") && !n.ends_with(".gz"))
    {
        let path = format!("/var/log/{name}");
        match read_optional(host, &path) {
            Ok(Some(t)) => {
                let s = parse_dnf_rpm_log(&t.text);
                if s.newest_upgrade.is_some() && s.newest_upgrade >= logs.newest_upgrade {
                    source = path;
                }
                logs.merge(s);
            }
            Ok(None) => {}
            Err(e) => unread.push(e),
        }
    }
    set_last_upgrade(f, &logs, &source, false, "/var/log/dnf.rpm.log", &unread);

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
            f.unknown.insert(PatchesGap::RebootRequired, why);
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
pub(super) fn split_nevra(nevra: &str) -> Option<(&str, &str)> {
    let (nevr, arch) = nevra.rsplit_once('.')?;
    let (nev, _release) = nevr.rsplit_once('-')?;
    let (name, _version) = nev.rsplit_once('-')?;
    (!name.is_empty() && !arch.is_empty()).then_some((name, arch))
}
