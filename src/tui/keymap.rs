//! The one keymap table: it maps keys to actions and also renders the footer and the help.

use super::action::{Action, Screen};
use crate::walkthrough::Verdict;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    On(Screen),
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
            "scroll detail up",
            "page up",
            Global,
            Action::PageUp,
            false
        ),
        bind!(
            &[(KeyCode::PageDown, NONE)],
            "PgDn",
            "scroll detail down",
            "page down",
            Global,
            Action::PageDown,
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
            &[(KeyCode::Left, NONE), (KeyCode::Char('h'), NONE)],
            "←/h",
            "previous table",
            "table",
            On(Findings),
            Action::Left,
            true
        ),
        bind!(
            &[(KeyCode::Right, NONE), (KeyCode::Char('l'), NONE)],
            "→/l",
            "next table",
            "table",
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
            &[(KeyCode::Char('q'), NONE), (KeyCode::Esc, NONE)],
            "q",
            "back / quit",
            "back/quit",
            Global,
            Action::Back,
            true
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
            "quit (saved)",
            "quit",
            Global,
            Action::Quit,
            false
        ),
    ]
}

/// The action for a key on `screen`, screen bindings before global ones.
pub fn lookup(table: &[Binding], screen: Screen, key: &KeyEvent) -> Option<Action> {
    let matches = |b: &&Binding| {
        b.keys.iter().any(|(code, mods)| {
            *code == key.code
                && (*mods == key.modifiers
                    || (key.modifiers == SHIFT && is_shifted_char(key.code) && *mods == NONE))
        })
    };
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

/// Terminals report `?` or `/` with SHIFT on some layouts; the character alone decides.
fn is_shifted_char(code: KeyCode) -> bool {
    matches!(code, KeyCode::Char(c) if !c.is_ascii_alphabetic())
}

/// Footer hints for `screen`: label and short help of the bindings marked for the footer.
pub fn footer(table: &[Binding], screen: Screen) -> Vec<(&'static str, &'static str)> {
    table
        .iter()
        .filter(|b| b.footer && (b.scope == Scope::Global || b.scope == Scope::On(screen)))
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
        let controls = footer(&t, Screen::Controls);
        assert!(controls.contains(&("1", "pass")));
        assert!(!footer(&t, Screen::Overview).contains(&("1", "pass")));
    }
}
