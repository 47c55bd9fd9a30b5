#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! The walkthrough TUI without a terminal: keys → actions → state, and whole screens drawn
//! into a `TestBackend` and compared with committed snapshots (fixture data, no live host).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use stationward::checklist::Checklist;
use stationward::checks::{Area, Finding, REGISTRY, Status};
use stationward::inspect::Facts;
use stationward::inspect::identity::HostIdentity;
use stationward::policy::Policy;
use stationward::scan::{Scan, Tool};
use stationward::tui::action::{Action, Screen};
use stationward::tui::app::{App, Confirm, Focus};
use stationward::tui::tables::FactTable;
use stationward::tui::theme::Theme;
use stationward::tui::ui;
use stationward::walkthrough::{HostKey, Verdict, Walkthrough};

fn identity() -> HostIdentity {
    HostIdentity {
        hostname: "icu-cs-01".into(),
        os: "Debian GNU/Linux 12 (bookworm)".into(),
        os_id: "debian".into(),
        os_version_id: "12".into(),
        os_codename: "bookworm".into(),
        kernel: "6.1.0-28-amd64".into(),
        arch: "x86_64".into(),
        machine_id_hmac: "5e1f".repeat(16),
        ..HostIdentity::default()
    }
}

/// A fixed scan: a few failures, a warning, an unknown, the rest passing.
fn fixture_scan() -> Scan {
    let findings = REGISTRY
        .iter()
        .map(|spec| match spec.id {
            "firewall.default_deny_inbound" => Finding::new(
                spec.id,
                Status::Fail,
                "Input policy is accept on inet filter",
            )
            .with_details(vec![
                "chain inet filter input: policy accept, 3 rules".into(),
            ]),
            "network.risky_ports" => {
                Finding::new(spec.id, Status::Fail, "VNC 5900/tcp is open on 0.0.0.0")
                    .with_details(vec!["5900/tcp x11vnc (pid 812)".into()])
            }
            "patches.pending_security" => Finding::new(
                spec.id,
                Status::Fail,
                "3 security updates pending: openssl, libc6, openssh-server",
            ),
            "ssh.password_auth" => Finding::new(
                spec.id,
                Status::Warn,
                "PasswordAuthentication yes in /etc/ssh/sshd_config",
            ),
            "accounts.lockout" => {
                Finding::unknown(spec.id, "needs root to read /etc/pam.d/common-auth")
            }
            "time.sync" => Finding::new(
                spec.id,
                Status::NotApplicable,
                "clock set by the monitoring network's master",
            ),
            _ => Finding::new(
                spec.id,
                Status::Pass,
                format!("{} — as expected", spec.title),
            ),
        })
        .collect();
    let facts = Facts {
        identity: identity(),
        areas: Area::ALL.to_vec(),
        ..Facts::default()
    };
    Scan {
        schema: stationward::scan::SCHEMA.into(),
        tool: Tool {
            name: "stationward".into(),
            version: "0.0.0-test".into(),
        },
        host: identity(),
        root: None,
        privileged: true,
        scanned_at: "2026-11-25T09:00:00Z".into(),
        policy: "assets/policy/central-station.toml".into(),
        facts,
        findings,
    }
}

fn app() -> App {
    let checklist = Checklist::builtin().unwrap();
    let policy = Policy::builtin().unwrap();
    let host = HostKey::of(&identity(), None);
    let w = Walkthrough::new(&checklist, host);
    App::new(checklist, policy, w, Area::ALL.to_vec())
}

fn ready_app() -> App {
    let mut a = app();
    a.update(Action::FindingsReady(Box::new(fixture_scan())));
    a
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// Sends a key the way the event loop does.
fn press(app: &mut App, k: KeyEvent) {
    app.update(Action::Key(k));
}

fn press_code(app: &mut App, code: KeyCode) {
    press(app, KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, key(c));
    }
}

fn draw(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| ui::render(app, &Theme::mono(), f))
        .unwrap();
    terminal.backend().to_string()
}

// ---- state -------------------------------------------------------------------------------

#[test]
fn tab_and_shift_tab_cycle_the_four_screens() {
    let mut a = app();
    let mut seen = vec![a.screen];
    for _ in 0..4 {
        press_code(&mut a, KeyCode::Tab);
        seen.push(a.screen);
    }
    assert_eq!(
        seen,
        [
            Screen::Overview,
            Screen::Controls,
            Screen::Findings,
            Screen::SignOff,
            Screen::Overview
        ]
    );
    press(&mut a, KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
    assert_eq!(a.screen, Screen::SignOff);
}

#[test]
fn n_and_p_walk_controls_and_stop_at_the_ends() {
    let mut a = ready_app();
    press(&mut a, key('p'));
    assert_eq!((a.screen, a.selected), (Screen::Controls, 0));
    for _ in 0..20 {
        press(&mut a, key('n'));
    }
    assert_eq!(a.selected, 14);
    press_code(&mut a, KeyCode::Up);
    press(&mut a, key('k'));
    assert_eq!(a.selected, 12);
}

#[test]
fn verdict_keys_record_verdicts_and_mark_for_save() {
    let mut a = ready_app();
    press_code(&mut a, KeyCode::Enter); // Overview → Controls at the first open control
    assert_eq!(a.screen, Screen::Controls);
    for (k, v) in [
        ('2', Verdict::Failed),
        ('3', Verdict::Warned),
        ('4', Verdict::NotApplicable),
        ('0', Verdict::NotAssessed),
    ] {
        a.dirty = false;
        press(&mut a, key(k));
        assert_eq!(a.walkthrough.controls[0].verdict, v);
        assert!(a.dirty);
    }
    press(&mut a, key('1'));
    assert_eq!(
        a.walkthrough.controls[0].verdict,
        Verdict::Passed,
        "ICS-01's check passes"
    );
    assert_eq!(a.walkthrough.controls[0].findings.len(), 1);
}

#[test]
fn verdict_keys_do_nothing_off_the_controls_screen() {
    let mut a = ready_app();
    press(&mut a, key('2'));
    assert_eq!(a.walkthrough.assessed(), 0);
}

#[test]
fn passed_over_a_failing_check_asks_for_a_justification() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    a.selected = 2; // ICS-03: firewall.default_deny_inbound fails
    press(&mut a, key('1'));
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    assert!(matches!(a.focus, Focus::Note(_)), "the note editor opens");
    assert!(
        a.status.contains("firewall.default_deny_inbound"),
        "{}",
        a.status
    );

    // Leaving with an empty note records nothing.
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    assert!(
        a.status.contains("justification note is required"),
        "{}",
        a.status
    );

    press(&mut a, key('1'));
    type_text(&mut a, "Upstream vendor firewall; ticket 4411");
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::Passed);
    assert_eq!(
        a.walkthrough.controls[2].note,
        "Upstream vendor firewall; ticket 4411"
    );
    assert_eq!(
        a.walkthrough
            .passed_over_failures(&a.checklist, a.findings())
            .len(),
        1
    );
}

