//! The one keymap table: it maps keys to actions and also renders the footer and the help.

use super::action::{Action, Screen};
use crate::walkthrough::Verdict;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    On(Screen),
    /// Inside an overlay: while it is open only its own bindings work (and Ctrl-C).
    In(Layer),
}

/// An overlay that owns the keyboard while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Help,
    /// A finding with its full evidence.
    Finding,
    /// A yes/no question (quit, the sign-off review).
    Confirm,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Help, Layer::Finding, Layer::Confirm];

    pub fn title(self) -> &'static str {
        match self {
            Layer::Help => "In this help",
            Layer::Finding => "In a finding's evidence",
            Layer::Confirm => "In a confirmation",
        }
    }
}

/// What has the keyboard: an overlay, or the screen (its keys, then the global ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Screen(Screen),
    Layer(Layer),
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the key is written in the footer and help (`Tab`, `1-4`).
    pub label: &'static str,
    pub help: &'static str,
    /// Short words for the footer, where room is scarce.
    pub hint: &'static str,
    pub scope: Scope,
    pub action: Action,
    /// Shown in the footer (the help shows everything).
    pub footer: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! bind {
    ($keys:expr, $label:expr, $help:expr, $hint:expr, $scope:expr, $action:expr, $footer:expr) => {
        Binding {
            keys: $keys,
            label: $label,
            help: $help,
            hint: $hint,
            scope: $scope,
            action: $action,
            footer: $footer,
        }
    };
}

