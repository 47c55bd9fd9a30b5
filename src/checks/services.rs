//! Checks over services facts (ICS-04): legacy cleartext servers, and services the site
//! did not expect.
//!
//! Decisions worth knowing:
//! - "Enabled" means enabled to start at boot (systemd `enabled`/`enabled-runtime`, an rc
//!   `S` link, an inetd/xinetd entry that is on while its super-server is on).
//! - "Disabled" is CONTROLS.md's: masked, not found, or package absent. A legacy server whose
//!   package is installed and whose systemd unit or init script is merely not enabled
//!   (disabled, static, indirect: not masked) can still be started, so it fails, and the
//!   summary says to remove the package or mask the unit. A unit with no installed package
//!   behind it (or when the package list is not known) is only noted unless it is enabled or
//!   running. An inetd/xinetd entry that is off counts as disabled (super-servers have no mask).
//! - An inetd/xinetd entry that is on while the super-server is disabled still fails when
//!   the super-server process is running; when no init configuration says whether the
//!   super-server runs, the entry fails (the configuration asks for the service).
//! - A running process of a legacy server fails on its own (started by hand, by a vendor
//!   script, or by a super-server).
//! - Templates (`getty@.service`) are not services; their instances are. Aliases are judged
//!   through the unit they name. Sockets are matched by their own name and by what they
//!   start, and are allowed when their service is.

use super::{Area, CheckContext, Finding, Status};
use crate::host::{Evidence, ProcessInfo};
use crate::inspect::Facts;
use crate::inspect::gap::{ProcessesGap, ServicesGap};
use crate::inspect::services::{INETD_DAEMONS, ServiceUnit, XINETD_DAEMONS, systemd::is_template};
use crate::policy::Policy;

pub fn evaluate(facts: &Facts, policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    vec![legacy_cleartext(facts, ctx), unexpected(facts, policy)]
}

/// A family of legacy cleartext servers and the names it goes by.
pub struct LegacyServer {
    pub what: &'static str,
    /// systemd unit base names and SysV script names.
    pub units: &'static [&'static str],
    /// inetd.conf / xinetd service names.
    pub inetd: &'static [&'static str],
    /// Executable names (ExecStart, DAEMON=, inetd server, running process).
    pub programs: &'static [&'static str],
    /// Packages (Debian, Red Hat) that install a server of this family.
    pub packages: &'static [&'static str],
}

pub const LEGACY_SERVERS: &[LegacyServer] = &[
    LegacyServer {
        what: "telnet server",
        units: &["telnet", "telnetd", "inetutils-telnetd", "telnetd-ssl"],
        inetd: &["telnet"],
        programs: &["telnetd", "in.telnetd", "inetutils-telnetd"],
        packages: &[
            "telnetd",
            "inetutils-telnetd",
            "telnetd-ssl",
            "telnet-server",
        ],
    },
    LegacyServer {
        what: "rsh/rlogin/rexec server",
        units: &["rsh", "rshd", "rlogin", "rlogind", "rexec", "rexecd"],
        inetd: &["shell", "login", "exec", "kshell", "klogin", "eklogin"],
        programs: &[
            "rshd",
            "in.rshd",
            "rlogind",
            "in.rlogind",
            "rexecd",
            "in.rexecd",
        ],
        packages: &["rsh-server", "rsh-redone-server"],
    },
    LegacyServer {
        what: "FTP server",
        units: &[
            "vsftpd",
            "proftpd",
            "pure-ftpd",
            "pure-ftpd-mysql",
            "pure-ftpd-postgresql",
            "pure-ftpd-ldap",
            "ftpd",
            "inetutils-ftpd",
            "bftpd",
        ],
        inetd: &["ftp"],
        programs: &[
            "vsftpd",
            "proftpd",
            "in.proftpd",
            "pure-ftpd",
            "pure-ftpd-wrapper",
            "ftpd",
            "in.ftpd",
            "inetutils-ftpd",
            "bftpd",
        ],
        packages: &[
            "vsftpd",
            "proftpd-core",
            "proftpd-basic",
            "proftpd",
            "pure-ftpd",
            "pure-ftpd-mysql",
            "pure-ftpd-postgresql",
            "pure-ftpd-ldap",
            "ftpd",
            "ftpd-ssl",
            "inetutils-ftpd",
            "bftpd",
        ],
    },
    LegacyServer {
        what: "TFTP server",
        units: &["tftp", "tftpd", "tftpd-hpa", "atftpd", "tftp-server"],
        inetd: &["tftp"],
        programs: &["tftpd", "in.tftpd", "atftpd"],
        packages: &["tftpd-hpa", "atftpd", "tftpd", "tftp-server"],
    },
    LegacyServer {
        what: "finger server",
        units: &["finger", "fingerd", "cfingerd", "efingerd"],
        inetd: &["finger"],
        programs: &["fingerd", "in.fingerd", "cfingerd", "efingerd"],
        packages: &["fingerd", "cfingerd", "efingerd", "finger-server"],
    },
    LegacyServer {
        what: "talk server",
        units: &["talk", "talkd", "ntalk", "ntalkd", "inetutils-talkd"],
        inetd: &["talk", "ntalk"],
        programs: &[
            "talkd",
            "in.talkd",
            "ntalkd",
            "in.ntalkd",
            "inetutils-talkd",
        ],
        packages: &["talkd", "inetutils-talkd", "talk-server"],
    },
];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_superserver_entry(u: &ServiceUnit) -> bool {
    u.source == "inetd" || u.source == "xinetd"
}

