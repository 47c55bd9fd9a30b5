#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Appending records: files, chain, manifest, evidence store, locking, and verification of a
//! healthy ledger.

use stationward::attest::ledger::{self, EvidenceFile, HOST_IDENTITY_NAME, MANIFEST};
use stationward::attest::statement::{GENESIS_PREV, Statement, Verdict};
use stationward::attest::testing::{sample_predicate, trusted_signer};
use stationward::attest::verify::{Check, Outcome};
use stationward::attest::{
    LedgerError, LedgerHead, OperatorId, Signer, VerifyOptions, append_record, dsse, sha256_hex,
    verify_ledger,
};
use std::fs;
use std::path::Path;

fn evidence() -> Vec<EvidenceFile> {
    vec![
        EvidenceFile {
            name: "nft-ruleset.txt".into(),
            bytes: b"table inet filter { chain input { policy drop; } }\n".to_vec(),
        },
        EvidenceFile {
            name: "sshd_config".into(),
            bytes: b"PermitRootLogin no\n".to_vec(),
        },
    ]
}

fn statement_of(path: &Path) -> Statement {
    let opened = dsse::open(&fs::read(path).unwrap()).unwrap();
    Statement::from_bytes(&opened.payload).unwrap()
}

#[test]
fn three_records_chain_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let signer = trusted_signer(data, "alice").unwrap();
    let mut heads = Vec::new();
    for _ in 0..3 {
        heads.push(append_record(data, &signer, sample_predicate(), &evidence()).unwrap());
    }
    assert_eq!(heads.iter().map(|h| h.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(ledger::head(data).unwrap().as_ref(), Some(&heads[2]));

    let dir = ledger::ledger_dir(data);
    let mut prev = GENESIS_PREV.to_string();
    for (i, head) in heads.iter().enumerate() {
        let seq = i as u64 + 1;
        let path = ledger::record_path(data, seq);
        let bytes = fs::read(&path).unwrap();
        // One line of JSON and a final newline.
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(bytes.last(), Some(&b'\n'));
        assert_eq!(sha256_hex(&bytes), head.sha256);
        let s = statement_of(&path);
        assert_eq!(s.predicate.ledger.seq, seq);
        assert_eq!(s.predicate.ledger.prev.sha256, prev);
        assert_eq!(s.predicate.operator.id, "alice");
        assert_eq!(s.predicate.operator.keyid, signer.keyid());
        assert!(s.predicate.signed_at.ends_with('Z'));
        assert_eq!(s.predicate.counts.failed, 1);
        assert_eq!(s.predicate.counts.passed, 1);
        assert_eq!(s.predicate.controls[0].verdict, Verdict::Failed);
        assert_eq!(s.subject[0].name, HOST_IDENTITY_NAME);
        assert_eq!(s.subject.len(), 3);
        for subject in &s.subject {
            let stored = fs::read(ledger::evidence_dir(data).join(&subject.digest.sha256)).unwrap();
            assert_eq!(sha256_hex(&stored), subject.digest.sha256);
        }
        assert!(dir.join(format!("{seq:06}.dsse.json.sig")).is_file());
        prev = head.sha256.clone();
    }

    // SHA256SUMS in coreutils format, records and signatures, sorted.
    let sums = fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let names: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    assert_eq!(
        names,
        [
            "000001.dsse.json",
            "000001.dsse.json.sig",
            "000002.dsse.json",
            "000002.dsse.json.sig",
            "000003.dsse.json",
            "000003.dsse.json.sig"
        ]
    );
    assert!(dir.join("SHA256SUMS.sig").is_file());
    // No temporary files left behind.
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let mut options = VerifyOptions::for_data_dir(data);
    options.expect_head = Some(heads[1].clone());
    let report = verify_ledger(&options).unwrap();
    assert!(report.ok(), "{}", report.render_text());
    assert_eq!(report.records, 3);
    assert_eq!(report.head.as_ref(), Some(&heads[2]));
    for c in &report.checks {
        assert_eq!(c.outcome, Outcome::Pass, "{}", report.render_text());
    }
    let text = report.render_text();
    assert!(text.contains("Result: verified"), "{text}");
    assert!(text.contains(&heads[2].to_string()), "{text}");

    // The same ledger, verified from a copied directory with explicit paths.
    let report = verify_ledger(&VerifyOptions::for_ledger_dir(&dir, data)).unwrap();
    assert!(report.ok(), "{}", report.render_text());
}

#[test]
fn host_identity_document_given_by_caller_comes_first() {
    let tmp = tempfile::tempdir().unwrap();
    let signer = trusted_signer(tmp.path(), "alice").unwrap();
    let mut files = evidence();
    files.push(EvidenceFile {
        name: HOST_IDENTITY_NAME.into(),
        bytes: b"{\"hostname\":\"cs-ward4\"}\n".to_vec(),
    });
    append_record(tmp.path(), &signer, sample_predicate(), &files).unwrap();
    let s = statement_of(&ledger::record_path(tmp.path(), 1));
    assert_eq!(s.subject.len(), 3);
    assert_eq!(s.subject[0].name, HOST_IDENTITY_NAME);
    assert_eq!(
        s.subject[0].digest.sha256,
        sha256_hex(b"{\"hostname\":\"cs-ward4\"}\n")
    );
}

#[test]
fn empty_ledger_verifies_and_expect_head_fails() {
    let tmp = tempfile::tempdir().unwrap();
    trusted_signer(tmp.path(), "alice").unwrap();
    fs::create_dir_all(ledger::ledger_dir(tmp.path())).unwrap();
    let mut options = VerifyOptions::for_data_dir(tmp.path());
    let report = verify_ledger(&options).unwrap();
    assert!(report.ok(), "{}", report.render_text());
    assert!(report.render_text().contains("empty"));
    options.expect_head = Some(format!("1:{}", "0".repeat(64)).parse().unwrap());
    let report = verify_ledger(&options).unwrap();
    assert!(!report.ok());
    assert_eq!(
        report.check(Check::ExpectedHead).unwrap().outcome,
        Outcome::Fail
    );
}

#[test]
fn untrusted_signer_is_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let signer = Signer::generate_in_memory(OperatorId::parse("mallory").unwrap()).unwrap();
    let e = append_record(tmp.path(), &signer, sample_predicate(), &[]).unwrap_err();
    assert!(matches!(e, LedgerError::NotTrusted { .. }), "{e}");
    assert!(e.to_string().contains("allowed_signers"), "{e}");
    assert!(
        !ledger::ledger_dir(tmp.path())
            .join("000001.dsse.json")
            .exists()
    );
}

