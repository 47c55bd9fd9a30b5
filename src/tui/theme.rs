//! Every colour the TUI uses. Status always carries a glyph and a word as well.

use crate::checks::Status;
use crate::walkthrough::Verdict;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub tab_active: Style,
    pub selected: Style,
    pub key: Style,
    pub pass: Style,
    pub warn: Style,
    pub fail: Style,
    pub unknown: Style,
    pub na: Style,
    pub status_line: Style,
    pub editor: Style,
}

impl Theme {
    pub fn default_dark() -> Theme {
        Theme {
            base: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            title: Style::new().add_modifier(Modifier::BOLD),
            tab_active: Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            pass: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            fail: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            unknown: Style::new().fg(Color::Magenta),
            na: Style::new().fg(Color::DarkGray),
            status_line: Style::new().fg(Color::Cyan),
            editor: Style::new().fg(Color::Yellow),
        }
    }

    /// NO_COLOR: emphasis only through bold, reverse and underline.
    pub fn mono() -> Theme {
        let plain = Style::new();
        Theme {
            base: plain,
            dim: plain,
            title: plain.add_modifier(Modifier::BOLD),
            tab_active: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            key: plain.add_modifier(Modifier::BOLD),
            pass: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            fail: plain.add_modifier(Modifier::BOLD),
            unknown: plain.add_modifier(Modifier::UNDERLINED),
            na: plain,
            status_line: plain.add_modifier(Modifier::BOLD),
            editor: plain.add_modifier(Modifier::BOLD),
        }
    }

    pub fn from_env() -> Theme {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Theme::mono()
        } else {
            Theme::default_dark()
        }
    }

    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Pass => self.pass,
            Status::Warn => self.warn,
            Status::Fail => self.fail,
            Status::Unknown => self.unknown,
            Status::NotApplicable => self.na,
        }
    }

    pub fn verdict(&self, v: Verdict) -> Style {
        match v {
            Verdict::Passed => self.pass,
            Verdict::Warned => self.warn,
            Verdict::Failed => self.fail,
            Verdict::NotApplicable => self.na,
            Verdict::NotAssessed => self.dim,
        }
    }
}
