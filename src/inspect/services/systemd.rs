//! systemd unit files and enablement, read from the unit directories without a running
//! manager: precedence, masking, aliases, templates and `*.wants`/`*.requires` links.
//!
//! [`scan`] gathers what is on disk through the `Host`; [`resolve`] is pure and decides each
//! unit's state the way `systemctl list-unit-files` does.

use super::ServiceUnit;
use super::unit_file::{UnitFile, parse_unit_file};
use crate::host::{FileKind, Host, HostError};
use crate::inspect::Unseen;
use crate::inspect::gap::ServicesGap;
use std::collections::{BTreeMap, BTreeSet};

/// Administrator configuration: enablement links here count (`/run` only on a live host).
pub const CONFIG_DIR: &str = "/etc/systemd/system";
pub const RUNTIME_DIR: &str = "/run/systemd/system";

/// Unit directories in systemd's order of precedence (the first holding a name wins): the
/// search path `systemd-analyze unit-paths` prints on Debian 12 (systemd 252, split-/usr
/// build, so /lib/systemd/system is searched before /usr/lib/systemd/system).
pub const UNIT_DIRS: [&str; 13] = [
    "/etc/systemd/system.control",
    "/run/systemd/system.control",
    "/run/systemd/transient",
    "/run/systemd/generator.early",
    CONFIG_DIR,
    "/etc/systemd/system.attached",
    RUNTIME_DIR,
    "/run/systemd/system.attached",
    "/run/systemd/generator",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/run/systemd/generator.late",
];

/// Targets a normal boot reaches (conservatively both multi-user and graphical).
pub const BOOT_TARGETS: &[&str] = &[
    "default.target",
    "graphical.target",
    "multi-user.target",
    "basic.target",
    "sysinit.target",
    "sockets.target",
    "timers.target",
    "paths.target",
    "local-fs.target",
    "remote-fs.target",
    "network.target",
    "network-online.target",
    "getty.target",
];

/// Targets a normal boot never reaches: a vendor link into their `.wants` starts nothing at
/// boot (links in /etc and /run keep systemctl's `enabled`, as before).
pub const NON_BOOT_TARGETS: &[&str] = &[
    "rescue.target",
    "emergency.target",
    "shutdown.target",
    "reboot.target",
    "poweroff.target",
    "halt.target",
    "kexec.target",
    "final.target",
    "umount.target",
    "sleep.target",
    "suspend.target",
    "hibernate.target",
    "hybrid-sleep.target",
    "suspend-then-hibernate.target",
    "system-update.target",
    "runlevel0.target",
    "runlevel1.target",
    "runlevel6.target",
];

/// Whether a `.wants`/`.requires` directory belongs to a target a boot never reaches
/// (the initrd's own targets included).
fn wants_dir_off_boot(dir_name: &str) -> bool {
    let owner = dir_name
        .strip_suffix(".wants")
        .or_else(|| dir_name.strip_suffix(".requires"))
        .unwrap_or(dir_name);
    NON_BOOT_TARGETS.contains(&owner) || (owner.starts_with("initrd") && owner.ends_with(".target"))
}

/// Where an enablement link lives, which decides what `systemctl is-enabled` calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkScope {
    /// /etc/systemd/system: `enabled`.
    Config,
    /// Anywhere under /run: `enabled-runtime`.
    Runtime,
    /// Any other unit directory (/usr/lib, /lib, /etc/systemd/system.control, ...): systemctl
    /// still says `static`/`disabled`, but the manager follows the link at boot all the same.
    Vendor,
}

impl LinkScope {
    fn of_dir(dir: &str) -> LinkScope {
        if dir == CONFIG_DIR {
            LinkScope::Config
        } else if dir == "/run" || dir.starts_with("/run/") {
            LinkScope::Runtime
        } else {
            LinkScope::Vendor
        }
    }
}

/// A drop-in file (`<unit>.d/*.conf`, or the type-wide `service.d/*.conf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropIn {
    /// The unit (or `service` / `socket` for type-wide drop-ins) whose `.d` directory holds it.
    pub unit: String,
    /// Full path.
    pub path: String,
    /// Contents; None when masked (`-> /dev/null`, empty) or unreadable.
    pub text: Option<String>,
}

/// One `*.service` / `*.socket` entry of a unit directory, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitEntry {
    /// The directory it is in (`/usr/lib/systemd/system`).
    pub dir: String,
    pub name: String,
    /// The symlink target as stored, when the entry is a symlink.
    pub link: Option<String>,
    /// Contents (read through a symlink); None when unreadable or not read (`/dev/null`).
    pub text: Option<String>,
}

/// A symlink in a `*.wants/` or `*.requires/` directory of /etc (or /run) that enables `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnableLink {
    pub path: String,
    pub name: String,
    /// In /run: enabled for this boot only.
    pub runtime: bool,
    /// In a unit directory other than /etc/systemd/system and /run: the unit is pulled in at
    /// boot although `systemctl is-enabled` does not call it enabled.
    pub vendor: bool,
}

/// What the unit directories hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitTree {
    /// Entries in precedence order (directories in [`UNIT_DIRS`] order).
    pub entries: Vec<UnitEntry>,
    pub links: Vec<EnableLink>,
    /// Drop-ins, already in the order systemd applies them (sorted by file name across
    /// directories; a file name in a higher-precedence directory hides the same name below).
    pub dropins: Vec<DropIn>,
    /// The unit files of the targets a boot reaches ([`BOOT_TARGETS`]), highest precedence
    /// only: their `Wants=` (graphical.target's display-manager.service) pull units in.
    pub targets: Vec<DropIn>,
    /// Unit directories that exist.
    pub dirs_found: Vec<String>,
}