/// The legacy family a unit belongs to, by name or by the program it runs.
pub fn legacy_family(u: &ServiceUnit) -> Option<&'static LegacyServer> {
    if !u.alias_of.is_empty() {
        return None;
    }
    let program = file_name(&u.exec);
    LEGACY_SERVERS.iter().find(|l| {
        l.units.contains(&u.base_name())
            || (is_superserver_entry(u) && l.inetd.contains(&u.name.as_str()))
            || l.programs.contains(&program)
    })
}

/// Whether a process is `program`: by executable file name, or by its (15-character) name.
fn process_is(p: &ProcessInfo, program: &str) -> bool {
    let exe = file_name(&p.exe);
    exe == program
        || p.name == program
        || (p.name.len() == 15 && program.starts_with(&p.name))
        || p.cmdline.first().is_some_and(|a| file_name(a) == program)
}

fn running<'a>(
    facts: &'a Facts,
    programs: &'a [&str],
) -> impl Iterator<Item = &'a ProcessInfo> + 'a {
    facts
        .processes
        .list
        .iter()
        .filter(|p| programs.iter().any(|prog| process_is(p, prog)))
}

/// Paths a unit's evidence is filed under (`/etc/inetd.conf:25` → `/etc/inetd.conf`).
fn subject_of(u: &ServiceUnit) -> String {
    match u.path.rsplit_once(':') {
        Some((file, line)) if line.chars().all(|c| c.is_ascii_digit()) => file.to_string(),
        _ => u.path.clone(),
    }
}

fn evidence(facts: &Facts, units: &[&ServiceUnit], extra: &[&str]) -> Vec<Evidence> {
    let subjects: Vec<String> = units
        .iter()
        .map(|u| subject_of(u))
        .filter(|s| !s.is_empty())
        .collect();
    let mut all: Vec<&str> = subjects.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    all.push("systemctl");
    facts.evidence_for(Area::Services, &all)
}

/// How a unit is switched on, in words for a detail line.
fn how_enabled(u: &ServiceUnit) -> String {
    let via = if u.enabled_by.is_empty() {
        String::new()
    } else {
        format!(" via {}", u.enabled_by.join(", "))
    };
    match u.source.as_str() {
        "inetd" | "xinetd" if u.note.is_empty() => format!("{} entry on{via}", u.source),
        "inetd" | "xinetd" => format!("{} entry on{via}, {}", u.source, u.note),
        "sysv" => format!("init script enabled{via}"),
        _ => format!("systemd {}{via}", u.enabled),
    }
}

/// What the passes over units, processes and packages found; [`build_legacy`] turns it into
/// the one finding.
#[derive(Default)]
struct Legacy<'a> {
    /// One line per thing that fails the check.
    failing: Vec<String>,
    failing_units: Vec<&'a ServiceUnit>,
    failing_families: Vec<&'static str>,
    /// Legacy servers found but disabled, shown as details.
    notes: Vec<String>,
    /// Units whose enablement could not be read.
    unsure: Vec<String>,
    /// Every unit of a legacy family.
    matched: Vec<&'a ServiceUnit>,
    /// Failing lines that are running processes (not units).
    processes_failing: usize,
    /// The package database was consulted (its evidence is attached).
    package_evidence: bool,
    unmasked_packages: Vec<String>,
    unmasked_units: Vec<&'a ServiceUnit>,
}

