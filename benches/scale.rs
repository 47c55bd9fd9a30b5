#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a panic is the failure report
//! Scale figures for the README (Guarantees, Scale): `stationward scan --root` of a synthetic
//! tree with 100,000 unit files, 500,000 accounts and a 1 GB log (sparse), at a quarter, half
//! and full size, printing wall time and the tool's peak RSS, so growth can be seen to be
//! linear.
//! Targets: 100k units under 5 s, peak RSS under 300 MB.
//!
//! `cargo bench --bench scale` (the tree is invented here, in a temporary directory).

use std::io::Write;
use std::path::Path;
#[path = "support/measure.rs"]
mod measure;

use std::process::Command;
use std::time::Duration;

const UNITS: usize = 100_000;
const ACCOUNTS: usize = 500_000;
const LOG_BYTES: u64 = 1 << 30;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// An invented Debian-like tree: `units` service units (a third enabled), `accounts` accounts
/// with shadow entries, and a sparse 1 GB /var/log/syslog and dpkg.log.
fn build_tree(root: &Path, units: usize, accounts: usize) {
    write(
        &root.join("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    write(&root.join("etc/hostname"), "scale-bench\n");
    write(
        &root.join("etc/machine-id"),
        "0123456789abcdef0123456789abcdef\n",
    );
    let lib = root.join("lib/systemd/system");
    let wants = root.join("etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(&wants).unwrap();
    for i in 0..units {
        let name = format!("bench-{i:06}.service");
        write(
            &lib.join(&name),
            &format!(
                "[Unit]\nDescription=bench unit {i}\n\n[Service]\nExecStart=/usr/bin/true\n\n[Install]\nWantedBy=multi-user.target\n"
            ),
        );
        if i % 3 == 0 {
            std::os::unix::fs::symlink(format!("/lib/systemd/system/{name}"), wants.join(&name))
                .unwrap();
        }
    }
    let mut passwd =
        std::io::BufWriter::new(std::fs::File::create(root.join("etc/passwd")).unwrap());
    let mut shadow =
        std::io::BufWriter::new(std::fs::File::create(root.join("etc/shadow")).unwrap());
    writeln!(passwd, "root:x:0:0:root:/root:/bin/bash").unwrap();
    writeln!(shadow, "root:!:19000:0:99999:7:::").unwrap();
    for i in 0..accounts {
        let uid = 10_000 + i;
        writeln!(passwd, "u{i}:x:{uid}:{uid}::/home/u{i}:/usr/sbin/nologin").unwrap();
        writeln!(shadow, "u{i}:!:19000:0:99999:7:::").unwrap();
    }
    drop((passwd, shadow));
    write(&root.join("etc/group"), "root:x:0:\nsudo:x:27:\n");
    for log in ["var/log/syslog", "var/log/dpkg.log"] {
        std::fs::create_dir_all(root.join(log).parent().unwrap()).unwrap();
        std::fs::File::create(root.join(log))
            .unwrap()
            .set_len(LOG_BYTES)
            .unwrap();
    }
}

/// Runs the scan and returns (wall time, peak RSS in KiB).
fn scan(root: &Path, policy: &str) -> (Duration, u64) {
    measure::run_measured(
        Command::new(env!("CARGO_BIN_EXE_stationward"))
            .args(["scan", "--format", "json", "--policy", policy, "--root"])
            .arg(root)
            .env("STATIONWARD_DATA_DIR", root.join(".bench-data"))
            .env("STATIONWARD_CONFIG_DIR", root.join(".bench-config")),
        Duration::from_millis(2),
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let policy = format!(
        "{}/assets/policy/central-station.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    println!("scale: scan --root of a synthetic tree (invented), 1 GB sparse logs at every size");
    println!(
        "{:>8} {:>9} {:>10} {:>12}",
        "units", "accounts", "time", "peak RSS"
    );
    let mut rows = Vec::new();
    for share in [4, 2, 1] {
        let (units, accounts) = (UNITS / share, ACCOUNTS / share);
        let dir = tempfile::tempdir().unwrap();
        build_tree(dir.path(), units, accounts);
        let _ = scan(dir.path(), &policy); // warm the page cache
        let (took, peak) = scan(dir.path(), &policy);
        println!(
            "{units:>8} {accounts:>9} {:>8.2} s {:>9.1} MB",
            took.as_secs_f64(),
            peak as f64 / 1024.0
        );
        rows.push((units, took, peak));
    }
    let (_, t_full, rss_full) = rows[rows.len() - 1];
    let (_, t_quarter, _) = rows[0];
    println!(
        "growth: full / quarter size = {:.1}x time (linear is 4x); targets: 100k units < 5 s ({}), peak RSS < 300 MB ({})",
        t_full.as_secs_f64() / t_quarter.as_secs_f64(),
        if t_full < Duration::from_secs(5) {
            "met"
        } else {
            "NOT met"
        },
        if rss_full < 300 * 1024 {
            "met"
        } else {
            "NOT met"
        },
    );
}
