//! `mac.enforcing`: AppArmor or SELinux is enforcing.

use super::{evidence, plural};
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::{MacGap, SupportingGap};
use crate::inspect::supporting::mac::{
    APPARMOR_DIR, APPARMOR_ENABLED, APPARMOR_PROFILES, LSM_LIST, MacFacts, SELINUX_CONFIG,
    SELINUX_ENFORCE,
};
use crate::policy::Policy;

const ID: &str = "mac.enforcing";

/// Why permissive fails an "enforcing" check, for the details.
const PERMISSIVE_ONLY_LOGS: &str = "SELinux permissive mode only logs policy violations (AVC denials in the audit log); it blocks nothing, so it does not count as enforcing. Set SELINUX=enforcing in /etc/selinux/config (with the vendor's agreement) and reboot";

/// Kernel parameters that switch a MAC off, as (parameter, origin).
fn boot_disables(facts: &Facts) -> Vec<String> {
    let boot = &facts.supporting.boot;
    let mut out = Vec::new();
    for (key, bad) in [
        ("apparmor", "apparmor=0"),
        ("selinux", "selinux=0"),
        ("enforcing", "enforcing=0"),
    ] {
        for (p, origin) in boot.find(key) {
            if p == bad {
                out.push(format!("{p} ({origin})"));
            }
        }
    }
    for (p, origin) in boot.find("security") {
        out.push(format!("{p} ({origin})"));
    }
    out
}

fn apparmor_configured(m: &MacFacts) -> Option<(usize, usize)> {
    let dir = m.apparmor_profile_dir.as_ref()?;
    let active = dir
        .profiles
        .iter()
        .filter(|p| !dir.disabled.contains(p))
        .count();
    let complain = dir
        .complain
        .iter()
        .filter(|p| dir.profiles.contains(p))
        .count();
    Some((active, complain))
}

pub fn evaluate(facts: &Facts, _policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let m = &facts.supporting.mac;
    let ev = evidence(
        facts,
        &[
            APPARMOR_ENABLED,
            APPARMOR_PROFILES,
            SELINUX_ENFORCE,
            SELINUX_CONFIG,
            LSM_LIST,
            "/etc/default/grub",
            "/proc/cmdline",
            "/etc/apparmor.d",
        ],
        false,
    );
    let disables = boot_disables(facts);
    let mut details: Vec<String> = disables
        .iter()
        .map(|d| format!("kernel parameter {d}"))
        .collect();
    if let Some(lsm) = &m.lsm {
        details.push(format!("active security modules: {}", lsm.join(",")));
    }
    if let Some(c) = &m.selinux_config {
        details.push(format!(
            "SELINUX={} SELINUXTYPE={} ({})",
            c.mode, c.policy, c.origin
        ));
    }
    if let Some((active, complain)) = apparmor_configured(m) {
        details.push(format!(
            "{APPARMOR_DIR}: {} not disabled, {complain} forced to complain mode",
            plural(active, "profile", "profiles")
        ));
    }
    let f = if m.sysfs_visible {
        observed(m, ctx, &mut details)
    } else {
        configured(facts, m, &disables, &mut details)
    };
    vec![f.with_details(details).with_evidence(ev)]
}

