//! Checks over patch facts (ICS-05): pending security and other updates, freshness of the
//! package lists, pending reboot, time since updates were applied, and OS support status.
//!
//! When the site policy pins a vendor-approved baseline, "pending" means a package whose
//! approved version is newer than the installed one; newer, unapproved updates are only noted.

use super::{Area, CheckContext, Finding, Status};
use crate::host::Evidence;
use crate::inspect::Facts;
use crate::inspect::gap::{PackagesGap, PatchesGap};
use crate::inspect::patches::{PatchesFacts, PendingUpdate, debversion, rpmversion};
use crate::policy::Policy;

/// Releases nearer their end of support than this are a warning.
const EOL_WARN_DAYS: i64 = 180;
/// Longest list of packages put in a finding's details.
const MAX_DETAILS: usize = 200;

pub fn evaluate(facts: &Facts, policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let pending = effective_pending(facts, policy);
    vec![
        pending_security(facts, &pending),
        pending_all(facts, &pending),
        data_fresh(facts, policy, ctx),
        reboot_required(facts),
        last_applied(facts, policy, ctx, &pending),
        os_supported(facts, ctx),
    ]
}

/// The updates the checks ask for: apt's/dnf's list, or the approved-but-not-installed
/// packages when the policy has a baseline.
struct Pending {
    items: Vec<PendingUpdate>,
    /// Why the list could not be established at all.
    unknown: Option<String>,
    /// Why the list may be incomplete.
    partial: Option<String>,
    /// Why security classification may be incomplete.
    security_unknown: Option<String>,
    /// Under a baseline: updates available but not approved (for the details).
    unapproved: Vec<PendingUpdate>,
    notes: Vec<String>,
    baseline: bool,
}

fn effective_pending(facts: &Facts, policy: &Policy) -> Pending {
    let p = &facts.patches;
    let mut out = Pending {
        items: Vec::new(),
        unknown: p.unknown.get(&PatchesGap::Pending).cloned(),
        partial: p.unknown.get(&PatchesGap::PendingPartial).cloned(),
        security_unknown: p.unknown.get(&PatchesGap::Security).cloned(),
        unapproved: Vec::new(),
        notes: p.notes.clone(),
        baseline: !policy.patch_baseline.is_empty(),
    };
    if !out.baseline {
        if out.unknown.is_none() {
            out.items = p.pending.clone();
        }
        return out;
    }
    // Baseline: compare approved versions with what is installed; apt/dnf data only classifies.
    if let Some(why) = facts.packages.unknown.get(&PackagesGap::Packages) {
        out.unknown = Some(format!("installed packages unknown: {why}"));
        return out;
    }
    let rpm = facts.packages.manager == "rpm";
    let newer = |a: &str, b: &str| {
        if rpm {
            rpmversion::compare_evr(a, b).is_gt()
        } else {
            debversion::is_newer(a, b)
        }
    };
    let mut unclassified = 0;
    for (name, approved) in &policy.patch_baseline {
        let installed: Vec<_> = facts
            .packages
            .installed
            .iter()
            .filter(|i| &i.name == name)
            .collect();
        if installed.is_empty() {
            out.notes.push(format!(
                "baseline lists {name} {approved}, which is not installed"
            ));
            continue;
        }
        for i in installed {
            if newer(approved, &i.version) {
                let available = p.pending.iter().find(|u| {
                    &u.name == name && (u.arch.is_empty() || i.arch.is_empty() || u.arch == i.arch)
                });
                let (security, origins, via) = match available {
                    Some(u) if &u.candidate == approved => {
                        (u.security, u.origins.clone(), u.security_via.clone())
                    }
                    _ => {
                        unclassified += 1;
                        (false, Vec::new(), String::new())
                    }
                };
                out.items.push(PendingUpdate {
                    name: name.clone(),
                    arch: i.arch.clone(),
                    installed: i.version.clone(),
                    candidate: approved.clone(),
                    security,
                    origins,
                    security_via: via,
                });
            } else if newer(&i.version, approved) {
                out.notes.push(format!(
                    "{name} {} is newer than the approved baseline {approved}",
                    i.version
                ));
            }
        }
    }
    out.unapproved = p
        .pending
        .iter()
        .filter(|u| !policy.patch_baseline.contains_key(&u.name))
        .cloned()
        .collect();
    if unclassified > 0 {
        let why = format!(
            "{unclassified} approved update(s) differ from the version the package manager offers, so their security status is unknown"
        );
        out.security_unknown = Some(match out.security_unknown.take() {
            Some(w) => format!("{w}; {why}"),
            None => why,
        });
    }
    // Under a baseline, a missing apt/dnf answer only limits the classification.
    if let Some(why) = out.unknown.take() {
        out.security_unknown.get_or_insert(why);
    }
    out
}

