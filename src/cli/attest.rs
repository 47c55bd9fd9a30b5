//! `stationward attest`: headless sign-off from an answers file.

use super::{Failure, key_failure, session_failure, sign_failure};
use stationward::attest::keys::obtain_passphrase;
use stationward::attest::{OperatorId, ledger};
use stationward::catalogue::Area;
use stationward::dirs::Dirs;
use stationward::session::{self, Target};
use stationward::text::for_terminal;
use stationward::walkthrough::{HostKey, Walkthrough, answers::Answers};
use std::path::{Path, PathBuf};

pub struct AttestArgs<'a> {
    pub answers: &'a Path,
    pub operator: &'a str,
    pub target: Target,
    pub policy: Option<&'a PathBuf>,
    pub checklists: &'a [PathBuf],
    pub passphrase_file: Option<&'a Path>,
}

pub fn run(dirs: &Dirs, args: &AttestArgs<'_>) -> Result<u8, Failure> {
    // Everything that can be wrong with the input is found before the host is inspected.
    let policy = session::load_policy(dirs, args.policy).map_err(Failure::usage)?;
    let checklist = session::load_checklist(dirs, args.checklists).map_err(Failure::usage)?;
    let answers = Answers::load(args.answers).map_err(Failure::usage)?;
    stationward::attest::attachments::check_answers(&answers).map_err(Failure::usage)?;
    let operator = OperatorId::parse(args.operator).map_err(|e| key_failure(&e))?;
    session::require_key(&dirs.data, &operator).map_err(Failure::usage)?;
    let scan = session::scan(&args.target, &policy, &Area::ALL).map_err(session_failure)?;
    let mut walkthrough = Walkthrough::new(&checklist, HostKey::of(&scan.host, args.target.name()));
    answers
        .apply(&mut walkthrough, &checklist, &scan.findings)
        .map_err(Failure::usage)?;
    // Copied into the evidence store now (content-addressed, so a failed signature below
    // leaves only unreferenced copies, never a half-written file).
    stationward::attest::attachments::attach_answers(&dirs.data, &answers, &mut walkthrough)
        .map_err(Failure::usage)?;
    // The verdict rule is checked before the passphrase is asked for (and again when signing).
    walkthrough
        .ready_to_sign(&checklist, &scan.findings)
        .map_err(Failure::usage)?;
    let passphrase = obtain_passphrase(
        args.passphrase_file,
        &format!("Passphrase for {operator}'s key: "),
        false,
    )
    .map_err(|e| key_failure(&e))?;
    let signed = session::sign(
        &dirs.data,
        &operator,
        &passphrase,
        &mut walkthrough,
        &checklist,
        &scan,
        &policy,
    )
    .map_err(sign_failure)?;
    for repair in &signed.repairs {
        eprintln!("stationward: repaired the ledger: {repair}");
    }
    if let Err(e) = &signed.saved {
        eprintln!("stationward: signed, but the walkthrough copy was not saved: {e}");
    }
    let head = &signed.head;
    let verdicts: Vec<String> = walkthrough
        .counts()
        .iter()
        .map(|(v, n)| format!("{n} {}", v.as_str()))
        .collect();
    println!(
        "Signed {}",
        ledger::record_path(&dirs.data, head.seq).display()
    );
    println!("  operator  {operator} ({})", signed.keyid);
    println!(
        "  host      {} · checklist {} {}",
        for_terminal(&scan.host.hostname),
        for_terminal(&checklist.id),
        for_terminal(&checklist.version)
    );
    println!("  verdicts  {}", verdicts.join(", "));
    for c in &walkthrough.controls {
        for a in &c.attachments {
            println!(
                "  attached  {}/{} ({}, {} bytes) sha256 {}",
                c.id,
                for_terminal(&a.name),
                a.media_type,
                a.size,
                a.sha256
            );
        }
    }
    println!("  head      {head}");
    let anchors: Vec<String> = signed
        .paper_anchors
        .iter()
        .map(ToString::to_string)
        .collect();
    println!(
        "Check it any time with: {}",
        stationward::report::summary::verify_command(&head.to_string(), &anchors)
    );
    Ok(0)
}
