#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The key store: generate, import, list, export, load; refusals with clear messages.

use ssh_key::{Algorithm, LineEnding, PrivateKey};
use stationward::attest::allowed_signers::AllowedSigners;
use stationward::attest::keys::{PublicKeyFormat, read_passphrase_file};
use stationward::attest::{KeyError, KeyStore, OperatorId};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Low bcrypt rounds keep the tests fast; the CLI uses DEFAULT_KDF_ROUNDS.
const ROUNDS: u32 = 2;
const PASS: &str = "correct horse battery";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attest")
        .join(name)
}

#[test]
fn imports_a_key_made_by_ssh_keygen() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("id_ed25519");
    fs::copy(fixture("ssh-keygen-ed25519.key"), &file).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let store = KeyStore::new(&tmp.path().join("data"));
    let e = store.import(&file, &op("tech"), FIXTURE_PASS).unwrap_err();
    assert!(matches!(e, KeyError::Permissions { .. }), "{e}");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let info = store.import(&file, &op("tech"), FIXTURE_PASS).unwrap();
    assert_eq!(info.kdf_rounds, Some(16));
    let expected = fs::read_to_string(fixture("ssh-keygen-ed25519.key.pub")).unwrap();
    let key = ssh_key::PublicKey::from_openssh(expected.trim()).unwrap();
    assert_eq!(
        info.fingerprint,
        key.fingerprint(ssh_key::HashAlg::Sha256).to_string()
    );
    let signer = store.load_signer(&op("tech"), FIXTURE_PASS).unwrap();
    assert_eq!(signer.keyid(), info.fingerprint);
}

/// Rewrites the bcrypt rounds of an OpenSSH private key file in place.
fn patch_rounds(file: &Path, rounds: u32) {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    let text = fs::read_to_string(file).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut blob = B64.decode(body).unwrap();
    let at = blob.windows(6).position(|w| w == b"bcrypt").unwrap() + 6;
    // kdfoptions: u32 length, then string salt (u32 16 + 16 bytes), then u32 rounds.
    let rounds_at = at + 4 + 4 + 16;
    blob[rounds_at..rounds_at + 4].copy_from_slice(&rounds.to_be_bytes());
    let encoded = B64.encode(blob);
    let mut out = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for chunk in encoded.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    fs::write(file, out).unwrap();
}

/// The passphrase of `tests/fixtures/attest/ssh-keygen-ed25519.key`.
const FIXTURE_PASS: &str = "technician pass";

#[test]
fn import_enforces_what_generate_does() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("id_ed25519");
    let write = |rounds: u32, pass: &str| {
        let key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
        let enc = key
            .encrypt_with(
                ssh_key::Cipher::Aes256Ctr,
                ssh_key::Kdf::Bcrypt {
                    salt: vec![7; 16],
                    rounds,
                },
                1,
                pass.as_bytes(),
            )
            .unwrap();
        fs::write(&file, enc.to_openssh(LineEnding::LF).unwrap()).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    };
    let store = KeyStore::new(&tmp.path().join("data"));
    // A short passphrase, as `key generate` refuses.
    write(16, "short");
    let e = store.import(&file, &op("tech"), "short").unwrap_err();
    assert!(matches!(e, KeyError::WeakPassphrase { .. }), "{e}");
    // Too few bcrypt rounds.
    write(4, PASS);
    let e = store.import(&file, &op("tech"), PASS).unwrap_err();
    assert!(matches!(e, KeyError::KdfRounds { rounds: 4, .. }), "{e}");
    assert!(e.to_string().contains("at least 16"), "{e}");
    // An absurd count is refused before any decryption is tried (it would take hours). The
    // key is made with 16 rounds and the count patched in the file (encrypting with a
    // million rounds would take the test hours too).
    write(16, PASS);
    patch_rounds(&file, 1_000_000);
    let started = std::time::Instant::now();
    let e = store.import(&file, &op("tech"), PASS).unwrap_err();
    assert!(matches!(e, KeyError::KdfRounds { .. }), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // A key already registered to another operator.
    write(16, PASS);
    let info = store.import(&file, &op("alice"), PASS).unwrap();
    let e = store.import(&file, &op("bob"), PASS).unwrap_err();
    assert!(
        matches!(&e, KeyError::RegisteredToOther { other, .. } if other == "alice"),
        "{e}"
    );
    assert!(!store.public_key_path(&op("bob")).exists());
    assert!(info.allowed);
    // A key listed in allowed_signers for someone else (no .pub) is refused too.
    let other = tmp.path().join("other");
    write(16, PASS);
    fs::rename(&file, &other).unwrap();
    let pk = PrivateKey::from_openssh(fs::read(&other).unwrap())
        .unwrap()
        .public_key()
        .clone();
    store.trust(&op("carol"), &pk).unwrap();
    let e = store.import(&other, &op("dave"), PASS).unwrap_err();
    assert!(
        matches!(&e, KeyError::RegisteredToOther { other, .. } if other == "carol"),
        "{e}"
    );
}

