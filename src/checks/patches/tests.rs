use super::*;
use crate::date::Date;
use crate::inspect::identity::HostIdentity;
use crate::inspect::packages::{InstalledPackage, PackageFacts};
use crate::inspect::patches::lifecycle::{OsLifecycle, lookup};
use crate::inspect::patches::{KernelStatus, parse_apt_list_upgradable};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 25,
};

fn ctx() -> CheckContext {
    CheckContext {
        today: TODAY,
        now: TODAY.unix_days() * 86_400 + 8 * 3600,
        privileged: true,
        live: true,
    }
}

fn policy() -> Policy {
    let Ok(p) = Policy::builtin() else {
        panic!("builtin policy must parse");
    };
    p
}

fn days_ago(days: i64) -> String {
    crate::date::rfc3339_utc(ctx().now - days * 86_400)
}

fn update(name: &str, installed: &str, candidate: &str, security: bool) -> PendingUpdate {
    PendingUpdate {
        name: name.into(),
        arch: "amd64".into(),
        installed: installed.into(),
        candidate: candidate.into(),
        security,
        origins: vec![if security {
            "oldstable-security".into()
        } else {
            "oldstable".into()
        }],
        security_via: String::new(),
    }
}

/// A clean, current Debian 12 station.
fn clean() -> Facts {
    Facts {
        identity: HostIdentity {
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            os_id: "debian".into(),
            os_version_id: "12".into(),
            kernel: "6.1.0-28-amd64".into(),
            ..HostIdentity::default()
        },
        packages: PackageFacts {
            manager: "dpkg".into(),
            installed: vec![
                InstalledPackage {
                    name: "openssl".into(),
                    version: "3.0.15-1~deb12u1".into(),
                    arch: "amd64".into(),
                    source: String::new(),
                },
                InstalledPackage {
                    name: "bash".into(),
                    version: "5.2.15-2+b8".into(),
                    arch: "amd64".into(),
                    source: String::new(),
                },
            ],
            ..PackageFacts::default()
        },
        patches: PatchesFacts {
            manager: "apt".into(),
            source: "apt list --upgradable".into(),
            lists_age_days: Some(1),
            lists_updated: Some(days_ago(1)),
            reboot_required: Some(false),
            last_upgrade: Some(days_ago(10)),
            last_upgrade_source: "/var/log/apt/history.log".into(),
            kernel: Some(KernelStatus {
                running: "6.1.0-28-amd64".into(),
                outdated: Some(false),
                ..KernelStatus::default()
            }),
            os_lifecycle: lookup("debian", "12").map(OsLifecycle::from),
            ..PatchesFacts::default()
        },
        areas: vec![Area::Patches],
        ..Facts::default()
    }
}

fn status_of(facts: &Facts, policy: &Policy, id: &str) -> (Status, String) {
    let all = evaluate(facts, policy, &ctx());
    assert_eq!(all.len(), 6);
    let f = all.into_iter().find(|f| f.check == id);
    f.map_or((Status::NotApplicable, String::new()), |f| {
        (f.status, f.summary)
    })
}

#[test]
fn clean_station_passes_everything() {
    let facts = clean();
    for f in evaluate(&facts, &policy(), &ctx()) {
        assert_eq!(f.status, Status::Pass, "{}: {}", f.check, f.summary);
    }
    let (_, s) = status_of(&facts, &policy(), "patches.os_supported");
    assert!(s.contains("Debian LTS until 2028-06-30"), "{s}");
}

#[test]
fn pending_security_fails_and_all_warns() {
    let mut facts = clean();
    facts.patches.pending = vec![
        update("openssl", "3.0.15-1~deb12u1", "3.0.17-1~deb12u2", true),
        update("bash", "5.2.15-2+b8", "5.2.15-2+b13", false),
    ];
    let (s, summary) = status_of(&facts, &policy(), "patches.pending_security");
    assert_eq!(
        (s, summary.as_str()),
        (Status::Fail, "1 security update(s) pending")
    );
    let (s, summary) = status_of(&facts, &policy(), "patches.pending_all");
    assert_eq!(s, Status::Warn);
    assert!(
        summary.starts_with("2 update(s) pending (1 security)"),
        "{summary}"
    );
}

#[test]
fn real_apt_list_capture_counts() {
    let mut facts = clean();
    facts.patches.pending = parse_apt_list_upgradable(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/patches/apt-list-upgradable.txt"
    )))
    .updates;
    let all = evaluate(&facts, &policy(), &ctx());
    let sec = all.iter().find(|f| f.check == "patches.pending_security");
    assert_eq!(
        sec.map(|f| f.summary.as_str()),
        Some("81 security update(s) pending")
    );
    assert_eq!(sec.map(|f| f.details.len()), Some(81));
}

