//! `stationward summary`: the hardening summary of a signed record or of the draft.

use super::args::SummaryArgs;
use super::{Failure, session_failure};
use stationward::dirs::Dirs;
use stationward::report::{self, Format};
use stationward::session::{self, RecordChoice, Target};

pub fn run(dirs: &Dirs, args: SummaryArgs) -> Result<u8, Failure> {
    let expect_keys = super::verify::parse_expect_keys(&args.expect_key)?;
    let output = args.output.as_deref();
    let format = match (args.format, output) {
        (Some(f), _) => Format::from(f),
        (None, Some(path)) => Format::from_extension(path).unwrap_or(Format::Text),
        (None, None) => Format::Text,
    };
    // `--latest` (the default when no record is named; the parser refuses it with one).
    let choice = match args.record {
        Some(path) if !args.latest => RecordChoice::File(path),
        _ => RecordChoice::Latest,
    };
    // Checked before any work: -o never replaces a signed record, a key, the evidence store
    // or the work in progress, of this data directory or of the ledger the record came from.
    if let Some(path) = output {
        let record = match &choice {
            RecordChoice::File(p) => Some(p.as_path()),
            RecordChoice::Latest => None,
        };
        let protected = session::protected_outputs(&dirs.data, record);
        report::refuse_protected(path, &protected).map_err(Failure::usage)?;
    }
    let policy = session::load_policy(dirs, args.policy.policy.as_ref()).map_err(Failure::usage)?;
    let checklist =
        session::load_checklist(dirs, &args.checklists.checklist).map_err(Failure::usage)?;
    let mut summary = if args.draft {
        let target = Target::from_flags(args.root, args.snapshot);
        session::draft_summary(&dirs.data, &target, &policy, &checklist).map_err(session_failure)?
    } else {
        let path = choice.resolve(&dirs.data).map_err(session_failure)?;
        let anchors =
            session::anchors_for_record(&dirs.data, args.allowed_signers.as_deref(), expect_keys)
                .map_err(Failure::usage)?;
        eprintln!(
            "stationward: trust: {}",
            stationward::text::for_terminal(&anchors.describe())
        );
        session::record_summary(&path, &anchors, &checklist)
            .map_err(|e| session_failure(e.into()))?
    };
    session::apply_site_rules(&mut summary, &policy);
    let rendered = report::summary_command(&summary, format, output).map_err(Failure::usage)?;
    if let Some(path) = output {
        eprintln!("Summary written to {}", path.display());
    } else {
        print!("{rendered}");
    }
    Ok(0)
}
