#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Countersignatures (issue 14): a second person's review of a sign-off, recorded as its own
//! ledger record (`urn:stationward:countersign:v1`). Refused for the record's own operator, a
//! missing record or a record that is not a sign-off; `verify` fails a countersignature that
//! names a missing or altered record; `summary` shows the countersigner in place of the blank
//! supervisor line; `require_countersign` makes an uncountersigned sign-off pending review.

mod support;

use assert_cmd::Command;
use predicates::prelude::*;
use stationward::attest::ledger::{
    self, Countersign, append_countersign, append_record_at, append_rotation, rebuild_manifest,
};
use stationward::attest::statement::{
    COUNTERSIGN_PREDICATE_TYPE, CountersignPredicate, CountersignStatement, CountersignVerdict,
    CountersignedRecord, DigestSet, LedgerLink, OperatorRef, PrevRecord, ResourceDescriptor,
    STATEMENT_TYPE, ToolRef,
};
use stationward::attest::testing::sample_predicate;
use stationward::attest::verify::{Check, Outcome, VerifyReport};
use stationward::attest::{
    KeyStore, LedgerError, OperatorId, Signer, VerifyOptions, dsse, sha256_hex, verify_ledger,
};
use std::fs;
use std::path::{Path, PathBuf};

const T0: i64 = 1_772_352_000; // 2026-03-01T08:00:00Z

fn sw(data: &Path) -> Command {
    let mut c = Command::cargo_bin("stationward").unwrap();
    c.env("STATIONWARD_DATA_DIR", data)
        .env("STATIONWARD_CONFIG_DIR", data.join("no-config"))
        .env_remove("STATIONWARD_PASSPHRASE")
        .env("NO_COLOR", "1");
    c
}

fn signer(data: &Path, operator: &str) -> Signer {
    let s = Signer::generate_in_memory(OperatorId::parse(operator).unwrap()).unwrap();
    KeyStore::new(data)
        .trust(s.operator(), s.public_key())
        .unwrap();
    s
}

/// Two sign-offs by alice; bob is trusted too.
fn two_signoffs() -> (tempfile::TempDir, PathBuf, Signer, Signer) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let alice = signer(&data, "alice");
    let bob = signer(&data, "bob");
    for i in 0..2 {
        append_record_at(&data, &alice, sample_predicate(), &[], T0 + 60 * i).unwrap();
    }
    (tmp, data, alice, bob)
}

fn verify(data: &Path) -> VerifyReport {
    verify_ledger(&VerifyOptions::for_data_dir(data)).unwrap()
}

fn approve(seq: u64) -> Countersign {
    Countersign {
        seq,
        verdict: CountersignVerdict::Approved,
        note: String::new(),
    }
}

fn failing(report: &VerifyReport, check: Check, needle: &str) {
    let c = report.check(check).unwrap();
    assert_eq!(c.outcome, Outcome::Fail, "{}", report.render_text());
    assert!(
        c.problems.iter().any(|p| p.reason.contains(needle)),
        "no {check:?} problem with {needle:?}:\n{}",
        report.render_text()
    );
}

#[test]
fn a_countersignature_verifies_and_is_reported_per_signoff() {
    let (_tmp, data, alice, bob) = two_signoffs();
    let before = verify(&data);
    assert!(before.check(Check::Countersignatures).is_none());
    assert!(
        before
            .render_text()
            .contains("Sign-offs       2, none countersigned"),
        "{}",
        before.render_text()
    );
    let appended = append_countersign(&data, &bob, &approve(1), T0 + 600).unwrap();
    assert_eq!(appended.head.seq, 3);
    let report = verify(&data);
    assert!(report.ok(), "{}", report.render_text());
    let check = report.check(Check::Countersignatures).unwrap();
    assert_eq!(check.outcome, Outcome::Pass);
    assert!(
        check.summary.contains("1 of 2 sign-offs countersigned"),
        "{}",
        check.summary
    );
    assert_eq!(report.countersigns.len(), 1);
    let c = &report.countersigns[0];
    assert_eq!((c.seq, c.record), (3, 1));
    assert_eq!(c.operator, "bob");
    assert_eq!(c.keyid, bob.keyid());
    assert_eq!(c.problem, None);
    let text = report.render_text();
    assert!(
        text.contains(&format!(
            "000001.dsse.json  APPROVED by bob ({}) at 2026-03-01T08:10:00Z in 000003.dsse.json",
            bob.keyid()
        )),
        "{text}"
    );
    assert!(
        text.contains("000002.dsse.json  not countersigned"),
        "{text}"
    );
    // The record's subject is the countersigned record, stored as evidence and re-hashed.
    let record1 = fs::read(ledger::record_path(&data, 1)).unwrap();
    let stored = ledger::evidence_dir(&data).join(sha256_hex(&record1));
    assert_eq!(fs::read(stored).unwrap(), record1);
    // The countersigner's key is pinned like any operator's; alice appends on as before.
    append_record_at(&data, &alice, sample_predicate(), &[], T0 + 700).unwrap();
    assert!(verify(&data).ok());
}

