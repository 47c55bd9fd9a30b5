//! `stationward scan --root <fixture> --area accounts`: the JSON contract for accounts facts
//! and the exit code, on the real Debian capture and the invented trees.

mod support;

use assert_cmd::Command;
use serde_json::Value;

fn scan(tree: &str) -> (Value, i32) {
    let dir = env!("CARGO_MANIFEST_DIR");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::cargo_bin("stationward")
        .unwrap_or_else(|e| panic!("{e}"))
        .env("STATIONWARD_DATA_DIR", tmp.path().join("data"))
        .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
        .args([
            "scan",
            "--root",
            &format!("{dir}/tests/fixtures/accounts/{tree}"),
        ])
        .args([
            "--policy",
            &format!("{dir}/assets/policy/central-station.toml"),
        ])
        .args(["--area", "accounts", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (json, out.status.code().unwrap_or(-1))
}

fn status(json: &Value, check: &str) -> String {
    json["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["check"] == check))
        .map(|f| f["status"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[test]
fn misconfigured_tree_fails_with_the_documented_fact_shape() {
    let (json, code) = scan("misconfigured");
    assert_eq!(code, 1, "a failing check exits 1");
    let users = json["facts"]["accounts"]["users"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let toor = users
        .iter()
        .find(|u| u["name"] == "toor")
        .cloned()
        .unwrap_or_default();
    for key in [
        "name",
        "uid",
        "gid",
        "home",
        "shell",
        "password",
        "hash_scheme",
    ] {
        assert!(toor.get(key).is_some(), "users[] lacks {key}: {toor}");
    }
    assert_eq!(toor["uid"], 0);
    assert_eq!(toor["password"], "locked");
    let admin = users
        .iter()
        .find(|u| u["name"] == "admin")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (admin["password"].as_str(), admin["hash_scheme"].as_str()),
        (Some("set"), Some("des"))
    );
    let nopasswd = &json["facts"]["accounts"]["sudo"]["passwordless"];
    assert!(
        nopasswd.as_array().is_some_and(|v| v
            .iter()
            .any(|p| p["file"] == "/etc/sudoers.d/vendor-service" && p["line"] == 2)),
        "{nopasswd}"
    );
    assert_eq!(
        json["facts"]["accounts"]["login_defs"]["PASS_MAX_DAYS"],
        "99999"
    );
    assert_eq!(
        json["facts"]["accounts"]["pam"]["nullok"][0]["file"],
        "/etc/pam.d/common-auth"
    );
    for (check, want) in [
        ("accounts.uid0_only_root", "fail"),
        ("accounts.no_empty_passwords", "fail"),
        ("accounts.strong_hashes", "fail"),
        ("accounts.system_no_login", "fail"),
        ("accounts.default_names", "warn"),
        ("accounts.sudo_nopasswd", "fail"),
        ("accounts.privileged_members", "warn"),
        ("accounts.password_aging", "warn"),
        ("accounts.lockout", "warn"),
    ] {
        assert_eq!(status(&json, check), want, "{check}");
    }
}

#[test]
fn hardened_tree_passes_and_exits_zero() {
    let (json, code) = scan("rhel9");
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(findings.len(), 9);
    for f in &findings {
        assert_eq!(f["status"], "pass", "{f}");
        assert!(
            f["evidence"].as_array().is_some_and(|e| !e.is_empty()),
            "{f}"
        );
    }
    assert_eq!(code, 0);
}

#[test]
fn real_debian_capture() {
    let (json, _) = scan("debian12");
    assert_eq!(
        json["facts"]["accounts"]["users"].as_array().map(Vec::len),
        Some(24)
    );
    assert_eq!(status(&json, "accounts.uid0_only_root"), "pass");
    assert_eq!(status(&json, "accounts.password_aging"), "warn");
    assert_eq!(status(&json, "accounts.lockout"), "warn");
}

fn status_in_tree(tree: &std::path::Path, check: &str) -> String {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::cargo_bin("stationward")
        .unwrap_or_else(|e| panic!("{e}"))
        .env("STATIONWARD_DATA_DIR", tmp.path().join("data"))
        .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
        .args(["scan", "--root"])
        .arg(tree)
        .args(["--area", "accounts", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["check"] == check)
        .map(|f| f["status"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// sudo skips an included file that is world-writable or not owned by root (sudo_secure_file);
/// the same rule on an invented tree whose files this test owns as root.
#[test]
#[ignore = "needs root (sudoers files owned by UID 0; run by CI with --include-ignored)"]
fn sudo_skips_included_files_with_unsafe_owner_or_mode() {
    use std::os::unix::fs::PermissionsExt;
    support::require(&[], true);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let etc = dir.path().join("etc");
    std::fs::create_dir_all(etc.join("sudoers.d")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        etc.join("sudoers"),
        "# INVENTED\nroot ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        etc.join("passwd"),
        "root:x:0:0:root:/root:/bin/bash\nvendor:x:1505:1505::/home/vendor:/bin/sh\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let vendor = etc.join("sudoers.d/vendor");
    std::fs::write(&vendor, "vendor ALL=(ALL) NOPASSWD: ALL\n").unwrap_or_else(|e| panic!("{e}"));
    let chmod = |mode: u32| {
        std::fs::set_permissions(&vendor, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
    };
    chmod(0o440);
    assert_eq!(status_in_tree(dir.path(), "accounts.sudo_nopasswd"), "fail");
    chmod(0o666);
    assert_eq!(status_in_tree(dir.path(), "accounts.sudo_nopasswd"), "pass");
    std::os::unix::fs::chown(&vendor, Some(1505), Some(0)).unwrap_or_else(|e| panic!("{e}"));
    chmod(0o440);
    assert_eq!(status_in_tree(dir.path(), "accounts.sudo_nopasswd"), "pass");
}
