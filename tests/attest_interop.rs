#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Interoperability with the tools an auditor already has: `ssh-keygen -Y verify`,
//! `sha256sum -c`, `openssl pkeyutl -verify -rawin`. Each test needs its tool: it is
//! `#[ignore]`d with the reason, and CI (which installs every tool) runs it; a missing tool
//! is then a failure, never a skip.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use stationward::attest::allowed_signers::AllowedSigners;
use stationward::attest::keys::PublicKeyFormat;
use stationward::attest::ledger::{self, EvidenceFile};
use stationward::attest::testing::sample_predicate;
use stationward::attest::{
    KeyStore, OperatorId, VerifyOptions, append_record, sshsig, verify_ledger,
};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// A data dir whose operator "tech" has a key made by
/// `ssh-keygen -t ed25519 -N "technician pass"`, with two records.
fn ledger_signed_by_ssh_keygen_key() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-a",
            "16",
            "-N",
            "technician pass",
            "-C",
            "tech@station",
            "-f",
        ])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success(), "ssh-keygen -t ed25519 failed");
    let data = tmp.path().join("data");
    let store = KeyStore::new(&data);
    let op = OperatorId::parse("tech").unwrap();
    store.import(&key, &op, "technician pass").unwrap();
    let signer = store.load_signer(&op, "technician pass").unwrap();
    for i in 0..2 {
        let evidence = [EvidenceFile {
            name: "sshd_config".into(),
            bytes: format!("PermitRootLogin no # {i}\n").into_bytes(),
        }];
        append_record(&data, &signer, sample_predicate(), &evidence).unwrap();
    }
    let report = verify_ledger(&VerifyOptions::for_data_dir(&data)).unwrap();
    assert!(report.ok(), "{}", report.render_text());
    (tmp, data)
}

fn ssh_keygen_verify(data: &Path, principal: &str, file: &Path, sig: &Path) -> (bool, String) {
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(data.join("allowed_signers"))
        .args(["-I", principal, "-n", "stationward-attestation-v1", "-s"])
        .arg(sig)
        .stdin(fs::File::open(file).unwrap())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
#[ignore = "needs ssh-keygen (run by CI with --include-ignored)"]
fn ssh_keygen_verifies_records_and_manifest() {
    support::require(&["ssh-keygen"], false);
    let (_tmp, data) = ledger_signed_by_ssh_keygen_key();
    let dir = ledger::ledger_dir(&data);
    for name in ["000001.dsse.json", "000002.dsse.json", "SHA256SUMS"] {
        let file = dir.join(name);
        let (ok, text) = ssh_keygen_verify(&data, "tech", &file, &dir.join(format!("{name}.sig")));
        assert!(ok, "{name}: {text}");
        assert!(
            text.contains("Good \"stationward-attestation-v1\" signature for tech"),
            "{text}"
        );
    }
    // Wrong principal and edited bytes are refused by ssh-keygen too.
    let record = dir.join("000001.dsse.json");
    let sig = dir.join("000001.dsse.json.sig");
    let (ok, _) = ssh_keygen_verify(&data, "someone-else", &record, &sig);
    assert!(!ok);
    let edited = dir.join("edited");
    let mut bytes = fs::read(&record).unwrap();
    bytes[10] ^= 1;
    fs::write(&edited, bytes).unwrap();
    let (ok, _) = ssh_keygen_verify(&data, "tech", &edited, &sig);
    assert!(!ok);
}

#[test]
#[ignore = "needs ssh-keygen, sha256sum (run by CI with --include-ignored)"]
fn sha256sum_checks_the_manifest() {
    support::require(&["ssh-keygen", "sha256sum"], false);
    let (_tmp, data) = ledger_signed_by_ssh_keygen_key();
    let out = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(ledger::ledger_dir(&data))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches(": OK").count(), 4, "{text}");
}

#[test]
#[ignore = "needs ssh-keygen, openssl (run by CI with --include-ignored)"]
fn openssl_verifies_the_dsse_signature() {
    support::require(&["ssh-keygen", "openssl"], false);
    let (tmp, data) = ledger_signed_by_ssh_keygen_key();
    let op = OperatorId::parse("tech").unwrap();
    let pem = KeyStore::new(&data)
        .export_public(&op, PublicKeyFormat::Pem)
        .unwrap();
    let pem_path = tmp.path().join("op.pem");
    fs::write(&pem_path, pem).unwrap();

    // Rebuild the PAE the way an auditor would, from the JSON fields alone.
    let record = fs::read(ledger::record_path(&data, 2)).unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&record).unwrap();
    let payload = B64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let payload_type = envelope["payloadType"].as_str().unwrap();
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(&payload);
    let sig = B64
        .decode(envelope["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    let pae_path = tmp.path().join("pae.bin");
    let sig_path = tmp.path().join("sig.bin");
    fs::write(&pae_path, &pae).unwrap();
    fs::write(&sig_path, &sig).unwrap();

    let run = |input: &Path| {
        Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&pem_path)
            .arg("-rawin")
            .arg("-in")
            .arg(input)
            .arg("-sigfile")
            .arg(&sig_path)
            .output()
            .unwrap()
    };
    let out = run(&pae_path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Signature Verified Successfully"), "{text}");
    pae[20] ^= 1;
    fs::write(&pae_path, &pae).unwrap();
    assert!(!run(&pae_path).status.success());
}

#[test]
#[ignore = "needs ssh-keygen (run by CI with --include-ignored)"]
fn ssh_keygen_reads_a_generated_key_and_its_signatures_verify_here() {
    support::require(&["ssh-keygen"], false);
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::new(tmp.path());
    let op = OperatorId::parse("alice").unwrap();
    let info = store.generate(&op, "correct horse battery", 8).unwrap();
    // ssh-keygen opens our encrypted key with the passphrase and derives the same public key.
    let out = Command::new("ssh-keygen")
        .args(["-y", "-P", "correct horse battery", "-f"])
        .arg(&info.private_key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let derived = String::from_utf8(out.stdout).unwrap();
    let ours = fs::read_to_string(&info.public_key).unwrap();
    assert_eq!(
        derived.split_whitespace().nth(1),
        ours.split_whitespace().nth(1)
    );
    // ssh-keygen signs a file with our key; our verifier accepts it.
    let msg = tmp.path().join("msg");
    fs::write(&msg, "hello\n").unwrap();
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-Y",
            "sign",
            "-n",
            "stationward-attestation-v1",
            "-P",
            "correct horse battery",
            "-f",
        ])
        .arg(&info.private_key)
        .arg(&msg)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let signers = AllowedSigners::load(&store.allowed_signers_path()).unwrap();
    let sig = fs::read(tmp.path().join("msg.sig")).unwrap();
    let ok = sshsig::verify(&sig, b"hello\n", &signers, Some("alice")).unwrap();
    assert_eq!(ok.keyid, info.fingerprint);
    assert!(sshsig::verify(&sig, b"hello!\n", &signers, Some("alice")).is_err());
}

