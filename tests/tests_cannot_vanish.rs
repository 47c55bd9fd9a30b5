#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Tests that prove claims about real tools cannot pass without running: a test that needs a
//! tool or root is `#[ignore = "needs ..."]` and calls `support::require`, which fails (never
//! skips) when the tool is missing; no test prints "skipped" and passes; CI runs the ignored
//! ones and installs what they need.

mod support;

use std::path::Path;

fn test_sources() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A function of a test file: its name, the attribute and doc lines above it, its body.
struct Function {
    name: String,
    attributes: String,
    body: String,
}

fn functions(source: &str) -> Vec<Function> {
    let lines: Vec<&str> = source.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("fn ") || lines[i].starts_with("pub fn "))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            let mut a = i;
            while a > 0 && {
                let l = lines[a - 1].trim_start();
                l.starts_with("#[") || l.starts_with("///")
            } {
                a -= 1;
            }
            let name = lines[i]
                .trim_start_matches("pub ")
                .trim_start_matches("fn ")
                .split(['(', '<'])
                .next()
                .unwrap_or_default()
                .to_string();
            Function {
                name,
                attributes: lines[a..i].join("\n"),
                body: lines[i..end].join("\n"),
            }
        })
        .collect()
}

fn is_test(f: &Function) -> bool {
    f.attributes.contains("#[test]")
}

fn ignored_for_a_need(f: &Function) -> bool {
    f.attributes.contains("#[ignore = \"needs ")
}

#[test]
fn every_test_that_needs_a_tool_is_ignored_with_the_reason_and_requires_it() {
    let mut wrong = Vec::new();
    let mut requiring = 0;
    for (file, source) in test_sources() {
        if file == "tests_cannot_vanish.rs" {
            continue;
        }
        let fns = functions(&source);
        // Helpers that require a tool make every test calling them need it too.
        let helpers: Vec<&str> = fns
            .iter()
            .filter(|f| !is_test(f) && f.body.contains("support::require("))
            .map(|f| f.name.as_str())
            .collect();
        for f in fns.iter().filter(|f| is_test(f)) {
            let needs = f.body.contains("support::require(")
                || helpers
                    .iter()
                    .any(|h| f.body.contains(&format!("{h}(")) && *h != f.name);
            if needs {
                requiring += 1;
                if !ignored_for_a_need(f) {
                    wrong.push(format!(
                        "{file}: {} needs a tool but is not #[ignore = \"needs ...\"]",
                        f.name
                    ));
                }
            } else if ignored_for_a_need(f) {
                wrong.push(format!(
                    "{file}: {} is ignored as needing a tool but never calls support::require (it could pass without it)",
                    f.name
                ));
            }
            if ["on_path(", "is_root(", "in_ci("]
                .iter()
                .any(|probe| f.body.contains(probe))
            {
                wrong.push(format!(
                    "{file}: {} decides for itself whether to run (use #[ignore] and support::require)",
                    f.name
                ));
            }
            let lower = f.body.to_lowercase();
            if lower.contains("\"skipped") || lower.contains("skipping") {
                wrong.push(format!(
                    "{file}: {} prints that it skipped (and passes)",
                    f.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The scan found the tests it is about (the interop, tmux, netns and crash tests).
    assert!(requiring >= 15, "only {requiring} tests require a tool");
}

#[test]
fn ci_runs_the_ignored_tests_and_installs_their_tools() {
    let ci =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    let test_line = ci
        .lines()
        .find(|l| l.trim_start().starts_with("cargo test"))
        .expect("a cargo test line in .ci/run");
    assert!(test_line.contains("--include-ignored"), "{test_line}");
    // A tool some test requires, and the package .ci/run installs it from.
    for tool in [
        "tmux:tmux",
        "strace:strace",
        "ssh-keygen:openssh-client",
        "openssl:openssl",
        "nft:nftables",
        "python3:python3",
        "setpriv:util-linux",
        "jq:jq",
    ] {
        assert!(ci.contains(tool), ".ci/run does not install {tool}");
    }
}

#[test]
#[should_panic(expected = "this test cannot run here")]
fn a_missing_tool_fails_the_test_instead_of_skipping_it() {
    support::require(&["stationward-no-such-tool"], false);
}
