//! Who decides which keys count: the one trust rule every reader applies (verify, summary,
//! attest, the TUI's export, fleet tools).
//!
//! A key is trusted to sign as an operator at a time when the anchors say so:
//! - an `allowed_signers` file: a line whose principals match the operator id, whose
//!   `namespaces=` allows `stationward-attestation-v1`, whose key is the signing key, and whose
//!   `valid-after`/`valid-before` window holds the time (a record's `signedAt`, or now for a
//!   new signature);
//! - `--expect-key OPERATOR:SHA256:FP` anchors (the fingerprints printed on the paper form): the
//!   key's fingerprint must be one given for that operator. An operator with no such anchor is
//!   not trusted when only `--expect-key` anchors were given; when a file was given too, both
//!   must agree.
//!
//! The station's own `allowed_signers` is convenient, not authoritative: anyone who can write
//! the data directory can add a line. [`Anchors::is_station`] says when it is all there is.
//! Key continuity inside a chain (the first record pins an operator's key) is checked by
//! [`super::verify`] on top of this rule.

use super::allowed_signers::{AllowedSigners, Refusal};
use super::keys::keyid;
use crate::diagnostic::SourceError;
use ssh_key::public::KeyData;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What `verify` and `summary` say when the station's own file is the only anchor.
pub const STATION_WARNING: &str =
    "the station's own allowed_signers — anyone who can write the data directory can add a key";

/// `OPERATOR:SHA256:FP`: an operator's key fingerprint kept off the station.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectKey {
    pub operator: String,
    /// `SHA256:<base64 fingerprint>`.
    pub keyid: String,
}

impl fmt::Display for ExpectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.operator, self.keyid)
    }
}

impl FromStr for ExpectKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "\"{}\" is not OPERATOR:SHA256:FINGERPRINT (as `stationward key list` prints it)",
                crate::text::for_terminal(s)
            )
        };
        let (operator, fp) = s.rsplit_once(":SHA256:").ok_or_else(bad)?;
        super::keys::OperatorId::parse(operator).map_err(|_| bad())?;
        // 32 bytes of SHA-256 in unpadded base64: 43 characters.
        let fp_ok = fp.len() == 43
            && fp
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !fp_ok {
            return Err(bad());
        }
        Ok(ExpectKey {
            operator: operator.to_string(),
            keyid: format!("SHA256:{fp}"),
        })
    }
}

/// Where the allowed_signers file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignersOrigin {
    /// Given by the auditor (`--allowed-signers`).
    Auditor,
    /// The station's own: the data directory's (never a file beside a ledger).
    Station,
}

/// The trust anchors a reader uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchors {
    pub signers: Option<(AllowedSigners, SignersOrigin)>,
    pub expect_keys: Vec<ExpectKey>,
}

/// Why a key is not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distrust {
    /// The allowed_signers file refuses it.
    Signers { refusal: Refusal, file: PathBuf },
    /// `--expect-key` anchors exist for the operator, but none is this key.
    NotExpected {
        keyid: String,
        expected: Vec<String>,
    },
    /// Only `--expect-key` anchors were given and none names this operator.
    NoAnchor,
}

impl Distrust {
    /// A sentence naming the operator.
    pub fn describe(&self, principal: &str) -> String {
        match self {
            Distrust::Signers { refusal, file } => refusal.describe(principal, file),
            Distrust::NotExpected { keyid, expected } => format!(
                "signing key {keyid} is not the key expected for \"{principal}\" ({})",
                expected.join(", ")
            ),
            Distrust::NoAnchor => {
                format!("no --expect-key anchor names operator \"{principal}\"")
            }
        }
    }
}

impl Anchors {
    /// The data directory's `allowed_signers` (the station's own). A missing file is an error.
    pub fn station(path: &Path) -> Result<Anchors, SourceError> {
        Ok(Anchors {
            signers: Some((AllowedSigners::load(path)?, SignersOrigin::Station)),
            expect_keys: Vec::new(),
        })
    }

    /// The auditor's anchors: their own file and/or expected keys.
    pub fn auditor(
        allowed_signers: Option<&Path>,
        expect_keys: Vec<ExpectKey>,
    ) -> Result<Anchors, SourceError> {
        let signers = match allowed_signers {
            Some(p) => Some((AllowedSigners::load(p)?, SignersOrigin::Auditor)),
            None => None,
        };
        Ok(Anchors {
            signers,
            expect_keys,
        })
    }

