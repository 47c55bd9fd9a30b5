//! TUI state and the one `update` that changes it.

use super::action::{Action, Screen, SignedRecord};
use super::editor::{Edit, TextField};
use super::keymap::{self, Binding};
use super::tables::{self, FactTable};
use crate::checklist::Checklist;
use crate::checks::{Area, Finding};
use crate::policy::Policy;
use crate::scan::Scan;
use crate::walkthrough::{Verdict, VerdictError, Walkthrough};

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

/// The inspection as the TUI sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inspection {
    Running {
        requested: Vec<Area>,
        done: Vec<Area>,
    },
    Done(Box<Scan>),
}

pub struct App {
    pub screen: Screen,
    pub help: bool,
    pub checklist: Checklist,
    pub policy: Policy,
    pub walkthrough: Walkthrough,
    pub inspection: Inspection,
    pub keymap: Vec<Binding>,
    /// Index into `checklist.controls` of the selected control.
    pub selected: usize,
    pub detail_scroll: u16,
    pub focus: Focus,
    /// PASSED waiting for its justification note.
    pub pending_verdict: Option<Verdict>,
    pub controls_filter: String,
    pub findings_filter: String,
    pub tables: Vec<FactTable>,
    pub table_index: usize,
    pub table_row: usize,
    /// None: the table's own order (checks: worst first).
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
    /// Operators with a key in the data directory (for the Sign-off screen).
    pub operators: Vec<String>,
    pub operator: String,
    pub signing: Signing,
    /// Set by `update`, taken by the event loop.
    pub sign_request: Option<SignRequest>,
    /// Set by `update`, taken by the event loop.
    pub export_request: bool,
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
            focus: Focus::Keys,
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
            export_request: false,
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

    /// Maps a key to an action in the current context: a focused text field takes every key
    /// but Ctrl-C.
    pub fn action_for_key(&self, key: &ratatui::crossterm::event::KeyEvent) -> Option<Action> {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match self.focus {
            Focus::Keys => keymap::lookup(&self.keymap, self.screen, key),
            _ if ctrl_c => Some(Action::Quit),
            _ => Some(Action::TextInput(*key)),
        }
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::NextScreen => self.go(step(self.screen, 1)),
            Action::PrevScreen => self.go(step(self.screen, Screen::ALL.len() - 1)),
            Action::GoTo(s) => self.go(s),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.page(-1),
            Action::PageDown => self.page(1),
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
            Action::ToggleHelp => self.help = !self.help,
            Action::Back => self.back(),
            Action::Quit | Action::Terminate => self.quit = true,
            Action::Key(key) => {
                if let Some(action) = self.action_for_key(&key) {
                    self.update(action);
                }
            }
            Action::TextInput(key) => self.text_input(&key),
            Action::Resize(w, h) => self.size = (w, h),
            Action::Signed(result) => self.signed(result),
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
                self.tables = tables::build(&scan);
                self.inspection = Inspection::Done(scan);
            }
        }
    }

    fn go(&mut self, screen: Screen) {
        self.help = false;
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
            Screen::Overview | Screen::SignOff => {}
        }
    }

    fn page(&mut self, dir: isize) {
        match self.screen {
            Screen::Findings => {
                let n = self.table_view().len();
                self.table_row = clamp_step(self.table_row, dir * 10, n);
            }
            _ => {
                self.detail_scroll = if dir < 0 {
                    self.detail_scroll.saturating_sub(PAGE)
                } else {
                    self.detail_scroll.saturating_add(PAGE)
                };
            }
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
        self.screen = Screen::Controls;
        self.help = false;
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
                // On the checks table, Enter opens the first control that uses the check.
                let view = self.table_view();
                let Some(table) = self.tables.get(self.table_index) else {
                    return;
                };
                if table.title != "Checks" {
                    return;
                }
                let Some(row) = view.get(self.table_row).and_then(|&i| table.rows.get(i)) else {
                    return;
                };
                let check = row[1].clone();
                if let Some(i) = self
                    .checklist
                    .controls
                    .iter()
                    .position(|c| c.checks.contains(&check))
                {
                    self.select(i);
                    self.go(Screen::Controls);
                } else {
                    self.status = format!("No control of this checklist uses {check}.");
                }
            }
            Screen::SignOff => self.start_signing(),
            Screen::Controls => {}
        }
    }

    fn start_signing(&mut self) {
        if matches!(
            self.walkthrough.stage,
            crate::walkthrough::Stage::Signed { .. }
        ) {
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
        let suggested = if self.operator.is_empty() {
            self.operators.first().cloned().unwrap_or_default()
        } else {
            self.operator.clone()
        };
        self.focus = Focus::Operator(TextField::new(&suggested, false));
        self.status = "Operator id (Enter to continue, Esc to cancel).".into();
    }

    fn signed(&mut self, result: Result<SignedRecord, String>) {
        match result {
            Ok(rec) => {
                self.walkthrough.stage = crate::walkthrough::Stage::Signed { seq: rec.seq };
                self.dirty = true;
                self.status = format!(
                    "Signed: {} (head {}:{}).",
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
                    "{id}: {checks} fails. Write why it passes anyway; Esc records PASSED with the note."
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
        if let Some(id) = self.current_control_id() {
            self.open_note_editor();
            self.status =
                format!("{id}: editing the note. Every key is text; Esc leaves and keeps it.");
        }
    }

    fn start_filter(&mut self) {
        let current = match self.screen {
            Screen::Controls => self.controls_filter.clone(),
            Screen::Findings => self.findings_filter.clone(),
            Screen::Overview | Screen::SignOff => return,
        };
        self.focus = Focus::Filter(TextField::new(&current, false));
    }

    fn text_input(&mut self, key: &ratatui::crossterm::event::KeyEvent) {
        match &mut self.focus {
            Focus::Keys => {}
            Focus::Note(field) => {
                let edit = field.handle(key);
                let text = field.text();
                let Some(id) = self.current_control_id() else {
                    return;
                };
                if edit == Edit::Changed {
                    // Saved on every key, so a crash loses nothing typed.
                    match self.walkthrough.set_note(&id, &text) {
                        Ok(()) => self.dirty = true,
                        Err(e) => self.status = e.to_string(),
                    }
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
                Edit::Leave if key.code == ratatui::crossterm::event::KeyCode::Enter => {
                    let op = field.text().trim().to_string();
                    if op.is_empty() {
                        self.status = "An operator id is needed to sign.".into();
                        return;
                    }
                    if !self.operators.is_empty() && !self.operators.contains(&op) {
                        self.status = format!(
                            "No key for \"{op}\" in this data directory (have: {}). Make one with `stationward key generate --operator {op}`.",
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
                Edit::Leave if key.code == ratatui::crossterm::event::KeyCode::Enter => {
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
            Focus::Filter(field) => {
                let edit = field.handle(key);
                let text = field.text();
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
                if edit == Edit::Leave {
                    self.focus = Focus::Keys;
                }
            }
        }
    }

    fn back(&mut self) {
        if self.help {
            self.help = false;
        } else if self.screen != Screen::Overview {
            self.screen = Screen::Overview;
        } else {
            self.quit = true;
        }
    }
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
