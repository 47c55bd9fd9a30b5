//! The effective site configuration: which policy and checklists apply to this run.

use crate::checklist::Checklist;
use crate::diagnostic::SourceError;
use crate::dirs::{Dirs, toml_files};
use crate::policy::Policy;
use std::path::PathBuf;

/// `--policy FILE`, else `<config>/policy.toml`, else the built-in default.
pub fn load_policy(dirs: &Dirs, explicit: Option<&PathBuf>) -> Result<Policy, SourceError> {
    if let Some(path) = explicit {
        return Policy::load(path);
    }
    let site = dirs.site_policy();
    // Only a policy that is not there at all falls back to the built-in one: a FIFO, a
    // directory or an unreadable file in its place is an error, never a silent default.
    match std::fs::symlink_metadata(&site) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policy::builtin(),
        _ => Policy::load(&site),
    }
}

/// The built-in catalogue, then `<config>/checklists/*.toml`, then each `--checklist FILE`.
/// A later checklist with the same id replaces an earlier one, so a site can ship its own
/// wording of `smdds-ics`.
pub fn load_checklists(dirs: &Dirs, extra: &[PathBuf]) -> Result<Vec<Checklist>, SourceError> {
    let mut lists = vec![Checklist::builtin()?];
    for path in toml_files(&dirs.checklist_dir())?.iter().chain(extra) {
        let list = Checklist::load(path)?;
        lists.retain(|l| l.id != list.id);
        lists.push(list);
    }
    Ok(lists)
}
