//! TUI state and the one `update` that changes it.

use super::action::{Action, Screen, SignedRecord};
use super::editor::{Edit, TextField};
use super::keymap::{self, Binding, Context, Layer};
use super::tables::{self, FactTable};
use crate::checklist::Checklist;
use crate::checks::{Area, Finding, Status};
use crate::policy::Policy;
use crate::scan::Scan;
use crate::walkthrough::{NoteChange, Stage, Verdict, VerdictError, Walkthrough};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEventKind};

/// Lines the detail pane scrolls per page.
const PAGE: u16 = 10;

/// A text field that has the keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    Keys,
    Note(TextField),
    Filter(TextField),
    /// Sign-off: who signs.
    Operator(TextField),
    /// Sign-off: the key's passphrase (drawn masked).
    Passphrase(TextField),
    /// Sign-off, making a key: the new operator id.
    NewOperator(TextField),
    /// Making a key: the new passphrase, then the same again.
    NewPassphrase {
        operator: String,
        field: TextField,
    },
    RepeatPassphrase {
        operator: String,
        first: zeroize::Zeroizing<String>,
        field: TextField,
    },
    /// Controls: the path of a file to attach to the selected control.
    AttachPath(TextField),
    /// Controls: the number of the attachment to remove.
    DetachNumber(TextField),
    /// Sign-off, signed: who countersigns.
    CountersignOperator(TextField),
    /// Countersigning: the note (Enter approves with it; Ctrl-R rejects with it as reason).
    CountersignNote {
        operator: String,
        field: TextField,
    },
    /// Countersigning: the countersigner's passphrase (drawn masked).
    CountersignPassphrase {
        operator: String,
        verdict: crate::attest::statement::CountersignVerdict,
        note: String,
        field: TextField,
    },
}

impl Focus {
    /// A passphrase field: drawn masked, and a paste into it is reported without its text.
    fn is_secret(&self) -> bool {
        matches!(
            self,
            Focus::Passphrase(_)
                | Focus::NewPassphrase { .. }
                | Focus::RepeatPassphrase { .. }
                | Focus::CountersignPassphrase { .. }
        )
    }

    fn field_mut(&mut self) -> Option<&mut TextField> {
        match self {
            Focus::Keys => None,
            Focus::Note(f)
            | Focus::Filter(f)
            | Focus::Operator(f)
            | Focus::Passphrase(f)
            | Focus::NewOperator(f)
            | Focus::NewPassphrase { field: f, .. }
            | Focus::RepeatPassphrase { field: f, .. }
            | Focus::AttachPath(f)
            | Focus::DetachNumber(f)
            | Focus::CountersignOperator(f)
            | Focus::CountersignNote { field: f, .. }
            | Focus::CountersignPassphrase { field: f, .. } => Some(f),
        }
    }
}

/// A path as typed or dropped into the terminal: one pair of surrounding quotes removed.
fn unquote(s: &str) -> &str {
    for q in ['\'', '"'] {
        if s.len() >= 2
            && let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q))
        {
            return inner;
        }
    }
    s
}

/// A yes/no question that owns the keyboard until answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// `q` on the Overview of an unsigned walkthrough.
    Quit,
    /// The review before the passphrase: open controls, unknown checks, PASSED over failing.
    Sign,
}

/// Where signing stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    Idle,
    /// Handed to the worker; the passphrase is with it, not here.
    InProgress,
    Done(SignedRecord),
    Failed(String),
}

/// A sign-off the event loop must carry out (key loading and the ledger are I/O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignRequest {
    pub operator: String,
    pub passphrase: zeroize::Zeroizing<String>,
}

/// A key the event loop must make (bcrypt takes a moment; the library does it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub operator: String,
    pub passphrase: zeroize::Zeroizing<String>,
}

/// A file the event loop must attach (reading and storing it is I/O; the library does it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachRequest {
    pub control: String,
    pub path: std::path::PathBuf,
}

/// A countersignature the event loop must make (key loading and the ledger are I/O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountersignRequest {
    /// The signed record countersigned.
    pub seq: u64,
    pub operator: String,
    pub passphrase: zeroize::Zeroizing<String>,
    pub verdict: crate::attest::statement::CountersignVerdict,
    pub note: String,
}

/// The inspection as the TUI sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inspection {
    Running {
        requested: Vec<Area>,
        done: Vec<Area>,
    },
    Done(Box<Scan>),
}

/// A finding opened from the Findings screen, with its full evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingPane {
    pub check: String,
    pub scroll: u16,
}

pub struct App {
    pub screen: Screen,
    pub help: bool,
    pub help_scroll: u16,
    pub checklist: Checklist,
    pub policy: Policy,
    pub walkthrough: Walkthrough,
    pub inspection: Inspection,
    pub keymap: Vec<Binding>,
    /// Index into `checklist.controls` of the selected control.
    pub selected: usize,
    pub detail_scroll: u16,
    /// How far the Sign-off review is scrolled.
    pub signoff_scroll: u16,
    pub focus: Focus,
    /// The open yes/no question, if any.
    pub confirm: Option<Confirm>,
    pub confirm_scroll: u16,
    /// The finding opened with Enter on the Findings screen.
    pub pane: Option<FindingPane>,
    /// PASSED waiting for its justification note.
    pub pending_verdict: Option<Verdict>,
    pub controls_filter: String,
    pub findings_filter: String,
    pub tables: Vec<FactTable>,
    pub table_index: usize,
    pub table_row: usize,
    /// None: the table's own order (checks: by status, worst first).
    pub sort_column: Option<usize>,
    pub sort_reverse: bool,
    /// One line for the technician: what just happened or what is needed.
    pub status: String,
    /// What happened at start-up (resumed, a corrupt file set aside), kept on the Overview.
    pub notice: String,
    pub quit: bool,
    /// The walkthrough changed and must be saved before the next key is read.
    pub dirty: bool,
    /// The last save failed, and why: shown in place of the status line until a save works.
    pub save_error: Option<String>,
    pub size: (u16, u16),
    /// Operators with a usable key (a private key) in the data directory.
    pub operators: Vec<String>,
    pub operator: String,
    pub signing: Signing,
    /// Set by `update`, taken by the event loop.
    pub sign_request: Option<SignRequest>,
    /// Set by `update`, taken by the event loop.
    pub key_request: Option<KeyRequest>,
    /// Set by `update`, taken by the event loop: text for the clipboard (OSC 52).
    pub copy_request: Option<String>,
    /// Set by `update`, taken by the event loop.
    pub export_request: bool,
    /// Set by `update`, taken by the event loop.
    pub attach_request: Option<AttachRequest>,
    /// Set by `update`, taken by the event loop.
    pub countersign_request: Option<CountersignRequest>,
    /// Countersignatures made in this session, as shown on the Sign-off screen.
    pub countersigns: Vec<String>,
}