pub fn table() -> Vec<Binding> {
    use Scope::{Global, On};
    use Screen::{Controls, Findings, SignOff};
    vec![
        bind!(
            &[
                (KeyCode::Char('?'), NONE),
                (KeyCode::Char('?'), SHIFT),
                (KeyCode::F(1), NONE)
            ],
            "?/F1",
            "help",
            "help",
            Global,
            Action::ToggleHelp,
            true
        ),
        bind!(
            &[(KeyCode::Tab, NONE)],
            "Tab",
            "next screen",
            "screen",
            Global,
            Action::NextScreen,
            true
        ),
        bind!(
            &[(KeyCode::BackTab, SHIFT), (KeyCode::BackTab, NONE)],
            "S-Tab",
            "previous screen",
            "back screen",
            Global,
            Action::PrevScreen,
            false
        ),
        bind!(
            &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
            "↑/k",
            "move up",
            "up",
            Global,
            Action::Up,
            false
        ),
        bind!(
            &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
            "↓/j",
            "move down",
            "down",
            Global,
            Action::Down,
            false
        ),
        bind!(
            &[(KeyCode::PageUp, NONE)],
            "PgUp",
            "page up (detail, table)",
            "page up",
            Global,
            Action::PageUp,
            false
        ),
        bind!(
            &[(KeyCode::PageDown, NONE)],
            "PgDn",
            "page down (detail, table)",
            "page down",
            Global,
            Action::PageDown,
            false
        ),
        bind!(
            &[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)],
            "Home/g",
            "to the top",
            "top",
            Global,
            Action::Top,
            false
        ),
        bind!(
            &[
                (KeyCode::End, NONE),
                (KeyCode::Char('G'), NONE),
                (KeyCode::Char('G'), SHIFT)
            ],
            "End/G",
            "to the bottom",
            "bottom",
            Global,
            Action::Bottom,
            false
        ),
        bind!(
            &[(KeyCode::Enter, NONE)],
            "Enter",
            "open",
            "open",
            Global,
            Action::Enter,
            false
        ),
        bind!(
            &[(KeyCode::Char('n'), NONE)],
            "n",
            "next control",
            "next",
            Global,
            Action::NextControl,
            true
        ),
        bind!(
            &[(KeyCode::Char('p'), NONE)],
            "p",
            "previous control",
            "prev",
            Global,
            Action::PrevControl,
            false
        ),
        bind!(
            &[(KeyCode::Char('1'), NONE)],
            "1",
            "verdict PASSED",
            "pass",
            On(Controls),
            Action::SetVerdict(Verdict::Passed),
            true
        ),
        bind!(
            &[(KeyCode::Char('2'), NONE)],
            "2",
            "verdict FAILED",
            "fail",
            On(Controls),
            Action::SetVerdict(Verdict::Failed),
            true
        ),
        bind!(
            &[(KeyCode::Char('3'), NONE)],
            "3",
            "verdict WARNED",
            "warn",
            On(Controls),
            Action::SetVerdict(Verdict::Warned),
            true
        ),
        bind!(
            &[(KeyCode::Char('4'), NONE)],
            "4",
            "verdict NOT_APPLICABLE",
            "n/a",
            On(Controls),
            Action::SetVerdict(Verdict::NotApplicable),
            true
        ),
        bind!(
            &[(KeyCode::Char('0'), NONE)],
            "0",
            "back to NOT_ASSESSED",
            "clear",
            On(Controls),
            Action::SetVerdict(Verdict::NotAssessed),
            false
        ),
        bind!(
            &[(KeyCode::Char('e'), NONE)],
            "e",
            "edit note (Esc keeps it)",
            "note",
            On(Controls),
            Action::EditNote,
            true
        ),
        bind!(
            &[(KeyCode::Char('a'), NONE)],
            "a",
            "attach a file as evidence (its path)",
            "attach",
            On(Controls),
            Action::Attach,
            true
        ),
        bind!(
            &[(KeyCode::Char('d'), NONE)],
            "d",
            "remove an attachment (its number)",
            "detach",
            On(Controls),
            Action::Detach,
            false
        ),
        bind!(
            &[(KeyCode::Char('c'), NONE)],
            "c",
            "countersign the signed record (another operator)",
            "countersign",
            On(SignOff),
            Action::Countersign,
            true
        ),
        bind!(
            &[(KeyCode::Enter, NONE)],
            "Enter",
            "sign the walkthrough",
            "sign",
            On(SignOff),
            Action::Enter,
            true
        ),
        bind!(
            &[(KeyCode::Char('x'), NONE)],
            "x",
            "export the summary (HTML + text)",
            "export",
            On(SignOff),
            Action::ExportSummary,
            true
        ),
        bind!(
            &[(KeyCode::Char('k'), NONE)],
            "k",
            "make a signing key (key generate)",
            "new key",
            On(SignOff),
            Action::GenerateKey,
            true
        ),
        bind!(
            &[(KeyCode::Enter, NONE)],
            "Enter",
            "open the check's finding and evidence",
            "evidence",
            On(Findings),
            Action::Enter,
            true
        ),
        bind!(
            &[(KeyCode::Char('y'), NONE)],
            "y",
            "copy the check's finding as text",
            "copy",
            On(Findings),
            Action::Copy,
            false
        ),
        bind!(
            &[(KeyCode::Left, NONE), (KeyCode::Char('h'), NONE)],
            "←/h",
            "previous table",
            "prev table",
            On(Findings),
            Action::Left,
            false
        ),
        bind!(
            &[(KeyCode::Right, NONE), (KeyCode::Char('l'), NONE)],
            "→/l",
            "next table",
            "next table",
            On(Findings),
            Action::Right,
            true
        ),
        bind!(
            &[(KeyCode::Char('o'), NONE)],
            "o",
            "sort by next column",
            "sort",
            On(Findings),
            Action::CycleSort,
            true
        ),
        bind!(
            &[(KeyCode::Char('r'), NONE)],
            "r",
            "reverse sort",
            "reverse",
            On(Findings),
            Action::ReverseSort,
            false
        ),
        bind!(
            &[(KeyCode::Char('s'), NONE)],
            "s",
            "go to sign-off",
            "sign-off",
            Global,
            Action::GoTo(Screen::SignOff),
            false
        ),
        bind!(
            &[(KeyCode::Char('q'), NONE)],
            "q",
            "back; on the Overview quit (asks first)",
            "back/quit",
            Global,
            Action::Back,
            true
        ),
        bind!(
            &[(KeyCode::Esc, NONE)],
            "Esc",
            "close the filter (never quits)",
            "close",
            Global,
            Action::Close,
            false
        ),
        bind!(
            &[(KeyCode::Char('/'), NONE)],
            "/",
            "filter",
            "filter",
            Global,
            Action::StartFilter,
            true
        ),
        bind!(
            &[(KeyCode::Char('c'), CTRL)],
            "C-c",
            "quit at once (work is saved)",
            "quit",
            Global,
            Action::Quit,
            false
        ),
    ]
    .into_iter()
    .chain(layer_bindings())
    .collect()
}