#[test]
fn passed_waits_for_the_inspection_when_a_control_has_checks() {
    let mut a = app();
    a.update(Action::GoTo(Screen::Controls));
    a.selected = 2;
    press(&mut a, key('1'));
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    assert!(a.status.contains("wait for the inspection"), "{}", a.status);
    press(&mut a, key('2'));
    assert_eq!(
        a.walkthrough.controls[2].verdict,
        Verdict::Failed,
        "FAILED needs no findings"
    );
    a.selected = 13; // ICS-14 is manual only
    press(&mut a, key('1'));
    assert_eq!(a.walkthrough.controls[13].verdict, Verdict::Passed);
}

#[test]
fn the_note_editor_captures_every_key_and_esc_keeps_the_text() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    press(&mut a, key('e'));
    type_text(&mut a, "q n p 1 2 e / ? s");
    press_code(&mut a, KeyCode::Enter);
    type_text(&mut a, "line two");
    press_code(&mut a, KeyCode::Tab);
    assert_eq!(a.screen, Screen::Controls, "Tab is text while editing");
    assert_eq!(
        a.walkthrough.assessed(),
        0,
        "digits were text, not verdicts"
    );
    assert!(!a.quit);
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.focus, Focus::Keys);
    assert_eq!(
        a.walkthrough.controls[0].note,
        "q n p 1 2 e / ? s\nline two  "
    );
    assert!(a.dirty);
}

#[test]
fn ctrl_c_quits_even_from_the_editor() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    press(&mut a, key('e'));
    press(
        &mut a,
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    );
    assert!(a.quit);
}

#[test]
fn q_goes_back_then_quits_after_asking_and_closes_help_first() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Findings));
    press(&mut a, key('?'));
    assert!(a.help);
    press(&mut a, key('q'));
    assert!(!a.help && a.screen == Screen::Findings && !a.quit);
    press(&mut a, key('q'));
    assert_eq!(a.screen, Screen::Overview);
    // Esc never quits (it did: the natural next key ended the app).
    press_code(&mut a, KeyCode::Esc);
    assert!(!a.quit);
    // q on the Overview of an unsigned walkthrough asks first, saying work is saved.
    press(&mut a, key('q'));
    assert!(!a.quit);
    assert_eq!(a.confirm, Some(Confirm::Quit));
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("Your work is saved"), "{screen}");
    press_code(&mut a, KeyCode::Esc);
    assert!(!a.quit && a.confirm.is_none());
    press(&mut a, key('q'));
    press(&mut a, key('y'));
    assert!(a.quit);
}

#[test]
fn control_filter_narrows_the_list_and_moves_the_selection() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    press(&mut a, key('/'));
    type_text(&mut a, "firewall");
    assert_eq!(a.visible_controls(), [2]);
    assert_eq!(a.selected, 2);
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.focus, Focus::Keys);
    press(&mut a, key('j'));
    assert_eq!(a.selected, 2, "only one control is visible");
    press(&mut a, key('/'));
    press(
        &mut a,
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
    );
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.visible_controls().len(), 15);
}

#[test]
fn findings_tables_switch_sort_filter_and_open_controls() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Findings));
    assert_eq!(a.tables[0].title, "Checks");
    assert_eq!(a.table_view().len(), REGISTRY.len());
    press(&mut a, key('/'));
    type_text(&mut a, "fail");
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.table_view().len(), 3);
    press(&mut a, key('o'));
    press(&mut a, key('o'));
    assert_eq!(a.sort_column, Some(1));
    let first = a.table_view()[0];
    assert_eq!(a.tables[0].rows[first][1], "firewall.default_deny_inbound");
    press(&mut a, key('r'));
    let first = a.table_view()[0];
    assert_eq!(a.tables[0].rows[first][1], "patches.pending_security");
    // Enter opens the finding with its evidence; c goes on to the control that uses it.
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.screen, Screen::Findings);
    assert!(a.pane.is_some());
    press(&mut a, key('c'));
    assert_eq!(a.screen, Screen::Controls);
    assert_eq!(a.checklist.controls[a.selected].id, "ICS-05");
    a.update(Action::GoTo(Screen::Findings));
    press_code(&mut a, KeyCode::Right);
    assert_eq!(a.tables[a.table_index].title, "Listeners");
    press_code(&mut a, KeyCode::Left);
    press_code(&mut a, KeyCode::Left);
    assert_eq!(a.tables[a.table_index].title, "Firewall");
}

#[test]
fn inspection_progress_then_findings() {
    let mut a = app();
    a.update(Action::InspectionProgress(Area::Accounts));
    a.update(Action::InspectionProgress(Area::Accounts));
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("Inspecting 1 of 6 areas"), "{screen}");
    a.update(Action::FindingsReady(Box::new(fixture_scan())));
    assert!(a.scan().is_some());
    assert!(
        a.status.starts_with("Inspection finished: 3 fail"),
        "{}",
        a.status
    );
}

