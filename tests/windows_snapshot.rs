#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Windows snapshots (`stationward.windows-snapshot/1`): the exact status of every check for
//! each invented fixture, the command line (`scan`, `attest`, `summary` with `--snapshot`),
//! and bad snapshots (one error line, exit 2).

use stationward::checks::{Area, REGISTRY, Status, WINDOWS_ONLY};
use stationward::date::Date;
use stationward::policy::Policy;
use stationward::scan::Scan;
use stationward::windows::{self, snapshot::Snapshot};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/windows")
        .join(case)
}

fn policy() -> Policy {
    Policy::load(&fixture("policy.toml")).unwrap()
}

/// A fixed "now" (the day after the fixtures were collected), so end-of-support dates do
/// not move the expectations.
fn now() -> i64 {
    Date::new(2026, 12, 1).unwrap().unix_days() * 86_400
}

fn judge(case: &str) -> Scan {
    let snap = Snapshot::load(&fixture(case)).unwrap_or_else(|e| panic!("{case}: {e}"));
    windows::judge(snap, &policy(), &Area::ALL, now())
}

fn statuses(scan: &Scan) -> BTreeMap<String, Status> {
    scan.findings
        .iter()
        .map(|f| (f.check.clone(), f.status))
        .collect()
}

use Status::{Fail, NotApplicable as Na, Pass, Unknown, Warn};

/// Every check of the hardened station.
const HARDENED: &[(&str, Status)] = &[
    ("host.identity", Pass),
    ("network.listeners", Pass),
    ("network.risky_ports", Pass),
    // An HL7 listener always asks for the TLS/VPN evidence by hand.
    ("network.hl7_cleartext", Warn),
    ("firewall.active", Pass),
    ("firewall.default_deny_inbound", Pass),
    ("firewall.ipv6_parity", Na),
    ("firewall.listeners_covered", Pass),
    ("services.legacy_cleartext", Pass),
    ("services.unexpected", Pass),
    ("patches.pending_security", Pass),
    ("patches.pending_all", Pass),
    ("patches.data_fresh", Pass),
    ("patches.reboot_required", Pass),
    ("patches.last_applied", Pass),
    ("patches.os_supported", Pass),
    ("accounts.uid0_only_root", Na),
    ("accounts.no_empty_passwords", Pass),
    ("accounts.strong_hashes", Na),
    ("accounts.system_no_login", Na),
    ("accounts.default_names", Pass),
    ("accounts.sudo_nopasswd", Na),
    ("accounts.privileged_members", Pass),
    ("accounts.password_aging", Pass),
    ("accounts.lockout", Pass),
    ("ssh.root_login", Na),
    ("ssh.password_auth", Na),
    ("remote.tools", Pass),
    ("malware.present", Pass),
    ("mac.enforcing", Na),
    ("logging.audit", Pass),
    ("logging.remote", Pass),
    ("time.sync", Pass),
    ("media.usb_storage", Pass),
    ("storage.encryption", Pass),
    ("kernel.sysctl", Na),
    ("accounts.admin_members", Pass),
    ("accounts.builtin_accounts", Pass),
    ("os.security_options", Pass),
];

/// The hardened table with `changes` applied: still one exact status per check.
fn expected(changes: &[(&str, Status)]) -> BTreeMap<String, Status> {
    let mut m: BTreeMap<String, Status> = HARDENED
        .iter()
        .map(|(id, s)| (id.to_string(), *s))
        .collect();
    for (id, s) in changes {
        assert!(m.contains_key(*id), "unknown id in expectation: {id}");
        m.insert(id.to_string(), *s);
    }
    m
}

fn assert_exact(case: &str, scan: &Scan, want: &BTreeMap<String, Status>) {
    let have = statuses(scan);
    let mut wrong = Vec::new();
    for (id, s) in want {
        match have.get(id) {
            Some(h) if h == s => {}
            other => wrong.push(format!(
                "{id}: expected {s:?}, got {other:?} ({})",
                scan.finding(id).map_or("", |f| f.summary.as_str())
            )),
        }
    }
    assert!(wrong.is_empty(), "{case}:\n{}", wrong.join("\n"));
    // One finding per check, Linux ids and Windows-only ids alike, nothing else.
    assert_eq!(
        scan.findings.len(),
        REGISTRY.len() + WINDOWS_ONLY.len(),
        "{case}"
    );
    assert_eq!(want.len(), scan.findings.len(), "{case}: table incomplete");
}

