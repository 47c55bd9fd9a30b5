//! Shipped end-of-life table: when each release stops getting security updates.
//!
//! Dates are the distributors' published ones. Where a distributor announced only a month,
//! the first day of that month is used, so a warning comes early rather than late. Debian's
//! LTS phase is free and run by the Debian LTS team, so it counts as supported; Ubuntu's
//! ESM needs an Ubuntu Pro subscription, so Ubuntu's end is the end of standard support.
//! Update this table when a distributor announces new dates (and ship a new release).

use crate::date::Date;
use serde::{Deserialize, Serialize};

/// One release's support window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// os-release `ID` values this row applies to.
    pub ids: &'static [&'static str],
    /// Major version as in os-release `VERSION_ID` (before the first dot for the RHEL family).
    pub version: &'static str,
    pub name: &'static str,
    /// End of the distributor's regular security support.
    pub regular_end: Date,
    /// End of the free extended phase (Debian LTS), when there is one.
    pub extended_end: Option<Date>,
    pub extended_name: &'static str,
}

const fn d(year: i32, month: u8, day: u8) -> Date {
    Date { year, month, day }
}

const DEBIAN: &[&str] = &["debian"];
const UBUNTU: &[&str] = &["ubuntu"];
const RHEL: &[&str] = &["rhel"];
const ROCKY: &[&str] = &["rocky"];
const ALMA: &[&str] = &["almalinux"];
const CENTOS: &[&str] = &["centos"];

const fn debian(version: &'static str, name: &'static str, regular: Date, lts: Date) -> Release {
    Release {
        ids: DEBIAN,
        version,
        name,
        regular_end: regular,
        extended_end: Some(lts),
        extended_name: "Debian LTS",
    }
}

const fn plain(
    ids: &'static [&'static str],
    version: &'static str,
    name: &'static str,
    end: Date,
) -> Release {
    Release {
        ids,
        version,
        name,
        regular_end: end,
        extended_end: None,
        extended_name: "",
    }
}

/// The table. Sources: Debian release notes and wiki.debian.org/LTS; ubuntu.com/about/release-cycle;
/// Red Hat Enterprise Linux life cycle (end of maintenance support); Rocky Linux and AlmaLinux
/// release pages; CentOS project announcements.
pub const RELEASES: &[Release] = &[
    debian("9", "Debian 9 (stretch)", d(2020, 7, 6), d(2022, 6, 30)),
    debian("10", "Debian 10 (buster)", d(2022, 9, 10), d(2024, 6, 30)),
    debian("11", "Debian 11 (bullseye)", d(2024, 8, 14), d(2026, 8, 31)),
    debian("12", "Debian 12 (bookworm)", d(2026, 6, 10), d(2028, 6, 30)),
    // Planned: three years after the 2025-08-09 release, LTS to 2030-06-30.
    debian("13", "Debian 13 (trixie)", d(2028, 8, 9), d(2030, 6, 30)),
    plain(UBUNTU, "16.04", "Ubuntu 16.04 LTS", d(2021, 4, 30)),
    plain(UBUNTU, "18.04", "Ubuntu 18.04 LTS", d(2023, 5, 31)),
    plain(UBUNTU, "20.04", "Ubuntu 20.04 LTS", d(2025, 5, 31)),
    // Announced as "April 2027" and "April 2029".
    plain(UBUNTU, "22.04", "Ubuntu 22.04 LTS", d(2027, 4, 1)),
    plain(UBUNTU, "24.04", "Ubuntu 24.04 LTS", d(2029, 4, 1)),
    plain(RHEL, "7", "Red Hat Enterprise Linux 7", d(2024, 6, 30)),
    plain(RHEL, "8", "Red Hat Enterprise Linux 8", d(2029, 5, 31)),
    plain(RHEL, "9", "Red Hat Enterprise Linux 9", d(2032, 5, 31)),
    plain(ROCKY, "8", "Rocky Linux 8", d(2029, 5, 31)),
    plain(ROCKY, "9", "Rocky Linux 9", d(2032, 5, 31)),
    plain(ALMA, "8", "AlmaLinux 8", d(2029, 3, 1)),
    plain(ALMA, "9", "AlmaLinux 9", d(2032, 5, 31)),
    plain(CENTOS, "7", "CentOS Linux 7", d(2024, 6, 30)),
    plain(CENTOS, "8", "CentOS Linux 8 / Stream 8", d(2021, 12, 31)),
];

/// Finds the row for an os-release `ID` and `VERSION_ID`; None for releases not in the table
/// (interim Ubuntu releases, testing/unstable, other distributions).
pub fn lookup(os_id: &str, version_id: &str) -> Option<&'static Release> {
    let id = os_id.trim().to_ascii_lowercase();
    let version = version_id.trim();
    let rhel_like = ["rhel", "rocky", "almalinux", "centos"].contains(&id.as_str());
    let key = if rhel_like {
        version.split('.').next().unwrap_or("")
    } else {
        version
    };
    if key.is_empty() {
        return None;
    }
    RELEASES
        .iter()
        .find(|r| r.ids.contains(&id.as_str()) && r.version == key)
}

/// A release's support window, as recorded in the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsLifecycle {
    pub name: String,
    pub regular_end: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_end: Option<Date>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub extended_name: String,
}

impl OsLifecycle {
    /// The last day security updates are free to get.
    pub fn final_end(&self) -> Date {
        self.extended_end.unwrap_or(self.regular_end)
    }
}

impl From<&Release> for OsLifecycle {
    fn from(r: &Release) -> OsLifecycle {
        OsLifecycle {
            name: r.name.to_string(),
            regular_end: r.regular_end,
            extended_end: r.extended_end,
            extended_name: r.extended_name.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_id_and_version() {
        assert_eq!(
            lookup("debian", "12").map(|r| r.name),
            Some("Debian 12 (bookworm)")
        );
        assert_eq!(
            lookup("ubuntu", "22.04").map(|r| r.regular_end),
            Some(d(2027, 4, 1))
        );
        assert_eq!(lookup("rhel", "9.4").map(|r| r.version), Some("9"));
        assert_eq!(
            lookup("rocky", "8.10").map(|r| r.name),
            Some("Rocky Linux 8")
        );
        assert!(lookup("ubuntu", "23.10").is_none());
        assert!(lookup("debian", "").is_none());
        assert!(lookup("fedora", "40").is_none());
        assert!(lookup("debian", "12.5").is_none());
    }

    #[test]
    fn every_date_is_valid_and_extended_follows_regular() {
        for r in RELEASES {
            assert!(
                Date::new(r.regular_end.year, r.regular_end.month, r.regular_end.day).is_some(),
                "{}",
                r.name
            );
            if let Some(e) = r.extended_end {
                assert!(e > r.regular_end, "{}", r.name);
            }
        }
    }
}
