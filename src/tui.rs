//! The interactive walkthrough. A reader thread turns terminal events into actions, a worker
//! inspects the host and reports with actions; `App::update` applies them one at a time and
//! the walkthrough is saved before the next event is read.

pub mod action;
pub mod app;
pub mod editor;
pub mod keymap;
pub mod tables;
pub mod theme;
pub mod ui;

use crate::checklist::Checklist;
use crate::checks::Area;
use crate::policy::Policy;
use crate::session::{OpenHost, SessionError, Target};
use crate::walkthrough::HostKey;
use crate::walkthrough::store::{Store, StoreError};
use action::Action;
use app::App;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

pub struct TuiOptions {
    /// This host, an offline tree, or a Windows snapshot.
    pub target: Target,
    pub policy: Policy,
    pub checklist: Checklist,
    pub data_dir: PathBuf,
    pub fresh: bool,
    /// Mouse capture (click to select, wheel to scroll); `--no-mouse` turns it off so the
    /// terminal's own selection works.
    pub mouse: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// The target could not be opened (not a directory, a bad snapshot).
    #[error("{0}")]
    Open(#[from] SessionError),
    #[error(
        "stationward needs an interactive terminal (stdin and stdout must be a TTY); use `stationward scan` for plain output"
    )]
    NotATerminal,
}

/// What the run ended with, for the caller to print after the terminal is restored.
pub struct Outcome {
    pub walkthrough_file: PathBuf,
    pub assessed: usize,
    pub total: usize,
    /// The last save failed (and so did the retry on the way out): why, and where the
    /// unsaved walkthrough was written instead, if anywhere could take it.
    pub unsaved: Option<Unsaved>,
}

/// A walkthrough that could not be saved where it belongs.
pub struct Unsaved {
    pub reason: String,
    /// Where the walkthrough was written instead (inside the data directory), or why that
    /// failed too.
    pub rescue: Result<PathBuf, String>,
    /// When the rescue failed: the walkthrough as JSON (ASCII only, safe for a terminal), for
    /// the front end to print so the work is not lost with the process.
    pub json: Option<String>,
}

pub fn run(opts: TuiOptions) -> Result<Outcome, TuiError> {
    use std::io::IsTerminal;
    // The target is opened before anything else: a bad `--root` or snapshot never starts a
    // walkthrough, and its error names the file even without a terminal.
    let host = opts.target.open()?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    // Identity is a few small reads: enough to find the walkthrough to resume before the
    // first frame, while the full inspection runs behind it.
    let identity = host.identity();
    let root = opts.target.name();
    let store = Store::new(&opts.data_dir);
    // Operators who can sign here: a private key in the data directory.
    let operators = operators_with_keys(&opts.data_dir);
    let opened = store.open(&opts.checklist, HostKey::of(&identity, root), opts.fresh)?;
    // One writer per walkthrough: a second TUI on the same one is refused, naming the first.
    let _lock = store.lock(&opened.path)?;
    let path = opened.path.clone();
    let areas = Area::ALL.to_vec();
    let mut app = App::new(
        opts.checklist,
        opts.policy.clone(),
        opened.walkthrough,
        areas.clone(),
    );
    app.operators = operators;
    app.notice = if opened.notices.is_empty() {
        "New walkthrough started.".to_string()
    } else {
        opened.notices.join(" ")
    };
    app.status = app.notice.clone();

    let (tx, rx) = mpsc::channel::<Action>();
    spawn_inspection(host, opts.policy, areas, tx.clone());
    let terminate = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    let signals = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP];
    #[cfg(not(unix))]
    let signals = [signal_hook::consts::SIGTERM];
    for sig in signals {
        signal_hook::flag::register(sig, Arc::clone(&terminate))?;
    }
    spawn_input(tx.clone(), Arc::clone(&terminate));
    let signer = SignContext {
        data_dir: opts.data_dir.clone(),
        tx,
    };

    let theme = theme::Theme::from_env();
    // ratatui::init restores the terminal on panic as well.
    let mut terminal = ratatui::try_init()?;
    // A paste arrives as one event, never as keys; the mouse only when wanted.
    if let Err(e) = enable_input_modes(opts.mouse) {
        ratatui::restore();
        return Err(e.into());
    }
    // Page sizes and mouse hit-testing follow the real size from the first key on.
    if let Ok(size) = terminal.size() {
        app.update(Action::Resize(size.width, size.height));
    }
    let mut session = Session {
        store,
        path,
        signer,
        terminate,
    };
    let result = event_loop(&mut terminal, &mut app, &theme, &rx, &mut session);
    disable_input_modes(opts.mouse);
    ratatui::restore();
    // Commands of an inspection still running end with the walkthrough, not after it.
    crate::host::kill_running_commands();
    let unsaved = finish_saving(&mut app, &session.store, &mut session.path);
    result?;
    Ok(Outcome {
        walkthrough_file: session.path,
        assessed: app.walkthrough.assessed(),
        total: app.walkthrough.controls.len(),
        unsaved,
    })
}