fn op(id: &str) -> OperatorId {
    OperatorId::parse(id).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn generate_list_export_load() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::new(tmp.path());
    let info = store.generate(&op("alice"), PASS, ROUNDS).unwrap();
    assert_eq!(info.private_key, tmp.path().join("keys/alice"));
    assert_eq!(mode(&info.private_key), 0o600);
    assert_eq!(mode(&tmp.path().join("keys")), 0o700);
    assert!(info.allowed);
    assert_eq!(info.kdf_rounds, Some(ROUNDS));
    assert!(info.fingerprint.starts_with("SHA256:"));

    let text = fs::read_to_string(&info.private_key).unwrap();
    assert!(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    let key = PrivateKey::from_openssh(&text).unwrap();
    assert!(key.is_encrypted());
    assert_eq!(key.kdf().algorithm(), ssh_key::KdfAlg::Bcrypt);

    let pub_line = fs::read_to_string(&info.public_key).unwrap();
    assert!(pub_line.starts_with("ssh-ed25519 AAAA"));
    assert!(pub_line.trim_end().ends_with(" alice"));

    let signers_text = fs::read_to_string(store.allowed_signers_path()).unwrap();
    assert_eq!(signers_text.lines().count(), 1);
    assert!(
        signers_text
            .starts_with("alice namespaces=\"stationward-attestation-v1\" ssh-ed25519 AAAA"),
        "{signers_text}"
    );
    // Trusting again adds no duplicate.
    let public = store.public_key(&op("alice")).unwrap();
    assert!(!store.trust(&op("alice"), &public).unwrap());
    assert_eq!(
        fs::read_to_string(store.allowed_signers_path()).unwrap(),
        signers_text
    );

    store.generate(&op("bob"), PASS, ROUNDS).unwrap();
    let listed = store.list().unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|k| k.operator.as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    let parsed = AllowedSigners::load(&store.allowed_signers_path()).unwrap();
    assert_eq!(parsed.signers.len(), 2);

    let ssh = store
        .export_public(&op("alice"), PublicKeyFormat::OpenSsh)
        .unwrap();
    assert_eq!(ssh, pub_line);
    let pem = store
        .export_public(&op("alice"), PublicKeyFormat::Pem)
        .unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));

    let signer = store.load_signer(&op("alice"), PASS).unwrap();
    assert_eq!(signer.keyid(), info.fingerprint);
    assert_eq!(signer.operator().as_str(), "alice");

    let e = store
        .load_signer(&op("alice"), "wrong passphrase")
        .unwrap_err();
    assert!(matches!(e, KeyError::WrongPassphrase { .. }), "{e}");
    assert!(
        e.to_string().ends_with("keys/alice: wrong passphrase"),
        "{e}"
    );
}

#[test]
fn refuses_overwrite_weak_passphrase_and_missing_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::new(tmp.path());
    let e = store.generate(&op("alice"), "short", ROUNDS).unwrap_err();
    assert!(e.to_string().contains("at least 8 characters"), "{e}");
    store.generate(&op("alice"), PASS, ROUNDS).unwrap();
    let e = store.generate(&op("alice"), PASS, ROUNDS).unwrap_err();
    assert!(matches!(e, KeyError::Exists { .. }), "{e}");
    assert!(e.to_string().contains("refusing to overwrite"), "{e}");
    let e = store.load_signer(&op("nobody"), PASS).unwrap_err();
    assert!(
        e.to_string().contains("no key for operator \"nobody\""),
        "{e}"
    );
    let e = store
        .export_public(&op("nobody"), PublicKeyFormat::Pem)
        .unwrap_err();
    assert!(matches!(e, KeyError::NotFound { .. }), "{e}");
}

