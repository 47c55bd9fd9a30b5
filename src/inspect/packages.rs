//! Installed packages: dpkg's status database and `rpm -qa` output. Shared by several areas
//! ("package absent" counts as disabled; patches compare installed against candidates).

use crate::inspect::gap::PackagesGap;
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

/// Whether a dpkg `Status:` value (`want flag state`) means the package's files are on disk:
/// every state but `not-installed` and `config-files`, whatever the selection (`deinstall ok
/// installed` is still installed until dpkg runs) or flag (`reinstreq`). `half-installed`,
/// `unpacked`, `half-configured` and the trigger states all have the programs in place.
pub fn status_has_files(status: &str) -> bool {
    let mut words = status.split_whitespace();
    let (Some(_want), Some(_flag), Some(state), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    matches!(
        state,
        "installed"
            | "half-installed"
            | "unpacked"
            | "half-configured"
            | "triggers-awaited"
            | "triggers-pending"
    )
}

/// Conffiles that dpkg keeps for packages removed but not purged (`config-files` state):
/// (path, package). Such a package's programs are gone; its init script may remain.
pub fn removed_conffiles(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut removed) = ("", false);
        let mut conffiles: Vec<&str> = Vec::new();
        let mut in_conffiles = false;
        for line in stanza.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                if in_conffiles && let Some(path) = line.split_whitespace().next() {
                    conffiles.push(path);
                }
                continue;
            }
            in_conffiles = false;
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key {
                "Package" => name = value.trim(),
                "Status" => {
                    removed = value.split_whitespace().nth(2) == Some("config-files");
                }
                "Conffiles" => in_conffiles = true,
                _ => {}
            }
        }
        if removed && !name.is_empty() {
            out.extend(
                conffiles
                    .into_iter()
                    .map(|c| (c.to_string(), name.to_string())),
            );
        }
    }
    out
}

/// Parses /var/lib/dpkg/status, keeping the packages whose files are on disk
/// ([`status_has_files`]): removed-but-configured and purged packages are not installed
/// software, while half-configured or unpacked ones are.
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
        let installed = status_has_files(status);
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
    fn dpkg_states_with_files_on_disk() {
        for (status, has) in [
            ("install ok installed", true),
            ("hold ok installed", true),
            ("deinstall ok installed", true),
            ("purge ok installed", true),
            ("install ok half-configured", true),
            ("install ok unpacked", true),
            ("install reinstreq half-installed", true),
            ("install ok triggers-pending", true),
            ("install ok triggers-awaited", true),
            ("deinstall ok config-files", false),
            // Not a dpkg status word (dpkg refuses the database): not installed software.
            ("install ok triggers-awaiting", false),
            ("purge ok not-installed", false),
            ("install ok", false),
            ("install ok installed extra", false),
            ("", false),
        ] {
            assert_eq!(status_has_files(status), has, "{status}");
        }
        let text = "Package: tftpd-hpa\nStatus: deinstall ok config-files\nVersion: 5.2\nConffiles:\n /etc/init.d/tftpd-hpa 0123 \n /etc/default/tftpd-hpa 4567\nDescription: x\n\nPackage: vsftpd\nStatus: deinstall ok installed\nVersion: 3.0.3-13\nConffiles:\n /etc/init.d/vsftpd 89ab\n";
        assert_eq!(
            removed_conffiles(text),
            vec![
                ("/etc/init.d/tftpd-hpa".to_string(), "tftpd-hpa".to_string()),
                (
                    "/etc/default/tftpd-hpa".to_string(),
                    "tftpd-hpa".to_string()
                ),
            ]
        );
        let p = parse_dpkg_status(text);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "vsftpd");
    }

    /// No dpkg database, and the rpm database directory cannot be looked at: the reason
    /// names it, rather than saying there is no database.
    #[test]
    fn an_rpm_database_not_seen_is_named() -> std::io::Result<()> {
        use crate::host::fake::{Fault, FaultyHost};
        use crate::host::{HostKind, Root};
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("var/lib/rpm"))?;
        let root = Root::new(dir.path());
        let denied = FaultyHost::only(
            &root,
            Fault::PermissionDenied,
            HostKind::Root("/faulty".into()),
            "/var/lib/rpm",
        );
        let facts = collect(&denied);
        let why = facts.unseen().unwrap_or_default();
        assert!(why.contains("/var/lib/rpm"), "{why}");
        assert!(facts.installed("rpm").is_none());
        Ok(())
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
    pub unknown: crate::inspect::Unseen<PackagesGap>,
}

impl PackageFacts {
    /// Why the installed packages could not be listed; `None` when they were. The one
    /// visibility rule: a package missing from the list means "not installed" only when
    /// this is `None` (the collector records every failure under `packages`, and no package
    /// manager at all is unseen too).
    pub fn unseen(&self) -> Option<&str> {
        match self.unknown.get(&PackagesGap::Packages) {
            Some(why) => Some(why),
            None if self.manager.is_empty() => Some("no package database"),
            None => None,
        }
    }

    /// Installed (`Some(true)`), not installed (`Some(false)`), or `None` when the package
    /// list could not be read (see [`PackageFacts::unseen`]).
    pub fn installed(&self, name: &str) -> Option<bool> {
        match self.unseen() {
            Some(_) => None,
            None => Some(is_installed(&self.installed, name)),
        }
    }

    /// Listed as installed. An unseen list lists nothing, so this is false both when the
    /// package is absent and when the list could not be read: for checks where an installed
    /// package only adds to a failure; a check that passes on "not installed" asks
    /// [`PackageFacts::installed`].
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
            facts.unknown.insert(PackagesGap::Packages, e.to_string());
            return facts;
        }
        Err(_) => {}
    }
    // RPM's database is SQLite on current releases: ask rpm itself.
    let rpm_db =
        ["/var/lib/rpm", "/usr/lib/sysimage/rpm"].map(|p| crate::host::metadata_optional(host, p));
    if rpm_db.iter().any(|m| matches!(m, Ok(Some(_)))) {
        facts.manager = "rpm".into();
        let run = host.run(
            &["rpm", "-qa", "--qf", RPM_QUERY_FORMAT],
            crate::host::DEFAULT_TIMEOUT,
        );
        match run.unusable_reason() {
            None if run.exited_with(&[0]) => facts.installed = parse_rpm_qa(&run.stdout),
            None => {
                facts.unknown.insert(
                    PackagesGap::Packages,
                    format!("rpm -qa failed: {}", run.stderr.trim()),
                );
            }
            Some(why) => {
                facts.unknown.insert(PackagesGap::Packages, why);
            }
        }
        return facts;
    }
    // A database directory that could not be looked at is not "no database".
    let why = match rpm_db.into_iter().find_map(Result::err) {
        Some(e) => format!("no dpkg package database, and {e}"),
        None => "no dpkg or rpm package database found".into(),
    };
    facts.unknown.insert(PackagesGap::Packages, why);
    facts
}
