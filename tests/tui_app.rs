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
use stationward::tui::app::{App, Focus};
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
fn q_goes_back_then_quits_and_closes_help_first() {
    let mut a = ready_app();
    a.update(Action::GoTo(Screen::Findings));
    press(&mut a, key('?'));
    assert!(a.help);
    press(&mut a, key('q'));
    assert!(!a.help && a.screen == Screen::Findings && !a.quit);
    press(&mut a, key('q'));
    assert_eq!(a.screen, Screen::Overview);
    press_code(&mut a, KeyCode::Esc);
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
    press_code(&mut a, KeyCode::Enter);
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
    assert!(a.status.contains("No key for \"mallory\""), "{}", a.status);
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
