//! When Microsoft stops shipping security updates for a Windows build and edition family.
//!
//! A dated table, like the Linux release table: rows are keyed by (build, edition family)
//! because the same build ends on different dates per channel (Enterprise LTSC 2021 and IoT
//! Enterprise LTSC 2021 are both 19044). Sources: Microsoft lifecycle pages for each
//! product, as listed in WINDOWS.md §1.1 (table as of 2026-11). An unlisted build or
//! edition is `unknown`, never supported by default.

use crate::date::Date;

/// Which servicing channel an installation follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Enterprise LTSB/LTSC (`EnterpriseS`).
    Ltsc,
    /// IoT Enterprise LTSB/LTSC (`IoTEnterpriseS`, SKU 191): longer support.
    IotLtsc,
    /// Windows Server (LTSC releases).
    Server,
    /// General availability channel, Enterprise/Education/IoT Enterprise.
    GaEnterprise,
    /// General availability channel, Home/Pro.
    GaConsumer,
}

impl Family {
    pub fn classify(edition_id: &str, installation_type: &str, sku: Option<i64>) -> Family {
        let e = edition_id.trim().to_ascii_lowercase();
        if installation_type
            .trim()
            .to_ascii_lowercase()
            .starts_with("server")
            || e.starts_with("server")
        {
            Family::Server
        } else if e.starts_with("iotenterprises") || sku == Some(191) {
            Family::IotLtsc
        } else if e.starts_with("enterprises") {
            Family::Ltsc
        } else if e.starts_with("enterprise")
            || e.starts_with("education")
            || e.starts_with("iotenterprise")
        {
            Family::GaEnterprise
        } else {
            Family::GaConsumer
        }
    }
}

/// (build, family, product name, last day of security updates)
/// (year, month, day)
type Ymd = (i32, u8, u8);

const TABLE: &[(u32, Family, &str, Ymd)] = &[
    (
        10240,
        Family::Ltsc,
        "Windows 10 Enterprise LTSB 2015",
        (2025, 10, 14),
    ),
    (
        10240,
        Family::IotLtsc,
        "Windows 10 IoT Enterprise LTSB 2015",
        (2025, 10, 14),
    ),
    (
        14393,
        Family::Ltsc,
        "Windows 10 Enterprise LTSB 2016",
        (2026, 10, 13),
    ),
    (
        14393,
        Family::IotLtsc,
        "Windows 10 IoT Enterprise LTSB 2016",
        (2026, 10, 13),
    ),
    (14393, Family::Server, "Windows Server 2016", (2027, 1, 12)),
    (
        17763,
        Family::Ltsc,
        "Windows 10 Enterprise LTSC 2019",
        (2029, 1, 9),
    ),
    (
        17763,
        Family::IotLtsc,
        "Windows 10 IoT Enterprise LTSC 2019",
        (2029, 1, 9),
    ),
    (17763, Family::Server, "Windows Server 2019", (2029, 1, 9)),
    (
        19044,
        Family::Ltsc,
        "Windows 10 Enterprise LTSC 2021",
        (2027, 1, 12),
    ),
    (
        19044,
        Family::IotLtsc,
        "Windows 10 IoT Enterprise LTSC 2021",
        (2032, 1, 13),
    ),
    (
        19045,
        Family::GaEnterprise,
        "Windows 10 22H2 Enterprise/Education",
        (2025, 10, 14),
    ),
    (
        19045,
        Family::GaConsumer,
        "Windows 10 22H2 Home/Pro",
        (2025, 10, 14),
    ),
    (20348, Family::Server, "Windows Server 2022", (2031, 10, 14)),
    (
        22621,
        Family::GaEnterprise,
        "Windows 11 22H2 Enterprise/Education",
        (2025, 10, 14),
    ),
    (
        22621,
        Family::GaConsumer,
        "Windows 11 22H2 Home/Pro",
        (2024, 10, 8),
    ),
    (
        22631,
        Family::GaEnterprise,
        "Windows 11 23H2 Enterprise/Education",
        (2026, 11, 10),
    ),
    (
        22631,
        Family::GaConsumer,
        "Windows 11 23H2 Home/Pro",
        (2025, 11, 11),
    ),
    (
        26100,
        Family::Ltsc,
        "Windows 11 Enterprise LTSC 2024",
        (2029, 10, 9),
    ),
    (
        26100,
        Family::IotLtsc,
        "Windows 11 IoT Enterprise LTSC 2024",
        (2034, 10, 10),
    ),
    (26100, Family::Server, "Windows Server 2025", (2034, 10, 10)),
    (
        26100,
        Family::GaEnterprise,
        "Windows 11 24H2 Enterprise/Education",
        (2027, 10, 12),
    ),
    (
        26100,
        Family::GaConsumer,
        "Windows 11 24H2 Home/Pro",
        (2026, 10, 13),
    ),
];

/// The product and its end of security updates, if the table knows it.
pub fn lookup(build: u32, family: Family) -> Option<(&'static str, Date)> {
    TABLE
        .iter()
        .find(|(b, f, _, _)| *b == build && *f == family)
        .and_then(|(_, _, name, (y, m, d))| Date::new(*y, *m, *d).map(|date| (*name, date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ltsc_and_iot_differ_on_the_same_build() {
        let ent = lookup(19044, Family::classify("EnterpriseS", "Client", Some(125)));
        let iot = lookup(
            19044,
            Family::classify("IoTEnterpriseS", "Client", Some(191)),
        );
        assert_eq!(ent.map(|e| e.1.to_string()).as_deref(), Some("2027-01-12"));
        assert_eq!(iot.map(|e| e.1.to_string()).as_deref(), Some("2032-01-13"));
        // SKU 191 alone identifies IoT Enterprise LTSC.
        assert_eq!(
            Family::classify("EnterpriseS", "Client", Some(191)),
            Family::IotLtsc
        );
    }

    #[test]
    fn server_and_unknown_builds() {
        assert_eq!(
            Family::classify("ServerStandard", "Server", Some(7)),
            Family::Server
        );
        assert_eq!(
            lookup(17763, Family::Server).map(|e| e.0),
            Some("Windows Server 2019")
        );
        assert!(lookup(18363, Family::GaEnterprise).is_none());
        assert_eq!(
            Family::classify("Professional", "Client", Some(48)),
            Family::GaConsumer
        );
    }
}
