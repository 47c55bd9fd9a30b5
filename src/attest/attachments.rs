//! Files the technician attaches to a control as evidence (the vendor's MDS2 form, a photo of
//! the BIOS setting, the network team's ACL export): read through `fsread` (regular files
//! only, size checked before reading), copied content-addressed into the data directory's
//! `evidence/sha256/<hex>` (temporary file, then a link that never overwrites: nothing is
//! ever half-copied), and named in the walkthrough. At signing, each becomes an entry of its
//! control in the statement and a subject of the record, so `verify` and the auditor's
//! `sha256sum` re-hash it. The tool never opens, executes or renders an attachment.

use super::ledger::{self, EvidenceFile, LedgerError};
use super::sha256_hex;
use crate::diagnostic::SourceError;
use crate::fsread::{self, Follow, ReadError};
use crate::walkthrough::answers::Answers;
use crate::walkthrough::{Attachment, AttachmentError, Walkthrough};
use std::path::{Path, PathBuf};

/// Why a file was not attached (or cannot be signed): one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("{}: cannot attach to {control}: {reason}", path.display())]
    File {
        path: PathBuf,
        control: String,
        reason: String,
    },
    #[error("cannot attach to {control}: {source}")]
    Refused {
        control: String,
        source: AttachmentError,
    },
    #[error("{0}")]
    Store(#[from] LedgerError),
}

/// The media type of `bytes`, from their first bytes (the name is never trusted). Only types
/// a technician is likely to attach are told apart; the rest is `application/octet-stream`
/// (or `text/plain` for UTF-8 text without control characters other than whitespace).
pub fn media_type(bytes: &[u8]) -> &'static str {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"II*\x00", "image/tiff"),
        (b"MM\x00*", "image/tiff"),
    ];
    if let Some((_, t)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return t;
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return "image/webp";
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !c.is_whitespace()) => "text/plain",
        _ => "application/octet-stream",
    }
}

/// The subject name of an attachment in a record: `<control>/<file name>` (unique: a control
/// never has two attachments of one name).
pub fn subject_name(control: &str, attachment: &Attachment) -> String {
    format!("{control}/{}", attachment.name)
}

/// The file name an attachment keeps: the path's last component, UTF-8, no control
/// characters (it is printed in terminals and summaries).
fn file_name(path: &Path) -> Result<String, String> {
    let name = path
        .file_name()
        .ok_or_else(|| "the path names no file".to_string())?
        .to_str()
        .ok_or_else(|| "the file name is not UTF-8; rename the file".to_string())?;
    if name.chars().any(char::is_control) {
        return Err("the file name contains control characters; rename the file".into());
    }
    Ok(name.to_string())
}

/// Attaches the file at `path` to `control` of `walkthrough`: checks the walkthrough can take
/// it, reads it (regular files only, never more than the room left under the limits), stores
/// it in `<data_dir>/evidence/sha256/<hex>` and records it. Nothing is stored or recorded
/// when any step is refused. The caller saves the walkthrough.
pub fn attach(
    data_dir: &Path,
    walkthrough: &mut Walkthrough,
    control: &str,
    path: &Path,
) -> Result<Attachment, AttachError> {
    let refused = |source| AttachError::Refused {
        control: control.to_string(),
        source,
    };
    let file_error = |reason: String| AttachError::File {
        path: path.to_path_buf(),
        control: control.to_string(),
        reason,
    };
    walkthrough.can_attach(control).map_err(refused)?;
    let name = file_name(path).map_err(file_error)?;
    // Size checked on the open descriptor before anything is read; never more than the room
    // left is read, so a file growing meanwhile is refused too.
    let room = walkthrough.attachment_room();
    let bytes = match fsread::read_small(path, room, Follow::Yes) {
        Ok(b) => b,
        Err(ReadError::TooLarge { size, .. }) => {
            let reason = walkthrough
                .check_attachment_size(size)
                .err()
                .map_or_else(|| format!("is {size} bytes, too large"), |e| e.to_string());
            return Err(file_error(reason));
        }
        Err(ReadError::NotRegular(kind)) => {
            return Err(file_error(format!(
                "is a {kind}, not a regular file; only regular files are attached"
            )));
        }
        Err(e) => return Err(file_error(e.to_string())),
    };
    let attachment = Attachment {
        name,
        media_type: media_type(&bytes).to_string(),
        size: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
    };
    // Checked again with the real size and content before anything is stored.
    walkthrough
        .check_attachment_size(attachment.size)
        .map_err(|e| file_error(e.to_string()))?;
    if let Some(c) = walkthrough.control(control)
        && let Some(a) = c
            .attachments
            .iter()
            .find(|a| a.sha256 == attachment.sha256 || a.name == attachment.name)
    {
        let e = if a.sha256 == attachment.sha256 {
            AttachmentError::SameContent {
                control: control.to_string(),
                name: a.name.clone(),
            }
        } else {
            AttachmentError::SameName {
                control: control.to_string(),
                name: a.name.clone(),
            }
        };
        return Err(refused(e));
    }
    ledger::store_evidence(data_dir, &bytes)?;
    walkthrough
        .add_attachment(control, attachment.clone())
        .map_err(refused)?;
    Ok(attachment)
}

