//! Armored SSH signatures (PROTOCOL.sshsig) in the stationward namespace, checked the way
//! `ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n stationward-attestation-v1` does.

use super::NAMESPACE;
use super::allowed_signers::{AllowedSigners, Refusal};
use ssh_key::SshSig;

/// Why an SSH signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshSigError {
    #[error("not an armored SSH signature: {0}")]
    Parse(String),
    #[error("signed for namespace \"{found}\", expected \"{NAMESPACE}\"")]
    Namespace { found: String },
    #[error("{0}")]
    NotAuthorized(String),
    #[error("signature does not match the signed bytes")]
    Invalid,
}

/// A signature that holds: the key's fingerprint (`SHA256:...`) and the principals it is
/// listed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSshSig {
    pub keyid: String,
    pub principals: Vec<String>,
}

/// Checks the armored signature `armored` over `message` in the stationward namespace and
/// returns the key it embeds; who that key belongs to is for the trust rule
/// ([`super::trust`]) to decide.
pub fn verify_signature(
    armored: &[u8],
    message: &[u8],
) -> Result<ssh_key::public::KeyData, SshSigError> {
    let sig = SshSig::from_pem(armored).map_err(|e| SshSigError::Parse(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(SshSigError::Namespace {
            found: sig.namespace().to_string(),
        });
    }
    let key = sig.public_key().clone();
    ssh_key::PublicKey::from(key.clone())
        .verify(NAMESPACE, message, &sig)
        .map_err(|_| SshSigError::Invalid)?;
    Ok(key)
}

/// Checks the armored signature `armored` over `message`: the namespace, that
/// `allowed_signers` lists the embedded key (for `principal`, when given) with the namespace
/// allowed, and the signature itself.
pub fn verify(
    armored: &[u8],
    message: &[u8],
    signers: &AllowedSigners,
    principal: Option<&str>,
) -> Result<VerifiedSshSig, SshSigError> {
    let sig = SshSig::from_pem(armored).map_err(|e| SshSigError::Parse(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(SshSigError::Namespace {
            found: sig.namespace().to_string(),
        });
    }
    let key = sig.public_key();
    match principal {
        Some(p) => signers
            .authorize(key, p)
            .map_err(|r| SshSigError::NotAuthorized(r.describe(p, &signers.path)))?,
        None => {
            let listed = signers.for_key(key).any(|s| s.allows_namespace(NAMESPACE));
            if !listed {
                return Err(SshSigError::NotAuthorized(
                    Refusal::KeyNotListed.describe("", &signers.path),
                ));
            }
        }
    }
    ssh_key::PublicKey::from(key.clone())
        .verify(NAMESPACE, message, &sig)
        .map_err(|_| SshSigError::Invalid)?;
    Ok(VerifiedSshSig {
        keyid: super::keys::keyid(key),
        principals: signers
            .for_key(key)
            .flat_map(|s| s.principals.clone())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::keys::{OperatorId, Signer};
    use std::path::Path;

    fn setup(options: &str) -> (Signer, AllowedSigners) {
        let s = Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap();
        let mut pk = s.public_key().clone();
        pk.set_comment("");
        let line = format!("alice {options} {}\n", pk.to_openssh().unwrap());
        let signers = AllowedSigners::parse(Path::new("allowed_signers"), &line).unwrap();
        (s, signers)
    }

    #[test]
    fn sign_and_verify() {
        let (s, signers) = setup("namespaces=\"stationward-attestation-v1\"");
        let armored = s.sign_sshsig(b"record\n").unwrap();
        assert!(armored.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
        let ok = verify(armored.as_bytes(), b"record\n", &signers, Some("alice")).unwrap();
        assert_eq!(ok.keyid, s.keyid());
        assert_eq!(ok.principals, ["alice"]);
        assert!(verify(armored.as_bytes(), b"record\n", &signers, None).is_ok());
        assert_eq!(
            verify(armored.as_bytes(), b"record!", &signers, Some("alice")),
            Err(SshSigError::Invalid)
        );
        let e = verify(armored.as_bytes(), b"record\n", &signers, Some("bob")).unwrap_err();
        assert!(e.to_string().contains("operator \"bob\""), "{e}");
        assert!(matches!(
            verify(b"garbage", b"", &signers, None),
            Err(SshSigError::Parse(_))
        ));
    }

    #[test]
    fn wrong_namespace_and_unlisted_key() {
        let (s, signers) = setup("namespaces=\"git\"");
        let armored = s.sign_sshsig(b"x").unwrap();
        let e = verify(armored.as_bytes(), b"x", &signers, Some("alice")).unwrap_err();
        assert!(e.to_string().contains("does not allow namespace"), "{e}");
        let (other, _) = setup("");
        let armored = other.sign_sshsig(b"x").unwrap();
        let e = verify(armored.as_bytes(), b"x", &signers, Some("alice")).unwrap_err();
        assert!(e.to_string().contains("not in allowed_signers"), "{e}");
    }
}
