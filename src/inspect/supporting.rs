//! Supporting facts: SSH, remote-access tools, malware protection, mandatory access control,
//! audit and remote logging, time sync, USB storage, disk encryption and kernel sysctls.
//!
//! One submodule per topic, each with pure parsers and a `collect` that reads through `Host`.
//! Checks combine these with the shared package, process and service facts.

pub mod logging;
pub mod mac;
pub mod malware;
pub mod media;
pub mod products;
pub mod remote;
pub mod ssh;
pub mod storage;
pub mod sysctl;
pub mod time;

use crate::host::{Host, HostError};
use crate::inspect::Unseen;
use crate::inspect::gap::SupportingGap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SupportingFacts {
    pub ssh: ssh::SshFacts,
    pub remote_tools: remote::RemoteToolFacts,
    pub malware: malware::MalwareFacts,
    pub mac: mac::MacFacts,
    pub audit: logging::AuditFacts,
    pub remote_logging: logging::RemoteLogFacts,
    pub time: time::TimeFacts,
    pub usb_storage: media::UsbStorageFacts,
    pub storage: storage::StorageFacts,
    pub sysctl: sysctl::SysctlFacts,
    /// Kernel command line (running kernel) and the one configured in /etc/default/grub.
    pub boot: BootParams,
    pub unknown: Unseen<SupportingGap>,
}

/// Kernel parameters as booted (`/proc/cmdline`) and as configured for the next boot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootParams {
    /// Parameters of the running kernel; `None` when /proc/cmdline could not be read.
    pub running: Option<Vec<String>>,
    /// Parameters from GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT, with their origin.
    pub configured: Vec<BootParam>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootParam {
    pub param: String,
    /// `file:line`
    pub origin: String,
}

impl BootParams {
    /// Every parameter named `key` (`key=value` or bare `key`), running first, with its origin.
    pub fn find(&self, key: &str) -> Vec<(String, String)> {
        let matches = |p: &str| p == key || p.split_once('=').is_some_and(|(k, _)| k == key);
        let mut out = Vec::new();
        for p in self.running.iter().flatten().filter(|p| matches(p)) {
            out.push((p.clone(), "/proc/cmdline".to_string()));
        }
        for p in self.configured.iter().filter(|p| matches(&p.param)) {
            out.push((p.param.clone(), p.origin.clone()));
        }
        out
    }
}

pub fn collect(host: &dyn Host) -> SupportingFacts {
    collect_with(host, &ssh::SshdUnits::scan(host))
}

/// As [`collect`], with the units that may start sshd already found by the scan of the unit
/// directories (see [`ssh::SshdUnits`]).
pub fn collect_with(host: &dyn Host, sshd_units: &ssh::SshdUnits) -> SupportingFacts {
    let mut unknown = Unseen::new();
    let boot = collect_boot(host, &mut unknown);
    SupportingFacts {
        ssh: ssh::collect_with(host, sshd_units),
        remote_tools: remote::collect(host),
        malware: malware::collect(host),
        mac: mac::collect(host),
        audit: logging::collect_audit(host),
        remote_logging: logging::collect_remote(host),
        time: time::collect(host),
        usb_storage: media::collect(host),
        storage: storage::collect(host),
        sysctl: sysctl::collect(host),
        boot,
        unknown,
    }
}

/// Unreadable GRUB configuration goes to `unknown["boot_config"]`: a file not read could hold
/// the `selinux=0` or `apparmor=0` that switches access control off at the next boot.
fn collect_boot(host: &dyn Host, unknown: &mut Unseen<SupportingGap>) -> BootParams {
    let mut boot = BootParams::default();
    if crate::inspect::is_live(host) {
        // Why not an error: `running` is None when unreadable, and readers take None as
        // "not known" (the mac check then judges from sysfs, not from the command line).
        boot.running = host
            .read("/proc/cmdline")
            .ok()
            .map(|f| parse_cmdline(&f.text));
    }
    // grub-mkconfig sources /etc/default/grub, then every /etc/default/grub.d/*.cfg in glob
    // (name) order: a later file can add to or replace the command line.
    let mut files: Vec<(String, String)> = Vec::new();
    let mut unread = Vec::new();
    match crate::host::read_optional(host, "/etc/default/grub") {
        Ok(Some(f)) => files.push(("/etc/default/grub".to_string(), f.text)),
        Ok(None) => {}
        Err(e) => unread.push(e.to_string()),
    }
    let mut cfgs = match dir_files(host, "/etc/default/grub.d", ".cfg") {
        Ok(c) => c,
        Err(e) => {
            unread.push(e.to_string());
            Vec::new()
        }
    };
    cfgs.sort();
    for path in cfgs {
        match crate::host::read_optional(host, &path) {
            Ok(Some(f)) => files.push((path, f.text)),
            Ok(None) => {}
            Err(e) => unread.push(e.to_string()),
        }
    }
    if !unread.is_empty() {
        unknown.insert(SupportingGap::BootConfig, unread.join("; "));
    }
    boot.configured = grub_cmdline(&files);
    boot
}

