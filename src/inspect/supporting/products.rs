//! Recognising installed or running software products (remote-access tools, security agents)
//! from the shared package, process and service facts plus a few well-known install paths.

use crate::glob::star as glob_match;
use crate::host::{Host, HostError, ProcessInfo, metadata_optional};
use crate::inspect::packages::PackageFacts;
use crate::inspect::services::ServiceUnit;
use serde::{Deserialize, Serialize};

/// How to recognise one product. Names may use `*` (any run of characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// Short key, also accepted in the policy (e.g. "teamviewer").
    pub key: &'static str,
    /// Name shown to the technician.
    pub name: &'static str,
    pub packages: &'static [&'static str],
    pub processes: &'static [&'static str],
    /// Service names without `.service`.
    pub units: &'static [&'static str],
    /// Install paths whose existence shows the product (for software installed outside the
    /// package manager, and offline trees).
    pub paths: &'static [&'static str],
}

impl Product {
    /// Every name the policy may use for this product.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        [self.key, self.name]
            .into_iter()
            .chain(self.packages.iter().copied())
            .chain(self.processes.iter().copied())
            .chain(self.units.iter().copied())
    }
}

/// A product found on the host and what showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    pub key: String,
    pub name: String,
    /// One line per sign: "package x11vnc 0.9.16", "process x11vnc (pid 812)", ...
    pub signs: Vec<String>,
    pub running: bool,
    /// Some service of the product is enabled.
    pub enabled: bool,
}

/// True when a process is `want` by name, executable file name, or the kernel's 15-character
/// truncation of the name.
pub fn process_is(p: &ProcessInfo, want: &str) -> bool {
    let exe = p.exe.rsplit('/').next().unwrap_or_default();
    let argv0 = p
        .cmdline
        .first()
        .map_or("", |a| a.rsplit('/').next().unwrap_or_default());
    glob_match(want, &p.name)
        || (!exe.is_empty() && glob_match(want, exe))
        || (!argv0.is_empty() && glob_match(want, argv0))
        || (p.name.chars().count() == 15
            && !want.contains('*')
            && want.starts_with(p.name.as_str()))
}

/// Finds each product by package, process, service unit or install path.
pub fn detect(
    products: &[Product],
    packages: &PackageFacts,
    processes: &[ProcessInfo],
    units: &[ServiceUnit],
    paths_found: &[String],
) -> Vec<Detected> {
    let mut out = Vec::new();
    for prod in products {
        let mut d = Detected {
            key: prod.key.to_string(),
            name: prod.name.to_string(),
            signs: Vec::new(),
            running: false,
            enabled: false,
        };
        for pkg in &packages.installed {
            if prod.packages.iter().any(|w| glob_match(w, &pkg.name)) {
                d.signs
                    .push(format!("package {} {}", pkg.name, pkg.version));
            }
        }
        for p in processes {
            if prod.processes.iter().any(|w| process_is(p, w)) {
                d.signs.push(format!("process {} (pid {})", p.name, p.pid));
                d.running = true;
            }
        }
        // Only units that are enabled or running count: asked first, so 100,000 disabled
        // units are not matched against every product's patterns.
        for u in units.iter().filter(|u| u.is_enabled() || u.is_active()) {
            let bare = u.name.strip_suffix(".service").unwrap_or(&u.name);
            if prod.units.iter().any(|w| glob_match(w, bare)) {
                d.signs
                    .push(format!("service {} ({}, {})", u.name, u.enabled, u.active));
                d.enabled |= u.is_enabled();
                d.running |= u.is_active();
            }
        }
        for path in paths_found {
            if prod.paths.iter().any(|w| glob_match(w, path)) {
                d.signs.push(format!("file {path}"));
            }
        }
        if !d.signs.is_empty() {
            out.push(d);
        }
    }
    out
}

/// The install paths of `products` that exist on the host, and the errors of those that
/// could not be looked at (a path whose directory cannot be searched is not "absent").
pub fn find_paths(host: &dyn Host, products: &[Product]) -> (Vec<String>, Vec<HostError>) {
    let mut out = Vec::new();
    let mut unseen = Vec::new();
    for path in products
        .iter()
        .flat_map(|p| p.paths.iter())
        .filter(|path| !path.contains('*'))
    {
        match metadata_optional(host, path) {
            Ok(Some(_)) => out.push((*path).to_string()),
            Ok(None) => {}
            Err(e) => unseen.push(e),
        }
    }
    out.sort();
    out.dedup();
    (out, unseen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::packages::InstalledPackage;

    const DEMO: &[Product] = &[Product {
        key: "demo",
        name: "Demo Remote",
        packages: &["demo-server*"],
        processes: &["demo-remote-desktop-host"],
        units: &["demo@*"],
        paths: &["/opt/demo"],
    }];

    fn proc(name: &str, exe: &str) -> ProcessInfo {
        ProcessInfo {
            pid: 7,
            ppid: None,
            name: name.into(),
            exe: exe.into(),
            cmdline: vec![],
            uid: None,
        }
    }

    #[test]
    fn signs_from_every_source() {
        let pkgs = PackageFacts {
            manager: "dpkg".into(),
            installed: vec![InstalledPackage {
                name: "demo-server-x11".into(),
                version: "1.0".into(),
                arch: String::new(),
                source: String::new(),
            }],
            unknown: crate::inspect::Unseen::default(),
        };
        let units = vec![
            ServiceUnit::new("demo@alice.service", "enabled", "unknown", "systemd"),
            ServiceUnit::new("demo@bob.service", "disabled", "inactive", "systemd"),
        ];
        // The kernel truncates comm to 15 characters.
        let procs = vec![proc("demo-remote-des", ""), proc("bash", "/usr/bin/bash")];
        let d = detect(DEMO, &pkgs, &procs, &units, &["/opt/demo".into()]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].signs.len(), 4, "{:?}", d[0].signs);
        assert!(d[0].running && d[0].enabled);
        assert!(detect(DEMO, &PackageFacts::default(), &[], &[], &[]).is_empty());
    }
}
