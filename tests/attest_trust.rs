#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The trust rule against an attacker who can write the data directory but holds no
//! operator's key: forged records under an added `allowed_signers` line, validity windows,
//! replayed records, a deleted tail, key continuity and rotation; through the library and
//! through `stationward verify`.

use assert_cmd::Command;
use predicates::prelude::*;
use stationward::attest::ledger::{
    self, EvidenceFile, append_record_at, append_record_reporting, append_rotation,
    rebuild_manifest,
};
use stationward::attest::statement::Statement;
use stationward::attest::testing::sample_predicate;
use stationward::attest::verify::{Check, Outcome, VerifyReport};
use stationward::attest::{
    ExpectKey, KeyStore, LedgerError, OperatorId, Signer, VerifyOptions, dsse, sha256_hex,
    verify_ledger,
};
use std::fs;
use std::path::{Path, PathBuf};

const T0: i64 = 1_772_352_000; // 2026-03-01T08:00:00Z

fn sw(data: &Path) -> Command {
    let mut c = Command::cargo_bin("stationward").unwrap();
    c.env("STATIONWARD_DATA_DIR", data)
        .env_remove("STATIONWARD_PASSPHRASE")
        .env("NO_COLOR", "1");
    c
}

struct Ledger {
    tmp: tempfile::TempDir,
    data: PathBuf,
    alice: Signer,
}

impl Ledger {
    fn dir(&self) -> PathBuf {
        ledger::ledger_dir(&self.data)
    }
    fn verify(&self) -> VerifyReport {
        verify_ledger(&VerifyOptions::for_data_dir(&self.data)).unwrap()
    }
    fn verify_expecting(&self, keys: &[ExpectKey]) -> VerifyReport {
        let mut o = VerifyOptions::for_data_dir(&self.data);
        o.expect_keys = keys.to_vec();
        verify_ledger(&o).unwrap()
    }
    fn alice_anchor(&self) -> ExpectKey {
        format!("alice:{}", self.alice.keyid()).parse().unwrap()
    }
}

fn signer(operator: &str) -> Signer {
    Signer::generate_in_memory(OperatorId::parse(operator).unwrap()).unwrap()
}

fn evidence(i: usize) -> Vec<EvidenceFile> {
    vec![EvidenceFile {
        name: "nft-ruleset.txt".into(),
        bytes: format!("table inet filter {{ # {i}\n}}\n").into_bytes(),
    }]
}

