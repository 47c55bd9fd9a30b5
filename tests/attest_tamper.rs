#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The tamper suite: every way of editing, deleting, reordering or re-signing a ledger is
//! detected by `verify_ledger`, with the right check and reason.

use proptest::prelude::*;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};
use stationward::attest::ledger::{self, EvidenceFile, append_record_at, rebuild_manifest};
use stationward::attest::testing::sample_predicate;
use stationward::attest::verify::{Check, Outcome, VerifyReport};
use stationward::attest::{
    KeyStore, LedgerHead, OperatorId, Signer, VerifyError, VerifyOptions, verify_ledger,
};
use std::fs;
use std::path::{Path, PathBuf};

const T0: i64 = 1_772_352_000; // 2026-03-01T08:00:00Z

struct Fixture {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    signer: Signer,
    key: PrivateKey,
    heads: Vec<LedgerHead>,
}

impl Fixture {
    fn ledger(&self) -> PathBuf {
        ledger::ledger_dir(&self.data)
    }
    fn record(&self, seq: u64) -> PathBuf {
        ledger::record_path(&self.data, seq)
    }
    fn sig(&self, seq: u64) -> PathBuf {
        self.ledger().join(format!("{seq:06}.dsse.json.sig"))
    }
    fn verify(&self) -> VerifyReport {
        verify_ledger(&VerifyOptions::for_data_dir(&self.data)).unwrap()
    }
    fn verify_expecting(&self, head: &LedgerHead) -> VerifyReport {
        let mut o = VerifyOptions::for_data_dir(&self.data);
        o.expect_head = Some(head.clone());
        verify_ledger(&o).unwrap()
    }
}

/// A five-record ledger signed by "alice", each record with two evidence files.
fn fixture() -> Fixture {
    fixture_with(5, |i| T0 + 60 * i as i64)
}

fn fixture_with(records: usize, clock: impl Fn(usize) -> i64) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
    let signer =
        Signer::from_private_key(OperatorId::parse("alice").unwrap(), key.clone()).unwrap();
    KeyStore::new(&data)
        .trust(signer.operator(), signer.public_key())
        .unwrap();
    let mut heads = Vec::new();
    for i in 0..records {
        let evidence = vec![
            EvidenceFile {
                name: "nft-ruleset.txt".into(),
                bytes: format!("table inet filter {{ # {i}\n}}\n").into_bytes(),
            },
            EvidenceFile {
                name: "os-release".into(),
                bytes: b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
            },
        ];
        heads.push(
            append_record_at(&data, &signer, sample_predicate(), &evidence, clock(i)).unwrap(),
        );
    }
    Fixture {
        _tmp: tmp,
        data,
        signer,
        key,
        heads,
    }
}

/// Asserts the report fails, `check` fails, and the first broken record is `seq` with a
/// reason containing `reason`.
fn assert_broken(report: &VerifyReport, check: Check, seq: u64, reason: &str) {
    let text = report.render_text();
    assert!(!report.ok(), "{text}");
    assert_eq!(
        report.check(check).unwrap().outcome,
        Outcome::Fail,
        "{text}"
    );
    let (_, first) = report.first_broken().unwrap();
    assert_eq!(first.seq, Some(seq), "{text}");
    let all: Vec<&str> = report
        .check(check)
        .unwrap()
        .problems
        .iter()
        .map(|p| p.reason.as_str())
        .collect();
    assert!(
        all.iter().any(|r| r.contains(reason)),
        "no {check:?} problem contains {reason:?}: {all:?}\n{text}"
    );
    assert!(text.contains("First broken: "), "{text}");
    assert!(text.contains("VERIFICATION FAILED"), "{text}");
}

#[test]
fn healthy_fixture_verifies() {
    let f = fixture();
    let report = f.verify_expecting(&f.heads[4]);
    assert!(report.ok(), "{}", report.render_text());
}

#[test]
fn deleted_middle_record() {
    let f = fixture();
    fs::remove_file(f.record(3)).unwrap();
    fs::remove_file(f.sig(3)).unwrap();
    let report = f.verify();
    assert_broken(
        &report,
        Check::Chain,
        3,
        "sequence gap: 000003.dsse.json missing",
    );
    assert_broken(
        &report,
        Check::Manifest,
        3,
        "listed in SHA256SUMS but missing",
    );
    let text = report.render_text();
    assert!(
        text.contains("First broken: 000004.dsse.json: sequence gap"),
        "{text}"
    );
}