fn describe(u: &PendingUpdate) -> String {
    let arch = if u.arch.is_empty() {
        String::new()
    } else {
        format!(":{}", u.arch)
    };
    let mut s = format!(
        "{}{arch} {} → {}",
        u.name,
        or_dash(&u.installed),
        u.candidate
    );
    if !u.origins.is_empty() {
        s.push_str(&format!(" ({})", u.origins.join(", ")));
    }
    if !u.security_via.is_empty() {
        s.push_str(&format!(" [security fix via {}]", u.security_via));
    }
    s
}

fn capped(lines: impl Iterator<Item = String>) -> Vec<String> {
    let all: Vec<String> = lines.collect();
    let total = all.len();
    let mut out: Vec<String> = all.into_iter().take(MAX_DETAILS).collect();
    if total > MAX_DETAILS {
        out.push(format!("… and {} more", total - MAX_DETAILS));
    }
    out
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn source_evidence(facts: &Facts) -> Vec<Evidence> {
    let mut ev = facts.evidence_for(
        Area::Patches,
        &[
            "apt",
            "apt-get",
            "/usr/lib/apt/apt-helper",
            "dnf",
            "/var/lib/apt/lists/",
        ],
    );
    ev.extend(
        facts
            .shared_evidence
            .iter()
            .filter(|e| matches!(e.subject(), "/var/lib/dpkg/status" | "rpm"))
            .cloned(),
    );
    ev
}

fn pending_security(facts: &Facts, pending: &Pending) -> Finding {
    const ID: &str = "patches.pending_security";
    let evidence = source_evidence(facts);
    if let Some(why) = &pending.unknown {
        return Finding::unknown(ID, format!("pending updates unknown: {why}"))
            .with_evidence(evidence);
    }
    let security: Vec<&PendingUpdate> = pending.items.iter().filter(|u| u.security).collect();
    let mut details = capped(security.iter().map(|u| describe(u)));
    if pending.baseline {
        let extra = pending.unapproved.iter().filter(|u| u.security).count();
        if extra > 0 {
            details.push(format!(
                "{extra} further security update(s) available but not in the approved baseline"
            ));
        }
    }
    details.extend(pending.notes.iter().cloned());
    let scope = if pending.baseline { "approved " } else { "" };
    if !security.is_empty() {
        return Finding::new(
            ID,
            Status::Fail,
            format!("{} {scope}security update(s) pending", security.len()),
        )
        .with_details(details)
        .with_evidence(evidence);
    }
    if let Some(why) = &pending.security_unknown {
        return Finding::unknown(
            ID,
            format!("security updates could not all be identified: {why}"),
        )
        .with_details(details)
        .with_evidence(evidence);
    }
    Finding::new(
        ID,
        Status::Pass,
        format!(
            "No {scope}security updates pending{}",
            as_of(&facts.patches)
        ),
    )
    .with_details(details)
    .with_evidence(evidence)
}

fn as_of(p: &PatchesFacts) -> String {
    p.lists_updated
        .as_deref()
        .map(|t| format!(" (package lists from {})", t.get(..10).unwrap_or(t)))
        .unwrap_or_default()
}

fn pending_all(facts: &Facts, pending: &Pending) -> Finding {
    const ID: &str = "patches.pending_all";
    let evidence = source_evidence(facts);
    if let Some(why) = &pending.unknown {
        return Finding::unknown(ID, format!("pending updates unknown: {why}"))
            .with_evidence(evidence);
    }
    let mut details = capped(pending.items.iter().map(describe));
    if pending.baseline && !pending.unapproved.is_empty() {
        details.push(format!(
            "{} newer update(s) available but not in the approved baseline (not asked for)",
            pending.unapproved.len()
        ));
    }
    if let Some(why) = &pending.partial {
        details.push(format!("incomplete: {why}"));
    }
    details.extend(pending.notes.iter().cloned());
    let scope = if pending.baseline { "approved " } else { "" };
    if !pending.items.is_empty() {
        let security = pending.items.iter().filter(|u| u.security).count();
        let at_least = if pending.partial.is_some() {
            "at least "
        } else {
            ""
        };
        return Finding::new(
            ID,
            Status::Warn,
            format!(
                "{at_least}{} {scope}update(s) pending ({security} security){}",
                pending.items.len(),
                as_of(&facts.patches)
            ),
        )
        .with_details(details)
        .with_evidence(evidence);
    }
    if let Some(why) = &pending.partial {
        return Finding::unknown(ID, format!("package data incomplete: {why}"))
            .with_details(details)
            .with_evidence(evidence);
    }
    Finding::new(
        ID,
        Status::Pass,
        format!("No {scope}updates pending{}", as_of(&facts.patches)),
    )
    .with_details(details)
    .with_evidence(evidence)
}

fn age_days(ctx: &CheckContext, rfc3339: &str) -> Option<i64> {
    crate::date::parse_rfc3339_utc(rfc3339).map(|t| ((ctx.now - t) / 86_400).max(0))
}

fn data_fresh(facts: &Facts, policy: &Policy, ctx: &CheckContext) -> Finding {
    const ID: &str = "patches.data_fresh";
    let p = &facts.patches;
    // apt's list files, or the repomd.xml files read in dnf's caches.
    let evidence = facts.evidence_for(
        Area::Patches,
        &[
            "/var/lib/apt/lists/",
            "/var/cache/dnf/",
            "/var/cache/libdnf5/",
            "/var/cache/yum/",
        ],
    );
    let max = i64::from(policy.max_list_age_days);
    if p.lists_missing {
        return Finding::new(
            ID,
            Status::Warn,
            "No package lists have ever been downloaded: pending-update counts mean nothing until they are",
        )
        .with_details(p.unknown.get(&PatchesGap::ListsAge).cloned().into_iter().collect())
        .with_evidence(evidence);
    }
    let Some(updated) = p.lists_updated.as_deref() else {
        let why = p
            .unknown
            .get(&PatchesGap::ListsAge)
            .map_or("package list age not found", String::as_str);
        return Finding::unknown(ID, why.to_string()).with_evidence(evidence);
    };
    let Some(age) = age_days(ctx, updated) else {
        return Finding::unknown(ID, format!("unreadable list time {updated}"))
            .with_evidence(evidence);
    };
    let details = vec![
        format!("last refreshed {updated}"),
        format!("policy: at most {max} days"),
    ];
    if age > max {
        Finding::new(
            ID,
            Status::Warn,
            format!("Package lists are {age} days old (policy: {max}): counts may be understated"),
        )
        .with_details(details)
        .with_evidence(evidence)
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!("Package lists are {age} day(s) old (policy: {max})"),
        )
        .with_details(details)
        .with_evidence(evidence)
    }
}

