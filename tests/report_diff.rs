#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `diff`: two scans (fixture JSON in the contract shape) and two summaries.

#[path = "fixtures/report/fixture.rs"]
mod fixture;

use serde_json::Value;
use stationward::checks::Status;
use stationward::report::{self, DiffError, diff_json, diff_scans, diff_summaries};
use stationward::walkthrough::Verdict;

const BEFORE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/report/scan-before.json"
));
const AFTER: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/report/scan-after.json"
));

fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn new_listener_and_uid0_account_are_named_regressions() {
    let d = diff_json("scan-before.json", BEFORE, "scan-after.json", AFTER).unwrap();
    assert!(d.regressed());
    assert_eq!(d.kind, "scan");
    assert_eq!(d.listeners.added.len(), 1);
    assert_eq!(d.listeners.added[0].port, 23);
    assert_eq!(d.listeners.added[0].process, "inetd");
    assert!(d.listeners.removed.is_empty());
    assert_eq!(d.accounts.added.len(), 1);
    assert_eq!(d.accounts.added[0].name, "svc-maint");
    assert_eq!(d.accounts.added[0].uid, Some(0));
    assert_eq!(d.services.added, ["inetutils-inetd.service"]);
    let regressions = d.regressions();
    assert!(
        regressions.contains(&"new listener tcp 0.0.0.0:23 (inetd)".to_string()),
        "{regressions:?}"
    );
    assert!(regressions.contains(&"new UID 0 account svc-maint".to_string()));
    assert!(regressions.contains(&"new enabled service inetutils-inetd.service".to_string()));

    let text = d.to_text();
    assert!(text.contains("✘ REGRESSED"), "{text}");
    assert!(text.contains("+ tcp 0.0.0.0:23 (inetd)"));
    assert!(text.contains("svc-maint (UID 0)"));
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
}

#[test]
fn check_changes_are_classified() {
    let d = diff_json("a", BEFORE, "b", AFTER).unwrap();
    let change = |id: &str| d.checks.iter().find(|c| c.check == id).unwrap();
    let c = change("network.risky_ports");
    assert_eq!(
        (c.old, c.new, c.regression),
        (Some(Status::Pass), Some(Status::Fail), true)
    );
    assert!(change("accounts.uid0_only_root").regression);
    assert!(change("network.listeners").regression, "pass → warn");
    assert!(change("time.sync").regression, "pass → unknown");
    // Same status, different summary: not a change.
    assert!(
        d.checks
            .iter()
            .all(|c| c.check != "patches.pending_security")
    );
    // Unchanged, waived: not listed.
    assert!(
        d.checks
            .iter()
            .all(|c| c.check != "accounts.password_aging")
    );
    // Pending updates: one applied, one new; neither is a regression on its own.
    assert_eq!(d.pending.removed[0].name, "openssl");
    assert_eq!(d.pending.added[0].name, "libc6");
    assert!(d.pending.added[0].security);
}

#[test]
fn unchanged_pair_is_not_regressed() {
    let d = diff_json("a", BEFORE, "b", BEFORE).unwrap();
    assert!(!d.regressed());
    assert!(d.is_empty());
    assert!(d.to_text().contains("No changes."));
}

#[test]
fn improvements_alone_are_not_regressions() {
    // Reversed: the telnet listener, the UID 0 account and the service go away.
    let d = diff_json("after", AFTER, "before", BEFORE).unwrap();
    assert!(!d.regressed(), "{:?}", d.regressions());
    assert_eq!(d.listeners.removed.len(), 1);
    assert_eq!(d.accounts.removed[0].name, "svc-maint");
    let text = d.to_text();
    assert!(text.contains("No regressions"), "{text}");
    assert!(text.contains("- tcp 0.0.0.0:23 (inetd)"));
}

#[test]
fn existing_account_gaining_uid0_is_a_regression() {
    let before = value(BEFORE);
    let mut after = before.clone();
    after["facts"]["accounts"]["users"][3]["uid"] = Value::from(0);
    let d = diff_scans("a", &before, "b", &after);
    assert!(d.regressed());
    assert_eq!(d.uid_changes[0].name, "biomed");
    assert!(d.regressions()[0].contains("biomed now has UID 0 (was 1001)"));
}

#[test]
fn expired_waiver_is_a_regression_and_extra_fields_are_ignored() {
    let before = value(BEFORE);
    let mut after = before.clone();
    after["findings"][7]["waiver"]["expired"] = Value::from(true);
    after["facts"]["network"]["listeners"][0]["future_field"] = Value::from("x");
    after["facts"]["brand_new_area"] = serde_json::json!({"things": [1, 2]});
    let d = diff_scans("a", &before, "b", &after);
    assert_eq!(d.checks.len(), 1);
    assert!(d.checks[0].regression);
    assert!(d.listeners.is_empty());
}

