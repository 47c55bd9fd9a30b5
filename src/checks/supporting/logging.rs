//! `logging.audit` (auditd installed, running, with rules) and `logging.remote` (forwarding).

use super::{DaemonState, daemon_state, evidence, plural};
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::supporting::logging::{AUDIT_RULES, LogTarget};
use crate::policy::Policy;

const AUDIT: &str = "logging.audit";
const REMOTE: &str = "logging.remote";

pub fn audit(facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Finding {
    let a = &facts.supporting.audit;
    let ev = evidence(
        facts,
        &[AUDIT_RULES, "/etc/audit/rules.d/", "auditctl"],
        true,
    );
    let d = daemon_state(facts, &["auditd", "audit"], &["auditd"], &["auditd"]);
    let mut details = d.signs.clone();
    for file in &a.rules_files {
        details.push(format!(
            "{}: {}{}",
            file.path,
            plural(file.rules, "rule", "rules"),
            if file.immutable {
                " (-e 2: locked until reboot)"
            } else {
                ""
            }
        ));
    }
    if let Some(n) = a.loaded_rules {
        details.push(format!(
            "loaded in the kernel now (auditctl -l): {}",
            plural(n, "rule", "rules")
        ));
    }
    let installed = d.installed == Some(true) || a.daemon_binary;
    let f = if installed {
        match d.on() {
            Some(false) => Finding::new(
                AUDIT,
                Status::Fail,
                format!("auditd is installed but {}", d.describe_state()),
            ),
            None => Finding::unknown(
                AUDIT,
                format!(
                    "auditd is installed; whether it runs could not be seen: {}",
                    d.unseen.join("; ")
                ),
            ),
            Some(true) => {
                let rules = a.loaded_rules.unwrap_or_else(|| a.configured_rules());
                let whence = if a.loaded_rules.is_some() {
                    "loaded"
                } else {
                    "configured"
                };
                if rules == 0 {
                    Finding::new(
                        AUDIT,
                        Status::Warn,
                        format!(
                            "auditd is {} but has no audit rules {whence}: add watches for accounts, sudoers and time changes",
                            d.describe_state()
                        ),
                    )
                } else {
                    Finding::new(
                        AUDIT,
                        Status::Pass,
                        format!(
                            "auditd is {} with {} {whence}",
                            d.describe_state(),
                            plural(rules, "rule", "rules")
                        ),
                    )
                }
            }
        }
    } else if d.installed.is_none() {
        Finding::unknown(
            AUDIT,
            format!(
                "could not tell whether auditd is installed: {}",
                d.unseen.join("; ")
            ),
        )
    } else if let Some(why) = a.unknown.get(&crate::inspect::gap::AuditGap::DaemonBinary) {
        Finding::unknown(
            AUDIT,
            format!("could not tell whether auditd is installed: {why}"),
        )
    } else {
        Finding::new(
            AUDIT,
            Status::Fail,
            "auditd is not installed: security-relevant events are not audited",
        )
    };
    f.with_details(details).with_evidence(ev)
}

/// The daemon that would carry a forwarding target, and whether it is on.
fn carrier(facts: &Facts, t: &LogTarget) -> DaemonState {
    match t.via.as_str() {
        "rsyslog" => daemon_state(facts, &["rsyslog"], &["rsyslogd"], &["rsyslog"]),
        "syslog-ng" => daemon_state(
            facts,
            &["syslog-ng-core", "syslog-ng"],
            &["syslog-ng"],
            &["syslog-ng"],
        ),
        _ => {
            let mut d = daemon_state(
                facts,
                &["systemd-journal-remote"],
                &["systemd-journal-upload", "systemd-journal-u"],
                &["systemd-journal-upload"],
            );
            if d.enabled.is_none() && facts.supporting.remote_logging.journal_upload_wanted {
                d.enabled = Some(true);
            }
            d
        }
    }
}

pub fn remote(facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Finding {
    let r = &facts.supporting.remote_logging;
    let subjects: Vec<&str> = r
        .files
        .iter()
        .map(String::as_str)
        .chain([
            "/etc/rsyslog.d/",
            "/etc/syslog-ng/",
            "/etc/systemd/journal-upload.conf.d/",
        ])
        .collect();
    let ev = evidence(facts, &subjects, true);
    let mut active = Vec::new();
    let mut unobserved = Vec::new();
    let mut off = Vec::new();
    let mut details = Vec::new();
    for t in &r.targets {
        let d = carrier(facts, t);
        let cleartext = matches!(t.protocol.as_str(), "udp" | "tcp" | "http");
        let line = format!(
            "{} via {} over {}{} ({}); {}: {}",
            t.target,
            t.via,
            t.protocol,
            if cleartext { ", cleartext" } else { "" },
            t.origin,
            t.via,
            d.describe_state()
        );
        details.push(line);
        match (d.installed, d.on()) {
            (Some(false), _) | (_, Some(false)) => off.push(t),
            (_, Some(true)) => active.push(t),
            (_, None) => unobserved.push(t),
        }
    }
    if r.files.is_empty() {
        details.push("no rsyslog, syslog-ng or journal-upload configuration found".into());
    } else {
        details.push(format!("read: {}", r.files.join(", ")));
    }
    let list = |v: &[&LogTarget]| {
        let mut names: Vec<String> = v
            .iter()
            .take(2)
            .map(|t| format!("{} ({})", t.target, t.via))
            .collect();
        if v.len() > 2 {
            names.push(format!("{} more", v.len() - 2));
        }
        names.join(", ")
    };
    let f = if !active.is_empty() {
        Finding::new(
            REMOTE,
            Status::Pass,
            format!("Logs are forwarded to {}", list(&active)),
        )
    } else if !unobserved.is_empty() {
        Finding::new(
            REMOTE,
            Status::Pass,
            format!(
                "Log forwarding is configured to {} (offline image: configured, not observed)",
                list(&unobserved)
            ),
        )
    } else if !off.is_empty() {
        Finding::new(
            REMOTE,
            Status::Warn,
            format!(
                "Log forwarding is configured to {} but the daemon carrying it is not running or not installed",
                list(&off)
            ),
        )
    } else if !r.unknown.is_empty() {
        // Configuration that exists and could not be read could hold the forwarding rule.
        Finding::unknown(
            REMOTE,
            format!(
                "no forwarding found, but logging configuration could not be read: {}",
                r.unknown.values().cloned().collect::<Vec<_>>().join("; ")
            ),
        )
    } else {
        Finding::new(
            REMOTE,
            Status::Warn,
            "Logs are kept only on this host: no forwarding to a central collector is configured",
        )
    };
    f.with_details(details).with_evidence(ev)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::logging::{AUDIT_RULES_D, AuditRulesFile, parse_rsyslog};

    fn policy() -> Policy {
        Policy::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn audit_running_with_rules_passes_without_rules_warns() {
        let mut f = live(&["auditd"], &["auditd"], &["auditd"]);
        f.supporting.audit.daemon_binary = true;
        f.supporting.audit.rules_files = vec![AuditRulesFile {
            path: format!("{AUDIT_RULES_D}/audit.rules"),
            rules: 0,
            immutable: false,
        }];
        assert_status(&audit(&f, &policy(), &ctx(true)), Status::Warn);
        f.supporting.audit.rules_files.push(AuditRulesFile {
            path: format!("{AUDIT_RULES_D}/50-cis.rules"),
            rules: 9,
            immutable: true,
        });
        let r = audit(&f, &policy(), &ctx(true));
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("9 rules configured"), "{}", r.summary);
    }

    #[test]
    fn audit_missing_or_stopped_fails_offline_unknown() {
        assert_status(
            &audit(&live(&[], &[], &[]), &policy(), &ctx(true)),
            Status::Fail,
        );
        assert_status(
            &audit(&live(&["auditd"], &[], &[]), &policy(), &ctx(true)),
            Status::Fail,
        );
        assert_status(
            &audit(&offline(&["auditd"]), &policy(), &ctx(false)),
            Status::Unknown,
        );
    }

    #[test]
    fn remote_forwarding_by_running_rsyslog_passes() {
        let mut f = live(&["rsyslog"], &["rsyslogd"], &["rsyslog"]);
        f.supporting.remote_logging.files = vec!["/etc/rsyslog.conf".into()];
        f.supporting.remote_logging.targets =
            parse_rsyslog("/etc/rsyslog.d/60-forward.conf", "*.* @@10.1.2.3:514\n");
        let r = remote(&f, &policy(), &ctx(true));
        assert_status(&r, Status::Pass);
        assert!(r.details[0].contains("cleartext"));
        // rsyslog stopped: configured but not carried.
        let mut stopped = f.clone();
        stopped.processes.list.clear();
        stopped
            .services
            .units
            .retain(|u| u.name != "rsyslog.service");
        assert_status(&remote(&stopped, &policy(), &ctx(true)), Status::Warn);
    }

    #[test]
    fn no_forwarding_warns() {
        let mut f = live(&["rsyslog"], &["rsyslogd"], &["rsyslog"]);
        f.supporting.remote_logging.files = vec!["/etc/rsyslog.conf".into()];
        assert_status(&remote(&f, &policy(), &ctx(true)), Status::Warn);
    }
}