#[test]
fn unknown_pending_is_never_a_pass() {
    let mut facts = clean();
    facts
        .patches
        .unknown
        .insert(PatchesGap::Pending, "apt is not installed".into());
    for id in ["patches.pending_security", "patches.pending_all"] {
        let (s, summary) = status_of(&facts, &policy(), id);
        assert_eq!(s, Status::Unknown);
        assert!(summary.contains("apt is not installed"));
    }
    let mut facts = clean();
    facts
        .patches
        .unknown
        .insert(PatchesGap::Security, "no complete security list".into());
    assert_eq!(
        status_of(&facts, &policy(), "patches.pending_security").0,
        Status::Unknown
    );
    assert_eq!(
        status_of(&facts, &policy(), "patches.pending_all").0,
        Status::Pass
    );
    let mut facts = clean();
    facts
        .patches
        .unknown
        .insert(PatchesGap::PendingPartial, "lists cut".into());
    assert_eq!(
        status_of(&facts, &policy(), "patches.pending_all").0,
        Status::Unknown
    );
    facts.patches.pending = vec![update("bash", "1", "2", false)];
    let (s, summary) = status_of(&facts, &policy(), "patches.pending_all");
    assert_eq!(s, Status::Warn);
    assert!(summary.starts_with("at least 1"));
}

#[test]
fn baseline_asks_only_for_approved_versions() {
    let mut facts = clean();
    facts.patches.pending = vec![
        update("openssl", "3.0.15-1~deb12u1", "3.0.17-1~deb12u2", true),
        update("bash", "5.2.15-2+b8", "5.2.15-2+b13", false),
    ];
    let mut policy = policy();
    // Approved openssl equals the candidate; bash's approved version is already installed.
    policy
        .patch_baseline
        .insert("openssl".into(), "3.0.17-1~deb12u2".into());
    policy
        .patch_baseline
        .insert("bash".into(), "5.2.15-2+b8".into());
    policy
        .patch_baseline
        .insert("telnetd".into(), "0.17-44".into());
    let (s, summary) = status_of(&facts, &policy, "patches.pending_security");
    assert_eq!(
        (s, summary.as_str()),
        (Status::Fail, "1 approved security update(s) pending")
    );
    let (s, summary) = status_of(&facts, &policy, "patches.pending_all");
    assert_eq!(s, Status::Warn);
    assert!(
        summary.starts_with("1 approved update(s) pending"),
        "{summary}"
    );

    // Everything approved is installed: pass, even though newer updates exist.
    policy
        .patch_baseline
        .insert("openssl".into(), "3.0.15-1~deb12u1".into());
    assert_eq!(
        status_of(&facts, &policy, "patches.pending_security").0,
        Status::Pass
    );
    assert_eq!(
        status_of(&facts, &policy, "patches.pending_all").0,
        Status::Pass
    );
    let all = evaluate(&facts, &policy, &ctx());
    let details = all
        .iter()
        .find(|f| f.check == "patches.pending_all")
        .map(|f| f.details.join("\n"));
    assert!(
        details
            .is_some_and(|d| d.contains("not in the approved baseline") || d.contains("telnetd"))
    );

    // An approved version apt does not offer: its security status is unknown.
    policy
        .patch_baseline
        .insert("openssl".into(), "3.0.16-1~deb12u1".into());
    assert_eq!(
        status_of(&facts, &policy, "patches.pending_security").0,
        Status::Unknown
    );
}

#[test]
fn stale_or_missing_lists() {
    let mut facts = clean();
    facts.patches.lists_updated = Some(days_ago(30));
    let (s, summary) = status_of(&facts, &policy(), "patches.data_fresh");
    assert_eq!(s, Status::Warn);
    assert!(summary.contains("counts may be understated"));
    facts.patches.lists_updated = None;
    facts.patches.unknown.insert(
        PatchesGap::ListsAge,
        "needs root to read /var/lib/apt/lists".into(),
    );
    assert_eq!(
        status_of(&facts, &policy(), "patches.data_fresh").0,
        Status::Unknown
    );
    facts.patches.lists_missing = true;
    assert_eq!(
        status_of(&facts, &policy(), "patches.data_fresh").0,
        Status::Warn
    );
}

