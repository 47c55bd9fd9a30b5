//! apt: pending updates from `apt list --upgradable` / `apt-get -s upgrade` on a live host,
//! from the package lists and dpkg status offline; the lists' age and security suites.

#[allow(clippy::wildcard_imports)]
// one module split along its seams: the siblings share its words
use super::*;

pub(super) fn collect_apt(host: &dyn Host, f: &mut PatchesFacts) {
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
                    PatchesGap::Security,
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
            f.unknown.insert(PatchesGap::Pending, why);
        }
        None => {
            f.unknown.insert(
                PatchesGap::Pending,
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
                        PatchesGap::ListsAge,
                        "no package lists: apt-get update has never run".into(),
                    );
                }
            }
        }
        Err(e) if e.is_not_found() => {
            f.lists_missing = true;
            f.unknown.insert(
                PatchesGap::ListsAge,
                format!("no package lists: {APT_LISTS} does not exist"),
            );
        }
        Err(e) => {
            f.unknown.insert(PatchesGap::ListsAge, e.to_string());
        }
    }
    // Without lists apt knows no candidates: an empty answer is not "nothing pending".
    if f.lists_missing && f.pending.is_empty() {
        f.unknown.entry(PatchesGap::Pending).or_insert_with(|| {
            "no package lists: apt has nothing to compare with (apt-get update has never run)"
                .into()
        });
    }

    let mut logs = LogSummary::default();
    let mut sources = Vec::new();
    let mut unread = Vec::new();
    let apt_logs = list_or_note(host, "/var/log/apt", &mut unread);
    let var_log = list_or_note(host, "/var/log", &mut unread);
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
        match read_optional(host, &path) {
            Ok(Some(t)) => {
                let s = parse(&t.text);
                if s.newest_upgrade.is_some() && s.newest_upgrade >= logs.newest_upgrade {
                    sources.push(path.clone());
                }
                logs.merge(s);
            }
            Ok(None) => {}
            Err(e) => unread.push(e),
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
        &unread,
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
                PatchesGap::RebootRequired,
                "offline image: no running system to compare".into(),
            );
        }
        Err(e) => {
            f.unknown.insert(PatchesGap::RebootRequired, e.to_string());
        }
    }
}

pub(super) fn offline_apt(
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
        f.unknown.insert(PatchesGap::Pending, why);
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
        f.unknown
            .insert(PatchesGap::PendingPartial, parts.join("; "));
    }
    if !lists.security_complete {
        f.unknown.insert(
            PatchesGap::Security,
            "no complete security list was readable in the image (security updates may be missed)"
                .into(),
        );
    }
    f.offline_index = Some(lists.index);
}

/// Marks pending items whose candidate is not from a security suite but carries a security fix
/// (a security version newer than installed that the point release superseded).
pub(super) fn mark_superseded_security(f: &mut PatchesFacts, security: &ListsRead) {
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

pub(super) fn note_skipped(f: &mut PatchesFacts, skipped: usize, what: &str) {
    if skipped > 0 {
        f.unknown.insert(
            PatchesGap::PendingPartial,
            format!("{skipped} line(s) of {what} output could not be parsed"),
        );
    }
}

pub(super) fn read_releases(host: &dyn Host, names: &[String]) -> BTreeMap<String, ReleaseInfo> {
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
pub(super) enum ListChoice {
    All,
    SecurityOnly,
}

#[derive(Debug, Default)]
pub(super) struct ListsRead {
    pub(super) index: AvailableIndex,
    pub(super) unreadable: Vec<String>,
    pub(super) truncated: Vec<String>,
    /// At least one security list was read whole, and none was missed.
    pub(super) security_complete: bool,
}

pub(super) fn read_lists(
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
pub(super) fn list_suite_from_name(name: &str) -> String {
    name.split_once("_dists_")
        .and_then(|(_, rest)| rest.split('_').next())
        .unwrap_or("")
        .to_string()
}

pub(super) fn pending_from_index(
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

pub(super) fn suite_is_security(suite: &str) -> bool {
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

pub(super) fn parse_apt_list_line(line: &str) -> Option<PendingUpdate> {
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

pub(super) fn parse_inst_line(rest: &str) -> Option<PendingUpdate> {
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