#[test]
fn refuses_group_or_world_readable_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::new(tmp.path());
    let info = store.generate(&op("alice"), PASS, ROUNDS).unwrap();
    for bad in [0o640, 0o604, 0o644] {
        fs::set_permissions(&info.private_key, fs::Permissions::from_mode(bad)).unwrap();
        let e = store.load_signer(&op("alice"), PASS).unwrap_err();
        assert!(matches!(e, KeyError::Permissions { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains("readable by group or others"), "{msg}");
        assert!(msg.contains(&format!("mode 0{bad:o}")), "{msg}");
        assert!(msg.contains("chmod 600"), "{msg}");
    }
    fs::set_permissions(&info.private_key, fs::Permissions::from_mode(0o400)).unwrap();
    assert!(store.load_signer(&op("alice"), PASS).is_ok());
}

#[test]
fn refuses_unencrypted_and_non_ed25519_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::new(tmp.path());
    let plain = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
    let file = tmp.path().join("plain");
    fs::write(&file, plain.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let e = store.import(&file, &op("alice"), PASS).unwrap_err();
    assert!(matches!(e, KeyError::Unencrypted { .. }), "{e}");
    assert!(
        e.to_string().contains("not protected by a passphrase"),
        "{e}"
    );
    assert!(!store.private_key_path(&op("alice")).exists());

    // Dropped into the key store by hand: load refuses it too.
    fs::create_dir_all(store.keys_dir()).unwrap();
    fs::copy(&file, store.private_key_path(&op("carol"))).unwrap();
    let e = store.load_signer(&op("carol"), PASS).unwrap_err();
    assert!(matches!(e, KeyError::Unencrypted { .. }), "{e}");

    fs::copy(fixture("ecdsa-p256.key"), &file).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let e = store.import(&file, &op("alice"), "pass").unwrap_err();
    assert!(matches!(e, KeyError::WrongAlgorithm { .. }), "{e}");
    assert!(e.to_string().contains("ssh-ed25519 keys only"), "{e}");

    fs::copy(fixture("unencrypted-ed25519.key"), &file).unwrap();
    // git checks fixtures out 0644 and fs::copy keeps that mode: set it, or the permission
    // check answers first.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let e = store.import(&file, &op("alice"), "pass").unwrap_err();
    assert!(matches!(e, KeyError::Unencrypted { .. }), "{e}");

    fs::write(&file, "not a key").unwrap();
    let e = store.import(&file, &op("alice"), PASS).unwrap_err();
    assert!(matches!(e, KeyError::Parse { .. }), "{e}");
}

#[test]
fn import_checks_the_passphrase_and_copies_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let source = KeyStore::new(&tmp.path().join("elsewhere"));
    // Import requires the rounds `key generate` requires.
    let info = source
        .generate(
            &op("alice"),
            PASS,
            stationward::attest::keys::MIN_KDF_ROUNDS,
        )
        .unwrap();
    let store = KeyStore::new(&tmp.path().join("data"));
    let e = store
        .import(&info.private_key, &op("alice"), "nope nope nope")
        .unwrap_err();
    assert!(matches!(e, KeyError::WrongPassphrase { .. }), "{e}");
    let imported = store.import(&info.private_key, &op("alice"), PASS).unwrap();
    assert_eq!(imported.fingerprint, info.fingerprint);
    assert_eq!(
        fs::read(&imported.private_key).unwrap(),
        fs::read(&info.private_key).unwrap()
    );
    assert_eq!(mode(&imported.private_key), 0o600);
    assert!(imported.allowed);
}

#[test]
fn public_key_must_match_private_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::new(tmp.path());
    store.generate(&op("alice"), PASS, ROUNDS).unwrap();
    store.generate(&op("bob"), PASS, ROUNDS).unwrap();
    fs::copy(
        store.public_key_path(&op("bob")),
        store.public_key_path(&op("alice")),
    )
    .unwrap();
    let e = store.load_signer(&op("alice"), PASS).unwrap_err();
    assert!(
        e.to_string().contains("does not match the private key"),
        "{e}"
    );
}

#[test]
fn passphrase_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pass");
    fs::write(&file, format!("{PASS}\nsecond line\n")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(read_passphrase_file(&file).unwrap().as_str(), PASS);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        read_passphrase_file(&file),
        Err(KeyError::Permissions { .. })
    ));
    fs::write(&file, "\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        read_passphrase_file(&file)
            .unwrap_err()
            .to_string()
            .contains("first line is empty")
    );
}