/// Three records signed by alice, a minute apart from T0.
fn ledger3() -> Ledger {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let alice = signer("alice");
    KeyStore::new(&data)
        .trust(alice.operator(), alice.public_key())
        .unwrap();
    for i in 0..3 {
        append_record_at(
            &data,
            &alice,
            sample_predicate(),
            &evidence(i),
            T0 + 60 * i as i64,
        )
        .unwrap();
    }
    Ledger { tmp, data, alice }
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

/// What an attacker without alice's key does: a key of their own, listed for "alice" in the
/// station's allowed_signers, a record 4 in alice's name chained onto the head, its SSHSIG,
/// and a manifest re-signed with that key.
fn forge_next_record(l: &Ledger) -> Signer {
    let forger = signer("alice");
    KeyStore::new(&l.data)
        .trust(forger.operator(), forger.public_key())
        .unwrap();
    let dir = l.dir();
    let head = fs::read(dir.join("000003.dsse.json")).unwrap();
    let opened = dsse::open(&head).unwrap();
    let mut statement = Statement::from_bytes(&opened.payload).unwrap();
    statement.predicate.ledger.seq = 4;
    statement.predicate.ledger.prev.sha256 = sha256_hex(&head);
    statement.predicate.operator.keyid = forger.keyid().to_string();
    statement.predicate.signed_at = "2026-03-01T09:00:00Z".into();
    statement.predicate.controls[0].verdict = stationward::attest::statement::Verdict::Passed;
    let record = dsse::sign(&forger, dsse::PAYLOAD_TYPE, &statement.to_bytes().unwrap()).unwrap();
    fs::write(dir.join("000004.dsse.json"), &record).unwrap();
    fs::write(
        dir.join("000004.dsse.json.sig"),
        forger.sign_sshsig(&record).unwrap(),
    )
    .unwrap();
    rebuild_manifest(&dir, &forger).unwrap();
    forger
}

#[test]
fn forged_record_under_an_added_allowed_signers_line_is_caught_by_continuity() {
    let l = ledger3();
    forge_next_record(&l);
    let report = l.verify();
    // Every signature checks against the station's (edited) file...
    for check in [Check::Envelopes, Check::SshSignatures, Check::Chain] {
        assert_eq!(
            report.check(check).unwrap().outcome,
            Outcome::Pass,
            "{}",
            report.render_text()
        );
    }
    // ...but alice's key was pinned by record 1.
    failing(&report, Check::Continuity, "no key-rotation record");
    assert!(!report.ok());
    let (check, p) = report.first_broken().unwrap();
    assert_eq!((check, p.seq), (Check::Continuity, Some(4)));
}

#[test]
fn forged_record_is_caught_by_expect_key() {
    let l = ledger3();
    let anchor = l.alice_anchor();
    assert!(l.verify_expecting(std::slice::from_ref(&anchor)).ok());
    forge_next_record(&l);
    let report = l.verify_expecting(&[anchor]);
    failing(
        &report,
        Check::Envelopes,
        "is not the key expected for \"alice\"",
    );
    assert!(report.trust.contains("expected keys alice:SHA256:"));
    assert!(!report.station_anchors);
}

#[test]
fn a_forged_first_record_with_its_own_allowed_signers_is_caught_by_expect_key_only() {
    // A whole ledger made by the attacker is self-consistent: continuity pins the attacker's
    // key. Only an anchor kept off the station tells.
    let l = ledger3();
    let forger_ledger = ledger3();
    let report = forger_ledger.verify_expecting(&[l.alice_anchor()]);
    failing(
        &report,
        Check::Envelopes,
        "is not the key expected for \"alice\"",
    );
    assert!(forger_ledger.verify().ok());
}

#[test]
fn the_auditors_allowed_signers_replaces_the_stations() {
    let l = ledger3();
    forge_next_record(&l);
    // The auditor's file holds alice's real key only.
    let mut pk = l.alice.public_key().clone();
    pk.set_comment("");
    let own = l.tmp.path().join("auditor_allowed_signers");
    fs::write(
        &own,
        format!(
            "alice namespaces=\"stationward-attestation-v1\" {}\n",
            pk.to_openssh().unwrap()
        ),
    )
    .unwrap();
    let mut o = VerifyOptions::for_data_dir(&l.data);
    o.allowed_signers = Some(own.clone());
    let report = verify_ledger(&o).unwrap();
    failing(&report, Check::Envelopes, "which is not a key in");
    assert!(report.trust.contains("the auditor's allowed_signers"));
    // Records 1 to 3 alone verify against it.
    fs::remove_file(l.dir().join("000004.dsse.json")).unwrap();
    fs::remove_file(l.dir().join("000004.dsse.json.sig")).unwrap();
    rebuild_manifest(&l.dir(), &l.alice).unwrap();
    assert!(verify_ledger(&o).unwrap().ok());
}

#[test]
fn cli_verify_of_a_ledger_elsewhere_never_trusts_the_file_beside_it() {
    let l = ledger3();
    // A ledger forged elsewhere, signed "alice" by mallory, with its own allowed_signers
    // beside it listing mallory's key for alice.
    let forged = l.tmp.path().join("usb");
    let mallory = signer("alice");
    KeyStore::new(&forged)
        .trust(mallory.operator(), mallory.public_key())
        .unwrap();
    append_record_at(&forged, &mallory, sample_predicate(), &evidence(0), T0).unwrap();
    let station = l.data.join("allowed_signers").display().to_string();
    let beside = forged.join("allowed_signers").display().to_string();
    let out = sw(&l.data)
        .args(["verify"])
        .arg(forged.join("ledger"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "the station's own allowed_signers — anyone who can write the data directory can add a key ({station})"
        )))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains(&beside), "{out}");
    // The genuine ledger, given by path, verifies against the data directory's anchors.
    sw(&l.data)
        .args(["verify"])
        .arg(l.dir())
        .assert()
        .success()
        .stdout(predicate::str::contains(station));
}

