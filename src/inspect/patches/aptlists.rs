//! apt's downloaded package lists (/var/lib/apt/lists): Release headers and Packages indexes.
//! Used offline (installed versions against the tree's own lists) and live (to find security
//! fixes that a newer point-release version superseded, which apt's own output does not show).

use super::debversion;
use std::collections::HashMap;

/// The fields of a Release / InRelease file that say what a list is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseInfo {
    pub origin: String,
    pub label: String,
    pub suite: String,
    pub codename: String,
    /// `NotAutomatic: yes` (backports, experimental): apt never picks these by itself.
    pub not_automatic: bool,
}

impl ReleaseInfo {
    /// A security archive by its suite, codename or label (`bookworm-security`, `Debian-Security`).
    pub fn is_security(&self) -> bool {
        [&self.suite, &self.codename, &self.label]
            .iter()
            .any(|s| s.to_ascii_lowercase().contains("security"))
    }
}

/// Parses the header of a Release or clear-signed InRelease file (stops at the signature).
pub fn parse_release(text: &str) -> ReleaseInfo {
    let mut r = ReleaseInfo::default();
    for line in text.lines() {
        if line.starts_with("-----BEGIN PGP SIGNATURE") {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match key {
            "Origin" => r.origin = value,
            "Label" => r.label = value,
            "Suite" => r.suite = value,
            "Codename" => r.codename = value,
            "NotAutomatic" => r.not_automatic = value.eq_ignore_ascii_case("yes"),
            _ => {}
        }
    }
    r
}

/// One binary package version offered by a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub name: String,
    pub version: String,
    pub arch: String,
}

/// Parses a Packages index. When the text was cut at the read limit, the last stanza may be
/// incomplete and is dropped.
pub fn parse_packages(text: &str, truncated: bool) -> Vec<ListEntry> {
    let mut stanzas: Vec<&str> = text.split("\n\n").collect();
    if truncated {
        stanzas.pop();
    }
    let mut out = Vec::new();
    for stanza in stanzas {
        let (mut name, mut version, mut arch) = ("", "", "");
        for line in stanza.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                continue;
            }
            match line.split_once(':') {
                Some(("Package", v)) => name = v.trim(),
                Some(("Version", v)) => version = v.trim(),
                Some(("Architecture", v)) => arch = v.trim(),
                _ => {}
            }
        }
        if !name.is_empty() && !version.is_empty() && !name.contains(char::is_whitespace) {
            out.push(ListEntry {
                name: name.to_string(),
                version: version.to_string(),
                arch: arch.to_string(),
            });
        }
    }
    out
}

/// How a file in /var/lib/apt/lists is stored, for Packages indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFile {
    Plain,
    /// Compressed with the given extension (`lz4`, `gz`, `xz`, `zst`, `bz2`, `lzma`).
    Compressed(&'static str),
}

/// Whether `file_name` is a binary Packages index, and how it is stored.
pub fn packages_file(file_name: &str) -> Option<ListFile> {
    if file_name.ends_with("_Packages") {
        return Some(ListFile::Plain);
    }
    let (stem, ext) = file_name.rsplit_once('.')?;
    if !stem.ends_with("_Packages") {
        return None;
    }
    ["lz4", "gz", "xz", "zst", "bz2", "lzma"]
        .into_iter()
        .find(|e| *e == ext)
        .map(ListFile::Compressed)
}

/// Whether `file_name` is a Release or InRelease file; returns the prefix its lists share.
pub fn release_prefix(file_name: &str) -> Option<&str> {
    file_name
        .strip_suffix("InRelease")
        .or_else(|| file_name.strip_suffix("Release"))
        .filter(|p| p.ends_with('_'))
}

/// The Release (by its prefix) that a Packages file belongs to: the longest matching prefix.
pub fn release_for<'a>(
    packages_file: &str,
    prefixes: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    prefixes
        .into_iter()
        .filter(|p| packages_file.starts_with(p))
        .max_by_key(|p| p.len())
}

/// One version offered, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub version: String,
    pub arch: String,
    pub suite: String,
    pub security: bool,
    /// From a NotAutomatic list: not a candidate unless apt is told so.
    pub not_automatic: bool,
}

/// Every version the readable lists offer, by package name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvailableIndex {
    pub offers: HashMap<String, Vec<Offer>>,
    pub lists_read: usize,
}

fn arch_matches(offer: &str, installed: &str) -> bool {
    offer == installed
        || offer == "all"
        || installed == "all"
        || offer.is_empty()
        || installed.is_empty()
}

impl AvailableIndex {
    pub fn add(
        &mut self,
        entries: Vec<ListEntry>,
        suite: &str,
        security: bool,
        not_automatic: bool,
    ) {
        self.lists_read += 1;
        for e in entries {
            self.offers.entry(e.name).or_default().push(Offer {
                version: e.version,
                arch: e.arch,
                suite: suite.to_string(),
                security,
                not_automatic,
            });
        }
    }