    /// The explicit anchors when any were given, else the station's file at `station`.
    pub fn explicit_or_station(
        allowed_signers: Option<&Path>,
        expect_keys: Vec<ExpectKey>,
        station: &Path,
    ) -> Result<Anchors, SourceError> {
        if allowed_signers.is_none() && expect_keys.is_empty() {
            Anchors::station(station)
        } else {
            Anchors::auditor(allowed_signers, expect_keys)
        }
    }

    /// True when the station's own file is the only anchor.
    pub fn is_station(&self) -> bool {
        matches!(self.signers, Some((_, SignersOrigin::Station))) && self.expect_keys.is_empty()
    }

    /// The allowed_signers file, if any.
    pub fn allowed_signers(&self) -> Option<&AllowedSigners> {
        self.signers.as_ref().map(|(s, _)| s)
    }

    /// One line: which anchors decide.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match &self.signers {
            Some((s, SignersOrigin::Station)) => {
                parts.push(format!("{STATION_WARNING} ({})", s.path.display()));
            }
            Some((s, SignersOrigin::Auditor)) => {
                parts.push(format!(
                    "the auditor's allowed_signers {}",
                    s.path.display()
                ));
            }
            None => {}
        }
        if !self.expect_keys.is_empty() {
            let keys: Vec<String> = self.expect_keys.iter().map(ToString::to_string).collect();
            parts.push(format!("expected keys {}", keys.join(", ")));
        }
        if parts.is_empty() {
            "no anchors".to_string()
        } else {
            parts.join("; ")
        }
    }

    /// True when some anchor names `key` at all (a line allowing the namespace, or an
    /// expected fingerprint), whoever for.
    pub fn knows(&self, key: &KeyData) -> bool {
        let id = keyid(key);
        self.allowed_signers()
            .is_some_and(|s| s.for_key(key).any(|l| l.allows_namespace(super::NAMESPACE)))
            || self.expect_keys.iter().any(|k| k.keyid == id)
    }

    /// Keys worth trying on a DSSE envelope: every key of the allowed_signers file.
    pub fn candidate_keys(&self) -> Vec<KeyData> {
        self.allowed_signers()
            .map(|s| s.keys().into_iter().map(|k| k.key_data().clone()).collect())
            .unwrap_or_default()
    }

    /// The trust rule; see the module documentation. `introduced` holds `(operator, keyid)`
    /// pairs that a verified key-rotation record introduced: for the `--expect-key` rule
    /// they count as anchored (the old, anchored key vouched for them).
    pub fn trust_with(
        &self,
        key: &KeyData,
        principal: &str,
        at: i64,
        introduced: &BTreeSet<(String, String)>,
    ) -> Result<(), Distrust> {
        if let Some((signers, _)) = &self.signers {
            signers
                .authorize_at(key, principal, at)
                .map_err(|refusal| Distrust::Signers {
                    refusal,
                    file: signers.path.clone(),
                })?;
        }
        let expected: Vec<&ExpectKey> = self
            .expect_keys
            .iter()
            .filter(|k| k.operator == principal)
            .collect();
        if expected.is_empty() {
            return if self.signers.is_some() {
                Ok(())
            } else {
                Err(Distrust::NoAnchor)
            };
        }
        let id = keyid(key);
        if expected.iter().any(|k| k.keyid == id)
            || introduced.contains(&(principal.to_string(), id.clone()))
        {
            Ok(())
        } else {
            Err(Distrust::NotExpected {
                keyid: id,
                expected: expected.iter().map(|k| k.keyid.clone()).collect(),
            })
        }
    }

    /// Principals `key` is trusted for at `at` (for a manifest signature, which names none).
    pub fn principals_for(
        &self,
        key: &KeyData,
        at: i64,
        introduced: &BTreeSet<(String, String)>,
    ) -> Vec<String> {
        let mut names: BTreeSet<String> = self
            .expect_keys
            .iter()
            .map(|k| k.operator.clone())
            .collect();
        names.extend(introduced.iter().map(|(op, _)| op.clone()));
        if let Some(s) = self.allowed_signers() {
            for line in s.for_key(key) {
                // Literal principals only: a pattern names no one in particular.
                names.extend(
                    line.principals
                        .iter()
                        .filter(|p| !p.contains(['*', '?', '!']))
                        .cloned(),
                );
            }
        }
        names
            .into_iter()
            .filter(|p| self.trust_with(key, p, at, introduced).is_ok())
            .collect()
    }
}