#[test]
fn countersigning_by_the_records_own_operator_is_refused_and_nothing_is_written() {
    let (_tmp, data, alice, _bob) = two_signoffs();
    let head = ledger::head(&data).unwrap();
    let e = append_countersign(&data, &alice, &approve(2), T0 + 600).unwrap_err();
    assert!(matches!(e, LedgerError::Countersign { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("cannot countersign 000002.dsse.json: signed by \"alice\""),
        "{e}"
    );
    assert_eq!(ledger::head(&data).unwrap(), head);
    assert!(verify(&data).ok());
}

#[test]
fn missing_records_non_signoffs_and_reasonless_rejections_are_refused() {
    let (_tmp, data, _alice, bob) = two_signoffs();
    let e = append_countersign(&data, &bob, &approve(7), T0 + 600).unwrap_err();
    assert!(e.to_string().contains("no such record"), "{e}");
    let e = append_countersign(
        &data,
        &bob,
        &Countersign {
            seq: 1,
            verdict: CountersignVerdict::Rejected,
            note: "  ".into(),
        },
        T0 + 600,
    )
    .unwrap_err();
    assert!(e.to_string().contains("a rejection needs a reason"), "{e}");
    // A key rotation is not a sign-off, nor is a countersignature.
    let carol = signer(&data, "carol");
    append_record_at(&data, &carol, sample_predicate(), &[], T0 + 600).unwrap();
    let newkey = Signer::generate_in_memory(OperatorId::parse("carol").unwrap()).unwrap();
    append_rotation(&data, &carol, newkey.public_key(), T0 + 660).unwrap();
    let e = append_countersign(&data, &bob, &approve(4), T0 + 700).unwrap_err();
    assert!(e.to_string().contains("not a sign-off"), "{e}");
    append_countersign(
        &data,
        &bob,
        &Countersign {
            seq: 1,
            verdict: CountersignVerdict::Rejected,
            note: "ICS-03 open without a waiver".into(),
        },
        T0 + 720,
    )
    .unwrap();
    let e = append_countersign(&data, &another_reviewer(&data), &approve(5), T0 + 780).unwrap_err();
    assert!(e.to_string().contains("not a sign-off"), "{e}");
    let report = verify(&data);
    assert!(report.ok(), "{}", report.render_text());
    assert_eq!(report.countersigns[0].verdict, CountersignVerdict::Rejected);
}

/// Anyone trusted other than bob, for the countersign-of-a-countersign case.
fn another_reviewer(data: &Path) -> Signer {
    signer(data, "dave")
}

/// Bob signs record `seq` of the ledger with `predicate` as he likes (a record stationward
/// would never write), and re-signs the manifest: only the countersignature check can object.
fn forge_countersign(data: &Path, bob: &Signer, seq: u64, named: CountersignedRecord) {
    let dir = ledger::ledger_dir(data);
    let prev = fs::read(ledger::record_path(data, seq - 1)).unwrap();
    let record1 = fs::read(ledger::record_path(data, 1)).unwrap();
    let statement = CountersignStatement {
        type_: STATEMENT_TYPE.into(),
        subject: vec![ResourceDescriptor {
            name: "000001.dsse.json".into(),
            digest: DigestSet {
                sha256: ledger::store_evidence(data, &record1).unwrap(),
            },
        }],
        predicate_type: COUNTERSIGN_PREDICATE_TYPE.into(),
        predicate: CountersignPredicate {
            operator: OperatorRef {
                id: "bob".into(),
                keyid: bob.keyid().to_string(),
            },
            record: named,
            verdict: CountersignVerdict::Approved,
            note: String::new(),
            tool: ToolRef::default(),
            signed_at: "2026-03-01T09:00:00Z".into(),
            ledger: LedgerLink {
                seq,
                prev: PrevRecord {
                    sha256: sha256_hex(&prev),
                },
            },
        },
    };
    let payload = serde_json::to_vec(&statement).unwrap();
    let record = dsse::sign(bob, dsse::PAYLOAD_TYPE, &payload).unwrap();
    let path = ledger::record_path(data, seq);
    fs::write(&path, &record).unwrap();
    let sig = bob.sign_sshsig(&record).unwrap();
    fs::write(format!("{}.sig", path.display()), sig).unwrap();
    rebuild_manifest(&dir, bob).unwrap();
}

#[test]
fn a_countersignature_naming_an_altered_or_missing_record_fails_verify() {
    let (_tmp, data, _alice, bob) = two_signoffs();
    // Names record 1 with a digest that is not record 1's: every other check passes.
    forge_countersign(
        &data,
        &bob,
        3,
        CountersignedRecord {
            seq: 1,
            sha256: "ab".repeat(32),
        },
    );
    let report = verify(&data);
    failing(
        &report,
        Check::Countersignatures,
        "names 000001.dsse.json with SHA-256 abab",
    );
    failing(&report, Check::Countersignatures, "(altered or replaced)");
    for c in Check::ALL
        .iter()
        .filter(|c| !matches!(c, Check::Countersignatures))
    {
        let r = report.check(*c).unwrap();
        assert_ne!(r.outcome, Outcome::Fail, "{}", report.render_text());
    }
    assert!(report.render_text().contains("DOES NOT STAND"));
    assert!(!report.ok());

    // A countersignature naming a record that is not earlier in the ledger.
    let (_tmp2, data2, _a2, bob2) = two_signoffs();
    forge_countersign(
        &data2,
        &bob2,
        3,
        CountersignedRecord {
            seq: 9,
            sha256: "ab".repeat(32),
        },
    );
    failing(
        &verify(&data2),
        Check::Countersignatures,
        "names 000009.dsse.json, which is not an earlier record",
    );

    // A genuine countersignature whose record was then deleted, or altered.
    let (_tmp3, data3, _a3, bob3) = two_signoffs();
    append_countersign(&data3, &bob3, &approve(2), T0 + 600).unwrap();
    let r2 = ledger::record_path(&data3, 2);
    let original = fs::read(&r2).unwrap();
    let mut altered = original.clone();
    altered.insert(altered.len() - 1, b' ');
    fs::write(&r2, &altered).unwrap();
    failing(
        &verify(&data3),
        Check::Countersignatures,
        "that record's SHA-256 is",
    );
    fs::remove_file(&r2).unwrap();
    fs::remove_file(format!("{}.sig", r2.display())).unwrap();
    failing(
        &verify(&data3),
        Check::Countersignatures,
        "names 000002.dsse.json, which is missing from the ledger",
    );
}

#[test]
fn cli_countersign_summary_shows_the_countersigner_and_policy_requires_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pass = "correct horse battery";
    for op in ["alice", "bob"] {
        sw(&data)
            .env("STATIONWARD_PASSPHRASE", pass)
            .args(["key", "generate", "--operator", op, "--kdf-rounds", "16"])
            .assert()
            .success();
    }
    let store = KeyStore::new(&data);
    let alice = store
        .load_signer(&OperatorId::parse("alice").unwrap(), pass)
        .unwrap();
    let bob = store
        .load_signer(&OperatorId::parse("bob").unwrap(), pass)
        .unwrap();
    append_record_at(&data, &alice, sample_predicate(), &[], T0).unwrap();
    let policy = tmp.path().join("policy.toml");
    fs::write(
        &policy,
        "[site]\nname = \"Ward 4\"\nrole = \"central-station\"\nrequire_countersign = true\n",
    )
    .unwrap();

    // Before: the blank supervisor line, and pending review under the policy.
    let plain = sw(&data).arg("summary").assert().success();
    let plain = String::from_utf8(plain.get_output().stdout.clone()).unwrap();
    assert!(plain.contains("  Supervisor  name ____"), "{plain}");
    assert!(!plain.contains("PENDING REVIEW"), "{plain}");
    sw(&data)
        .arg("summary")
        .arg("--policy")
        .arg(&policy)
        .assert()
        .success()
        .stdout(predicate::str::contains("PENDING REVIEW"));

    // The operator of the record cannot countersign it.
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .args(["countersign", "1", "--operator", "alice"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a countersignature must come from another person",
        ));
    // A rejection without a reason is refused; --reject and --note together are a usage error.
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .args(["countersign", "1", "--operator", "bob", "--reject", " "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a reason"));
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .args([
            "countersign",
            "1",
            "--operator",
            "bob",
            "--reject",
            "no",
            "--note",
            "yes",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    let record = ledger::record_path(&data, 1);
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .arg("countersign")
        .arg(&record)
        .args(["--operator", "bob", "--note", "reviewed on site"])
        .assert()
        .success()
        .stdout(predicate::str::contains("APPROVED 000001.dsse.json by bob"));

    // Verify reports it per sign-off.
    sw(&data)
        .arg("verify")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "000001.dsse.json  APPROVED by bob",
        ));

    // `summary --latest` is of the sign-off (the countersignature is not a summary), and
    // shows name, key fingerprint and time in place of the blank supervisor line.
    let text = sw(&data)
        .args(["summary", "--latest"])
        .arg("--policy")
        .arg(&policy)
        .assert()
        .success();
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(text.contains("signed record #1"), "{text}");
    assert!(!text.contains("NOT THE NEWEST"), "{text}");
    assert!(!text.contains("PENDING REVIEW"), "{text}");
    assert!(!text.contains("Supervisor  name ____"), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&format!(
            "  Supervisor  APPROVED by bob, countersignature 000002.dsse.json\n              key {}\n",
            bob.keyid()
        )),
        "{text}"
    );
    assert!(flat.contains("Note: reviewed on site"), "{text}");
    let signed_at = &verify(&data).countersigns[0].signed_at;
    assert!(flat.contains(&format!("at {signed_at}")), "{text}");

    for (format, needles) in [
        (
            "json",
            vec![
                "\"countersignatures\"".to_string(),
                format!("\"keyid\": \"{}\"", bob.keyid()),
                "\"verdict\": \"APPROVED\"".to_string(),
            ],
        ),
        (
            "markdown",
            vec![format!(
                "**Supervisor** — APPROVED by bob (key `{}`) at",
                bob.keyid()
            )],
        ),
        (
            "html",
            vec![format!(
                "<td class=\"who\">Supervisor</td><td colspan=\"4\">APPROVED by bob (key <code>{}</code>) at",
                bob.keyid()
            )],
        ),
    ] {
        let out = sw(&data)
            .args(["summary", "--format", format])
            .assert()
            .success();
        let out = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        for n in needles {
            assert!(out.contains(&n), "{format}: {n} missing:\n{out}");
        }
    }
    // The countersignature record itself is not a summary.
    sw(&data)
        .arg("summary")
        .arg(ledger::record_path(&data, 2))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a countersignature (APPROVED of 000001.dsse.json",
        ));
}

#[test]
fn a_rejection_under_require_countersign_is_not_complete() {
    let (tmp, data, _alice, bob) = two_signoffs();
    append_countersign(
        &data,
        &bob,
        &Countersign {
            seq: 2,
            verdict: CountersignVerdict::Rejected,
            note: "no waiver for ICS-03".into(),
        },
        T0 + 600,
    )
    .unwrap();
    let policy = tmp.path().join("policy.toml");
    fs::write(
        &policy,
        "[site]\nname = \"Ward 4\"\nrole = \"central-station\"\nrequire_countersign = true\n",
    )
    .unwrap();
    let out = sw(&data)
        .arg("summary")
        .arg("--policy")
        .arg(&policy)
        .assert()
        .success();
    let out = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("REJECTED IN REVIEW by bob"), "{out}");
    assert!(flat.contains("Supervisor REJECTED by bob"), "{out}");
    assert!(flat.contains("Note: no waiver for ICS-03"), "{out}");
}

#[test]
#[ignore = "needs ssh-keygen (run by CI with --include-ignored)"]
fn ssh_keygen_verifies_a_countersignature_record() {
    support::require(&["ssh-keygen"], false);
    let (_tmp, data, _alice, bob) = two_signoffs();
    append_countersign(&data, &bob, &approve(1), T0 + 600).unwrap();
    let record = ledger::record_path(&data, 3);
    let check = |principal: &str| {
        std::process::Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(data.join("allowed_signers"))
            .args(["-I", principal, "-n", "stationward-attestation-v1", "-s"])
            .arg(format!("{}.sig", record.display()))
            .stdin(fs::File::open(&record).unwrap())
            .output()
            .unwrap()
    };
    let good = check("bob");
    assert!(
        good.status.success(),
        "{}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(
        String::from_utf8_lossy(&good.stdout)
            .contains("Good \"stationward-attestation-v1\" signature for bob")
    );
    // Not alice's signature, and not over altered bytes.
    assert!(!check("alice").status.success());
    let mut bytes = fs::read(&record).unwrap();
    bytes.insert(bytes.len() - 1, b' ');
    fs::write(&record, bytes).unwrap();
    assert!(!check("bob").status.success());
}
