//! Offline (`--root`) patch inspection of small Debian trees built from real captures.

use std::path::Path;
use std::process::Command;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/patches");

fn copy(from: &str, tree: &Path, to: &str) {
    let dest = tree.join(to.trim_start_matches('/'));
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    std::fs::copy(Path::new(FIX).join(from), &dest).unwrap_or_else(|e| panic!("copy {from}: {e}"));
}

fn write(tree: &Path, to: &str, text: &str) {
    let dest = tree.join(to.trim_start_matches('/'));
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    std::fs::write(dest, text).unwrap_or_else(|e| panic!("write {to}: {e}"));
}

/// A Debian 12 tree: dpkg status, logs, and (optionally) the real lists.
fn tree(with_lists: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let t = dir.path();
    write(
        t,
        "/etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    copy("dpkg-status", t, "/var/lib/dpkg/status");
    copy("history.log", t, "/var/log/apt/history.log");
    copy("dpkg.log", t, "/var/log/dpkg.log");
    if with_lists {
        for entry in
            std::fs::read_dir(Path::new(FIX).join("lists")).unwrap_or_else(|e| panic!("lists: {e}"))
        {
            let name = entry
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .unwrap_or_default();
            copy(
                &format!("lists/{name}"),
                t,
                &format!("/var/lib/apt/lists/{name}"),
            );
        }
    }
    dir
}

fn scan(root: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(["scan", "--area", "patches", "--format", "json", "--root"])
        .arg(root)
        .env("STATIONWARD_DATA_DIR", root.join(".sw-data"))
        .env("STATIONWARD_CONFIG_DIR", root.join(".sw-config"))
        .output()
        .unwrap_or_else(|e| panic!("running stationward: {e}"));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("scan JSON: {e}"))
}

fn status(scan: &serde_json::Value, id: &str) -> (String, String) {
    let f = scan["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["check"] == id))
        .cloned()
        .unwrap_or_default();
    (
        f["status"].as_str().unwrap_or("").to_string(),
        f["summary"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn offline_tree_compares_installed_with_its_lists() {
    let t = tree(true);
    let s = scan(t.path());
    let p = &s["facts"]["patches"];
    let pending = p["pending"].as_array().cloned().unwrap_or_default();
    let get = |n: &str| {
        pending
            .iter()
            .find(|u| u["name"] == n)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(get("openssl")["candidate"], "3.0.22-1~deb12u2");
    assert_eq!(get("openssl")["security"], true);
    assert_eq!(
        get("openssh-client")["security"],
        true,
        "superseded security fix"
    );
    assert_eq!(get("bash")["security"], false);
    assert!(get("zlib1g").is_null());
    assert_eq!(status(&s, "patches.pending_security").0, "fail");
    assert_eq!(status(&s, "patches.pending_all").0, "warn");
    // An image has no running kernel or /run: say so, never pass.
    let (st, why) = status(&s, "patches.reboot_required");
    assert_eq!(st, "unknown");
    assert!(why.contains("offline image"), "{why}");
    assert_eq!(p["last_upgrade"], "2026-09-22T04:51:17Z");
    assert!(p["lists_updated"].is_string());
    assert!(status(&s, "patches.os_supported").1.contains("Debian 12"));
}

#[test]
fn compressed_lists_are_unknown_with_the_reason() {
    let t = tree(false);
    write(
        t.path(),
        "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
        "Suite: oldstable\n",
    );
    write(
        t.path(),
        "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
        "\u{4}\"M\u{18}",
    );
    let s = scan(t.path());
    let (st, why) = status(&s, "patches.pending_security");
    assert_eq!(st, "unknown");
    assert!(why.contains("compressed"), "{why}");
    assert_eq!(status(&s, "patches.pending_all").0, "unknown");
}

#[test]
fn no_lists_at_all() {
    let t = tree(false);
    let s = scan(t.path());
    let (st, why) = status(&s, "patches.pending_all");
    assert_eq!(st, "unknown");
    assert!(
        why.contains("apt-get update never ran") || why.contains("no package lists"),
        "{why}"
    );
    assert_eq!(status(&s, "patches.data_fresh").0, "warn");
    // An empty lists directory is the same: never refreshed.
    std::fs::create_dir_all(t.path().join("var/lib/apt/lists/partial"))
        .unwrap_or_else(|e| panic!("mkdir: {e}"));
    let s = scan(t.path());
    assert_eq!(status(&s, "patches.pending_security").0, "unknown");
    assert_eq!(status(&s, "patches.data_fresh").0, "warn");
}

#[test]
fn captured_apt_list_is_used_offline() {
    let t = tree(true);
    copy(
        "apt-list-upgradable.txt",
        t.path(),
        "/.stationward-capture/commands/apt_list_--upgradable.stdout",
    );
    let s = scan(t.path());
    let p = &s["facts"]["patches"];
    assert_eq!(p["source"], "apt list --upgradable (captured)");
    assert_eq!(p["pending"].as_array().map_or(0, Vec::len), 132);
    assert_eq!(
        status(&s, "patches.pending_security").1,
        "82 security update(s) pending"
    );
}

#[test]
fn no_security_suite_configured_is_unknown() {
    let t = tree(false);
    for name in [
        "deb.debian.org_debian_dists_bookworm_InRelease",
        "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
    ] {
        copy(
            &format!("lists/{name}"),
            t.path(),
            &format!("/var/lib/apt/lists/{name}"),
        );
    }
    write(
        t.path(),
        "/.stationward-capture/commands/apt_list_--upgradable.stdout",
        "Listing...\nbash/oldstable 5.2.15-2+b13 amd64 [upgradable from: 5.2.15-2+b8]\n",
    );
    let s = scan(t.path());
    let (st, why) = status(&s, "patches.pending_security");
    assert_eq!(st, "unknown");
    assert!(why.contains("no security suite"), "{why}");
    assert_eq!(status(&s, "patches.pending_all").0, "warn");
}
