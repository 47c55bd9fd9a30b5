#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The README's auditor script, run verbatim: the code block that starts with
//! `# stationward ledger check` is cut out of README.md and run with bash against copies of
//! `ledger/` and `evidence/` and the auditor's own `allowed_signers`. It must accept a good
//! ledger (with a key rotation and two operators) and refuse a forged record, edited
//! evidence and a deleted tail.

mod support;

use stationward::attest::ledger::{
    self, EvidenceFile, append_record_at, append_rotation, rebuild_manifest,
};
use stationward::attest::statement::Statement;
use stationward::attest::testing::{sample_predicate, trusted_signer};
use stationward::attest::{KeyStore, LedgerHead, OperatorId, Signer, dsse, sha256_hex};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const T0: i64 = 1_772_352_000;
const MARKER: &str = "# stationward ledger check";

/// The auditor script, exactly as the README shows it.
fn readme_script() -> String {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find(&format!("```sh\n{MARKER}"))
        .expect("README.md has the auditor script")
        + "```sh\n".len();
    let len = readme[start..].find("\n```").unwrap();
    readme[start..=(start + len)].to_string()
}

fn line(operator: &str, s: &Signer) -> String {
    let mut pk = s.public_key().clone();
    pk.set_comment("");
    format!(
        "{operator} namespaces=\"stationward-attestation-v1\" {}\n",
        pk.to_openssh().unwrap()
    )
}

struct Station {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    /// The auditor's own allowed_signers text (built from the keys on the paper forms).
    anchors: String,
    head: LedgerHead,
    alice: Signer,
}

fn station() -> Station {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let data = root.join("data");
    let alice = trusted_signer(&data, "alice").unwrap();
    let bob = trusted_signer(&data, "bob").unwrap();
    let evidence = |i: usize| {
        vec![EvidenceFile {
            name: "nft-ruleset.txt".into(),
            bytes: format!("table inet filter {{ # {i}\n}}\n").into_bytes(),
        }]
    };
    append_record_at(&data, &alice, sample_predicate(), &evidence(1), T0).unwrap();
    append_record_at(&data, &bob, sample_predicate(), &evidence(2), T0 + 60).unwrap();
    let alice2 = Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap();
    KeyStore::new(&data)
        .trust(alice2.operator(), alice2.public_key())
        .unwrap();
    append_rotation(&data, &alice, alice2.public_key(), T0 + 120).unwrap();
    let head =
        append_record_at(&data, &alice2, sample_predicate(), &evidence(3), T0 + 180).unwrap();
    let anchors = line("alice", &alice) + &line("bob", &bob) + &line("alice", &alice2);
    Station {
        _tmp: tmp,
        root,
        data,
        anchors,
        head,
        alice: alice2,
    }
}