    fn matching<'a, 'b>(
        &'a self,
        name: &str,
        arch: &'b str,
    ) -> impl Iterator<Item = &'a Offer> + use<'a, 'b> {
        self.offers
            .get(name)
            .into_iter()
            .flatten()
            .filter(move |o| arch_matches(&o.arch, arch))
    }

    /// The highest version apt would consider (NotAutomatic lists left out), if it is newer
    /// than `installed`, with the suites offering it.
    pub fn candidate(
        &self,
        name: &str,
        arch: &str,
        installed: &str,
    ) -> Option<(String, Vec<String>)> {
        let best = self
            .matching(name, arch)
            .filter(|o| !o.not_automatic)
            .max_by(|a, b| debversion::compare(&a.version, &b.version))?;
        if !debversion::is_newer(&best.version, installed) {
            return None;
        }
        let mut suites: Vec<String> = self
            .matching(name, arch)
            .filter(|o| !o.not_automatic && debversion::compare(&o.version, &best.version).is_eq())
            .map(|o| o.suite.clone())
            .collect();
        suites.sort();
        suites.dedup();
        Some((best.version.clone(), suites))
    }

    /// A security-list version newer than `installed` and not newer than `candidate`: the
    /// candidate carries a security fix even when it came from a point release.
    pub fn security_fix(
        &self,
        name: &str,
        arch: &str,
        installed: &str,
        candidate: &str,
    ) -> Option<&Offer> {
        self.matching(name, arch)
            .filter(|o| o.security)
            .filter(|o| {
                debversion::is_newer(&o.version, installed)
                    && !debversion::is_newer(&o.version, candidate)
            })
            .max_by(|a, b| debversion::compare(&a.version, &b.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECURITY_INRELEASE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/patches/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease"
    ));
    const SECURITY_PACKAGES: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/patches/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages"
    ));

    #[test]
    fn release_header_of_real_inrelease() {
        let r = parse_release(SECURITY_INRELEASE);
        assert_eq!(r.label, "Debian-Security");
        assert_eq!(r.suite, "oldstable-security");
        assert_eq!(r.codename, "bookworm-security");
        assert!(r.is_security());
        assert!(!r.not_automatic);
        let bpo = parse_release(
            "Origin: Debian Backports\nSuite: bookworm-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n",
        );
        assert!(bpo.not_automatic && !bpo.is_security());
    }

    #[test]
    fn packages_of_real_list() {
        let entries = parse_packages(SECURITY_PACKAGES, false);
        assert!(
            entries.iter().any(|e| e.name == "openssl"
                && e.version == "3.0.22-1~deb12u2"
                && e.arch == "amd64")
        );
        assert!(
            entries
                .iter()
                .all(|e| !e.name.is_empty() && !e.version.is_empty())
        );
        // A cut read drops the last, possibly partial, stanza.
        let cut = &SECURITY_PACKAGES[..SECURITY_PACKAGES.len() / 2];
        let partial = parse_packages(cut, true);
        assert!(partial.len() < entries.len());
        assert!(partial.iter().all(|p| entries.contains(p)));
    }

    #[test]
    fn hostile_packages_text() {
        assert!(parse_packages("", false).is_empty());
        assert!(parse_packages("Package: a\n", true).is_empty());
        let junk = "Package: a b\nVersion: 1\n\nPackage: \u{FFFD}x\nVersion: 1.0\u{FFFD}\nArchitecture: amd64\n\nVersion: 2\n\n: :\n";
        let e = parse_packages(junk, false);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].version, "1.0\u{FFFD}");
        let big: String = (0..10_000)
            .map(|i| format!("Package: p{i}\nVersion: 1.{i}\nArchitecture: all\n\n"))
            .collect();
        assert_eq!(parse_packages(&big, false).len(), 10_000);
    }

    #[test]
    fn file_names() {
        assert_eq!(
            packages_file("x_dists_bookworm_main_binary-amd64_Packages"),
            Some(ListFile::Plain)
        );
        assert_eq!(
            packages_file("x_dists_bookworm_main_binary-amd64_Packages.lz4"),
            Some(ListFile::Compressed("lz4"))
        );
        assert_eq!(
            packages_file("x_dists_bookworm_main_i18n_Translation-en"),
            None
        );
        assert_eq!(packages_file("x_dists_bookworm_main_source_Sources"), None);
        assert_eq!(packages_file("x_Packages.foo"), None);
        assert_eq!(
            release_prefix("deb.debian.org_debian_dists_bookworm_InRelease"),
            Some("deb.debian.org_debian_dists_bookworm_")
        );
        assert_eq!(release_prefix("x_dists_s_Release"), Some("x_dists_s_"));
        assert_eq!(release_prefix("x_dists_s_Release.gpg"), None);
        let prefixes = [
            "deb.debian.org_debian_dists_bookworm_",
            "deb.debian.org_debian_dists_bookworm-updates_",
        ];
        assert_eq!(
            release_for(
                "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages",
                prefixes
            ),
            Some("deb.debian.org_debian_dists_bookworm-updates_")
        );
    }

    #[test]
    fn candidate_and_superseded_security_fix() {
        let mut idx = AvailableIndex::default();
        let e = |v: &str| ListEntry {
            name: "openssh-client".into(),
            version: v.into(),
            arch: "amd64".into(),
        };
        idx.add(vec![e("1:9.2p1-2+deb12u10")], "oldstable", false, false);
        idx.add(
            vec![e("1:9.2p1-2+deb12u9")],
            "oldstable-security",
            true,
            false,
        );
        idx.add(
            vec![e("1:9.9p1-1~bpo12+1")],
            "bookworm-backports",
            false,
            true,
        );
        let (cand, suites) = idx
            .candidate("openssh-client", "amd64", "1:9.2p1-2+deb12u6")
            .unwrap_or_default();
        assert_eq!(cand, "1:9.2p1-2+deb12u10");
        assert_eq!(suites, vec!["oldstable".to_string()]);
        let fix = idx.security_fix("openssh-client", "amd64", "1:9.2p1-2+deb12u6", &cand);
        assert_eq!(fix.map(|o| o.version.as_str()), Some("1:9.2p1-2+deb12u9"));
        assert!(
            idx.security_fix("openssh-client", "amd64", "1:9.2p1-2+deb12u9", &cand)
                .is_none()
        );
        assert!(
            idx.candidate("openssh-client", "amd64", "1:9.2p1-2+deb12u10")
                .is_none()
        );
        assert!(
            idx.candidate("openssh-client", "i386", "1:9.2p1-2+deb12u6")
                .is_none()
        );
    }
}
