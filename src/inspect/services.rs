//! Services: what is enabled to start, and (when systemd is PID 1) what is running.
//!
//! Read from files so it works on an offline tree and without a running systemd: systemd
//! unit directories and their enablement links, SysV init scripts and rc links, inetd and
//! xinetd configuration. Only when systemd is PID 1 is `systemctl` asked for live state.

pub mod inetd;
pub mod systemctl;
pub mod systemd;
pub mod sysv;
pub mod unit_file;

use crate::host::{FileKind, Host, HostError};
use crate::inspect::gap::ServicesGap;
use crate::inspect::{Unseen, is_live};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// A closed set of words an init system reports, kept as an enum with the exact word for
/// each variant (the JSON is the word, unchanged) and `Other` for a word we do not know yet,
/// so a new systemd state is carried through rather than refused.
macro_rules! service_word {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)+
            /// A word not in the list (or empty, when nothing was recorded).
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $word,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl Default for $name {
            /// Nothing recorded: the empty word, as before these were typed.
            fn default() -> Self {
                $name::Other(String::new())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($word => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::from(s.as_str())
            }
        }

        impl From<$name> for String {
            fn from(w: $name) -> String {
                w.as_str().to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }
    };
}

service_word! {
    /// Whether a service starts at boot, in systemctl's words (`systemctl is-enabled`), or
    /// `unknown` when it could not be told.
    Enablement {
        Enabled => "enabled",
        EnabledRuntime => "enabled-runtime",
        Disabled => "disabled",
        Masked => "masked",
        MaskedRuntime => "masked-runtime",
        Static => "static",
        Indirect => "indirect",
        Linked => "linked",
        LinkedRuntime => "linked-runtime",
        Alias => "alias",
        Generated => "generated",
        Transient => "transient",
        NotFound => "not-found",
        Bad => "bad",
        Unknown => "unknown",
    }
}

service_word! {
    /// Whether a service runs now, in systemd's words (`ActiveState`), or `unknown` when
    /// systemd is not running or the host is offline.
    ActiveState {
        Active => "active",
        Inactive => "inactive",
        Failed => "failed",
        Activating => "activating",
        Deactivating => "deactivating",
        Reloading => "reloading",
        Refreshing => "refreshing",
        Maintenance => "maintenance",
        Unknown => "unknown",
    }
}

service_word! {
    /// Which init system or super-server defines a service.
    UnitSource {
        Systemd => "systemd",
        Sysv => "sysv",
        Inetd => "inetd",
        Xinetd => "xinetd",
    }
}