/// Attaches every file the answers file lists (`attachments = [...]` per answer) to its
/// control, after [`Answers::apply`]. An error names the answers file, the position of the
/// path, and why.
pub fn attach_answers(
    data_dir: &Path,
    answers: &Answers,
    walkthrough: &mut Walkthrough,
) -> Result<Vec<Attachment>, SourceError> {
    let mut out = Vec::new();
    for a in &answers.answers {
        for (written, span) in &a.attachments {
            let path = answers.resolve(written);
            let attached = attach(data_dir, walkthrough, &a.control, &path)
                .map_err(|e| answers.error_at(span.clone(), e.to_string()))?;
            out.push(attached);
        }
    }
    Ok(out)
}

/// Checks, before the host is inspected, that every file the answers file lists could be
/// attached: a regular file, within the per-file limit, all of them within the
/// per-walkthrough limit. Nothing is read or stored; [`attach_answers`] checks again as it
/// reads (a file may change in between).
pub fn check_answers(answers: &Answers) -> Result<(), SourceError> {
    let mut total = 0u64;
    for a in &answers.answers {
        for (written, span) in &a.attachments {
            let path = answers.resolve(written);
            let at = |reason: String| {
                answers.error_at(
                    span.clone(),
                    format!(
                        "{}: cannot attach to {}: {reason}",
                        path.display(),
                        a.control
                    ),
                )
            };
            file_name(&path).map_err(at)?;
            let size = match fsread::open_regular(&path, Follow::Yes) {
                Ok((_, size)) => size,
                Err(ReadError::NotRegular(kind)) => {
                    return Err(at(format!(
                        "is a {kind}, not a regular file; only regular files are attached"
                    )));
                }
                Err(e) => return Err(at(e.to_string())),
            };
            let limit = crate::walkthrough::MAX_ATTACHMENT_BYTES;
            if size > limit {
                return Err(at(AttachmentError::TooLarge { size, limit }.to_string()));
            }
            let all = crate::walkthrough::MAX_ATTACHMENTS_TOTAL_BYTES;
            if total.saturating_add(size) > all {
                return Err(at(AttachmentError::TotalTooLarge {
                    size,
                    used: total,
                    limit: all,
                }
                .to_string()));
            }
            total = total.saturating_add(size);
        }
    }
    Ok(())
}

/// The attachments of `walkthrough` as evidence files of its record, read back from the
/// evidence store and re-hashed: a stored copy that changed since it was attached is refused
/// (naming it), never signed.
pub fn evidence_files(
    data_dir: &Path,
    walkthrough: &Walkthrough,
) -> Result<Vec<EvidenceFile>, LedgerError> {
    let dir = ledger::evidence_dir(data_dir);
    let mut out = Vec::new();
    for c in &walkthrough.controls {
        for a in &c.attachments {
            let name = subject_name(&c.id, a);
            // The walkthrough file is input too: a digest that is not one never names a path.
            if !super::is_sha256_hex(&a.sha256) {
                return Err(LedgerError::Evidence {
                    path: dir.clone(),
                    reason: format!(
                        "attachment \"{name}\" has an invalid SHA-256 in the walkthrough file"
                    ),
                });
            }
            let path = dir.join(&a.sha256);
            let bytes =
                fsread::read_small(&path, crate::walkthrough::MAX_ATTACHMENT_BYTES, Follow::No)
                    .map_err(|e| LedgerError::Evidence {
                        path: path.clone(),
                        reason: format!("attachment \"{name}\" cannot be read: {e}"),
                    })?;
            if sha256_hex(&bytes) != a.sha256 {
                return Err(LedgerError::Evidence {
                    path,
                    reason: format!(
                        "attachment \"{name}\" was altered after it was attached (its SHA-256 is now {})",
                        sha256_hex(&bytes)
                    ),
                });
            }
            out.push(EvidenceFile { name, bytes });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_from_the_walkthrough_file_never_names_a_path() {
        let list = crate::checklist::Checklist::builtin().unwrap();
        let host = crate::walkthrough::HostKey {
            hostname: "h".into(),
            machine_id_hmac: String::new(),
            root: None,
        };
        let mut w = Walkthrough::new(&list, host);
        w.controls[0].attachments.push(Attachment {
            name: "passwd".into(),
            media_type: "text/plain".into(),
            size: 1,
            sha256: "../../../etc/passwd".into(),
        });
        let tmp = tempfile::tempdir().unwrap();
        let e = evidence_files(tmp.path(), &w).unwrap_err().to_string();
        assert!(
            e.contains("has an invalid SHA-256 in the walkthrough file"),
            "{e}"
        );
    }

    #[test]
    fn media_types_come_from_the_content() {
        assert_eq!(media_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(media_type(b"\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
        assert_eq!(media_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(media_type(b"table inet filter {\n}\n"), "text/plain");
        assert_eq!(media_type(b"\x7fELF\x02\x01"), "application/octet-stream");
        assert_eq!(
            media_type(b"text with \x1b[31m escape"),
            "application/octet-stream"
        );
        assert_eq!(media_type(b""), "text/plain");
    }
}