/// Splits a kernel command line into parameters (double quotes group, as the kernel does).
pub fn parse_cmdline(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Everything after a bare `--` goes to init, not the kernel.
    if let Some(i) = out.iter().position(|p| p == "--") {
        out.truncate(i);
    }
    out
}

/// Kernel parameters from /etc/default/grub's GRUB_CMDLINE_LINUX(_DEFAULT) assignments.
pub fn parse_default_grub(path: &str, text: &str) -> Vec<BootParam> {
    grub_cmdline(&[(path.to_string(), text.to_string())])
}

/// The kernel parameters grub-mkconfig puts on a normal boot entry
/// (`$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT`) after sourcing `files` in order, as sh
/// does for simple assignments: a later assignment replaces the value, `"$VAR ..."` and
/// `${VAR}` expand earlier values (keeping where each parameter came from), single quotes are
/// literal, `export` is allowed, unset variables are empty. Other shell constructs are skipped.
pub fn grub_cmdline(files: &[(String, String)]) -> Vec<BootParam> {
    let mut vars: std::collections::BTreeMap<String, Vec<BootParam>> =
        std::collections::BTreeMap::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            if line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || name.starts_with(|c: char| c.is_ascii_digit())
            {
                continue;
            }
            let at = format!("{path}:{}", i + 1);
            let params = shell_value(value, &vars, &at);
            vars.insert(name.to_string(), params);
        }
    }
    let mut out = vars.remove("GRUB_CMDLINE_LINUX").unwrap_or_default();
    out.extend(
        vars.remove("GRUB_CMDLINE_LINUX_DEFAULT")
            .unwrap_or_default(),
    );
    out
}

/// The words of one shell assignment value; a trailing comment ends it.
fn shell_value(
    value: &str,
    vars: &std::collections::BTreeMap<String, Vec<BootParam>>,
    at: &str,
) -> Vec<BootParam> {
    let mut out: Vec<BootParam> = Vec::new();
    let mut word = String::new();
    let push = |out: &mut Vec<BootParam>, word: &mut String| {
        for w in word.split_whitespace() {
            out.push(BootParam {
                param: w.to_string(),
                origin: at.to_string(),
            });
        }
        word.clear();
    };
    let mut chars = value.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (None, c) if c.is_whitespace() => break, // `A=x cmd`: only x is the value
            (_, '$') => {
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if braced && chars.peek() == Some(&'}') {
                    chars.next();
                }
                push(&mut out, &mut word);
                out.extend(vars.get(&name).cloned().unwrap_or_default());
            }
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (_, c) => word.push(c),
        }
    }
    push(&mut out, &mut word);
    out
}

/// `path:line`, the way details name where a setting came from.
pub fn origin(path: &str, line: usize) -> String {
    format!("{path}:{line}")
}

/// Shell-style wildcard match with `*` and `?` (no character classes).
pub use crate::glob::wildcard;

/// Files of `dir` whose names end with `suffix`, as full paths sorted by name. An absent
/// directory has none; one that exists and cannot be listed is an error, never "empty".
pub fn dir_files(host: &dyn Host, dir: &str, suffix: &str) -> Result<Vec<String>, HostError> {
    Ok(crate::host::read_dir_optional(host, dir)?
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.ends_with(suffix) && !n.starts_with('.'))
        .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
        .collect())
}

/// Expands a path whose last component may hold `*`/`?` into existing paths, sorted. A
/// directory that exists and cannot be listed is an error, never "no match".
pub fn expand_glob(host: &dyn Host, pattern: &str) -> Result<Vec<String>, HostError> {
    let (dir, name) = match pattern.rsplit_once('/') {
        Some(("", n)) => ("/", n),
        Some((d, n)) => (d, n),
        None => return Ok(Vec::new()),
    };
    if !name.contains(['*', '?']) {
        return Ok(vec![pattern.to_string()]);
    }
    Ok(crate::host::read_dir_optional(host, dir)?
        .unwrap_or_default()
        .into_iter()
        .filter(|n| (name.starts_with('.') || !n.starts_with('.')) && wildcard(name, n))
        .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
        .collect())
}

