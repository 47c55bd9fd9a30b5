//! `stationward diff OLD NEW`: what changed between two scans or two summaries.

use super::{EXIT_FAILED, Failure};
use stationward::report::diff::{MAX_DIFF_INPUT_BYTES, diff_json};
use std::path::Path;

pub fn run(old: &Path, new: &Path) -> Result<u8, Failure> {
    // A scan of a large host (100,000 units) is larger than a hand-written input file.
    let read = |p: &Path| {
        stationward::input::read_text_capped(p, MAX_DIFF_INPUT_BYTES).map_err(Failure::usage)
    };
    let (old_text, new_text) = (read(old)?, read(new)?);
    let report = diff_json(
        &old.display().to_string(),
        &old_text,
        &new.display().to_string(),
        &new_text,
    )
    .map_err(Failure::usage)?;
    print!("{}", report.to_text());
    Ok(if report.regressed() { EXIT_FAILED } else { 0 })
}
