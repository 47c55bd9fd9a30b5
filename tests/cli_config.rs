#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The `checklist` and `policy` commands, their corpora of valid and invalid files, and the
//! exit-code contract, run against the real binary.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn bin(config: &Path) -> Command {
    let mut cmd = Command::cargo_bin("stationward").unwrap();
    // An empty config dir, so a developer's own policy or checklists never leak into tests.
    cmd.env("STATIONWARD_CONFIG_DIR", config)
        .env("STATIONWARD_DATA_DIR", config.join("data"))
        .env_remove("NO_COLOR")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
}

fn expected(kind: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixtures(kind).join("invalid/EXPECTED")).unwrap();
    text.lines()
        .map(|l| {
            let (file, msg) = l.split_once('\t').unwrap();
            (file.to_string(), msg.to_string())
        })
        .collect()
}

fn check_invalid_corpus(kind: &str, subcommand: &str, min: usize) {
    let cfg = tempfile::tempdir().unwrap();
    let cases = expected(kind);
    assert!(
        cases.len() >= min,
        "{kind}: only {} invalid cases",
        cases.len()
    );
    let on_disk = std::fs::read_dir(fixtures(kind).join("invalid"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    assert_eq!(
        on_disk,
        cases.len(),
        "{kind}: every invalid file needs an EXPECTED line"
    );
    for (file, msg) in cases {
        let rel = format!("tests/fixtures/{kind}/invalid/{file}");
        let out = bin(cfg.path())
            .args([subcommand, "lint", &rel])
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{rel}: {stderr}");
        assert_eq!(stderr, format!("{rel}:{msg}\n"), "{rel}");
        // Every message carries a line and column, and is one line with no debug dump.
        let pos = msg.split(':').take(2).collect::<Vec<_>>();
        assert!(
            pos.iter().all(|p| p.parse::<usize>().is_ok()),
            "{rel}: no line:col in {msg}"
        );
        assert_eq!(stderr.lines().count(), 1, "{rel}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Error {"),
            "{rel}"
        );
    }
}

#[test]
fn invalid_checklists_exit_2_with_positions() {
    check_invalid_corpus("checklists", "checklist", 8);
}

#[test]
fn invalid_policies_exit_2_with_positions() {
    check_invalid_corpus("policies", "policy", 8);
}

#[test]
fn shipped_catalogue_and_valid_checklists_lint_clean() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path())
        .args([
            "checklist",
            "lint",
            "checklists/smdds-ics.toml",
            "tests/fixtures/checklists/valid/site-extra.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("checklists/smdds-ics.toml: ok (15 controls)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("site-extra.toml: ok (1 controls)"),
        "{stdout}"
    );
}

#[test]
fn lint_reports_every_bad_file_not_just_the_first() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path())
        .args([
            "checklist",
            "lint",
            "tests/fixtures/checklists/invalid/unknown-area.toml",
            "checklists/smdds-ics.toml",
            "tests/fixtures/checklists/invalid/empty-title.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("smdds-ics.toml: ok")
    );
}

#[test]
fn checklist_list_shows_all_fifteen_controls() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path())
        .args(["checklist", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for n in 1..=15 {
        assert!(
            stdout.contains(&format!("ICS-{n:02} ")),
            "ICS-{n:02} missing:\n{stdout}"
        );
    }
    assert!(
        stdout.lines().all(|l| l.chars().count() <= 80),
        "wider than 80 columns"
    );
}

#[test]
fn checklist_list_includes_extra_and_config_dir_checklists() {
    let cfg = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cfg.path().join("checklists")).unwrap();
    std::fs::copy(
        fixtures("checklists").join("valid/site-extra.toml"),
        cfg.path().join("checklists/site-extra.toml"),
    )
    .unwrap();
    let out = bin(cfg.path())
        .args(["checklist", "list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("SITE-01") && stdout.contains("ICS-15"),
        "{stdout}"
    );
}

#[test]
fn checklist_show_prints_a_control_at_80_columns() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path())
        .args(["checklist", "show", "ICS-07"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "Objective",
        "Why it matters",
        "Automated checks",
        "Steps",
        "Evidence to collect",
        "References",
    ] {
        assert!(
            stdout.lines().any(|l| l == heading),
            "missing {heading}:\n{stdout}"
        );
    }
    assert!(stdout.contains("accounts.lockout"));
    assert!(
        stdout.to_lowercase().contains("alarm"),
        "ICS-07 must speak of alarms"
    );
    assert!(
        stdout.lines().all(|l| l.chars().count() <= 80),
        "wider than 80 columns:\n{stdout}"
    );
}