#[test]
fn validity_windows_are_enforced_at_signed_at() {
    let l = ledger3();
    let path = l.data.join("allowed_signers");
    let original = fs::read_to_string(&path).unwrap();
    let with = |opts: &str| {
        fs::write(
            &path,
            original.replace(
                "namespaces=\"stationward-attestation-v1\"",
                &format!("namespaces=\"stationward-attestation-v1\",{opts}"),
            ),
        )
        .unwrap();
        l.verify()
    };
    // Records are signed 08:00, 08:01, 08:02 on 2026-03-01.
    assert!(with("valid-after=\"20260301Z\",valid-before=\"20260302Z\"").ok());
    let r = with("valid-before=\"202603010801Z\"");
    failing(
        &r,
        Check::Envelopes,
        "outside its valid-after/valid-before window",
    );
    assert_eq!(r.first_broken().unwrap().1.seq, Some(3));
    let r = with("valid-after=\"202603010801Z\"");
    assert_eq!(r.first_broken().unwrap().1.seq, Some(1));
    // A new signature is judged at its own time: a key expired before T0 + 1 day is refused.
    with("valid-before=\"20260301Z\"");
    let e = append_record_at(&l.data, &l.alice, sample_predicate(), &[], T0 + 86_400).unwrap_err();
    assert!(matches!(e, LedgerError::NotTrusted { .. }), "{e}");
    assert!(e.to_string().contains("valid-after/valid-before"), "{e}");
}

#[test]
fn a_replayed_record_under_a_higher_number_fails_and_is_not_extended() {
    let l = ledger3();
    let dir = l.dir();
    fs::copy(dir.join("000002.dsse.json"), dir.join("000004.dsse.json")).unwrap();
    fs::copy(
        dir.join("000002.dsse.json.sig"),
        dir.join("000004.dsse.json.sig"),
    )
    .unwrap();
    let report = l.verify();
    failing(&report, Check::Chain, "holds record seq 2");
    let e = append_record_at(&l.data, &l.alice, sample_predicate(), &[], T0 + 600).unwrap_err();
    assert!(matches!(e, LedgerError::DoesNotVerify { .. }), "{e}");
    assert!(e.to_string().contains("stationward verify"), "{e}");
    assert!(!dir.join("000005.dsse.json").exists());
}

