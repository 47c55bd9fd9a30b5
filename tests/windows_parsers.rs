#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! One test per snapshot file: what the reader makes of each source, in the plain fixture and
//! in the awkward shapes PowerShell 5.1 writes (BOM, UTF-16LE, single object, `{value, Count}`,
//! `\/Date(ms)\/`, numbers and booleans as strings).

use stationward::windows::de::parse_date;
use stationward::windows::snapshot::{
    AvProduct, Defender, Firewall, Listeners, OsInfo, Patches, Seen, Service, Snapshot, User, rid,
};
use std::path::Path;

fn load(case: &str) -> Snapshot {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/windows")
        .join(case);
    Snapshot::load(&dir).unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn data<T: Clone>(s: &Seen<T>) -> T {
    s.data()
        .unwrap_or_else(|why| panic!("unseen: {why}"))
        .clone()
}

#[test]
fn manifest() {
    let s = load("hardened");
    assert_eq!(s.info.schema, "stationward.windows-snapshot/1");
    assert_eq!(s.info.collector, "stationward-collect");
    assert!(s.info.elevated);
    assert_eq!(s.info.system_locale, "en-US");
    assert_eq!(s.info.files.len(), 15);
    assert_eq!(s.info.manifest_sha256.len(), 64);
    // A manifest with a UTF-8 BOM reads the same.
    let shapes = load("shapes");
    assert_eq!(shapes.info.hostname, "CS-ICU-01");
}

#[test]
fn os() {
    for case in ["hardened", "shapes"] {
        let os: OsInfo = data(&load(case).sources.os);
        assert_eq!(os.current_build, "19044", "{case}: a number or a string");
        assert_eq!(os.ubr, Some(5011), "{case}");
        assert_eq!(os.sku, Some(191));
        assert_eq!(os.edition_id, "IoTEnterpriseS");
    }
    let server = load("server");
    assert_eq!(data(&server.sources.os).installation_type, "Server");
}

#[test]
fn services() {
    for case in ["hardened", "shapes"] {
        let s: Vec<Service> = data(&load(case).sources.services);
        let w32 = s.iter().find(|s| s.name == "W32Time").unwrap();
        assert!(
            w32.running() && w32.auto_start() && !w32.disabled(),
            "{case}"
        );
        let rr = s.iter().find(|s| s.name == "RemoteRegistry").unwrap();
        assert!(!rr.running() && rr.disabled());
    }
    // SCM numbers: 4 = running, 2 = auto, 4 = disabled.
    let numeric: Service =
        serde_json::from_str(r#"{"Name":"x","State":4,"StartMode":2,"ProcessId":"12"}"#).unwrap();
    assert!(numeric.running() && numeric.auto_start());
    assert_eq!(numeric.process_id, Some(12));
    let disabled: Service = serde_json::from_str(r#"{"Name":"x","StartMode":"4"}"#).unwrap();
    assert!(disabled.disabled() && !disabled.auto_start());
}

#[test]
fn listeners() {
    let l: Listeners = data(&load("hardened").sources.listeners);
    assert_eq!(l.tcp.len(), 5);
    assert_eq!(l.udp.len(), 1);
    assert!(l.processes.iter().any(|p| p.name == "lsass.exe"));
    // A single UDP endpoint written as an object, not an array.
    let s: Listeners = data(&load("shapes").sources.listeners);
    assert_eq!(s.udp.len(), 1);
    assert_eq!(s.udp[0].local_port, Some(123));
}

#[test]
fn users() {
    for case in ["hardened", "shapes", "de-DE"] {
        let u: Vec<User> = data(&load(case).sources.users);
        let admin = u.iter().find(|u| u.rid() == Some(500)).unwrap();
        assert_eq!(admin.is_disabled(), Some(true), "{case}");
        let guest = u.iter().find(|u| u.rid() == Some(501)).unwrap();
        assert_eq!(guest.password_not_required(), Some(true), "{case}");
        let viewer = u.iter().find(|u| u.rid() == Some(1003)).unwrap();
        assert_eq!(viewer.password_not_required(), Some(false), "{case}");
    }
    // de-DE renamed the built-in accounts; the RID still finds them.
    let de: Vec<User> = data(&load("de-DE").sources.users);
    assert_eq!(
        de.iter().find(|u| u.rid() == Some(501)).unwrap().name,
        "Gast"
    );
    // Flags absent: PasswordRequired decides; Disabled absent: the flag decides.
    let u: User = serde_json::from_str(
        r#"{"Name":"a","SID":"S-1-5-21-1-2-3-1005","PasswordRequired":false,"UserFlags":"0x2"}"#,
    )
    .unwrap();
    assert_eq!(u.is_disabled(), Some(true));
    assert_eq!(
        u.password_not_required(),
        Some(false),
        "UserFlags wins over PasswordRequired"
    );
    assert_eq!(rid("S-1-5-32-544"), Some(544));
    assert_eq!(rid("Administrators"), None);
}

#[test]
fn groups() {
    let g = data(&load("hardened").sources.groups);
    let admins = g.iter().find(|g| g.sid == "S-1-5-32-544").unwrap();
    assert_eq!(admins.members.len(), 2);
    // Single member as an object, no members as null.
    let s = data(&load("shapes").sources.groups);
    assert_eq!(
        s.iter()
            .find(|g| g.sid == "S-1-5-32-546")
            .unwrap()
            .members
            .len(),
        1
    );
    assert!(
        s.iter()
            .find(|g| g.sid == "S-1-5-32-555")
            .unwrap()
            .members
            .is_empty()
    );
    let de = data(&load("de-DE").sources.groups);
    assert_eq!(
        de.iter().find(|g| g.sid == "S-1-5-32-544").unwrap().name,
        "Administratoren"
    );
}

#[test]
fn account_policy() {
    let a = data(&load("hardened").sources.account_policy);
    assert_eq!(a.maximum_password_age, Some(365));
    assert_eq!(a.lockout_bad_count, Some(5));
    assert_eq!(a.minimum_password_length, Some(14));
    let ne = load("not-elevated");
    assert_eq!(ne.sources.account_policy.data().err(), Some("not elevated"));
    // The raw UTF-16LE `secedit /export` file instead of the JSON source.
    let shapes = load("shapes");
    assert_eq!(data(&shapes.sources.account_policy), a);
    assert_eq!(
        shapes.sources.account_policy.file().unwrap().name,
        "secpol.inf"
    );
}

#[test]
fn audit_policy() {
    // PascalCase keys (API) and the auditpol CSV column names (de-DE, UTF-16LE in shapes).
    for case in ["hardened", "de-DE", "shapes"] {
        let a = data(&load(case).sources.audit_policy);
        let logon = a
            .iter()
            .find(|r| r.subcategory_guid == "{0CCE9215-69AE-11D9-BED3-505054503030}")
            .unwrap();
        assert_eq!(logon.setting_value, Some(3), "{case}");
    }
    // de-DE keeps the raw `auditpol /backup` CSV with German names and inclusion strings.
    let de_snap = load("de-DE");
    assert_eq!(
        de_snap.sources.audit_policy.file().unwrap().name,
        "auditpol.csv"
    );
    let de = data(&de_snap.sources.audit_policy);
    assert!(de.iter().any(|r| r.subcategory == "Anmelden"));
    assert_eq!(de.len(), 8, "the option row has no subcategory GUID");
}

#[test]
fn firewall() {
    let f: Firewall = data(&load("hardened").sources.firewall);
    assert_eq!(f.current_profiles, ["Public"]);
    assert_eq!(f.profiles.len(), 3);
    assert_eq!(f.rules[0].local_port, ["2575"]);
    assert_eq!(f.rules[0].profile, ["Any"]);
    // Flags enums as `ToString()` writes them.
    let r: stationward::windows::snapshot::FwRule =
        serde_json::from_str(r#"{"Profile":"Domain, Private","LocalPort":"3389","Enabled":true}"#)
            .unwrap();
    assert_eq!(r.profile, ["Domain", "Private"]);
    assert_eq!(r.local_port, ["3389"]);
    assert_eq!(r.enabled, "true");
    let planted: Firewall = data(&load("planted").sources.firewall);
    assert_eq!(planted.profiles[2].enabled, "False");
}

#[test]
fn patches() {
    let p: Patches = data(&load("hardened").sources.patches);
    assert_eq!(p.hot_fixes.len(), 2);
    assert_eq!(p.reboot.cbs_reboot_pending, Some(false));
    assert!(p.update_search.as_ref().unwrap().ok);
    let s: Patches = data(&load("shapes").sources.patches);
    // `\/Date(ms)\/` as PowerShell 5.1 writes it, and a culture-formatted date kept raw.
    assert_eq!(s.hot_fixes[0].installed_on, "/Date(1794441600000)/");
    assert_eq!(
        parse_date(&s.hot_fixes[0].installed_on),
        parse_date("2026-11-12")
    );
    assert_eq!(parse_date(&s.hot_fixes[2].installed_on), None);
    let planted: Patches = data(&load("planted").sources.patches);
    assert_eq!(planted.reboot.pending_file_rename_operations, Some(true));
    assert_eq!(planted.update_search.as_ref().unwrap().updates.len(), 2);
}

#[test]
fn registry() {
    for case in ["hardened", "shapes"] {
        let r = data(&load(case).sources.registry);
        let usb = r
            .iter()
            .find(|v| v.path.ends_with(r"\USBSTOR") && v.name == "Start")
            .unwrap();
        assert!(usb.exists, "{case}");
        assert_eq!(usb.data, serde_json::json!(4));
        let wdigest = r.iter().find(|v| v.name == "UseLogonCredential").unwrap();
        assert!(!wdigest.exists, "{case}: looked for and absent");
    }
}

#[test]
fn defender_and_security_center() {
    let d: Defender = data(&load("hardened").sources.defender);
    assert_eq!(d.real_time_protection_enabled, Some(true));
    assert_eq!(d.antivirus_signature_age, Some(1));
    assert_eq!(
        parse_date(&d.antivirus_signature_last_updated),
        parse_date("2026-11-29T10:00:00Z")
    );
    // Shapes: "True" as a string.
    assert_eq!(
        data(&load("shapes").sources.defender).antivirus_enabled,
        Some(true)
    );
    let av: Vec<AvProduct> = data(&load("shapes").sources.av_products);
    assert_eq!(av.len(), 1, "a single object is one product");
    assert_eq!(
        (av[0].enabled(), av[0].up_to_date()),
        (Some(true), Some(true))
    );
    let off: Vec<AvProduct> = data(&load("planted").sources.av_products);
    assert_eq!(off[0].enabled(), Some(false));
    let server = load("server");
    assert_eq!(
        server.sources.defender.data().err(),
        Some("not present on this edition")
    );
    assert!(server.sources.av_products.data().is_err());
}

#[test]
fn bitlocker() {
    let b = data(&load("hardened").sources.bitlocker);
    assert_eq!(b[0].conversion_status, Some(1));
    assert_eq!(b[0].protection_status, Some(1));
    assert_eq!(b[0].key_protectors, [1, 3]);
    let s = data(&load("shapes").sources.bitlocker);
    assert_eq!(s.len(), 1, "a single volume as an object");
    assert_eq!(
        data(&load("planted").sources.bitlocker)[0].protection_status,
        Some(0)
    );
    // Not elevated: never trusted, even though the file says ok.
    assert_eq!(
        load("not-elevated").sources.bitlocker.data().err(),
        Some("not elevated")
    );
}

#[test]
fn programs() {
    let p = data(&load("hardened").sources.programs);
    assert_eq!(p.len(), 2);
    // The `{value, Count}` wrapper of the PowerShell 5.1 ETS bug.
    let s = data(&load("shapes").sources.programs);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].display_name, "Vitalis Central Station");
}

#[test]
fn eventlog() {
    let e = data(&load("hardened").sources.eventlog);
    let sec = e.iter().find(|l| l.log_name == "Security").unwrap();
    assert_eq!(sec.maximum_size_in_bytes, Some(201_326_592));
    assert_eq!(sec.is_enabled, Some(true));
}

#[test]
fn sshd_config() {
    let server = load("server");
    let text = data(&server.sources.sshd_config);
    assert!(text.contains("PasswordAuthentication no"));
    let hardened = load("hardened");
    assert_eq!(
        hardened.sources.sshd_config.data().err(),
        Some("sshd_config is not in the snapshot")
    );
}