#[test]
fn deleted_record_keeping_its_signature() {
    let f = fixture();
    fs::remove_file(f.record(2)).unwrap();
    let report = f.verify();
    assert_broken(&report, Check::Layout, 2, "signature without its record");
}

#[test]
fn truncated_tail_resigned_is_caught_only_by_expect_head() {
    let f = fixture();
    for seq in [4, 5] {
        fs::remove_file(f.record(seq)).unwrap();
        fs::remove_file(f.sig(seq)).unwrap();
    }
    // Without re-signing, the manifest still lists the deleted records.
    assert_broken(
        &f.verify(),
        Check::Manifest,
        4,
        "listed in SHA256SUMS but missing",
    );
    // A key holder re-signs the manifest: everything else holds...
    rebuild_manifest(&f.ledger(), &f.signer).unwrap();
    let report = f.verify();
    assert!(report.ok(), "{}", report.render_text());
    // ...and only the head kept on paper catches it.
    let report = f.verify_expecting(&f.heads[4]);
    assert_broken(
        &report,
        Check::ExpectedHead,
        5,
        "expected head 000005.dsse.json is missing; the newest record is 000003.dsse.json",
    );
    // An older head still holds.
    assert!(f.verify_expecting(&f.heads[2]).ok());
}

#[test]
fn wrong_expected_head_hash() {
    let f = fixture();
    let wrong = LedgerHead {
        seq: 3,
        sha256: "0".repeat(64),
    };
    assert_broken(
        &f.verify_expecting(&wrong),
        Check::ExpectedHead,
        3,
        "expected 0000",
    );
}

#[test]
fn swapped_records() {
    let f = fixture();
    let swap = |a: &Path, b: &Path| {
        let tmp = a.with_extension("swap");
        fs::rename(a, &tmp).unwrap();
        fs::rename(b, a).unwrap();
        fs::rename(&tmp, b).unwrap();
    };
    swap(&f.record(2), &f.record(3));
    swap(&f.sig(2), &f.sig(3));
    // Re-signing the manifest does not help.
    rebuild_manifest(&f.ledger(), &f.signer).unwrap();
    let report = f.verify();
    assert_broken(&report, Check::Chain, 2, "holds record seq 3");
}

#[test]
fn altered_evidence_file() {
    let f = fixture();
    let s = statement(&f.record(2));
    let hex = &s.subject[1].digest.sha256;
    let path = ledger::evidence_dir(&f.data).join(hex);
    fs::write(&path, "table inet filter { policy accept; }\n").unwrap();
    let report = f.verify();
    assert_broken(&report, Check::Evidence, 2, "\"nft-ruleset.txt\"");
    assert_broken(&report, Check::Evidence, 2, "was altered");
    fs::remove_file(&path).unwrap();
    assert_broken(&f.verify(), Check::Evidence, 2, "is missing");
}

#[test]
fn wrong_namespace_signature() {
    let f = fixture();
    let bytes = fs::read(f.record(2)).unwrap();
    let sig = f.key.sign("git", HashAlg::Sha512, &bytes).unwrap();
    fs::write(f.sig(2), sig.to_pem(LineEnding::LF).unwrap()).unwrap();
    rebuild_manifest(&f.ledger(), &f.signer).unwrap();
    assert_broken(
        &f.verify(),
        Check::SshSignatures,
        2,
        "signed for namespace \"git\", expected \"stationward-attestation-v1\"",
    );
}

#[test]
fn namespace_not_allowed_for_principal() {
    let f = fixture();
    let path = f.data.join("allowed_signers");
    let text = fs::read_to_string(&path).unwrap().replace(
        "namespaces=\"stationward-attestation-v1\"",
        "namespaces=\"git\"",
    );
    fs::write(&path, text).unwrap();
    assert_broken(&f.verify(), Check::Envelopes, 1, "not a key in");
}

#[test]
fn absent_principal() {
    let f = fixture();
    let path = f.data.join("allowed_signers");
    // The key is listed, but for someone else.
    let text = fs::read_to_string(&path)
        .unwrap()
        .replacen("alice ", "bob ", 1);
    fs::write(&path, text).unwrap();
    let report = f.verify();
    assert_broken(&report, Check::Envelopes, 1, "listed in ");
    assert_broken(
        &report,
        Check::Envelopes,
        1,
        "for bob but the record names operator \"alice\"",
    );
    assert_broken(&report, Check::SshSignatures, 1, "operator \"alice\"");
}