fn enable_input_modes(mouse: bool) -> std::io::Result<()> {
    use ratatui::crossterm::{event::EnableBracketedPaste, event::EnableMouseCapture, execute};
    execute!(std::io::stdout(), EnableBracketedPaste)?;
    if mouse {
        execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

fn disable_input_modes(mouse: bool) {
    use ratatui::crossterm::{event::DisableBracketedPaste, event::DisableMouseCapture, execute};
    // The terminal may be gone already (a dropped session): nothing to report then.
    if mouse {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
    }
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
}

/// Sends `text` to the terminal's clipboard with OSC 52. Terminals that refuse it say
/// nothing, so the text also goes to a file the message names.
fn copy_to_clipboard(data_dir: &std::path::Path, text: &str) -> Result<String, String> {
    use base64::Engine;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout();
    let sent = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|()| out.flush());
    let file = data_dir.join("copied.txt");
    let saved = std::fs::write(&file, text);
    match (sent, saved) {
        (Ok(()), Ok(())) => Ok(format!(
            "Copied (OSC 52); also saved to {}.",
            file.display()
        )),
        (Ok(()), Err(_)) => Ok("Copied (OSC 52; your terminal may refuse it).".into()),
        (Err(_), Ok(())) => Ok(format!(
            "The terminal took no copy; the text is in {}.",
            file.display()
        )),
        (Err(e), Err(_)) => Err(format!("Copy failed: {e}")),
    }
}

/// The last chance on the way out: retry the save; if it still fails, write the walkthrough
/// to a new file in the data directory (never anywhere else, never over a file) so the
/// technician's verdicts and notes survive, and say where; if not even that works, hand the
/// JSON back for the front end to print.
fn finish_saving(app: &mut App, store: &Store, path: &mut PathBuf) -> Option<Unsaved> {
    save_if_dirty(app, store, path);
    let reason = app.save_error.clone()?;
    let rescue = store.rescue(&app.walkthrough).map_err(|e| e.to_string());
    let json = match &rescue {
        Ok(_) => None,
        Err(_) => crate::walkthrough::store::ascii_json(&app.walkthrough).ok(),
    };
    Some(Unsaved {
        reason,
        rescue,
        json,
    })
}

/// What the event loop needs besides the app: where to save, how to sign, when to stop.
struct Session {
    store: Store,
    /// The walkthrough file, as last saved.
    path: PathBuf,
    signer: SignContext,
    /// Set by SIGTERM / SIGHUP.
    terminate: Arc<AtomicBool>,
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    theme: &theme::Theme,
    rx: &mpsc::Receiver<Action>,
    session: &mut Session,
) -> Result<(), TuiError> {
    let Session {
        store,
        path,
        signer,
        terminate,
    } = session;
    terminal.draw(|f| ui::render(app, theme, f))?;
    // For the start-up benchmark (benches/tui.rs): leave right after the first frame.
    if std::env::var_os("STATIONWARD_BENCH_FIRST_FRAME").is_some() {
        return Ok(());
    }
    while !app.quit {
        let action = match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(action) => action,
            // The input thread can be stuck inside the terminal library when the terminal is
            // gone (an EOF on stdin loops there), so the signal flag and the terminal itself
            // are also checked from here: a dropped SSH session must still save and exit.
            Err(mpsc::RecvTimeoutError::Timeout)
                if terminate.load(Ordering::Relaxed) || terminal_gone() =>
            {
                Action::Terminate
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // A failed save is retried while the screen is idle, not only on the next key.
                if app.dirty {
                    save_if_dirty(app, store, path);
                    terminal.draw(|f| ui::render(app, theme, f))?;
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let before = app.screen;
        app.update(action);
        // A key made in another terminal while this one runs shows up when Sign-off opens.
        if app.screen == action::Screen::SignOff && before != action::Screen::SignOff {
            app.update(Action::Operators(operators_with_keys(&signer.data_dir)));
        }
        // Drain what else arrived so a burst of keys costs one frame.
        while let Ok(more) = rx.try_recv() {
            app.update(more);
            save_if_dirty(app, store, path);
            if app.quit {
                break;
            }
        }
        save_if_dirty(app, store, path);
        if let Some(request) = app.sign_request.take() {
            signer.spawn(request, app);
        }
        if let Some(request) = app.key_request.take() {
            signer.spawn_key(request);
        }
        if let Some(request) = app.countersign_request.take() {
            signer.spawn_countersign(request);
        }
        if let Some(request) = app.attach_request.take() {
            // Read, size-checked and copied by the library (at most the per-file limit).
            let result = crate::attest::attachments::attach(
                &signer.data_dir,
                &mut app.walkthrough,
                &request.control,
                &request.path,
            )
            .map(|a| {
                format!(
                    "{}: attached {} ({}, {} bytes, sha256 {}).",
                    request.control,
                    crate::text::for_terminal(&a.name),
                    a.media_type,
                    a.size,
                    &a.sha256[..16]
                )
            })
            .map_err(|e| crate::text::for_terminal(&e.to_string()).into_owned());
            app.update(Action::Attached(result));
            save_if_dirty(app, store, path);
        }
        if let Some(text) = app.copy_request.take() {
            let result = copy_to_clipboard(&signer.data_dir, &text);
            app.update(Action::Copied(result));
        }
        if std::mem::take(&mut app.export_request) {
            let result = export_summary(&signer.data_dir, app);
            app.update(Action::Exported(result));
        }
        if !app.quit {
            terminal.draw(|f| ui::render(app, theme, f))?;
        }
    }
    Ok(())
}

/// True when our controlling terminal has been closed under us (the pty is gone).
fn terminal_gone() -> bool {
    std::fs::read_link("/proc/self/fd/0").is_ok_and(|p| p.to_string_lossy().ends_with(" (deleted)"))
}

fn save_if_dirty(app: &mut App, store: &Store, path: &mut PathBuf) {
    if !app.dirty {
        return;
    }
    match store.save(&app.walkthrough) {
        Ok(p) => {
            *path = p;
            app.dirty = false;
            if app.save_error.take().is_some() {
                app.status = "Saved again: the earlier failed save is now on disk.".into();
            }
        }
        // Keep the change in memory and say so where it cannot be missed (the status line
        // turns into a warning until a save succeeds); the loop retries.
        Err(e) => app.save_error = Some(e.to_string()),
    }
}

/// Operators who can sign here: a private key in the data directory.
fn operators_with_keys(data_dir: &std::path::Path) -> Vec<String> {
    crate::attest::KeyStore::new(data_dir)
        .list()
        .map(|keys| {
            keys.into_iter()
                .filter(|k| k.has_private_key)
                .map(|k| k.operator.to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Signs on a worker thread: opening the key (bcrypt) takes a moment and the screen stays live.
struct SignContext {
    data_dir: PathBuf,
    tx: mpsc::Sender<Action>,
}

impl SignContext {
    /// Makes an operator key with the library, as `stationward key generate` does.
    fn spawn_key(&self, request: app::KeyRequest) {
        let (data_dir, tx) = (self.data_dir.clone(), self.tx.clone());
        std::thread::spawn(move || {
            use crate::attest::{KeyStore, OperatorId, keys::DEFAULT_KDF_ROUNDS};
            let result = OperatorId::parse(&request.operator)
                .and_then(|op| {
                    KeyStore::new(&data_dir).generate(&op, &request.passphrase, DEFAULT_KDF_ROUNDS)
                })
                .map(|info| (info.operator.to_string(), info.fingerprint))
                .map_err(|e| e.to_string());
            let _ = tx.send(Action::KeyGenerated(result));
            let _ = tx.send(Action::Operators(operators_with_keys(&data_dir)));
        });
    }

    /// Countersigns on a worker thread with the library, as `stationward countersign` does.
    fn spawn_countersign(&self, request: app::CountersignRequest) {
        let (data_dir, tx) = (self.data_dir.clone(), self.tx.clone());
        std::thread::spawn(move || {
            use crate::attest::OperatorId;
            use crate::attest::ledger::{self, Countersign};
            let result = OperatorId::parse(&request.operator)
                .map_err(|e| e.to_string())
                .and_then(|op| {
                    let done = crate::session::countersign(
                        &data_dir,
                        &op,
                        &request.passphrase,
                        &Countersign {
                            seq: request.seq,
                            verdict: request.verdict,
                            note: request.note.clone(),
                        },
                    )
                    .map_err(|e| e.to_string())?;
                    Ok(format!(
                        "Countersigned: {} {} by {} ({}) in {}.",
                        request.verdict.as_str(),
                        ledger::record_file_name(request.seq),
                        op,
                        done.keyid,
                        ledger::record_file_name(done.head.seq)
                    ))
                });
            let _ = tx.send(Action::Countersigned(result));
        });
    }

    fn spawn(&self, request: app::SignRequest, app: &App) {
        let Some(scan) = app.scan().cloned() else {
            let _ = self.tx.send(Action::Signed(
                Err("the inspection has not finished".into()),
            ));
            return;
        };
        let (mut walkthrough, checklist, policy) = (
            app.walkthrough.clone(),
            app.checklist.clone(),
            app.policy.clone(),
        );
        let (data_dir, tx) = (self.data_dir.clone(), self.tx.clone());
        std::thread::spawn(move || {
            let result = crate::attest::OperatorId::parse(&request.operator)
                .map_err(|e| e.to_string())
                .and_then(|operator| {
                    crate::session::sign(
                        &data_dir,
                        &operator,
                        &request.passphrase,
                        &mut walkthrough,
                        &checklist,
                        &scan,
                        &policy,
                    )
                    .map_err(|e| e.to_string())
                })
                .map(|signed| action::SignedRecord {
                    record: signed.record,
                    seq: signed.head.seq,
                    sha256: signed.head.sha256,
                    keyid: signed.keyid,
                    expect_keys: signed
                        .paper_anchors
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                });
            let _ = tx.send(Action::Signed(result));
        });
    }
}

/// Writes the summary of the signed record (or of the draft) as HTML and text into
/// `<data dir>/summaries/`, named for the host and the record or the time.
fn export_summary(data_dir: &std::path::Path, app: &App) -> Result<Vec<PathBuf>, String> {
    use crate::session::ExportOf;
    let (mut summary, of) = match &app.signing {
        app::Signing::Done(rec) => {
            // Right after signing, the station's own allowed_signers is the anchor.
            let anchors = crate::session::anchors_for_record(data_dir, None, Vec::new())
                .map_err(|e| e.to_string())?;
            let summary = crate::session::record_summary(&rec.record, &anchors, &app.checklist)
                .map_err(|e| e.to_string())?;
            (summary, ExportOf::Record(rec.seq))
        }
        _ => (
            crate::report::Summary::from_draft(
                &app.walkthrough,
                &app.checklist,
                app.scan(),
                &app.policy,
                None,
                crate::date::Date::today_utc(),
            ),
            ExportOf::Draft {
                unix_secs: crate::date::unix_now_secs(),
            },
        ),
    };
    // The site's rule, as `stationward summary` applies it: uncountersigned is pending review.
    crate::session::apply_site_rules(&mut summary, &app.policy);
    crate::session::export_summary(data_dir, &summary, &app.walkthrough.host.hostname, &of)
        .map_err(|e| e.to_string())
}

/// Inspects (or judges the snapshot) off the UI thread, so the first frame is never delayed,
/// reporting each area as it is done.
fn spawn_inspection(host: OpenHost, policy: Policy, areas: Vec<Area>, tx: mpsc::Sender<Action>) {
    std::thread::spawn(move || {
        let progress_tx = std::sync::Mutex::new(tx.clone());
        let scan = host.scan_with_progress(&policy, &areas, &|a| {
            if let Ok(p) = progress_tx.lock() {
                let _ = p.send(Action::InspectionProgress(a));
            }
        });
        let _ = tx.send(Action::FindingsReady(Box::new(scan)));
    });
}

fn spawn_input(tx: mpsc::Sender<Action>, terminate: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        loop {
            if terminate.load(Ordering::Relaxed) {
                let _ = tx.send(Action::Terminate);
                return;
            }
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => {
                    let _ = tx.send(Action::Terminate);
                    return;
                }
            }
            let action = match event::read() {
                Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Action::Key(key),
                Ok(Event::Resize(w, h)) => Action::Resize(w, h),
                // Bracketed paste: the text as one event, never as keys.
                Ok(Event::Paste(text)) => Action::Paste(text),
                Ok(Event::Mouse(m)) => match m.kind {
                    // Motion floods the channel and means nothing here.
                    event::MouseEventKind::Moved | event::MouseEventKind::Drag(_) => continue,
                    _ => Action::Mouse(m),
                },
                Ok(_) => continue,
                Err(_) => {
                    let _ = tx.send(Action::Terminate);
                    return;
                }
            };
            if tx.send(action).is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_and_store(data: &std::path::Path) -> (App, Store, PathBuf) {
        let list = Checklist::builtin().unwrap();
        let store = Store::new(data);
        let host = HostKey {
            hostname: "icu-cs-01".into(),
            machine_id_hmac: "0123456789abcdef".into(),
            root: None,
        };
        let opened = store.open(&list, host, false).unwrap();
        let app = App::new(
            list,
            Policy::builtin().unwrap(),
            opened.walkthrough,
            Area::ALL.to_vec(),
        );
        (app, store, opened.path)
    }

    #[test]
    fn a_failed_save_is_kept_shown_retried_and_never_called_saved() {
        let dir = tempfile::tempdir().unwrap();
        let (mut app, _, mut path) = app_and_store(dir.path());
        // A data directory under a regular file: every save fails (ENOTDIR), even as root.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, "").unwrap();
        let failing = Store::new(&blocker);
        app.walkthrough
            .set_note("ICS-02", "port 5900 open, vendor ticket 12")
            .unwrap();
        app.dirty = true;
        save_if_dirty(&mut app, &failing, &mut path);
        assert!(app.dirty, "the change stays pending");
        assert!(app.save_error.is_some());
        // The status line shows it prominently.
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
        terminal
            .draw(|f| ui::render(&app, &theme::Theme::from_env(), f))
            .unwrap();
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect();
        assert!(screen.contains("NOT SAVED"), "{screen}");
        // On the way out the retry fails too, and so does every place in that data
        // directory: the outcome says so and carries the work as JSON to print.
        let unsaved = finish_saving(&mut app, &failing, &mut path).expect("reported unsaved");
        assert!(unsaved.rescue.is_err());
        let json = unsaved.json.expect("the walkthrough to print");
        assert!(json.contains("vendor ticket 12") && json.is_ascii());
        // Where only the walkthrough's own file refuses (here: a directory in its place), the
        // rescue lands in the data directory, beside it, and nowhere else.
        let (_, working, _) = app_and_store(dir.path());
        let own = working.path_for(&app.walkthrough);
        let _ = std::fs::remove_file(&own);
        std::fs::create_dir_all(own.join("in-the-way")).unwrap();
        let unsaved = finish_saving(&mut app, &working, &mut path).expect("reported unsaved");
        let rescued = unsaved.rescue.expect("rescued");
        assert!(unsaved.json.is_none());
        assert_eq!(
            rescued.parent(),
            Some(working.dir()),
            "{}",
            rescued.display()
        );
        let text = std::fs::read_to_string(&rescued).unwrap();
        assert!(text.contains("vendor ticket 12"));
        std::fs::remove_dir_all(&own).unwrap();
        // Once the disk takes it again, the retry succeeds and the warning goes.
        save_if_dirty(&mut app, &working, &mut path);
        assert!(!app.dirty && app.save_error.is_none());
        assert!(finish_saving(&mut app, &working, &mut path).is_none());
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("vendor ticket 12")
        );
    }
}
