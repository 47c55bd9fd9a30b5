#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The check command printed for the paper form (by `attest`, `key rotate` and `summary`)
//! verifies the ledger it was printed for, run verbatim: with a second operator's
//! countersignature in the chain, and after a key rotation.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASS: &str = "correct horse battery";
const NEW_PASS: &str = "a new battery staple";

fn run(data: &Path, pass: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(args)
        .env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("config"))
        .env("STATIONWARD_PASSPHRASE", pass)
        .env("STATIONWARD_NEW_PASSPHRASE", NEW_PASS)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn attest(data: &Path, pass: &str) -> String {
    let out = stdout(&run(
        data,
        pass,
        &[
            "attest",
            "--answers",
            "assets/answers/example.toml",
            "--operator",
            "alice",
            "--root",
            "tests/fixtures/hosts/debian12",
        ],
    ));
    out.lines()
        .find_map(|l| l.strip_prefix("Check it any time with: "))
        .unwrap_or_else(|| panic!("no check command:\n{out}"))
        .to_string()
}

/// The summary's first verify command, from its JSON form.
fn summary_command(data: &Path) -> String {
    let out = stdout(&run(
        data,
        PASS,
        &["summary", "--latest", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["attestation"]["verify"][0]["command"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs `command` with the shell, as an auditor pastes it, with `stationward` on PATH.
fn paste(data: &Path, command: &str) -> (bool, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_stationward"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-c", command])
        .env("PATH", path)
        .env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("config"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{command}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn keyid(data: &Path, operator: &str) -> String {
    let out = stdout(&run(data, PASS, &["key", "list"]));
    out.lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(operator)).then(|| f.next().unwrap().to_string())
        })
        .unwrap()
}

#[test]
fn the_printed_check_verifies_with_a_countersigner_and_after_a_rotation() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for op in ["alice", "bob"] {
        stdout(&run(
            &data,
            PASS,
            &["key", "generate", "--operator", op, "--kdf-rounds", "16"],
        ));
    }
    let alice_first = keyid(&data, "alice");
    let bob = keyid(&data, "bob");

    let cmd = attest(&data, PASS);
    let (ok, out) = paste(&data, &cmd);
    assert!(ok, "{out}");

    stdout(&run(
        &data,
        PASS,
        &["countersign", "1", "--operator", "bob"],
    ));
    let cmd = attest(&data, PASS);
    assert!(
        cmd.contains(&format!("--expect-key alice:{alice_first}"))
            && cmd.contains(&format!("--expect-key bob:{bob}")),
        "{cmd}"
    );
    for cmd in [cmd, summary_command(&data)] {
        let (ok, out) = paste(&data, &cmd);
        assert!(ok, "{out}");
    }

    let rotated = stdout(&run(
        &data,
        PASS,
        &["key", "rotate", "--operator", "alice", "--kdf-rounds", "16"],
    ));
    let alice_new = keyid(&data, "alice");
    assert_ne!(alice_new, alice_first);
    let cmd = rotated
        .lines()
        .find_map(|l| l.find("stationward verify").map(|at| l[at..].to_string()))
        .unwrap_or_else(|| panic!("{rotated}"));
    let (ok, out) = paste(&data, &cmd);
    assert!(ok, "{out}");

    let cmd = attest(&data, NEW_PASS);
    // The first key stays on the form; the rotation record vouches for the new one.
    assert!(
        cmd.contains(&format!("--expect-key alice:{alice_first}")) && !cmd.contains(&alice_new),
        "{cmd}"
    );
    for cmd in [cmd, summary_command(&data)] {
        let (ok, out) = paste(&data, &cmd);
        assert!(ok, "{out}");
        assert!(out.contains("Result: verified"), "{out}");
    }
}