fn reboot_required(facts: &Facts) -> Finding {
    const ID: &str = "patches.reboot_required";
    let p = &facts.patches;
    let mut evidence = facts.evidence_for(
        Area::Patches,
        &[
            "/run/reboot-required",
            "/run/reboot-required.pkgs",
            "needs-restarting",
            "/proc/version",
        ],
    );
    evidence.extend(
        facts
            .identity_evidence
            .iter()
            .filter(|e| e.subject() == "/proc/sys/kernel/osrelease")
            .cloned(),
    );
    evidence.extend(
        facts
            .shared_evidence
            .iter()
            .filter(|e| matches!(e.subject(), "/var/lib/dpkg/status" | "rpm"))
            .cloned(),
    );
    let mut details = p.reboot_reasons.clone();
    if let Some(k) = &p.kernel {
        details.push(format!("running kernel: {}", k.running));
        if !k.newest_package.is_empty() {
            details.push(format!(
                "newest installed kernel: {} {}",
                k.newest_package, k.newest_version
            ));
        }
        if !k.note.is_empty() {
            details.push(k.note.clone());
        }
    }
    match p.reboot_required {
        Some(true) => Finding::new(
            ID,
            Status::Warn,
            "A reboot is pending: installed updates are not in effect until the station restarts",
        )
        .with_details(details)
        .with_evidence(evidence),
        Some(false) => Finding::new(ID, Status::Pass, "No reboot pending")
            .with_details(details)
            .with_evidence(evidence),
        None => {
            let why = p
                .unknown
                .get(&PatchesGap::RebootRequired)
                .or_else(|| p.unknown.get(&PatchesGap::Kernel))
                .map_or("reboot state not found", String::as_str);
            Finding::unknown(
                ID,
                format!("cannot tell whether a reboot is pending: {why}"),
            )
            .with_details(details)
            .with_evidence(evidence)
        }
    }
}

