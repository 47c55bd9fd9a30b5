//! USB mass storage: modprobe.d rules for usb-storage (and uas), and whether the module is
//! loaded or built in.

use super::{drop_in_files, origin};
use crate::host::{Host, HostError, metadata_optional};
use crate::inspect::Unseen;
use crate::inspect::gap::UsbStorageGap;
use serde::{Deserialize, Serialize};

/// modprobe.d(5) directories, highest precedence first (a file name in an earlier directory
/// hides the same name in later ones).
pub const MODPROBE_DIRS: &[&str] = &[
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/lib/modprobe.d",
    "/usr/lib/modprobe.d",
];

/// Modules the check looks at (module names use `_`; modprobe treats `-` the same).
pub const WATCHED_MODULES: &[&str] = &["usb_storage", "uas"];

/// A `blacklist` or `install` line for a watched module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModprobeRule {
    /// Module name with `-` folded to `_`.
    pub module: String,
    /// blacklist | install
    pub kind: String,
    /// The command of an `install` rule.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    pub origin: String,
}

/// What running an `install` command does instead of loading the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallEffect {
    /// The command loads nothing (`/bin/false`, `/bin/true`, `/bin/echo ...`).
    Blocks,
    /// The command loads a module itself (`modprobe --ignore-install ...`, `insmod`).
    Loads,
    /// A program stationward cannot see into (a vendor script).
    Unknown,
}

impl ModprobeRule {
    /// What this `install` rule's command does; None for a `blacklist` rule.
    pub fn install_effect(&self) -> Option<InstallEffect> {
        if self.kind != "install" {
            return None;
        }
        let words: Vec<&str> = self.command.split_whitespace().collect();
        let loads = words.iter().any(|w| {
            let base = w.rsplit('/').next().unwrap_or_default();
            matches!(base, "modprobe" | "insmod") || base.ends_with("modprobe")
        });
        if loads {
            return Some(InstallEffect::Loads);
        }
        Some(if runs_only_noops(&self.command, 0) {
            InstallEffect::Blocks
        } else {
            InstallEffect::Unknown
        })
    }

    /// An `install` rule whose command refuses to load anything (`/bin/false`, `/bin/true`,
    /// `/bin/echo`, ...).
    pub fn blocks_loading(&self) -> bool {
        self.install_effect() == Some(InstallEffect::Blocks)
    }
}