/// One service as the init system knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUnit {
    /// `ssh.service` / `telnet.socket` for systemd; the script or service name for
    /// sysv/inetd/xinetd.
    pub name: String,
    /// enabled | enabled-runtime | disabled | masked | static | indirect | linked | alias |
    /// generated | not-found | unknown
    pub enabled: Enablement,
    /// active | inactive | failed | activating | deactivating | reloading | unknown
    /// (unknown when systemd is not running or offline)
    pub active: ActiveState,
    /// systemd | sysv | inetd | xinetd
    pub source: UnitSource,
    /// Where it is defined: unit file, init script, or config file (`/etc/inetd.conf:25`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The program it runs (`ExecStart=`, an init script's `DAEMON=`, the inetd server).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exec: String,
    /// What enables it: enablement symlinks, rc `S` links, configuration lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enabled_by: Vec<String>,
    /// For an alias, the unit it is another name of.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias_of: String,
    /// For an instance (`getty@tty1.service`), its template (`getty@.service`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub template: String,
    /// Why `enabled` or `active` is what it is, when that is not obvious.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl ServiceUnit {
    pub fn new(name: &str, enabled: &str, active: &str, source: &str) -> ServiceUnit {
        ServiceUnit {
            name: name.to_string(),
            enabled: enabled.into(),
            active: active.into(),
            source: source.into(),
            ..ServiceUnit::default()
        }
    }

    /// Started at boot (for this boot only counts too): enabled, or a systemd unit that
    /// systemctl calls static/disabled/indirect/linked but that a link in a vendor unit
    /// directory or a drop-in's `Wants=` pulls in (those are listed in `enabled_by`).
    ///
    /// A systemd unit whose only enablement is an `Alias=` symlink is `enabled` to systemctl
    /// but nothing starts it at boot, so it does not count.
    pub fn is_enabled(&self) -> bool {
        let systemd = self.source == UnitSource::Systemd;
        let alias_links_only = systemd
            && !self.enabled_by.is_empty()
            && self.enabled_by.iter().all(|p| {
                !p.contains(".wants/") && !p.contains(".requires/") && !p.contains(" (Wants= of ")
            });
        (self.is_enabled_state() && !alias_links_only)
            || (systemd
                && !self.enabled_by.is_empty()
                && matches!(
                    self.enabled,
                    Enablement::Static
                        | Enablement::Disabled
                        | Enablement::Indirect
                        | Enablement::Linked
                ))
    }

    /// systemctl's own word is `enabled` or `enabled-runtime`.
    pub fn is_enabled_state(&self) -> bool {
        matches!(
            self.enabled,
            Enablement::Enabled | Enablement::EnabledRuntime
        )
    }

    /// Masked, in /etc or for this boot only (/run).
    pub fn is_masked(&self) -> bool {
        matches!(self.enabled, Enablement::Masked | Enablement::MaskedRuntime)
    }

    /// Running (or reloading) now, as the running systemd reports it.
    pub fn is_active(&self) -> bool {
        matches!(
            self.active,
            ActiveState::Active | ActiveState::Reloading | ActiveState::Refreshing
        )
    }

    /// The name without `.service` / `.socket` and without an instance: `getty@tty1.service`
    /// → `getty`, `telnet.socket` → `telnet`.
    pub fn base_name(&self) -> &str {
        let stem = self
            .name
            .strip_suffix(".service")
            .or_else(|| self.name.strip_suffix(".socket"))
            .unwrap_or(&self.name);
        stem.split('@').next().unwrap_or(stem)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServicesFacts {
    pub units: Vec<ServiceUnit>,
    /// Whether systemd is PID 1 on the inspected system (live state then comes from systemctl).
    pub systemd_running: bool,
    /// Unit directories that exist on the inspected system, in precedence order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_dirs: Vec<String>,
    pub unknown: Unseen<ServicesGap>,
}

impl ServicesFacts {
    /// The unit named `name`, with or without the `.service` suffix. An alias answers with
    /// the unit it names (`sshd` → `ssh.service` on Debian).
    pub fn unit(&self, name: &str) -> Option<&ServiceUnit> {
        let bare = name.strip_suffix(".service").unwrap_or(name);
        let found = self.units.iter().find(|u| {
            u.name == name || u.name.strip_suffix(".service").unwrap_or(&u.name) == bare
        })?;
        if found.alias_of.is_empty() {
            return Some(found);
        }
        self.units
            .iter()
            .find(|u| u.name == found.alias_of && u.alias_of.is_empty())
            .or(Some(found))
    }

    /// Why enablement could not be read (wholly or in part: an unreadable unit directory,
    /// /etc/init.d, inetd or xinetd configuration hides what it would enable), if it could not.
    pub fn enablement_unknown(&self) -> Option<&str> {
        ServicesGap::ENABLEMENT.iter().find_map(|k| self.unseen(*k))
    }

    /// Why `what` could not be seen, if it could not.
    pub fn unseen(&self, what: ServicesGap) -> Option<&str> {
        self.unknown.get(&what).map(String::as_str)
    }
}

/// Unit names of the inetd implementations whose configuration is /etc/inetd.conf.
pub const INETD_DAEMONS: &[&str] = &["inetd", "openbsd-inetd", "inetutils-inetd", "rlinetd"];
pub const XINETD_DAEMONS: &[&str] = &["xinetd"];

/// How long a `systemctl` listing may take (well under `host::DEFAULT_TIMEOUT`).
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(5);

pub fn collect(host: &dyn Host) -> ServicesFacts {
    let mut unknown = Unseen::new();
    let tree = systemd::scan(host, &mut unknown);
    collect_scanned(host, tree, unknown)
}

/// As [`collect`], with the unit directories already read by [`systemd::scan`] through the
/// same `host` (`unknown`: what that scan could not read). The ssh collector looks at the
/// same files; one scan serves both.
pub fn collect_scanned(
    host: &dyn Host,
    tree: systemd::UnitTree,
    unknown: Unseen<ServicesGap>,
) -> ServicesFacts {
    let live = is_live(host);
    let mut facts = ServicesFacts {
        unknown,
        ..ServicesFacts::default()
    };

    facts.unit_dirs.clone_from(&tree.dirs_found);
    let systemd_present = !tree.dirs_found.is_empty();
    let mut units = systemd::resolve(tree);

    facts.systemd_running = systemd_is_pid1(host, live);
    let (sysv_units, init_d_found) = collect_sysv(host, &mut facts.unknown);
    let systemd_is_init = facts.systemd_running || init_is_systemd(host).unwrap_or(systemd_present);
    for s in sysv_units {
        // systemd ignores an init script when a native unit of the same name exists.
        if systemd_is_init && units.iter().any(|u| u.name == sysv_unit_name(&s)) {
            continue;
        }
        units.push(s);
    }

    if facts.systemd_running {
        let loaded = host.run(systemctl::LIST_UNITS, SYSTEMCTL_TIMEOUT);
        match loaded.unusable_reason() {
            Some(why) => {
                facts.unknown.insert(ServicesGap::Active, why);
            }
            None if !loaded.exited_with(&[0]) => {
                let why = format!(
                    "systemctl list-units failed: {}",
                    first_line(&loaded.stderr)
                );
                facts.unknown.insert(ServicesGap::Active, why);
            }
            None => {
                let files = host.run(systemctl::LIST_UNIT_FILES, SYSTEMCTL_TIMEOUT);
                let files = (files.unusable_reason().is_none() && files.exited_with(&[0]))
                    .then(|| systemctl::parse_list_unit_files(&files.stdout));
                merge_live(
                    &mut units,
                    &systemctl::parse_list_units(&loaded.stdout),
                    files.as_deref(),
                );
            }
        }
    } else {
        let why = if live {
            "systemd is not PID 1 on this host (container or another init): whether services are running is unknown"
        } else {
            "offline image: whether services are running is unknown"
        };
        facts.unknown.insert(ServicesGap::Active, why.into());
    }

    let init_found = systemd_present || init_d_found;
    let inetd = collect_inetd(host, &mut facts.unknown);
    let inetd_found = !inetd.is_empty();
    units.extend(gate(inetd, &superserver(&units, INETD_DAEMONS, init_found)));
    let xinetd = collect_xinetd(host, &mut facts.unknown);
    let xinetd_found = !xinetd.is_empty();
    units.extend(gate(
        xinetd,
        &superserver(&units, XINETD_DAEMONS, init_found),
    ));

    if !init_found
        && !inetd_found
        && !xinetd_found
        && !facts.unknown.contains_key(&ServicesGap::Enablement)
    {
        facts.unknown.insert(
            ServicesGap::Enablement,
            "no systemd unit directories, /etc/init.d, inetd or xinetd configuration found".into(),
        );
    }
    facts.units = units;
    facts
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

/// systemd is PID 1 when /proc/1/comm says so (on a live host; a captured tree may hold one).
fn systemd_is_pid1(host: &dyn Host, live: bool) -> bool {
    match host.read("/proc/1/comm") {
        Ok(f) => f.text.trim() == "systemd",
        // Without /proc/1/comm, sd_booted()'s own test: /run/systemd/system exists.
        // Something there that cannot be looked at still counts as there.
        Err(_) if live => !matches!(
            crate::host::metadata_optional(host, systemd::RUNTIME_DIR),
            Ok(None)
        ),
        Err(_) => false,
    }
}

/// Whether the init program is systemd (a link to it); None when there is no init program
/// to tell by. /usr/sbin/init first: on merged-/usr trees /sbin is itself a link.
fn init_is_systemd(host: &dyn Host) -> Option<bool> {
    ["/usr/sbin/init", "/sbin/init"]
        .iter()
        .find_map(|path| match host.metadata(path) {
            Ok(m) if m.kind == FileKind::Symlink => {
                // Why not an error: None falls back to whether unit directories exist.
                let target = host.read_link(path).ok()?;
                Some(target.trim_end_matches('/').rsplit('/').next() == Some("systemd"))
            }
            // sysvinit, busybox or runit installed as a file.
            Ok(_) => Some(false),
            Err(_) => None,
        })
}

/// Applies `systemctl` output: running state for every unit it lists (a unit it does not
/// list is not loaded, so inactive), and its enablement where it differs from what the files
/// said (it knows generated and transient units). Pure.
pub fn merge_live(
    units: &mut Vec<ServiceUnit>,
    loaded: &[systemctl::LoadedUnit],
    files: Option<&[systemctl::UnitFileState]>,
) {
    let loaded_by_name: BTreeMap<&str, &systemctl::LoadedUnit> =
        loaded.iter().map(|l| (l.name.as_str(), l)).collect();
    for u in units
        .iter_mut()
        .filter(|u| u.source == "systemd" || u.source == "sysv")
    {
        let key = if u.source == "sysv" {
            format!("{}.service", u.name.strip_suffix(".sh").unwrap_or(&u.name))
        } else {
            u.name.clone()
        };
        u.active = loaded_by_name
            .get(key.as_str())
            .map_or("inactive", |l| l.active.as_str())
            .into();
    }
    // Aliases share their unit's state.
    let states: BTreeMap<String, ActiveState> = units
        .iter()
        .map(|u| (u.name.clone(), u.active.clone()))
        .collect();
    for u in units.iter_mut().filter(|u| !u.alias_of.is_empty()) {
        if let Some(a) = states.get(&u.alias_of) {
            u.active.clone_from(a);
        }
    }
    if let Some(files) = files {
        for f in files {
            let folded_into_sysv = f.state == "generated"
                && units
                    .iter()
                    .any(|u| u.source == "sysv" && sysv_unit_name(u) == f.name);
            match units
                .iter_mut()
                .find(|u| u.source == "systemd" && u.name == f.name)
            {
                Some(u)
                    if u.enabled != f.state.as_str()
                        && !(u.enabled == "not-found" && f.state == "generated") =>
                {
                    u.note = format!(
                        "systemctl reports {}; unit files say {}",
                        f.state, u.enabled
                    );
                    u.enabled = f.state.as_str().into();
                }
                Some(_) => {}
                None if folded_into_sysv => {}
                None => {
                    let mut u = ServiceUnit::new(&f.name, &f.state, "inactive", "systemd");
                    u.note = "known to systemctl only (no unit file found in the unit directories)"
                        .into();
                    if let Some(l) = loaded_by_name.get(f.name.as_str()) {
                        u.active = l.active.as_str().into();
                    }
                    units.push(u);
                }
            }
        }
    }
    // Loaded units the files did not show: instances started on demand, units whose file is gone.
    for l in loaded {
        let known = units.iter().any(|u| {
            (u.source == "systemd" && u.name == l.name)
                || (u.source == "sysv" && sysv_unit_name(u) == l.name)
        });
        if known {
            continue;
        }
        let mut u = ServiceUnit::new(&l.name, "unknown", &l.active, "systemd");
        if l.load == "not-found" {
            u.enabled = "not-found".into();
            u.note = "loaded by systemd but its unit file does not exist".into();
        } else if let Some((template, _)) = systemd::split_instance(&l.name) {
            if let Some(t) = units.iter().find(|t| t.name == template) {
                u.enabled = if t.enabled == "static" {
                    "static"
                } else {
                    "indirect"
                }
                .into();
                u.path.clone_from(&t.path);
                u.exec.clone_from(&t.exec);
            }
            u.template = template;
        }
        units.push(u);
    }
}

fn sysv_unit_name(u: &ServiceUnit) -> String {
    format!("{}.service", u.name.strip_suffix(".sh").unwrap_or(&u.name))
}

/// SysV init scripts, enabled when an `S` link for them is in /etc/rc[2-5].d. Returns the
/// scripts and whether /etc/init.d exists.
fn collect_sysv(host: &dyn Host, unknown: &mut Unseen<ServicesGap>) -> (Vec<ServiceUnit>, bool) {
    let scripts = match host.read_dir("/etc/init.d") {
        Ok(s) => s,
        Err(e) => {
            if !e.is_not_found() {
                unknown.insert(ServicesGap::Sysv, e.to_string());
            }
            return (Vec::new(), false);
        }
    };
    let mut starts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for level in sysv::BOOT_RUNLEVELS {
        let dir = format!("/etc/rc{level}.d");
        let names = match host.read_dir(&dir) {
            Ok(n) => n,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                unknown
                    .entry(ServicesGap::Sysv)
                    .or_insert_with(|| e.to_string());
                continue;
            }
        };
        for name in names {
            let path = format!("{dir}/{name}");
            let target = match host.read_link(&path) {
                Ok(t) => t,
                Err(e) => {
                    // A plain file in rc?.d (EINVAL) is no link; anything else is not seen.
                    if !matches!(host.metadata(&path), Ok(m) if m.kind != FileKind::Symlink) {
                        note(unknown, ServicesGap::Sysv, &e);
                    }
                    String::new()
                }
            };
            if let Some(link) = sysv::parse_rc_link(&name, &target)
                && link.start
            {
                starts.entry(link.script).or_default().push(path);
            }
        }
    }
    let units = scripts
        .iter()
        .filter(|name| sysv::is_service_script(name))
        .map(|name| {
            let path = format!("/etc/init.d/{name}");
            let links = starts.remove(name.as_str()).unwrap_or_default();
            let mut u = ServiceUnit::new(
                name,
                if links.is_empty() {
                    "disabled"
                } else {
                    "enabled"
                },
                "unknown",
                "sysv",
            );
            u.exec = host
                .read(&path)
                .map(|f| sysv::script_daemon(&f.text))
                .unwrap_or_default();
            u.path = path;
            u.enabled_by = links;
            u
        })
        .collect();
    (leftover_scripts(host, units), true)
}

/// Init scripts left behind by a package removed without purging (dpkg state
/// `config-files`; the script is one of its conffiles) whose daemon is gone: the rc links
/// remain but starting the script cannot run anything, so they are `not-found`, not enabled.
fn leftover_scripts(host: &dyn Host, mut units: Vec<ServiceUnit>) -> Vec<ServiceUnit> {
    let daemon_gone = |u: &ServiceUnit| {
        !u.exec.is_empty()
            && u.exec.starts_with('/')
            && host.metadata(&u.exec).is_err_and(|e| e.is_not_found())
    };
    if !units.iter().any(daemon_gone) {
        return units;
    }
    let Ok(status) = host.read("/var/lib/dpkg/status") else {
        return units;
    };
    let removed = crate::inspect::packages::removed_conffiles(&status.text);
    for u in &mut units {
        if !daemon_gone(u) {
            continue;
        }
        if let Some((_, pkg)) = removed.iter().find(|(path, _)| *path == u.path) {
            u.note = format!(
                "left by package {pkg}, removed but not purged (dpkg: config-files): its daemon {} is gone, so the script cannot start it",
                u.exec
            );
            u.enabled = "not-found".into();
        }
    }
    units
}

/// A configured inetd/xinetd service, before the super-server's own state is known.
struct SuperserverEntry {
    name: String,
    source: &'static str,
    path: String,
    exec: String,
    /// What switches it on (`/etc/inetd.conf:25`); empty when the configuration has it off.
    on_by: Option<String>,
}

fn collect_inetd(host: &dyn Host, unknown: &mut Unseen<ServicesGap>) -> Vec<SuperserverEntry> {
    let mut files = vec!["/etc/inetd.conf".to_string()];
    match host.read_dir("/etc/inetd.d") {
        Ok(names) => files.extend(
            names
                .into_iter()
                .filter(|n| inetd::xinetd_reads(n))
                .map(|n| format!("/etc/inetd.d/{n}")),
        ),
        Err(e) if e.is_not_found() => {}
        Err(e) => note(unknown, ServicesGap::Inetd, &e),
    }
    let mut out = Vec::new();
    for file in files {
        let text = match host.read(&file) {
            Ok(f) => f.text,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                note(unknown, ServicesGap::Inetd, &e);
                continue;
            }
        };
        for e in inetd::parse_inetd_conf(&text) {
            let at = format!("{file}:{}", e.line);
            out.push(SuperserverEntry {
                name: e.service,
                source: "inetd",
                exec: e.program,
                on_by: e.enabled.then(|| at.clone()),
                path: at,
            });
        }
    }
    out
}