fn legacy_cleartext(facts: &Facts, ctx: &CheckContext) -> Finding {
    let mut l = Legacy::default();
    classify_legacy_units(facts, &mut l);
    running_legacy_processes(facts, &mut l);
    installed_legacy_packages(facts, &mut l);
    build_legacy(facts, ctx, l)
}

/// Each unit of a legacy family: enabled or running (fails), enablement unknown (unsure), or
/// present but off (a note).
fn classify_legacy_units<'a>(facts: &'a Facts, l: &mut Legacy<'a>) {
    let superserver_running = |source: &str| {
        let daemons = if source == "xinetd" {
            XINETD_DAEMONS
        } else {
            INETD_DAEMONS
        };
        running(facts, daemons)
            .next()
            .map(|p| format!("{} (pid {})", p.name, p.pid))
    };

    for u in &facts.services.units {
        let Some(family) = legacy_family(u) else {
            continue;
        };
        l.matched.push(u);
        let mut live: Vec<String> = Vec::new();
        if u.is_enabled() {
            live.push(how_enabled(u));
        }
        if u.is_active() {
            live.push(format!("running (systemd: {})", u.active));
        }
        if is_superserver_entry(u) && !u.enabled_by.is_empty() && !u.is_enabled() {
            if let Some(proc_) = superserver_running(u.source.as_str()) {
                live.push(format!(
                    "{} entry on via {} and {proc_} is running",
                    u.source,
                    u.enabled_by.join(", ")
                ));
            } else if u.enabled == "unknown" {
                live.push(format!(
                    "{} entry on via {} ({})",
                    u.source,
                    u.enabled_by.join(", "),
                    u.note
                ));
            }
        }
        if live.is_empty() {
            if u.enabled == "unknown" {
                l.unsure.push(format!(
                    "{} ({}): {}",
                    u.name,
                    u.source,
                    if u.note.is_empty() {
                        "state unknown"
                    } else {
                        &u.note
                    }
                ));
            } else {
                let why = if u.note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", u.note)
                };
                l.notes.push(format!(
                    "{} ({}, {}): {}{why}",
                    u.name, u.source, family.what, u.enabled
                ));
            }
            continue;
        }
        l.failing
            .push(format!("{} ({}): {}", u.name, family.what, live.join("; ")));
        l.failing_units.push(u);
        l.failing_families.push(family.what);
    }
}

/// A legacy server process running, whatever the units say.
fn running_legacy_processes(facts: &Facts, l: &mut Legacy<'_>) {
    let before = l.failing.len();
    for family in LEGACY_SERVERS {
        for p in running(facts, family.programs) {
            let exe = if p.exe.is_empty() {
                String::new()
            } else {
                format!(" {}", p.exe)
            };
            l.failing.push(format!(
                "process {} (pid {}){exe} is running ({})",
                p.name, p.pid, family.what
            ));
            l.failing_families.push(family.what);
        }
    }

    l.processes_failing = l.failing.len() - before;
}

/// CONTROLS.md: "Disabled" = masked, not found, or package absent. With the package
/// installed, a unit that is merely not enabled is not disabled.
fn installed_legacy_packages<'a>(facts: &'a Facts, l: &mut Legacy<'a>) {
    for family in LEGACY_SERVERS {
        if l.failing_families.contains(&family.what) {
            continue;
        }
        let installed: Vec<&str> = family
            .packages
            .iter()
            .copied()
            .filter(|p| facts.packages.is_installed(p))
            .collect();
        if installed.is_empty() {
            continue;
        }
        l.package_evidence = true;
        let of_family: Vec<&ServiceUnit> = l
            .matched
            .iter()
            .copied()
            .filter(|u| legacy_family(u).is_some_and(|f| f.what == family.what))
            .filter(|u| !is_superserver_entry(u))
            .collect();
        let open: Vec<&ServiceUnit> = of_family
            .iter()
            .copied()
            // A runtime mask (/run) is gone at the next boot: it does not disable anything.
            .filter(|u| !matches!(u.enabled.as_str(), "masked" | "not-found" | "unknown"))
            .collect();
        // Name the packages that go with the open units (`vsftpd` for vsftpd.service,
        // `tftp-server` for tftp.socket) when they can be told; else every installed one.
        let owning: Vec<&str> = installed
            .iter()
            .copied()
            .filter(|p| {
                open.iter().any(|u| {
                    let base = u.base_name();
                    *p == base || p.starts_with(&format!("{base}-")) || base.starts_with(p)
                })
            })
            .collect();
        let pkgs = if owning.is_empty() || open.is_empty() {
            installed.join(", ")
        } else {
            owning.join(", ")
        };
        if open.is_empty() {
            let why = if of_family.is_empty() {
                "no unit or init script found"
            } else {
                "its units are masked"
            };
            l.notes.push(format!(
                "{pkgs}: package installed, {} disabled ({why})",
                family.what
            ));
            continue;
        }
        let states: Vec<String> = open
            .iter()
            .map(|u| format!("{} {}", u.name, u.enabled))
            .collect();
        l.failing.push(format!(
            "{pkgs}: package installed and {} not masked ({}): not disabled, it can still be started",
            family.what,
            states.join(", ")
        ));
        let names: Vec<&str> = open.iter().map(|u| u.name.as_str()).collect();
        l.unmasked_packages
            .push(format!("{pkgs} ({})", names.join(", ")));
        l.unmasked_units.extend(open);
    }
}