/// The same `allowed_signers` line through ssh-keygen and through stationward's parser and
/// trust rule: both accept it for "alice", or both refuse it. Lines invented to probe
/// ssh-keygen's option grammar (sshsigopt_parse): quoting, repeated clauses, stray commas.
#[test]
#[ignore = "needs ssh-keygen (run by CI with --include-ignored)"]
fn allowed_signers_lines_are_read_as_ssh_keygen_reads_them() {
    support::require(&["ssh-keygen"], false);
    let tmp = tempfile::tempdir().unwrap();
    let alice =
        stationward::attest::Signer::generate_in_memory(OperatorId::parse("alice").unwrap())
            .unwrap();
    let mut pk = alice.public_key().clone();
    pk.set_comment("");
    let key = pk.to_openssh().unwrap();
    let message = tmp.path().join("message");
    fs::write(&message, b"record bytes\n").unwrap();
    let sig = tmp.path().join("message.sig");
    fs::write(&sig, alice.sign_sshsig(b"record bytes\n").unwrap()).unwrap();
    let ns = "stationward-attestation-v1";
    let cases: Vec<(String, bool)> = vec![
        (format!("alice namespaces=\"{ns}\" {key}"), true),
        (format!("alice NameSpaces=\"{ns}\" {key}"), true),
        (
            format!("alice cert-authority,namespaces=\"{ns}\" {key}"),
            false,
        ),
        (
            format!("alice namespaces=\"git,{ns}\",valid-after=\"20200101\" {key}"),
            true,
        ),
        (
            format!("alice namespaces=\"other\",namespaces=\"{ns}\" {key}"),
            false,
        ),
        (
            format!("alice namespaces=\"{ns}\",NAMESPACES=\"{ns}\" {key}"),
            false,
        ),
        (format!("alice namespaces={ns} {key}"), false),
        (format!("alice namespaces=\"{ns}\"x {key}"), false),
        (format!("alice namespaces=\"{ns}\", {key}"), false),
        (
            format!("alice namespaces=\"{ns}\",,valid-after=\"20200101\" {key}"),
            true,
        ),
        (format!("alice ,namespaces=\"{ns}\" {key}"), true),
        (
            format!("alice namespaces=\"{ns}\",namespaces=\"git\",, {key}"),
            false,
        ),
        (format!("alice namespaces=\"\"{ns}\"\" {key}"), false),
        (
            format!("alice valid-after=20200101,namespaces=\"{ns}\" {key}"),
            false,
        ),
        (
            format!(
                "alice valid-after=\"20200101\",valid-after=\"20200102\",namespaces=\"{ns}\" {key}"
            ),
            false,
        ),
        (format!("alice namespaces=\"{ns}\",frobnicate {key}"), false),
    ];
    for (line, accepted) in cases {
        let path = tmp.path().join("allowed_signers");
        fs::write(&path, format!("{line}\n")).unwrap();
        let out = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&path)
            .args(["-I", "alice", "-n", ns, "-s"])
            .arg(&sig)
            .stdin(fs::File::open(&message).unwrap())
            .output()
            .unwrap();
        let theirs = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.success(),
            accepted,
            "ssh-keygen on {line}: {theirs}"
        );
        let ours = AllowedSigners::parse(&path, &format!("{line}\n")).and_then(|s| {
            s.authorize(pk.key_data(), "alice").map_err(|r| {
                stationward::diagnostic::SourceError::new(&path, None, r.describe("alice", &path))
            })
        });
        match ours {
            Ok(()) => assert!(
                accepted,
                "stationward accepts what ssh-keygen refuses: {line}: {theirs}"
            ),
            Err(e) => {
                assert!(
                    !accepted,
                    "stationward refuses what ssh-keygen accepts: {line}: {e}"
                );
                let text = e.to_string();
                assert!(!text.contains('\n'), "{text}");
                // A line ssh-keygen refuses as malformed is named by file and line here.
                if theirs.contains("bad options") {
                    assert!(text.contains(&format!("{}:1:", path.display())), "{text}");
                }
            }
        }
    }
}