fn collect_xinetd(host: &dyn Host, unknown: &mut Unseen<ServicesGap>) -> Vec<SuperserverEntry> {
    let mut conf = inetd::XinetdFile::default();
    let mut services: Vec<(String, inetd::XinetdService)> = Vec::new();
    let mut pending: Vec<(String, usize)> = vec![("/etc/xinetd.conf".to_string(), 0)];
    let mut seen = 0usize;
    let mut conf_found = false;
    while let Some((file, depth)) = pending.pop() {
        seen += 1;
        if seen > 1000 {
            break;
        }
        let text = match host.read(&file) {
            Ok(f) => f.text,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                note(unknown, ServicesGap::Xinetd, &e);
                continue;
            }
        };
        conf_found = true;
        let mut parsed = inetd::parse_xinetd(&text);
        if depth < 3 {
            for dir in parsed.includedirs.drain(..) {
                match host.read_dir(&dir) {
                    Ok(names) => pending.extend(
                        names
                            .into_iter()
                            .rev()
                            .filter(|n| inetd::xinetd_reads(n))
                            .map(|n| (format!("{}/{n}", dir.trim_end_matches('/')), depth + 1)),
                    ),
                    Err(e) if e.is_not_found() => {}
                    Err(e) => note(unknown, ServicesGap::Xinetd, &e),
                }
            }
            pending.extend(parsed.includes.drain(..).map(|f| (f, depth + 1)));
        }
        services.extend(parsed.services.drain(..).map(|s| (file.clone(), s)));
        conf.absorb(parsed);
    }
    if !conf_found {
        return Vec::new();
    }
    let mut out: Vec<SuperserverEntry> = Vec::new();
    for (file, svc) in services {
        let on = conf.offers(&svc);
        let why = match svc.disable {
            Some(false) => "disable = no",
            _ => "no disable line",
        };
        let exec = if svc.internal {
            "internal".to_string()
        } else {
            svc.server.clone()
        };
        let at = format!("{file}:{}", svc.line);
        // One entry per service name (tcp and udp variants share a name).
        if let Some(prev) = out.iter_mut().find(|e| e.name == svc.name) {
            if on && prev.on_by.is_none() {
                prev.on_by = Some(format!("{at} ({why})"));
                prev.path = at;
                prev.exec = exec;
            }
            continue;
        }
        out.push(SuperserverEntry {
            name: svc.name,
            source: "xinetd",
            path: at.clone(),
            exec,
            on_by: on.then(|| format!("{at} ({why})")),
        });
    }
    out
}