#[test]
fn checklist_show_unknown_id_is_a_usage_error() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path())
        .args(["checklist", "show", "ICS-99"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "stationward: no control \"ICS-99\" in any loaded checklist\n"
    );
}

#[test]
fn every_shipped_control_is_complete() {
    let list = stationward::checklist::Checklist::builtin().unwrap();
    let ids: Vec<&str> = list.controls.iter().map(|c| c.id.as_str()).collect();
    let want: Vec<String> = (1..=15).map(|n| format!("ICS-{n:02}")).collect();
    assert_eq!(ids, want);
    for c in &list.controls {
        assert!(c.objective.len() > 40, "{}: objective too thin", c.id);
        assert!(c.rationale.len() > 80, "{}: rationale too thin", c.id);
        assert!(c.steps.len() >= 3, "{}: fewer than 3 steps", c.id);
        assert!(!c.evidence.is_empty(), "{}: no evidence", c.id);
        assert!(!c.references.is_empty(), "{}: no references", c.id);
    }
    // The checks each control names follow CONTROLS.md.
    let checks = |id: &str| list.control(id).unwrap().checks.clone();
    assert_eq!(checks("ICS-14"), Vec::<String>::new());
    assert_eq!(
        checks("ICS-03"),
        [
            "firewall.active",
            "firewall.default_deny_inbound",
            "firewall.ipv6_parity",
            "firewall.listeners_covered"
        ]
    );
    // Seven account checks, plus the two Windows-only ones (issue 15).
    assert_eq!(checks("ICS-06").len(), 9);
    assert!(checks("ICS-06").contains(&"accounts.admin_members".to_string()));
    assert!(checks("ICS-06").contains(&"accounts.builtin_accounts".to_string()));
    assert_eq!(checks("ICS-15"), ["kernel.sysctl", "os.security_options"]);
    assert_eq!(checks("ICS-05").len(), 6);
}

#[test]
fn policy_show_lists_waivers_with_expiry_state() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path())
        .args([
            "policy",
            "show",
            "--policy",
            "tests/fixtures/policies/valid/site.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Site policy: Example General — ICU-3 central station (central-station)")
    );
    assert!(
        stdout.contains("check network.hl7_cleartext: active, expires 2099-06-30"),
        "{stdout}"
    );
    assert!(
        stdout.contains("control ICS-12: EXPIRED on 2020-01-31"),
        "{stdout}"
    );
    assert!(stdout.contains("openssl 3.0.15-1~deb12u1"));
}

#[test]
fn policy_show_prefers_config_dir_policy_over_builtin() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path()).args(["policy", "show"]).output().unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("assets/policy/central-station.toml")
    );
    std::fs::copy(
        fixtures("policies").join("valid/site.toml"),
        cfg.path().join("policy.toml"),
    )
    .unwrap();
    let out = bin(cfg.path()).args(["policy", "show"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("ICU-3"), "{stdout}");
}

