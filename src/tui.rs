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
use crate::host::{Host, HostKind};
use crate::policy::Policy;
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
    pub root: Option<PathBuf>,
    /// A Windows snapshot directory to walk through instead of this host.
    pub snapshot: Option<PathBuf>,
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
    #[error("{0}")]
    Snapshot(#[from] crate::windows::snapshot::SnapshotError),
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
    // A snapshot is read and verified whole before anything else: a bad one never starts a
    // walkthrough, and its error names the file even without a terminal.
    let snapshot = match &opts.snapshot {
        Some(dir) => Some(crate::windows::snapshot::Snapshot::load(dir)?),
        None => None,
    };
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let host: Arc<dyn Host + Send + Sync> = match (&snapshot, &opts.root) {
        (Some(s), _) => Arc::new(crate::windows::SnapshotHost::new(
            &s.info.dir,
            s.info.elevated,
        )),
        (None, Some(dir)) => Arc::new(crate::host::Root::new(dir)),
        (None, None) => Arc::new(crate::host::Live::new()),
    };
    // Identity is a few small reads: enough to find the walkthrough to resume before the
    // first frame, while the full inspection runs behind it.
    let identity = match &snapshot {
        Some(s) => crate::windows::identity(&crate::windows::WindowsFacts::from(s.clone())),
        None => crate::inspect::identity::collect(host.as_ref()),
    };
    let root = match host.kind() {
        HostKind::Live => None,
        HostKind::Root(dir) | HostKind::Snapshot(dir) => Some(dir.display().to_string()),
    };
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
    match snapshot {
        Some(s) => spawn_snapshot_judgement(s, opts.policy, areas, tx.clone()),
        None => spawn_inspection(Arc::clone(&host), opts.policy, areas, tx.clone()),
    }
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
            use crate::attest::ledger::{self, Countersign};
            use crate::attest::{KeyStore, OperatorId};
            let result = OperatorId::parse(&request.operator)
                .map_err(|e| e.to_string())
                .and_then(|op| {
                    KeyStore::new(&data_dir)
                        .load_signer(&op, &request.passphrase)
                        .map_err(|e| e.to_string())
                })
                .and_then(|signer| {
                    let appended = ledger::append_countersign(
                        &data_dir,
                        &signer,
                        &Countersign {
                            seq: request.seq,
                            verdict: request.verdict,
                            note: request.note.clone(),
                        },
                        crate::date::unix_now_secs(),
                    )
                    .map_err(|e| e.to_string())?;
                    Ok(format!(
                        "Countersigned: {} {} by {} ({}) in {}.",
                        request.verdict.as_str(),
                        ledger::record_file_name(request.seq),
                        signer.operator(),
                        signer.keyid(),
                        ledger::record_file_name(appended.head.seq)
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
        let (walkthrough, checklist, policy) = (
            app.walkthrough.clone(),
            app.checklist.clone(),
            app.policy.clone(),
        );
        let (data_dir, tx) = (self.data_dir.clone(), self.tx.clone());
        std::thread::spawn(move || {
            let result = sign(
                &data_dir,
                &request,
                &walkthrough,
                &checklist,
                &scan,
                &policy,
            );
            let _ = tx.send(Action::Signed(result));
        });
    }
}

fn sign(
    data_dir: &std::path::Path,
    request: &app::SignRequest,
    walkthrough: &crate::walkthrough::Walkthrough,
    checklist: &Checklist,
    scan: &crate::scan::Scan,
    policy: &Policy,
) -> Result<action::SignedRecord, String> {
    use crate::attest::{KeyStore, OperatorId, ledger, signoff};
    // The one justification rule, re-checked over every control before anything is signed.
    walkthrough
        .ready_to_sign(checklist, &scan.findings)
        .map_err(|e| e.to_string())?;
    let operator = OperatorId::parse(&request.operator).map_err(|e| e.to_string())?;
    let signer = KeyStore::new(data_dir)
        .load_signer(&operator, &request.passphrase)
        .map_err(|e| e.to_string())?;
    let appended = signoff::sign_reporting(data_dir, &signer, walkthrough, checklist, scan, policy)
        .map_err(|e| e.to_string())?;
    let head = appended.head;
    Ok(action::SignedRecord {
        record: ledger::record_path(data_dir, head.seq),
        seq: head.seq,
        sha256: head.sha256,
        keyid: signer.keyid().to_string(),
        expect_keys: appended
            .paper_anchors
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// Writes the summary of the signed record (or of the draft) as HTML and text into
/// `<data dir>/summaries/`, named for the host and the record or the time.
fn export_summary(data_dir: &std::path::Path, app: &App) -> Result<Vec<PathBuf>, String> {
    use crate::report::{self, Format, Summary};
    let mut summary = match &app.signing {
        app::Signing::Done(rec) => {
            let signers_path = crate::attest::keys::allowed_signers_path(data_dir);
            let signers = crate::attest::allowed_signers::AllowedSigners::load(&signers_path)
                .map_err(|e| e.to_string())?;
            report::record::summary_of_record(&rec.record, &signers, Some(&app.checklist))
                .map_err(|e| e.to_string())?
        }
        _ => Summary::from_draft(
            &app.walkthrough,
            &app.checklist,
            app.scan(),
            &app.policy,
            None,
            crate::date::Date::today_utc(),
        ),
    };
    // The site's rule, as `stationward summary` applies it: uncountersigned is pending review.
    if app.policy.require_countersign
        && let Some(a) = summary.attestation.as_mut()
    {
        a.require_countersign();
    }
    let dir = data_dir.join("summaries");
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("{}: {}", dir.display(), crate::input::io_reason(&e)))?;
    let mut host: String = app
        .walkthrough
        .host
        .hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if host.is_empty() || host.starts_with('-') {
        host.insert_str(0, "station");
    }
    let stem = match &app.signing {
        app::Signing::Done(rec) => format!("{host}-record-{:06}", rec.seq),
        _ => format!(
            "{host}-draft-{}",
            crate::date::rfc3339_utc(crate::date::unix_now_secs()).replace(':', "")
        ),
    };
    let mut written = Vec::new();
    for (format, ext) in [(Format::Html, "html"), (Format::Text, "txt")] {
        let path = dir.join(format!("{stem}.{ext}"));
        report::summary_command(&summary, format, Some(&path)).map_err(|e| e.to_string())?;
        written.push(path);
    }
    Ok(written)
}

fn spawn_inspection(
    host: Arc<dyn Host + Send + Sync>,
    policy: Policy,
    areas: Vec<Area>,
    tx: mpsc::Sender<Action>,
) {
    std::thread::spawn(move || {
        let progress_tx = tx.clone();
        let progress = move |area: Area| {
            let _ = progress_tx.send(Action::InspectionProgress(area));
        };
        let progress = std::sync::Mutex::new(progress);
        let facts = crate::inspect::inspect_with_progress(host.as_ref(), &areas, &|a| {
            if let Ok(p) = progress.lock() {
                p(a);
            }
        });
        let scan = crate::scan::judge(host.as_ref(), &policy, facts);
        let _ = tx.send(Action::FindingsReady(Box::new(scan)));
    });
}

/// A snapshot was read before the TUI started: judging it is quick, but it runs off the UI
/// thread like a live inspection so the first frame is never delayed.
fn spawn_snapshot_judgement(
    snapshot: crate::windows::snapshot::Snapshot,
    policy: Policy,
    areas: Vec<Area>,
    tx: mpsc::Sender<Action>,
) {
    std::thread::spawn(move || {
        let scan = crate::windows::judge(snapshot, &policy, &areas, crate::date::unix_now_secs());
        for a in &areas {
            let _ = tx.send(Action::InspectionProgress(*a));
        }
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
            .map(|c| c.symbol())
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
