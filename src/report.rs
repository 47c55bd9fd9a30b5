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
            std::fs::write(path, rendered.as_bytes()).map_err(|e| ReportError::Write {
                path: path.to_path_buf(),
                reason: crate::input::io_reason(&e),
            })?;
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
}
