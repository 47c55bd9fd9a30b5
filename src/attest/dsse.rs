//! DSSE (Dead Simple Signing Envelope) v1: the pre-authentication encoding, signing, and
//! opening an envelope without trusting its payload.

use super::keys::{KeyError, Signer};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// The payload type of an in-toto Statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths in bytes, decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// The envelope as stored (field order is the serialization order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    #[serde(default)]
    pub keyid: String,
    pub sig: String,
}

/// Signs `payload` and returns the envelope file bytes: one line of JSON and a final newline.
/// These bytes are stored as they are and never re-serialized.
pub fn sign(signer: &Signer, payload_type: &str, payload: &[u8]) -> Result<Vec<u8>, KeyError> {
    let sig = signer.sign_raw(&pae(payload_type, payload))?;
    let envelope = Envelope {
        payload: B64.encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![EnvelopeSignature {
            keyid: signer.keyid().to_string(),
            sig: B64.encode(sig),
        }],
    };
    let mut bytes = serde_json::to_vec(&envelope).map_err(|e| KeyError::Sign {
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Why an envelope could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    #[error("not one line of JSON followed by a newline")]
    NotOneLine,
    #[error("corrupt JSON at line {line} column {column}: {reason}")]
    Json {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{field} is not valid base64: {reason}")]
    Base64 { field: &'static str, reason: String },
    #[error("unknown payloadType \"{0}\" (expected {PAYLOAD_TYPE})")]
    UnknownPayloadType(String),
    #[error("envelope has no signatures")]
    NoSignatures,
    #[error("signature {index} is {len} bytes, not a 64-byte Ed25519 signature")]
    SignatureLength { index: usize, len: usize },
}

/// A decoded envelope whose signatures have not been checked yet: nothing in `payload` may be
/// trusted before [`OpenedEnvelope::verify`] succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedEnvelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<DecodedSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSignature {
    pub keyid: String,
    pub sig: [u8; 64],
}

/// Parses envelope file bytes (one line + newline) and decodes its base64 fields, requiring
/// the in-toto payload type.
pub fn open(bytes: &[u8]) -> Result<OpenedEnvelope, DsseError> {
    let Some(line) = bytes.strip_suffix(b"\n") else {
        return Err(DsseError::NotOneLine);
    };
    if line.contains(&b'\n') || line.contains(&b'\r') {
        return Err(DsseError::NotOneLine);
    }
    let envelope: Envelope = serde_json::from_slice(line).map_err(|e| DsseError::Json {
        line: e.line(),
        column: e.column(),
        reason: json_reason(&e),
    })?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(DsseError::UnknownPayloadType(envelope.payload_type));
    }
    let payload = B64
        .decode(envelope.payload.as_bytes())
        .map_err(|e| DsseError::Base64 {
            field: "payload",
            reason: e.to_string(),
        })?;
    if envelope.signatures.is_empty() {
        return Err(DsseError::NoSignatures);
    }
    let mut signatures = Vec::with_capacity(envelope.signatures.len());
    for (index, s) in envelope.signatures.into_iter().enumerate() {
        let raw = B64
            .decode(s.sig.as_bytes())
            .map_err(|e| DsseError::Base64 {
                field: "signature",
                reason: e.to_string(),
            })?;
        let sig: [u8; 64] = raw
            .as_slice()
            .try_into()
            .map_err(|_| DsseError::SignatureLength {
                index,
                len: raw.len(),
            })?;
        signatures.push(DecodedSignature {
            keyid: s.keyid,
            sig,
        });
    }
    Ok(OpenedEnvelope {
        payload_type: envelope.payload_type,
        payload,
        signatures,
    })
}

/// `serde_json`'s message without its trailing " at line L column C".
pub(crate) fn json_reason(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl OpenedEnvelope {
    /// The PAE the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Index of the first signature that verifies (strictly) under `key`.
    pub fn verify(&self, key: &ed25519_dalek::VerifyingKey) -> Option<usize> {
        let message = self.pae();
        self.signatures.iter().position(|s| {
            key.verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&s.sig))
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::keys::OperatorId;

    #[test]
    fn pae_test_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        // Byte lengths, not character counts.
        assert_eq!(pae("t", "é".as_bytes()), "DSSEv1 1 t 2 é".as_bytes());
    }

    fn signer() -> Signer {
        Signer::generate_in_memory(OperatorId::parse("alice").unwrap()).unwrap()
    }

    #[test]
    fn sign_then_open_and_verify() {
        let s = signer();
        let bytes = sign(&s, PAYLOAD_TYPE, b"{\"a\":1}").unwrap();
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(bytes.ends_with(b"}\n"));
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("{\"payload\":\"eyJhIjoxfQ==\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"keyid\":\"SHA256:"));
        let opened = open(&bytes).unwrap();
        assert_eq!(opened.payload, b"{\"a\":1}");
        assert_eq!(opened.signatures[0].keyid, s.keyid());
        assert_eq!(opened.verify(&s.verifying_key().unwrap()), Some(0));
        let other = signer();
        assert_eq!(opened.verify(&other.verifying_key().unwrap()), None);
        let mut tampered = opened.clone();
        tampered.payload[2] ^= 1;
        assert_eq!(tampered.verify(&s.verifying_key().unwrap()), None);
        let mut retyped = opened;
        retyped.payload_type = "application/json".into();
        assert_eq!(retyped.verify(&s.verifying_key().unwrap()), None);
    }

    #[test]
    fn open_rejects_bad_input() {
        let s = signer();
        let good = String::from_utf8(sign(&s, PAYLOAD_TYPE, b"{}").unwrap()).unwrap();
        assert_eq!(open(good.trim_end().as_bytes()), Err(DsseError::NotOneLine));
        assert_eq!(
            open(format!("{good}\n").as_bytes()),
            Err(DsseError::NotOneLine)
        );
        assert!(matches!(
            open(b"{\"payload\":\n"),
            Err(DsseError::Json { .. })
        ));
        assert!(matches!(open(b"{}\r\n"), Err(DsseError::NotOneLine)));
        assert!(matches!(
            open(b"{\"payload\":}\n"),
            Err(DsseError::Json { .. })
        ));
        let e = open(b"[1,2\n").unwrap_err().to_string();
        assert!(e.starts_with("corrupt JSON at line 1 column"), "{e}");
        let retyped = good.replace(PAYLOAD_TYPE, "text/plain");
        assert_eq!(
            open(retyped.as_bytes()),
            Err(DsseError::UnknownPayloadType("text/plain".into()))
        );
        let bad_b64 = good.replacen("\"payload\":\"", "\"payload\":\"!!", 1);
        assert!(matches!(
            open(bad_b64.as_bytes()),
            Err(DsseError::Base64 {
                field: "payload",
                ..
            })
        ));
        let no_sigs = format!(
            "{{\"payload\":\"e30=\",\"payloadType\":\"{PAYLOAD_TYPE}\",\"signatures\":[]}}\n"
        );
        assert_eq!(open(no_sigs.as_bytes()), Err(DsseError::NoSignatures));
        let short = format!(
            "{{\"payload\":\"e30=\",\"payloadType\":\"{PAYLOAD_TYPE}\",\"signatures\":[{{\"keyid\":\"\",\"sig\":\"AAAA\"}}]}}\n"
        );
        assert_eq!(
            open(short.as_bytes()),
            Err(DsseError::SignatureLength { index: 0, len: 3 })
        );
    }
}