/// Copies ledger/ and evidence/ into a fresh audit directory with the auditor's anchors and
/// runs the README script there.
fn audit(s: &Station, name: &str, head: &LedgerHead) -> (bool, String) {
    let dir = s.root.join(name);
    fs::create_dir_all(&dir).unwrap();
    for sub in ["ledger", "evidence"] {
        let ok = Command::new("cp")
            .arg("-a")
            .arg(s.data.join(sub))
            .arg(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    fs::write(dir.join("allowed_signers"), &s.anchors).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(readme_script())
        .env("HEAD", head.to_string())
        .current_dir(&dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const TOOLS: [&str; 7] = [
    "bash",
    "ssh-keygen",
    "openssl",
    "jq",
    "sha256sum",
    "base64",
    "awk",
];

#[test]
#[ignore = "needs bash, ssh-keygen, openssl, jq and coreutils (run by CI with --include-ignored)"]
fn the_readme_auditor_script_accepts_a_good_ledger() {
    support::require(&TOOLS, false);
    let s = station();
    let (ok, out) = audit(&s, "good", &s.head);
    assert!(ok, "{out}");
    assert!(
        out.contains("OK: 4 records verified; manifest signed by alice; head 4 present, 0 newer"),
        "{out}"
    );
    // An older head from an earlier paper form is found too.
    let first = LedgerHead {
        seq: 1,
        sha256: sha256_hex(&fs::read(ledger::record_path(&s.data, 1)).unwrap()),
    };
    let (ok, out) = audit(&s, "older", &first);
    assert!(ok && out.contains("head 1 present, 3 newer"), "{out}");
}

#[test]
#[ignore = "needs bash, ssh-keygen, openssl, jq and coreutils (run by CI with --include-ignored)"]
fn the_readme_auditor_script_refuses_a_forged_record() {
    support::require(&TOOLS, false);
    let s = station();
    // Someone with write access but no key: their own key, listed for alice in the station's
    // allowed_signers (not in the auditor's), record 5 chained onto the head, manifest
    // re-signed.
    let forger = trusted_signer(&s.data, "alice").unwrap();
    let dir = ledger::ledger_dir(&s.data);
    let head = fs::read(ledger::record_path(&s.data, 4)).unwrap();
    let mut st = Statement::from_bytes(&dsse::open(&head).unwrap().payload).unwrap();
    st.predicate.ledger.seq = 5;
    st.predicate.ledger.prev.sha256 = sha256_hex(&head);
    st.predicate.operator.keyid = forger.keyid().to_string();
    let record = dsse::sign(&forger, dsse::PAYLOAD_TYPE, &st.to_bytes().unwrap()).unwrap();
    fs::write(dir.join("000005.dsse.json"), &record).unwrap();
    fs::write(
        dir.join("000005.dsse.json.sig"),
        forger.sign_sshsig(&record).unwrap(),
    )
    .unwrap();
    rebuild_manifest(&dir, &forger).unwrap();
    let (ok, out) = audit(&s, "forged", &s.head);
    assert!(!ok, "a forged record passed the README script:\n{out}");
}

#[test]
#[ignore = "needs bash, ssh-keygen, openssl, jq and coreutils (run by CI with --include-ignored)"]
fn the_readme_auditor_script_refuses_edited_evidence_and_a_deleted_tail() {
    support::require(&TOOLS, false);
    let s = station();
    let hex = sha256_hex(b"table inet filter { # 2\n}\n");
    let evidence = ledger::evidence_dir(&s.data).join(&hex);
    let original = fs::read(&evidence).unwrap();
    fs::write(&evidence, b"table inet filter { policy accept; }\n").unwrap();
    let (ok, out) = audit(&s, "evidence", &s.head);
    assert!(!ok, "edited evidence passed:\n{out}");
    fs::write(&evidence, original).unwrap();
    // A key holder deletes the newest record and re-signs the manifest: only the head from
    // the paper form tells.
    let dir = ledger::ledger_dir(&s.data);
    fs::remove_file(dir.join("000004.dsse.json")).unwrap();
    fs::remove_file(dir.join("000004.dsse.json.sig")).unwrap();
    rebuild_manifest(&dir, &s.alice).unwrap();
    let (ok, out) = audit(&s, "truncated", &s.head);
    assert!(!ok, "a deleted tail passed:\n{out}");
    assert!(out.contains("FAIL: head 4:"), "{out}");
}

#[test]
#[ignore = "needs bash, ssh-keygen, openssl, jq and coreutils (run by CI with --include-ignored)"]
fn the_readme_auditor_script_checks_every_signature_of_the_envelope() {
    support::require(&TOOLS, false);
    let s = station();
    // The head's envelope gains a second signature under the same keyid that does not hold
    // (its bytes flipped); the SSH signature and the manifest are made anew by the key's
    // holder, so only a check of every DSSE signature catches it.
    let dir = ledger::ledger_dir(&s.data);
    let path = ledger::record_path(&s.data, 4);
    let mut envelope: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let mut extra = envelope["signatures"][0].clone();
    let sig = extra["sig"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    extra["sig"] = serde_json::Value::String(format!("{flipped}{}", &sig[1..]));
    envelope["signatures"].as_array_mut().unwrap().push(extra);
    let record = serde_json::to_vec(&envelope).unwrap();
    fs::write(&path, &record).unwrap();
    fs::write(
        dir.join("000004.dsse.json.sig"),
        s.alice.sign_sshsig(&record).unwrap(),
    )
    .unwrap();
    rebuild_manifest(&dir, &s.alice).unwrap();
    let head = LedgerHead {
        seq: 4,
        sha256: sha256_hex(&record),
    };
    let (ok, out) = audit(&s, "two-signatures", &head);
    assert!(!ok, "a bad second signature passed:\n{out}");
}

/// The README's recipe for building the auditor's own allowed_signers, dedented.
fn readme_anchor_recipe() -> String {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("  ```sh\n  stationward key export-pub alice")
        .expect("README.md has the anchor recipe")
        + "  ```sh\n".len();
    let len = readme[start..].find("\n  ```").unwrap();
    readme[start..=(start + len)]
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs bash, ssh-keygen, openssl, jq and coreutils (run by CI with --include-ignored)"]
fn the_readme_anchor_recipe_and_script_work_together() {
    support::require(&TOOLS, false);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("station");
    let store = KeyStore::new(&data);
    let alice = OperatorId::parse("alice").unwrap();
    let info = store.generate(&alice, "correct horse battery", 16).unwrap();
    let signer = store.load_signer(&alice, "correct horse battery").unwrap();
    let head = append_record_at(&data, &signer, sample_predicate(), &[], T0).unwrap();
    let audit = tmp.path().join("audit");
    fs::create_dir_all(&audit).unwrap();
    for sub in ["ledger", "evidence"] {
        assert!(
            Command::new("cp")
                .arg("-a")
                .arg(data.join(sub))
                .arg(&audit)
                .status()
                .unwrap()
                .success()
        );
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_stationward"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c"])
        .arg(readme_anchor_recipe())
        .env("PATH", &path)
        .env("STATIONWARD_DATA_DIR", &data)
        .current_dir(&audit)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&info.fingerprint),
        "the fingerprint to compare is shown: {text}"
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(readme_script())
        .env("HEAD", head.to_string())
        .current_dir(&audit)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("OK: 1 records verified"), "{text}");
}
