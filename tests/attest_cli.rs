#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `stationward key ...` and `stationward verify` through the real binary: output and exit
//! codes (0 ok, 1 verification failed, 2 bad input).

use assert_cmd::Command;
use predicates::prelude::*;
use stationward::attest::ledger::{self, EvidenceFile};
use stationward::attest::testing::sample_predicate;
use stationward::attest::{KeyStore, OperatorId, append_record};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const PASS: &str = "correct horse battery";

fn sw(data: &Path) -> Command {
    let mut c = Command::cargo_bin("stationward").unwrap();
    c.env("STATIONWARD_DATA_DIR", data)
        .env_remove("STATIONWARD_PASSPHRASE")
        .env("NO_COLOR", "1");
    c
}

fn pass_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("pass");
    fs::write(&p, format!("{PASS}\n")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    p
}

#[test]
fn key_generate_list_export_then_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pass = pass_file(tmp.path());
    sw(&data)
        .args([
            "key",
            "generate",
            "--operator",
            "alice",
            "--kdf-rounds",
            "16",
            "--passphrase-file",
        ])
        .arg(&pass)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Generated ssh-ed25519 key for operator \"alice\"",
        ))
        .stdout(predicate::str::contains("bcrypt 16 rounds"))
        .stdout(predicate::str::contains("fingerprint  SHA256:"));
    // The environment variable works too; a second key for the same operator is refused.
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", PASS)
        .args([
            "key",
            "generate",
            "--operator",
            "alice",
            "--kdf-rounds",
            "16",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "already exists (refusing to overwrite)",
        ));
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", PASS)
        .args(["key", "generate", "--operator", "bob", "--kdf-rounds", "16"])
        .assert()
        .success();
    sw(&data)
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match("(?m)^alice +SHA256:\\S+ +bcrypt/16 +yes$").unwrap())
        .stdout(predicate::str::is_match("(?m)^bob ").unwrap());
    sw(&data)
        .args(["key", "export-pub", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::is_match("^ssh-ed25519 AAAA\\S+ alice\n$").unwrap());
    sw(&data)
        .args(["key", "export-pub", "alice", "--pem"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA",
        ));

    // Sign two records with the generated key, then verify through the CLI.
    let signer = KeyStore::new(&data)
        .load_signer(&OperatorId::parse("alice").unwrap(), PASS)
        .unwrap();
    let evidence = [EvidenceFile {
        name: "sshd_config".into(),
        bytes: b"PermitRootLogin no\n".to_vec(),
    }];
    append_record(&data, &signer, sample_predicate(), &evidence).unwrap();
    let head = append_record(&data, &signer, sample_predicate(), &evidence).unwrap();
    sw(&data)
        .args(["verify", "--expect-head", &head.to_string()])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "Records         2 (head {head})"
        )))
        .stdout(predicate::str::contains("✔ PASS  envelope signatures"))
        .stdout(predicate::str::contains("Result: verified"));
    // A ledger dir given explicitly is judged by the data directory's anchors (here none),
    // never by the allowed_signers beside it; the auditor names their own file.
    sw(tmp.path())
        .arg("verify")
        .arg(ledger::ledger_dir(&data))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}: cannot read",
            tmp.path().join("allowed_signers").display()
        )));
    sw(tmp.path())
        .arg("verify")
        .arg(ledger::ledger_dir(&data))
        .arg("--allowed-signers")
        .arg(data.join("allowed_signers"))
        .assert()
        .success();

    // Tampering: exit 1, first broken record named.
    let record = ledger::record_path(&data, 1);
    let text = fs::read_to_string(&record).unwrap();
    fs::write(&record, text.replacen('{', "[", 1)).unwrap();
    sw(&data)
        .arg("verify")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "First broken: 000001.dsse.json: corrupt JSON at line 1 column",
        ))
        .stdout(predicate::str::contains("✘ FAIL  envelope signatures"))
        .stdout(predicate::str::contains("Result: VERIFICATION FAILED"));
}

#[test]
fn import_a_key_file_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let key = tmp.path().join("id_ed25519");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attest/ssh-keygen-ed25519.key"),
        &key,
    )
    .unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", "pass")
        .args(["key", "import"])
        .arg(&key)
        .args(["--operator", "tech"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "readable by group or others (mode 0644)",
        ));
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", "not the passphrase")
        .args(["key", "import"])
        .arg(&key)
        .args(["--operator", "tech"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrong passphrase"));
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", "technician pass")
        .args(["key", "import"])
        .arg(&key)
        .args(["--operator", "tech"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Imported ssh-ed25519 key for operator \"tech\"",
        ));

    let plain = tmp.path().join("plain");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attest/unencrypted-ed25519.key"),
        &plain,
    )
    .unwrap();
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o600)).unwrap();
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", "pass")
        .args(["key", "import"])
        .arg(&plain)
        .args(["--operator", "other"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not protected by a passphrase"));
}

#[test]
fn bad_input_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    sw(data)
        .args(["key", "generate", "--operator", "a/b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid operator id \"a/b\": it contains '/'",
        ));
    sw(data)
        .args([
            "key",
            "generate",
            "--operator",
            "alice",
            "--kdf-rounds",
            "4",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--kdf-rounds 4 is too low"));
    // No terminal, no file, no variable: a clear refusal instead of a hang.
    sw(data)
        .args(["key", "generate", "--operator", "alice"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no passphrase"));
    sw(data)
        .args(["key", "export-pub", "nobody"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no key for operator \"nobody\""));
    sw(data)
        .args(["key", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No operator keys"));
    sw(data)
        .arg("verify")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such ledger directory"));
    // Pointed at some other directory: named as not a ledger, not as a missing allowed_signers.
    let elsewhere = data.join("photos");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("ward.jpg"), "x").unwrap();
    sw(data)
        .arg("verify")
        .arg(&elsewhere)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a ledger directory"));
    let file = data.join("not-a-dir");
    fs::write(&file, "").unwrap();
    sw(data)
        .arg("verify")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not-a-dir: not a directory"));
    fs::create_dir_all(data.join("ledger")).unwrap();
    sw(data)
        .args(["verify", "--expect-head", "12:xyz"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--expect-head: \"12:xyz\" is not SEQ:SHA256",
        ));
    sw(data)
        .arg("verify")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("allowed_signers: cannot read"));
}