// ---- screens -----------------------------------------------------------------------------

fn walked_app() -> App {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    press(&mut a, key('1'));
    press(&mut a, key('n'));
    press(&mut a, key('2'));
    press(&mut a, key('e'));
    type_text(&mut a, "VNC server left by vendor; removal booked");
    press_code(&mut a, KeyCode::Esc);
    press(&mut a, key('n'));
    a.status = "ICS-03 selected.".into();
    a
}

#[test]
fn snapshots_every_screen_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = walked_app();
        for screen in Screen::ALL {
            a.update(Action::GoTo(screen));
            insta::assert_snapshot!(
                format!("{}_{w}x{h}", screen.title().to_lowercase()),
                draw(&a, w, h)
            );
        }
    }
}

#[test]
fn snapshot_note_editor_and_help() {
    let mut a = walked_app();
    press(&mut a, key('e'));
    type_text(&mut a, "Checked with vendor engineer");
    insta::assert_snapshot!("controls_editing_80x24", draw(&a, 80, 24));
    press_code(&mut a, KeyCode::Esc);
    press(&mut a, key('?'));
    insta::assert_snapshot!("help_80x24", draw(&a, 80, 24));
}

#[test]
fn snapshot_while_inspecting_and_too_small() {
    let mut a = app();
    a.update(Action::InspectionProgress(Area::Network));
    insta::assert_snapshot!("overview_inspecting_80x24", draw(&a, 80, 24));
    insta::assert_snapshot!("too_small_50x12", draw(&a, 50, 12));
}

#[test]
fn nothing_is_drawn_past_the_edges_at_minimum_size() {
    let mut a = walked_app();
    for screen in Screen::ALL {
        a.update(Action::GoTo(screen));
        let text = draw(&a, 60, 16);
        assert!(!text.contains("too small"), "{text}");
    }
}

#[test]
fn findings_screen_with_two_thousand_rows_draws_only_what_fits() {
    let mut a = ready_app();
    a.tables.push(FactTable {
        title: "Big",
        columns: vec!["name", "port"],
        rows: (0..2000)
            .map(|i| vec![format!("svc{i:04}"), (i % 65535).to_string()])
            .collect(),
        unseen: None,
        status: Vec::new(),
    });
    a.update(Action::GoTo(Screen::Findings));
    a.table_index = a.tables.len() - 1;
    for _ in 0..1500 {
        press(&mut a, key('j'));
    }
    let text = draw(&a, 80, 24);
    assert!(text.contains("svc1500"), "{text}");
    assert!(text.contains("2000 of 2000 rows"));
}

#[test]
fn sign_off_asks_operator_then_passphrase_then_hands_over_a_request() {
    use stationward::tui::action::SignedRecord;
    use stationward::tui::app::Signing;
    let mut a = app();
    a.operators = vec!["alice".into(), "bob".into()];
    a.update(Action::GoTo(Screen::SignOff));
    press_code(&mut a, KeyCode::Enter);
    assert!(a.status.contains("Wait for the inspection"), "{}", a.status);
    a.update(Action::FindingsReady(Box::new(fixture_scan())));
    press_code(&mut a, KeyCode::Enter);
    // The review comes first; y goes on to the operator.
    assert_eq!(a.confirm, Some(Confirm::Sign));
    assert_eq!(a.focus, Focus::Keys);
    press(&mut a, key('y'));
    assert!(
        matches!(&a.focus, Focus::Operator(f) if f.text() == "alice"),
        "first key's operator suggested"
    );
    press(
        &mut a,
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
    );
    type_text(&mut a, "mallory");
    press_code(&mut a, KeyCode::Enter);
    assert!(
        a.status.contains("No usable key for \"mallory\""),
        "{}",
        a.status
    );
    press(
        &mut a,
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
    );
    type_text(&mut a, "bob");
    press_code(&mut a, KeyCode::Enter);
    assert!(matches!(a.focus, Focus::Passphrase(_)));
    type_text(&mut a, "s3cret q");
    let screen = draw(&a, 80, 24);
    assert!(
        screen.contains("Passphrase: ••••••••") && !screen.contains("s3cret"),
        "{screen}"
    );
    press_code(&mut a, KeyCode::Enter);
    let request = a.sign_request.take().expect("a sign request");
    assert_eq!(
        (request.operator.as_str(), request.passphrase.as_str()),
        ("bob", "s3cret q")
    );
    assert_eq!(a.signing, Signing::InProgress);

    a.update(Action::Signed(Ok(SignedRecord {
        record: "/data/ledger/000004.dsse.json".into(),
        seq: 4,
        sha256: "ab".repeat(32),
        keyid: "SHA256:xyz".into(),
    })));
    assert_eq!(
        a.walkthrough.stage,
        stationward::walkthrough::Stage::Signed { seq: 4 }
    );
    assert!(a.dirty);
    let screen = draw(&a, 80, 24);
    assert!(
        screen.contains("000004.dsse.json") && screen.contains("Ledger head: 4"),
        "{screen}"
    );
    a.update(Action::GoTo(Screen::Controls));
    press(&mut a, key('2'));
    assert!(
        a.status.contains("signed"),
        "a signed walkthrough no longer changes: {}",
        a.status
    );
}

#[test]
fn a_failed_signature_is_reported_and_nothing_is_marked_signed() {
    let mut a = ready_app();
    a.update(Action::Signed(Err(
        "wrong passphrase for /data/keys/bob".into()
    )));
    assert_eq!(
        a.walkthrough.stage,
        stationward::walkthrough::Stage::InProgress
    );
    assert!(a.status.starts_with("NOT signed: wrong passphrase"));
}

#[test]
fn x_on_sign_off_asks_the_event_loop_to_export() {
    let mut a = ready_app();
    press(&mut a, key('x'));
    assert!(!a.export_request, "only on the Sign-off screen");
    a.update(Action::GoTo(Screen::SignOff));
    press(&mut a, key('x'));
    assert!(a.export_request);
    a.update(Action::Exported(Ok(vec![
        "/d/summaries/h-draft.html".into(),
        "/d/summaries/h-draft.txt".into(),
    ])));
    assert_eq!(
        a.status,
        "Summary written: /d/summaries/h-draft.html and /d/summaries/h-draft.txt"
    );
}