impl App {
    pub fn new(
        checklist: Checklist,
        policy: Policy,
        walkthrough: Walkthrough,
        areas: Vec<Area>,
    ) -> App {
        // Start where the technician left off: the first control not yet assessed.
        let selected = walkthrough
            .controls
            .iter()
            .position(|c| c.verdict == Verdict::NotAssessed)
            .unwrap_or(0);
        App {
            screen: Screen::Overview,
            help: false,
            help_scroll: 0,
            checklist,
            policy,
            walkthrough,
            inspection: Inspection::Running {
                requested: areas,
                done: Vec::new(),
            },
            keymap: keymap::table(),
            selected,
            detail_scroll: 0,
            signoff_scroll: 0,
            focus: Focus::Keys,
            confirm: None,
            confirm_scroll: 0,
            pane: None,
            pending_verdict: None,
            controls_filter: String::new(),
            findings_filter: String::new(),
            tables: Vec::new(),
            table_index: 0,
            table_row: 0,
            sort_column: None,
            sort_reverse: false,
            status: String::new(),
            notice: String::new(),
            quit: false,
            dirty: false,
            save_error: None,
            size: (80, 24),
            operators: Vec::new(),
            operator: String::new(),
            signing: Signing::Idle,
            sign_request: None,
            key_request: None,
            copy_request: None,
            export_request: false,
            attach_request: None,
            countersign_request: None,
            countersigns: Vec::new(),
        }
    }

    pub fn scan(&self) -> Option<&Scan> {
        match &self.inspection {
            Inspection::Done(s) => Some(s),
            Inspection::Running { .. } => None,
        }
    }

    pub fn findings(&self) -> &[Finding] {
        self.scan().map_or(&[], |s| s.findings.as_slice())
    }

    pub fn signed(&self) -> bool {
        matches!(self.walkthrough.stage, Stage::Signed { .. })
    }

    /// Indices of the controls the list shows (after the `/` filter).
    pub fn visible_controls(&self) -> Vec<usize> {
        let needle = self.controls_filter.to_lowercase();
        (0..self.checklist.controls.len())
            .filter(|&i| {
                let c = &self.checklist.controls[i];
                needle.is_empty()
                    || c.id.to_lowercase().contains(&needle)
                    || c.title.to_lowercase().contains(&needle)
                    || c.area.as_str().contains(&needle)
            })
            .collect()
    }

    pub fn table_view(&self) -> Vec<usize> {
        self.tables
            .get(self.table_index)
            .map_or_else(Vec::new, |t| {
                tables::view(
                    t,
                    &self.findings_filter,
                    self.sort_column,
                    self.sort_reverse,
                )
            })
    }

    /// The overlay that has the keyboard, innermost first: a confirmation, the help, a
    /// finding's pane. Text fields come before all of them (see `action_for_key`).
    pub fn layer(&self) -> Option<Layer> {
        if self.confirm.is_some() {
            Some(Layer::Confirm)
        } else if self.help {
            Some(Layer::Help)
        } else if self.pane.is_some() {
            Some(Layer::Finding)
        } else {
            None
        }
    }

    /// What reads the keys now.
    pub fn context(&self) -> Context {
        self.layer()
            .map_or(Context::Screen(self.screen), Context::Layer)
    }

    /// Whether a binding does something in the current state; the footer shows only these.
    pub fn enabled(&self, b: &Binding) -> bool {
        let has_tables = !self.tables.is_empty();
        match &b.action {
            Action::SetVerdict(_) | Action::EditNote => !self.signed(),
            Action::Enter if b.scope == keymap::Scope::On(Screen::SignOff) => {
                !self.signed()
                    && self.signing != Signing::InProgress
                    && self.scan().is_some()
                    && !self.operators.is_empty()
            }
            Action::Enter if b.scope == keymap::Scope::On(Screen::Findings) => {
                self.selected_check().is_some()
            }
            Action::GenerateKey | Action::Attach => !self.signed(),
            Action::Detach => {
                !self.signed()
                    && self
                        .current_control_id()
                        .and_then(|id| self.walkthrough.control(&id))
                        .is_some_and(|c| !c.attachments.is_empty())
            }
            Action::Countersign => self.signed() && !self.operators.is_empty(),
            Action::StartFilter => match self.screen {
                Screen::Controls => true,
                Screen::Findings => has_tables,
                Screen::Overview | Screen::SignOff => false,
            },
            Action::Left | Action::Right | Action::CycleSort | Action::ReverseSort => has_tables,
            Action::Copy if b.scope == keymap::Scope::On(Screen::Findings) => {
                self.selected_check().is_some()
            }
            Action::NextControl | Action::PrevControl => !self.checklist.controls.is_empty(),
            _ => true,
        }
    }

    /// Maps a key to an action in the current context: a focused text field takes every key
    /// but Ctrl-C, then an open overlay takes every key, then the screen and global keys.
    pub fn action_for_key(&self, key: &KeyEvent) -> Option<Action> {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match self.focus {
            _ if ctrl_c => Some(Action::Quit),
            Focus::Keys => keymap::lookup_in(&self.keymap, self.context(), key),
            _ => Some(Action::TextInput(*key)),
        }
    }