#[test]
fn hardened_has_no_failure_and_exact_statuses() {
    let scan = judge("hardened");
    assert_exact("hardened", &scan, &expected(&[]));
    assert!(!scan.has_failures());
    assert_eq!(scan.host.os, "Windows 10 IoT Enterprise LTSC 2021");
    assert_eq!(scan.host.os_id, "windows");
    assert_eq!(scan.host.hostname, "CS-ICU-01");
}

#[test]
fn planted_flags_every_planted_problem() {
    let scan = judge("planted");
    let want = expected(&[
        // LTSB 2016 (build 14393): security updates ended 2026-10-13.
        ("patches.os_supported", Fail),
        // Guest (RID 501) enabled.
        ("accounts.builtin_accounts", Fail),
        // helpdesk added to S-1-5-32-544.
        ("accounts.admin_members", Warn),
        // ICU-Viewer enabled with PASSWD_NOTREQD (and the enabled Guest carries it too).
        ("accounts.no_empty_passwords", Fail),
        // Public profile off in the ActiveStore while its policy key is absent.
        ("firewall.active", Fail),
        ("firewall.default_deny_inbound", Fail),
        ("firewall.listeners_covered", Warn),
        ("network.risky_ports", Fail),
        ("network.listeners", Warn),
        // RDP on without NLA, and TeamViewer running.
        ("remote.tools", Fail),
        ("services.unexpected", Warn),
        // USB storage enabled, AutoPlay on.
        ("media.usb_storage", Fail),
        // Fully encrypted, protection suspended.
        ("storage.encryption", Fail),
        // Logon auditing off.
        ("logging.audit", Fail),
        // Defender real-time protection off.
        ("malware.present", Fail),
        // Telnet server set to Auto.
        ("services.legacy_cleartext", Fail),
        // Further weaknesses of an unmanaged station.
        ("os.security_options", Fail),
        ("logging.remote", Fail),
        ("accounts.password_aging", Warn),
        ("accounts.lockout", Warn),
        ("patches.pending_security", Fail),
        ("patches.pending_all", Warn),
        ("patches.data_fresh", Warn),
        ("patches.last_applied", Warn),
        // PendingFileRenameOperations alone is not a pending reboot.
        ("patches.reboot_required", Pass),
    ]);
    assert_exact("planted", &scan, &want);
    let f = |id: &str| scan.finding(id).unwrap();
    assert!(
        f("storage.encryption").summary.contains("suspended"),
        "{:?}",
        f("storage.encryption")
    );
    let remote = &f("remote.tools").summary;
    assert!(
        remote.contains("teamviewer") && remote.contains("without Network Level Authentication"),
        "{remote}"
    );
    assert!(f("firewall.active").summary.contains("Public"));
    assert!(
        f("firewall.active")
            .details
            .iter()
            .any(|d| d.starts_with("Public (active): effective False")
                && d.contains("policy EnableFirewall not set")),
        "{:?}",
        f("firewall.active").details
    );
    assert!(f("logging.audit").summary.contains("Logon"));
    assert!(f("accounts.admin_members").summary.contains("-1004"));
    assert!(f("accounts.no_empty_passwords").summary.contains("-1003"));
    assert!(
        f("patches.reboot_required")
            .details
            .iter()
            .any(|d| d.contains("PendingFileRenameOperations: yes (not counted")),
    );
    assert!(f("services.legacy_cleartext").summary.contains("TlntSvr"));
}

#[test]
fn de_de_gives_exactly_the_hardened_results() {
    let hardened = judge("hardened");
    let de = judge("de-DE");
    assert_exact("de-DE", &de, &expected(&[]));
    for (h, d) in hardened.findings.iter().zip(&de.findings) {
        assert_eq!(
            (&h.check, h.status, &h.summary),
            (&d.check, d.status, &d.summary)
        );
    }
    let w = de.facts.windows.as_ref().unwrap();
    assert_eq!(w.snapshot.system_locale, "de-DE");
}