/// A drop-in masked with a link to /dev/null (systemd's convention, kept by sysctl.d,
/// modprobe.d and the `*.conf.d` directories): not read, and not a read that failed.
pub fn is_masked(host: &dyn Host, path: &str) -> bool {
    host.read_link(path).is_ok_and(|t| t == "/dev/null")
}

/// What [`drop_in_files`] found: the files, and the directories that exist and could not be
/// listed (any of which may hold a file that overrides the rest).
#[derive(Debug, Default)]
pub struct DropIns {
    pub files: Vec<String>,
    pub unlisted: Vec<(String, HostError)>,
}

/// Configuration files from drop-in directories in precedence order (earlier directory wins
/// for the same file name, as systemd, kmod and sysctl do), then sorted by file name.
pub fn drop_in_files(host: &dyn Host, dirs: &[&str], suffix: &str) -> DropIns {
    let mut by_name: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut unlisted = Vec::new();
    for dir in dirs {
        match dir_files(host, dir, suffix) {
            Ok(paths) => {
                for path in paths {
                    let name = path.rsplit('/').next().unwrap_or_default().to_string();
                    by_name.entry(name).or_insert(path);
                }
            }
            Err(e) => unlisted.push(((*dir).to_string(), e)),
        }
    }
    DropIns {
        files: by_name.into_values().collect(),
        unlisted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_splits_quotes_and_stops_at_init_args() {
        let real = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/supporting/boot/firecracker_cmdline"
        ));
        let p = parse_cmdline(real);
        assert!(p.contains(&"nomodule".to_string()));
        assert!(!p.iter().any(|x| x == "--firecracker-init"));
        assert_eq!(parse_cmdline("a=\"b c\" d\n"), vec!["a=b c", "d"]);
        assert!(parse_cmdline("").is_empty());
    }

    #[test]
    fn grub_d_is_sourced_after_default_grub() {
        let files = vec![
            (
                "/etc/default/grub".to_string(),
                "GRUB_CMDLINE_LINUX=\"module_blacklist=usb_storage\"\nGRUB_CMDLINE_LINUX_DEFAULT='quiet'\n".to_string(),
            ),
            (
                "/etc/default/grub.d/50-cloud.cfg".to_string(),
                "# vendor image\nGRUB_CMDLINE_LINUX=\"console=ttyS0\"\n".to_string(),
            ),
        ];
        let p = grub_cmdline(&files);
        assert!(
            !p.iter().any(|x| x.param.starts_with("module_blacklist")),
            "a later grub.d file replaced the value: {p:?}"
        );
        let appended = vec![
            files[0].clone(),
            (
                "/etc/default/grub.d/60-x.cfg".to_string(),
                "export GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} usbcore.authorized_default=0\" # site\n"
                    .to_string(),
            ),
        ];
        let p = grub_cmdline(&appended);
        let names: Vec<(&str, &str)> = p
            .iter()
            .map(|x| (x.param.as_str(), x.origin.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("module_blacklist=usb_storage", "/etc/default/grub:1"),
                (
                    "usbcore.authorized_default=0",
                    "/etc/default/grub.d/60-x.cfg:1"
                ),
                ("quiet", "/etc/default/grub:2"),
            ]
        );
        assert!(
            grub_cmdline(&[("/g".into(), "GRUB_CMDLINE_LINUX=\"$\"\n=\n1A=b\n".into())]).is_empty()
        );
    }

    #[test]
    fn default_grub_params() {
        let text = "GRUB_DEFAULT=0\n#GRUB_CMDLINE_LINUX=\"apparmor=0\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\nGRUB_CMDLINE_LINUX=\"apparmor=0 $EXTRA\"\n";
        let p = parse_default_grub("/etc/default/grub", text);
        assert_eq!(p.len(), 3);
        let apparmor = p
            .iter()
            .find(|x| x.param == "apparmor=0")
            .unwrap_or_else(|| panic!("{p:?}"));
        assert_eq!(apparmor.origin, "/etc/default/grub:4");
        let boot = BootParams {
            running: Some(vec!["selinux=0".into()]),
            configured: p,
        };
        assert_eq!(boot.find("apparmor").len(), 1);
        assert_eq!(boot.find("selinux")[0].1, "/proc/cmdline");
    }

    #[test]
    fn wildcard_matches_like_glob() {
        assert!(wildcard("*.conf", "a.conf"));
        assert!(!wildcard("*.conf", "a.conf.bak"));
        assert!(wildcard("x?z*", "xyz"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a", "b"));
        assert!(wildcard("a*b*c", "aXXbYYc"));
    }
}
