//! Where the tool keeps its data (walkthroughs, keys, ledger) and reads its config.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    pub data: PathBuf,
    pub config: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot tell the home directory; pass --data-dir and --config-dir (or STATIONWARD_DATA_DIR / STATIONWARD_CONFIG_DIR)"
)]
pub struct NoHomeDir;

impl Dirs {
    /// Overrides win; otherwise the platform's per-user directories.
    pub fn resolve(data: Option<PathBuf>, config: Option<PathBuf>) -> Result<Dirs, NoHomeDir> {
        let project = || directories::ProjectDirs::from("", "", "stationward");
        let data = match data {
            Some(d) => d,
            None => project().ok_or(NoHomeDir)?.data_dir().to_path_buf(),
        };
        let config = match config {
            Some(c) => c,
            None => project().ok_or(NoHomeDir)?.config_dir().to_path_buf(),
        };
        Ok(Dirs { data, config })
    }

    /// The site policy a user placed in the config dir, if any.
    pub fn site_policy(&self) -> PathBuf {
        self.config.join("policy.toml")
    }

    /// Extra checklists a user placed in the config dir.
    pub fn checklist_dir(&self) -> PathBuf {
        self.config.join("checklists")
    }

    pub fn ledger(&self) -> PathBuf {
        self.data.join("ledger")
    }
}

/// Entries ending in `.toml` directly in `dir`, sorted; a missing dir is simply empty. Entries
/// are listed whatever their type, so that a FIFO or a directory named `x.toml` is reported by
/// the loader that refuses it instead of vanishing from the site's configuration.
pub fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, crate::diagnostic::SourceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(crate::diagnostic::SourceError::new(
                dir,
                None,
                format!("cannot list the directory: {e}"),
            ));
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}
