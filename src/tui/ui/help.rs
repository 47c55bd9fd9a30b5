//! Help overlay, generated from the keymap table: keys that work everywhere on the left,
//! screen keys on the right.

use crate::tui::action::Screen;
use crate::tui::app::App;
use crate::tui::keymap::{Binding, Scope};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let entry = |b: &Binding| {
        Line::from(vec![
            Span::styled(format!("{:<6}", b.label), theme.key),
            Span::raw(b.help.to_string()),
        ])
    };
    let left: Vec<Line> = std::iter::once(Line::styled("Everywhere", theme.title))
        .chain(
            app.keymap
                .iter()
                .filter(|b| b.scope == Scope::Global)
                .map(entry),
        )
        .collect();
    let mut right: Vec<Line> = Vec::new();
    for screen in Screen::ALL {
        let mine: Vec<&Binding> = app
            .keymap
            .iter()
            .filter(|b| b.scope == Scope::On(screen))
            .collect();
        if mine.is_empty() {
            continue;
        }
        if !right.is_empty() {
            right.push(Line::from(""));
        }
        right.push(Line::styled(screen.title(), theme.title));
        right.extend(mine.into_iter().map(entry));
    }
    right.push(Line::from(""));
    right.push(Line::styled("In the note editor and filters", theme.title));
    right.push(Line::raw("every key is text; Esc leaves"));
    right.push(Line::raw("and keeps it. Work is saved"));
    right.push(Line::raw("after every change."));

    let rows = left.len().max(right.len()) as u16 + 2;
    let popup = area.centered(
        Constraint::Length(area.width.min(78)),
        Constraint::Length(rows.min(area.height)),
    );
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(Span::styled(" Keys — q or ? closes ", theme.title));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [l, r] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
}