/// The trust rule with no rotations: may `key` sign as `principal` at `at` (Unix seconds)?
pub fn trust(anchors: &Anchors, key: &KeyData, principal: &str, at: i64) -> Result<(), Distrust> {
    anchors.trust_with(key, principal, at, &BTreeSet::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::keys::{OperatorId, Signer};

    fn signer() -> Signer {
        Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap()
    }

    fn line(s: &Signer, principal: &str, options: &str) -> String {
        let mut pk = s.public_key().clone();
        pk.set_comment("");
        format!("{principal} {options} {}\n", pk.to_openssh().unwrap())
    }

    fn anchors(text: &str, origin: SignersOrigin, expect: Vec<ExpectKey>) -> Anchors {
        Anchors {
            signers: Some((
                AllowedSigners::parse(Path::new("allowed_signers"), text).unwrap(),
                origin,
            )),
            expect_keys: expect,
        }
    }

    #[test]
    fn expect_key_strings() {
        let k: ExpectKey = "alice:SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
            .parse()
            .unwrap();
        assert_eq!(k.operator, "alice");
        assert_eq!(
            k.keyid,
            "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
        );
        for bad in ["alice", "alice:SHA256:short", ":SHA256:x", "a b:SHA256:x"] {
            assert!(bad.parse::<ExpectKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn principal_namespace_and_validity() {
        let s = signer();
        let key = s.public_key().key_data();
        let a = anchors(
            &line(
                &s,
                "alice",
                "namespaces=\"stationward-attestation-v1\",valid-after=\"20260101Z\",valid-before=\"20261231235959Z\"",
            ),
            SignersOrigin::Auditor,
            vec![],
        );
        let mid = 1_772_352_000; // 2026-03-01
        assert!(trust(&a, key, "alice", mid).is_ok());
        assert!(trust(&a, key, "bob", mid).is_err());
        let before = trust(&a, key, "alice", mid - 100 * 86_400).unwrap_err();
        assert!(
            before.describe("alice").contains("valid-after"),
            "{before:?}"
        );
        assert!(trust(&a, key, "alice", 1_798_761_600).is_err()); // 2027-01-01
        let other = anchors(
            &line(&s, "alice", "namespaces=\"git\""),
            SignersOrigin::Auditor,
            vec![],
        );
        assert!(matches!(
            trust(&other, key, "alice", mid),
            Err(Distrust::Signers {
                refusal: Refusal::NamespaceNotAllowed,
                ..
            })
        ));
    }

    #[test]
    fn expected_keys_narrow_the_file_and_stand_alone() {
        let s = signer();
        let mallory = signer();
        let text = line(&s, "alice", "") + &line(&mallory, "alice", "");
        let fp = ExpectKey {
            operator: "alice".into(),
            keyid: s.keyid().to_string(),
        };
        let a = anchors(&text, SignersOrigin::Station, vec![fp.clone()]);
        assert!(!a.is_station());
        assert!(trust(&a, s.public_key().key_data(), "alice", 0).is_ok());
        let e = trust(&a, mallory.public_key().key_data(), "alice", 0).unwrap_err();
        assert!(matches!(e, Distrust::NotExpected { .. }), "{e:?}");
        let only = Anchors {
            signers: None,
            expect_keys: vec![fp],
        };
        assert!(trust(&only, s.public_key().key_data(), "alice", 0).is_ok());
        assert_eq!(
            trust(&only, s.public_key().key_data(), "bob", 0),
            Err(Distrust::NoAnchor)
        );
        let mut rotated = BTreeSet::new();
        rotated.insert(("alice".to_string(), mallory.keyid().to_string()));
        assert!(
            only.trust_with(mallory.public_key().key_data(), "alice", 0, &rotated)
                .is_ok()
        );
    }

    #[test]
    fn the_station_file_alone_is_named_as_such() {
        let s = signer();
        let a = anchors(&line(&s, "alice", ""), SignersOrigin::Station, vec![]);
        assert!(a.is_station());
        assert!(a.describe().contains(STATION_WARNING));
        let b = anchors(&line(&s, "alice", ""), SignersOrigin::Auditor, vec![]);
        assert!(!b.is_station());
        assert!(b.describe().contains("auditor"));
    }
}
