//! Mandatory access control: AppArmor and SELinux, as running (sysfs, securityfs) and as
//! configured (/etc/apparmor.d, /etc/selinux/config).

use super::origin;
use crate::host::{FileKind, Host, metadata_optional, read_dir_optional, read_optional};
use crate::inspect::Unseen;
use crate::inspect::gap::MacGap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const APPARMOR_ENABLED: &str = "/sys/module/apparmor/parameters/enabled";
pub const APPARMOR_PROFILES: &str = "/sys/kernel/security/apparmor/profiles";
pub const APPARMOR_DIR: &str = "/etc/apparmor.d";
pub const SELINUX_ENFORCE: &str = "/sys/fs/selinux/enforce";
pub const SELINUX_CONFIG: &str = "/etc/selinux/config";
pub const LSM_LIST: &str = "/sys/kernel/security/lsm";

/// AppArmor profile files installed in /etc/apparmor.d.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppArmorProfileDir {
    pub profiles: Vec<String>,
    /// Names linked in /etc/apparmor.d/disable (not loaded at boot).
    pub disabled: Vec<String>,
    /// Names linked in /etc/apparmor.d/force-complain (loaded in complain mode).
    pub complain: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelinuxConfig {
    /// enforcing | permissive | disabled (lower-case, as written)
    pub mode: String,
    pub policy: String,
    pub origin: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacFacts {
    /// /sys/module/apparmor/parameters/enabled; `None` when not observable (offline tree).
    pub apparmor_enabled: Option<bool>,
    /// Loaded profiles per mode (enforce, complain, kill, unconfined, ...), from securityfs.
    pub apparmor_modes: Option<BTreeMap<String, usize>>,
    pub apparmor_profile_dir: Option<AppArmorProfileDir>,
    /// "1" enforcing, "0" permissive; `None` when SELinux is not mounted or not observable.
    pub selinux_enforce: Option<String>,
    pub selinux_config: Option<SelinuxConfig>,
    /// Active LSMs from /sys/kernel/security/lsm.
    pub lsm: Option<Vec<String>>,
    /// Whether /sys/module was visible at all (a live host or a captured tree with sysfs).
    pub sysfs_visible: bool,
    pub unknown: Unseen<MacGap>,
}

/// Counts profiles per mode in securityfs's `profiles` list: `name (mode)` per line.
pub fn parse_apparmor_profiles(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_end();
        let Some(open) = line.rfind(" (") else {
            continue;
        };
        let Some(mode) = line[open + 2..].strip_suffix(')') else {
            continue;
        };
        if mode.is_empty()
            || !mode
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        *out.entry(mode.to_string()).or_insert(0) += 1;
    }
    out
}

/// SELINUX= and SELINUXTYPE= from /etc/selinux/config.
pub fn parse_selinux_config(path: &str, text: &str) -> Option<SelinuxConfig> {
    let mut mode = None;
    let mut policy = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_ascii_lowercase();
        match k.trim() {
            "SELINUX" => mode = Some((v, origin(path, i + 1))),
            "SELINUXTYPE" => policy = v,
            _ => {}
        }
    }
    mode.map(|(mode, origin)| SelinuxConfig {
        mode,
        policy,
        origin,
    })
}