    /// The check of the selected row on the Findings screen's checks table.
    pub fn selected_check(&self) -> Option<String> {
        let table = self.tables.get(self.table_index)?;
        if table.title != tables::CHECKS {
            return None;
        }
        let view = self.table_view();
        let row = view.get(self.table_row).and_then(|&i| table.rows.get(i))?;
        row.get(1).cloned()
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::NextScreen => self.go(step(self.screen, 1)),
            Action::PrevScreen => self.go(step(self.screen, Screen::ALL.len() - 1)),
            Action::GoTo(s) => self.go(s),
            Action::Up => self.scroll_or(-1, |a| a.move_by(-1)),
            Action::Down => self.scroll_or(1, |a| a.move_by(1)),
            Action::PageUp => self.scroll_or(-(PAGE as i32), |a| a.page(-1)),
            Action::PageDown => self.scroll_or(PAGE as i32, |a| a.page(1)),
            Action::Top => self.scroll_or(-(u16::MAX as i32), |a| a.jump_to_end(false)),
            Action::Bottom => self.scroll_or(u16::MAX as i32, |a| a.jump_to_end(true)),
            Action::Left => self.switch_table(-1),
            Action::Right => self.switch_table(1),
            Action::Enter => self.enter(),
            Action::NextControl => self.step_control(1),
            Action::PrevControl => self.step_control(-1),
            Action::SetVerdict(v) => self.set_verdict(v),
            Action::EditNote => self.edit_note(),
            Action::StartFilter => self.start_filter(),
            Action::CycleSort => {
                let cols = self
                    .tables
                    .get(self.table_index)
                    .map_or(0, |t| t.columns.len());
                self.sort_column = match self.sort_column {
                    None if cols > 0 => Some(0),
                    Some(c) if c + 1 < cols => Some(c + 1),
                    _ => None,
                };
                self.table_row = 0;
            }
            Action::ReverseSort => self.sort_reverse = !self.sort_reverse,
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::Back => self.back(),
            Action::Close => self.close(),
            Action::Confirm(yes) => self.answer(yes),
            Action::Quit | Action::Terminate => self.quit = true,
            Action::Key(key) => {
                if let Some(action) = self.action_for_key(&key) {
                    self.update(action);
                }
            }
            Action::TextInput(key) => self.text_input(&key),
            Action::Paste(text) => self.paste(&text),
            Action::Mouse(ev) => self.mouse(ev),
            Action::Resize(w, h) => self.size = (w, h),
            Action::Signed(result) => self.signed_result(result),
            Action::Operators(list) => self.operators = list,
            Action::ExportSummary => {
                if self.screen == Screen::SignOff {
                    self.export_request = true;
                }
            }
            Action::Exported(Ok(paths)) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                self.status = format!("Summary written: {}", names.join(" and "));
            }
            Action::Exported(Err(e)) => self.status = format!("Summary NOT written: {e}"),
            Action::Copy => self.copy(),
            Action::Copied(Ok(msg)) | Action::Copied(Err(msg)) => self.status = msg,
            Action::OpenControl => self.open_control(),
            Action::GenerateKey => self.start_key_generation(),
            Action::Attach => self.start_attach(),
            Action::Detach => self.start_detach(),
            Action::Attached(Ok(msg)) => {
                self.dirty = true;
                self.status = msg;
            }
            Action::Attached(Err(e)) => self.status = format!("NOT attached: {e}"),
            Action::Countersign => self.start_countersign(),
            Action::Countersigned(Ok(msg)) => {
                self.status = msg.clone();
                self.countersigns.push(msg);
            }
            Action::Countersigned(Err(e)) => self.status = format!("NOT countersigned: {e}"),
            Action::KeyGenerated(Ok((operator, fingerprint))) => {
                if !self.operators.contains(&operator) {
                    self.operators.push(operator.clone());
                }
                self.status =
                    format!("Key made for {operator} ({fingerprint}); Enter signs with it.");
                self.operator = operator;
            }
            Action::KeyGenerated(Err(e)) => self.status = format!("Key NOT made: {e}"),
            Action::InspectionProgress(area) => {
                if let Inspection::Running { done, .. } = &mut self.inspection
                    && !done.contains(&area)
                {
                    done.push(area);
                }
            }
            Action::FindingsReady(scan) => {
                let c = scan.counts();
                self.status = format!(
                    "Inspection finished: {} fail · {} warn · {} unknown · {} pass.",
                    c.fail, c.warn, c.unknown, c.pass
                );
                // A resumed walkthrough meets new findings: a PASSED whose checks now fail or
                // are unknown goes back to NOT_ASSESSED unless its note says why.
                let reverted = self
                    .walkthrough
                    .enforce_justification(&self.checklist, &scan.findings);
                if !reverted.is_empty() {
                    self.dirty = true;
                    let list: Vec<String> = reverted.iter().map(ToString::to_string).collect();
                    self.status.push_str(&format!(
                        " Back to NOT ASSESSED (PASSED without a note while a check fails or is unknown): {}.",
                        list.join("; ")
                    ));
                }
                self.tables = tables::build(&scan);
                self.inspection = Inspection::Done(scan);
            }
        }
    }

    /// How far the open overlay can scroll at the current terminal size (as drawn by `ui`).
    fn overlay_max_scroll(&self) -> u16 {
        let body = self.size.1.saturating_sub(3) as usize;
        let (lines, chrome) = match self.layer() {
            Some(Layer::Help) => (super::ui::help::entries(&self.keymap).len(), 2),
            Some(Layer::Confirm) => {
                let width = self.size.0.min(76).saturating_sub(2) as usize;
                let n = match self.confirm {
                    Some(Confirm::Sign) => super::ui::confirm::review_lines(self, width).len(),
                    _ => 4,
                };
                (n + 2, 2)
            }
            Some(Layer::Finding) => {
                let width = self.size.0.saturating_sub(2) as usize;
                let n = self
                    .pane
                    .as_ref()
                    .map_or(0, |p| super::ui::pane::lines(self, &p.check, width).len());
                (n, 2)
            }
            None => (0, 0),
        };
        let inner = (lines + chrome).min(body).saturating_sub(chrome);
        lines.saturating_sub(inner).min(u16::MAX as usize) as u16
    }

    /// Scrolls the open overlay by `delta` lines, or runs `screen` when none is open.
    fn scroll_or(&mut self, delta: i32, screen: impl FnOnce(&mut App)) {
        let max = i32::from(self.overlay_max_scroll());
        let by = |v: u16| -> u16 { (i32::from(v) + delta).clamp(0, max) as u16 };
        match self.layer() {
            Some(Layer::Confirm) => self.confirm_scroll = by(self.confirm_scroll),
            Some(Layer::Help) => self.help_scroll = by(self.help_scroll),
            Some(Layer::Finding) => {
                if let Some(p) = &mut self.pane {
                    p.scroll = by(p.scroll);
                }
            }
            None => screen(self),
        }
    }

    fn go(&mut self, screen: Screen) {
        self.help = false;
        self.pane = None;
        self.screen = screen;
    }

    fn move_by(&mut self, delta: isize) {
        match self.screen {
            Screen::Controls => {
                let visible = self.visible_controls();
                let pos = visible
                    .iter()
                    .position(|&i| i == self.selected)
                    .unwrap_or(0);
                if let Some(&next) = visible.get(clamp_step(pos, delta, visible.len())) {
                    self.select(next);
                }
            }
            Screen::Findings => {
                let n = self.table_view().len();
                self.table_row = clamp_step(self.table_row, delta, n);
            }
            Screen::SignOff => self.scroll_signoff(delta as i32),
            Screen::Overview => {}
        }
    }

    /// Scrolls the Sign-off review, within what there is to see at the current size.
    fn scroll_signoff(&mut self, delta: i32) {
        let width = self.size.0.saturating_sub(2) as usize;
        let lines = super::ui::signoff::review_lines(self, &super::theme::Theme::mono(), width);
        // At least the header, status, footer and the signing part's few rows are not review.
        let visible = self.size.1.saturating_sub(3 + 7 + 2) as usize;
        let max = lines.len().saturating_sub(visible.max(1)) as i32;
        self.signoff_scroll = (i32::from(self.signoff_scroll) + delta).clamp(0, max.max(0)) as u16;
    }

    /// Rows a page moves in the Findings table: what fits on screen.
    fn table_page(&self) -> isize {
        // Header, tabs, filter line, borders, table header, status, footer.
        (self.size.1 as isize - 8).max(1)
    }

    fn page(&mut self, dir: isize) {
        match self.screen {
            Screen::Findings => {
                let n = self.table_view().len();
                self.table_row = clamp_step(self.table_row, dir * self.table_page(), n);
            }
            Screen::Controls => {
                self.detail_scroll = if dir < 0 {
                    self.detail_scroll.saturating_sub(PAGE)
                } else {
                    self.detail_scroll.saturating_add(PAGE)
                };
            }
            Screen::SignOff => self.scroll_signoff(dir as i32 * i32::from(PAGE)),
            // Nothing scrolls there: PgDn must not move a hidden screen.
            Screen::Overview => {}
        }
    }

    fn jump_to_end(&mut self, bottom: bool) {
        match self.screen {
            Screen::Findings => {
                let n = self.table_view().len();
                self.table_row = if bottom { n.saturating_sub(1) } else { 0 };
            }
            Screen::Controls => {
                let visible = self.visible_controls();
                let target = if bottom {
                    visible.last()
                } else {
                    visible.first()
                };
                if let Some(&i) = target {
                    self.select(i);
                }
            }
            Screen::SignOff => {
                self.scroll_signoff(if bottom { i32::MAX / 2 } else { i32::MIN / 2 })
            }
            Screen::Overview => {}
        }
    }

    fn select(&mut self, index: usize) {
        if index != self.selected {
            self.selected = index;
            self.detail_scroll = 0;
            self.pending_verdict = None;
        }
    }

    fn step_control(&mut self, delta: isize) {
        self.go(Screen::Controls);
        let visible = self.visible_controls();
        let pos = visible
            .iter()
            .position(|&i| i == self.selected)
            .unwrap_or(0);
        if let Some(&next) = visible.get(clamp_step(pos, delta, visible.len())) {
            self.select(next);
        }
    }

    fn switch_table(&mut self, delta: isize) {
        if self.screen != Screen::Findings || self.tables.is_empty() {
            return;
        }
        let n = self.tables.len() as isize;
        self.table_index = ((self.table_index as isize + delta).rem_euclid(n)) as usize;
        self.table_row = 0;
        self.sort_column = None;
        self.sort_reverse = false;
    }

    fn enter(&mut self) {
        match self.screen {
            Screen::Overview => self.go(Screen::Controls),
            Screen::Findings => {
                if let Some(check) = self.selected_check() {
                    self.pane = Some(FindingPane { check, scroll: 0 });
                }
            }
            Screen::SignOff => self.start_signing(),
            Screen::Controls => {}
        }
    }

    /// From a finding's pane: the first control that uses the check.
    fn open_control(&mut self) {
        let Some(pane) = self.pane.take() else {
            return;
        };
        if let Some(i) = self
            .checklist
            .controls
            .iter()
            .position(|c| c.checks.contains(&pane.check))
        {
            self.select(i);
            self.go(Screen::Controls);
        } else {
            self.status = format!("No control of this checklist uses {}.", pane.check);
        }
    }

    /// The finding of `check` as plain text: summary, details, waiver, evidence in full.
    pub fn finding_text(&self, check: &str) -> Option<String> {
        let f = self.findings().iter().find(|f| f.check == check)?;
        let mut out = format!("{} {}\n{}\n", f.status.label(), f.check, f.summary);
        for d in &f.details {
            out.push_str(&format!("- {d}\n"));
        }
        if let Some(w) = &f.waiver {
            let state = if w.expired {
                "EXPIRED waiver"
            } else {
                "waived"
            };
            out.push_str(&format!(
                "{state} until {} by {}: {}\n",
                w.expires, w.approver, w.justification
            ));
        }
        if !f.evidence.is_empty() {
            out.push_str("Evidence:\n");
            for e in &f.evidence {
                out.push_str(&evidence_text(e));
                out.push('\n');
            }
        }
        Some(out)
    }

    fn copy(&mut self) {
        let check = match (&self.pane, self.screen) {
            (Some(p), _) => Some(p.check.clone()),
            (None, Screen::Findings) => self.selected_check(),
            _ => None,
        };
        match check.and_then(|c| self.finding_text(&c)) {
            Some(text) => self.copy_request = Some(text),
            None => self.status = "Nothing to copy here: select a check first.".into(),
        }
    }

    fn start_signing(&mut self) {
        if self.signed() {
            self.status =
                "This walkthrough is signed. Start a new one with `stationward tui --new`.".into();
            return;
        }
        if self.scan().is_none() {
            self.status =
                "Wait for the inspection to finish: the record carries its findings.".into();
            return;
        }
        if self.signing == Signing::InProgress {
            return;
        }
        // The one rule: signing refuses while any control breaks it.
        if let Err(refused) = self
            .walkthrough
            .ready_to_sign(&self.checklist, self.findings())
        {
            self.status = refused.to_string();
            return;
        }
        if self.operators.is_empty() {
            self.status = "No signing key in this data directory: press k to make one (operator id, passphrase twice).".into();
            return;
        }
        self.confirm = Some(Confirm::Sign);
        self.confirm_scroll = 0;
        self.status = "Review what you sign: y goes on to your key, n goes back.".into();
    }

    fn ask_operator(&mut self) {
        let suggested = if self.operators.contains(&self.operator) {
            self.operator.clone()
        } else {
            self.operators.first().cloned().unwrap_or_default()
        };
        self.focus = Focus::Operator(TextField::new(&suggested, false));
        self.status = "Operator id (Enter to continue, Esc to cancel).".into();
    }

    fn start_key_generation(&mut self) {
        if self.screen != Screen::SignOff {
            return;
        }
        if self.signed() {
            self.status =
                "This walkthrough is signed; keys are made with `stationward key generate`.".into();
            return;
        }
        self.focus = Focus::NewOperator(TextField::new("", false));
        self.status =
            "New key: operator id (letters, digits, . _ -), Enter to continue, Esc cancels.".into();
    }

    fn answer(&mut self, yes: bool) {
        let Some(confirm) = self.confirm.take() else {
            return;
        };
        match (confirm, yes) {
            (Confirm::Quit, true) => self.quit = true,
            (Confirm::Quit, false) => self.status = "Still here. Your work is saved.".into(),
            (Confirm::Sign, true) => self.ask_operator(),
            (Confirm::Sign, false) => self.status = "Signing cancelled.".into(),
        }
    }

    fn signed_result(&mut self, result: Result<SignedRecord, String>) {
        match result {
            Ok(rec) => {
                self.walkthrough.stage = Stage::Signed { seq: rec.seq };
                self.dirty = true;
                self.status = format!(
                    "Signed: {} (head {}:{}). The walkthrough is now read-only.",
                    rec.record.display(),
                    rec.seq,
                    rec.sha256
                );
                self.signing = Signing::Done(rec);
            }
            Err(e) => {
                self.status = format!("NOT signed: {e}");
                self.signing = Signing::Failed(e);
            }
        }
    }

    fn current_control_id(&self) -> Option<String> {
        self.checklist
            .controls
            .get(self.selected)
            .map(|c| c.id.clone())
    }

    fn set_verdict(&mut self, verdict: Verdict) {
        if self.screen != Screen::Controls {
            return;
        }
        let Some(id) = self.current_control_id() else {
            return;
        };
        if self.signed() {
            self.status = VerdictError::Signed.to_string();
            return;
        }
        let has_checks = !self.checklist.controls[self.selected].checks.is_empty();
        if verdict == Verdict::Passed && has_checks && self.scan().is_none() {
            self.status =
                format!("{id}: wait for the inspection to finish before marking it PASSED.");
            return;
        }
        let findings = self.findings().to_vec();
        match self
            .walkthrough
            .set_verdict(&self.checklist, &id, verdict, &findings)
        {
            Ok(()) => {
                self.dirty = true;
                self.pending_verdict = None;
                self.status = format!("{id}: {}.", verdict.label());
            }
            Err(VerdictError::NeedsJustification { checks, .. }) => {
                self.pending_verdict = Some(verdict);
                self.open_note_editor();
                self.status = format!(
                    "{id}: {checks} fails or is unknown. Write how you verified it; Esc records PASSED with the note."
                );
            }
            Err(e) => self.status = e.to_string(),
        }
    }

    fn open_note_editor(&mut self) {
        let note = self
            .walkthrough
            .controls
            .get(self.selected)
            .map(|c| c.note.clone())
            .unwrap_or_default();
        self.screen = Screen::Controls;
        self.focus = Focus::Note(TextField::new(&note, true));
    }

    fn edit_note(&mut self) {
        if self.signed() {
            self.status = VerdictError::Signed.to_string();
            return;
        }
        if let Some(id) = self.current_control_id() {
            self.open_note_editor();
            self.status =
                format!("{id}: editing the note. Every key is text; Esc leaves and keeps it.");
        }
    }

    fn start_attach(&mut self) {
        if self.screen != Screen::Controls {
            return;
        }
        if self.signed() {
            self.status = VerdictError::Signed.to_string();
            return;
        }
        if self.signing == Signing::InProgress {
            self.status = "Signing is under way: nothing is attached now.".into();
            return;
        }
        if let Some(id) = self.current_control_id() {
            self.focus = Focus::AttachPath(TextField::new("", false));
            self.status = format!(
                "{id}: path of the file to attach (Enter attaches a copy, Esc cancels; at most {} MiB).",
                crate::walkthrough::MAX_ATTACHMENT_BYTES / (1024 * 1024)
            );
        }
    }

    fn start_detach(&mut self) {
        if self.screen != Screen::Controls {
            return;
        }
        if self.signed() {
            self.status = VerdictError::Signed.to_string();
            return;
        }
        let Some(id) = self.current_control_id() else {
            return;
        };
        let n = self
            .walkthrough
            .control(&id)
            .map_or(0, |c| c.attachments.len());
        if n == 0 {
            self.status = format!("{id} has no attachments.");
            return;
        }
        let suggested = if n == 1 { "1" } else { "" };
        self.focus = Focus::DetachNumber(TextField::new(suggested, false));
        self.status = format!(
            "{id}: number of the attachment to remove (1-{n}), Enter removes, Esc cancels."
        );
    }

    fn start_countersign(&mut self) {
        if self.screen != Screen::SignOff {
            return;
        }
        if !self.signed() {
            self.status = "Only a signed walkthrough is countersigned: sign it first.".into();
            return;
        }
        if self.operators.is_empty() {
            self.status = "No key in this data directory: the countersigner needs one (`stationward key generate`).".into();
            return;
        }
        self.focus = Focus::CountersignOperator(TextField::new("", false));
        self.status = "Countersign: the reviewer's operator id (not the technician who signed), Enter continues, Esc cancels.".into();
    }

    fn start_filter(&mut self) {
        let current = match self.screen {
            Screen::Controls => self.controls_filter.clone(),
            Screen::Findings if !self.tables.is_empty() => self.findings_filter.clone(),
            _ => {
                self.status = "Nothing to filter on this screen.".into();
                return;
            }
        };
        self.focus = Focus::Filter(TextField::new(&current, false));
    }

    /// Stores the editor's text as the note; the model reverts an unjustified PASSED.
    fn note_changed(&mut self, text: &str) {
        let Some(id) = self.current_control_id() else {
            return;
        };
        let was = self.walkthrough.control(&id).map(|c| c.verdict);
        // Saved on every key, so a crash loses nothing typed.
        // Field by field, so the findings are borrowed, not copied, on every key.
        let findings: &[Finding] = match &self.inspection {
            Inspection::Done(scan) => &scan.findings,
            Inspection::Running { .. } => &[],
        };
        match self
            .walkthrough
            .set_note_with(&self.checklist, &id, text, findings)
        {
            Ok(NoteChange::Kept) => self.dirty = true,
            Ok(NoteChange::Reverted { checks }) => {
                self.dirty = true;
                // Writing a new justification and leaving records PASSED again.
                if was == Some(Verdict::Passed) {
                    self.pending_verdict = Some(Verdict::Passed);
                }
                self.status = format!(
                    "{id}: note cleared, so PASSED is withdrawn (back to NOT ASSESSED): {checks} fails or is unknown. Write how you verified it to mark it PASSED again."
                );
            }
            Err(e) => self.status = e.to_string(),
        }
    }

    fn paste(&mut self, text: &str) {
        let secret = self.focus.is_secret();
        let Some(field) = self.focus.field_mut() else {
            self.status = "Paste ignored: paste into a note (e) or a filter (/) only.".into();
            return;
        };
        if field.insert_str(text) != Edit::Changed {
            return;
        }
        let text = field.text();
        match &self.focus {
            Focus::Note(_) => self.note_changed(&text),
            Focus::Filter(_) => self.filter_changed(text),
            _ if secret => self.status = "Pasted into the passphrase.".into(),
            _ => {}
        }
    }

    fn filter_changed(&mut self, text: String) {
        match self.screen {
            Screen::Controls => {
                self.controls_filter = text;
                let visible = self.visible_controls();
                if !visible.contains(&self.selected)
                    && let Some(&first) = visible.first()
                {
                    self.select(first);
                }
            }
            _ => {
                self.findings_filter = text;
                self.table_row = 0;
            }
        }
    }

    fn text_input(&mut self, key: &KeyEvent) {
        let enter = key.code == KeyCode::Enter;
        match &mut self.focus {
            Focus::Keys => {}
            Focus::Note(field) => {
                let edit = field.handle(key);
                let text = field.text();
                let Some(id) = self.current_control_id() else {
                    return;
                };
                if edit == Edit::Changed {
                    self.note_changed(&text);
                }
                if edit == Edit::Leave {
                    self.focus = Focus::Keys;
                    self.status = format!("{id}: note kept.");
                    if let Some(v) = self.pending_verdict.take() {
                        if text.trim().is_empty() {
                            self.status = format!(
                                "{id}: not marked {}: a justification note is required.",
                                v.as_str()
                            );
                        } else {
                            self.set_verdict(v);
                        }
                    }
                }
            }
            Focus::Operator(field) => match field.handle(key) {
                Edit::Leave if enter => {
                    let op = field.text().trim().to_string();
                    if op.is_empty() {
                        self.status = "An operator id is needed to sign.".into();
                        return;
                    }
                    if !self.operators.contains(&op) {
                        self.status = format!(
                            "No usable key for \"{op}\" in this data directory (have: {}). Esc, then k makes one.",
                            self.operators.join(", ")
                        );
                        return;
                    }
                    self.operator = op;
                    self.focus = Focus::Passphrase(TextField::new("", false));
                    self.status = format!(
                        "Passphrase for {}'s key (Enter signs, Esc cancels).",
                        self.operator
                    );
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "Signing cancelled.".into();
                }
                _ => {}
            },
            Focus::Passphrase(field) => match field.handle(key) {
                Edit::Leave if enter => {
                    let passphrase = zeroize::Zeroizing::new(field.text());
                    self.focus = Focus::Keys;
                    self.signing = Signing::InProgress;
                    self.status = format!("Signing as {}…", self.operator);
                    self.sign_request = Some(SignRequest {
                        operator: self.operator.clone(),
                        passphrase,
                    });
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "Signing cancelled.".into();
                }
                _ => {}
            },
            Focus::NewOperator(field) => match field.handle(key) {
                Edit::Leave if enter => {
                    let op = field.text().trim().to_string();
                    // The CLI's rules: the library parses the id.
                    match crate::attest::OperatorId::parse(&op) {
                        Err(e) => self.status = e.to_string(),
                        Ok(_) if self.operators.contains(&op) => {
                            self.status = format!("{op} already has a key here.");
                        }
                        Ok(id) => {
                            self.focus = Focus::NewPassphrase {
                                operator: id.to_string(),
                                field: TextField::new("", false),
                            };
                            self.status = format!(
                                "Passphrase for {id}'s new key (at least {} characters).",
                                crate::attest::keys::MIN_PASSPHRASE_CHARS
                            );
                        }
                    }
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "No key made.".into();
                }
                _ => {}
            },
            Focus::NewPassphrase { operator, field } => match field.handle(key) {
                Edit::Leave if enter => {
                    let first = zeroize::Zeroizing::new(field.text());
                    if first.chars().count() < crate::attest::keys::MIN_PASSPHRASE_CHARS {
                        self.status = format!(
                            "Too short: use at least {} characters.",
                            crate::attest::keys::MIN_PASSPHRASE_CHARS
                        );
                        return;
                    }
                    let operator = std::mem::take(operator);
                    self.status = format!("The same passphrase again, for {operator}.");
                    self.focus = Focus::RepeatPassphrase {
                        operator,
                        first,
                        field: TextField::new("", false),
                    };
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "No key made.".into();
                }
                _ => {}
            },
            Focus::RepeatPassphrase {
                operator,
                first,
                field,
            } => match field.handle(key) {
                Edit::Leave if enter => {
                    if field.text() != first.as_str() {
                        let operator = std::mem::take(operator);
                        self.focus = Focus::NewPassphrase {
                            operator,
                            field: TextField::new("", false),
                        };
                        self.status =
                            "The passphrases differ: type the new passphrase again.".into();
                        return;
                    }
                    let request = KeyRequest {
                        operator: std::mem::take(operator),
                        passphrase: std::mem::take(first),
                    };
                    self.status = format!("Making a key for {}…", request.operator);
                    self.key_request = Some(request);
                    self.focus = Focus::Keys;
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "No key made.".into();
                }
                _ => {}
            },
            Focus::AttachPath(field) => match field.handle(key) {
                Edit::Leave if enter => {
                    let path = unquote(field.text().trim()).to_string();
                    self.focus = Focus::Keys;
                    let Some(control) = self.current_control_id() else {
                        return;
                    };
                    if path.is_empty() {
                        self.status = "Nothing attached: no path given.".into();
                        return;
                    }
                    self.status = format!("{control}: attaching {path}…");
                    self.attach_request = Some(AttachRequest {
                        control,
                        path: std::path::PathBuf::from(path),
                    });
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "Nothing attached.".into();
                }
                _ => {}
            },
            Focus::DetachNumber(field) => match field.handle(key) {
                Edit::Leave if enter => {
                    let text = field.text();
                    self.focus = Focus::Keys;
                    let Some(control) = self.current_control_id() else {
                        return;
                    };
                    let Ok(number) = text.trim().parse::<usize>() else {
                        self.status = format!(
                            "Nothing removed: \"{}\" is not a number.",
                            crate::text::for_terminal(text.trim())
                        );
                        return;
                    };
                    match self.walkthrough.remove_attachment(&control, number) {
                        Ok(a) => {
                            self.dirty = true;
                            self.status = format!(
                                "{control}: removed attachment {number} ({}); it will not be signed.",
                                crate::text::for_terminal(&a.name)
                            );
                        }
                        Err(e) => self.status = format!("Nothing removed: {e}"),
                    }
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "Nothing removed.".into();
                }
                _ => {}
            },
            Focus::CountersignOperator(field) => match field.handle(key) {
                Edit::Leave if enter => {
                    let op = field.text().trim().to_string();
                    if !self.operators.contains(&op) {
                        self.status = format!(
                            "No usable key for \"{}\" in this data directory (have: {}).",
                            crate::text::for_terminal(&op),
                            self.operators.join(", ")
                        );
                        return;
                    }
                    self.status = format!(
                        "Countersign as {op}: a note, then Enter APPROVES; or the reason, then Ctrl-R REJECTS. Esc cancels."
                    );
                    self.focus = Focus::CountersignNote {
                        operator: op,
                        field: TextField::new("", false),
                    };
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "Not countersigned.".into();
                }
                _ => {}
            },
            Focus::CountersignNote { operator, field } => {
                use crate::attest::statement::CountersignVerdict;
                let reject =
                    key.code == KeyCode::Char('r') && key.modifiers.contains(KeyModifiers::CONTROL);
                let verdict = if reject {
                    Some(CountersignVerdict::Rejected)
                } else {
                    match field.handle(key) {
                        Edit::Leave if enter => Some(CountersignVerdict::Approved),
                        Edit::Leave => {
                            self.focus = Focus::Keys;
                            self.status = "Not countersigned.".into();
                            return;
                        }
                        _ => None,
                    }
                };
                let Some(verdict) = verdict else {
                    return;
                };
                let note = field.text().trim().to_string();
                if verdict == CountersignVerdict::Rejected && note.is_empty() {
                    self.status = "A rejection needs a reason: write it, then Ctrl-R.".into();
                    return;
                }
                let operator = std::mem::take(operator);
                self.status = format!(
                    "{} as {operator}: passphrase of {operator}'s key (Enter countersigns, Esc cancels).",
                    verdict.as_str()
                );
                self.focus = Focus::CountersignPassphrase {
                    operator,
                    verdict,
                    note,
                    field: TextField::new("", false),
                };
            }
            Focus::CountersignPassphrase {
                operator,
                verdict,
                note,
                field,
            } => match field.handle(key) {
                Edit::Leave if enter => {
                    let Stage::Signed { seq } = self.walkthrough.stage else {
                        self.focus = Focus::Keys;
                        return;
                    };
                    let request = CountersignRequest {
                        seq,
                        operator: std::mem::take(operator),
                        passphrase: zeroize::Zeroizing::new(field.text()),
                        verdict: *verdict,
                        note: std::mem::take(note),
                    };
                    self.status = format!("Countersigning as {}…", request.operator);
                    self.countersign_request = Some(request);
                    self.focus = Focus::Keys;
                }
                Edit::Leave => {
                    self.focus = Focus::Keys;
                    self.status = "Not countersigned.".into();
                }
                _ => {}
            },
            Focus::Filter(field) => {
                let edit = field.handle(key);
                let text = field.text();
                self.filter_changed(text);
                if edit == Edit::Leave {
                    self.focus = Focus::Keys;
                }
            }
        }
    }

    /// `q`: back to the Overview; from there quit, asking first when the walkthrough is open.
    fn back(&mut self) {
        if self.screen != Screen::Overview {
            self.go(Screen::Overview);
        } else if self.signed() {
            self.quit = true;
        } else {
            self.confirm = Some(Confirm::Quit);
            self.confirm_scroll = 0;
        }
    }

    /// Esc: closes the innermost thing open; never quits.
    fn close(&mut self) {
        if self.confirm.is_some() {
            self.answer(false);
        } else if self.help {
            self.help = false;
        } else if self.pane.is_some() {
            self.pane = None;
        } else if self.screen == Screen::Controls && !self.controls_filter.is_empty() {
            self.controls_filter.clear();
        } else if self.screen == Screen::Findings && !self.findings_filter.is_empty() {
            self.findings_filter.clear();
            self.table_row = 0;
        } else {
            self.status = "Nothing to close. q goes back; on the Overview it quits.".into();
        }
    }

    fn mouse(&mut self, ev: ratatui::crossterm::event::MouseEvent) {
        // A text field has the keyboard and the mouse: moving the selection under an open
        // note editor would send the next keys to another control's note.
        if self.focus != Focus::Keys {
            return;
        }
        let (x, y) = (ev.column, ev.row);
        match ev.kind {
            // Over the Controls detail the wheel scrolls the detail; elsewhere it moves.
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown
                if self.layer().is_none()
                    && self.screen == Screen::Controls
                    && x >= if self.size.0 >= 110 { 38 } else { 26 } =>
            {
                self.detail_scroll = if ev.kind == MouseEventKind::ScrollUp {
                    self.detail_scroll.saturating_sub(3)
                } else {
                    self.detail_scroll.saturating_add(3)
                };
            }
            MouseEventKind::ScrollUp => self.update(Action::Up),
            MouseEventKind::ScrollDown => self.update(Action::Down),
            MouseEventKind::Down(MouseButton::Left) => {
                // Overlays keep the mouse: a click selects nothing underneath.
                if self.layer().is_some() {
                    return;
                }
                if y == 0 {
                    if let Some(screen) = tab_at(x) {
                        self.go(screen);
                    }
                    return;
                }
                match self.screen {
                    Screen::Controls => {
                        let list_width = if self.size.0 >= 110 { 38 } else { 26 };
                        // Body from row 1; the list's border, then one row per control.
                        let inner = self.size.1.saturating_sub(5) as usize;
                        if x == 0 || x + 1 >= list_width || y < 2 || (y - 2) as usize >= inner {
                            return;
                        }
                        let visible = self.visible_controls();
                        let pos = visible
                            .iter()
                            .position(|&i| i == self.selected)
                            .unwrap_or(0);
                        // The list shows the selection on its last row once it scrolls.
                        let offset = pos.saturating_sub(inner.saturating_sub(1));
                        if let Some(&i) = visible.get(offset + (y - 2) as usize) {
                            self.select(i);
                        }
                    }
                    Screen::Findings => {
                        // Tabs, filter line, border, table header, then rows.
                        let inner = self.size.1.saturating_sub(8) as usize;
                        if y < 5 || (y - 5) as usize >= inner {
                            return;
                        }
                        let n = self.table_view().len();
                        let top = self.table_row.min(n.saturating_sub(1));
                        let top = top.saturating_sub(inner.saturating_sub(1));
                        let row = top + (y - 5) as usize;
                        if row < n {
                            self.table_row = row;
                        }
                    }
                    Screen::Overview | Screen::SignOff => {}
                }
            }
            _ => {}
        }
    }
}