// ---- issue 12: the rule, modal input, help, Esc/q, sign-off, findings, text width ---------

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// The justification rule as the model states it: nothing PASSED over a failing or unknown
/// check with an empty note.
fn assert_rule_holds(a: &App) {
    let broken = a.walkthrough.unjustified(&a.checklist, a.findings());
    assert!(broken.is_empty(), "rule broken: {broken:?}");
}

#[test]
fn clearing_the_justification_withdraws_passed_and_signing_refuses_it() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    a.selected = 2; // ICS-03: firewall.default_deny_inbound fails
    press(&mut a, key('1'));
    type_text(&mut a, "ok");
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::Passed);
    // The bug: e, Backspace until empty, Esc left PASSED with an empty note.
    press(&mut a, key('e'));
    press_code(&mut a, KeyCode::Backspace);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::Passed);
    press_code(&mut a, KeyCode::Backspace);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    assert!(a.status.contains("PASSED is withdrawn"), "{}", a.status);
    assert!(a.dirty, "the reverted verdict is saved");
    assert_rule_holds(&a);
    // Writing a justification again in the same editor and leaving records PASSED again.
    type_text(&mut a, "checked upstream");
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::Passed);
    // Clearing it and leaving with nothing written leaves it NOT_ASSESSED.
    press(&mut a, key('e'));
    press(&mut a, ctrl('u'));
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    press_code(&mut a, KeyCode::Esc);
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    assert!(
        a.status.contains("justification note is required"),
        "{}",
        a.status
    );
    assert_rule_holds(&a);
    press(&mut a, key('e'));
    type_text(&mut a, "checked upstream");
    press_code(&mut a, KeyCode::Esc);
    press(&mut a, key('1'));
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::Passed);

    // A state that breaks the rule anyway (a hand-edited walkthrough file) is refused at
    // signing, naming the control.
    a.walkthrough.controls[2].note.clear();
    a.operators = vec!["bob".into()];
    a.update(Action::GoTo(Screen::SignOff));
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.confirm, None);
    assert_eq!(a.focus, Focus::Keys);
    assert!(
        a.status.contains("not signed") && a.status.contains("ICS-03"),
        "{}",
        a.status
    );
}

#[test]
fn passed_over_an_unknown_check_needs_a_justification() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    a.selected = 6; // ICS-07: accounts.lockout is unknown
    press(&mut a, key('1'));
    assert_eq!(a.walkthrough.controls[6].verdict, Verdict::NotAssessed);
    assert!(matches!(a.focus, Focus::Note(_)));
    assert!(a.status.contains("accounts.lockout"), "{}", a.status);
}

#[test]
fn a_resumed_passed_whose_checks_now_fail_goes_back_to_not_assessed() {
    let mut a = app();
    a.update(Action::GoTo(Screen::Controls));
    a.selected = 2;
    // Before the inspection PASSED is refused for a control with checks; a walkthrough
    // resumed from an earlier run can hold one.
    let list = a.checklist.clone();
    a.walkthrough
        .set_verdict(&list, "ICS-03", Verdict::Passed, &[])
        .unwrap();
    a.update(Action::FindingsReady(Box::new(fixture_scan())));
    assert_eq!(a.walkthrough.controls[2].verdict, Verdict::NotAssessed);
    assert!(a.status.contains("ICS-03"), "{}", a.status);
    assert_rule_holds(&a);
}

#[test]
fn help_owns_every_key_until_it_closes() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    press(&mut a, key('?'));
    assert!(a.help);
    let before = a.walkthrough.clone();
    for c in ['1', '2', '3', '4', '0', 'e', '/', 'n', 'p', 's'] {
        press(&mut a, key(c));
    }
    press_code(&mut a, KeyCode::Tab);
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.walkthrough, before, "no verdict or note changed");
    assert_eq!(a.focus, Focus::Keys, "no editor or filter opened");
    assert_eq!((a.screen, a.selected), (Screen::Controls, 0));
    assert!(a.help);
    // Scrolling keys scroll the help, not the hidden screen.
    press_code(&mut a, KeyCode::PageDown);
    press(&mut a, key('j'));
    assert_eq!(a.detail_scroll, 0);
    assert!(a.help_scroll > 0);
    press_code(&mut a, KeyCode::Esc);
    assert!(!a.help);
    assert_eq!(a.screen, Screen::Controls);

    // On the Overview, PgDn/j with help open scrolled the Controls detail.
    let mut b = ready_app();
    press(&mut b, key('?'));
    press_code(&mut b, KeyCode::PageDown);
    press(&mut b, key('j'));
    press(&mut b, key('?'));
    assert!(!b.help);
    press_code(&mut b, KeyCode::PageDown);
    assert_eq!(b.detail_scroll, 0, "PgDn on the Overview scrolls nothing");
}

#[test]
fn pasted_text_is_never_read_as_keys() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    let before = a.walkthrough.clone();
    a.update(Action::Paste("see ticket 4n2 e".into()));
    assert_eq!(a.walkthrough, before);
    assert_eq!(a.focus, Focus::Keys);
    assert_eq!(a.selected, 0);
    assert!(a.status.contains("Paste ignored"), "{}", a.status);
    // Into the focused field it is text.
    press(&mut a, key('e'));
    a.update(Action::Paste("see ticket 4n2 e\nline 2".into()));
    assert_eq!(a.walkthrough.controls[0].note, "see ticket 4n2 e\nline 2");
    assert_eq!(a.walkthrough.controls[0].verdict, Verdict::NotAssessed);
    press_code(&mut a, KeyCode::Esc);
    press(&mut a, key('/'));
    a.update(Action::Paste("firewall\n".into()));
    assert_eq!(a.controls_filter, "firewall");
    assert!(matches!(a.focus, Focus::Filter(_)), "a paste never submits");
}

