#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Windows check rules one at a time: the hardened snapshot with one fact changed.

use stationward::checks::{Area, Status};
use stationward::date::Date;
use stationward::policy::Policy;
use stationward::scan::Scan;
use stationward::windows::snapshot::{RegValue, Seen, Snapshot};
use stationward::windows::{self};
use std::path::Path;

fn hardened() -> Snapshot {
    Snapshot::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/windows/hardened"))
        .unwrap()
}

fn policy() -> Policy {
    Policy::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/windows/policy.toml"))
        .unwrap()
}

fn judge_with(snap: Snapshot, p: &Policy) -> Scan {
    let now = Date::new(2026, 12, 1).unwrap().unix_days() * 86_400;
    windows::judge(snap, p, &Area::ALL, now)
}

fn judge(snap: Snapshot) -> Scan {
    judge_with(snap, &policy())
}

fn status(scan: &Scan, id: &str) -> Status {
    scan.finding(id).unwrap().status
}

fn summary(scan: &Scan, id: &str) -> String {
    scan.finding(id).unwrap().summary.clone()
}

macro_rules! data_mut {
    ($seen:expr) => {
        match &mut $seen {
            Seen::Ok { data, .. } => data,
            Seen::Unseen { reason, .. } => panic!("unseen: {reason}"),
        }
    };
}

fn set_reg(s: &mut Snapshot, path: &str, name: &str, value: Option<serde_json::Value>) {
    let regs = data_mut!(s.sources.registry);
    regs.retain(|r| !(r.path == path && r.name == name));
    regs.push(RegValue {
        path: path.into(),
        name: name.into(),
        exists: value.is_some(),
        r#type: "REG_DWORD".into(),
        data: value.unwrap_or(serde_json::Value::Null),
    });
}

const TS_LOCAL: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
const TS_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const RDP_TCP: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";

#[test]
fn a_servicing_reboot_key_warns() {
    let mut s = hardened();
    data_mut!(s.sources.patches).reboot.cbs_reboot_pending = Some(true);
    let scan = judge(s);
    assert_eq!(status(&scan, "patches.reboot_required"), Status::Warn);
    let mut s = hardened();
    data_mut!(s.sources.patches)
        .reboot
        .windows_update_reboot_required = None;
    assert_eq!(
        status(&judge(s), "patches.reboot_required"),
        Status::Unknown
    );
}

#[test]
fn rdp_with_nla_needs_approval_and_the_policy_value_wins() {
    // Local RDP on with NLA: still a finding unless the site approved RDP.
    let mut s = hardened();
    set_reg(&mut s, TS_POLICY, "fDenyTSConnections", None);
    set_reg(&mut s, TS_LOCAL, "fDenyTSConnections", Some(0.into()));
    let scan = judge(s);
    assert_eq!(status(&scan, "remote.tools"), Status::Fail);
    assert!(summary(&scan, "remote.tools").contains("not approved"));

    let mut approved = policy();
    approved.approved_remote_tools.push("rdp".into());
    let mut s = hardened();
    set_reg(&mut s, TS_POLICY, "fDenyTSConnections", None);
    set_reg(&mut s, TS_LOCAL, "fDenyTSConnections", Some(0.into()));
    assert_eq!(
        status(&judge_with(s, &approved), "remote.tools"),
        Status::Pass
    );

    // Group Policy denies RDP although the local value allows it: RDP is off.
    let mut s = hardened();
    set_reg(&mut s, TS_LOCAL, "fDenyTSConnections", Some(0.into()));
    set_reg(&mut s, RDP_TCP, "UserAuthentication", Some(0.into()));
    assert_eq!(status(&judge(s), "remote.tools"), Status::Pass);

    // The NLA policy value wins over the local RDP-Tcp value.
    let mut s = hardened();
    set_reg(&mut s, TS_POLICY, "fDenyTSConnections", Some(0.into()));
    set_reg(&mut s, TS_POLICY, "UserAuthentication", Some(0.into()));
    let scan = judge_with(s, &approved);
    assert_eq!(status(&scan, "remote.tools"), Status::Fail);
    assert!(summary(&scan, "remote.tools").contains("without Network Level Authentication"));
}

#[test]
fn registry_not_collected_is_unknown_never_pass() {
    let mut s = hardened();
    data_mut!(s.sources.registry).retain(|r| !r.path.ends_with(r"\USBSTOR"));
    data_mut!(s.sources.registry).retain(|r| r.name != "Deny_All");
    let scan = judge(s);
    assert_eq!(status(&scan, "media.usb_storage"), Status::Unknown);

    let mut s = hardened();
    data_mut!(s.sources.registry).retain(|r| r.name != "LmCompatibilityLevel");
    let scan = judge(s);
    assert_eq!(status(&scan, "os.security_options"), Status::Unknown);

    let mut s = hardened();
    s.sources.registry = Seen::Unseen {
        file: None,
        reason: "API error 5: access denied".into(),
    };
    let scan = judge(s);
    for id in [
        "media.usb_storage",
        "os.security_options",
        "remote.tools",
        "time.sync",
    ] {
        assert_eq!(status(&scan, id), Status::Unknown, "{id}");
        assert!(
            summary(&scan, id).contains("access denied"),
            "{id}: {}",
            summary(&scan, id)
        );
    }
}

