//! Everything that can change the TUI's state. Keys, the inspection worker and signals all
//! become actions; `App::update` is the only place they take effect.

use crate::checks::Area;
use crate::scan::Scan;
use crate::walkthrough::Verdict;
use ratatui::crossterm::event::{KeyEvent, MouseEvent};

/// What the Sign-off screen shows once the ledger has the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRecord {
    pub record: std::path::PathBuf,
    pub seq: u64,
    pub sha256: String,
    pub keyid: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Overview,
    Controls,
    Findings,
    SignOff,
}

impl Screen {
    pub const ALL: [Screen; 4] = [
        Screen::Overview,
        Screen::Controls,
        Screen::Findings,
        Screen::SignOff,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Overview => "Overview",
            Screen::Controls => "Controls",
            Screen::Findings => "Findings",
            Screen::SignOff => "Sign-off",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    NextScreen,
    PrevScreen,
    GoTo(Screen),
    Up,
    Down,
    PageUp,
    PageDown,
    Left,
    Right,
    Enter,
    NextControl,
    PrevControl,
    SetVerdict(Verdict),
    EditNote,
    StartFilter,
    CycleSort,
    ReverseSort,
    ToggleHelp,
    /// `q`: go back to the Overview; there, quit (after a confirmation when unsigned).
    Back,
    /// Esc: close the innermost thing open (overlay, filter); never quits.
    Close,
    /// Home/g, End/G: first or last row, top or bottom of a pane.
    Top,
    Bottom,
    /// The answer to the open confirmation.
    Confirm(bool),
    /// Findings: copy the selected check's finding as text (OSC 52).
    Copy,
    /// From a finding's pane: the control that uses the check.
    OpenControl,
    /// Sign-off: make an operator key (operator id, passphrase twice).
    GenerateKey,
    /// Controls: attach a file (asks for its path) to the selected control.
    Attach,
    /// Controls: remove one of the selected control's attachments (asks for its number).
    Detach,
    /// The event loop's answer to an attach request: what was attached, or why not.
    Attached(Result<String, String>),
    /// Sign-off, signed walkthrough: a second person countersigns the record.
    Countersign,
    /// The countersign worker's answer: what was recorded, or why not.
    Countersigned(Result<String, String>),
    /// The key worker's answer: (operator, fingerprint), or why not.
    KeyGenerated(Result<(String, String), String>),
    /// Where the copied text went, or why not.
    Copied(Result<String, String>),
    /// A bracketed paste: goes into the focused text field, never read as keys.
    Paste(String),
    Mouse(MouseEvent),
    Quit,
    /// A key as read from the terminal; `update` resolves it through the keymap, or hands it
    /// to the focused text field.
    Key(KeyEvent),
    /// A key while a text field (note editor, filter) has focus.
    TextInput(KeyEvent),
    Resize(u16, u16),
    InspectionProgress(Area),
    FindingsReady(Box<Scan>),
    /// The operators who have a key in the data directory (read when Sign-off opens).
    Operators(Vec<String>),
    /// Sign-off: write the summary (HTML and text) into the data directory.
    ExportSummary,
    /// Where the summary went, or why it did not.
    Exported(Result<Vec<std::path::PathBuf>, String>),
    /// The signing worker's answer: the record written, or why not.
    Signed(Result<SignedRecord, String>),
    /// SIGTERM / SIGHUP: save and leave.
    Terminate,
}