/// The finding: fail with what is on, else unknown with what could not be seen, else pass.
fn build_legacy(facts: &Facts, ctx: &CheckContext, l: Legacy<'_>) -> Finding {
    const ID: &str = "services.legacy_cleartext";
    let Legacy {
        failing,
        failing_units,
        notes,
        unsure,
        matched,
        processes_failing,
        package_evidence,
        unmasked_packages,
        unmasked_units,
        ..
    } = l;
    let mut ev_units = if failing_units.is_empty() && unmasked_units.is_empty() {
        matched.clone()
    } else {
        failing_units.clone()
    };
    ev_units.extend(unmasked_units.iter().copied());
    let mut ev = evidence(
        facts,
        &ev_units,
        &["/etc/inetd.conf", "/etc/xinetd.conf", "/etc/xinetd.d/"],
    );
    if package_evidence {
        ev.extend(
            facts
                .shared_evidence
                .iter()
                .filter(|e| matches!(e.subject(), "/var/lib/dpkg/status" | "rpm"))
                .cloned(),
        );
    }

    if !failing.is_empty() {
        let labels: Vec<String> = failing_units.iter().map(|u| label(u)).collect();
        let names: Vec<&str> = labels.iter().map(String::as_str).collect();
        let mut parts = Vec::new();
        if !names.is_empty() {
            parts.push(format!(
                "Legacy cleartext servers enabled or running: {}",
                short_list(&names)
            ));
        } else if processes_failing > 0 {
            parts.push(format!(
                "{processes_failing} legacy cleartext server process(es) running"
            ));
        }
        if !unmasked_packages.is_empty() {
            let pkgs: Vec<&str> = unmasked_packages.iter().map(String::as_str).collect();
            let mask: Vec<String> = unmasked_units.iter().map(|u| mask_name(u)).collect();
            parts.push(format!(
                "{}legacy cleartext server installed and not masked: {} — remove the package or mask the unit (`systemctl mask {}`)",
                if parts.is_empty() { "A " } else { "" },
                short_list(&pkgs),
                mask.join(" ")
            ));
        }
        let summary = parts.join("; ");
        let mut details = failing;
        details.extend(notes);
        return Finding::new(ID, Status::Fail, summary)
            .with_details(details)
            .with_evidence(ev);
    }
    if let Some(why) = facts.services.enablement_unknown() {
        return Finding::unknown(
            ID,
            format!("could not read which services are enabled: {why}"),
        )
        .with_evidence(ev);
    }
    if !unsure.is_empty() {
        return Finding::unknown(
            ID,
            format!(
                "could not tell whether legacy servers are enabled: {}",
                unsure.join("; ")
            ),
        )
        .with_details(notes)
        .with_evidence(ev);
    }
    if ctx.live
        && let Some(why) = facts.processes.unknown.get(&ProcessesGap::Processes)
    {
        return Finding::unknown(
            ID,
            format!("none enabled, but running processes could not be listed: {why}"),
        )
        .with_details(notes)
        .with_evidence(ev);
    }
    let mut details = notes;
    if !ctx.live {
        details.push(
            "offline image: judged from configuration only (no running processes to check)".into(),
        );
    }
    Finding::new(
        ID,
        Status::Pass,
        "No telnet, rsh/rlogin/rexec, FTP, TFTP, finger or talk server is enabled or running",
    )
    .with_details(details)
    .with_evidence(ev)
}