fn help_text_at(w: u16, h: u16) -> String {
    let mut a = walked_app();
    a.size = (w, h);
    press(&mut a, key('?'));
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&draw(&a, w, h));
        press_code(&mut a, KeyCode::PageDown);
    }
    seen
}

#[test]
fn help_scrolls_and_reaches_every_binding_at_80x24_and_60x16() {
    let table = stationward::tui::keymap::table();
    for (w, h) in [(80, 24), (60, 16)] {
        let seen = help_text_at(w, h);
        for b in &table {
            assert!(
                seen.contains(b.label) && seen.contains(b.help),
                "{w}x{h}: `{}` {} never shown",
                b.label,
                b.help
            );
        }
    }
    let mut a = walked_app();
    a.size = (60, 16);
    press(&mut a, key('?'));
    insta::assert_snapshot!("help_60x16", draw(&a, 60, 16));
    press_code(&mut a, KeyCode::End);
    insta::assert_snapshot!("help_60x16_end", draw(&a, 60, 16));
    let mut a = walked_app();
    press(&mut a, key('?'));
    press_code(&mut a, KeyCode::End);
    insta::assert_snapshot!("help_80x24_end", draw(&a, 80, 24));
}

fn footer_of(a: &App) -> String {
    let screen = draw(a, 80, 24);
    screen.lines().last().unwrap_or_default().to_string()
}

#[test]
fn footer_hints_follow_what_is_enabled() {
    let mut a = ready_app();
    assert!(
        !footer_of(&a).contains("filter"),
        "nothing to filter on the Overview"
    );
    a.update(Action::GoTo(Screen::SignOff));
    assert!(!footer_of(&a).contains("sign"), "no key yet: no `sign`");
    a.operators = vec!["bob".into()];
    assert!(footer_of(&a).contains("Enter sign"), "{}", footer_of(&a));
    a.update(Action::Signed(Ok(stationward::tui::action::SignedRecord {
        record: "/d/ledger/000001.dsse.json".into(),
        seq: 1,
        sha256: "cd".repeat(32),
        keyid: "SHA256:abc".into(),
    })));
    let f = footer_of(&a);
    assert!(!f.contains("Enter sign") && !f.contains("new key"), "{f}");
    // Signed: a second person can countersign it.
    assert!(f.contains("c countersign"), "{f}");
    a.update(Action::GoTo(Screen::Controls));
    let f = footer_of(&a);
    assert!(
        !f.contains("pass") && !f.contains("note") && !f.contains("attach"),
        "{f}"
    );
}

#[test]
fn esc_closes_the_innermost_thing_and_never_quits() {
    let mut a = ready_app();
    for screen in Screen::ALL {
        a.update(Action::GoTo(screen));
        press_code(&mut a, KeyCode::Esc);
        press_code(&mut a, KeyCode::Esc);
        assert!(!a.quit, "Esc quit from {screen:?}");
    }
    a.update(Action::GoTo(Screen::Findings));
    press(&mut a, key('/'));
    type_text(&mut a, "fail");
    press_code(&mut a, KeyCode::Enter);
    press_code(&mut a, KeyCode::Enter);
    assert!(a.pane.is_some());
    press(&mut a, key('?'));
    press_code(&mut a, KeyCode::Esc);
    assert!(!a.help && a.pane.is_some(), "help closes first");
    press_code(&mut a, KeyCode::Esc);
    assert!(a.pane.is_none() && a.findings_filter == "fail");
    press_code(&mut a, KeyCode::Esc);
    assert!(a.findings_filter.is_empty(), "then the filter");
    assert_eq!(a.screen, Screen::Findings);
    assert!(!a.quit);
}

#[test]
fn a_signed_walkthrough_quits_from_the_overview_without_asking() {
    let mut a = ready_app();
    a.walkthrough.stage = stationward::walkthrough::Stage::Signed { seq: 3 };
    press(&mut a, key('q'));
    assert!(a.quit);
}

#[test]
fn sign_off_reviews_open_unknown_and_justified_controls_before_the_passphrase() {
    let mut a = walked_app();
    a.selected = 2;
    press(&mut a, key('1'));
    type_text(
        &mut a,
        "Upstream vendor firewall;\nticket 4411 confirms the rules",
    );
    press_code(&mut a, KeyCode::Esc);
    a.operators = vec!["bob".into()];
    a.update(Action::GoTo(Screen::SignOff));
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.confirm, Some(Confirm::Sign));
    let screen = draw(&a, 120, 40);
    for want in [
        "12 of 15 controls are open",
        "ICS-04",
        "accounts.lockout",
        "ICS-03",
        "Upstream vendor firewall;",
        "ticket 4411 confirms the rules",
        "y goes on",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    insta::assert_snapshot!("sign_review_80x24", draw(&a, 80, 24));
    // The review owns the keys: a verdict key does nothing; n goes back.
    press(&mut a, key('2'));
    press(&mut a, key('n'));
    assert_eq!(a.confirm, None);
    assert_eq!(a.focus, Focus::Keys);
    assert!(a.sign_request.is_none());
}