#[test]
fn reboot_states() {
    let mut facts = clean();
    facts.patches.reboot_required = Some(true);
    facts.patches.reboot_reasons = vec!["/run/reboot-required lists libc6".into()];
    assert_eq!(
        status_of(&facts, &policy(), "patches.reboot_required").0,
        Status::Warn
    );
    facts.patches.reboot_required = None;
    facts.patches.unknown.insert(
        PatchesGap::RebootRequired,
        "offline image: no running system to compare".into(),
    );
    let (s, summary) = status_of(&facts, &policy(), "patches.reboot_required");
    assert_eq!(s, Status::Unknown);
    assert!(summary.contains("offline image"));
}

#[test]
fn last_applied_window() {
    let mut facts = clean();
    facts.patches.last_upgrade = Some(days_ago(100));
    facts.patches.pending = vec![update("bash", "1", "2", false)];
    let (s, summary) = status_of(&facts, &policy(), "patches.last_applied");
    assert_eq!(s, Status::Warn);
    assert!(summary.contains("100 days"));
    // Nothing pending on current lists: an old date is no gap.
    facts.patches.pending.clear();
    assert_eq!(
        status_of(&facts, &policy(), "patches.last_applied").0,
        Status::Pass
    );
    // No upgrade in logs that go back far enough: at least that long.
    facts.patches.last_upgrade = None;
    facts.patches.logs_since = Some(days_ago(60));
    facts
        .patches
        .unknown
        .insert(PatchesGap::LastUpgrade, "no upgrade recorded".into());
    let (s, summary) = status_of(&facts, &policy(), "patches.last_applied");
    assert_eq!(s, Status::Warn);
    assert!(summary.contains("at least 60 days"), "{summary}");
    facts.patches.logs_since = Some(days_ago(5));
    assert_eq!(
        status_of(&facts, &policy(), "patches.last_applied").0,
        Status::Unknown
    );
}

#[test]
fn a_log_not_read_is_no_evidence_of_an_old_update() {
    let mut facts = clean();
    facts.patches.pending = vec![update("bash", "1", "2", false)];
    facts.patches.unknown.insert(
        PatchesGap::Logs,
        "/var/log/apt/history.log: permission denied".into(),
    );
    // What was read is recent: a later update can only be more recent.
    facts.patches.last_upgrade = Some(days_ago(3));
    assert_eq!(
        status_of(&facts, &policy(), "patches.last_applied").0,
        Status::Pass
    );
    // What was read is old: the unread log may hold a later one.
    facts.patches.last_upgrade = Some(days_ago(100));
    let (s, summary) = status_of(&facts, &policy(), "patches.last_applied");
    assert_eq!(s, Status::Unknown, "{summary}");
    // Nothing read at all: unknown, naming the log, not "at least N days".
    facts.patches.last_upgrade = None;
    facts.patches.logs_since = Some(days_ago(60));
    let (s, summary) = status_of(&facts, &policy(), "patches.last_applied");
    assert_eq!(s, Status::Unknown);
    assert!(summary.contains("history.log"), "{summary}");
}

#[test]
fn os_support_table() {
    let mut facts = clean();
    facts.patches.os_lifecycle = lookup("debian", "10").map(OsLifecycle::from);
    let (s, summary) = status_of(&facts, &policy(), "patches.os_supported");
    assert_eq!(s, Status::Fail);
    assert!(summary.contains("2024-06-30"));
    facts.patches.os_lifecycle = lookup("ubuntu", "22.04").map(OsLifecycle::from);
    let (s, summary) = status_of(&facts, &policy(), "patches.os_supported");
    assert_eq!(s, Status::Warn, "{summary}");
    facts.patches.os_lifecycle = lookup("ubuntu", "20.04").map(OsLifecycle::from);
    assert_eq!(
        status_of(&facts, &policy(), "patches.os_supported").0,
        Status::Fail
    );
    facts.patches.os_lifecycle = lookup("rocky", "9.4").map(OsLifecycle::from);
    assert_eq!(
        status_of(&facts, &policy(), "patches.os_supported").0,
        Status::Pass
    );
    facts.patches.os_lifecycle = lookup("debian", "11").map(OsLifecycle::from);
    assert_eq!(
        status_of(&facts, &policy(), "patches.os_supported").0,
        Status::Fail
    );
    facts.patches.os_lifecycle = None;
    facts.patches.unknown.insert(
        PatchesGap::OsLifecycle,
        "Plan 9 is not in the shipped end-of-life table".into(),
    );
    let (s, summary) = status_of(&facts, &policy(), "patches.os_supported");
    assert_eq!(s, Status::Unknown);
    assert!(summary.contains("Plan 9"));
}
