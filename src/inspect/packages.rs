//! Installed packages: dpkg's status database and `rpm -qa` output. Shared by several areas
//! ("package absent" counts as disabled; patches compare installed against candidates).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPackage {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub arch: String,
    /// dpkg's `Source:` package name (empty when the same as `name` or unknown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// Parses /var/lib/dpkg/status, keeping only packages whose state is "install ok installed"
/// (removed-but-configured packages are not installed software).
pub fn parse_dpkg_status(text: &str) -> Vec<InstalledPackage> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut version, mut arch, mut status, mut source) = ("", "", "", "", "");
        for line in stanza.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                continue; // continuation of a multi-line field
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key {
                "Package" => name = value,
                "Version" => version = value,
                "Architecture" => arch = value,
                "Status" => status = value,
                "Source" => source = value.split_whitespace().next().unwrap_or(""),
                _ => {}
            }
        }
        // "install ok installed" or "hold ok installed": a held package is installed software too.
        let installed = status.ends_with(" installed")
            && (status.starts_with("install ") || status.starts_with("hold "));
        if !name.is_empty() && !version.is_empty() && installed {
            out.push(InstalledPackage {
                name: name.to_string(),
                version: version.to_string(),
                arch: arch.to_string(),
                source: if source == name {
                    String::new()
                } else {
                    source.to_string()
                },
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arch.cmp(&b.arch)));
    out
}

/// The query format stationward asks rpm for; `parse_rpm_qa` reads its output.
pub const RPM_QUERY_FORMAT: &str = "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n";

/// Parses `rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n'`.
pub fn parse_rpm_qa(text: &str) -> Vec<InstalledPackage> {
    let mut out: Vec<InstalledPackage> = text
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (name, version, arch) = (f.next()?, f.next()?, f.next().unwrap_or(""));
            let version = version.strip_prefix("0:").unwrap_or(version);
            Some(InstalledPackage {
                name: name.to_string(),
                version: version.to_string(),
                arch: arch.to_string(),
                source: String::new(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arch.cmp(&b.arch)));
    out
}

/// True when a package of this name is installed.
pub fn is_installed(pkgs: &[InstalledPackage], name: &str) -> bool {
    pkgs.binary_search_by(|p| p.name.as_str().cmp(name)).is_ok()
        || pkgs.iter().any(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status_keeps_only_installed() {
        let text = "Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nSource: openssh\nVersion: 1:9.2p1-2+deb12u3\nDescription: x\n more\n\nPackage: telnetd\nStatus: deinstall ok config-files\nVersion: 0.17-44\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u9\n\nPackage: linux-image-amd64\nStatus: hold ok installed\nVersion: 6.1.119-1\n";
        let p = parse_dpkg_status(text);
        assert_eq!(p.len(), 3);
        assert!(
            is_installed(&p, "linux-image-amd64"),
            "held packages are installed"
        );
        assert_eq!(p[2].name, "openssh-server");
        assert_eq!(p[2].source, "openssh");
        assert_eq!(p[2].version, "1:9.2p1-2+deb12u3");
        assert!(!is_installed(&p, "telnetd"));
    }

    #[test]
    fn rpm_qa_drops_zero_epoch() {
        let p = parse_rpm_qa("openssl 1:3.0.7-27.el9 x86_64\nbash 0:5.1.8-9.el9 x86_64\ngarbage\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].version, "5.1.8-9.el9");
        assert_eq!(p[1].version, "1:3.0.7-27.el9");
    }
}

/// Installed software, from whichever package manager the host has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFacts {
    /// "dpkg", "rpm", or empty when neither was found.
    pub manager: String,
    pub installed: Vec<InstalledPackage>,
    pub unknown: crate::inspect::Unseen,
}

impl PackageFacts {
    pub fn is_installed(&self, name: &str) -> bool {
        is_installed(&self.installed, name)
    }

    pub fn get(&self, name: &str) -> Option<&InstalledPackage> {
        self.installed.iter().find(|p| p.name == name)
    }
}

pub fn collect(host: &dyn crate::host::Host) -> PackageFacts {
    let mut facts = PackageFacts::default();
    match host.read("/var/lib/dpkg/status") {
        Ok(f) => {
            facts.manager = "dpkg".into();
            facts.installed = parse_dpkg_status(&f.text);
            return facts;
        }
        Err(e) if !e.is_not_found() => {
            facts.unknown.insert("packages".into(), e.to_string());
            return facts;
        }
        Err(_) => {}
    }
    // RPM's database is SQLite on current releases: ask rpm itself.
    if host.metadata("/var/lib/rpm").is_ok() || host.metadata("/usr/lib/sysimage/rpm").is_ok() {
        facts.manager = "rpm".into();
        let run = host.run(
            &["rpm", "-qa", "--qf", RPM_QUERY_FORMAT],
            crate::host::DEFAULT_TIMEOUT,
        );
        match run.unusable_reason() {
            None if run.exited_with(&[0]) => facts.installed = parse_rpm_qa(&run.stdout),
            None => {
                facts.unknown.insert(
                    "packages".into(),
                    format!("rpm -qa failed: {}", run.stderr.trim()),
                );
            }
            Some(why) => {
                facts.unknown.insert("packages".into(), why);
            }
        }
        return facts;
    }
    facts.unknown.insert(
        "packages".into(),
        "no dpkg or rpm package database found".into(),
    );
    facts
}
