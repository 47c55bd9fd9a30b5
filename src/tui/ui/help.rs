//! Help overlay, generated from the keymap table: keys that work everywhere, each screen's
//! keys, then the keys inside overlays. One column that scrolls, so every binding is
//! reachable at any size the app draws at.

use crate::tui::action::Screen;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, Layer, Scope};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// The help's lines as (key label, text); a heading has an empty label.
pub fn entries(keymap: &[Binding]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let group = |title: &str, scope: Scope, out: &mut Vec<(&'static str, String)>| {
        let mine: Vec<&Binding> = keymap.iter().filter(|b| b.scope == scope).collect();
        if mine.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push(("", String::new()));
        }
        out.push(("", title.to_string()));
        out.extend(mine.into_iter().map(|b| (b.label, b.help.to_string())));
    };
    group("Everywhere", Scope::Global, &mut out);
    for screen in Screen::ALL {
        group(screen.title(), Scope::On(screen), &mut out);
    }
    for layer in Layer::ALL {
        group(layer.title(), Scope::In(layer), &mut out);
    }
    out.push(("", String::new()));
    out.push(("", "In the note editor, filters and prompts".into()));
    for text in [
        "every key is text; Esc leaves (a note is kept).",
        "Pasted text goes into the field; elsewhere it",
        "is ignored, never read as keys.",
        "Mouse: click a control, row or tab; the wheel",
        "scrolls (--no-mouse turns it off).",
        "Work is saved after every change.",
    ] {
        out.push(("", format!("  {text}")));
    }
    out
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = entries(&app.keymap)
        .into_iter()
        .map(|(label, text)| {
            if label.is_empty() {
                let style = if text.starts_with(' ') {
                    theme.base
                } else {
                    theme.title
                };
                Line::styled(text, style)
            } else {
                Line::from(vec![
                    Span::styled(format!(" {label:<8}"), theme.key),
                    Span::raw(text),
                ])
            }
        })
        .collect();
    let rows = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(
        Constraint::Length(area.width.min(60)),
        Constraint::Length(rows),
    );
    let inner = rows.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(inner);
    let scroll = app.help_scroll.min(max_scroll);
    let position = if max_scroll == 0 {
        String::new()
    } else if scroll < max_scroll {
        format!(" ↓/PgDn more ({}/{}) ", scroll + inner, lines.len())
    } else {
        " end · ↑/PgUp back ".to_string()
    };
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(" Keys — Esc, q or ? closes ", theme.title))
        .title_bottom(Span::styled(position, theme.dim));
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((scroll, 0)),
        popup,
    );
}