#[test]
fn not_elevated_passes_nothing_it_could_not_see() {
    let scan = judge("not-elevated");
    let admin_only = [
        "accounts.password_aging",
        "accounts.lockout",
        "logging.audit",
        "storage.encryption",
    ];
    let changes: Vec<(&str, Status)> = admin_only.iter().map(|id| (*id, Unknown)).collect();
    assert_exact("not-elevated", &scan, &expected(&changes));
    for id in admin_only {
        let f = scan.finding(id).unwrap();
        assert!(f.summary.ends_with("not elevated"), "{id}: {}", f.summary);
    }
    // bitlocker.json says ok, but a non-elevated collector cannot have read it.
    let w = scan.facts.windows.as_ref().unwrap();
    assert!(w.sources.bitlocker.data().is_err());
    assert!(!scan.privileged);
}

#[test]
fn server_gateway_with_third_party_antivirus() {
    let scan = judge("server");
    let want = expected(&[
        ("ssh.root_login", Na),
        ("ssh.password_auth", Pass),
        ("accounts.admin_members", Warn),
        ("accounts.builtin_accounts", Warn),
    ]);
    assert_exact("server", &scan, &want);
    assert_eq!(scan.host.os, "Windows Server 2019");
    let malware = scan.finding("malware.present").unwrap();
    assert!(malware.summary.contains("SepMasterService"), "{malware:?}");
    assert!(
        malware
            .details
            .iter()
            .any(|d| d.contains("not available on Windows Server")),
        "{malware:?}"
    );
    // One hotfix date is culture-formatted and not trusted; the other decides.
    let last = scan.finding("patches.last_applied").unwrap();
    assert!(last.summary.contains("KB5045600"), "{last:?}");
    assert!(last.details.iter().any(|d| d.contains("1 hotfix date")));
}

#[test]
fn shapes_read_like_the_hardened_station() {
    let hardened = judge("hardened");
    let shapes = judge("shapes");
    assert_exact("shapes", &shapes, &expected(&[]));
    for (h, s) in hardened.findings.iter().zip(&shapes.findings) {
        assert_eq!((&h.check, h.status), (&s.check, s.status));
        assert_eq!(h.summary, s.summary, "{}", h.check);
    }
}

#[test]
fn evidence_names_the_snapshot_file_its_sha256_and_the_item_inside() {
    let scan = judge("planted");
    let w = scan.facts.windows.as_ref().unwrap();
    let f = scan.finding("media.usb_storage").unwrap();
    let sha = w.snapshot.files.get("registry.json").unwrap();
    assert!(
        f.evidence.iter().any(|e| matches!(e,
            stationward::host::Evidence::File { path, sha256, .. }
                if path.ends_with(r"registry.json#HKLM\SYSTEM\CurrentControlSet\Services\USBSTOR\Start")
                    && sha256 == sha)),
        "{:?}",
        f.evidence
    );
    // Every finding is backed by evidence, or is unknown/not applicable with its reason.
    for f in &scan.findings {
        assert!(
            !f.evidence.is_empty() || matches!(f.status, Status::Unknown | Status::NotApplicable),
            "{f:?}"
        );
    }
}

#[test]
fn waivers_apply_to_windows_findings() {
    let mut p = policy();
    p.waivers.push(stationward::policy::Waiver {
        target: stationward::policy::WaiverTarget::Check("accounts.builtin_accounts".into()),
        justification: "test".into(),
        approver: "test".into(),
        expires: Date::new(2027, 1, 1).unwrap(),
    });
    let snap = Snapshot::load(&fixture("planted")).unwrap();
    let scan = windows::judge(snap, &p, &Area::ALL, now());
    assert!(scan.finding("accounts.builtin_accounts").unwrap().waived());
}

#[test]
fn an_area_limits_the_checks() {
    let snap = Snapshot::load(&fixture("hardened")).unwrap();
    let scan = windows::judge(snap, &policy(), &[Area::Accounts], now());
    assert!(
        scan.findings
            .iter()
            .all(|f| stationward::checks::find(&f.check).unwrap().area == Area::Accounts)
    );
    assert!(scan.finding("accounts.admin_members").is_some());
}

// ---- command line -------------------------------------------------------------------------

