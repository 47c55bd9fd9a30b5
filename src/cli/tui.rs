//! `stationward` / `stationward tui`: the interactive walkthrough.

use super::{Failure, args::Command};
use stationward::dirs::Dirs;
use stationward::session;
use stationward::tui::{TuiError, TuiOptions};
use stationward::walkthrough::store::StoreError;
use std::io::Write;

/// Runs the TUI for `Command::Tui` (or, with `None`, the default: this host, no flags).
pub fn run(dirs: &Dirs, command: Option<Command>) -> Result<u8, Failure> {
    let (target, policy, checklists, fresh, mouse) = match command {
        Some(Command::Tui {
            target,
            policy,
            checklists,
            new,
            no_mouse,
        }) => (
            target.target(),
            policy.policy,
            checklists.checklist,
            new,
            !no_mouse,
        ),
        _ => (session::Target::Live, None, Vec::new(), false, true),
    };
    let policy = session::load_policy(dirs, policy.as_ref()).map_err(Failure::usage)?;
    let checklist = session::load_checklist(dirs, &checklists).map_err(Failure::usage)?;
    let outcome = stationward::tui::run(TuiOptions {
        target,
        policy,
        checklist,
        data_dir: dirs.data.clone(),
        fresh,
        mouse,
    })
    .map_err(|e| match e {
        TuiError::NotATerminal | TuiError::Open(_) | TuiError::Store(StoreError::Locked { .. }) => {
            Failure::usage(e)
        }
        other => Failure::internal(other.to_string()),
    })?;
    if let Some(unsaved) = outcome.unsaved {
        // Never "saved" when it was not: say so, and where the work went instead.
        let rescued = match (&unsaved.rescue, &unsaved.json) {
            (Ok(p), _) => format!(
                " Your verdicts and notes were written to {} instead.",
                p.display()
            ),
            (Err(e), Some(json)) => {
                // Nowhere in the data directory takes it: the work goes to stderr, the only
                // place left that is not outside the data directory; the message says so.
                let _ = writeln!(
                    std::io::stderr(),
                    "--- unsaved walkthrough (JSON), begin ---\n{json}\n--- unsaved walkthrough (JSON), end ---"
                );
                format!(
                    " It could not be written in the data directory either ({e}); the walkthrough is printed above as JSON: copy it into a file to keep your verdicts and notes."
                )
            }
            (Err(e), None) => format!(" It could not be written anywhere else either ({e})."),
        };
        return Err(Failure::internal(format!(
            "walkthrough NOT saved ({} of {} controls assessed): {}.{rescued}",
            outcome.assessed, outcome.total, unsaved.reason
        )));
    }
    // The terminal may be gone (a dropped SSH session): a failed write is not worth a panic.
    let _ = writeln!(
        std::io::stdout(),
        "Walkthrough saved: {} of {} controls assessed ({}).",
        outcome.assessed,
        outcome.total,
        outcome.walkthrough_file.display()
    );
    Ok(0)
}
