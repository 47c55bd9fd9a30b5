#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a panic is the failure report
//! Scan figures for the README: median wall time of a full live `scan`, the tool's own peak
//! RSS without the patches area (apt's memory is apt's), and Lynis on the same host for scale.
//! `cargo bench --bench scan` (run as root for a full view).

#[path = "support/measure.rs"]
mod measure;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs stationward with `args` and returns (wall time, peak resident set in KiB).
fn run_measured(args: &[&str]) -> (Duration, u64) {
    measure::run_measured(
        Command::new(env!("CARGO_BIN_EXE_stationward")).args(args),
        Duration::from_micros(500),
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let _ = run_measured(&["scan", "--format", "json"]); // warm the page cache
    let runs: Vec<Duration> = (0..9)
        .map(|_| run_measured(&["scan", "--format", "json"]).0)
        .collect();
    let full = median(runs.clone());
    println!(
        "full live scan: median {:.0} ms over {} runs (min {:.0} ms, max {:.0} ms; target < 1 s)",
        full.as_secs_f64() * 1e3,
        runs.len(),
        runs.iter().min().unwrap().as_secs_f64() * 1e3,
        runs.iter().max().unwrap().as_secs_f64() * 1e3
    );
    let no_patches = [
        "scan",
        "--format",
        "json",
        "--area",
        "services",
        "--area",
        "network",
        "--area",
        "accounts",
        "--area",
        "firewall",
        "--area",
        "supporting",
    ];
    let rss: Vec<u64> = (0..5).map(|_| run_measured(&no_patches).1).collect();
    println!(
        "peak RSS without the patches area: {:.1} MB (max of 5 runs; target < 30 MB)",
        *rss.iter().max().unwrap() as f64 / 1024.0
    );

    match Command::new("lynis").arg("--version").output() {
        Ok(_) => {
            let start = Instant::now();
            let out = Command::new("lynis")
                .args(["audit", "system", "--quick", "--no-colors"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            let lynis = start.elapsed();
            println!(
                "lynis audit system --quick: {:.1} s (exit {:?}); stationward full scan is {:.0}x faster",
                lynis.as_secs_f64(),
                out.code(),
                lynis.as_secs_f64() / full.as_secs_f64()
            );
        }
        Err(_) => println!("lynis: not installed (apt-get install lynis) — no comparison this run"),
    }
}