fn sw(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(args)
        .env("STATIONWARD_DATA_DIR", home)
        .env("STATIONWARD_CONFIG_DIR", home.join("config"))
        .env("STATIONWARD_PASSPHRASE", "correct horse battery")
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn cli_scan_of_the_planted_snapshot_fails_and_says_windows() {
    let tmp = tempfile::tempdir().unwrap();
    let o = sw(
        tmp.path(),
        &[
            "scan",
            "--snapshot",
            "tests/fixtures/windows/planted",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "stationward.scan/v1");
    assert!(v["host"]["os"].as_str().unwrap().starts_with("Windows"));
    assert_eq!(v["root"], "tests/fixtures/windows/planted");
    let digest = v["facts"]["windows"]["snapshot"]["manifest_sha256"]
        .as_str()
        .unwrap();
    let manifest = std::fs::read(fixture("planted").join("manifest.json")).unwrap();
    assert_eq!(digest, stationward::host::sha256_hex(&manifest));
    let status = |id: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == id)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    // The built-in policy: every planted problem still shows.
    for id in [
        "patches.os_supported",
        "accounts.builtin_accounts",
        "accounts.no_empty_passwords",
        "firewall.active",
        "remote.tools",
        "media.usb_storage",
        "storage.encryption",
        "logging.audit",
        "malware.present",
        "services.legacy_cleartext",
    ] {
        assert_eq!(status(id), "fail", "{id}");
    }
    assert_eq!(status("accounts.admin_members"), "warn");
    assert_eq!(status("patches.reboot_required"), "pass");

    let o = sw(
        tmp.path(),
        &["scan", "--snapshot", "tests/fixtures/windows/not-elevated"],
    );
    assert!(
        text(&o.stdout).contains("Snapshot collected without elevation"),
        "{}",
        text(&o.stdout)
    );

    let o = sw(
        tmp.path(),
        &["scan", "--snapshot", "tests/fixtures/windows/planted"],
    );
    let out = text(&o.stdout);
    assert!(out.contains("Windows 10 Enterprise LTSB 2016"), "{out}");
    assert!(
        out.contains("snapshot tests/fixtures/windows/planted\ndigest sha256:"),
        "{out}"
    );
    assert!(out.contains("accounts.builtin_accounts"), "{out}");
}

#[test]
fn cli_hardened_and_de_de_have_no_failure_with_the_builtin_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for case in ["hardened", "de-DE"] {
        let dir = format!("tests/fixtures/windows/{case}");
        let o = sw(
            tmp.path(),
            &["scan", "--snapshot", &dir, "--format", "json"],
        );
        assert_eq!(o.status.code(), Some(0), "{case}: {}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let findings: Vec<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["check"].as_str().unwrap().to_string(),
                    f["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(findings.iter().all(|(_, s)| s != "fail"), "{case}");
        results.push(findings);
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn cli_diff_of_two_snapshot_scans_reports_the_regressions() {
    let tmp = tempfile::tempdir().unwrap();
    for case in ["hardened", "planted"] {
        let o = sw(
            tmp.path(),
            &[
                "scan",
                "--snapshot",
                &format!("tests/fixtures/windows/{case}"),
                "--format",
                "json",
            ],
        );
        std::fs::write(tmp.path().join(format!("{case}.json")), o.stdout).unwrap();
    }
    let old = tmp.path().join("hardened.json");
    let new = tmp.path().join("planted.json");
    let o = sw(
        tmp.path(),
        &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("accounts.builtin_accounts"), "{out}");
}

#[test]
fn cli_attest_and_summary_on_a_snapshot_name_windows_and_the_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let o = sw(
        home,
        &[
            "key",
            "generate",
            "--operator",
            "tech.jo",
            "--kdf-rounds",
            "16",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = sw(
        home,
        &[
            "attest",
            "--answers",
            "assets/answers/example.toml",
            "--operator",
            "tech.jo",
            "--snapshot",
            "tests/fixtures/windows/hardened",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("CS-ICU-01"));

    let record = std::fs::read(home.join("ledger/000001.dsse.json")).unwrap();
    let env: serde_json::Value = serde_json::from_slice(&record).unwrap();
    use base64::Engine;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let host = &statement["predicate"]["host"];
    let manifest = std::fs::read(fixture("hardened").join("manifest.json")).unwrap();
    let digest = format!("sha256:{}", stationward::host::sha256_hex(&manifest));
    assert_eq!(host["os"], "Windows 10 IoT Enterprise LTSC 2021");
    assert_eq!(host["snapshot"], digest.as_str());

    let o = sw(home, &["verify"]);
    assert!(o.status.success(), "{}", text(&o.stdout));
    let o = sw(home, &["summary", "--latest", "--format", "text"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("Windows 10 IoT Enterprise LTSC 2021"), "{out}");
    assert!(out.contains("Windows snapshot"), "{out}");
    let flat: String = out.split_whitespace().collect();
    assert!(flat.contains(&digest), "{out}");
}

#[test]
fn cli_policy_show_lists_the_windows_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let o = sw(
        tmp.path(),
        &[
            "policy",
            "show",
            "--policy",
            "tests/fixtures/windows/policy.toml",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("Windows: allowed services"), "{out}");
    assert!(out.contains("49152-65535/tcp lsass.exe"), "{out}");
    assert!(out.contains("19044.5011"), "{out}");
    // Policies without [windows] print as before.
    let o = sw(tmp.path(), &["policy", "show"]);
    assert!(!text(&o.stdout).contains("Windows:"));
}

#[test]
fn cli_summary_draft_of_a_snapshot_needs_a_walkthrough() {
    let tmp = tempfile::tempdir().unwrap();
    let o = sw(
        tmp.path(),
        &[
            "summary",
            "--draft",
            "--snapshot",
            "tests/fixtures/windows/hardened",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("CS-ICU-01"), "{}", text(&o.stderr));
}

// ---- bad snapshots ------------------------------------------------------------------------

fn copy_case(case: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(fixture(case)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Rewrites `file` and puts its new SHA-256 into the manifest, so only the content is bad.
fn replace_consistently(dir: &Path, file: &str, bytes: &[u8]) {
    std::fs::write(dir.join(file), bytes).unwrap();
    let mpath = dir.join("manifest.json");
    let raw = std::fs::read(&mpath).unwrap();
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
    let mut m: serde_json::Value = serde_json::from_slice(raw).unwrap();
    m["files"][file] = stationward::host::sha256_hex(bytes).into();
    std::fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

fn assert_bad(dir: &Path, names: &str, says: &str) {
    let o = sw(
        dir.parent().unwrap(),
        &["scan", "--snapshot", dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(names), "names {names}: {err}");
    assert!(err.contains(says), "says {says}: {err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_snapshots_give_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();

    let missing = tmp.path().join("missing");
    copy_case("hardened", &missing);
    std::fs::remove_file(missing.join("manifest.json")).unwrap();
    assert_bad(&missing, "manifest.json", "missing");

    let schema = tmp.path().join("schema");
    copy_case("hardened", &schema);
    let mpath = schema.join("manifest.json");
    let m = std::fs::read_to_string(&mpath)
        .unwrap()
        .replace("windows-snapshot/1", "windows-snapshot/9");
    std::fs::write(&mpath, m).unwrap();
    assert_bad(&schema, "manifest.json", "stationward.windows-snapshot/9");

    let truncated = tmp.path().join("truncated");
    copy_case("hardened", &truncated);
    let full = std::fs::read(truncated.join("services.json")).unwrap();
    replace_consistently(&truncated, "services.json", &full[..full.len() / 2]);
    assert_bad(&truncated, "services.json", "truncated JSON");

    let tampered = tmp.path().join("tampered");
    copy_case("hardened", &tampered);
    let users = std::fs::read_to_string(tampered.join("users.json"))
        .unwrap()
        .replace("\"Disabled\": true", "\"Disabled\": false");
    std::fs::write(tampered.join("users.json"), users).unwrap();
    assert_bad(&tampered, "users.json", "SHA-256");

    let gone = tmp.path().join("gone");
    copy_case("hardened", &gone);
    std::fs::remove_file(gone.join("firewall.json")).unwrap();
    assert_bad(&gone, "firewall.json", "no such file");

    let wrong = tmp.path().join("wrong-source");
    copy_case("hardened", &wrong);
    let os = std::fs::read_to_string(wrong.join("os.json"))
        .unwrap()
        .replace("\"source\": \"os\"", "\"source\": \"users\"");
    replace_consistently(&wrong, "os.json", os.as_bytes());
    assert_bad(&wrong, "os.json", "expected \"os\"");

    // A source file present but not listed in the manifest is not trusted (not an error:
    // its checks are unknown with the reason).
    let unlisted = tmp.path().join("unlisted");
    copy_case("hardened", &unlisted);
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(unlisted.join("manifest.json")).unwrap()).unwrap();
    m["files"].as_object_mut().unwrap().remove("bitlocker.json");
    std::fs::write(
        unlisted.join("manifest.json"),
        serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();
    let snap = Snapshot::load(&unlisted).unwrap();
    assert_eq!(
        snap.sources.bitlocker.data().err(),
        Some("bitlocker.json is not listed in manifest.json, so it is not trusted")
    );

    let shape = tmp.path().join("bad-data");
    copy_case("hardened", &shape);
    let fw = std::fs::read_to_string(shape.join("patches.json"))
        .unwrap()
        .replace(
            "\"CbsRebootPending\": false",
            "\"CbsRebootPending\": \"perhaps\"",
        );
    replace_consistently(&shape, "patches.json", fw.as_bytes());
    assert_bad(&shape, "patches.json", "bad data");

    let escape = tmp.path().join("escape");
    copy_case("hardened", &escape);
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(escape.join("manifest.json")).unwrap()).unwrap();
    m["files"]["../passwd"] = "00".into();
    std::fs::write(
        escape.join("manifest.json"),
        serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();
    assert_bad(&escape, "manifest.json", "not a plain file name");

    let raw = tmp.path().join("raw");
    copy_case("shapes", &raw);
    replace_consistently(&raw, "secpol.inf", b"[Unicode]\r\nUnicode=yes\r\n");
    assert_bad(&raw, "secpol.inf", "no [System Access] section");

    // Raw admin-only output from a non-elevated run is not trusted either.
    let raw_ne = tmp.path().join("raw-not-elevated");
    copy_case("shapes", &raw_ne);
    let mpath = raw_ne.join("manifest.json");
    let bytes = std::fs::read(&mpath).unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&bytes[3..]).unwrap();
    m["elevated"] = false.into();
    std::fs::write(&mpath, serde_json::to_vec(&m).unwrap()).unwrap();
    let snap = Snapshot::load(&raw_ne).unwrap();
    assert_eq!(
        snap.sources.account_policy.data().err(),
        Some("not elevated")
    );

    let many = tmp.path().join("many");
    copy_case("hardened", &many);
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(many.join("manifest.json")).unwrap()).unwrap();
    for i in 0..60 {
        m["files"][format!("extra{i}.json")] = "00".into();
    }
    std::fs::write(many.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    assert_bad(&many, "manifest.json", "at most 64");

    let fifo = tmp.path().join("fifo");
    copy_case("hardened", &fifo);
    std::fs::remove_file(fifo.join("groups.json")).unwrap();
    let made = Command::new("mkfifo")
        .arg(fifo.join("groups.json"))
        .status()
        .unwrap();
    assert!(made.success());
    assert_bad(&fifo, "groups.json", "not a regular file");

    // The same errors end `tui` and `attest` before anything starts.
    let home = tmp.path().join("home");
    let o = sw(
        &home,
        &[
            "key",
            "generate",
            "--operator",
            "tech.jo",
            "--kdf-rounds",
            "16",
        ],
    );
    assert!(o.status.success());
    for args in [
        vec![
            "attest",
            "--answers",
            "assets/answers/example.toml",
            "--operator",
            "tech.jo",
            "--snapshot",
            tampered.to_str().unwrap(),
        ],
        vec!["tui", "--snapshot", tampered.to_str().unwrap()],
    ] {
        let o = sw(&home, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = text(&o.stderr);
        assert!(
            err.contains("users.json") && err.contains("SHA-256"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(!home.join("ledger").exists(), "nothing signed");
}

#[test]
fn a_snapshot_scan_round_trips_through_json() {
    for case in [
        "hardened",
        "planted",
        "server",
        "shapes",
        "de-DE",
        "not-elevated",
    ] {
        let scan = judge(case);
        let json = serde_json::to_string(&scan).unwrap();
        let back: Scan = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(back.findings, scan.findings, "{case}");
        assert_eq!(back.facts.windows, scan.facts.windows, "{case}");
    }
}

#[test]
fn planted_text_report() {
    // Relative paths (cargo runs tests in the package root) keep the report machine-independent.
    let snap = Snapshot::load(Path::new("tests/fixtures/windows/planted")).unwrap();
    let policy = Policy::load(Path::new("tests/fixtures/windows/policy.toml")).unwrap();
    let scan = windows::judge(snap, &policy, &Area::ALL, now());
    let text =
        stationward::scan::render::scan_text(&scan, 80, stationward::scan::render::Colour::Never);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
    insta::assert_snapshot!(text);
}
