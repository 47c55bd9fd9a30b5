//! Signed attestations (see ATTESTATION.md): an in-toto Statement v1 inside a DSSE envelope,
//! signed with the operator's Ed25519 key, plus an SSHSIG over the exact record bytes, kept in a
//! hash-chained ledger with a signed `SHA256SUMS` manifest.
//!
//! - [`keys`]: operator ids, the key store (`<data dir>/keys/`, `allowed_signers`), passphrases,
//!   and the [`Signer`] that holds a decrypted key.
//! - [`attachments`]: files attached to controls, copied into the evidence store.
//! - [`allowed_signers`]: the OpenSSH `allowed_signers` file (principals, `namespaces=`).
//! - [`dsse`]: PAE, envelope signing and opening.
//! - [`sshsig`]: armored SSH signatures in the stationward namespace.
//! - [`statement`]: the in-toto Statement and the sign-off predicate.
//! - [`ledger`]: appending records (lock, chain, manifest, evidence store).
//! - [`verify`]: checking a ledger offline, one report line per property.
//! - [`testing`]: trusted in-memory signers and sample predicates for tests and benchmarks.

pub mod allowed_signers;
pub mod attachments;
pub mod dsse;
pub mod keys;
pub mod ledger;
pub mod signoff;
pub mod sshsig;
pub mod statement;
pub mod testing;
pub mod trust;
pub mod verify;

pub use keys::{KeyError, KeyStore, OperatorId, Signer};
pub use ledger::{EvidenceFile, LedgerError, LedgerHead, append_record};
pub use statement::Predicate;
pub use trust::{Anchors, ExpectKey, trust};
pub use verify::{VerifyError, VerifyOptions, VerifyReport, verify_ledger};

use sha2::{Digest, Sha256};

/// The SSHSIG namespace of every stationward signature, and the `namespaces=` option written
/// into `allowed_signers`.
pub const NAMESPACE: &str = "stationward-attestation-v1";

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// True for exactly 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_sha256_hex(&sha256_hex(b"x")));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("abc"));
    }
}