/// True for the unit types stationward lists: services and the sockets that start them.
pub fn is_unit_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".service")
        .or_else(|| name.strip_suffix(".socket"));
    stem.is_some_and(|s| !s.is_empty() && !s.contains('/'))
}

/// `getty@tty1.service` → (`getty@.service`, `tty1`); None for a name without `@`.
pub fn split_instance(name: &str) -> Option<(String, String)> {
    let (prefix, rest) = name.split_once('@')?;
    let (instance, suffix) = rest.rsplit_once('.')?;
    Some((format!("{prefix}@.{suffix}"), instance.to_string()))
}

/// A template unit file name such as `getty@.service`.
pub fn is_template(name: &str) -> bool {
    split_instance(name).is_some_and(|(_, instance)| instance.is_empty())
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

fn join(dir: &str, target: &str) -> String {
    if target.starts_with('/') {
        target.to_string()
    } else {
        format!("{dir}/{target}")
    }
}

/// Reads the unit directories through `host`, /run included: `systemctl --root` reads a
/// tree's /run too, and on a live host it holds this boot's runtime enablement and masks. A
/// directory that exists but cannot be read is recorded in `unknown` (`enablement` for /etc,
/// else `units`).
pub fn scan(host: &dyn Host, unknown: &mut Unseen<ServicesGap>) -> UnitTree {
    let mut tree = UnitTree::default();
    // (unit, file name) -> drop-in: the first directory (highest precedence) keeps a name.
    let mut dropins: BTreeMap<(String, String), DropIn> = BTreeMap::new();
    for dir in unit_dirs(host) {
        let scope = LinkScope::of_dir(&dir);
        // What each entry is comes with the listing: no metadata call per unit file.
        let entries = match host.read_dir_kinds(&dir) {
            Ok(n) => n,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                note(unknown, dir_key(&dir), &e);
                continue;
            }
        };
        tree.dirs_found.push(dir.clone());
        for (name, kind) in entries {
            let path = format!("{dir}/{name}");
            if name.ends_with(".wants") || name.ends_with(".requires") {
                if scope == LinkScope::Vendor && wants_dir_off_boot(&name) {
                    continue;
                }
                match host.read_dir(&path) {
                    Ok(links) => {
                        tree.links
                            .extend(links.into_iter().filter(|n| is_unit_name(n)).map(|n| {
                                EnableLink {
                                    path: format!("{path}/{n}"),
                                    name: n,
                                    runtime: scope == LinkScope::Runtime,
                                    vendor: scope == LinkScope::Vendor,
                                }
                            }));
                    }
                    Err(e) if e.is_not_found() => {}
                    Err(e) => note(unknown, ServicesGap::Enablement, &e),
                }
                continue;
            }
            if let Some(unit) = name.strip_suffix(".d")
                && is_dropin_owner(unit)
            {
                scan_dropins(host, &path, unit, &mut dropins, unknown);
                continue;
            }
            if BOOT_TARGETS.contains(&name.as_str()) {
                if !tree.targets.iter().any(|t| t.unit == name) {
                    let text = read_noting(host, &path, unknown, dir_key(&dir));
                    tree.targets.push(DropIn {
                        unit: name,
                        path,
                        text,
                    });
                }
                continue;
            }
            if !is_unit_name(&name) {
                continue;
            }
            let link = match &kind {
                Ok(FileKind::Symlink) => match host.read_link(&path) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        note(unknown, dir_key(&dir), &e);
                        None
                    }
                },
                // Gone since the listing (NotFound) is absent; anything else is not seen.
                Err(e) if !e.is_not_found() => {
                    note(unknown, dir_key(&dir), e);
                    None
                }
                _ => None,
            };
            // An empty file reads as "" (masked, as systemd takes it).
            let text = match &link {
                Some(t) if t == "/dev/null" => None,
                _ => read_noting(host, &path, unknown, dir_key(&dir)),
            };
            tree.entries.push(UnitEntry {
                dir: dir.clone(),
                name,
                link,
                text,
            });
        }
    }
    tree.dropins = dropins.into_values().collect();
    tree
}

/// Whose drop-in directory `<owner>.d` is: a unit name of any type (`multi-user.target`), or a
/// whole unit type (`service.d` applies to every service).
fn is_dropin_owner(owner: &str) -> bool {
    matches!(owner, "service" | "socket" | "target")
        || owner
            .rsplit_once('.')
            .is_some_and(|(stem, ty)| !stem.is_empty() && !ty.is_empty() && !owner.contains('/'))
}

fn scan_dropins(
    host: &dyn Host,
    dir: &str,
    unit: &str,
    out: &mut BTreeMap<(String, String), DropIn>,
    unknown: &mut Unseen<ServicesGap>,
) {
    let names = match host.read_dir(dir) {
        Ok(n) => n,
        Err(e) if e.is_not_found() => return,
        Err(e) => return note(unknown, ServicesGap::Units, &e),
    };
    for name in names.into_iter().filter(|n| n.ends_with(".conf")) {
        let key = (unit.to_string(), name.clone());
        if out.contains_key(&key) {
            continue;
        }
        let path = format!("{dir}/{name}");
        let masked = match host.metadata(&path) {
            Ok(m) if m.kind == FileKind::Symlink => {
                host.read_link(&path).is_ok_and(|t| t == "/dev/null")
            }
            _ => false,
        };
        let text = if masked {
            None
        } else {
            match host.read(&path) {
                Ok(f) => Some(f.text),
                Err(e) => {
                    note(unknown, ServicesGap::Units, &e);
                    None
                }
            }
        };
        out.insert(
            key,
            DropIn {
                unit: unit.to_string(),
                path,
                text,
            },
        );
    }
}

/// `systemctl is-enabled`'s word for a mask: `masked-runtime` when the mask is under /run.
fn masked_state(dir: &str) -> &'static str {
    if LinkScope::of_dir(dir) == LinkScope::Runtime {
        "masked-runtime"
    } else {
        "masked"
    }
}