#[test]
fn never_overwrites_and_refuses_to_extend_a_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let signer = trusted_signer(data, "alice").unwrap();
    append_record(data, &signer, sample_predicate(), &[]).unwrap();
    let dir = ledger::ledger_dir(data);
    // A stray signature where record 2's would go: appending must not overwrite it.
    fs::write(dir.join("000002.dsse.json.sig"), "stray").unwrap();
    let e = append_record(data, &signer, sample_predicate(), &[]).unwrap_err();
    assert!(matches!(e, LedgerError::Exists { .. }), "{e}");
    assert_eq!(
        fs::read_to_string(dir.join("000002.dsse.json.sig")).unwrap(),
        "stray"
    );
    fs::remove_file(dir.join("000002.dsse.json.sig")).unwrap();
    append_record(data, &signer, sample_predicate(), &[]).unwrap();
    append_record(data, &signer, sample_predicate(), &[]).unwrap();
    fs::remove_file(dir.join("000002.dsse.json")).unwrap();
    let e = append_record(data, &signer, sample_predicate(), &[]).unwrap_err();
    assert!(matches!(e, LedgerError::Gap { missing: 2, .. }), "{e}");
}

#[test]
fn invalid_evidence_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let signer = trusted_signer(tmp.path(), "alice").unwrap();
    for name in ["", "a\nb"] {
        let e = append_record(
            tmp.path(),
            &signer,
            sample_predicate(),
            &[EvidenceFile {
                name: name.into(),
                bytes: vec![],
            }],
        )
        .unwrap_err();
        assert!(matches!(e, LedgerError::EvidenceName { .. }), "{e}");
    }
}

#[test]
fn concurrent_appends_get_consecutive_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let alice = trusted_signer(data, "alice").unwrap();
    let bob = trusted_signer(data, "bob").unwrap();
    for round in 0..3 {
        let barrier = std::sync::Barrier::new(2);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                barrier.wait();
                append_record(data, &alice, sample_predicate(), &evidence()).unwrap()
            });
            let b = s.spawn(|| {
                barrier.wait();
                append_record(data, &bob, sample_predicate(), &evidence()).unwrap()
            });
            (a.join().unwrap(), b.join().unwrap())
        });
        let mut seqs = [a.seq, b.seq];
        seqs.sort_unstable();
        assert_eq!(seqs, [round * 2 + 1, round * 2 + 2]);
    }
    let report = verify_ledger(&VerifyOptions::for_data_dir(data)).unwrap();
    assert!(report.ok(), "{}", report.render_text());
    assert_eq!(report.records, 6);
}

#[test]
fn concurrent_appends_from_two_processes() {
    // Two processes of this test binary append at once (see `child_appends` below).
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let signer = trusted_signer(data, "alice").unwrap();
    append_record(data, &signer, sample_predicate(), &[]).unwrap();
    // Each child makes its own trusted key and appends twice.
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["carol", "dave"]
        .iter()
        .map(|op| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "child_appends",
                    "--nocapture",
                    "--include-ignored",
                ])
                .env("ATTEST_CHILD_DATA", data)
                .env("ATTEST_CHILD_OPERATOR", op)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let report = verify_ledger(&VerifyOptions::for_data_dir(data)).unwrap();
    assert!(report.ok(), "{}", report.render_text());
    assert_eq!(report.records, 5);
}

#[test]
#[ignore = "run by concurrent_appends_from_two_processes"]
fn child_appends() {
    let Some(data) = std::env::var_os("ATTEST_CHILD_DATA") else {
        return;
    };
    let op = std::env::var("ATTEST_CHILD_OPERATOR").unwrap();
    let data = Path::new(&data);
    let signer = trusted_signer(data, &op).unwrap();
    for _ in 0..2 {
        append_record(data, &signer, sample_predicate(), &evidence()).unwrap();
    }
}

#[test]
fn head_strings_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let signer = trusted_signer(tmp.path(), "alice").unwrap();
    let head = append_record(tmp.path(), &signer, sample_predicate(), &[]).unwrap();
    let parsed: LedgerHead = head.to_string().parse().unwrap();
    assert_eq!(parsed, head);
}
