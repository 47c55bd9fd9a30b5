//! Kernel hardening settings: running values from /proc/sys, and the configured values from
//! sysctl.d(5) files in the order the boot applies them.

use super::{drop_in_files, origin, wildcard};
use crate::host::Host;
use crate::inspect::Unseen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// sysctl.d(5) directories, highest precedence first for same-named files.
pub const SYSCTL_DIRS: &[&str] = &[
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];
/// Read last by `sysctl --system` (and linked as /etc/sysctl.d/99-sysctl.conf on Debian).
pub const SYSCTL_CONF: &str = "/etc/sysctl.conf";

/// What a setting must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Eq(i64),
    AtLeast(i64),
    OneOf(&'static [i64]),
}

impl Expect {
    pub fn accepts(self, value: &str) -> bool {
        let Ok(v) = value.trim().parse::<i64>() else {
            return false;
        };
        match self {
            Expect::Eq(want) => v == want,
            Expect::AtLeast(min) => v >= min,
            Expect::OneOf(set) => set.contains(&v),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Expect::Eq(v) => format!("{v}"),
            Expect::AtLeast(v) => format!(">= {v}"),
            Expect::OneOf(set) => set
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

/// One expected setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysctlRule {
    pub key: &'static str,
    pub expect: Expect,
    /// Upstream kernel default, assumed offline when nothing configures the key.
    pub kernel_default: Option<&'static str>,
    /// A deviation fails the check (others warn).
    pub critical: bool,
    /// Routing settings: not expected on a host the policy marks as a router.
    pub routing: bool,
    /// Only present with some kernel options (Yama): absence is not a deviation.
    pub optional: bool,
}

const fn rule(
    key: &'static str,
    expect: Expect,
    kernel_default: Option<&'static str>,
) -> SysctlRule {
    SysctlRule {
        key,
        expect,
        kernel_default,
        critical: false,
        routing: false,
        optional: false,
    }
}

pub const RULES: &[SysctlRule] = &[
    SysctlRule {
        critical: true,
        ..rule("kernel.randomize_va_space", Expect::Eq(2), Some("2"))
    },
    SysctlRule {
        critical: true,
        routing: true,
        ..rule("net.ipv4.ip_forward", Expect::Eq(0), Some("0"))
    },
    SysctlRule {
        critical: true,
        routing: true,
        ..rule("net.ipv6.conf.all.forwarding", Expect::Eq(0), Some("0"))
    },
    rule(
        "net.ipv4.conf.all.accept_redirects",
        Expect::Eq(0),
        Some("1"),
    ),
    rule(
        "net.ipv6.conf.all.accept_redirects",
        Expect::Eq(0),
        Some("1"),
    ),
    rule("net.ipv4.conf.all.send_redirects", Expect::Eq(0), Some("1")),
    rule(
        "net.ipv4.conf.all.accept_source_route",
        Expect::Eq(0),
        Some("0"),
    ),
    rule("net.ipv4.tcp_syncookies", Expect::Eq(1), Some("1")),
    rule("kernel.kptr_restrict", Expect::AtLeast(1), Some("0")),
    rule("kernel.dmesg_restrict", Expect::Eq(1), None),
    rule("fs.protected_hardlinks", Expect::Eq(1), Some("0")),
    rule("fs.protected_symlinks", Expect::Eq(1), Some("0")),
    rule(
        "net.ipv4.conf.all.rp_filter",
        Expect::OneOf(&[1, 2]),
        Some("0"),
    ),
    SysctlRule {
        optional: true,
        ..rule("kernel.yama.ptrace_scope", Expect::AtLeast(1), None)
    },
];

/// A configured value and the file line that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SysctlSetting {
    pub value: String,
    pub origin: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SysctlFacts {
    /// Whether /proc/sys could be seen (live host, or a captured tree that includes it).
    pub proc_visible: bool,
    /// Running values of the watched keys (absent: the kernel has no such setting).
    pub running: BTreeMap<String, String>,
    /// Configured values of the watched keys, after all files are applied in order.
    pub configured: BTreeMap<String, SysctlSetting>,
    /// Files applied, in order.
    pub files: Vec<String>,
    pub unknown: Unseen,
}

/// Normalises a key: `/` separators become `.` (sysctl.d(5) accepts either).
pub fn normalize_key(key: &str) -> String {
    if key.contains('/') {
        key.replace('/', ".")
    } else {
        key.to_string()
    }
}

/// `key = value` assignments of one sysctl.d file (a leading `-` means "ignore errors"; glob
/// keys are kept as written; `!key` exclusions are skipped).
pub fn parse_sysctl_conf(path: &str, text: &str) -> Vec<(String, SysctlSetting)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(';')
            || line.starts_with('!')
        {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_start_matches('-').trim();
        if k.is_empty() {
            continue;
        }
        out.push((
            normalize_key(k),
            SysctlSetting {
                value: v.trim().to_string(),
                origin: origin(path, i + 1),
            },
        ));
    }
    out
}

/// Applies assignments in order to the watched `keys`: later ones win; glob keys apply to every
/// watched key they match.
pub fn apply(
    configured: &mut BTreeMap<String, SysctlSetting>,
    keys: &[&str],
    assignments: Vec<(String, SysctlSetting)>,
) {
    for (k, setting) in assignments {
        for want in keys {
            if k == *want || (k.contains('*') && wildcard(&k, want)) {
                configured.insert((*want).to_string(), setting.clone());
            }
        }
    }
}

pub fn proc_path(key: &str) -> String {
    format!("/proc/sys/{}", key.replace('.', "/"))
}

pub fn collect(host: &dyn Host) -> SysctlFacts {
    let keys: Vec<&str> = RULES.iter().map(|r| r.key).collect();
    let mut f = SysctlFacts {
        proc_visible: host.metadata("/proc/sys/kernel").is_ok(),
        ..SysctlFacts::default()
    };
    if f.proc_visible {
        for key in &keys {
            match host.read(&proc_path(key)) {
                Ok(t) => {
                    f.running
                        .insert((*key).to_string(), t.text.trim().to_string());
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    f.unknown.insert((*key).to_string(), e.to_string());
                }
            }
        }
    }
    let mut files = drop_in_files(host, SYSCTL_DIRS, ".conf");
    files.push(SYSCTL_CONF.to_string());
    for path in files {
        if let Ok(t) = host.read(&path) {
            apply(&mut f.configured, &keys, parse_sysctl_conf(&path, &t.text));
            f.files.push(path);
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/supporting/sysctl/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn debian_defaults_in_order() {
        let keys: Vec<&str> = RULES.iter().map(|r| r.key).collect();
        let mut c = BTreeMap::new();
        apply(
            &mut c,
            &keys,
            parse_sysctl_conf(
                "/usr/lib/sysctl.d/50-pid-max.conf",
                &fixture("debian12_50-pid-max.conf"),
            ),
        );
        apply(
            &mut c,
            &keys,
            parse_sysctl_conf(
                "/usr/lib/sysctl.d/99-protect-links.conf",
                &fixture("debian12_99-protect-links.conf"),
            ),
        );
        apply(
            &mut c,
            &keys,
            parse_sysctl_conf(SYSCTL_CONF, &fixture("debian12_sysctl.conf")),
        );
        // Debian's /etc/sysctl.conf is all comments; protect-links sets the two fs keys.
        assert_eq!(c.len(), 2);
        assert_eq!(c["fs.protected_symlinks"].value, "1");
        assert_eq!(
            c["fs.protected_symlinks"].origin,
            "/usr/lib/sysctl.d/99-protect-links.conf:10"
        );
    }

    #[test]
    fn later_files_and_globs_override() {
        let keys = ["net.ipv4.conf.all.rp_filter", "net.ipv4.ip_forward"];
        let mut c = BTreeMap::new();
        apply(
            &mut c,
            &keys,
            parse_sysctl_conf(
                "/a",
                "net.ipv4.conf.all.rp_filter = 1\n-net/ipv4/ip_forward=1\n",
            ),
        );
        apply(
            &mut c,
            &keys,
            parse_sysctl_conf(
                "/b",
                "net.ipv4.conf.*.rp_filter = 2\n; net.ipv4.ip_forward = 0\n",
            ),
        );
        assert_eq!(c["net.ipv4.conf.all.rp_filter"].value, "2");
        assert_eq!(c["net.ipv4.ip_forward"].origin, "/a:2");
    }

    #[test]
    fn expectations() {
        assert!(Expect::Eq(2).accepts("2\n"));
        assert!(!Expect::Eq(2).accepts("1"));
        assert!(!Expect::Eq(0).accepts("\u{FFFD}"));
        assert!(Expect::AtLeast(1).accepts("2"));
        assert!(Expect::OneOf(&[1, 2]).accepts("2"));
        assert_eq!(Expect::OneOf(&[1, 2]).describe(), "1 or 2");
        assert_eq!(
            proc_path("kernel.yama.ptrace_scope"),
            "/proc/sys/kernel/yama/ptrace_scope"
        );
    }

    #[test]
    fn hostile_sysctl() {
        assert!(parse_sysctl_conf("/x", "").is_empty());
        assert!(parse_sysctl_conf("/x", "=1\nnovalue\n# a = b\n").is_empty());
        assert_eq!(
            parse_sysctl_conf("/x", &"kernel.x = 1\n".repeat(10_000)).len(),
            10_000
        );
    }
}