/// Keys inside the overlays. Scrolling keys are the same everywhere.
fn layer_bindings() -> Vec<Binding> {
    use Scope::In;
    let mut out = Vec::new();
    for layer in [Layer::Help, Layer::Finding, Layer::Confirm] {
        out.extend([
            bind!(
                &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
                "↑/k",
                "scroll up",
                "up",
                In(layer),
                Action::Up,
                false
            ),
            bind!(
                &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
                "↓/j",
                "scroll down",
                "down",
                In(layer),
                Action::Down,
                true
            ),
            bind!(
                &[(KeyCode::PageUp, NONE)],
                "PgUp",
                "page up",
                "page up",
                In(layer),
                Action::PageUp,
                false
            ),
            bind!(
                &[(KeyCode::PageDown, NONE), (KeyCode::Char(' '), NONE)],
                "PgDn",
                "page down",
                "page",
                In(layer),
                Action::PageDown,
                true
            ),
            bind!(
                &[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)],
                "Home/g",
                "to the top",
                "top",
                In(layer),
                Action::Top,
                false
            ),
            bind!(
                &[
                    (KeyCode::End, NONE),
                    (KeyCode::Char('G'), NONE),
                    (KeyCode::Char('G'), SHIFT)
                ],
                "End/G",
                "to the bottom",
                "bottom",
                In(layer),
                Action::Bottom,
                false
            ),
        ]);
        match layer {
            Layer::Help => out.push(bind!(
                &[
                    (KeyCode::Esc, NONE),
                    (KeyCode::Char('q'), NONE),
                    (KeyCode::Char('?'), NONE),
                    (KeyCode::Char('?'), SHIFT),
                    (KeyCode::F(1), NONE)
                ],
                "Esc/q/?",
                "close the help",
                "close",
                In(layer),
                Action::Close,
                true
            )),
            Layer::Finding => out.extend([
                bind!(
                    &[
                        (KeyCode::Char('?'), NONE),
                        (KeyCode::Char('?'), SHIFT),
                        (KeyCode::F(1), NONE)
                    ],
                    "?/F1",
                    "help",
                    "help",
                    In(layer),
                    Action::ToggleHelp,
                    false
                ),
                bind!(
                    &[(KeyCode::Char('y'), NONE)],
                    "y",
                    "copy summary and evidence as text",
                    "copy",
                    In(layer),
                    Action::Copy,
                    true
                ),
                bind!(
                    &[(KeyCode::Char('c'), NONE)],
                    "c",
                    "go to the control that uses the check",
                    "control",
                    In(layer),
                    Action::OpenControl,
                    true
                ),
                bind!(
                    &[
                        (KeyCode::Esc, NONE),
                        (KeyCode::Char('q'), NONE),
                        (KeyCode::Enter, NONE)
                    ],
                    "Esc/q",
                    "close the finding",
                    "close",
                    In(layer),
                    Action::Close,
                    true
                ),
            ]),
            Layer::Confirm => out.extend([
                bind!(
                    &[
                        (KeyCode::Char('y'), NONE),
                        (KeyCode::Char('Y'), SHIFT),
                        (KeyCode::Enter, NONE)
                    ],
                    "y/Enter",
                    "yes, go on",
                    "yes",
                    In(layer),
                    Action::Confirm(true),
                    true
                ),
                bind!(
                    &[
                        (KeyCode::Char('n'), NONE),
                        (KeyCode::Char('N'), SHIFT),
                        (KeyCode::Esc, NONE),
                        (KeyCode::Char('q'), NONE)
                    ],
                    "n/Esc",
                    "no, go back",
                    "no",
                    In(layer),
                    Action::Confirm(false),
                    true
                ),
            ]),
        }
    }
    out
}

/// The action for a key on `screen`, screen bindings before global ones.
pub fn lookup(table: &[Binding], screen: Screen, key: &KeyEvent) -> Option<Action> {
    lookup_in(table, Context::Screen(screen), key)
}