fn last_applied(facts: &Facts, policy: &Policy, ctx: &CheckContext, pending: &Pending) -> Finding {
    const ID: &str = "patches.last_applied";
    let p = &facts.patches;
    let evidence = facts.evidence_for(Area::Patches, &["/var/log/"]);
    let max = i64::from(policy.max_days_since_upgrade);
    let policy_line = format!("policy: within {max} days");
    // A log that could not be read may record a later update: what was read is only a
    // lower bound, enough to pass, never to say "not applied for N days".
    let logs_unread = p.unknown.get(&PatchesGap::Logs);
    let Some(last) = p.last_upgrade.as_deref() else {
        let why = p
            .unknown
            .get(&PatchesGap::LastUpgrade)
            .map_or("no upgrade found in the package logs", String::as_str);
        if let Some(unread) = logs_unread {
            return Finding::unknown(
                ID,
                format!("last update time unknown: could not read {unread}"),
            )
            .with_details(vec![why.to_string(), policy_line])
            .with_evidence(evidence);
        }
        if let Some(since) = p.logs_since.as_deref()
            && let Some(days) = age_days(ctx, since).filter(|d| *d > max)
        {
            return Finding::new(
                ID,
                Status::Warn,
                format!(
                    "No update applied for at least {days} days (logs start {since}; policy: {max})"
                ),
            )
            .with_details(vec![why.to_string(), policy_line])
            .with_evidence(evidence);
        }
        return Finding::unknown(ID, format!("last update time unknown: {why}"))
            .with_evidence(evidence);
    };
    let Some(days) = age_days(ctx, last) else {
        return Finding::unknown(ID, format!("unreadable upgrade time {last}"))
            .with_evidence(evidence);
    };
    let mut details = vec![
        format!(
            "last upgrade {last} (from {})",
            or_dash(&p.last_upgrade_source)
        ),
        policy_line,
    ];
    if days <= max {
        return Finding::new(
            ID,
            Status::Pass,
            format!("Updates last applied {days} day(s) ago (policy: {max})"),
        )
        .with_details(details)
        .with_evidence(evidence);
    }
    // Nothing to apply and the lists are current: an old date is no gap.
    let lists_fresh = p
        .lists_updated
        .as_deref()
        .and_then(|t| age_days(ctx, t))
        .is_some_and(|a| a <= i64::from(policy.max_list_age_days));
    if pending.unknown.is_none()
        && pending.partial.is_none()
        && pending.items.is_empty()
        && lists_fresh
    {
        details.push("nothing is pending and the package lists are current".into());
        return Finding::new(
            ID,
            Status::Pass,
            format!("Updates last applied {days} days ago, and none are pending"),
        )
        .with_details(details)
        .with_evidence(evidence);
    }
    if let Some(unread) = logs_unread {
        return Finding::unknown(
            ID,
            format!(
                "the last update found was {days} days ago, but a later one may be recorded where it could not be read: {unread}"
            ),
        )
        .with_details(details)
        .with_evidence(evidence);
    }
    Finding::new(
        ID,
        Status::Warn,
        format!("Updates last applied {days} days ago (policy: within {max})"),
    )
    .with_details(details)
    .with_evidence(evidence)
}

fn os_supported(facts: &Facts, ctx: &CheckContext) -> Finding {
    const ID: &str = "patches.os_supported";
    let evidence: Vec<Evidence> = facts
        .identity_evidence
        .iter()
        .filter(|e| matches!(e.subject(), "/etc/os-release" | "/usr/lib/os-release"))
        .cloned()
        .collect();
    let p = &facts.patches;
    let Some(life) = &p.os_lifecycle else {
        let why = p
            .unknown
            .get(&PatchesGap::OsLifecycle)
            .map_or("release not identified", String::as_str);
        return Finding::unknown(ID, why.to_string()).with_evidence(evidence);
    };
    let end = life.final_end();
    let left = ctx.today.days_until(end);
    let mut details = vec![format!(
        "regular security support ends {}",
        life.regular_end
    )];
    if let Some(ext) = life.extended_end {
        details.push(format!("{} ends {ext}", life.extended_name));
    }
    if life.extended_end.is_none() && facts.identity.os_id == "ubuntu" {
        details.push(
            "Ubuntu Pro (ESM) extends security updates for a subscription: record it with a waiver"
                .into(),
        );
    }
    let finding = if left < 0 {
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "{} reached end of support on {end}: no more security updates",
                life.name
            ),
        )
    } else if left < EOL_WARN_DAYS {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "{} support ends on {end} ({left} days): plan the upgrade with the vendor",
                life.name
            ),
        )
    } else if ctx.today > life.regular_end {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "{} is supported by {} until {end} (regular security support ended {})",
                life.name, life.extended_name, life.regular_end
            ),
        )
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!("{} is supported until {end}", life.name),
        )
    };
    finding.with_details(details).with_evidence(evidence)
}

#[cfg(test)]
mod tests;
