//! Kernel hardening settings: running values from /proc/sys, and the configured values from
//! sysctl.d(5) files in the order the boot applies them.

use super::{drop_in_files, is_masked, origin, wildcard};
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
        let Some(v) = kernel_int(value) else {
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
    /// Kept as strings, not a gap enum: keys are the sysctl names of `RULES` (data, read by
    /// the checks through the same table) and `file:PATH` for any sysctl.d file not read.
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

/// The options systemd-sysctl collects from its files, in the order it keeps them: a key (or
/// glob) assigned again with a different value moves to the end; with the same value it keeps
/// its place (systemd skips such repeats).
#[derive(Debug, Clone, Default)]
pub struct SysctlOptions {
    seq: u64,
    by_key: BTreeMap<String, u64>,
    ordered: BTreeMap<u64, (String, SysctlSetting)>,
}

/// A key that names several settings: systemd-sysctl expands `*`, `?` and `[` with glob(3).
pub fn is_glob(key: &str) -> bool {
    key.contains(['*', '?', '['])
}

/// Whether a glob key matches a key, component by component (glob(3) on the /proc/sys path:
/// `*` does not cross a `/`, which is a `.` in the key). `[...]` classes are not modelled and
/// never match.
pub fn glob_matches(glob: &str, key: &str) -> bool {
    let g: Vec<&str> = glob.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    g.len() == k.len()
        && g.iter()
            .zip(&k)
            .all(|(gp, kp)| !gp.contains('[') && wildcard(gp, kp))
}

impl SysctlOptions {
    /// Adds one file's assignments, in file order.
    pub fn add(&mut self, assignments: Vec<(String, SysctlSetting)>) {
        for (key, setting) in assignments {
            if let Some(at) = self.by_key.get(&key).copied() {
                if self
                    .ordered
                    .get(&at)
                    .is_some_and(|(_, old)| old.value == setting.value)
                {
                    continue;
                }
                self.ordered.remove(&at);
            }
            self.seq += 1;
            self.by_key.insert(key.clone(), self.seq);
            self.ordered.insert(self.seq, (key, setting));
        }
    }

    /// What each watched key ends up as, replaying systemd-sysctl's writes in its order:
    /// an explicit assignment is written where it stands; a glob is written to every matching
    /// key that no explicit assignment names (globs never override one, whichever file comes
    /// later). The kernel's part is modelled too: a value that is not an integer is refused
    /// (the write changes nothing), only the first word of the value counts, and changing
    /// IPv4 forwarding resets `net.ipv4.conf.all.accept_redirects` to its opposite.
    pub fn resolve(&self, keys: &[&str]) -> BTreeMap<String, SysctlSetting> {
        let explicit: std::collections::BTreeSet<&str> = self
            .by_key
            .keys()
            .map(String::as_str)
            .filter(|k| !is_glob(k))
            .collect();
        let mut out = BTreeMap::new();
        for (key, setting) in self.ordered.values() {
            if !is_glob(key) {
                kernel_write(&mut out, keys, key, setting);
                continue;
            }
            for want in keys.iter().copied().chain([IPV4_FORWARDING_ALL]) {
                if !explicit.contains(want) && glob_matches(key, want) {
                    kernel_write(&mut out, keys, want, setting);
                }
            }
        }
        out
    }
}

/// `net.ipv4.conf.all.forwarding` is the same kernel variable as `net.ipv4.ip_forward`.
const IPV4_FORWARDING_ALL: &str = "net.ipv4.conf.all.forwarding";
const IPV4_FORWARD: &str = "net.ipv4.ip_forward";
const IPV4_REDIRECTS_ALL: &str = "net.ipv4.conf.all.accept_redirects";

/// The integer the kernel stores for a written value: the first word, read as the kernel's
/// proc_dointvec does (strtoul base 0: `0x` hex, a leading `0` octal, an optional `-`); None
/// when the kernel would refuse it.
pub fn kernel_int(value: &str) -> Option<i64> {
    let word = value.split_whitespace().next()?;
    let (neg, digits) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let magnitude = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1
        && let Some(oct) = digits.strip_prefix('0')
    {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -magnitude } else { magnitude })
}