#[test]
fn policy_lint_default_and_valid() {
    let cfg = tempfile::tempdir().unwrap();
    for f in [
        "assets/policy/central-station.toml",
        "tests/fixtures/policies/valid/site.toml",
    ] {
        let out = bin(cfg.path())
            .args(["policy", "lint", f])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_broken_config_dir_policy_is_reported_not_ignored() {
    let cfg = tempfile::tempdir().unwrap();
    std::fs::write(cfg.path().join("policy.toml"), "[site]\nname = 3\n").unwrap();
    let out = bin(cfg.path()).args(["policy", "show"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("stationward: ") && stderr.contains("policy.toml:2:8:"),
        "{stderr}"
    );
}

#[test]
fn help_and_usage_errors() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path()).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for cmd in [
        "tui",
        "scan",
        "checklist",
        "policy",
        "key",
        "attest",
        "verify",
        "summary",
        "diff",
    ] {
        assert!(
            help.contains(&format!("  {cmd} ")),
            "help lacks {cmd}:\n{help}"
        );
    }
    let out = bin(cfg.path()).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin(cfg.path())
        .args(["checklist", "lint"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "lint needs a file");
}

#[test]
fn summary_and_diff_explain_missing_input_in_one_line() {
    let cfg = tempfile::tempdir().unwrap();
    let out = bin(cfg.path()).arg("summary").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("no signed record in") && stderr.contains("--draft"),
        "{stderr}"
    );
    let out = bin(cfg.path())
        .args(["diff", "nope-a.json", "nope-b.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "stationward: nope-a.json: no such file\n"
    );
}

/// A FIFO or a directory where the site policy or a site checklist should be is an error
/// naming it (exit 2, at once), never a silent fall-back to the built-in configuration.
#[cfg(unix)]
#[test]
fn a_site_policy_or_checklist_that_is_not_a_file_is_an_error_not_a_default() {
    let mkfifo = |p: &Path| {
        let status = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap();
        assert!(status.success());
    };
    for make in [&mkfifo as &dyn Fn(&Path), &|p: &Path| {
        std::fs::create_dir(p).unwrap()
    }] {
        let cfg = tempfile::tempdir().unwrap();
        make(&cfg.path().join("policy.toml"));
        for args in [
            &["policy", "show"][..],
            &["scan", "--root", "assets/demo"][..],
        ] {
            let out = bin(cfg.path())
                .args(args)
                .timeout(std::time::Duration::from_secs(10))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains("policy.toml"), "{args:?}: {stderr}");
        }

        let cfg = tempfile::tempdir().unwrap();
        std::fs::create_dir(cfg.path().join("checklists")).unwrap();
        make(&cfg.path().join("checklists/site.toml"));
        let out = bin(cfg.path())
            .args(["checklist", "list"])
            .timeout(std::time::Duration::from_secs(10))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("site.toml"), "{stderr}");
    }
}

/// Titles and names in site files are untrusted text: `policy show`, `checklist list`/`show`
/// print their control characters and bidi overrides escaped, never raw.
#[test]
fn site_file_text_reaches_the_terminal_escaped() {
    let cfg = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = std::fs::read_to_string(root.join("assets/policy/central-station.toml"))
        .unwrap()
        .replace(
            "name = \"Example site — monitoring central station\"",
            "name = \"Site \\u001b]0;pwn\\u0007 \\u202eevil\"",
        );
    std::fs::write(cfg.path().join("policy.toml"), policy).unwrap();
    std::fs::create_dir(cfg.path().join("checklists")).unwrap();
    let list =
        std::fs::read_to_string(root.join("tests/fixtures/checklists/valid/site-extra.toml"))
            .unwrap()
            .replace(
                "title = \"Site additions for ICU central stations\"",
                "title = \"Site \\u001b[2J additions\"",
            );
    std::fs::write(cfg.path().join("checklists/site.toml"), list).unwrap();
    for args in [
        &["policy", "show"][..],
        &["checklist", "list"][..],
        &["checklist", "show", "SITE-01"][..],
    ] {
        let out = bin(cfg.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            !stdout.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "{args:?}: raw control text: {stdout:?}"
        );
    }
    let out = bin(cfg.path()).args(["policy", "show"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\x1b]0;pwn\\x07 \\u{202e}evil"));
}