/// A unit file with its drop-ins applied as systemd does: the file followed by the unit's own
/// and the type-wide (`service.d`) drop-ins in file-name order. `[Install]` lines of drop-ins
/// count too: `systemctl is-enabled` reads them (a drop-in `WantedBy=` turns static into
/// disabled), though only links make the manager start anything.
pub fn with_dropins(dropins: &[DropIn], name: &str, text: &str) -> UnitFile {
    let mine = dropins_of(dropins, name);
    if mine.is_empty() {
        return parse_unit_file(text);
    }
    let mut combined = text.to_string();
    for d in mine {
        if let Some(t) = &d.text {
            combined.push('\n');
            combined.push_str(t);
        }
    }
    parse_unit_file(&combined)
}

/// The drop-ins that apply to unit `name` (its own and its type's), in the order they apply.
pub fn dropins_of<'a>(dropins: &'a [DropIn], name: &str) -> Vec<&'a DropIn> {
    let ty = name.rsplit_once('.').map_or("", |(_, t)| t);
    let mut mine: Vec<&DropIn> = dropins
        .iter()
        .filter(|d| d.unit == name || d.unit == ty)
        .collect();
    mine.sort_by(|a, b| base_name(&a.path).cmp(base_name(&b.path)));
    mine
}

/// What the highest-precedence entry of a name is, given its text.
enum Definition<'a> {
    /// `-> /dev/null` or an empty file.
    Masked,
    /// A link to a unit of another name (that name).
    Alias(&'a str),
    /// A unit file of its own (at [`defined_at`]).
    File,
    Unreadable,
}

fn definition<'a>(e: &'a UnitEntry, text: Option<&str>) -> Definition<'a> {
    match (&e.link, text) {
        (Some(t), _) if t == "/dev/null" => Definition::Masked,
        (_, Some("")) => Definition::Masked,
        (Some(t), _) if base_name(t) != e.name => Definition::Alias(base_name(t)),
        (_, Some(_)) => Definition::File,
        (_, None) => Definition::Unreadable,
    }
}

/// Where a unit's definition lives: the entry itself, or a link's target for linked units.
fn defined_at(e: &UnitEntry) -> String {
    match &e.link {
        Some(t) => join(&e.dir, t),
        None => format!("{}/{}", e.dir, e.name),
    }
}

/// A unit the manager would load from a file of its own: its text and the drop-ins that
/// apply, in order.
#[derive(Debug)]
pub struct Loaded<'a> {
    entry: &'a UnitEntry,
    pub text: &'a str,
    pub dropins: Vec<&'a DropIn>,
}

impl Loaded<'_> {
    pub fn name(&self) -> &str {
        &self.entry.name
    }

    /// Where the file is (a link's target for linked units). Made when asked: most readers
    /// need it for a few units of 100,000.
    pub fn path(&self) -> String {
        defined_at(self.entry)
    }
}

/// Every unit of the tree with a file of its own, each name once (its highest-precedence
/// entry), in name order; masked units, aliases and unreadable files are left out (what
/// could not be read is in the scan's `unknown`). For readers other than [`resolve`] (the
/// ssh collector looks for the units that start sshd), so the files are read once. One at a
/// time: 100,000 of them at once were megabytes at the scan's peak.
pub fn loaded_units(tree: &UnitTree) -> impl Iterator<Item = Loaded<'_>> {
    let mut order: Vec<&UnitEntry> = tree.entries.iter().collect();
    // Stable: of equal names, the earlier (higher-precedence) entry stays first.
    order.sort_by(|a, b| a.name.cmp(&b.name));
    order.dedup_by(|a, b| a.name == b.name);
    order.into_iter().filter_map(move |e| {
        let text = e.text.as_deref();
        match definition(e, text) {
            Definition::File => Some(Loaded {
                entry: e,
                text: text.unwrap_or_default(),
                dropins: dropins_of(&tree.dropins, &e.name),
            }),
            _ => None,
        }
    })
}

/// [`UNIT_DIRS`], with `/lib/systemd/system` dropped when /lib is a link to /usr/lib (merged
/// /usr: the same files twice) or replaced by where /lib really points.
fn unit_dirs(host: &dyn Host) -> Vec<String> {
    let lib_target = match host.metadata("/lib") {
        // Why not noted: unreadable, /lib/systemd/system is still scanned through the link.
        Ok(m) if m.kind == FileKind::Symlink => host.read_link("/lib").ok(),
        _ => None,
    };
    let mut dirs = Vec::new();
    for dir in UNIT_DIRS {
        if dir == "/lib/systemd/system"
            && let Some(target) = &lib_target
        {
            let target = target.trim_end_matches('/');
            if matches!(target, "/usr/lib" | "usr/lib") {
                continue;
            }
            dirs.push(format!(
                "/{}/systemd/system",
                target.trim_start_matches('/')
            ));
            continue;
        }
        dirs.push(dir.to_string());
    }
    dirs
}

/// The `unknown` key for what could not be read in unit directory `dir`.
fn dir_key(dir: &str) -> ServicesGap {
    if dir == CONFIG_DIR {
        ServicesGap::Enablement
    } else {
        ServicesGap::Units
    }
}

/// A file's text; NotFound is absent, any other error is noted under `key`.
fn read_noting(
    host: &dyn Host,
    path: &str,
    unknown: &mut Unseen<ServicesGap>,
    key: ServicesGap,
) -> Option<String> {
    match crate::host::read_optional(host, path) {
        Ok(f) => f.map(|f| f.text),
        Err(e) => {
            note(unknown, key, &e);
            None
        }
    }
}

