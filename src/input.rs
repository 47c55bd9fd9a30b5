//! Reading the tool's own input files (checklists, policies, answers): size-capped and
//! strict UTF-8, with errors that name the file and position.

use crate::diagnostic::{SourceError, line_col};
use std::path::Path;

/// Input files are small hand-written TOML; anything larger is a mistake, not a checklist.
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

pub fn read_text_file(path: &Path) -> Result<String, SourceError> {
    // Regular files only and never blocking: `--answers` pointed at a FIFO or a device must
    // fail at once, not hang the tool.
    let bytes = crate::fsread::read_small(path, MAX_INPUT_BYTES, crate::fsread::Follow::Yes)
        .map_err(|e| match e {
            crate::fsread::ReadError::TooLarge { .. } => SourceError::new(
                path,
                None,
                format!(
                    "file is larger than {} MiB; refusing to read it",
                    MAX_INPUT_BYTES / 1024 / 1024
                ),
            ),
            crate::fsread::ReadError::NotRegular("directory") => {
                SourceError::new(path, None, "is a directory, not a file")
            }
            other => SourceError::new(path, None, other.to_string()),
        })?;
    text_from_bytes(path, bytes)
}

pub fn text_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<String, SourceError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..valid]);
        SourceError::new(
            path,
            Some(line_col(&prefix, valid)),
            "file is not valid UTF-8",
        )
    })
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_is_positioned() {
        let err = text_from_bytes(Path::new("a.toml"), b"x = 1\ny = \"\xff\"\n".to_vec())
            .err()
            .map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("a.toml:2:6: file is not valid UTF-8"));
    }
}