#[test]
fn deleting_the_tail_then_attesting_is_refused_and_never_reuses_the_number() {
    let l = ledger3();
    let dir = l.dir();
    let deleted = fs::read(dir.join("000003.dsse.json")).unwrap();
    fs::remove_file(dir.join("000003.dsse.json")).unwrap();
    fs::remove_file(dir.join("000003.dsse.json.sig")).unwrap();
    let e = append_record_at(&l.data, &l.alice, sample_predicate(), &[], T0 + 600).unwrap_err();
    assert!(matches!(e, LedgerError::DoesNotVerify { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("listed in SHA256SUMS but missing from the ledger"),
        "{e}"
    );
    assert!(!dir.join("000003.dsse.json").exists());
    // Deleting the signature only (the record kept) is refused too: a record without its
    // signature is not an interrupted append (the signature is written first).
    let l = ledger3();
    fs::remove_file(l.dir().join("000003.dsse.json.sig")).unwrap();
    let e = append_record_at(&l.data, &l.alice, sample_predicate(), &[], T0 + 600).unwrap_err();
    assert!(matches!(e, LedgerError::DoesNotVerify { .. }), "{e}");
    assert!(
        e.to_string().contains("missing 000003.dsse.json.sig"),
        "{e}"
    );
    assert!(!l.dir().join("000004.dsse.json").exists());
    drop(deleted);
}

#[test]
fn key_rotation_moves_the_pin_and_only_a_rotation_does() {
    let l = ledger3();
    let new = signer("alice");
    KeyStore::new(&l.data)
        .trust(new.operator(), new.public_key())
        .unwrap();
    // The new key alone: refused by append, caught by verify when written anyway.
    let e = append_record_at(&l.data, &new, sample_predicate(), &[], T0 + 600).unwrap_err();
    assert!(matches!(e, LedgerError::KeyChanged { .. }), "{e}");
    assert!(e.to_string().contains("key rotate --operator alice"), "{e}");
    // Rotation signed by the old key, then the new key signs.
    let rotated = append_rotation(&l.data, &l.alice, new.public_key(), T0 + 600).unwrap();
    assert_eq!(rotated.head.seq, 4);
    append_record_at(&l.data, &new, sample_predicate(), &[], T0 + 660).unwrap();
    let report = l.verify();
    assert!(report.ok(), "{}", report.render_text());
    assert!(
        report
            .check(Check::Continuity)
            .unwrap()
            .summary
            .contains("1 key rotation")
    );
    assert_eq!(report.pinned.get("alice").unwrap(), new.keyid());
    // The paper form's old fingerprint still anchors the chain through the rotation.
    let r = l.verify_expecting(&[l.alice_anchor()]);
    assert!(r.ok(), "{}", r.render_text());
    // The old key may no longer sign.
    let e = append_record_at(&l.data, &l.alice, sample_predicate(), &[], T0 + 720).unwrap_err();
    assert!(matches!(e, LedgerError::KeyChanged { .. }), "{e}");
}

#[test]
fn a_rotation_signed_by_a_key_that_is_not_pinned_does_not_count() {
    let l = ledger3();
    forge_next_record(&l);
    let report = l.verify();
    failing(&report, Check::Continuity, "no key-rotation record");
    // Nor can the forger append a rotation: the ledger does not verify.
    let forger = signer("alice");
    KeyStore::new(&l.data)
        .trust(forger.operator(), forger.public_key())
        .unwrap();
    let e = append_rotation(&l.data, &forger, l.alice.public_key(), T0 + 900).unwrap_err();
    assert!(matches!(e, LedgerError::DoesNotVerify { .. }), "{e}");
}

#[test]
fn an_orphan_signature_left_by_an_interrupted_append_is_removed_and_reported() {
    let l = ledger3();
    let dir = l.dir();
    let record = fs::read(dir.join("000003.dsse.json")).unwrap();
    // What a run killed between publishing the signature and the record leaves.
    fs::write(
        dir.join("000004.dsse.json.sig"),
        l.alice.sign_sshsig(&record).unwrap(),
    )
    .unwrap();
    fs::write(dir.join(".tmp-000004.dsse.json"), b"partial").unwrap();
    assert!(!l.verify().ok());
    let appended =
        append_record_reporting(&l.data, &l.alice, sample_predicate(), &[], T0 + 600).unwrap();
    assert_eq!(appended.head.seq, 4);
    assert_eq!(appended.repairs.len(), 1, "{:?}", appended.repairs);
    assert!(appended.repairs[0].contains("removed 000004.dsse.json.sig"));
    assert!(!dir.join(".tmp-000004.dsse.json").exists());
    assert!(l.verify().ok());
}

#[test]
fn cli_names_the_anchors_and_strict_refuses_the_stations_own() {
    let l = ledger3();
    sw(&l.data)
        .arg("verify")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "trust: the station's own allowed_signers — anyone who can write the data directory can add a key",
        ));
    sw(&l.data)
        .args(["verify", "--strict"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--strict"));
    let anchor = l.alice_anchor().to_string();
    sw(&l.data)
        .args(["verify", "--strict", "--expect-key", &anchor])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("expected keys {anchor}")));
    sw(&l.data)
        .args(["verify", "--expect-key", "alice:MD5:xx"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--expect-key"));
    forge_next_record(&l);
    sw(&l.data)
        .args(["verify", "--expect-key", &anchor])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "First broken: 000004.dsse.json: signing key",
        ));
    sw(&l.data)
        .arg("verify")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✘ FAIL  key continuity"));
}

