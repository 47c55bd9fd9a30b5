//! `stationward verify`: check the signed ledger offline.

use super::args::AnchorArgs;
use super::{EXIT_FAILED, Failure};
use stationward::attest::{ExpectKey, LedgerHead, VerifyOptions, verify_ledger};
use stationward::dirs::Dirs;
use std::path::PathBuf;

/// `--expect-key` values, each `OPERATOR:SHA256:FP`.
pub fn parse_expect_keys(values: &[String]) -> Result<Vec<ExpectKey>, Failure> {
    values
        .iter()
        .map(|v| {
            v.parse()
                .map_err(|e| Failure::usage(format!("--expect-key: {e}")))
        })
        .collect()
}

pub fn run(
    dirs: &Dirs,
    ledger_dir: Option<PathBuf>,
    anchors: AnchorArgs,
    expect_head: Option<&str>,
    strict: bool,
) -> Result<u8, Failure> {
    let expect_keys = parse_expect_keys(&anchors.expect_key)?;
    let mut options = match ledger_dir {
        Some(dir) => VerifyOptions::for_ledger_dir(&dir, &dirs.data),
        None => VerifyOptions::for_data_dir(&dirs.data),
    };
    options.allowed_signers = anchors.allowed_signers;
    options.expect_keys = expect_keys;
    if let Some(head) = expect_head {
        options.expect_head = Some(
            head.parse::<LedgerHead>()
                .map_err(|e| Failure::usage(format!("--expect-head: {e}")))?,
        );
    }
    let report = verify_ledger(&options).map_err(Failure::usage)?;
    print!("{}", report.render_text());
    let ok = if strict {
        report.ok_strict()
    } else {
        report.ok()
    };
    if strict && report.station_anchors {
        eprintln!(
            "stationward: --strict: only the station's own allowed_signers vouches for the keys; give --allowed-signers or --expect-key"
        );
    }
    Ok(if ok { 0 } else { EXIT_FAILED })
}
