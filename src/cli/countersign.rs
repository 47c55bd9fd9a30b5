//! `stationward countersign`: a second person's review of a sign-off, signed into the ledger.

use super::{Failure, key_failure, session_failure, sign_failure};
use stationward::attest::OperatorId;
use stationward::attest::keys::obtain_passphrase;
use stationward::attest::ledger::{self, Countersign};
use stationward::attest::statement::CountersignVerdict;
use stationward::dirs::Dirs;
use stationward::session;
use std::path::Path;

pub fn run(
    dirs: &Dirs,
    record: &str,
    operator: &str,
    (verdict, note): (CountersignVerdict, String),
    passphrase_file: Option<&Path>,
) -> Result<u8, Failure> {
    let seq = session::own_record_seq(&dirs.data, record).map_err(session_failure)?;
    let operator = OperatorId::parse(operator).map_err(|e| key_failure(&e))?;
    let passphrase = obtain_passphrase(
        passphrase_file,
        &format!("Passphrase of {operator}'s key: "),
        false,
    )
    .map_err(|e| key_failure(&e))?;
    let appended = session::countersign(
        &dirs.data,
        &operator,
        &passphrase,
        &Countersign { seq, verdict, note },
    )
    .map_err(sign_failure)?;
    for repair in &appended.repairs {
        eprintln!("stationward: repaired the ledger: {repair}");
    }
    println!(
        "{} {} by {operator} ({})",
        verdict.as_str(),
        ledger::record_file_name(seq),
        appended.keyid
    );
    println!(
        "  recorded in  {} (head {})",
        ledger::record_path(&dirs.data, appended.head.seq).display(),
        appended.head
    );
    Ok(0)
}
