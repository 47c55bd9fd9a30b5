//! What a test needs from the machine, checked one way everywhere.
//!
//! A test that needs a system tool or root is marked `#[ignore = "needs …"]`, so a plain
//! `cargo test` on a developer's machine lists it as ignored with its reason instead of
//! passing it silently. CI runs `cargo test -- --include-ignored` on a machine where
//! `.ci/run` installed every tool; there (and whenever an ignored test is asked for) a
//! missing tool or privilege is a failure, never a skip.
#![allow(dead_code)]

use std::process::Command;

/// Panics, naming what is missing, unless every tool is on PATH (and, with `root`, the test
/// runs as root).
pub fn require(tools: &[&str], root: bool) {
    let mut missing: Vec<String> = tools
        .iter()
        .filter(|t| !on_path(t))
        .map(|t| format!("`{t}` is not installed"))
        .collect();
    if root && !is_root() {
        missing.push("the test must run as root".to_string());
    }
    assert!(
        missing.is_empty(),
        "this test cannot run here: {} (.ci/run installs the tools and runs as root)",
        missing.join(", ")
    );
}

pub fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v '{tool}' >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// True under CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
