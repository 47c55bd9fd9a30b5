#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `kill -9` at every write of `stationward attest`: strace delivers SIGKILL on the Nth call
//! of each syscall that writes or publishes (`fsync`, `linkat`, `rename`, `unlink`), for
//! every N until the run completes. After each kill the ledger either verifies, or the next
//! `attest` repairs it (saying so) and then it verifies; a sequence number is never reused.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASS: &str = "correct horse battery";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_stationward")
}

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("config"))
        .env("STATIONWARD_PASSPHRASE", PASS)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

const ATTEST: [&str; 7] = [
    "attest",
    "--answers",
    "assets/answers/example.toml",
    "--operator",
    "tech.jo",
    "--root",
    "tests/fixtures/hosts/debian12",
];

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn records(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("ledger"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dsse.json") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a failed");
}

#[test]
#[ignore = "needs strace (run by CI with --include-ignored)"]
fn kill_9_at_every_write_leaves_a_ledger_that_verifies_or_is_repaired() {
    support::require(&["strace", "cp"], false);
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let o = run(
        &base,
        &[
            "key",
            "generate",
            "--operator",
            "tech.jo",
            "--kdf-rounds",
            "16",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&base, &ATTEST);
    assert!(o.status.success(), "{}", text(&o));

    let mut killed_runs = 0;
    let mut repaired_runs = 0;
    for syscall in ["fsync", "linkat", "rename", "unlink"] {
        for n in 1.. {
            let data: PathBuf = tmp.path().join(format!("{syscall}-{n}"));
            copy_dir(&base, &data);
            let o = Command::new("strace")
                .args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("trace={syscall}"))
                .arg("-e")
                .arg(format!("inject={syscall}:signal=KILL:when={n}"))
                .arg(bin())
                .args(ATTEST)
                .env("STATIONWARD_DATA_DIR", &data)
                .env("STATIONWARD_CONFIG_DIR", data.join("config"))
                .env("STATIONWARD_PASSPHRASE", PASS)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .unwrap();
            if o.status.success() {
                // Fewer than n calls: every point of this syscall was covered.
                assert!(n > 1, "{syscall}: no call was interrupted");
                break;
            }
            killed_runs += 1;
            let context = format!("killed at {syscall} #{n}");
            let before = records(&data);
            assert!(
                before.len() == 1 || before.len() == 2,
                "{context}: {before:?}"
            );
            let verified = run(&data, &["verify"]);
            if verified.status.success() {
                let again = run(&data, &ATTEST);
                assert!(again.status.success(), "{context}: {}", text(&again));
            } else {
                // The next attest repairs, says so, and appends.
                let again = run(&data, &ATTEST);
                assert!(
                    again.status.success(),
                    "{context}: the ledger did not verify and the next attest did not repair it:\n{}\n{}",
                    text(&verified),
                    text(&again)
                );
                assert!(
                    String::from_utf8_lossy(&again.stderr).contains("repaired the ledger"),
                    "{context}: {}",
                    text(&again)
                );
                repaired_runs += 1;
            }
            let after = run(&data, &["verify"]);
            assert!(after.status.success(), "{context}: {}", text(&after));
            let names = records(&data);
            assert_eq!(
                names.len(),
                before.len() + 1,
                "{context}: {names:?} {before:?}\n{}",
                text(&verified)
            );
            assert_eq!(
                names.last().unwrap(),
                &format!("{:06}.dsse.json", names.len())
            );
            assert!(n < 50, "{syscall}: the run never completed");
        }
    }
    // The injection did hit the ledger writes (and some left something to repair).
    assert!(killed_runs >= 10, "{killed_runs} killed runs");
    assert!(repaired_runs >= 2, "{repaired_runs} repaired runs");
}
