#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! What a technician runs after a vendor visit: scan, the vendor changes things, scan again,
//! `diff` names what changed and exits 1. Here the "visit" plants a new listener and a new
//! UID 0 account in a copy of the Debian 12 fixture tree.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stationward"));
    let cfg = std::env::temp_dir().join(format!("sw-diff-cfg-{}", std::process::id()));
    cmd.env("STATIONWARD_CONFIG_DIR", &cfg)
        .env("STATIONWARD_DATA_DIR", cfg.join("data"));
    cmd
}

fn scan_to(tree: &Path, out: &Path) {
    let output = bin()
        .args(["scan", "--format", "json", "--root"])
        .arg(tree)
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(out, &output.stdout).unwrap();
}

#[test]
fn diff_after_a_planted_change_names_it_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("station");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/debian12");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&src)
            .arg(&tree)
            .status()
            .unwrap()
            .success()
    );
    let (before, after) = (
        tmp.path().join("before.json"),
        tmp.path().join("after.json"),
    );
    scan_to(&tree, &before);

    // The visit: a remote-support daemon listening on 0.0.0.0:7070 and a spare UID 0 login.
    let tcp = tree.join("proc/net/tcp");
    let mut text = std::fs::read_to_string(&tcp).unwrap();
    text.push_str(
        "  90: 00000000:1B9E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99901 1 0000000000000000 100 0 0 10 0\n",
    );
    std::fs::write(&tcp, text).unwrap();
    let passwd = tree.join("etc/passwd");
    let mut text = std::fs::read_to_string(&passwd).unwrap();
    text.push_str("svcadmin:x:0:0:vendor service:/root:/bin/bash\n");
    std::fs::write(&passwd, text).unwrap();
    scan_to(&tree, &after);

    let out = bin().arg("diff").arg(&before).arg(&after).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("7070"),
        "the new listener is named:\n{stdout}"
    );
    assert!(
        stdout.contains("svcadmin"),
        "the new UID 0 account is named:\n{stdout}"
    );

    // Nothing changed: nothing regressed.
    let out = bin().arg("diff").arg(&after).arg(&after).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