/// Whether a command (kmod runs it with `sh -c`) only runs programs that load nothing:
/// `/bin/false`, `/bin/true`, `echo`, `logger`..., directly or in a `sh -c '...'` script.
fn runs_only_noops(command: &str, depth: usize) -> bool {
    const NOOPS: &[&str] = &[
        "false", "true", "nologin", "echo", "printf", "logger", "exit", ":",
    ];
    const SHELLS: &[&str] = &["sh", "bash", "dash"];
    let command = command.trim();
    let first = command.split_whitespace().next().unwrap_or_default();
    let base = first.rsplit('/').next().unwrap_or_default();
    if SHELLS.contains(&base) {
        // `sh -c 'SCRIPT'`: the script decides; any other use of a shell runs a file.
        return depth < 3
            && command.split_once(" -c ").is_some_and(|(_, script)| {
                let script = script.trim();
                let inner = script
                    .strip_prefix('\'')
                    .and_then(|x| x.strip_suffix('\''))
                    .or_else(|| script.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
                    .unwrap_or(script);
                runs_only_noops(inner, depth + 1)
            });
    }
    let commands: Vec<&str> = command
        .split([';', '|', '&', '\n'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    !commands.is_empty()
        && commands.iter().all(|c| {
            let first = c.split_whitespace().next().unwrap_or_default();
            NOOPS.contains(&first.rsplit('/').next().unwrap_or_default())
        })
}

/// The `install` rule kmod runs for `module`: the FIRST one in configuration order (files
/// sorted by name across the modprobe.d directories; later ones are ignored).
pub fn effective_install<'a>(rules: &'a [ModprobeRule], module: &str) -> Option<&'a ModprobeRule> {
    rules
        .iter()
        .find(|r| r.kind == "install" && r.module == module)
}

/// State of a kernel module as sysfs shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleState {
    NotLoaded,
    Loaded,
    /// Compiled into the kernel: modprobe rules cannot stop it.
    BuiltIn,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbStorageFacts {
    pub rules: Vec<ModprobeRule>,
    /// modprobe.d files read, in precedence order.
    pub files: Vec<String>,
    /// usb_storage in sysfs; `None` when /sys/module is not visible (offline tree).
    pub usb_storage: Option<ModuleState>,
    pub uas: Option<ModuleState>,
    /// /proc/sys/kernel/modules_disabled = 1: no module can be loaded until reboot.
    pub modules_disabled: Option<bool>,
    pub unknown: Unseen<UsbStorageGap>,
}

/// Normalises a module name as modprobe does.
pub fn module_name(s: &str) -> String {
    s.replace('-', "_")
}

/// `blacklist` and `install` rules for the watched modules in one modprobe.d file (lines may
/// continue with a trailing backslash).
pub fn parse_modprobe(path: &str, text: &str) -> Vec<ModprobeRule> {
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if joined.is_empty() {
            start = i + 1;
        }
        if let Some(body) = raw.strip_suffix('\\') {
            joined.push_str(body);
            joined.push(' ');
            continue;
        }
        joined.push_str(raw);
        let line = std::mem::take(&mut joined);
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(kind), Some(module)) = (words.next(), words.next()) else {
            continue;
        };
        let module = module_name(module);
        if !WATCHED_MODULES.contains(&module.as_str()) || !matches!(kind, "blacklist" | "install") {
            continue;
        }
        let command = words.collect::<Vec<_>>().join(" ");
        // kmod ignores an `install` line without a command.
        if kind == "install" && command.is_empty() {
            continue;
        }
        out.push(ModprobeRule {
            module,
            kind: kind.to_string(),
            command,
            origin: origin(path, start),
        });
    }
    out
}

/// Whether a module is loaded, built in or absent; a /sys/module entry that exists and
/// cannot be examined is an error, not "not loaded".
fn module_state(host: &dyn Host, name: &str) -> Result<ModuleState, HostError> {
    let dir = format!("/sys/module/{name}");
    if metadata_optional(host, &dir)?.is_none() {
        return Ok(ModuleState::NotLoaded);
    }
    // Loadable modules have `initstate`; built-in ones with parameters only have `parameters`.
    Ok(
        if metadata_optional(host, &format!("{dir}/initstate"))?.is_some() {
            ModuleState::Loaded
        } else {
            ModuleState::BuiltIn
        },
    )
}