#[test]
fn missing_fact_lists_are_noted_not_guessed() {
    let before = value(BEFORE);
    let mut after = before.clone();
    after["facts"].as_object_mut().unwrap().remove("accounts");
    let d = diff_scans("a", &before, "b", &after);
    assert!(!d.regressed());
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("facts.accounts.users not compared: absent from NEW")),
        "{:?}",
        d.notes
    );
}

#[test]
fn different_hosts_are_noted() {
    let before = value(BEFORE);
    let mut after = before.clone();
    after["host"]["hostname"] = Value::from("icu-cs-02");
    let d = diff_scans("a", &before, "b", &after);
    assert!(d.notes[0].contains("different hosts"));
}

#[test]
fn bad_input_is_named() {
    let e = diff_json("old.json", "{not json", "new.json", AFTER).unwrap_err();
    assert!(
        matches!(e, DiffError::Json { ref name, line: 1, .. } if name == "old.json"),
        "{e}"
    );
    let e = diff_json("old.json", "{\"schema\":\"other/v9\"}", "new.json", AFTER).unwrap_err();
    assert!(
        e.to_string()
            .contains("old.json: not a stationward scan or summary"),
        "{e}"
    );
    let summary = report::render(&fixture::record(), report::Format::Json).unwrap();
    let e = diff_json("s.json", &summary, "new.json", AFTER).unwrap_err();
    assert!(matches!(e, DiffError::Mismatch { .. }), "{e}");
}

#[test]
fn summaries_diff_by_verdict() {
    let old = fixture::record();
    let mut new = fixture::record();
    let ics1 = new.controls.iter_mut().find(|c| c.id == "ICS-01").unwrap();
    ics1.verdict = Verdict::Failed;
    let ics3 = new.controls.iter_mut().find(|c| c.id == "ICS-03").unwrap();
    ics3.verdict = Verdict::Passed;
    let d = diff_summaries("old", &old, "new", &new);
    assert!(d.regressed());
    assert_eq!(d.controls.len(), 2);
    let r = d.regressions();
    assert_eq!(r, ["control ICS-01 went ✔ PASSED → ✘ FAILED"]);

    // Through JSON, as `diff OLD NEW` would read them.
    let a = report::render(&old, report::Format::Json).unwrap();
    let b = report::render(&new, report::Format::Json).unwrap();
    let d2 = diff_json("old", &a, "new", &b).unwrap();
    assert_eq!(d2, d);
    assert!(!diff_json("old", &a, "new", &a).unwrap().regressed());
    for line in d.to_text().lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
}

#[test]
fn diff_text_snapshot() {
    let d = diff_json("scan-before.json", BEFORE, "scan-after.json", AFTER).unwrap();
    insta::assert_snapshot!("scan_diff_text", d.to_text());
}

#[test]
fn a_hollow_or_incomplete_scan_is_rejected_not_called_unchanged() {
    // A scan with nothing in it must not say "no regressions".
    let hollow = r#"{"schema":"stationward.scan/v1"}"#;
    let e = diff_json("hollow.json", hollow, "new.json", AFTER).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("hollow.json: not a complete scan"),
        "{e}"
    );
    let e = diff_json("old.json", BEFORE, "hollow.json", hollow).unwrap_err();
    assert!(matches!(e, DiffError::Incomplete { ref name, .. } if name == "hollow.json"));
    for (what, edit) in [
        (
            "no findings",
            Box::new(|v: &mut Value| v["findings"] = Value::Array(Vec::new()))
                as Box<dyn Fn(&mut Value)>,
        ),
        (
            "unknown status",
            Box::new(|v: &mut Value| v["findings"][0]["status"] = Value::from("passed")),
        ),
        (
            "missing area facts",
            Box::new(|v: &mut Value| {
                v["facts"].as_object_mut().unwrap().remove("accounts");
            }),
        ),
        (
            "no areas",
            Box::new(|v: &mut Value| v["facts"]["areas"] = Value::Array(Vec::new())),
        ),
    ] {
        let mut v = value(AFTER);
        edit(&mut v);
        let e = diff_json("old.json", BEFORE, "new.json", &v.to_string()).unwrap_err();
        assert!(matches!(e, DiffError::Incomplete { .. }), "{what}: {e}");
    }
}

#[test]
fn control_characters_from_the_scans_are_escaped_in_text() {
    let before = value(BEFORE);
    let mut after = before.clone();
    after["host"]["hostname"] = Value::from("evil\u{1b}]0;pwned\u{7}\nNo regressions");
    after["facts"]["network"]["listeners"][0]["process"] = Value::from("x\u{1b}[2J");
    after["facts"]["network"]["listeners"][0]["port"] = Value::from(4444);
    let d = diff_scans("a", &before, "b", &after);
    let text = d.to_text();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("evil\\x1b]0;pwned\\x07\\x0aNo regressions"),
        "{text}"
    );
    assert!(text.contains("x\\x1b[2J"), "{text}");
}