#[test]
fn without_a_usable_key_signing_offers_key_generation_not_a_passphrase() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::SignOff));
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.confirm, None);
    assert_eq!(a.focus, Focus::Keys, "no passphrase prompt without a key");
    assert!(a.status.contains("press k"), "{}", a.status);
    press(&mut a, key('k'));
    assert!(matches!(a.focus, Focus::NewOperator(_)));
    type_text(&mut a, "bad id!");
    press_code(&mut a, KeyCode::Enter);
    assert!(matches!(a.focus, Focus::NewOperator(_)), "{}", a.status);
    for _ in 0..7 {
        press_code(&mut a, KeyCode::Backspace);
    }
    type_text(&mut a, "alice");
    press_code(&mut a, KeyCode::Enter);
    assert!(
        matches!(a.focus, Focus::NewPassphrase { .. }),
        "{}",
        a.status
    );
    type_text(&mut a, "short");
    press_code(&mut a, KeyCode::Enter);
    assert!(a.status.contains("at least 8"), "{}", a.status);
    for _ in 0..5 {
        press_code(&mut a, KeyCode::Backspace);
    }
    type_text(&mut a, "correct horse");
    press_code(&mut a, KeyCode::Enter);
    assert!(matches!(a.focus, Focus::RepeatPassphrase { .. }));
    let screen = draw(&a, 80, 24);
    assert!(!screen.contains("correct horse"), "{screen}");
    type_text(&mut a, "correct hose");
    press_code(&mut a, KeyCode::Enter);
    assert!(a.status.contains("differ"), "{}", a.status);
    type_text(&mut a, "correct horse");
    press_code(&mut a, KeyCode::Enter);
    type_text(&mut a, "correct horse");
    press_code(&mut a, KeyCode::Enter);
    let request = a.key_request.take().expect("a key request");
    assert_eq!(
        (request.operator.as_str(), request.passphrase.as_str()),
        ("alice", "correct horse")
    );
    a.update(Action::KeyGenerated(Ok((
        "alice".into(),
        "SHA256:k".into(),
    ))));
    assert_eq!(a.operators, ["alice"]);
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.confirm, Some(Confirm::Sign), "now signing can go on");
}

#[test]
fn after_signing_every_screen_is_read_only_and_shows_the_record() {
    let mut a = walked_app();
    a.update(Action::Signed(Ok(stationward::tui::action::SignedRecord {
        record: "/data/ledger/000007.dsse.json".into(),
        seq: 7,
        sha256: "ef".repeat(32),
        keyid: "SHA256:fingerprint".into(),
    })));
    a.update(Action::GoTo(Screen::SignOff));
    let screen = draw(&a, 120, 40);
    for want in [
        "000007.dsse.json",
        "Ledger head: 7",
        "Key fingerprint: SHA256:fingerprint",
        "read-only",
        "SIGNED",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    a.update(Action::GoTo(Screen::Overview));
    assert!(draw(&a, 80, 24).contains("SIGNED (record 7), read-only"));
    a.update(Action::GoTo(Screen::Controls));
    assert!(draw(&a, 80, 24).contains("Signed: read-only"));
    let before = a.walkthrough.clone();
    for c in ['1', '2', 'e', 'x'] {
        press(&mut a, key(c));
    }
    assert_eq!(a.walkthrough, before);
    assert_eq!(a.focus, Focus::Keys);
}

#[test]
fn findings_status_sort_uses_the_one_order_with_an_arrow() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Findings));
    press(&mut a, key('o'));
    assert_eq!(a.sort_column, Some(0));
    let view = a.table_view();
    let statuses: Vec<&str> = view
        .iter()
        .map(|&i| a.tables[0].rows[i][0].as_str())
        .collect();
    let mut order: Vec<&str> = statuses.clone();
    order.dedup();
    assert_eq!(order, ["✘ FAIL", "! WARN", "? UNKNOWN", "✔ PASS", "– N/A"]);
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("status↑"), "{screen}");
    press(&mut a, key('r'));
    assert!(draw(&a, 80, 24).contains("status↓"));
}

#[test]
fn long_tables_page_and_jump_to_the_ends() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Findings));
    press_code(&mut a, KeyCode::PageDown);
    assert_eq!(a.table_row, 16, "a page is what fits at 80x24");
    press(
        &mut a,
        KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
    );
    assert_eq!(a.table_row, REGISTRY.len() - 1);
    press(&mut a, key('g'));
    assert_eq!(a.table_row, 0);
    press_code(&mut a, KeyCode::End);
    press_code(&mut a, KeyCode::PageUp);
    assert_eq!(a.table_row, REGISTRY.len() - 17);
    press_code(&mut a, KeyCode::Home);
    assert_eq!(a.table_row, 0);
}

#[test]
fn enter_opens_the_finding_with_full_evidence_and_y_copies_it() {
    use stationward::host::Evidence;
    let mut scan = fixture_scan();
    let f = scan
        .findings
        .iter_mut()
        .find(|f| f.check == "network.risky_ports")
        .unwrap();
    f.evidence = vec![Evidence::Command {
        argv: vec!["ss".into(), "-H".into(), "-ltnup".into()],
        exit: Some(0),
        stdout_sha256: "ab".repeat(32),
        note: None,
    }];
    f.details = (0..30).map(|i| format!("port {i} detail")).collect();
    let mut a = app();
    a.update(Action::FindingsReady(Box::new(scan)));
    a.update(Action::GoTo(Screen::Findings));
    press_code(&mut a, KeyCode::Enter);
    let pane = a.pane.clone().expect("a finding opened");
    assert_eq!(pane.check, "network.risky_ports");
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("VNC 5900/tcp"), "{screen}");
    // The pane scrolls to the evidence at the end.
    press_code(&mut a, KeyCode::End);
    let screen = draw(&a, 80, 24);
    assert!(
        screen.contains("ss -H -ltnup") && screen.contains(&"ab".repeat(32)),
        "{screen}"
    );
    // Keys in the pane stay in the pane.
    press(&mut a, key('o'));
    assert_eq!(a.sort_column, None);
    press(&mut a, key('y'));
    let copied = a.copy_request.take().expect("text to copy");
    assert!(copied.starts_with("✘ FAIL network.risky_ports\nVNC 5900/tcp"));
    assert!(copied.contains("port 29 detail") && copied.contains("ss -H -ltnup"));
    a.update(Action::Copied(Ok("Copied.".into())));
    assert_eq!(a.status, "Copied.");
    press_code(&mut a, KeyCode::Esc);
    assert!(a.pane.is_none());
    // y on the table copies the selected check too.
    press(&mut a, key('y'));
    assert!(a.copy_request.is_some());
}

