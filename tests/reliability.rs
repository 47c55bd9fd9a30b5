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
        .timeout(Duration::from_mins(1));
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

/// An invented /etc/passwd of `bytes` ordinary accounts with a second UID 0 account at the end.
fn passwd_with_uid0_at_the_end(bytes: usize) -> String {
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/bash\n");
    let mut i = 0u64;
    while passwd.len() < bytes {
        passwd.push_str(&format!(
            "user{i}:x:{}:{}::/home/user{i}:/usr/sbin/nologin\n",
            10_000 + i,
            10_000 + i
        ));
        i += 1;
    }
    passwd.push_str("toor:x:0:0::/root:/bin/bash\n");
    passwd
}

fn scan_accounts(tmp: &Path, tree: &Path, format: &str) -> String {
    let out = stationward(tmp)
        .args(["scan", "--root"])
        .arg(tree)
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_uid0_account_at_the_end_of_a_40_mb_passwd_is_never_a_pass() {
    // Under the 64 MiB cap for account databases: read whole, and the account is found.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tree.join("etc/passwd"),
        passwd_with_uid0_at_the_end(40 << 20),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let json: Value = serde_json::from_str(&scan_accounts(tmp.path(), &tree, "json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let f = finding(&json, "accounts.uid0_only_root");
    assert_eq!(f["status"], "fail", "{f}");
    assert!(f.to_string().contains("toor"), "{f}");
}

#[test]
fn a_uid0_account_past_the_cap_is_unknown_and_the_text_says_why() {
    // Past the cap: refused, never cut to a prefix that would pass.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tree.join("etc/passwd"),
        passwd_with_uid0_at_the_end(65 << 20),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let json: Value = serde_json::from_str(&scan_accounts(tmp.path(), &tree, "json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let f = finding(&json, "accounts.uid0_only_root");
    assert_eq!(f["status"], "unknown", "{f}");
    assert!(f.to_string().contains("not read past it"), "{f}");
    let text = scan_accounts(tmp.path(), &tree, "text");
    assert!(
        text.contains("file larger than 64 MiB, not read past it"),
        "text output says so: {text}"
    );
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

/// The only test in this binary that runs commands in-process: `kill_running_commands` kills
/// every command of the process, which would hit a neighbour's.
#[test]
fn kill_running_commands_ends_the_commands_of_the_tool() {
    use stationward::host::{Host, Live, RunStatus, kill_running_commands, running_commands};
    let t = std::thread::spawn(|| {
        Live::new().run(
            &["sh", "-c", "sleep 30 & sleep 30"],
            Duration::from_secs(30),
        )
    });
    let start = Instant::now();
    while running_commands() == 0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    kill_running_commands();
    let run = t.join().unwrap_or_else(|_| panic!("the run panicked"));
    assert_eq!(run.status, RunStatus::Signalled);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(running_commands(), 0);
}

#[test]
fn a_closed_pipe_ends_the_scan_quietly() {
    use std::process::Stdio;
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tree = format!(
        "{}/tests/fixtures/accounts/misconfigured",
        env!("CARGO_MANIFEST_DIR")
    );
    for format in ["text", "json"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stationward"))
            .env("STATIONWARD_DATA_DIR", tmp.path().join("data"))
            .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
            .args([
                "scan",
                "--root",
                &tree,
                "--policy",
                &policy(),
                "--format",
                format,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        // `| head -0`: the reader is gone before the first byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: quiet, got {stderr}");
    }
}

/// A directory of fake firewall programs put first on PATH: each records its PID and hangs.
fn hanging_tools(dir: &Path, names: &[&str]) -> String {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    for name in names {
        let script = format!(
            "#!/bin/sh\nsleep 60 &\necho $! >> {}/pids\nwait\n",
            dir.display()
        );
        let p = dir.join(name);
        std::fs::write(&p, script).unwrap_or_else(|e| panic!("{e}"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // nft answers at once with an error, so the iptables pair is what the scan falls back to.
    let nft = dir.join("nft");
    std::fs::write(&nft, "#!/bin/sh\necho 'nft: broken' >&2\nexit 1\n")
        .unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&nft, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn all_dead(pids_file: &Path) -> Vec<String> {
    std::fs::read_to_string(pids_file)
        .unwrap_or_default()
        .lines()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
        })
        .map(String::from)
        .collect()
}

#[test]
fn independent_firewall_commands_cost_one_timeout_and_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bin = tmp.path().join("bin");
    let path = hanging_tools(&bin, &["iptables-save", "ip6tables-save"]);
    let t = Instant::now();
    let out = stationward(tmp.path())
        .env("PATH", path)
        .args([
            "scan",
            "--policy",
            &policy(),
            "--area",
            "firewall",
            "--format",
            "json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let took = t.elapsed();
    // Two 10 s timeouts one after the other took 20 s; together they take one (and the
    // fallback did run: at least one timeout passed).
    assert!(took < Duration::from_secs(16), "took {took:?}");
    assert!(took >= Duration::from_secs(10), "took {took:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let ruleset = &json["facts"]["firewall"]["unknown"]["ruleset"];
    assert!(ruleset.is_string(), "{}", json["facts"]["firewall"]);
    assert_ne!(
        finding(&json, "firewall.default_deny_inbound")["status"],
        "pass"
    );
    std::thread::sleep(Duration::from_millis(200));
    let left = all_dead(&bin.join("pids"));
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn sigterm_during_a_scan_kills_its_commands() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bin = tmp.path().join("bin");
    let path = hanging_tools(&bin, &["iptables-save", "ip6tables-save"]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stationward"))
        .env("STATIONWARD_DATA_DIR", tmp.path().join("data"))
        .env("STATIONWARD_CONFIG_DIR", tmp.path().join("config"))
        .env("PATH", path)
        .args(["scan", "--policy", &policy(), "--area", "firewall"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let pids = bin.join("pids");
    let t = Instant::now();
    while std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .count()
        < 2
        && t.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok);
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(143));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    std::thread::sleep(Duration::from_millis(200));
    let left = all_dead(&pids);
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn summary_output_into_the_ledger_or_key_store_is_refused() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("ledger")).unwrap_or_else(|e| panic!("{e}"));
    let signed = data.join("ledger/000001.dsse.json");
    std::fs::write(&signed, "{\"signed\": true}\n").unwrap_or_else(|e| panic!("{e}"));
    for target in [
        signed.clone(),
        data.join("ledger/summary.txt"),
        data.join("keys/alice.pub"),
        data.join("evidence/sha256/x"),
    ] {
        let out = stationward(tmp.path())
            .args(["summary", "--latest", "-o"])
            .arg(&target)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", target.display());
        assert!(stderr.contains("refusing to write a summary"), "{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(&signed).unwrap_or_default(),
        "{\"signed\": true}\n"
    );
}
