//! The hardening summary and scan comparisons.
//!
//! - [`summary`]: the neutral [`Summary`] model, built from a draft walkthrough
//!   ([`Summary::from_draft`]) or from the parts of a signed record ([`Summary::from_parts`]).
//! - [`text`], [`markdown`], [`html`]: renderers; [`render`] picks one by [`Format`].
//! - [`diff`]: what changed between two scans (or two summaries), and whether it regressed.

pub mod diff;
pub mod html;
pub mod markdown;
pub mod record;
pub mod scan_view;
pub mod summary;
pub mod text;

pub use diff::{DiffError, DiffReport, diff_json, diff_scans, diff_summaries};
pub use summary::{
    DRAFT_MARK, RecordControl, RecordParts, RecordWaiver, SignedRecordInfo, Summary,
};
pub use text::TextOptions;

use std::fmt;
use std::path::{Path, PathBuf};

/// Output formats of `stationward summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Markdown,
    Html,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Text, Format::Markdown, Format::Html, Format::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Json => "json",
        }
    }

    /// Parses a format name (`md` is accepted for markdown).
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "md" => Some(Format::Markdown),
            _ => Format::ALL.into_iter().find(|f| f.as_str() == s),
        }
    }

    /// The format an output file's extension asks for (`.txt`, `.md`, `.html`/`.htm`, `.json`).
    pub fn from_extension(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Format::Text),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot encode the summary as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{path}: {reason}")]
    Write { path: PathBuf, reason: String },
    /// `-o` pointing into the ledger, the evidence store, the key store or the walkthroughs:
    /// a summary must never replace a signed record, a key or the work in progress.
    #[error(
        "{path}: refusing to write a summary into {protected} (the tool's own records); choose another file"
    )]
    Protected { path: PathBuf, protected: PathBuf },
}

/// Where `path` would really be written: the canonical parent joined with the file name (or
/// the canonical file when it exists, following links).
fn real_target(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = std::fs::canonicalize(&parent).unwrap_or(parent);
    match path.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    }
}

/// Refuses an output path inside (or equal to) any of `protected` (directories or files).
pub fn refuse_protected(path: &Path, protected: &[PathBuf]) -> Result<(), ReportError> {
    let target = real_target(path);
    for p in protected.iter().filter(|p| !p.as_os_str().is_empty()) {
        let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if target.starts_with(&real) {
            return Err(ReportError::Protected {
                path: path.to_path_buf(),
                protected: p.clone(),
            });
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename. A reader
/// (or a crash) sees the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    if path.file_name().is_none() {
        return Err(ReportError::Write {
            path: path.to_path_buf(),
            reason: "not a file name".into(),
        });
    }
    let tmp = crate::atomic::temporary_for(path);
    crate::atomic::write(path, &tmp, bytes, crate::atomic::Place::Replace, None).map_err(|e| {
        ReportError::Write {
            path: path.to_path_buf(),
            reason: crate::input::io_reason(&e.source),
        }
    })
}

/// Renders `summary` in `format` (text with default options: 60-line pages, no form feeds).
pub fn render(summary: &Summary, format: Format) -> Result<String, ReportError> {
    render_with(summary, format, &TextOptions::default())
}

pub fn render_with(
    summary: &Summary,
    format: Format,
    text: &TextOptions,
) -> Result<String, ReportError> {
    Ok(match format {
        Format::Text => text::render_text(&summary.for_terminal(), text),
        Format::Markdown => markdown::render_markdown(&summary.for_terminal()),
        Format::Html => html::render_html(summary),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(summary)?;
            s.push('\n');
            s
        }
    })
}

/// What `stationward summary` does once it has a [`Summary`]: render it, then write it to
/// `output` (created or replaced) or return it for stdout. Returns the rendered text when
/// `output` is `None`, else an empty string.
pub fn summary_command(
    summary: &Summary,
    format: Format,
    output: Option<&Path>,
) -> Result<String, ReportError> {
    let rendered = render(summary, format)?;
    match output {
        None => Ok(rendered),
        Some(path) => {
            write_atomically(path, rendered.as_bytes())?;
            Ok(String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_and_extensions() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse("md"), Some(Format::Markdown));
        assert_eq!(Format::parse("pdf"), None);
        assert_eq!(
            Format::from_extension(Path::new("out/summary.HTML")),
            Some(Format::Html)
        );
        assert_eq!(Format::from_extension(Path::new("summary")), None);
    }

    #[test]
    fn outputs_into_protected_places_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger");
        std::fs::create_dir_all(&ledger).unwrap();
        std::fs::write(ledger.join("000001.dsse.json"), "signed").unwrap();
        let protected = vec![ledger.clone(), dir.path().join("keys")];
        for bad in [
            ledger.join("000001.dsse.json"),
            ledger.join("new.txt"),
            ledger.join("../ledger/./000001.dsse.json"),
            dir.path().join("keys/alice"),
        ] {
            let e = refuse_protected(&bad, &protected).unwrap_err().to_string();
            assert!(e.contains("refusing to write a summary"), "{e}");
        }
        // A link elsewhere that points into the ledger is refused too.
        let link = dir.path().join("innocent.txt");
        std::os::unix::fs::symlink(ledger.join("000001.dsse.json"), &link).unwrap();
        assert!(refuse_protected(&link, &protected).is_err());
        assert!(refuse_protected(&dir.path().join("summary.txt"), &protected).is_ok());
        assert_eq!(
            std::fs::read_to_string(ledger.join("000001.dsse.json")).unwrap(),
            "signed"
        );
    }

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.txt");
        std::fs::write(&p, "old").unwrap();
        write_atomically(&p, b"new summary").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new summary");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