/// The name `systemctl mask` takes: a unit's own name, `<script>.service` for an init script.
fn mask_name(u: &ServiceUnit) -> String {
    if u.source == "sysv" && !u.name.ends_with(".service") {
        format!("{}.service", u.name)
    } else {
        u.name.clone()
    }
}

/// A unit's name for a summary; inetd/xinetd entries say which (`telnet (xinetd)`).
fn label(u: &ServiceUnit) -> String {
    if is_superserver_entry(u) {
        format!("{} ({})", u.name, u.source)
    } else {
        u.name.clone()
    }
}

fn short_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" (+{} more)", names.len() - SHOWN));
    }
    s
}

/// Running by systemd's account (starting and stopping count: the service is there).
fn is_running(u: &ServiceUnit) -> bool {
    u.is_active() || matches!(u.active.as_str(), "activating" | "deactivating")
}

/// Whether the policy allows a unit: by its name, by a socket's service name, or by the
/// name without its instance (`foo@bar` is allowed when `foo` is).
pub fn allowed(policy: &Policy, u: &ServiceUnit) -> bool {
    let stem = u.name.strip_suffix(".socket").unwrap_or(&u.name);
    policy.service_allowed(&u.name)
        || policy.service_allowed(stem)
        || policy.service_allowed(u.base_name())
}

