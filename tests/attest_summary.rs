#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `stationward summary` of a signed record applies the same trust rule as `verify`: never a
//! file beside the record, only the data directory's anchors or the auditor's; a record whose
//! ledger does not verify is refused; a record that is not the head says so; control titles
//! come only from the checklist the record was signed against.

use assert_cmd::Command;
use predicates::prelude::*;
use stationward::attest::ledger::{self, append_record_at};
use stationward::attest::testing::sample_predicate;
use stationward::attest::{KeyStore, OperatorId, Signer};
use stationward::checklist::Checklist;
use stationward::report::summary::{RecordParts, SignedRecordInfo, Summary};
use std::fs;
use std::path::{Path, PathBuf};

const T0: i64 = 1_772_352_000;

fn sw(data: &Path) -> Command {
    let mut c = Command::cargo_bin("stationward").unwrap();
    c.env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("no-config"))
        .env_remove("STATIONWARD_PASSPHRASE")
        .env("NO_COLOR", "1");
    c
}

/// A data directory with `n` records by a fresh "alice" key.
fn data_dir(root: &Path, n: usize) -> (PathBuf, Signer) {
    let data = root.to_path_buf();
    let alice = Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap();
    KeyStore::new(&data)
        .trust(alice.operator(), alice.public_key())
        .unwrap();
    for i in 0..n {
        append_record_at(&data, &alice, sample_predicate(), &[], T0 + 60 * i as i64).unwrap();
    }
    (data, alice)
}

#[test]
fn a_foreign_allowed_signers_beside_the_record_is_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _) = data_dir(&tmp.path().join("station"), 1);
    // The attacker's own ledger, signed by a key of theirs named "alice", with an
    // allowed_signers beside it that lists that key.
    let (evil, _) = data_dir(&tmp.path().join("evil"), 2);
    let record = ledger::record_path(&evil, 2);
    sw(&data)
        .arg("summary")
        .arg(&record)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("its ledger does not verify"))
        .stderr(predicate::str::contains(
            "trust: the station's own allowed_signers",
        ))
        .stdout(predicate::str::is_empty());
    // With the attacker's file given explicitly it is the auditor's choice, and named.
    sw(&data)
        .arg("summary")
        .arg(&record)
        .arg("--allowed-signers")
        .arg(evil.join("allowed_signers"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "trust: the auditor's allowed_signers",
        ));
}