#[test]
fn cli_key_rotate_records_the_rotation_and_the_new_key_signs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pass = "correct horse battery";
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .args([
            "key",
            "generate",
            "--operator",
            "alice",
            "--kdf-rounds",
            "16",
        ])
        .assert()
        .success();
    let store = KeyStore::new(&data);
    let alice = OperatorId::parse("alice").unwrap();
    let old = store.load_signer(&alice, pass).unwrap();
    append_record_at(&data, &old, sample_predicate(), &[], T0).unwrap();
    // A new passphrase that `key generate` would refuse is refused here too.
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .env("STATIONWARD_NEW_PASSPHRASE", "short")
        .args(["key", "rotate", "--operator", "alice", "--kdf-rounds", "16"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("passphrase refused"));
    sw(&data)
        .env("STATIONWARD_PASSPHRASE", pass)
        .env("STATIONWARD_NEW_PASSPHRASE", "a new battery staple")
        .args(["key", "rotate", "--operator", "alice", "--kdf-rounds", "16"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Rotated to a new ssh-ed25519 key"))
        .stdout(predicate::str::contains("recorded in"));
    let new = store.load_signer(&alice, "a new battery staple").unwrap();
    assert_ne!(new.keyid(), old.keyid());
    append_record_at(&data, &new, sample_predicate(), &[], T0 + 60).unwrap();
    let anchor = format!("alice:{}", old.keyid());
    sw(&data)
        .args(["verify", "--expect-key", &anchor])
        .assert()
        .success()
        .stdout(predicate::str::contains("(1 key rotation)"));
    let e = append_record_at(&data, &old, sample_predicate(), &[], T0 + 120).unwrap_err();
    assert!(matches!(e, LedgerError::KeyChanged { .. }), "{e}");
    let retired = fs::read_dir(store.keys_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".retired-")
        })
        .count();
    assert_eq!(retired, 2);
}

#[test]
fn every_signature_of_the_envelope_must_hold() {
    use base64::Engine as _;
    let l = ledger3();
    let path = l.dir().join("000003.dsse.json");
    let bytes = fs::read(&path).unwrap();
    let pae = dsse::open(&bytes).unwrap().pae();
    let mallory = signer("mallory");
    let mut envelope: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    envelope["signatures"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "keyid": mallory.keyid(),
            "sig": base64::engine::general_purpose::STANDARD.encode(mallory.sign_raw(&pae).unwrap()),
        }));
    let mut forged = serde_json::to_vec(&envelope).unwrap();
    forged.push(b'\n');
    fs::write(&path, &forged).unwrap();
    fs::write(
        l.dir().join("000003.dsse.json.sig"),
        l.alice.sign_sshsig(&forged).unwrap(),
    )
    .unwrap();
    rebuild_manifest(&l.dir(), &l.alice).unwrap();
    failing(&l.verify(), Check::Envelopes, "every signature must hold");
}

#[test]
fn an_unsigned_record_at_the_tail_is_never_adopted_into_the_manifest() {
    let l = ledger3();
    let dir = l.dir();
    let manifest = fs::read(dir.join("SHA256SUMS")).unwrap();
    // A record 4 chained correctly but whose SSH signature is not over its bytes.
    let head = fs::read(dir.join("000003.dsse.json")).unwrap();
    let mut st = Statement::from_bytes(&dsse::open(&head).unwrap().payload).unwrap();
    st.predicate.ledger.seq = 4;
    st.predicate.ledger.prev.sha256 = sha256_hex(&head);
    let record = dsse::sign(&l.alice, dsse::PAYLOAD_TYPE, &st.to_bytes().unwrap()).unwrap();
    fs::write(dir.join("000004.dsse.json"), &record).unwrap();
    fs::write(
        dir.join("000004.dsse.json.sig"),
        l.alice.sign_sshsig(b"other bytes").unwrap(),
    )
    .unwrap();
    let e = append_record_at(&l.data, &l.alice, sample_predicate(), &[], T0 + 600).unwrap_err();
    assert!(matches!(e, LedgerError::DoesNotVerify { .. }), "{e}");
    assert_eq!(fs::read(dir.join("SHA256SUMS")).unwrap(), manifest);
}