fn kernel_default(key: &str) -> Option<i64> {
    RULES
        .iter()
        .find(|r| r.key == key)
        .and_then(|r| r.kernel_default)
        .and_then(kernel_int)
}

/// One write to /proc/sys as the kernel takes it (see [`SysctlOptions::resolve`]).
fn kernel_write(
    out: &mut BTreeMap<String, SysctlSetting>,
    keys: &[&str],
    key: &str,
    setting: &SysctlSetting,
) {
    let Some(v) = kernel_int(&setting.value) else {
        return;
    };
    let key = if key == IPV4_FORWARDING_ALL {
        IPV4_FORWARD
    } else {
        key
    };
    if key == IPV4_FORWARD {
        let before = out
            .get(IPV4_FORWARD)
            .and_then(|s| kernel_int(&s.value))
            .or_else(|| kernel_default(IPV4_FORWARD));
        if before != Some(v) && keys.contains(&IPV4_REDIRECTS_ALL) {
            out.insert(
                IPV4_REDIRECTS_ALL.to_string(),
                SysctlSetting {
                    value: if v == 0 { "1" } else { "0" }.to_string(),
                    origin: format!(
                        "{} (changing IPv4 forwarding makes the kernel reset accept_redirects)",
                        setting.origin
                    ),
                },
            );
        }
    }
    if keys.contains(&key) {
        out.insert(
            key.to_string(),
            SysctlSetting {
                value: v.to_string(),
                origin: setting.origin.clone(),
            },
        );
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
    // systemd-sysctl (what applies them at boot) reads only the sysctl.d directories:
    // /etc/sysctl.conf counts through Debian's /etc/sysctl.d/99-sysctl.conf link, where that
    // link exists. A file masked by a /dev/null link is not read (fsread refuses devices).
    let mut options = SysctlOptions::default();
    let drop_ins = drop_in_files(host, SYSCTL_DIRS, ".conf");
    // A directory that could not be listed may hold any setting: keyed as a file not read.
    for (dir, e) in drop_ins.unlisted {
        f.unknown.insert(format!("file:{dir}"), e.to_string());
    }
    for path in drop_ins.files {
        match host.read(&path) {
            Ok(t) => {
                options.add(parse_sysctl_conf(&path, &t.text));
                f.files.push(path);
            }
            Err(e) if e.is_not_found() => {}
            Err(e) if is_masked(host, &path) => {
                let _ = e;
            }
            Err(e) => {
                f.unknown.insert(format!("file:{path}"), e.to_string());
            }
        }
    }
    f.configured = options.resolve(&keys);
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
        let mut o = SysctlOptions::default();
        o.add(parse_sysctl_conf(
            "/usr/lib/sysctl.d/50-pid-max.conf",
            &fixture("debian12_50-pid-max.conf"),
        ));
        o.add(parse_sysctl_conf(
            "/usr/lib/sysctl.d/99-protect-links.conf",
            &fixture("debian12_99-protect-links.conf"),
        ));
        o.add(parse_sysctl_conf(
            "/etc/sysctl.d/99-sysctl.conf",
            &fixture("debian12_sysctl.conf"),
        ));
        let c = o.resolve(&keys);
        // Debian's /etc/sysctl.conf is all comments; protect-links sets the two fs keys.
        assert_eq!(c.len(), 2);
        assert_eq!(c["fs.protected_symlinks"].value, "1");
        assert_eq!(
            c["fs.protected_symlinks"].origin,
            "/usr/lib/sysctl.d/99-protect-links.conf:10"
        );
    }

    #[test]
    fn explicit_keys_beat_globs_and_later_files_win() {
        let keys = [
            "net.ipv4.conf.all.rp_filter",
            "net.ipv4.ip_forward",
            "net.ipv4.conf.all.accept_redirects",
            "net.ipv4.conf.all.send_redirects",
        ];
        let mut o = SysctlOptions::default();
        o.add(parse_sysctl_conf(
            "/a",
            "net.ipv4.conf.all.rp_filter = 1\n-net/ipv4/ip_forward=0\nnet.ipv4.conf.*.send_redirects = 0\n",
        ));
        o.add(parse_sysctl_conf(
            "/b",
            "net.ipv4.conf.*.rp_filter = 2\n; net.ipv4.ip_forward = 0\nnet.*.accept_redirects = 1\nnet.ipv4.conf.al?.send_redirects=1\n",
        ));
        o.add(parse_sysctl_conf(
            "/c",
            "net.ipv4.conf.*.send_redirects = 0\n",
        ));
        let c = o.resolve(&keys);
        // systemd-sysctl: a glob never overrides a key assigned by name, in any file.
        assert_eq!(c["net.ipv4.conf.all.rp_filter"].value, "1");
        assert_eq!(c["net.ipv4.ip_forward"].origin, "/a:2");
        // `*` stays within one component, as glob(3) on /proc/sys paths.
        assert!(!c.contains_key("net.ipv4.conf.all.accept_redirects"));
        // The same glob with the same value keeps its first place; the later glob wins.
        assert_eq!(c["net.ipv4.conf.all.send_redirects"].value, "1");
        assert_eq!(c["net.ipv4.conf.all.send_redirects"].origin, "/b:4");
        // An explicit key assigned again with a new value: the later one.
        o.add(parse_sysctl_conf("/d", "net.ipv4.conf.all.rp_filter = 0\n"));
        assert_eq!(o.resolve(&keys)["net.ipv4.conf.all.rp_filter"].value, "0");
        assert!(glob_matches(
            "net.ipv4.conf.*.rp_filter",
            "net.ipv4.conf.all.rp_filter"
        ));
        assert!(!glob_matches(
            "net.ipv4.conf.[a]ll.rp_filter",
            "net.ipv4.conf.all.rp_filter"
        ));
        assert!(is_glob("a.[b].c") && !is_glob("a.b.c"));
    }

    #[test]
    fn kernel_side_of_writes() {
        let keys = [
            "net.ipv4.ip_forward",
            "net.ipv4.conf.all.accept_redirects",
            "net.ipv4.tcp_syncookies",
        ];
        let resolve = |text: &str| {
            let mut o = SysctlOptions::default();
            o.add(parse_sysctl_conf("/e", text));
            o.resolve(&keys)
        };
        // Turning forwarding on makes the kernel set accept_redirects to 0 ...
        let c = resolve("net.ipv4.ip_forward = 1\n");
        assert_eq!(c["net.ipv4.conf.all.accept_redirects"].value, "0");
        assert!(
            c["net.ipv4.conf.all.accept_redirects"]
                .origin
                .starts_with("/e:1 (")
        );
        // ... and off again sets it back to 1, over an explicit 0 written before.
        let c = resolve(
            "net.ipv4.conf.all.accept_redirects = 0\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 0\n",
        );
        assert_eq!(c["net.ipv4.conf.all.accept_redirects"].value, "1");
        assert_eq!(c["net.ipv4.ip_forward"].value, "0");
        // Writing the value it already has changes nothing.
        let c = resolve("net.ipv4.conf.all.accept_redirects = 0\nnet.ipv4.ip_forward = 0\n");
        assert_eq!(c["net.ipv4.conf.all.accept_redirects"].value, "0");
        // Only the first word counts; a value that is not a number is refused.
        let c = resolve("net.ipv4.tcp_syncookies = 0 # off\nnet.ipv4.ip_forward = yes\n");
        assert_eq!(c["net.ipv4.tcp_syncookies"].value, "0");
        assert!(!c.contains_key("net.ipv4.ip_forward"));
        assert_eq!(kernel_int(" 2\n"), Some(2));
        assert_eq!(kernel_int("1abc"), None);
        assert_eq!(kernel_int("0x10"), Some(16));
        assert_eq!(kernel_int("010"), Some(8));
        assert_eq!(kernel_int("-1"), Some(-1));
        assert_eq!(kernel_int("+1"), None);
        assert_eq!(kernel_int("08"), None);
        assert_eq!(kernel_int("0x"), None);
        assert!(Expect::Eq(0).accepts("0 # off"));
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
