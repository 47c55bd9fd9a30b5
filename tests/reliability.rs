//! The fault suite (issue 11): hostile trees, files and inputs that must not fool, hang or
//! leak the tool. Each test drives the real binary.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn stationward(tmp: &Path) -> Command {
    let mut c = Command::cargo_bin("stationward").unwrap_or_else(|e| panic!("{e}"));
    c.env("STATIONWARD_DATA_DIR", tmp.join("data"))
        .env("STATIONWARD_CONFIG_DIR", tmp.join("config"))
        .timeout(Duration::from_secs(60));
    c
}

fn policy() -> String {
    format!(
        "{}/assets/policy/central-station.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn finding<'a>(json: &'a Value, check: &str) -> &'a Value {
    json["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["check"] == check))
        .unwrap_or_else(|| panic!("no finding {check}"))
}

#[test]
fn a_uid0_account_past_the_cap_is_never_a_pass() {
    // Invented tree: 40 MB of ordinary accounts, then a second UID 0 account at the end.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap_or_else(|e| panic!("{e}"));
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/bash\n");
    let mut i = 0u64;
    while passwd.len() < 40 * 1024 * 1024 {
        passwd.push_str(&format!(
            "user{i}:x:{}:{}::/home/user{i}:/usr/sbin/nologin\n",
            10_000 + i,
            10_000 + i
        ));
        i += 1;
    }
    passwd.push_str("toor:x:0:0::/root:/bin/bash\n");
    std::fs::write(tree.join("etc/passwd"), passwd).unwrap_or_else(|e| panic!("{e}"));
    for format in ["json", "text"] {
        let out = stationward(tmp.path())
            .args(["scan", "--root"])
            .arg(&tree)
            .args([
                "--policy",
                &policy(),
                "--area",
                "accounts",
                "--format",
                format,
            ])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        if format == "json" {
            let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}"));
            let f = finding(&json, "accounts.uid0_only_root");
            assert_ne!(f["status"], "pass", "{f}");
            assert!(
                f.to_string().contains("not read past it"),
                "the finding says why: {f}"
            );
        } else {
            assert!(
                stdout.contains("larger than 16 MiB, not read past it"),
                "text output says so: {stdout}"
            );
        }
    }
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", p.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_as_any_input_file_is_refused_in_milliseconds() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    let fifo_s = fifo.display().to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec!["scan", "--root", "/nonexistent", "--policy", &fifo_s],
        vec!["diff", &fifo_s, &fifo_s],
        vec!["checklist", "lint", &fifo_s],
    ];
    for args in cases {
        let t = Instant::now();
        let out = stationward(tmp.path())
            .args(&args)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(t.elapsed() < Duration::from_secs(5), "{args:?} hung");
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains("FIFO"), "{args:?}: {stderr}");
    }
}

#[test]
fn control_characters_from_a_tree_reach_the_terminal_escaped() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tree.join("etc/hostname"), "evil\x1b]0;pwned\x07\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tree.join("etc/os-release"),
        "PRETTY_NAME=\"Debian\x1b[2J\"\nID=debian\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tree.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nev\x1b[31mil:x:0:0::/root:/bin/sh\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = stationward(tmp.path())
        .args(["scan", "--root"])
        .arg(&tree)
        .args(["--policy", &policy(), "--area", "accounts"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(stdout.contains("evil\\x1b]0;pwned\\x07"), "{stdout}");
}
