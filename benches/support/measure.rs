//! Shared by the benchmarks: run a command and measure it from outside.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` (output discarded) and returns (wall time, peak resident set in KiB), polling
/// VmHWM, the kernel's own high-water mark, every `poll` until the child exits.
pub fn run_measured(cmd: &mut Command, poll: Duration) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(poll);
    }
    (start.elapsed(), peak)
}
