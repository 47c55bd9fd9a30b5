#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The layers of DESIGN.md, enforced on the source text: data flows host → inspect → checks →
//! walkthrough → attest/report, and no layer imports one above it. A grep, not a compiler
//! pass, so it runs in milliseconds and names the file and line that broke the rule.

use std::path::{Path, PathBuf};

/// Every `.rs` file of a module: `src/NAME.rs` and everything under `src/NAME/`.
fn module_files(name: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join(format!("{name}.rs"))];
    let mut dirs = vec![src.join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.retain(|f| f.is_file());
    files.sort();
    files
}

/// The crate modules a source text names through `crate::`, with the line of each: both
/// `crate::checks::Area` and the grouped `use crate::{checks::Area, host}` forms. Comments
/// are skipped (a doc comment may mention a module without importing it).
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut group_open = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("");
        let mut rest = line;
        if group_open {
            // Inside `use crate::{ ... }` spread over lines: each path starts a module name.
            for part in rest.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push((n + 1, name));
                }
            }
            if rest.contains('}') {
                group_open = false;
            }
            continue;
        }
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for part in inner.split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.push((n + 1, name));
                    }
                }
                if !group.contains('}') {
                    group_open = true;
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                found.push((n + 1, name));
            }
        }
    }
    found
}

/// Every place a file of `module` names one of `forbidden`, as `file:line: crate::name`.
fn violations(module: &str, forbidden: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for file in module_files(module) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, name) in crate_paths(&text) {
            if forbidden.contains(&name.as_str()) {
                bad.push(format!("{}:{line}: crate::{name}", file.display()));
            }
        }
    }
    bad
}

/// The modules above `inspect`: what it must never import.
const ABOVE_INSPECT: &[&str] = &[
    "checks",
    "policy",
    "checklist",
    "scan",
    "walkthrough",
    "attest",
    "report",
    "session",
    "tui",
    "config",
];

#[test]
fn the_scanner_sees_every_import_form() {
    let text = "use crate::checks::Area;\n\
                use crate::{host::Host, policy::Proto};\n\
                use crate::{\n    date::Date,\n    checks::Status,\n};\n\
                // crate::report is only mentioned here\n\
                let x = crate::glob::star(a, b);\n";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(
        names,
        ["checks", "host", "policy", "date", "checks", "glob"].map(String::from)
    );
}

#[test]
fn inspect_imports_neither_checks_nor_policy_nor_anything_above() {
    let files = module_files("inspect");
    assert!(files.len() > 20, "src/inspect not found: {files:?}");
    let bad = violations("inspect", ABOVE_INSPECT);
    assert!(
        bad.is_empty(),
        "inspect reaches upward:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_windows_snapshot_facts_are_a_leaf_under_inspect() {
    // `inspect::Facts` holds the Windows facts; the file defining them must not reach into the
    // Windows checks (which import `checks`, closing a cycle).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/windows/snapshot.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let bad: Vec<String> = crate_paths(&text)
        .into_iter()
        .filter(|(_, n)| ABOVE_INSPECT.contains(&n.as_str()) || n == "inspect")
        .map(|(l, n)| format!("{}:{l}: crate::{n}", path.display()))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    for file in module_files("inspect") {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, _) in crate_paths(&text).iter().filter(|(_, n)| n == "windows") {
            let src = text.lines().nth(line - 1).unwrap_or("");
            assert!(
                src.contains("crate::windows::snapshot::"),
                "{}:{line}: inspect may name only windows::snapshot",
                file.display()
            );
        }
    }
}

#[test]
fn policy_does_not_import_checks() {
    let bad = violations(
        "policy",
        &["checks", "checklist", "scan", "walkthrough", "tui"],
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_shared_vocabulary_modules_are_leaves() {
    for leaf in ["catalogue", "glob", "atomic", "digest"] {
        let files = module_files(leaf);
        assert!(!files.is_empty(), "src/{leaf}.rs missing");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let names = crate_paths(&text);
            assert!(
                names.is_empty(),
                "{} is a leaf but names {names:?}",
                file.display()
            );
        }
    }
}