fn note(unknown: &mut Unseen<ServicesGap>, key: ServicesGap, e: &HostError) {
    unknown.entry(key).or_insert_with(|| e.to_string());
}

/// Whether the super-server that reads a configuration is itself on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Superserver {
    /// Enabled or running: the unit or script name.
    On(String),
    /// Present but disabled or masked, or not installed: why.
    Off(String),
    /// No init configuration could be read to tell.
    Unknown,
}

fn superserver(units: &[ServiceUnit], daemons: &[&str], init_found: bool) -> Superserver {
    let candidates: Vec<&ServiceUnit> = units
        .iter()
        .filter(|u| u.alias_of.is_empty() && (u.source == "systemd" || u.source == "sysv"))
        .filter(|u| daemons.contains(&u.base_name()) && !u.name.ends_with(".socket"))
        .collect();
    // An alias name (openbsd-inetd.service -> inetd.service) counts as the daemon too.
    let aliased: Vec<&ServiceUnit> = units
        .iter()
        .filter(|a| !a.alias_of.is_empty() && daemons.contains(&a.base_name()))
        .filter_map(|a| units.iter().find(|u| u.name == a.alias_of))
        .collect();
    let all: Vec<&ServiceUnit> = candidates.into_iter().chain(aliased).collect();
    if let Some(on) = all.iter().find(|u| u.is_enabled() || u.is_active()) {
        return Superserver::On(on.name.clone());
    }
    match all.first() {
        Some(u) => Superserver::Off(format!("{} is {}", u.name, u.enabled)),
        None if init_found => Superserver::Off(format!("no {} service is installed", daemons[0])),
        None => Superserver::Unknown,
    }
}

