#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A FIFO or `/dev/zero` in every file slot that verify, summary, key import and attest read:
//! each command finishes in under a second with exit 1 (verification failed) or 2 (bad
//! input), never hangs and never reads without bound.

mod support;

use stationward::attest::ledger::{self, EvidenceFile, append_record_at};
use stationward::attest::testing::{sample_predicate, trusted_signer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const T0: i64 = 1_772_352_000;

#[derive(Clone, Copy, Debug)]
enum Hostile {
    Fifo,
    /// A symlink to `/dev/zero` (refused as a symlink inside the ledger, followed to a
    /// character device for files named on the command line).
    DevZeroLink,
    /// A character device node 1:5 (`/dev/zero` itself), root only.
    DevZeroNode,
}

fn plant(path: &Path, what: Hostile) {
    let _ = std::fs::remove_file(path);
    let ok = match what {
        // coreutils, like the fsread unit tests use.
        Hostile::Fifo => Command::new("mkfifo").arg(path).status().unwrap().success(),
        Hostile::DevZeroLink => std::os::unix::fs::symlink("/dev/zero", path).is_ok(),
        Hostile::DevZeroNode => Command::new("mknod")
            .arg(path)
            .args(["c", "1", "5"])
            .status()
            .unwrap()
            .success(),
    };
    assert!(ok, "cannot make {what:?} at {}", path.display());
}

fn ledger_with_evidence(root: &Path) -> (PathBuf, String) {
    let data = root.join("data");
    let signer = trusted_signer(&data, "alice").unwrap();
    let evidence = [EvidenceFile {
        name: "sshd_config".into(),
        bytes: b"PermitRootLogin no\n".to_vec(),
    }];
    append_record_at(&data, &signer, sample_predicate(), &evidence, T0).unwrap();
    let hex = stationward::attest::sha256_hex(b"PermitRootLogin no\n");
    (data, hex)
}

/// Runs stationward with a 10 s safety timeout; returns (exit code, elapsed, stderr+stdout).
fn run(data: &Path, args: &[&std::ffi::OsStr]) -> (Option<i32>, Duration, String) {
    let start = Instant::now();
    let out = assert_cmd::Command::cargo_bin("stationward")
        .unwrap()
        .args(args)
        .env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("no-config"))
        .env("STATIONWARD_PASSPHRASE", "correct horse battery")
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    (
        out.status.code(),
        start.elapsed(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn assert_refused(slot: &str, what: Hostile, result: (Option<i32>, Duration, String)) {
    let (code, elapsed, out) = result;
    assert!(
        matches!(code, Some(1 | 2)),
        "{slot} as {what:?}: exit {code:?}\n{out}"
    );
    assert!(
        elapsed < Duration::from_secs(1),
        "{slot} as {what:?}: took {elapsed:?}"
    );
}

fn every_slot(what: Hostile) {
    let os = |s: &str| std::ffi::OsString::from(s);
    // verify: each file of the ledger, the evidence, the station's allowed_signers, and the
    // auditor's --allowed-signers.
    let ledger_slots = [
        "ledger/000001.dsse.json",
        "ledger/000001.dsse.json.sig",
        "ledger/SHA256SUMS",
        "ledger/SHA256SUMS.sig",
        "evidence/sha256/EVIDENCE",
        "allowed_signers",
    ];
    for slot in ledger_slots {
        let tmp = tempfile::tempdir().unwrap();
        let (data, hex) = ledger_with_evidence(tmp.path());
        plant(&data.join(slot.replace("EVIDENCE", &hex)), what);
        assert_refused(slot, what, run(&data, &[&os("verify")]));
        if slot != "allowed_signers" {
            assert_refused(
                &format!("summary with {slot}"),
                what,
                run(&data, &[&os("summary"), &os("--latest")]),
            );
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let (data, _) = ledger_with_evidence(tmp.path());
    let hostile = tmp.path().join("hostile");
    plant(&hostile, what);
    for cmd in ["verify", "summary"] {
        assert_refused(
            &format!("{cmd} --allowed-signers"),
            what,
            run(
                &data,
                &[&os(cmd), &os("--allowed-signers"), hostile.as_os_str()],
            ),
        );
    }
    // summary of a record path that is not a regular file.
    let record_slot = tmp.path().join("elsewhere").join("000001.dsse.json");
    std::fs::create_dir_all(record_slot.parent().unwrap()).unwrap();
    plant(&record_slot, what);
    assert_refused(
        "summary RECORD",
        what,
        run(&data, &[&os("summary"), record_slot.as_os_str()]),
    );
    // attest --answers FILE.
    assert_refused(
        "attest --answers",
        what,
        run(
            &data,
            &[
                &os("attest"),
                &os("--answers"),
                hostile.as_os_str(),
                &os("--operator"),
                &os("alice"),
            ],
        ),
    );
    // key import FILE and --passphrase-file.
    assert_refused(
        "key import FILE",
        what,
        run(
            &data,
            &[
                &os("key"),
                &os("import"),
                hostile.as_os_str(),
                &os("--operator"),
                &os("bob"),
            ],
        ),
    );
    assert_refused(
        "key generate --passphrase-file",
        what,
        run(
            &data,
            &[
                &os("key"),
                &os("generate"),
                &os("--operator"),
                &os("carol"),
                &os("--passphrase-file"),
                hostile.as_os_str(),
            ],
        ),
    );
    // The key store: a public key (key list, export-pub) and a private key (attest).
    let os_args =
        |args: &[&str]| -> Vec<std::ffi::OsString> { args.iter().map(|a| os(a)).collect() };
    for (slot, commands) in [
        (
            "keys/alice.pub",
            vec![vec!["key", "list"], vec!["key", "export-pub", "alice"]],
        ),
        (
            "keys/alice",
            vec![vec![
                "attest",
                "--answers",
                "assets/answers/example.toml",
                "--operator",
                "alice",
                "--root",
                "tests/fixtures/hosts/debian12",
            ]],
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let generate = os_args(&[
            "key",
            "generate",
            "--operator",
            "alice",
            "--kdf-rounds",
            "16",
        ]);
        let (code, _, out) = run(
            &data,
            &generate
                .iter()
                .map(std::ffi::OsString::as_os_str)
                .collect::<Vec<_>>(),
        );
        assert_eq!(code, Some(0), "{out}");
        plant(&data.join(slot), what);
        for command in commands {
            let args = os_args(&command);
            assert_refused(
                &format!("{} with {slot}", command.join(" ")),
                what,
                run(
                    &data,
                    &args
                        .iter()
                        .map(std::ffi::OsString::as_os_str)
                        .collect::<Vec<_>>(),
                ),
            );
        }
    }
}

#[test]
fn a_fifo_in_every_slot_is_refused_at_once() {
    every_slot(Hostile::Fifo);
}

#[test]
fn dev_zero_behind_a_symlink_in_every_slot_is_refused_at_once() {
    every_slot(Hostile::DevZeroLink);
}

#[test]
#[ignore = "needs root to make a device node (run by CI with --include-ignored)"]
fn a_dev_zero_device_node_in_every_slot_is_refused_at_once() {
    support::require(&["mknod"], true);
    every_slot(Hostile::DevZeroNode);
}

#[test]
fn attest_refuses_a_fifo_in_the_evidence_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let signer = trusted_signer(&data, "alice").unwrap();
    let bytes = b"PermitRootLogin no\n".to_vec();
    let hex = stationward::attest::sha256_hex(&bytes);
    std::fs::create_dir_all(ledger::evidence_dir(&data)).unwrap();
    plant(&ledger::evidence_dir(&data).join(&hex), Hostile::Fifo);
    let start = Instant::now();
    let e = append_record_at(
        &data,
        &signer,
        sample_predicate(),
        &[EvidenceFile {
            name: "sshd_config".into(),
            bytes,
        }],
        T0,
    )
    .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(e.to_string().contains("FIFO"), "{e}");
}

#[test]
fn key_import_of_a_missing_or_directory_path_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for path in [tmp.path().join("missing"), tmp.path().to_path_buf()] {
        let (code, _, out) = run(
            &data,
            &[
                std::ffi::OsStr::new("key"),
                std::ffi::OsStr::new("import"),
                path.as_os_str(),
                std::ffi::OsStr::new("--operator"),
                std::ffi::OsStr::new("bob"),
            ],
        );
        assert_eq!(code, Some(2), "{}: {out}", path.display());
    }
}