/// The action for a key in `context`. An overlay's context matches only the overlay's own
/// bindings: nothing reaches the screen underneath.
pub fn lookup_in(table: &[Binding], context: Context, key: &KeyEvent) -> Option<Action> {
    let screen = match context {
        Context::Layer(layer) => {
            return table
                .iter()
                .filter(|b| b.scope == Scope::In(layer))
                .find(|b| binds(b, key))
                .map(|b| b.action.clone());
        }
        Context::Screen(screen) => screen,
    };
    let matches = |b: &&Binding| binds(b, key);
    table
        .iter()
        .filter(|b| b.scope == Scope::On(screen))
        .find(matches)
        .or_else(|| {
            table
                .iter()
                .filter(|b| b.scope == Scope::Global)
                .find(matches)
        })
        .map(|b| b.action.clone())
}

fn binds(b: &Binding, key: &KeyEvent) -> bool {
    b.keys.iter().any(|(code, mods)| {
        *code == key.code
            && (*mods == key.modifiers
                || (key.modifiers == SHIFT && is_shifted_char(key.code) && *mods == NONE))
    })
}

/// Terminals report `?` or `/` with SHIFT on some layouts; the character alone decides.
fn is_shifted_char(code: KeyCode) -> bool {
    matches!(code, KeyCode::Char(c) if !c.is_ascii_alphabetic())
}

/// Footer hints for `context`: label and short words of the bindings marked for the footer
/// that `enabled` allows in the current state (no "sign" once signed, no `/` with nothing to
/// filter). A screen binding hides a global one on the same key.
pub fn footer(
    table: &[Binding],
    context: Context,
    enabled: impl Fn(&Binding) -> bool,
) -> Vec<(&'static str, &'static str)> {
    let applies = |b: &Binding| match context {
        Context::Layer(layer) => b.scope == Scope::In(layer),
        Context::Screen(screen) => {
            b.scope == Scope::On(screen)
                || (b.scope == Scope::Global
                    && !table.iter().any(|o| {
                        o.scope == Scope::On(screen) && o.keys.iter().any(|k| b.keys.contains(k))
                    }))
        }
    };
    table
        .iter()
        .filter(|b| b.footer && applies(b) && enabled(b))
        .map(|b| (b.label, b.hint))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, NONE)
    }

    #[test]
    fn digits_set_verdicts_only_on_controls() {
        let t = table();
        assert_eq!(
            lookup(&t, Screen::Controls, &key(KeyCode::Char('2'))),
            Some(Action::SetVerdict(Verdict::Failed))
        );
        assert_eq!(lookup(&t, Screen::Overview, &key(KeyCode::Char('2'))), None);
    }

    #[test]
    fn core_keys_of_the_design() {
        let t = table();
        let on = |s, k| lookup(&t, s, &key(k));
        assert_eq!(on(Screen::Overview, KeyCode::Tab), Some(Action::NextScreen));
        assert_eq!(
            lookup(
                &t,
                Screen::Overview,
                &KeyEvent::new(KeyCode::BackTab, SHIFT)
            ),
            Some(Action::PrevScreen)
        );
        assert_eq!(
            on(Screen::Findings, KeyCode::Char('n')),
            Some(Action::NextControl)
        );
        assert_eq!(
            on(Screen::Controls, KeyCode::Char('e')),
            Some(Action::EditNote)
        );
        assert_eq!(
            on(Screen::Findings, KeyCode::Char('/')),
            Some(Action::StartFilter)
        );
        assert_eq!(
            on(Screen::Controls, KeyCode::Char('s')),
            Some(Action::GoTo(Screen::SignOff))
        );
        assert_eq!(on(Screen::SignOff, KeyCode::F(1)), Some(Action::ToggleHelp));
        assert_eq!(
            lookup(
                &t,
                Screen::Overview,
                &KeyEvent::new(KeyCode::Char('?'), SHIFT)
            ),
            Some(Action::ToggleHelp)
        );
        assert_eq!(
            lookup(
                &t,
                Screen::Controls,
                &KeyEvent::new(KeyCode::Char('c'), CTRL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(on(Screen::Controls, KeyCode::Char('x')), None);
    }

    #[test]
    fn footer_comes_from_the_table() {
        let t = table();
        let all = |_: &Binding| true;
        let controls = footer(&t, Context::Screen(Screen::Controls), all);
        assert!(controls.contains(&("1", "pass")));
        assert!(!footer(&t, Context::Screen(Screen::Overview), all).contains(&("1", "pass")));
        let none = footer(&t, Context::Screen(Screen::Controls), |b| {
            !matches!(b.action, Action::SetVerdict(_))
        });
        assert!(!none.contains(&("1", "pass")));
    }
}
