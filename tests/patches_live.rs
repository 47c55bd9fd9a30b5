//! On a Debian/Ubuntu host with apt: the scan's pending-update count equals what
//! `apt list --upgradable` prints on the same lists. Ignored by a plain `cargo test` (it needs
//! a Debian/Ubuntu host with apt); CI runs it with `--include-ignored`, where a missing apt is
//! a failure, never a skip.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn apt_list_count() -> Option<(usize, usize)> {
    let out = Command::new("apt")
        .args(["list", "--upgradable"])
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Listing"))
        .collect();
    let security = lines
        .iter()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|f| f.contains("security"))
        })
        .count();
    Some((lines.len(), security))
}

fn scan_patches() -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(["scan", "--area", "patches", "--format", "json"])
        .env("STATIONWARD_DATA_DIR", dir.path().join("data"))
        .env("STATIONWARD_CONFIG_DIR", dir.path().join("config"))
        .output()
        .unwrap_or_else(|e| panic!("running stationward: {e}"));
    // 0 = nothing failed, 1 = a check failed (pending security updates do that).
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan exited with {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("scan JSON: {e}"))
}

#[test]
#[ignore = "needs a Debian/Ubuntu host with apt (run by CI with --include-ignored)"]
fn pending_count_matches_apt_list() {
    support::require(&["apt", "apt-get"], false);
    assert!(
        Path::new("/var/lib/dpkg/status").exists(),
        "this test cannot run here: not a Debian/Ubuntu host (no /var/lib/dpkg/status)"
    );
    let Some(before) = apt_list_count() else {
        panic!("this test cannot run here: `apt list --upgradable` failed");
    };
    // Another process may refresh the lists meanwhile: retry once if apt's own answer moved.
    for attempt in 0..2 {
        let started = Instant::now();
        let scan = scan_patches();
        let elapsed = started.elapsed();
        let Some(after) = apt_list_count() else {
            panic!("apt list stopped working during the test");
        };
        if before != after && attempt == 0 {
            continue;
        }
        let patches = &scan["facts"]["patches"];
        assert_eq!(patches["manager"], "apt");
        assert_eq!(patches["source"], "apt list --upgradable", "{patches}");
        let pending = patches["pending"].as_array().map_or(0, Vec::len);
        let security = patches["pending"]
            .as_array()
            .map_or(0, |a| a.iter().filter(|u| u["security"] == true).count());
        println!(
            "apt list --upgradable: {} pending ({} from security suites); stationward: {pending} pending ({security} security); scan took {:?}",
            after.0, after.1, elapsed
        );
        assert_eq!(
            pending, after.0,
            "pending-update count differs from apt list --upgradable"
        );
        // Security: at least every candidate from a security suite; superseded fixes may add more.
        assert!(security >= after.1);
        let findings = scan["findings"].as_array().cloned().unwrap_or_default();
        let find = |id: &str| findings.iter().find(|f| f["check"] == id).cloned();
        let sec = find("patches.pending_security").unwrap_or_default();
        if security > 0 {
            assert_eq!(sec["status"], "fail", "{sec}");
        }
        assert_eq!(findings.len(), 6);
        return;
    }
}
