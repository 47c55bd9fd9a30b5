//! `stationward scan`: inspect and judge, print the findings as text or JSON.

use super::args::{AreaArg, ScanFormat};
use super::{EXIT_FAILED, Failure, WIDTH, session_failure};
use stationward::catalogue::Area;
use stationward::dirs::Dirs;
use stationward::scan::render::{Colour, scan_text};
use stationward::session::{self, Target};
use std::io::IsTerminal;
use std::path::PathBuf;

pub fn run(
    dirs: &Dirs,
    target: &Target,
    policy: Option<&PathBuf>,
    format: ScanFormat,
    areas: &[AreaArg],
) -> Result<u8, Failure> {
    let mut wanted: Vec<Area> = Vec::new();
    for area in areas.iter().copied().map(Area::from) {
        if !wanted.contains(&area) {
            wanted.push(area);
        }
    }
    if wanted.is_empty() {
        wanted = Area::ALL.to_vec();
    }
    let policy = session::load_policy(dirs, policy).map_err(Failure::usage)?;
    let result = session::scan(target, &policy, &wanted).map_err(session_failure)?;
    match format {
        ScanFormat::Json => {
            crate::emit_json(&result);
        }
        ScanFormat::Text => {
            let colour =
                if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                    Colour::Ansi
                } else {
                    Colour::Never
                };
            print!("{}", scan_text(&result, WIDTH, colour));
        }
    }
    Ok(if result.has_failures() {
        EXIT_FAILED
    } else {
        0
    })
}