#[test]
fn key_not_in_allowed_signers() {
    let f = fixture();
    fs::write(f.data.join("allowed_signers"), "").unwrap();
    let report = f.verify();
    assert_broken(&report, Check::Envelopes, 1, "which is not a key in");
    assert_broken(&report, Check::SshSignatures, 1, "signing key is not in");
    assert_broken(&report, Check::Manifest, 1, "not in");
}

#[test]
fn other_operator_signing_in_alices_name() {
    // Mallory is trusted as herself but signs a record claiming operator "alice".
    let f = fixture();
    let mallory = stationward::attest::testing::trusted_signer(&f.data, "mallory").unwrap();
    let dir = f.ledger();
    let bytes = fs::read(f.record(5)).unwrap();
    let opened = stationward::attest::dsse::open(&bytes).unwrap();
    let forged =
        stationward::attest::dsse::sign(&mallory, &opened.payload_type, &opened.payload).unwrap();
    fs::write(f.record(5), &forged).unwrap();
    fs::write(f.sig(5), mallory.sign_sshsig(&forged).unwrap()).unwrap();
    rebuild_manifest(&dir, &mallory).unwrap();
    let report = f.verify();
    assert_broken(
        &report,
        Check::Envelopes,
        5,
        "for mallory but the record names operator \"alice\"",
    );
    assert_broken(&report, Check::SshSignatures, 5, "for mallory");
}

#[test]
fn missing_signature_file() {
    let f = fixture();
    fs::remove_file(f.sig(4)).unwrap();
    let report = f.verify();
    assert_broken(
        &report,
        Check::SshSignatures,
        4,
        "missing 000004.dsse.json.sig",
    );
    assert_broken(
        &report,
        Check::Manifest,
        4,
        "listed in SHA256SUMS but missing",
    );
}

#[test]
fn corrupt_json_wrong_base64_unknown_payload_type() {
    type Edit = fn(String) -> String;
    let cases: [(&str, Edit, &str); 4] = [
        (
            "corrupt JSON",
            |s| s.replacen('{', "[", 1),
            "corrupt JSON at line 1 column",
        ),
        (
            "base64",
            |s| s.replacen("\"payload\":\"", "\"payload\":\"*", 1),
            "payload is not valid base64",
        ),
        (
            "payloadType",
            |s| s.replace("application/vnd.in-toto+json", "application/json"),
            "unknown payloadType \"application/json\"",
        ),
        (
            "two lines",
            |s| s.replacen(',', ",\n", 1),
            "not one line of JSON",
        ),
    ];
    for (what, edit, reason) in cases {
        let f = fixture_with(3, |i| T0 + i as i64);
        let text = fs::read_to_string(f.record(2)).unwrap();
        fs::write(f.record(2), edit(text)).unwrap();
        let report = f.verify();
        assert_broken(&report, Check::Envelopes, 2, reason);
        assert_broken(&report, Check::Manifest, 2, "SHA256SUMS says");
        assert_broken(&report, Check::SshSignatures, 2, "signature does not match");
        let _ = what;
    }
}

#[test]
fn altered_payload_with_valid_base64() {
    let f = fixture();
    let text = fs::read_to_string(f.record(3)).unwrap();
    let opened = stationward::attest::dsse::open(text.as_bytes()).unwrap();
    let payload = String::from_utf8(opened.payload)
        .unwrap()
        .replace("\"FAILED\"", "\"PASSED\"");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(payload);
    let start = text.find("\"payload\":\"").unwrap() + 11;
    let end = start + text[start..].find('"').unwrap();
    let edited = format!("{}{}{}", &text[..start], b64, &text[end..]);
    fs::write(f.record(3), edited).unwrap();
    assert_broken(
        &f.verify(),
        Check::Envelopes,
        3,
        "envelope signature does not verify",
    );
}

#[test]
fn edited_manifest() {
    let f = fixture();
    let path = f.ledger().join("SHA256SUMS");
    let text = fs::read_to_string(&path).unwrap();
    let first = &text[..64];
    fs::write(&path, text.replacen(first, &"0".repeat(64), 1)).unwrap();
    let report = f.verify();
    assert_broken(&report, Check::Manifest, 1, "SHA256SUMS says 0000");
    let problems = &report.check(Check::Manifest).unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.file == "SHA256SUMS.sig" && p.reason.contains("signature does not match")),
        "{problems:?}"
    );
    fs::write(&path, "garbage\n").unwrap();
    let report = f.verify();
    assert!(!report.ok());
    assert!(
        report
            .render_text()
            .contains("SHA256SUMS: line 1: line too short")
    );
}