#[test]
fn only_the_head_prints_plainly_and_a_broken_record_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, alice) = data_dir(tmp.path(), 3);
    let anchor = format!("alice:{}", alice.keyid());
    let latest = sw(&data)
        .args(["summary", "--latest", "--expect-key", &anchor])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "trust: expected keys {anchor}"
        )))
        .get_output()
        .stdout
        .clone();
    let latest = String::from_utf8(latest).unwrap();
    assert!(latest.contains("signed record #3"), "{latest}");
    assert!(!latest.contains("NOT THE NEWEST"), "{latest}");
    assert!(latest.contains("Trusted by"), "{latest}");
    sw(&data)
        .arg("summary")
        .arg(ledger::record_path(&data, 2))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "NOT THE NEWEST RECORD: this is record 2 of a ledger whose head is",
        ));
    // A record with its SSH signature gone: refused, not printed with a head hash.
    fs::remove_file(ledger::ledger_dir(&data).join("000003.dsse.json.sig")).unwrap();
    sw(&data)
        .args(["summary", "--latest"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing 000003.dsse.json.sig"))
        .stdout(predicate::str::is_empty());
    // A record file outside any ledger is not a record to print.
    let stray = tmp.path().join("copy.json");
    fs::copy(ledger::record_path(&data, 1), &stray).unwrap();
    sw(&data)
        .arg("summary")
        .arg(&stray)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a ledger record"));
}

#[test]
fn a_key_rotation_record_is_not_printed_as_a_sign_off() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, alice) = data_dir(tmp.path(), 1);
    let new = Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap();
    KeyStore::new(&data)
        .trust(new.operator(), new.public_key())
        .unwrap();
    ledger::append_rotation(&data, &alice, new.public_key(), T0 + 60).unwrap();
    sw(&data)
        .args(["summary", "--latest"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a key-rotation record"));
}

fn parts(digest: &str, list: &Checklist) -> RecordParts {
    RecordParts {
        hostname: "cs-ward4".into(),
        os: String::new(),
        kernel: String::new(),
        checklist_id: list.id.clone(),
        checklist_version: list.version.clone(),
        checklist_digest: digest.into(),
        operator: Some("alice".into()),
        tool: stationward::scan::Tool {
            name: "stationward".into(),
            version: "0".into(),
        },
        started_at: String::new(),
        signed_at: Some("2026-03-01T08:00:00Z".into()),
        privileged: Some(true),
        role: None,
        site: None,
        controls: vec![stationward::report::summary::RecordControl {
            id: list.controls[0].id.clone(),
            verdict: stationward::walkthrough::Verdict::Passed,
            note: String::new(),
            method: list.controls[0].method,
            findings: Vec::new(),
            waiver: None,
            attachments: Vec::new(),
        }],
    }
}

fn info() -> SignedRecordInfo {
    SignedRecordInfo {
        record_file: "000001.dsse.json".into(),
        keyid: "SHA256:x".into(),
        operator: "alice".into(),
        seq: 1,
        sha256: "ab".repeat(32),
        signed_at: "2026-03-01T08:00:00Z".into(),
    }
}

#[test]
fn titles_come_only_from_the_checklist_with_the_records_digest() {
    let list = Checklist::builtin().unwrap();
    let title = list.controls[0].title.clone();
    let same = Summary::from_parts(
        parts(&format!("sha256:{}", list.digest), &list),
        Some(&list),
        Some(info()),
    );
    assert_eq!(same.controls[0].title, title);
    assert!(same.header.checklist.note.is_none());
    let other = Summary::from_parts(
        parts(&format!("sha256:{}", "cd".repeat(32)), &list),
        Some(&list),
        Some(info()),
    );
    assert_eq!(other.controls[0].title, list.controls[0].id);
    let note = other.header.checklist.note.as_deref().unwrap();
    assert!(
        note.contains("not the one this was signed against"),
        "{note}"
    );
    let text = stationward::report::render(&other, stationward::report::Format::Text).unwrap();
    assert!(text.contains("not the one this was"), "{text}");
}

#[test]
fn control_characters_from_the_record_never_reach_the_terminal() {
    let list = Checklist::builtin().unwrap();
    let mut p = parts("sha256:00", &list);
    p.hostname = "cs\x1b]0;owned\x07-ward4".into();
    p.controls[0].note = "line \x1b[31mone\u{202e}\nline two".into();
    let s = Summary::from_parts(p, None, Some(info()));
    for format in [
        stationward::report::Format::Text,
        stationward::report::Format::Markdown,
    ] {
        let out = stationward::report::render(&s, format).unwrap();
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out}");
        assert!(!out.contains('\u{202e}'), "{out}");
        assert!(out.contains("x1b") && out.contains("owned"), "{out}");
    }
    let text = stationward::report::render(&s, stationward::report::Format::Text).unwrap();
    assert!(text.contains("cs\\x1b]0;owned\\x07-ward4"), "{text}");
    assert!(text.contains("line \\x1b[31mone\\u{202e}"), "{text}");
    let html = stationward::report::render(&s, stationward::report::Format::Html).unwrap();
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    assert!(!style.contains('\x1b'), "{style}");
}

#[test]
fn the_hostname_cannot_leave_the_css_string_or_the_style_element() {
    let list = Checklist::builtin().unwrap();
    let mut p = parts("sha256:00", &list);
    p.hostname = "x\"; } </style><script>alert(1)</script>\\".into();
    let s = Summary::from_parts(p, None, Some(info()));
    let html = stationward::report::render(&s, stationward::report::Format::Html).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert_eq!(html.matches("</style>").count(), 1);
    assert_eq!(
        stationward::report::html::css_string("a\"</style>\\"),
        "a\\22 \\3c \\2f style\\3e \\5c "
    );
}