pub fn collect(host: &dyn Host) -> MacFacts {
    let mut f = MacFacts {
        // Something there that cannot be looked at is still a sysfs: judge the running kernel.
        sysfs_visible: !matches!(metadata_optional(host, "/sys/module"), Ok(None)),
        ..MacFacts::default()
    };
    match host.read(APPARMOR_ENABLED) {
        Ok(t) => f.apparmor_enabled = Some(t.text.trim().eq_ignore_ascii_case("y")),
        Err(e) if e.is_not_found() && f.sysfs_visible => f.apparmor_enabled = Some(false),
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            f.unknown.insert(MacGap::ApparmorEnabled, e.to_string());
        }
    }
    if f.apparmor_enabled == Some(true) {
        match host.read(APPARMOR_PROFILES) {
            Ok(t) => f.apparmor_modes = Some(parse_apparmor_profiles(&t.text)),
            Err(e) if e.is_not_found() => {
                f.unknown.insert(
                    MacGap::ApparmorProfiles,
                    format!("{APPARMOR_PROFILES} is not there (securityfs not mounted here)"),
                );
            }
            Err(e) => {
                f.unknown.insert(MacGap::ApparmorProfiles, e.to_string());
            }
        }
    }
    let listing = match read_dir_optional(host, APPARMOR_DIR) {
        Ok(l) => l,
        Err(e) => {
            f.unknown.insert(MacGap::ApparmorProfileDir, e.to_string());
            None
        }
    };
    if let Some(names) = listing {
        let mut dir = AppArmorProfileDir::default();
        for name in names {
            let path = format!("{APPARMOR_DIR}/{name}");
            // Unstatable entries are not counted: that can only lower the count, never pass.
            let is_file = host.metadata(&path).is_ok_and(|m| m.kind == FileKind::File);
            if is_file
                && !name.starts_with('.')
                && !name.ends_with(".dpkg-old")
                && !name.ends_with(".dpkg-dist")
            {
                dir.profiles.push(name);
            }
        }
        // An unreadable disable/ would count disabled profiles as active: not seen, not none.
        let mut sub = |name: &str| match read_dir_optional(host, &format!("{APPARMOR_DIR}/{name}"))
        {
            Ok(l) => l.unwrap_or_default(),
            Err(e) => {
                f.unknown.insert(MacGap::ApparmorProfileDir, e.to_string());
                Vec::new()
            }
        };
        dir.disabled = sub("disable");
        dir.complain = sub("force-complain");
        f.apparmor_profile_dir = Some(dir);
    }
    match host.read(SELINUX_ENFORCE) {
        Ok(t) => f.selinux_enforce = Some(t.text.trim().to_string()),
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            f.unknown.insert(MacGap::SelinuxEnforce, e.to_string());
        }
    }
    match read_optional(host, SELINUX_CONFIG) {
        Ok(Some(t)) => f.selinux_config = parse_selinux_config(SELINUX_CONFIG, &t.text),
        Ok(None) => {}
        Err(e) => {
            f.unknown.insert(MacGap::SelinuxConfig, e.to_string());
        }
    }
    match read_optional(host, LSM_LIST) {
        Ok(Some(t)) => {
            f.lsm = Some(
                t.text
                    .trim()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
        Ok(None) => {}
        // Shown in the details only; recorded so the report says it was not seen.
        Err(e) => {
            f.unknown.insert(MacGap::Lsm, e.to_string());
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/mac/apparmor_profiles"
    ));
    const SELINUX: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/mac/rhel9_selinux_config"
    ));

    #[test]
    fn apparmor_profile_modes() {
        let m = parse_apparmor_profiles(PROFILES);
        assert_eq!(m.get("enforce"), Some(&6));
        assert_eq!(m.get("complain"), Some(&1));
        assert_eq!(m.get("unconfined"), Some(&1));
        assert!(parse_apparmor_profiles("").is_empty());
        assert!(parse_apparmor_profiles("garbage\n/x (enf\u{FFFD}rce)\n/y (\n").is_empty());
        let big = "/usr/bin/x (enforce)\n".repeat(10_000);
        assert_eq!(parse_apparmor_profiles(&big)["enforce"], 10_000);
    }

    #[test]
    fn selinux_config_modes() {
        let c = parse_selinux_config(SELINUX_CONFIG, SELINUX);
        assert_eq!(
            c,
            Some(SelinuxConfig {
                mode: "enforcing".into(),
                policy: "targeted".into(),
                origin: "/etc/selinux/config:22".into()
            })
        );
        assert_eq!(
            parse_selinux_config("/x", "SELINUX=Permissive\n").map(|c| c.mode),
            Some("permissive".into())
        );
        assert_eq!(
            parse_selinux_config("/x", "# SELINUX=enforcing\n\u{FFFD}\n"),
            None
        );
    }
}
