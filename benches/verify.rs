//! `cargo bench --bench verify`: verifies a 10,000-record ledger and prints the time
//! (target: under 5 s). `VERIFY_BENCH_RECORDS=N` changes the size.
//!
//! The ledger is written directly from the building blocks (statement, DSSE, SSHSIG,
//! manifest) rather than through `append_record`, which syncs every file and rewrites the
//! manifest per record; the bytes are the same.

use stationward::attest::ledger::{self, SIG_SUFFIX, record_file_name, render_manifest};
use stationward::attest::statement::{
    DigestSet, GENESIS_PREV, LedgerLink, OperatorRef, PrevRecord, ResourceDescriptor, Statement,
};
use stationward::attest::testing::{sample_predicate, trusted_signer};
use stationward::attest::{VerifyOptions, append_record, dsse, sha256_hex, verify_ledger};
use std::collections::BTreeMap;
use std::error::Error;
use std::time::Instant;

const TARGET_SECS: f64 = 5.0;

fn main() -> Result<(), Box<dyn Error>> {
    let records: u64 = std::env::var("VERIFY_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let tmp = std::env::temp_dir().join(format!("stationward-verify-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let signer = trusted_signer(&tmp, "bench")?;
    let dir = ledger::ledger_dir(&tmp);
    std::fs::create_dir_all(&dir)?;

    let started = Instant::now();
    let host = ledger::store_evidence(&tmp, b"{\"hostname\":\"cs-bench\"}\n")?;
    let mut manifest = BTreeMap::new();
    let mut prev = GENESIS_PREV.to_string();
    for seq in 1..=records {
        let evidence = format!("table inet filter {{ # {seq}\n}}\n");
        let hex = sha256_hex(evidence.as_bytes());
        std::fs::write(ledger::evidence_dir(&tmp).join(&hex), &evidence)?;
        let mut predicate = sample_predicate();
        predicate.operator = OperatorRef {
            id: signer.operator().to_string(),
            keyid: signer.keyid().to_string(),
        };
        predicate.ledger = LedgerLink {
            seq,
            prev: PrevRecord { sha256: prev },
        };
        predicate.signed_at = stationward::date::rfc3339_utc(1_772_352_000 + seq as i64);
        let subject = vec![
            ResourceDescriptor {
                name: ledger::HOST_IDENTITY_NAME.into(),
                digest: DigestSet {
                    sha256: host.clone(),
                },
            },
            ResourceDescriptor {
                name: "nft-ruleset.txt".into(),
                digest: DigestSet { sha256: hex },
            },
        ];
        let payload = Statement::new(subject, predicate).to_bytes()?;
        let record = dsse::sign(&signer, dsse::PAYLOAD_TYPE, &payload)?;
        let sig = signer.sign_sshsig(&record)?;
        let name = record_file_name(seq);
        std::fs::write(dir.join(&name), &record)?;
        std::fs::write(dir.join(format!("{name}{SIG_SUFFIX}")), &sig)?;
        prev = sha256_hex(&record);
        manifest.insert(name.clone(), prev.clone());
        manifest.insert(format!("{name}{SIG_SUFFIX}"), sha256_hex(sig.as_bytes()));
    }
    let text = render_manifest(&manifest);
    std::fs::write(dir.join(ledger::MANIFEST), &text)?;
    std::fs::write(
        dir.join(ledger::MANIFEST_SIG),
        signer.sign_sshsig(text.as_bytes())?,
    )?;
    println!(
        "wrote {records} records in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let report = verify_ledger(&VerifyOptions::for_data_dir(&tmp))?;
    let secs = started.elapsed().as_secs_f64();
    if !report.ok() {
        print!("{}", report.render_text());
        return Err("the generated ledger does not verify".into());
    }
    println!(
        "verify of {records} records: {secs:.2} s ({:.0} µs/record, {} threads; target < {TARGET_SECS} s){}",
        secs * 1e6 / records as f64,
        std::thread::available_parallelism().map_or(1, usize::from),
        if secs < TARGET_SECS {
            ""
        } else {
            "  ** OVER TARGET **"
        }
    );

    // Appending on top of the large ledger (lock, sync, manifest rewrite, read-back).
    let started = Instant::now();
    let appends = 5;
    for _ in 0..appends {
        append_record(&tmp, &signer, sample_predicate(), &[])?;
    }
    println!(
        "append at {records} records: {:.1} ms each",
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(appends)
    );
    std::fs::remove_dir_all(&tmp)?;
    Ok(())
}
