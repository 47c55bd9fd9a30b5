#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The whole headless path a technician and an auditor take: make a key, sign off a station
//! from an answers file, verify the ledger, print the summary for `lp`.

use std::path::Path;
use std::process::{Command, Output};

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stationward"))
        .args(args)
        .env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("config"))
        .env("STATIONWARD_PASSPHRASE", "correct horse battery")
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

#[test]
fn sign_verify_and_print_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let generated = stdout(&run(
        data,
        &[
            "key",
            "generate",
            "--operator",
            "tech.jo",
            "--kdf-rounds",
            "16",
        ],
    ));
    let fingerprint = generated
        .lines()
        .find_map(|l| l.trim().strip_prefix("fingerprint"))
        .map(|f| f.trim().to_string())
        .unwrap();
    assert!(fingerprint.starts_with("SHA256:"), "{generated}");
    let signed = stdout(&run(
        data,
        &[
            "attest",
            "--answers",
            "assets/answers/example.toml",
            "--operator",
            "tech.jo",
            "--root",
            "tests/fixtures/hosts/debian12",
        ],
    ));
    let head = signed
        .lines()
        .find_map(|l| l.trim().strip_prefix("head"))
        .map(|h| h.trim().to_string())
        .unwrap();
    assert!(head.starts_with("1:") && head.len() == 66, "{signed}");

    let verified = stdout(&run(data, &["verify", "--expect-head", &head]));
    assert!(verified.contains("Result: verified"), "{verified}");

    let text = stdout(&run(data, &["summary", "--latest", "--format", "text"]));
    let sha = &head[2..];
    assert!(
        text.contains(sha),
        "the summary shows the head verify checked:\n{text}"
    );
    assert!(!text.contains("DRAFT"), "a signed record is not a draft");
    // The paper form carries the anchors an auditor checks later: the head and the signing
    // key's fingerprint, in print and in the HTML.
    assert!(
        text.contains(&fingerprint),
        "the summary shows the key fingerprint {fingerprint}:\n{text}"
    );
    let html = stdout(&run(data, &["summary", "--latest", "--format", "html"]));
    assert!(html.contains(&fingerprint) && html.contains(sha), "{html}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
    // The operator's verdicts made it through signing into print.
    assert!(
        text.contains("IPv6 not filtered; vendor ticket 4411 opened"),
        "{text}"
    );

    // An edited record no longer prints as signed.
    let record = data.join("ledger/000001.dsse.json");
    let bytes = std::fs::read(&record).unwrap();
    let mut edited = bytes.clone();
    let at = edited.len() / 2;
    edited[at] = if edited[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&record, edited).unwrap();
    let out = run(data, &["summary", "--latest"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a tampered record must not print as signed"
    );
}