/// A live host (or a captured tree with sysfs): what the running kernel enforces.
fn observed(m: &MacFacts, ctx: &CheckContext, details: &mut Vec<String>) -> Finding {
    match m.selinux_enforce.as_deref() {
        Some("1") => return Finding::new(ID, Status::Pass, "SELinux is enforcing"),
        Some("0") => {
            details.push(PERMISSIVE_ONLY_LOGS.to_string());
            return Finding::new(
                ID,
                Status::Fail,
                "SELinux is permissive, not enforcing: policy violations are logged, not blocked",
            );
        }
        _ => {}
    }
    if m.apparmor_enabled != Some(true) {
        if let Some(why) = m.unknown.get(&MacGap::ApparmorEnabled) {
            return Finding::unknown(ID, format!("could not read AppArmor's state: {why}"));
        }
        return Finding::new(
            ID,
            Status::Fail,
            "Neither AppArmor nor SELinux is active in the running kernel",
        );
    }
    let Some(modes) = &m.apparmor_modes else {
        let why = m
            .unknown
            .get(&MacGap::ApparmorProfiles)
            .cloned()
            .unwrap_or_default();
        let reason = if ctx.privileged {
            format!("AppArmor is enabled, but its loaded profiles could not be read: {why}")
        } else {
            format!(
                "AppArmor is enabled; counting enforcing profiles needs root ({APPARMOR_PROFILES} on securityfs): {why}"
            )
        };
        return Finding::unknown(ID, reason);
    };
    let count = |k: &str| modes.get(k).copied().unwrap_or(0);
    let (enforce, complain) = (count("enforce") + count("kill"), count("complain"));
    details.push(format!(
        "loaded AppArmor profiles: {}",
        modes
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if enforce > 0 {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "AppArmor is enforcing {} ({complain} in complain mode)",
                plural(enforce, "profile", "profiles")
            ),
        )
    } else {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "AppArmor is enabled but no profile is enforcing ({complain} in complain mode)"
            ),
        )
    }
}