#[test]
fn usb_blocked_by_policy_but_autoplay_on_warns() {
    let mut s = hardened();
    set_reg(
        &mut s,
        r"HKLM\SYSTEM\CurrentControlSet\Services\USBSTOR",
        "Start",
        Some(3.into()),
    );
    set_reg(
        &mut s,
        r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer",
        "NoDriveTypeAutoRun",
        None,
    );
    assert_eq!(status(&judge(s), "media.usb_storage"), Status::Warn);
}

#[test]
fn defender_passive_with_a_third_party_product_passes_and_alone_fails() {
    let mut s = hardened();
    let d = data_mut!(s.sources.defender);
    d.real_time_protection_enabled = Some(false);
    d.am_running_mode = "Passive Mode".into();
    let av = data_mut!(s.sources.av_products);
    av.push(stationward::windows::snapshot::AvProduct {
        display_name: "Contoso Endpoint (invented)".into(),
        product_state: Some(0x41000),
        path_to_signed_product_exe: r"C:\Program Files\Contoso\agent.exe".into(),
    });
    av[0].product_state = Some(0x60100);
    let scan = judge(s);
    assert_eq!(status(&scan, "malware.present"), Status::Pass);
    assert!(summary(&scan, "malware.present").contains("Contoso"));

    // Old signatures warn.
    let mut s = hardened();
    data_mut!(s.sources.defender).antivirus_signature_age = Some(30);
    assert_eq!(status(&judge(s), "malware.present"), Status::Warn);

    // An out-of-date third-party product does not count.
    let mut s = hardened();
    data_mut!(s.sources.defender).real_time_protection_enabled = Some(false);
    let av = data_mut!(s.sources.av_products);
    av.push(stationward::windows::snapshot::AvProduct {
        display_name: "Contoso Endpoint (invented)".into(),
        product_state: Some(0x41010),
        path_to_signed_product_exe: String::new(),
    });
    assert_eq!(status(&judge(s), "malware.present"), Status::Fail);
}

#[test]
fn an_allow_rule_makes_a_risky_port_reachable() {
    let mut s = hardened();
    let fw = data_mut!(s.sources.firewall);
    fw.rules.push(stationward::windows::snapshot::FwRule {
        name: "RPC-In".into(),
        enabled: "True".into(),
        direction: "Inbound".into(),
        action: "Allow".into(),
        profile: vec!["Public".into()],
        protocol: "TCP".into(),
        local_port: vec!["100-200".into()],
        program: "Any".into(),
        service: "Any".into(),
        ..Default::default()
    });
    let scan = judge(s);
    assert_eq!(status(&scan, "network.risky_ports"), Status::Fail);
    assert!(summary(&scan, "network.risky_ports").contains("135/tcp"));

    // The same rule for another profile than the active one changes nothing.
    let mut s = hardened();
    let fw = data_mut!(s.sources.firewall);
    fw.rules.push(stationward::windows::snapshot::FwRule {
        name: "RPC-In-Domain".into(),
        enabled: "True".into(),
        direction: "Inbound".into(),
        action: "Allow".into(),
        profile: vec!["Domain".into()],
        protocol: "TCP".into(),
        local_port: vec!["RPCEPMap".into()],
        ..Default::default()
    });
    assert_eq!(status(&judge(s), "network.risky_ports"), Status::Pass);

    // Default inbound Allow opens everything.
    let mut s = hardened();
    data_mut!(s.sources.firewall).profiles[2].default_inbound_action = "Allow".into();
    let scan = judge(s);
    assert_eq!(status(&scan, "network.risky_ports"), Status::Fail);
    assert_eq!(status(&scan, "firewall.default_deny_inbound"), Status::Fail);
}

#[test]
fn bitlocker_states() {
    for (conv, prot, want) in [
        (Some(1), Some(1), Status::Pass),
        (Some(1), Some(0), Status::Fail),
        (Some(0), Some(0), Status::Fail),
        (Some(2), Some(0), Status::Warn),
        (Some(3), Some(1), Status::Fail),
        (Some(1), Some(2), Status::Unknown),
    ] {
        let mut s = hardened();
        let v = &mut data_mut!(s.sources.bitlocker)[0];
        v.conversion_status = conv;
        v.protection_status = prot;
        assert_eq!(
            status(&judge(s), "storage.encryption"),
            want,
            "{conv:?} {prot:?}"
        );
    }
}

