//! Checks over supporting facts: SSH, remote tools, malware protection, MAC, audit and remote
//! logging, time sync, USB storage, disk encryption, kernel sysctls. One submodule per topic.

mod logging;
mod mac;
mod malware;
mod media;
mod remote;
mod ssh;
mod storage;
mod sysctl;
mod time;

use super::{Area, CheckContext, Finding};
use crate::host::Evidence;
use crate::inspect::Facts;
use crate::inspect::supporting::products::process_is;
use crate::policy::Policy;

pub fn evaluate(facts: &Facts, policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(ssh::evaluate(facts, policy, ctx));
    out.extend(remote::evaluate(facts, policy, ctx));
    out.extend(malware::evaluate(facts, policy, ctx));
    out.extend(mac::evaluate(facts, policy, ctx));
    out.push(logging::audit(facts, policy, ctx));
    out.push(logging::remote(facts, policy, ctx));
    out.extend(time::evaluate(facts, policy, ctx));
    out.extend(media::evaluate(facts, policy, ctx));
    out.extend(storage::evaluate(facts, policy, ctx));
    out.extend(sysctl::evaluate(facts, policy, ctx));
    out
}

/// Evidence of the supporting area for `subjects`, plus the shared package and process
/// listings when the check relied on them.
pub(crate) fn evidence(facts: &Facts, subjects: &[&str], shared: bool) -> Vec<Evidence> {
    let mut ev = facts.evidence_for(Area::Supporting, subjects);
    if shared {
        ev.extend(facts.shared_evidence.iter().cloned());
    }
    ev
}

/// What the shared facts say about a daemon. `None` means "could not be seen".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DaemonState {
    pub installed: Option<bool>,
    pub running: Option<bool>,
    pub enabled: Option<bool>,
    /// "package auditd 1:3.0.9-1", "process auditd (pid 512)", "service auditd.service (enabled, active)"
    pub signs: Vec<String>,
    /// Why running/enabled could not be seen, when they could not.
    pub unseen: Vec<String>,
}

impl DaemonState {
    /// Whether the daemon is on: running, where processes can be seen (a live host: enabled
    /// but not running is off now); enabled, where they cannot (an offline tree).
    pub fn on(&self) -> Option<bool> {
        match (self.running, self.enabled) {
            (Some(running), _) => Some(running),
            (None, enabled) => enabled,
        }
    }

    pub fn describe_state(&self) -> String {
        let r = match self.running {
            Some(true) => "running",
            Some(false) => "not running",
            None => "running: not observed",
        };
        let e = match self.enabled {
            Some(true) => "enabled",
            Some(false) => "not enabled",
            None => "enablement: not observed",
        };
        format!("{r}, {e}")
    }
}

/// Whether the services collector produced a unit list we can trust.
pub(crate) fn services_seen(facts: &Facts) -> bool {
    !facts.services.units.is_empty() && facts.services.enablement_unknown().is_none()
}

pub(crate) fn daemon_state(
    facts: &Facts,
    packages: &[&str],
    processes: &[&str],
    units: &[&str],
) -> DaemonState {
    let mut st = DaemonState::default();
    let pk = &facts.packages;
    if let Some(why) = pk.unseen() {
        st.unseen.push(format!("packages: {why}"));
    } else {
        let found: Vec<_> = packages.iter().filter_map(|n| pk.get(n)).collect();
        st.installed = Some(!found.is_empty());
        st.signs.extend(
            found
                .iter()
                .map(|p| format!("package {} {}", p.name, p.version)),
        );
    }
    if facts.processes.unknown.is_empty() {
        let procs: Vec<_> = facts
            .processes
            .list
            .iter()
            .filter(|p| processes.iter().any(|w| process_is(p, w)))
            .collect();
        st.running = Some(!procs.is_empty());
        st.signs.extend(
            procs
                .iter()
                .map(|p| format!("process {} (pid {})", p.name, p.pid)),
        );
    } else {
        st.unseen.push(format!(
            "processes: {}",
            facts
                .processes
                .unknown
                .values()
                .next()
                .map_or("", String::as_str)
        ));
    }
    if services_seen(facts) {
        let mut enabled = false;
        for u in &facts.services.units {
            let bare = u.name.strip_suffix(".service").unwrap_or(&u.name);
            if units.iter().any(|w| crate::glob::star(w, bare)) {
                st.signs
                    .push(format!("service {} ({}, {})", u.name, u.enabled, u.active));
                enabled |= u.is_enabled();
                if u.is_active() {
                    st.running = Some(true);
                }
            }
        }
        st.enabled = Some(enabled);
    } else {
        st.unseen.push(format!(
            "services: {}",
            facts
                .services
                .enablement_unknown()
                .unwrap_or("no unit list")
        ));
    }
    if st.running == Some(true) || st.enabled == Some(true) {
        st.installed = Some(true);
    }
    st
}

/// `n thing` / `n things`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Facts and context builders shared by the topic tests.
    use crate::checks::{CheckContext, Finding, Status};
    use crate::date::Date;
    use crate::host::ProcessInfo;
    use crate::inspect::Facts;
    use crate::inspect::packages::InstalledPackage;
    use crate::inspect::services::ServiceUnit;

    pub const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    pub fn ctx(live: bool) -> CheckContext {
        CheckContext {
            today: Date::from_unix_days(NOW / 86_400),
            now: NOW,
            privileged: true,
            live,
        }
    }

    /// Facts of a live Debian host with these packages, processes and enabled+active units.
    pub fn live(packages: &[&str], processes: &[&str], units: &[&str]) -> Facts {
        let mut f = Facts::default();
        f.packages.manager = "dpkg".into();
        f.packages.installed = packages
            .iter()
            .map(|n| InstalledPackage {
                name: (*n).to_string(),
                version: "1.0".into(),
                arch: "amd64".into(),
                source: String::new(),
            })
            .collect();
        f.packages.installed.sort_by(|a, b| a.name.cmp(&b.name));
        f.processes.list = processes
            .iter()
            .enumerate()
            .map(|(i, n)| ProcessInfo {
                pid: 100 + u32::try_from(i).unwrap_or(0),
                ppid: Some(1),
                name: (*n).to_string(),
                exe: format!("/usr/sbin/{n}"),
                cmdline: vec![(*n).to_string()],
                uid: Some(0),
            })
            .collect();
        f.services.units = units
            .iter()
            .map(|n| ServiceUnit::new(&format!("{n}.service"), "enabled", "active", "systemd"))
            .collect();
        // Something always runs; an empty unit list reads as "not collected".
        f.services.units.push(ServiceUnit::new(
            "dbus.service",
            "static",
            "active",
            "systemd",
        ));
        f
    }

    /// Facts of an offline tree: packages only, no processes, no services.
    pub fn offline(packages: &[&str]) -> Facts {
        let mut f = live(packages, &[], &[]);
        f.processes.list.clear();
        f.processes.unknown.insert(
            crate::inspect::gap::ProcessesGap::Processes,
            "offline image: no running processes".into(),
        );
        f.services.units.clear();
        f.services.unknown.insert(
            crate::inspect::gap::ServicesGap::Enablement,
            "not inspected by this build".into(),
        );
        f
    }

    pub fn only<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.check == id).collect();
        assert_eq!(
            mine.len(),
            1,
            "exactly one {id} finding expected: {findings:#?}"
        );
        mine[0]
    }

    pub fn assert_status(f: &Finding, want: Status) {
        assert_eq!(
            f.status, want,
            "{}: {} {:#?}",
            f.check, f.summary, f.details
        );
    }
}
