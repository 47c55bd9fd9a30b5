#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! Shell completions and the manual page are generated from the same clap definition as the
//! parser, so every subcommand appears in both.

use assert_cmd::Command;

const SUBCOMMANDS: &[&str] = &[
    "tui",
    "scan",
    "checklist",
    "policy",
    "key",
    "attest",
    "verify",
    "summary",
    "diff",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let out = Command::cargo_bin("stationward")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completions_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
}

#[test]
fn man_page_names_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH stationward"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("stationward\\-{sub}(1)")),
            "man page lacks {sub}"
        );
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    Command::cargo_bin("stationward")
        .unwrap()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}