#[test]
fn clock_going_backwards_is_a_warning() {
    let f = fixture_with(3, |i| [T0, T0 + 100, T0 + 50][i]);
    let report = f.verify();
    assert!(report.ok(), "{}", report.render_text());
    let ts = report.check(Check::Timestamps).unwrap();
    assert_eq!(ts.outcome, Outcome::Warn);
    assert_eq!(ts.problems[0].seq, Some(3));
    assert!(
        ts.problems[0]
            .reason
            .contains("earlier than the previous record's 2026-03-01T08:01:40Z"),
        "{:?}",
        ts.problems
    );
    assert!(report.render_text().contains("! WARN"));
}

#[test]
fn ledger_dir_that_is_not_one() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ledger");
    fs::write(&file, "").unwrap();
    let e = verify_ledger(&VerifyOptions::for_ledger_dir(&file, tmp.path())).unwrap_err();
    assert!(matches!(e, VerifyError::NotADirectory { .. }));
    assert!(e.to_string().ends_with("ledger: not a directory"), "{e}");
    let e = verify_ledger(&VerifyOptions::for_ledger_dir(
        &tmp.path().join("nope"),
        tmp.path(),
    ))
    .unwrap_err();
    assert!(e.to_string().contains("no such ledger directory"), "{e}");
    // A data directory without allowed_signers.
    fs::remove_file(&file).unwrap();
    fs::create_dir(&file).unwrap();
    let e = verify_ledger(&VerifyOptions::for_ledger_dir(&file, tmp.path())).unwrap_err();
    assert!(matches!(e, VerifyError::AllowedSigners(_)));
    assert!(
        e.to_string().contains("allowed_signers: cannot read"),
        "{e}"
    );
    // An invalid allowed_signers names the line.
    fs::write(
        tmp.path().join("allowed_signers"),
        "alice ssh-ed25519 !!!\n",
    )
    .unwrap();
    let e = verify_ledger(&VerifyOptions::for_ledger_dir(&file, tmp.path())).unwrap_err();
    assert!(
        e.to_string()
            .contains("allowed_signers:1:7: invalid ssh-ed25519 key"),
        "{e}"
    );
}

#[test]
fn unexpected_file_is_a_warning() {
    let f = fixture_with(1, |_| T0);
    fs::write(f.ledger().join("notes.txt"), "hi").unwrap();
    let report = f.verify();
    assert!(report.ok());
    assert_eq!(report.check(Check::Layout).unwrap().outcome, Outcome::Warn);
}

fn statement(path: &Path) -> stationward::attest::statement::Statement {
    let opened = stationward::attest::dsse::open(&fs::read(path).unwrap()).unwrap();
    stationward::attest::statement::Statement::from_bytes(&opened.payload).unwrap()
}

/// Copies the ledger of `src` into a fresh data dir.
fn copy_data(src: &Path, dst: &Path) {
    for entry in walk(src) {
        let rel = entry.strip_prefix(src).unwrap();
        let target = dst.join(rel);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&entry, &target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Flipping any bits of any byte of a record (or of its signature) is detected, and the
    /// first broken record named is that one.
    #[test]
    fn flipped_bytes_are_detected(position in 0.0f64..1.0, mask in 1u8..=255, in_sig in proptest::bool::weighted(0.25)) {
        thread_local! {
            static TEMPLATE: Fixture = fixture_with(3, |i| T0 + i as i64);
        }
        TEMPLATE.with(|template| {
            let tmp = tempfile::tempdir().unwrap();
            copy_data(&template.data, tmp.path());
            let target = if in_sig {
                ledger::ledger_dir(tmp.path()).join("000002.dsse.json.sig")
            } else {
                ledger::record_path(tmp.path(), 2)
            };
            let mut bytes = fs::read(&target).unwrap();
            let at = ((bytes.len() as f64) * position) as usize % bytes.len();
            bytes[at] ^= mask;
            fs::write(&target, &bytes).unwrap();
            let report = verify_ledger(&VerifyOptions::for_data_dir(tmp.path())).unwrap();
            let text = report.render_text();
            prop_assert!(!report.ok(), "flip at {} not detected:\n{}", at, text);
            let (_, first) = report.first_broken().unwrap();
            prop_assert_eq!(first.seq, Some(2), "{}", text);
            Ok(())
        })?;
    }
}