#[test]
fn mouse_clicks_select_and_the_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mouse = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut a = ready_app();
    // Click the Controls tab in the header.
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 14, 0));
    assert_eq!(a.screen, Screen::Controls);
    // Row 2 is the list's first control; row 6 the fifth.
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 5, 6));
    assert_eq!(a.selected, 4);
    a.update(mouse(MouseEventKind::ScrollDown, 10, 10));
    assert_eq!(a.selected, 5);
    a.update(mouse(MouseEventKind::ScrollUp, 10, 10));
    assert_eq!(a.selected, 4);
    // Over the detail the wheel scrolls the detail.
    a.update(mouse(MouseEventKind::ScrollDown, 40, 10));
    assert_eq!((a.selected, a.detail_scroll), (4, 3));
    // With the note editor open neither the wheel nor a click moves the selection.
    press(&mut a, key('e'));
    a.update(mouse(MouseEventKind::ScrollDown, 10, 10));
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 5, 2));
    assert_eq!(a.selected, 4);
    type_text(&mut a, "x");
    assert_eq!(a.walkthrough.controls[4].note, "x");
    press_code(&mut a, KeyCode::Esc);
    // Overlays keep the mouse too: a click under the help selects nothing.
    press(&mut a, key('?'));
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 5, 3));
    assert_eq!(a.selected, 4);
    press(&mut a, key('?'));
    a.update(Action::GoTo(Screen::Findings));
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 10, 8));
    assert_eq!(a.table_row, 3);
}

#[test]
fn cjk_and_emoji_wrap_by_display_width_at_80_columns() {
    let note = "監視装置の設定を確認しました。ファイアウォールは上流にあります 🔥🏥 ticket 4411 "
        .repeat(3);
    let mut a = walked_app();
    a.selected = 13; // ICS-14: manual only
    press(&mut a, key('e'));
    a.update(Action::Paste(note.clone()));
    press_code(&mut a, KeyCode::Esc);
    press(&mut a, key('1'));
    let screen = draw(&a, 80, 24);
    for line in screen.lines() {
        // TestBackend lines: "cells" then, for wide characters, a note on hidden cells.
        let inner = line.split("\" Hidden by").next().unwrap_or(line);
        let inner = inner.trim_matches('"');
        assert!(
            stationward::text::width(inner) <= 80,
            "{} cells: {inner}",
            stationward::text::width(inner)
        );
    }
    // Nothing clipped at the border: every 🔥 of the note is drawn.
    let want = note.matches('🔥').count();
    assert_eq!(screen.matches('🔥').count(), want, "{screen}");
    assert_eq!(screen.matches('監').count(), 3, "{screen}");
    // And the 80-column text layout keeps to 80 cells too.
    for l in stationward::text::wrap(&note, 80, "  ") {
        assert!(stationward::text::width(&l) <= 80, "{l}");
    }
}

mod rule_property {
    use super::*;
    use proptest::prelude::*;

    /// Keys and events a technician (or a cat on the keyboard) can produce.
    fn event() -> impl Strategy<Value = Action> {
        let keys = prop_oneof![
            Just(KeyCode::Char('1')),
            Just(KeyCode::Char('2')),
            Just(KeyCode::Char('0')),
            Just(KeyCode::Char('e')),
            Just(KeyCode::Char('n')),
            Just(KeyCode::Char('p')),
            Just(KeyCode::Char('x')),
            Just(KeyCode::Char('?')),
            Just(KeyCode::Char('q')),
            Just(KeyCode::Char('y')),
            Just(KeyCode::Char('/')),
            Just(KeyCode::Backspace),
            Just(KeyCode::Delete),
            Just(KeyCode::Esc),
            Just(KeyCode::Enter),
            Just(KeyCode::Tab),
            Just(KeyCode::Down),
        ];
        prop_oneof![
            16 => keys.prop_map(|c| Action::Key(KeyEvent::new(c, KeyModifiers::NONE))),
            2 => Just(Action::Key(ctrl('u'))),
            2 => "[a 1e\n]{0,6}".prop_map(Action::Paste),
            2 => Just(Action::GoTo(Screen::Controls)),
            // A new inspection (as on resume) where a check flips to fail or unknown.
            1 => (0usize..36, prop_oneof![Just(Status::Fail), Just(Status::Unknown), Just(Status::Pass)])
                .prop_map(|(i, status)| {
                    let mut scan = fixture_scan();
                    if let Some(f) = scan.findings.get_mut(i) {
                        f.status = status;
                    }
                    Action::FindingsReady(Box::new(scan))
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn no_reachable_state_breaks_the_justification_rule(
            start in 0usize..15,
            events in proptest::collection::vec(event(), 1..120),
        ) {
            let mut a = ready_app();
            a.update(Action::GoTo(Screen::Controls));
            a.selected = start;
            for e in events {
                a.update(e);
                if a.quit {
                    break;
                }
                let broken = a.walkthrough.unjustified(&a.checklist, a.findings());
                prop_assert!(broken.is_empty(), "rule broken: {:?}", broken);
            }
        }
    }
}

#[test]
fn clearing_a_note_after_a_new_inspection_fails_its_check_withdraws_passed() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    a.selected = 5; // ICS-06: its checks pass in the fixture
    press(&mut a, key('1'));
    assert_eq!(a.walkthrough.controls[5].verdict, Verdict::Passed);
    press(&mut a, key('e'));
    type_text(&mut a, "1");
    // A new inspection: accounts.uid0_only_root fails now; the note justifies PASSED.
    let mut scan = fixture_scan();
    scan.findings
        .iter_mut()
        .find(|f| f.check == "accounts.uid0_only_root")
        .unwrap()
        .status = Status::Fail;
    a.update(Action::FindingsReady(Box::new(scan)));
    assert_eq!(a.walkthrough.controls[5].verdict, Verdict::Passed);
    press(&mut a, ctrl('u'));
    assert_eq!(a.walkthrough.controls[5].verdict, Verdict::NotAssessed);
    assert!(a.status.contains("accounts.uid0_only_root"), "{}", a.status);
    assert_rule_holds(&a);
}

#[test]
fn a_long_sign_off_review_scrolls_and_the_prompt_stays_in_view() {
    let mut scan = fixture_scan();
    for f in &mut scan.findings {
        f.status = Status::Fail;
    }
    let mut a = app();
    a.update(Action::FindingsReady(Box::new(scan)));
    let list = a.checklist.clone();
    let findings = a.findings().to_vec();
    for c in &list.controls {
        a.walkthrough
            .set_note(
                &c.id,
                &format!("{} checked by hand\nline two\nline three", c.id),
            )
            .unwrap();
        a.walkthrough
            .set_verdict(&list, &c.id, Verdict::Passed, &findings)
            .unwrap();
    }
    a.operators = vec!["bob".into()];
    a.update(Action::GoTo(Screen::SignOff));
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("PgDn for more"), "{screen}");
    assert!(!screen.contains("ICS-15 checked by hand"), "{screen}");
    press(
        &mut a,
        KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
    );
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("ICS-15 checked by hand"), "{screen}");
    press_code(&mut a, KeyCode::Enter);
    press(&mut a, key('y'));
    assert!(matches!(a.focus, Focus::Operator(_)));
    let screen = draw(&a, 80, 24);
    assert!(screen.contains("Operator:   bob"), "{screen}");
}