pub fn collect(host: &dyn Host) -> UsbStorageFacts {
    let drop_ins = drop_in_files(host, MODPROBE_DIRS, ".conf");
    let mut f = UsbStorageFacts {
        files: drop_ins.files,
        ..UsbStorageFacts::default()
    };
    // A directory that could not be listed may hold the rule that decides.
    for (dir, e) in drop_ins.unlisted {
        f.unknown
            .insert(UsbStorageGap::Modprobe(dir), e.to_string());
    }
    for path in f.files.clone() {
        match host.read(&path) {
            Ok(t) => f.rules.extend(parse_modprobe(&path, &t.text)),
            // A link to /dev/null masks the same name in later directories: nothing to read.
            Err(_) if host.read_link(&path).is_ok_and(|t| t == "/dev/null") => {}
            Err(e) => {
                f.unknown
                    .insert(UsbStorageGap::Modprobe(path.clone()), e.to_string());
            }
        }
    }
    if let Ok(t) = host.read("/proc/sys/kernel/modules_disabled") {
        f.modules_disabled = Some(t.text.trim() == "1");
    }
    if host.metadata("/sys/module").is_ok() {
        match (module_state(host, "usb_storage"), module_state(host, "uas")) {
            (Ok(usb), Ok(uas)) => {
                f.usb_storage = Some(usb);
                f.uas = Some(uas);
            }
            (Err(e), _) | (_, Err(e)) => {
                f.unknown.insert(UsbStorageGap::Loaded, e.to_string());
            }
        }
    } else {
        f.unknown.insert(
            UsbStorageGap::Loaded,
            "/sys/module is not visible (offline image)".into(),
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/supporting/modprobe/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn debian_default_has_no_usb_rules() {
        assert!(
            parse_modprobe(
                "/lib/modprobe.d/systemd.conf",
                &fixture("debian12_lib_systemd.conf")
            )
            .is_empty()
        );
    }

    #[test]
    fn cis_style_rules() {
        let r = parse_modprobe(
            "/etc/modprobe.d/usb-storage.conf",
            &fixture("cis_usb-storage.conf"),
        );
        assert_eq!(r.len(), 4, "{r:?}");
        assert_eq!(
            (r[0].kind.as_str(), r[0].module.as_str()),
            ("install", "usb_storage")
        );
        assert!(r[0].blocks_loading());
        assert_eq!(r[0].origin, "/etc/modprobe.d/usb-storage.conf:2");
        assert!(!r[1].blocks_loading()); // blacklist
        // A continued install line that runs a real command does not block loading.
        assert_eq!(r[3].module, "uas");
        assert_eq!(r[3].origin, "/etc/modprobe.d/usb-storage.conf:5");
        assert!(!r[3].blocks_loading());
    }

    #[test]
    fn install_effects_and_first_line() {
        let r = parse_modprobe(
            "/etc/modprobe.d/x.conf",
            "install usb-storage\ninstall usb-storage /bin/echo no USB storage\ninstall usb_storage /bin/true\ninstall uas /sbin/modprobe --ignore-install uas\ninstall usb-storage /usr/bin/logger -t usb blocked\ninstall usb-storage /opt/x.sh\n",
        );
        assert_eq!(
            r.len(),
            5,
            "an install line without a command is ignored: {r:?}"
        );
        assert_eq!(r[0].install_effect(), Some(InstallEffect::Blocks));
        assert!(r[0].blocks_loading(), "/bin/echo loads nothing");
        assert_eq!(r[2].install_effect(), Some(InstallEffect::Loads));
        assert_eq!(r[3].install_effect(), Some(InstallEffect::Blocks));
        assert_eq!(r[4].install_effect(), Some(InstallEffect::Unknown));
        let sh = parse_modprobe(
            "/x",
            "install usb-storage /bin/sh -c 'logger usb blocked; true'\ninstall uas /bin/sh -c '/opt/x; true'\n",
        );
        assert_eq!(sh[0].install_effect(), Some(InstallEffect::Blocks));
        assert_eq!(sh[1].install_effect(), Some(InstallEffect::Unknown));
        assert_eq!(
            effective_install(&r, "usb_storage").map(|x| x.origin.as_str()),
            Some("/etc/modprobe.d/x.conf:2")
        );
        assert_eq!(
            effective_install(&r, "uas").map(super::ModprobeRule::install_effect),
            Some(Some(InstallEffect::Loads))
        );
        let bl = parse_modprobe("/x", "blacklist usb-storage\n");
        assert_eq!(bl[0].install_effect(), None);
    }

    #[test]
    fn hostile_modprobe() {
        assert!(parse_modprobe("/x", "").is_empty());
        assert!(parse_modprobe("/x", "blacklist\ninstall\n\u{FFFD} usb-storage\n\\").is_empty());
        let big = "blacklist usb-storage\n".repeat(10_000);
        assert_eq!(parse_modprobe("/x", &big).len(), 10_000);
    }
}