/// An offline tree: decide from configuration, and say so.
fn configured(
    facts: &Facts,
    m: &MacFacts,
    disables: &[String],
    details: &mut Vec<String>,
) -> Finding {
    let selinux_off = disables.iter().any(|d| d.starts_with("selinux=0"));
    let apparmor_off = disables.iter().any(|d| d.starts_with("apparmor=0"));
    // Configuration that exists but could not be read: it could switch either module off
    // (a kernel parameter) or hold what is configured.
    let boot_unread = facts.supporting.unknown.get(&SupportingGap::BootConfig);
    if let Some(c) = &m.selinux_config {
        match c.mode.as_str() {
            "enforcing" if !selinux_off && boot_unread.is_some() => {
                return Finding::unknown(
                    ID,
                    format!(
                        "SELinux is configured enforcing ({}), but the boot configuration could not be read: {}",
                        c.origin,
                        boot_unread.map_or("", String::as_str)
                    ),
                );
            }
            "enforcing" if !selinux_off => {
                return Finding::new(
                    ID,
                    Status::Pass,
                    format!(
                        "SELinux is configured enforcing ({}); offline image: configured, not observed",
                        c.origin
                    ),
                );
            }
            "permissive" if !selinux_off => {
                details.push(PERMISSIVE_ONLY_LOGS.to_string());
                return Finding::new(
                    ID,
                    Status::Fail,
                    format!(
                        "SELinux is configured permissive, not enforcing ({}): violations would be logged, not blocked",
                        c.origin
                    ),
                );
            }
            _ => {}
        }
    }
    let unread: Vec<&str> = [
        boot_unread,
        m.unknown.get(&MacGap::SelinuxConfig),
        m.unknown.get(&MacGap::ApparmorProfileDir),
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect();
    if !unread.is_empty() && disables.is_empty() {
        return Finding::unknown(
            ID,
            format!(
                "could not read the access-control configuration: {}",
                unread.join("; ")
            ),
        );
    }
    let apparmor_pkg = facts.packages.is_installed("apparmor");
    match apparmor_configured(m) {
        Some((active, complain)) if apparmor_pkg && active > 0 && !apparmor_off => Finding::new(
            ID,
            Status::Pass,
            format!(
                "AppArmor is installed with {} ({complain} forced to complain); offline image: configured, not observed",
                plural(active, "profile", "profiles")
            ),
        ),
        _ if !disables.is_empty() => Finding::new(
            ID,
            Status::Fail,
            format!(
                "Mandatory access control is switched off at boot: {}",
                disables.join(", ")
            ),
        ),
        _ if m
            .selinux_config
            .as_ref()
            .is_some_and(|c| c.mode == "disabled") =>
        {
            Finding::new(
                ID,
                Status::Fail,
                "SELinux is configured disabled and AppArmor is not set up",
            )
        }
        _ if apparmor_pkg => Finding::new(
            ID,
            Status::Warn,
            "AppArmor is installed but no profiles are set up",
        ),
        _ => Finding::new(
            ID,
            Status::Fail,
            "Neither AppArmor nor SELinux is configured (offline image: configuration only)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::mac::{
        AppArmorProfileDir, SelinuxConfig, parse_apparmor_profiles,
    };
    use crate::inspect::supporting::{BootParam, BootParams};

    fn run(f: &Facts, live: bool, privileged: bool) -> Finding {
        let mut c = ctx(live);
        c.privileged = privileged;
        let out = evaluate(f, &Policy::builtin().unwrap_or_else(|e| panic!("{e}")), &c);
        only(&out, ID).clone()
    }

    #[test]
    fn apparmor_enforcing_passes() {
        let mut f = live(&["apparmor"], &[], &["apparmor"]);
        f.supporting.mac.sysfs_visible = true;
        f.supporting.mac.apparmor_enabled = Some(true);
        f.supporting.mac.apparmor_modes = Some(parse_apparmor_profiles(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/supporting/mac/apparmor_profiles"
        ))));
        let r = run(&f, true, true);
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("6 profiles"), "{}", r.summary);
    }

    #[test]
    fn apparmor_without_root_is_unknown() {
        let mut f = live(&[], &[], &[]);
        f.supporting.mac.sysfs_visible = true;
        f.supporting.mac.apparmor_enabled = Some(true);
        f.supporting.mac.unknown.insert(
            MacGap::ApparmorProfiles,
            "needs root to read /sys/kernel/security/apparmor/profiles".into(),
        );
        let r = run(&f, true, false);
        assert_status(&r, Status::Unknown);
        assert!(r.summary.contains("needs root"));
    }

    #[test]
    fn no_mac_fails_and_permissive_fails() {
        // This build machine: sysfs visible, no AppArmor module, no selinuxfs.
        let mut f = live(&[], &[], &[]);
        f.supporting.mac.sysfs_visible = true;
        f.supporting.mac.apparmor_enabled = Some(false);
        assert_status(&run(&f, true, true), Status::Fail);
        // Permissive blocks nothing: the check is "enforcing", so it fails, and says why.
        f.supporting.mac.selinux_enforce = Some("0".into());
        let r = run(&f, true, true);
        assert_status(&r, Status::Fail);
        assert!(r.summary.contains("permissive"), "{}", r.summary);
        assert!(
            r.details.iter().any(|d| d.contains("only logs")),
            "{:?}",
            r.details
        );
    }

    #[test]
    fn offline_selinux_permissive_fails() {
        let mut f = offline(&[]);
        f.supporting.mac.selinux_config = Some(SelinuxConfig {
            mode: "permissive".into(),
            policy: "targeted".into(),
            origin: "/etc/selinux/config:22".into(),
        });
        let r = run(&f, false, true);
        assert_status(&r, Status::Fail);
        assert!(r.summary.contains("permissive"), "{}", r.summary);
        assert!(r.details.iter().any(|d| d.contains("only logs")));
    }

    #[test]
    fn offline_selinux_and_apparmor_configured() {
        let mut f = offline(&[]);
        f.supporting.mac.selinux_config = Some(SelinuxConfig {
            mode: "enforcing".into(),
            policy: "targeted".into(),
            origin: "/etc/selinux/config:22".into(),
        });
        let r = run(&f, false, true);
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("configured, not observed"));
        // selinux=0 on the kernel command line overrides the config file.
        f.supporting.boot = BootParams {
            running: None,
            configured: vec![BootParam {
                param: "selinux=0".into(),
                origin: "/etc/default/grub:9".into(),
            }],
        };
        assert_status(&run(&f, false, true), Status::Fail);

        let mut f = offline(&["apparmor"]);
        f.supporting.mac.apparmor_profile_dir = Some(AppArmorProfileDir {
            profiles: vec!["usr.sbin.chronyd".into(), "lsb_release".into()],
            disabled: vec![],
            complain: vec![],
        });
        assert_status(&run(&f, false, true), Status::Pass);
        f.supporting.boot.configured.push(BootParam {
            param: "apparmor=0".into(),
            origin: "/etc/default/grub:10".into(),
        });
        assert_status(&run(&f, false, true), Status::Fail);
    }
}