#[test]
fn a_asks_for_a_path_the_library_attaches_d_removes_and_signed_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("port locks.png");
    std::fs::write(&file, b"\x89PNG\r\n\x1a\n invented").unwrap();
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Controls));
    let id = a.checklist.controls[a.selected].id.clone();
    press(&mut a, key('a'));
    assert!(matches!(a.focus, Focus::AttachPath(_)));
    // Every key is text in the prompt (no verdict is set by a digit in a path).
    type_text(&mut a, &format!("'{}'", file.display()));
    press_code(&mut a, KeyCode::Enter);
    assert_eq!(a.focus, Focus::Keys);
    let request = a.attach_request.take().expect("an attach request");
    assert_eq!(
        (request.control.as_str(), request.path.as_path()),
        (id.as_str(), file.as_path())
    );
    assert_eq!(
        a.walkthrough.control(&id).unwrap().verdict,
        Verdict::NotAssessed
    );

    // What the event loop does with it: the library reads, stores and records.
    let data = tmp.path().join("data");
    let attached = stationward::attest::attachments::attach(
        &data,
        &mut a.walkthrough,
        &request.control,
        &request.path,
    )
    .unwrap();
    a.update(Action::Attached(Ok("attached".into())));
    assert!(a.dirty);
    assert!(
        data.join("evidence/sha256")
            .join(&attached.sha256)
            .is_file()
    );
    let screen = draw(&a, 120, 40);
    assert!(
        screen.contains("Attachments (a attaches another, d removes one):")
            && screen.contains("1. port locks.png · image/png"),
        "{screen}"
    );

    // d: the only attachment is suggested; Enter removes it.
    press(&mut a, key('d'));
    assert!(matches!(&a.focus, Focus::DetachNumber(f) if f.text() == "1"));
    press_code(&mut a, KeyCode::Enter);
    assert!(a.walkthrough.control(&id).unwrap().attachments.is_empty());
    assert!(
        a.status.contains("removed attachment 1 (port locks.png)"),
        "{}",
        a.status
    );
    press(&mut a, key('d'));
    assert_eq!(a.focus, Focus::Keys, "nothing to remove");

    // Signed: neither attaching nor removing.
    a.walkthrough.stage = stationward::walkthrough::Stage::Signed { seq: 1 };
    press(&mut a, key('a'));
    assert_eq!(a.focus, Focus::Keys);
    assert!(a.attach_request.is_none());
}

#[test]
fn c_on_a_signed_walkthrough_asks_reviewer_note_and_passphrase_then_hands_over() {
    use stationward::attest::statement::CountersignVerdict;
    let mut a = ready_app();
    a.operators = vec!["alice".into(), "bob".into()];
    a.update(Action::GoTo(Screen::SignOff));
    press(&mut a, key('c'));
    assert_eq!(
        a.focus,
        Focus::Keys,
        "not signed yet: nothing to countersign"
    );
    a.walkthrough.stage = stationward::walkthrough::Stage::Signed { seq: 3 };
    press(&mut a, key('c'));
    assert!(matches!(a.focus, Focus::CountersignOperator(_)));
    type_text(&mut a, "bob");
    press_code(&mut a, KeyCode::Enter);
    assert!(matches!(a.focus, Focus::CountersignNote { .. }));
    // Ctrl-R with no reason is refused; with one it rejects.
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    press(&mut a, ctrl_r);
    assert!(a.status.contains("needs a reason"), "{}", a.status);
    type_text(&mut a, "ICS-03 open without a waiver");
    press(&mut a, ctrl_r);
    assert!(matches!(
        &a.focus,
        Focus::CountersignPassphrase {
            verdict: CountersignVerdict::Rejected,
            ..
        }
    ));
    type_text(&mut a, "pw 123");
    let screen = draw(&a, 80, 24);
    assert!(
        screen.contains("Countersign: REJECTED") && !screen.contains("pw 123"),
        "{screen}"
    );
    press_code(&mut a, KeyCode::Enter);
    let r = a.countersign_request.take().expect("a countersign request");
    assert_eq!(
        (
            r.seq,
            r.operator.as_str(),
            r.verdict,
            r.note.as_str(),
            r.passphrase.as_str()
        ),
        (
            3,
            "bob",
            CountersignVerdict::Rejected,
            "ICS-03 open without a waiver",
            "pw 123"
        )
    );
    a.update(Action::Countersigned(Ok(
        "Countersigned: REJECTED 000003.dsse.json by bob".into(),
    )));
    assert!(draw(&a, 80, 24).contains("✔ Countersigned: REJECTED 000003.dsse.json by bob"));
}