fn gate(entries: Vec<SuperserverEntry>, server: &Superserver) -> Vec<ServiceUnit> {
    entries
        .into_iter()
        .map(|e| {
            let mut u = ServiceUnit::new(&e.name, "disabled", "unknown", e.source);
            u.path = e.path;
            u.exec = e.exec;
            if let Some(by) = e.on_by {
                u.enabled_by = vec![by];
                match server {
                    Superserver::On(name) => {
                        u.enabled = "enabled".into();
                        u.note = format!("served by {name}");
                    }
                    Superserver::Off(why) => u.note = format!("configured on, but {why}"),
                    Superserver::Unknown => {
                        u.enabled = "unknown".into();
                        u.note =
                            format!("configured on; whether {} runs could not be read", e.source);
                    }
                }
            }
            u
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_words_keep_their_json_and_carry_unknown_words_through() {
        let mut u = ServiceUnit::new("telnet.socket", "enabled-runtime", "reloading", "inetd");
        u.enabled_by = vec!["x".into()];
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(json["enabled"], "enabled-runtime");
        assert_eq!(json["active"], "reloading");
        assert_eq!(json["source"], "inetd");
        assert_eq!(u.enabled, Enablement::EnabledRuntime);
        assert_eq!(u.source, UnitSource::Inetd);
        let back: ServiceUnit = serde_json::from_value(json).unwrap();
        assert_eq!(back, u);
        // A state a newer systemd may print, and the empty word of a default unit.
        let odd = ServiceUnit::new("x.service", "enabled-future", "", "runit");
        let json = serde_json::to_value(&odd).unwrap();
        assert_eq!(json["enabled"], "enabled-future");
        assert_eq!(json["active"], "");
        assert_eq!(json["source"], "runit");
        assert_eq!(ServiceUnit::default().enabled.as_str(), "");
    }

    fn unit(name: &str, enabled: &str, source: &str) -> ServiceUnit {
        ServiceUnit::new(name, enabled, "unknown", source)
    }

    #[test]
    fn lookup_by_bare_name_and_alias() {
        let mut alias = unit("sshd.service", "alias", "systemd");
        alias.alias_of = "ssh.service".into();
        let facts = ServicesFacts {
            units: vec![
                alias,
                unit("ssh.service", "enabled", "systemd"),
                unit("cron", "enabled", "sysv"),
            ],
            ..ServicesFacts::default()
        };
        assert_eq!(
            facts.unit("sshd").map(|u| u.name.as_str()),
            Some("ssh.service")
        );
        assert_eq!(
            facts
                .unit("ssh.service")
                .map(super::ServiceUnit::is_enabled),
            Some(true)
        );
        assert_eq!(facts.unit("cron").map(|u| u.source.as_str()), Some("sysv"));
        assert!(facts.unit("telnet").is_none());
    }

    #[test]
    fn base_names() {
        assert_eq!(unit("getty@tty1.service", "", "").base_name(), "getty");
        assert_eq!(unit("telnet.socket", "", "").base_name(), "telnet");
        assert_eq!(unit("in.telnetd", "", "").base_name(), "in.telnetd");
    }

    #[test]
    fn superserver_gate() {
        let units = vec![unit("inetd.service", "disabled", "systemd"), {
            let mut a = unit("openbsd-inetd.service", "alias", "systemd");
            a.alias_of = "inetd.service".into();
            a
        }];
        assert_eq!(
            superserver(&units, INETD_DAEMONS, true),
            Superserver::Off("inetd.service is disabled".into())
        );
        let on = vec![unit("xinetd", "enabled", "sysv")];
        assert_eq!(
            superserver(&on, XINETD_DAEMONS, true),
            Superserver::On("xinetd".into())
        );
        assert_eq!(
            superserver(&[], XINETD_DAEMONS, false),
            Superserver::Unknown
        );
        let entry = || SuperserverEntry {
            name: "telnet".into(),
            source: "inetd",
            path: "/etc/inetd.conf:25".into(),
            exec: "/usr/sbin/telnetd".into(),
            on_by: Some("/etc/inetd.conf:25".into()),
        };
        assert_eq!(
            gate(vec![entry()], &Superserver::On("inetd.service".into()))[0].enabled,
            "enabled"
        );
        let off = gate(
            vec![entry()],
            &Superserver::Off("inetd.service is masked".into()),
        );
        assert_eq!(
            (off[0].enabled.as_str(), off[0].enabled_by.len()),
            ("disabled", 1)
        );
        assert_eq!(
            gate(vec![entry()], &Superserver::Unknown)[0].enabled,
            "unknown"
        );
    }

    #[test]
    fn live_merge() {
        let loaded = systemctl::parse_list_units(
            "ssh.service loaded active running OpenSSH\ngetty@tty2.service loaded active running Getty\nxinetd.service loaded active running LSB: xinetd\ngone.service not-found inactive dead gone.service\n",
        );
        let files = systemctl::parse_list_unit_files(
            "ssh.service enabled enabled\nold.service disabled enabled\nxinetd.service generated -\n",
        );
        let mut getty = unit("getty@.service", "enabled", "systemd");
        getty.exec = "/sbin/agetty".into();
        let mut units = vec![
            unit("ssh.service", "disabled", "systemd"),
            unit("old.service", "disabled", "systemd"),
            getty,
            unit("xinetd", "enabled", "sysv"),
            unit("telnet", "enabled", "xinetd"),
        ];
        merge_live(&mut units, &loaded, Some(&files));
        let get = |n: &str| {
            units
                .iter()
                .find(|u| u.name == n)
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(
            (
                get("ssh.service").enabled.as_str(),
                get("ssh.service").active.as_str()
            ),
            ("enabled", "active")
        );
        assert!(
            get("ssh.service")
                .note
                .contains("systemctl reports enabled")
        );
        assert_eq!(get("old.service").active, "inactive");
        assert_eq!(get("xinetd").active, "active");
        assert_eq!(get("telnet").active, "unknown");
        let tty2 = get("getty@tty2.service");
        assert_eq!(
            (
                tty2.enabled.as_str(),
                tty2.template.as_str(),
                tty2.exec.as_str()
            ),
            ("indirect", "getty@.service", "/sbin/agetty")
        );
        assert_eq!(get("gone.service").enabled, "not-found");
        assert!(
            !units.iter().any(|u| u.name == "xinetd.service"),
            "generated unit folded into the sysv script"
        );
    }
}
