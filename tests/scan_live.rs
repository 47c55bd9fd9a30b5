#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Smoke test on the machine the tests run on: the live scan's JSON keeps the contract and
//! agrees with the system's own tools.

mod support;

use serde_json::Value;
use std::process::Command;

#[test]
fn live_scan_json_matches_the_host() {
    let cfg = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(["scan", "--format", "json"])
        .env("STATIONWARD_CONFIG_DIR", cfg.path())
        .env("STATIONWARD_DATA_DIR", cfg.path().join("data"))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scan["schema"], "stationward.scan/v1");
    assert!(scan["root"].is_null());

    let uname = Command::new("uname").arg("-r").output().unwrap();
    assert_eq!(
        scan["host"]["kernel"],
        String::from_utf8(uname.stdout).unwrap().trim()
    );

    let users = scan["facts"]["accounts"]["users"].as_array().unwrap();
    assert!(
        users.iter().any(|u| u["name"] == "root" && u["uid"] == 0),
        "root among accounts"
    );

    // Every registered check reports, and every finding is either backed by evidence or
    // unknown with its reason.
    let findings = scan["findings"].as_array().unwrap();
    assert_eq!(findings.len(), stationward::checks::REGISTRY.len());
    for f in findings {
        let evidence = f["evidence"].as_array().map_or(0, Vec::len);
        let summary = f["summary"].as_str().unwrap_or("");
        assert!(
            evidence > 0 || (f["status"] == "unknown" && !summary.is_empty()),
            "{f}"
        );
    }
}

#[test]
#[ignore = "needs root and setpriv to drop to an unprivileged user (run by CI with --include-ignored)"]
fn unprivileged_scan_names_why_it_could_not_see() {
    support::require(&["setpriv"], true);
    let cfg = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        cfg.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_stationward"))
        .args([
            "scan", "--format", "json", "--area", "accounts", "--area", "firewall",
        ])
        .env("STATIONWARD_CONFIG_DIR", cfg.path())
        .env("STATIONWARD_DATA_DIR", cfg.path().join("data"))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scan["privileged"], false);
    let status = |id: &str| {
        scan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == id)
            .cloned()
            .unwrap()
    };
    let hashes = status("accounts.strong_hashes");
    assert_eq!(hashes["status"], "unknown", "{hashes}");
    assert!(
        hashes["summary"].as_str().unwrap().contains("/etc/shadow"),
        "{hashes}"
    );
    // uid0_only_root needs only /etc/passwd and still decides.
    assert_ne!(status("accounts.uid0_only_root")["status"], "unknown");
    let fw = status("firewall.active");
    assert_eq!(fw["status"], "unknown", "{fw}");
    assert!(!fw["summary"].as_str().unwrap().is_empty());
}