#[test]
fn audit_needs_every_required_bit() {
    let mut s = hardened();
    for row in data_mut!(s.sources.audit_policy).iter_mut() {
        if row.subcategory_guid == "{0CCE923F-69AE-11D9-BED3-505054503030}" {
            row.setting_value = Some(1); // success only; failure required too
        }
    }
    let scan = judge(s);
    assert_eq!(status(&scan, "logging.audit"), Status::Fail);
    assert!(summary(&scan, "logging.audit").contains("Credential Validation"));
    // A missing subcategory row is not a pass.
    let mut s = hardened();
    data_mut!(s.sources.audit_policy)
        .retain(|r| r.subcategory_guid != "{0CCE9217-69AE-11D9-BED3-505054503030}");
    assert_eq!(status(&judge(s), "logging.audit"), Status::Fail);
}

#[test]
fn time_sync_rules() {
    let local = r"HKLM\SYSTEM\CurrentControlSet\Services\W32Time\Parameters";
    let pol = r"HKLM\SOFTWARE\Policies\Microsoft\W32Time\Parameters";
    let mut s = hardened();
    set_reg(&mut s, pol, "Type", Some("NoSync".into()));
    assert_eq!(status(&judge(s), "time.sync"), Status::Fail);
    let mut s = hardened();
    set_reg(&mut s, local, "Type", Some("NT5DS".into()));
    for svc in data_mut!(s.sources.services).iter_mut() {
        if svc.name == "W32Time" {
            svc.state = "Stopped".into();
            svc.start_mode = "Manual".into();
        }
    }
    assert_eq!(status(&judge(s), "time.sync"), Status::Warn);
}

#[test]
fn unseen_sources_make_their_checks_unknown_with_the_reason() {
    let mut s = hardened();
    s.sources.users = Seen::Unseen {
        file: None,
        reason: "API error 5: access denied".into(),
    };
    s.sources.firewall = Seen::Unseen {
        file: None,
        reason: "firewall.json is not in the snapshot".into(),
    };
    let scan = judge(s);
    for id in [
        "accounts.no_empty_passwords",
        "accounts.builtin_accounts",
        "accounts.default_names",
        "firewall.active",
        "firewall.default_deny_inbound",
        "firewall.listeners_covered",
    ] {
        assert_eq!(status(&scan, id), Status::Unknown, "{id}");
    }
    assert!(summary(&scan, "accounts.builtin_accounts").contains("access denied"));
    // A risky listener whose reachability cannot be judged is unknown, not pass.
    assert_eq!(status(&scan, "network.risky_ports"), Status::Unknown);
}

#[test]
fn unlisted_build_is_unknown_for_support() {
    let mut s = hardened();
    data_mut!(s.sources.os).current_build = "18363".into();
    let scan = judge(s);
    assert_eq!(status(&scan, "patches.os_supported"), Status::Unknown);
    // Below the vendor UBR baseline is a missing security update.
    let mut s = hardened();
    data_mut!(s.sources.os).ubr = Some(4000);
    let scan = judge(s);
    assert_eq!(status(&scan, "patches.pending_security"), Status::Fail);
    assert!(summary(&scan, "patches.pending_security").contains("below the vendor-approved"));
}

#[test]
fn station_text_never_reaches_the_terminal_raw() {
    let mut s = hardened();
    data_mut!(s.sources.services).push(stationward::windows::snapshot::Service {
        name: "Evil\u{1b}]0;pwned\u{7}".into(),
        state: "Running".into(),
        start_mode: "Auto".into(),
        path_name: r"C:\evil.exe".into(),
        ..Default::default()
    });
    data_mut!(s.sources.os).computer_name = "CS\u{1b}[2J-01".into();
    let scan = judge(s);
    let f = scan.finding("services.unexpected").unwrap();
    assert_eq!(f.status, Status::Warn);
    assert!(
        f.summary.contains("Evil\\x1b]0;pwned\\x07"),
        "{}",
        f.summary
    );
    for f in &scan.findings {
        assert!(!f.summary.contains('\u{1b}'), "{}", f.check);
        assert!(
            f.details.iter().all(|d| !d.contains('\u{1b}')),
            "{}",
            f.check
        );
    }
    assert!(!scan.host.hostname.contains('\u{1b}'));
}

#[test]
fn signature_age_falls_back_to_the_last_update_date() {
    let mut s = hardened();
    let d = data_mut!(s.sources.defender);
    d.antivirus_signature_age = None;
    d.antivirus_signature_last_updated = "2026-11-01T00:00:00Z".into();
    let scan = judge(s);
    assert_eq!(status(&scan, "malware.present"), Status::Warn);
    assert!(summary(&scan, "malware.present").contains("29 day(s)"));
}

#[test]
fn audit_details_show_the_security_log() {
    let scan = judge(hardened());
    let f = scan.finding("logging.audit").unwrap();
    assert!(
        f.details
            .iter()
            .any(|d| d.starts_with("Security log: enabled, at most 192 MB")),
        "{:?}",
        f.details
    );
}
