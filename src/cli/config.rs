//! `stationward checklist ...` and `stationward policy ...`: show and lint the configuration.

use super::args::{ChecklistCommand, PolicyCommand};
use super::{EXIT_USAGE, Failure, WIDTH};
use stationward::checklist::{Checklist, render as checklist_render};
use stationward::date::Date;
use stationward::dirs::Dirs;
use stationward::policy::{Policy, WaiverState, render as policy_render};
use stationward::session;

pub fn checklist(dirs: &Dirs, cmd: ChecklistCommand) -> Result<u8, Failure> {
    match cmd {
        ChecklistCommand::List { checklists } => {
            let lists =
                session::load_checklists(dirs, &checklists.checklist).map_err(Failure::usage)?;
            for (i, list) in lists.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", checklist_render::list_text(list, WIDTH));
            }
            Ok(0)
        }
        ChecklistCommand::Show { id, checklists } => {
            let lists =
                session::load_checklists(dirs, &checklists.checklist).map_err(Failure::usage)?;
            // The same rule as the walkthrough's: the last checklist loaded wins.
            let found = lists
                .iter()
                .rev()
                .find_map(|l| l.control(&id).map(|c| (l, c)))
                .ok_or_else(|| {
                    Failure::usage(format!("no control \"{id}\" in any loaded checklist"))
                })?;
            print!(
                "{}",
                checklist_render::control_text(found.0, found.1, WIDTH)
            );
            Ok(0)
        }
        ChecklistCommand::Lint { files } => {
            let mut bad = 0;
            for file in &files {
                match Checklist::load(file) {
                    Ok(list) => {
                        println!("{}: ok ({} controls)", file.display(), list.controls.len());
                    }
                    Err(e) => {
                        eprintln!("{}", stationward::text::for_terminal(&e.to_string()));
                        bad += 1;
                    }
                }
            }
            Ok(if bad > 0 { EXIT_USAGE } else { 0 })
        }
    }
}

pub fn policy(dirs: &Dirs, cmd: PolicyCommand) -> Result<u8, Failure> {
    match cmd {
        PolicyCommand::Show { policy } => {
            let p = session::load_policy(dirs, policy.policy.as_ref()).map_err(Failure::usage)?;
            print!(
                "{}",
                policy_render::policy_text(&p, Date::today_utc(), WIDTH)
            );
            Ok(0)
        }
        PolicyCommand::Lint { file } => {
            let p = match Policy::load(&file) {
                Ok(p) => p,
                Err(e) => {
                    // Lint output is the diagnostic itself, compiler-style, like `checklist lint`.
                    eprintln!("{}", stationward::text::for_terminal(&e.to_string()));
                    return Ok(EXIT_USAGE);
                }
            };
            println!(
                "{}: ok ({} allowed listeners, {} waivers)",
                file.display(),
                p.allowed_listeners.len(),
                p.waivers.len()
            );
            let today = Date::today_utc();
            for w in &p.waivers {
                if let WaiverState::Expired { .. } = w.state(today) {
                    println!(
                        "  note: waiver for {} expired on {}",
                        w.target.id(),
                        w.expires
                    );
                }
            }
            Ok(0)
        }
    }
}
