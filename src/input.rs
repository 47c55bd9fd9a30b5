//! Reading the tool's own input files (checklists, policies, answers): size-capped and
//! strict UTF-8, with errors that name the file and position.

use crate::diagnostic::{SourceError, line_col};
use crate::fsread::{self, Follow, ReadError};
use std::path::Path;

/// Input files are small hand-written TOML; anything larger is a mistake, not a checklist.
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Reads one of the tool's input files (given on the command line, so a final symlink is
/// followed): a FIFO, device or socket is refused at once instead of hanging the tool, and
/// anything over `MAX_INPUT_BYTES` is refused before it is read.
pub fn read_text_file(path: &Path) -> Result<String, SourceError> {
    read_text_capped(path, MAX_INPUT_BYTES)
}

/// As [`read_text_file`] with a cap for this kind of file.
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, SourceError> {
    let bytes = fsread::read_small(path, cap, Follow::Yes).map_err(|e| {
        let reason = match e {
            ReadError::TooLarge { .. } => format!(
                "file is larger than {}; refusing to read it",
                human_size(cap)
            ),
            ReadError::NotRegular(kind) => {
                format!("is a {kind}, not a regular file; refusing to read it")
            }
            other => other.to_string(),
        };
        SourceError::new(path, None, reason)
    })?;
    text_from_bytes(path, bytes)
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / 1024 / 1024)
    } else {
        format!("{bytes} bytes")
    }
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

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_device_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("answers.toml");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let t = std::time::Instant::now();
        let err = read_text_file(&fifo).unwrap_err().to_string();
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        assert!(err.contains("is a FIFO, not a regular file"), "{err}");
        let err = read_text_file(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("character device"), "{err}");
    }

    #[test]
    fn an_oversized_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("policy.toml");
        std::fs::File::create(&p)
            .unwrap()
            .set_len(MAX_INPUT_BYTES + 1)
            .unwrap();
        let err = read_text_file(&p).unwrap_err().to_string();
        assert!(err.contains("larger than 4 MiB"), "{err}");
    }
}