/// One piece of evidence in full: the path or command, its digest, what else was noted.
fn evidence_text(e: &crate::host::Evidence) -> String {
    use crate::host::Evidence;
    match e {
        Evidence::File {
            path,
            sha256,
            truncated,
        } => {
            let cut = if *truncated { " (read truncated)" } else { "" };
            format!("- file {path}\n    sha256 {sha256}{cut}")
        }
        Evidence::Command {
            argv,
            exit,
            stdout_sha256,
            note,
        } => {
            let exit = exit.map_or_else(|| "none (not run)".to_string(), |c| c.to_string());
            let mut s = format!(
                "- command {}\n    exit {exit} · stdout sha256 {stdout_sha256}",
                argv.join(" ")
            );
            if let Some(n) = note {
                s.push_str(&format!("\n    {n}"));
            }
            s
        }
        Evidence::Absent { path, reason } => format!("- absent {path}: {reason}"),
    }
}

/// The screen tab under column `x` of the header (` Overview  Controls …`).
fn tab_at(x: u16) -> Option<Screen> {
    let mut start = 0u16;
    for s in Screen::ALL {
        let w = s.title().chars().count() as u16 + 2;
        if x >= start && x < start + w {
            return Some(s);
        }
        start += w + 1;
    }
    None
}

fn step(screen: Screen, by: usize) -> Screen {
    let i = Screen::ALL.iter().position(|s| *s == screen).unwrap_or(0);
    Screen::ALL[(i + by) % Screen::ALL.len()]
}

/// Moves `pos` by `delta` within `0..len`, stopping at the ends.
fn clamp_step(pos: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (pos as isize + delta).clamp(0, len as isize - 1) as usize
}

/// Statuses of `findings` that count as unknown, for the sign-off review.
pub fn unknown_checks(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.status == Status::Unknown && !f.waived())
        .collect()
}