fn note(unknown: &mut Unseen<ServicesGap>, key: ServicesGap, e: &HostError) {
    unknown.entry(key).or_insert_with(|| e.to_string());
}

enum Kind {
    Masked,
    Alias(String),
    File(Parsed),
    Unreadable,
}

/// What resolution needs of a parsed unit file (its description, listen addresses and
/// install lists are let go: 100,000 of them were tens of MB).
struct Parsed {
    exec: String,
    wants: Vec<String>,
    default_instance: String,
    service: String,
    accept: bool,
    has_install_targets: bool,
    has_also: bool,
}

impl From<UnitFile> for Parsed {
    fn from(u: UnitFile) -> Parsed {
        Parsed {
            has_install_targets: u.has_install_targets(),
            has_also: !u.also.is_empty(),
            exec: u.exec,
            wants: u.wants,
            default_instance: u.default_instance,
            service: u.service,
            accept: u.accept,
        }
    }
}

struct Top<'a> {
    entry: &'a UnitEntry,
    kind: Kind,
    /// Where the definition lives (a symlink's target for linked units).
    path: String,
}

/// The units found, by name: those of the unit files in one vector sorted by name, and the
/// few added later (instances, links to nothing) in a map. A map of 100,000 units beside
/// the final list was tens of MB at the scan's peak.
struct UnitSet {
    sorted: Vec<ServiceUnit>,
    extra: BTreeMap<String, ServiceUnit>,
}

impl UnitSet {
    fn index(&self, name: &str) -> Option<usize> {
        self.sorted
            .binary_search_by(|u| u.name.as_str().cmp(name))
            .ok()
    }

    fn get(&self, name: &str) -> Option<&ServiceUnit> {
        match self.index(name) {
            Some(i) => self.sorted.get(i),
            None => self.extra.get(name),
        }
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut ServiceUnit> {
        match self.index(name) {
            Some(i) => self.sorted.get_mut(i),
            None => self.extra.get_mut(name),
        }
    }

    fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn insert(&mut self, name: String, unit: ServiceUnit) {
        match self.index(&name) {
            Some(i) => self.sorted[i] = unit,
            None => {
                self.extra.insert(name, unit);
            }
        }
    }

    /// Every unit in name order (the order a single map gave, which decides the order of
    /// `enabled_by` entries added in rounds).
    fn values(&self) -> Vec<&ServiceUnit> {
        let mut all: Vec<&ServiceUnit> = self.sorted.iter().chain(self.extra.values()).collect();
        if !self.extra.is_empty() {
            all.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        }
        all
    }

    /// Every unit, sorted by name.
    fn into_sorted(self) -> Vec<ServiceUnit> {
        let UnitSet { mut sorted, extra } = self;
        if !extra.is_empty() {
            sorted.reserve_exact(extra.len());
            sorted.extend(extra.into_values());
            // Names are unique: an unstable sort needs no buffer.
            sorted.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        }
        sorted
    }
}

/// Decides every unit's enablement from the tree, as `systemctl list-unit-files` would:
/// masked, alias, enabled / enabled-runtime, linked, disabled, indirect, static; plus the
/// enabled instances of templates and `not-found` for enablement links to nothing.
/// `active` is left `unknown`.
pub fn resolve(mut tree: UnitTree) -> Vec<ServiceUnit> {
    // The entry that counts for each name is the first (highest precedence). Each is parsed
    // and its text let go at once: 100,000 unit texts, their parsed forms and the result
    // alive together were most of a scan's peak memory.
    let mut order: Vec<usize> = (0..tree.entries.len()).collect();
    // Stable: of equal names, the earlier (higher-precedence) entry stays first.
    order.sort_by(|&a, &b| tree.entries[a].name.cmp(&tree.entries[b].name));
    order.dedup_by(|a, b| tree.entries[*a].name == tree.entries[*b].name);
    // The texts are taken out first, so the entries can be borrowed while each is parsed.
    let mut texts: Vec<Option<String>> = tree.entries.iter_mut().map(|e| e.text.take()).collect();
    let tree = tree;
    // Sorted by name, looked up by binary search.
    let mut top: Vec<(&str, Top)> = Vec::with_capacity(order.len());
    for i in order {
        let e = &tree.entries[i];
        let text = texts.get_mut(i).and_then(Option::take);
        let here = format!("{}/{}", e.dir, e.name);
        let (kind, path) = match definition(e, text.as_deref()) {
            Definition::Masked => (Kind::Masked, here),
            Definition::Alias(target) => (Kind::Alias(target.to_string()), here),
            Definition::File => {
                let text = text.as_deref().unwrap_or_default();
                (
                    Kind::File(with_dropins(&tree.dropins, &e.name, text).into()),
                    defined_at(e),
                )
            }
            Definition::Unreadable => (Kind::Unreadable, here),
        };
        top.push((
            e.name.as_str(),
            Top {
                entry: e,
                kind,
                path,
            },
        ));
    }
    drop(texts);
    let top_get = |name: &str| -> Option<&Top> {
        top.binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| &top[i].1)
    };

    let alias_target = |name: &str| -> String {
        let mut current = name.to_string();
        for _ in 0..8 {
            match top_get(current.as_str()).map(|t| &t.kind) {
                Some(Kind::Alias(next)) => current.clone_from(next),
                _ => break,
            }
        }
        current
    };