fn unexpected(facts: &Facts, policy: &Policy) -> Finding {
    const ID: &str = "services.unexpected";
    let s = &facts.services;
    if let Some(why) = s.enablement_unknown() {
        return Finding::unknown(
            ID,
            format!("could not read which services are enabled: {why}"),
        )
        .with_evidence(evidence(
            facts,
            &[],
            &["/etc/systemd/system/", "/etc/init.d/"],
        ));
    }
    let considered: Vec<&ServiceUnit> = s
        .units
        .iter()
        .filter(|u| u.alias_of.is_empty() && !is_template(&u.name))
        .filter(|u| u.is_enabled() || is_running(u))
        .collect();
    let outside: Vec<&ServiceUnit> = considered
        .iter()
        .copied()
        .filter(|u| !allowed(policy, u))
        .collect();
    let mut details: Vec<String> = outside
        .iter()
        .map(|u| {
            let mut state = Vec::new();
            if u.is_enabled() {
                state.push(how_enabled(u));
            }
            if is_running(u) {
                state.push(format!("running ({})", u.active));
            }
            format!("{} ({}): {}", u.name, u.source, state.join("; "))
        })
        .collect();
    if !s.systemd_running {
        let why = s
            .unseen(ServicesGap::Active)
            .unwrap_or("systemd is not running");
        details.push(format!("judged from enablement only: {why}"));
    }
    if outside.is_empty() {
        return Finding::new(
            ID,
            Status::Pass,
            format!(
                "All {} enabled or running services are in the site allow-list",
                considered.len()
            ),
        )
        .with_details(details)
        .with_evidence(evidence(facts, &[], &["/etc/systemd/system/"]));
    }
    let labels: Vec<String> = outside.iter().map(|u| label(u)).collect();
    let names: Vec<&str> = labels.iter().map(String::as_str).collect();
    Finding::new(
        ID,
        Status::Warn,
        format!(
            "{} enabled or running service(s) not in the site allow-list: {} — accept them in the policy or disable them",
            outside.len(),
            short_list(&names)
        ),
    )
    .with_details(details)
    .with_evidence(evidence(facts, &outside, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::inspect::services::ServicesFacts;

    fn ctx(live: bool) -> CheckContext {
        CheckContext {
            today: Date::new(2026, 1, 15).unwrap_or_else(|| panic!("date")),
            now: 0,
            privileged: true,
            live,
        }
    }

    fn unit(name: &str, enabled: &str, active: &str, source: &str) -> ServiceUnit {
        ServiceUnit::new(name, enabled, active, source)
    }

    fn facts_with(units: Vec<ServiceUnit>) -> Facts {
        Facts {
            services: ServicesFacts {
                units,
                ..ServicesFacts::default()
            },
            areas: vec![Area::Services],
            ..Facts::default()
        }
    }

    fn policy() -> Policy {
        Policy::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    fn find(findings: &[Finding], id: &str) -> Finding {
        findings
            .iter()
            .find(|f| f.check == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}"))
    }

    #[test]
    fn telnet_socket_enabled_fails() {
        let mut sock = unit("telnet.socket", "enabled", "unknown", "systemd");
        sock.enabled_by = vec!["/etc/systemd/system/sockets.target.wants/telnet.socket".into()];
        let f = find(
            &evaluate(&facts_with(vec![sock]), &policy(), &ctx(false)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.summary.contains("telnet.socket"), "{}", f.summary);
        assert!(
            f.details[0].contains("sockets.target.wants"),
            "{:?}",
            f.details
        );
    }

    #[test]
    fn custom_unit_running_a_legacy_program_fails() {
        let mut u = unit("hl7-legacy.service", "disabled", "active", "systemd");
        u.exec = "/usr/sbin/in.tftpd".into();
        let f = find(
            &evaluate(&facts_with(vec![u]), &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.details[0].contains("TFTP"), "{:?}", f.details);
    }

    #[test]
    fn running_process_fails_even_without_units() {
        let mut facts = facts_with(vec![unit("ssh.service", "enabled", "active", "systemd")]);
        facts.processes.list = vec![ProcessInfo {
            pid: 4242,
            ppid: Some(1),
            name: "inetutils-telne".into(),
            exe: String::new(),
            cmdline: vec![],
            uid: Some(0),
        }];
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.details[0].contains("pid 4242"), "{:?}", f.details);
    }

    fn installed(names: &[&str]) -> Vec<crate::inspect::packages::InstalledPackage> {
        names
            .iter()
            .map(|n| crate::inspect::packages::InstalledPackage {
                name: (*n).into(),
                version: "1.0-1".into(),
                arch: "amd64".into(),
                source: String::new(),
            })
            .collect()
    }

    // Changed deliberately: this used to pass ("installed but disabled"). CONTROLS.md defines
    // "Disabled" as masked, not found, or package absent, so an installed server whose unit is
    // merely not enabled fails, and the summary says how to fix it.
    #[test]
    fn installed_and_not_masked_fails_masked_passes() {
        let mut facts = facts_with(vec![
            unit("vsftpd.service", "disabled", "inactive", "systemd"),
            unit("proftpd.service", "masked", "inactive", "systemd"),
        ]);
        facts.packages.installed = installed(&["proftpd-basic", "vsftpd"]);
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(
            f.summary.contains("vsftpd (vsftpd.service)")
                && f.summary.contains("remove the package or mask the unit")
                && f.summary.contains("systemctl mask vsftpd.service"),
            "{}",
            f.summary
        );
        assert!(!f.summary.contains("proftpd"), "{}", f.summary);
        assert!(
            f.details
                .iter()
                .any(|d| d.starts_with("vsftpd: package installed and FTP server not masked")),
            "{:?}",
            f.details
        );

        // Masked: disabled by CONTROLS' definition, noted.
        facts.services.units[0].enabled = "masked".into();
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(
            f.details.iter().any(|d| d
                == "vsftpd, proftpd-basic: package installed, FTP server disabled (its units are masked)"),
            "{:?}",
            f.details
        );
        assert!(
            f.details
                .iter()
                .any(|d| d.contains("proftpd.service") && d.contains("masked"))
        );
    }

    #[test]
    fn not_enabled_unit_without_its_package_passes() {
        // A leftover unit with no package installed: "package absent" is disabled.
        let facts = facts_with(vec![unit(
            "vsftpd.service",
            "disabled",
            "inactive",
            "systemd",
        )]);
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Pass, "{f:?}");
        // Package installed, no unit at all ("not found"): disabled, noted.
        let mut facts = facts_with(vec![]);
        facts.packages.installed = installed(&["telnetd"]);
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(
            f.details
                .iter()
                .any(|d| d.contains("no unit or init script found")),
            "{:?}",
            f.details
        );
    }

    #[test]
    fn installed_sysv_script_not_enabled_fails_with_a_mask_hint() {
        let mut facts = facts_with(vec![unit("tftpd-hpa", "disabled", "unknown", "sysv")]);
        facts.packages.installed = installed(&["tftpd-hpa"]);
        let f = find(
            &evaluate(&facts, &policy(), &ctx(false)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(
            f.summary
                .starts_with("A legacy cleartext server installed and not masked")
                && f.summary.contains("systemctl mask tftpd-hpa.service"),
            "{}",
            f.summary
        );
    }

    #[test]
    fn inetd_entry_behind_a_disabled_inetd_fails_only_if_inetd_runs() {
        let mut telnet = unit("telnet", "disabled", "unknown", "inetd");
        telnet.enabled_by = vec!["/etc/inetd.conf:25".into()];
        telnet.note = "configured on, but inetd.service is disabled".into();
        let mut facts = facts_with(vec![telnet]);
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Pass, "{f:?}");
        facts.processes.list = vec![ProcessInfo {
            pid: 77,
            ppid: Some(1),
            name: "inetd".into(),
            exe: "/usr/sbin/inetd".into(),
            cmdline: vec!["/usr/sbin/inetd".into()],
            uid: Some(0),
        }];
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.details[0].contains("inetd (pid 77) is running"),
            "{:?}",
            f.details
        );
    }

    #[test]
    fn unknowns_are_never_passes() {
        let mut facts = facts_with(vec![]);
        facts.services.unknown.insert(
            ServicesGap::Enablement,
            "needs root to read /etc/systemd/system".into(),
        );
        for f in evaluate(&facts, &policy(), &ctx(true)) {
            assert_eq!(f.status, Status::Unknown, "{f:?}");
            assert!(f.summary.contains("needs root"), "{}", f.summary);
        }
        let mut facts = facts_with(vec![unit("ssh.service", "enabled", "active", "systemd")]);
        facts
            .processes
            .unknown
            .insert(ProcessesGap::Processes, "cannot list /proc".into());
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Unknown);
        let f = find(
            &evaluate(&facts, &policy(), &ctx(false)),
            "services.legacy_cleartext",
        );
        assert_eq!(
            f.status,
            Status::Pass,
            "offline: configuration is what there is"
        );
        let secret = unit("vsftpd.service", "unknown", "unknown", "systemd");
        let f = find(
            &evaluate(&facts_with(vec![secret]), &policy(), &ctx(false)),
            "services.legacy_cleartext",
        );
        assert_eq!(f.status, Status::Unknown);
    }

    #[test]
    fn unexpected_lists_what_the_policy_does_not_allow() {
        let mut pg = unit("postgresql.service", "enabled", "unknown", "systemd");
        pg.enabled_by =
            vec!["/etc/systemd/system/multi-user.target.wants/postgresql.service".into()];
        let mut alias = unit("sshd.service", "alias", "unknown", "systemd");
        alias.alias_of = "ssh.service".into();
        let units = vec![
            pg,
            alias,
            unit("ssh.service", "enabled", "unknown", "systemd"),
            unit("getty@.service", "enabled", "unknown", "systemd"),
            unit("getty@tty1.service", "enabled", "unknown", "systemd"),
            unit("dbus.service", "static", "unknown", "systemd"),
            unit("systemd-journald.socket", "static", "active", "systemd"),
            unit("mystery.service", "static", "unknown", "systemd"),
            unit("vendor-agent.service", "static", "active", "systemd"),
            unit("telnet", "enabled", "unknown", "xinetd"),
            unit("old-vendor", "disabled", "unknown", "sysv"),
        ];
        let f = find(
            &evaluate(&facts_with(units), &policy(), &ctx(true)),
            "services.unexpected",
        );
        assert_eq!(f.status, Status::Warn);
        assert!(
            f.summary.starts_with("3 enabled or running"),
            "{}",
            f.summary
        );
        let listed: Vec<&str> = f
            .details
            .iter()
            .filter_map(|d| d.split(' ').next())
            .collect();
        assert_eq!(
            listed,
            vec![
                "postgresql.service",
                "vendor-agent.service",
                "telnet",
                "judged"
            ]
        );
        assert!(f.details[0].contains("multi-user.target.wants"));
    }

    #[test]
    fn unexpected_passes_when_everything_is_allowed() {
        let units = vec![
            unit("ssh.service", "enabled", "active", "systemd"),
            unit("dbus.socket", "static", "active", "systemd"),
            unit("getty@tty1.service", "enabled", "active", "systemd"),
            unit("postgresql.service", "disabled", "inactive", "systemd"),
        ];
        let mut facts = facts_with(units);
        facts.services.systemd_running = true;
        let f = find(
            &evaluate(&facts, &policy(), &ctx(true)),
            "services.unexpected",
        );
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.summary.contains("All 3"), "{}", f.summary);
    }
}
