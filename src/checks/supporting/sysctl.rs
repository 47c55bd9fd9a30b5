//! `kernel.sysctl`: kernel memory and network hardening settings.

use super::evidence;
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::supporting::sysctl::{RULES, SYSCTL_CONF, SYSCTL_DIRS, proc_path};
use crate::policy::Policy;

const ID: &str = "kernel.sysctl";

/// Where a value came from, for the details line.
enum Seen {
    Running(String),
    Configured(String, String),
    Default(&'static str),
}

pub fn evaluate(facts: &Facts, policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let s = &facts.supporting.sysctl;
    let mut subjects: Vec<&str> = SYSCTL_DIRS.to_vec();
    subjects.extend([SYSCTL_CONF, "/proc/sys/"]);
    let ev = evidence(facts, &subjects, false);
    let mut ok = Vec::new();
    let mut critical = Vec::new();
    let mut deviations = Vec::new();
    let mut unreadable = Vec::new();
    let mut notes = Vec::new();
    if !s.proc_visible {
        // Offline the configuration is all there is: a file that could not be read may
        // change any value.
        unreadable.extend(
            s.unknown
                .iter()
                .filter(|(k, _)| k.starts_with("file:"))
                .map(|(k, why)| format!("{}: {why}", k.trim_start_matches("file:"))),
        );
    }
    for rule in RULES {
        if rule.routing && policy.router {
            notes.push(format!(
                "{}: not checked (the site policy marks this host as a router)",
                rule.key
            ));
            continue;
        }
        let seen = if s.proc_visible {
            match (s.running.get(rule.key), s.unknown.get(rule.key)) {
                (Some(v), _) => Seen::Running(v.clone()),
                (None, Some(why)) => {
                    unreadable.push(format!("{}: {why}", rule.key));
                    continue;
                }
                (None, None) if rule.optional => continue,
                (None, None) => {
                    unreadable.push(format!(
                        "{}: {} does not exist in this kernel",
                        rule.key,
                        proc_path(rule.key)
                    ));
                    continue;
                }
            }
        } else {
            match (s.configured.get(rule.key), rule.kernel_default) {
                (Some(c), _) => Seen::Configured(c.value.clone(), c.origin.clone()),
                (None, Some(d)) => Seen::Default(d),
                (None, None) if rule.optional => continue,
                (None, None) => {
                    deviations.push(format!("{} is not configured (its default depends on how the kernel was built; expected {})", rule.key, rule.expect.describe()));
                    continue;
                }
            }
        };
        let (value, whence) = match &seen {
            Seen::Running(v) => (v.clone(), "running".to_string()),
            Seen::Configured(v, origin) => (v.clone(), format!("configured at {origin}")),
            Seen::Default(d) => (
                (*d).to_string(),
                "not configured; kernel default assumed".to_string(),
            ),
        };
        let mut line = format!("{} = {value} ({whence})", rule.key);
        if let (Seen::Running(v), Some(c)) = (&seen, s.configured.get(rule.key))
            && c.value.trim() != v.trim()
        {
            line.push_str(&format!(
                "; {} sets {} but the running value differs",
                c.origin, c.value
            ));
        }
        if rule.expect.accepts(&value) {
            ok.push(format!("✔ {line}"));
        } else {
            let text = format!("{line}, expected {}", rule.expect.describe());
            if rule.critical {
                critical.push(text);
            } else {
                deviations.push(text);
            }
        }
    }
    let mut details: Vec<String> = critical
        .iter()
        .chain(deviations.iter())
        .map(|d| format!("✘ {d}"))
        .collect();
    details.extend(unreadable.iter().map(|u| format!("? {u}")));
    details.extend(ok);
    details.extend(notes);
    if !s.proc_visible {
        details.push(
            "offline image: values from sysctl.d configuration, not the running kernel".into(),
        );
    }
    let keys = |v: &[String]| {
        v.iter()
            .map(|d| d.split(' ').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Offline, a sysctl.d file (or directory) not read may set any value, the ones found off
    // the baseline included: nothing here is certain.
    let files_unread = !s.proc_visible && !unreadable.is_empty();
    let f = if files_unread {
        let off = critical.len() + deviations.len();
        let so_far = if off == 0 {
            String::new()
        } else {
            format!(
                "; the files that were read leave {off} setting(s) off the baseline: {}",
                keys(&[critical.as_slice(), deviations.as_slice()].concat())
            )
        };
        Finding::unknown(
            ID,
            format!("could not read {}{so_far}", unreadable.join("; ")),
        )
    } else if !critical.is_empty() {
        Finding::new(
            ID,
            Status::Fail,
            format!("Critical kernel settings are off: {}", keys(&critical)),
        )
    } else if !deviations.is_empty() {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "{} kernel hardening setting(s) differ from the baseline: {}",
                deviations.len(),
                keys(&deviations)
            ),
        )
    } else if !unreadable.is_empty() {
        Finding::unknown(ID, format!("could not read {}", unreadable.join("; ")))
    } else {
        Finding::new(
            ID,
            Status::Pass,
            if s.proc_visible {
                "Kernel hardening settings match the baseline"
            } else {
                "Kernel hardening settings match the baseline (offline image: configured, not observed)"
            },
        )
    };
    vec![f.with_details(details).with_evidence(ev)]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::sysctl::{SysctlFacts, SysctlOptions, parse_sysctl_conf};

    /// /proc/sys values captured on this Debian 12 build machine (a Firecracker VM).
    const CAPTURED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/sysctl/debian12_vm_proc_sys.txt"
    ));
    const HARDENED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/sysctl/hardened_99-station.conf"
    ));

    fn running(text: &str) -> SysctlFacts {
        let mut s = SysctlFacts {
            proc_visible: true,
            ..SysctlFacts::default()
        };
        for line in text.lines() {
            if let Some((k, v)) = line.split_once(" = ") {
                s.running.insert(k.to_string(), v.to_string());
            }
        }
        s
    }

    fn run(s: SysctlFacts, router: bool) -> Finding {
        let mut f = live(&[], &[], &[]);
        f.supporting.sysctl = s;
        let mut p = Policy::builtin().unwrap_or_else(|e| panic!("{e}"));
        p.router = router;
        let out = evaluate(&f, &p, &ctx(true));
        only(&out, ID).clone()
    }

    #[test]
    fn this_machine_warns_on_redirects_and_restrictions() {
        let r = run(running(CAPTURED), false);
        assert_status(&r, Status::Warn);
        assert!(
            r.summary.contains("net.ipv4.conf.all.accept_redirects"),
            "{}",
            r.summary
        );
        assert!(r.summary.contains("fs.protected_symlinks"), "{}", r.summary);
        // Yama is not in this kernel: optional, so not a deviation.
        assert!(!r.summary.contains("ptrace"), "{}", r.summary);
    }

    #[test]
    fn hardened_values_pass_and_forwarding_fails_unless_router() {
        let mut s = running(CAPTURED);
        let keys: Vec<&str> = RULES.iter().map(|r| r.key).collect();
        let mut o = SysctlOptions::default();
        o.add(parse_sysctl_conf("/etc/sysctl.d/99-station.conf", HARDENED));
        let c = o.resolve(&keys);
        for (k, v) in &c {
            s.running.insert(k.clone(), v.value.clone());
        }
        assert_status(&run(s.clone(), false), Status::Pass);
        s.running.insert("net.ipv4.ip_forward".into(), "1".into());
        assert_status(&run(s.clone(), false), Status::Fail);
        assert_status(&run(s.clone(), true), Status::Pass);
        s.running
            .insert("kernel.randomize_va_space".into(), "0".into());
        assert_status(&run(s, true), Status::Fail);
    }

    #[test]
    fn offline_uses_configuration_and_defaults() {
        let keys: Vec<&str> = RULES.iter().map(|r| r.key).collect();
        let mut s = SysctlFacts::default();
        let mut o = SysctlOptions::default();
        o.add(parse_sysctl_conf("/etc/sysctl.d/99-station.conf", HARDENED));
        s.configured = o.resolve(&keys);
        let r = run(s, false);
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("configured, not observed"));
        // Nothing configured: kernel defaults for redirects etc. deviate.
        assert_status(&run(SysctlFacts::default(), false), Status::Warn);
    }

    #[test]
    fn unreadable_values_are_unknown() {
        let mut s = running(CAPTURED);
        for k in [
            "net.ipv4.conf.all.accept_redirects",
            "net.ipv6.conf.all.accept_redirects",
            "net.ipv4.conf.all.send_redirects",
            "kernel.kptr_restrict",
            "fs.protected_symlinks",
            "net.ipv4.conf.all.rp_filter",
        ] {
            s.running.insert(
                k.into(),
                if k.ends_with("rp_filter")
                    || k.ends_with("kptr_restrict")
                    || k.ends_with("symlinks")
                {
                    "1".into()
                } else {
                    "0".into()
                },
            );
        }
        s.running.remove("kernel.dmesg_restrict");
        s.unknown.insert(
            "kernel.dmesg_restrict".into(),
            "needs root to read /proc/sys/kernel/dmesg_restrict".into(),
        );
        let r = run(s, false);
        assert_status(&r, Status::Unknown);
        assert!(r.summary.contains("dmesg_restrict"));
    }
}