    // Enablement: links in *.wants/*.requires, and alias symlinks in /etc or /run.
    let link_target = |link_name: &str| -> String {
        let name = alias_target(link_name);
        if is_template(&name)
            && let Some(Top {
                kind: Kind::File(u),
                ..
            }) = top_get(name.as_str())
            && !u.default_instance.is_empty()
        {
            return name.replacen("@.", &format!("@{}.", u.default_instance), 1);
        }
        name
    };
    let mut enabling: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    // Started at boot by what `systemctl is-enabled` does not count: links in vendor
    // directories, `Wants=` added by drop-ins.
    let mut pulled: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in &tree.links {
        let name = link_target(&l.name);
        if l.vendor {
            pulled.entry(name).or_default().push(l.path.clone());
            continue;
        }
        enabling
            .entry(name)
            .or_default()
            .push((l.path.clone(), l.runtime));
    }
    for d in tree.dropins.iter().chain(&tree.targets) {
        let Some(text) = &d.text else {
            continue;
        };
        for wanted in parse_unit_file(text).wants {
            if is_unit_name(&wanted) {
                pulled
                    .entry(link_target(&wanted))
                    .or_default()
                    .push(format!("{} (Wants= of {})", d.path, d.unit));
            }
        }
    }
    for (_, t) in &top {
        if let Kind::Alias(_) = t.kind
            && (t.entry.dir == CONFIG_DIR || t.entry.dir == RUNTIME_DIR)
        {
            enabling
                .entry(alias_target(&t.entry.name))
                .or_default()
                .push((t.path.clone(), t.entry.dir == RUNTIME_DIR));
        }
    }
    let state_of_links = |links: &[(String, bool)]| {
        if links.iter().all(|(_, runtime)| *runtime) {
            "enabled-runtime"
        } else {
            "enabled"
        }
    };
    let search_dirs: BTreeSet<&str> = tree
        .dirs_found
        .iter()
        .map(String::as_str)
        .chain(UNIT_DIRS)
        .collect();

    let mut units = UnitSet {
        sorted: Vec::with_capacity(top.len()),
        extra: BTreeMap::new(),
    };
    for (name, t) in &top {
        let links = enabling.get(*name).map(Vec::as_slice).unwrap_or_default();
        let mut unit = ServiceUnit::new(name, "unknown", "unknown", "systemd");
        unit.path.clone_from(&t.path);
        unit.enabled_by = links.iter().map(|(p, _)| p.clone()).collect();
        match &t.kind {
            Kind::Masked => unit.enabled = masked_state(&t.entry.dir).into(),
            Kind::Alias(_) => {
                unit.enabled = "alias".into();
                unit.alias_of = alias_target(name);
                unit.enabled_by.clear();
            }
            Kind::Unreadable => unit.note = "unit file could not be read".into(),
            Kind::File(u) => {
                unit.exec.clone_from(&u.exec);
                let instance_enabled = is_template(name)
                    && enabling.keys().any(|k| {
                        split_instance(k)
                            .is_some_and(|(tpl, inst)| tpl == *name && !inst.is_empty())
                    });
                let linked = t.entry.link.is_some()
                    && !search_dirs.contains(t.path.rsplit_once('/').map_or("", |(d, _)| d));
                unit.enabled = if !links.is_empty() {
                    state_of_links(links)
                } else if instance_enabled {
                    "enabled"
                } else if linked {
                    "linked"
                } else if u.has_install_targets {
                    "disabled"
                } else if u.has_also {
                    "indirect"
                } else {
                    "static"
                }
                .into();
            }
        }
        // `top` is sorted by name, so this keeps `units.sorted` sorted.
        units.sorted.push(unit);
    }

    // Enabled instances of templates, and links to units that do not exist.
    for (name, links) in &enabling {
        if units.contains_key(name) {
            continue;
        }
        let mut unit = ServiceUnit::new(name, state_of_links(links), "unknown", "systemd");
        unit.enabled_by = links.iter().map(|(p, _)| p.clone()).collect();
        let template = split_instance(name)
            .map(|(tpl, _)| tpl)
            .filter(|tpl| tpl != name);
        match template
            .as_deref()
            .and_then(|tpl| top_get(tpl).map(|t| (tpl, t)))
        {
            Some((tpl, t)) => {
                unit.template = tpl.to_string();
                unit.path.clone_from(&t.path);
                match &t.kind {
                    Kind::File(u) => unit.exec.clone_from(&u.exec),
                    Kind::Masked => unit.enabled = masked_state(&t.entry.dir).into(),
                    _ => {}
                }
            }
            None => {
                unit.enabled = "not-found".into();
                unit.note = "enablement link to a unit file that does not exist".into();
            }
        }
        units.insert(name.clone(), unit);
    }

    // Pulled in at boot although not enabled: the state stays what systemctl says, the links
    // and drop-ins that start it are recorded (ServiceUnit::is_enabled counts them). A unit
    // that starts pulls in what its own unit file wants, so this runs to a fixed point
    // (bounded: hostile trees).
    let mut round = pulled;
    for _ in 0..16 {
        for (name, by) in &round {
            if let Some(u) = units.get_mut(name) {
                if matches!(
                    u.enabled.as_str(),
                    "enabled" | "enabled-runtime" | "static" | "disabled" | "indirect" | "linked"
                ) {
                    for b in by {
                        if !u.enabled_by.contains(b) {
                            u.enabled_by.push(b.clone());
                        }
                    }
                    if u.note.is_empty() && !u.is_enabled_state() {
                        u.note = format!(
                            "systemctl calls it {}, but it is pulled in at boot",
                            u.enabled
                        );
                    }
                }
                continue;
            }
            // An instance linked outside /etc and /run: systemctl calls it static.
            let Some((tpl, inst)) = split_instance(name) else {
                continue;
            };
            if inst.is_empty() {
                continue;
            }
            if let Some(Top {
                kind: Kind::File(f),
                path,
                ..
            }) = top_get(tpl.as_str())
            {
                let mut unit = ServiceUnit::new(name, "static", "unknown", "systemd");
                unit.template = tpl.clone();
                unit.path.clone_from(path);
                unit.exec.clone_from(&f.exec);
                unit.enabled_by.clone_from(by);
                unit.note = "systemctl calls it static, but it is pulled in at boot".into();
                units.insert(name.clone(), unit);
            }
        }
        let mut next: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for u in units.values().into_iter().filter(|u| u.is_enabled()) {
            let file = top_get(u.name.as_str()).or_else(|| top_get(u.template.as_str()));
            let Some(Top {
                kind: Kind::File(f),
                path,
                ..
            }) = file
            else {
                continue;
            };
            for wanted in f.wants.iter().filter(|w| is_unit_name(w)) {
                let target = link_target(wanted);
                let origin = format!("{path} (Wants= of {})", u.name);
                let known = units
                    .get(&target)
                    .is_some_and(|t| t.enabled_by.contains(&origin) || t.is_masked());
                if !known && target != u.name {
                    next.entry(target).or_default().push(origin);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        round = next;
    }

    // A socket runs what its service runs.
    let socket_exec: Vec<(String, String)> = units
        .values()
        .into_iter()
        .filter(|u| u.name.ends_with(".socket") && u.exec.is_empty())
        .filter_map(|u| {
            let stem = u.name.strip_suffix(".socket")?;
            let service = match top_get(u.name.as_str()).map(|t| &t.kind) {
                Some(Kind::File(f)) if !f.service.is_empty() => f.service.clone(),
                Some(Kind::File(f)) if f.accept => format!("{stem}@.service"),
                _ => format!("{stem}.service"),
            };
            let exec = units.get(&alias_target(&service)).map(|s| s.exec.clone())?;
            Some((u.name.clone(), exec))
        })
        .collect();
    for (name, exec) in socket_exec {
        if let Some(u) = units.get_mut(&name) {
            u.exec = exec;
        }
    }
    units.into_sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &str, name: &str, text: &str) -> UnitEntry {
        UnitEntry {
            dir: dir.into(),
            name: name.into(),
            link: None,
            text: Some(text.into()),
        }
    }

    fn link(dir: &str, name: &str, target: &str, text: Option<&str>) -> UnitEntry {
        UnitEntry {
            dir: dir.into(),
            name: name.into(),
            link: Some(target.into()),
            text: text.map(str::to_string),
        }
    }

    fn wants(target: &str, name: &str) -> EnableLink {
        EnableLink {
            path: format!("{CONFIG_DIR}/{target}.wants/{name}"),
            name: name.into(),
            runtime: false,
            vendor: false,
        }
    }

    const USR: &str = "/usr/lib/systemd/system";
    const WANTED: &str =
        "[Service]\nExecStart=/usr/sbin/x\n[Install]\nWantedBy=multi-user.target\n";

    fn get<'a>(units: &'a [ServiceUnit], name: &str) -> &'a ServiceUnit {
        units
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("no {name} in {units:?}"))
    }

    #[test]
    fn states() {
        let tree = UnitTree {
            entries: vec![
                link(CONFIG_DIR, "masked.service", "/dev/null", None),
                file(CONFIG_DIR, "empty.service", ""),
                link(
                    CONFIG_DIR,
                    "display-manager.service",
                    "/usr/lib/systemd/system/lightdm.service",
                    Some(WANTED),
                ),
                file(USR, "masked.service", WANTED),
                file(USR, "on.service", WANTED),
                file(USR, "off.service", WANTED),
                file(
                    USR,
                    "lightdm.service",
                    "[Service]\nExecStart=/usr/sbin/lightdm\n[Install]\nAlias=display-manager.service\n",
                ),
                file(USR, "static.service", "[Service]\nExecStart=/bin/true\n"),
                file(USR, "indirect.service", "[Install]\nAlso=indirect.socket\n"),
                file(
                    USR,
                    "indirect.socket",
                    "[Socket]\nListenStream=69\n[Install]\nWantedBy=sockets.target\n",
                ),
            ],
            links: vec![
                wants("multi-user.target", "on.service"),
                wants("multi-user.target", "masked.service"),
            ],
            dirs_found: vec![CONFIG_DIR.into(), USR.into()],
            ..UnitTree::default()
        };
        let units = resolve(tree.clone());
        assert_eq!(get(&units, "masked.service").enabled, "masked");
        assert_eq!(get(&units, "empty.service").enabled, "masked");
        assert_eq!(get(&units, "on.service").enabled, "enabled");
        assert_eq!(
            get(&units, "on.service").enabled_by,
            vec!["/etc/systemd/system/multi-user.target.wants/on.service"]
        );
        assert_eq!(get(&units, "off.service").enabled, "disabled");
        assert_eq!(get(&units, "static.service").enabled, "static");
        assert_eq!(get(&units, "indirect.service").enabled, "indirect");
        assert_eq!(get(&units, "indirect.socket").enabled, "disabled");
        let dm = get(&units, "display-manager.service");
        assert_eq!(
            (dm.enabled.as_str(), dm.alias_of.as_str()),
            ("alias", "lightdm.service")
        );
        let lightdm = get(&units, "lightdm.service");
        assert_eq!(
            lightdm.enabled, "enabled",
            "an alias link in /etc enables its target"
        );
        assert_eq!(
            lightdm.enabled_by,
            vec!["/etc/systemd/system/display-manager.service"]
        );
    }

    #[test]
    fn templates_instances_and_dangling_links() {
        let getty = "[Service]\nExecStart=-/sbin/agetty\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n";
        let tree = UnitTree {
            entries: vec![
                file(USR, "getty@.service", getty),
                link(USR, "autovt@.service", "getty@.service", Some(getty)),
                file(
                    USR,
                    "serial-getty@.service",
                    "[Install]\nWantedBy=getty.target\n",
                ),
            ],
            links: vec![
                wants("getty.target", "getty@tty1.service"),
                wants("getty.target", "getty@tty2.service"),
                wants("multi-user.target", "telnetd.service"),
                EnableLink {
                    path: format!("{RUNTIME_DIR}/multi-user.target.wants/runtime@x.service"),
                    name: "runtime@x.service".into(),
                    runtime: true,
                    vendor: false,
                },
            ],
            dirs_found: vec![USR.into()],
            ..UnitTree::default()
        };
        let units = resolve(tree.clone());
        assert_eq!(get(&units, "getty@.service").enabled, "enabled");
        let tty2 = get(&units, "getty@tty2.service");
        assert_eq!(
            (
                tty2.enabled.as_str(),
                tty2.template.as_str(),
                tty2.exec.as_str()
            ),
            ("enabled", "getty@.service", "/sbin/agetty")
        );
        assert_eq!(get(&units, "autovt@.service").alias_of, "getty@.service");
        assert_eq!(get(&units, "serial-getty@.service").enabled, "disabled");
        assert_eq!(get(&units, "telnetd.service").enabled, "not-found");
        assert_eq!(get(&units, "runtime@x.service").enabled, "not-found");
    }

    #[test]
    fn precedence_linked_and_socket_exec() {
        let tree = UnitTree {
            entries: vec![
                file(
                    CONFIG_DIR,
                    "x.service",
                    "[Service]\nExecStart=/etc/override\n",
                ),
                link(
                    CONFIG_DIR,
                    "vendor.service",
                    "/opt/vendor/vendor.service",
                    Some(WANTED),
                ),
                file(
                    USR,
                    "x.service",
                    "[Service]\nExecStart=/usr/original\n[Install]\nWantedBy=a.target\n",
                ),
                file(
                    USR,
                    "telnet.socket",
                    "[Socket]\nListenStream=23\nAccept=yes\n[Install]\nWantedBy=sockets.target\n",
                ),
                file(
                    USR,
                    "telnet@.service",
                    "[Service]\nExecStart=-/usr/sbin/in.telnetd\n",
                ),
            ],
            links: vec![wants("sockets.target", "telnet.socket")],
            dirs_found: vec![CONFIG_DIR.into(), USR.into()],
            ..UnitTree::default()
        };
        let units = resolve(tree.clone());
        let x = get(&units, "x.service");
        assert_eq!(
            (x.exec.as_str(), x.enabled.as_str(), x.path.as_str()),
            ("/etc/override", "static", "/etc/systemd/system/x.service")
        );
        let v = get(&units, "vendor.service");
        assert_eq!(
            (v.enabled.as_str(), v.path.as_str()),
            ("linked", "/opt/vendor/vendor.service")
        );
        let sock = get(&units, "telnet.socket");
        assert_eq!(
            (sock.enabled.as_str(), sock.exec.as_str()),
            ("enabled", "/usr/sbin/in.telnetd")
        );
    }

    fn vendor_link(dir: &str, target: &str, name: &str) -> EnableLink {
        EnableLink {
            path: format!("{dir}/{target}.wants/{name}"),
            name: name.into(),
            runtime: false,
            vendor: true,
        }
    }

    #[test]
    fn vendor_links_and_dropins_pull_units_in() {
        let tree = UnitTree {
            entries: vec![
                link(RUNTIME_DIR, "masked.service", "/dev/null", None),
                file(USR, "st.service", "[Service]\nExecStart=/usr/sbin/in.telnetd\n"),
                file(USR, "dis.service", WANTED),
                file(USR, "masked.service", WANTED),
                file(USR, "tftp.socket", "[Socket]\nListenDatagram=69\n"),
                file(USR, "tftp.service", "[Service]\nExecStart=/usr/sbin/in.tftpd\n"),
                file(USR, "ssh.service", WANTED),
                file(USR, "getty@.service", "[Service]\nExecStart=/sbin/agetty\n"),
            ],
            links: vec![
                vendor_link(USR, "multi-user.target", "st.service"),
                vendor_link(USR, "multi-user.target", "dis.service"),
                vendor_link(USR, "multi-user.target", "masked.service"),
                vendor_link(USR, "getty.target", "getty@tty9.service"),
                vendor_link(USR, "multi-user.target", "nothing.service"),
            ],
            dropins: vec![
                DropIn {
                    unit: "multi-user.target".into(),
                    path: "/etc/systemd/system/multi-user.target.d/tftp.conf".into(),
                    text: Some("[Unit]\nWants=tftp.socket\n".into()),
                },
                DropIn {
                    unit: "ssh.service".into(),
                    path: "/etc/systemd/system/ssh.service.d/override.conf".into(),
                    text: Some(
                        "[Service]\nExecStart=\nExecStart=/bin/sh -c 'exec /usr/sbin/in.telnetd'\n[Install]\nWantedBy=\n"
                            .into(),
                    ),
                },
                DropIn {
                    unit: "service".into(),
                    path: "/etc/systemd/system/service.d/masked.conf".into(),
                    text: None,
                },
            ],
            dirs_found: vec![RUNTIME_DIR.into(), USR.into()],
            ..UnitTree::default()
        };
        let units = resolve(tree.clone());
        let st = get(&units, "st.service");
        assert_eq!(st.enabled, "static", "systemctl's word stays");
        assert!(st.is_enabled(), "but it starts at boot: {st:?}");
        let dis = get(&units, "dis.service");
        assert_eq!((dis.enabled.as_str(), dis.is_enabled()), ("disabled", true));
        let masked = get(&units, "masked.service");
        assert_eq!(
            (masked.enabled.as_str(), masked.is_enabled()),
            ("masked-runtime", false),
            "a mask in /run beats a vendor link"
        );
        let tftp = get(&units, "tftp.socket");
        assert!(tftp.is_enabled(), "{tftp:?}");
        assert!(tftp.enabled_by[0].contains("Wants= of multi-user.target"));
        assert_eq!(tftp.exec, "/usr/sbin/in.tftpd");
        let ssh = get(&units, "ssh.service");
        assert_eq!(ssh.exec, "/usr/sbin/in.telnetd");
        assert_eq!(
            ssh.enabled, "static",
            "systemctl reads [Install] of drop-ins: WantedBy= emptied there leaves it static"
        );
        assert!(!ssh.is_enabled());
        let tty9 = get(&units, "getty@tty9.service");
        assert_eq!((tty9.enabled.as_str(), tty9.is_enabled()), ("static", true));
        assert!(!units.iter().any(|u| u.name == "nothing.service"));
    }

    #[test]
    fn alias_links_alone_start_nothing_unless_a_boot_target_wants_the_alias() {
        let tree = UnitTree {
            entries: vec![
                link(
                    CONFIG_DIR,
                    "display-manager.service",
                    "/usr/lib/systemd/system/lightdm.service",
                    Some(WANTED),
                ),
                link(
                    CONFIG_DIR,
                    "telnet-alias.service",
                    "/usr/lib/systemd/system/vt.service",
                    Some(WANTED),
                ),
                file(
                    USR,
                    "lightdm.service",
                    "[Service]\nExecStart=/usr/sbin/lightdm\n[Install]\nAlias=display-manager.service\n",
                ),
                file(
                    USR,
                    "vt.service",
                    "[Service]\nExecStart=/usr/sbin/in.telnetd\n[Install]\nAlias=telnet-alias.service\n",
                ),
            ],
            targets: vec![DropIn {
                unit: "graphical.target".into(),
                path: "/usr/lib/systemd/system/graphical.target".into(),
                text: Some(
                    "[Unit]\nRequires=multi-user.target\nWants=display-manager.service\n".into(),
                ),
            }],
            dirs_found: vec![CONFIG_DIR.into(), USR.into()],
            ..UnitTree::default()
        };
        let units = resolve(tree.clone());
        let vt = get(&units, "vt.service");
        assert_eq!(
            (vt.enabled.as_str(), vt.is_enabled()),
            ("enabled", false),
            "systemctl says enabled; the manager starts nothing: {vt:?}"
        );
        let lightdm = get(&units, "lightdm.service");
        assert_eq!(
            (lightdm.enabled.as_str(), lightdm.is_enabled()),
            ("enabled", true),
            "{lightdm:?}"
        );
    }

    #[test]
    fn vendor_wants_of_targets_off_the_boot_path() {
        assert!(wants_dir_off_boot("rescue.target.wants"));
        assert!(wants_dir_off_boot("initrd-root-fs.target.wants"));
        assert!(wants_dir_off_boot("system-update.target.requires"));
        assert!(!wants_dir_off_boot("multi-user.target.wants"));
        assert!(!wants_dir_off_boot("hl7.target.wants"));
        assert!(!wants_dir_off_boot("sockets.target.wants"));
    }

    #[test]
    fn units_that_start_pull_in_what_they_want() {
        let tree = UnitTree {
            entries: vec![
                file(
                    USR,
                    "bridge.service",
                    "[Unit]\nWants=helper.service\n[Service]\nExecStart=/opt/bridge\n[Install]\nWantedBy=multi-user.target\n",
                ),
                file(
                    USR,
                    "helper.service",
                    "[Unit]\nRequires=vt.socket\n[Service]\nExecStart=/opt/helper\n",
                ),
                file(USR, "vt.socket", "[Socket]\nListenStream=23\n"),
                file(
                    USR,
                    "vt.service",
                    "[Service]\nExecStart=/usr/sbin/in.telnetd\n",
                ),
                file(
                    USR,
                    "idle.service",
                    "[Unit]\nWants=idle2.service\n[Service]\nExecStart=/opt/idle\n",
                ),
                file(
                    USR,
                    "idle2.service",
                    "[Service]\nExecStart=/usr/sbin/in.ftpd\n",
                ),
            ],
            links: vec![wants("multi-user.target", "bridge.service")],
            dirs_found: vec![CONFIG_DIR.into(), USR.into()],
            ..UnitTree::default()
        };
        let units = resolve(tree.clone());
        let vt = get(&units, "vt.socket");
        assert!(
            vt.is_enabled(),
            "two steps away from an enabled unit: {vt:?}"
        );
        assert!(
            vt.enabled_by[0].contains("Wants= of helper.service"),
            "{vt:?}"
        );
        assert_eq!(vt.exec, "/usr/sbin/in.telnetd");
        assert!(
            !get(&units, "idle2.service").is_enabled(),
            "wanted only by a unit that does not start"
        );
    }

    #[test]
    fn dropin_owners() {
        assert!(is_dropin_owner("multi-user.target"));
        assert!(is_dropin_owner("service"));
        assert!(is_dropin_owner("ssh.service"));
        assert!(!is_dropin_owner("foo"));
        assert!(!is_dropin_owner(".service"));
    }

    #[test]
    fn names() {
        assert!(is_unit_name("ssh.service") && is_unit_name("telnet.socket"));
        assert!(
            !is_unit_name(".service")
                && !is_unit_name("x.timer")
                && !is_unit_name("multi-user.target.wants")
        );
        assert_eq!(
            split_instance("getty@tty1.service"),
            Some(("getty@.service".into(), "tty1".into()))
        );
        assert!(
            is_template("getty@.service")
                && !is_template("getty@tty1.service")
                && !is_template("ssh.service")
        );
        assert_eq!(split_instance("weird@"), None);
    }

    #[test]
    fn unreadable_unit_is_unknown() {
        let tree = UnitTree {
            entries: vec![UnitEntry {
                dir: USR.into(),
                name: "secret.service".into(),
                link: None,
                text: None,
            }],
            ..UnitTree::default()
        };
        assert_eq!(resolve(tree.clone())[0].enabled, "unknown");
    }
}
