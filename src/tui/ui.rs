//! Drawing. Reads `App`, never changes it.

pub mod confirm;
mod controls;
mod findings;
pub mod help;
mod overview;
pub mod pane;
pub mod signoff;

use super::action::Screen;
use super::app::{App, Focus, Inspection};
use super::keymap;
use super::theme::Theme;
use crate::text::{truncate, width};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, theme, frame);
        return;
    }
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, theme, frame, header);
    match app.screen {
        Screen::Overview => overview::render(app, theme, frame, body),
        Screen::Controls => controls::render(app, theme, frame, body),
        Screen::Findings => findings::render(app, theme, frame, body),
        Screen::SignOff => signoff::render(app, theme, frame, body),
    }
    render_status(app, theme, frame, status);
    render_footer(app, theme, frame, footer);
    // Overlays, innermost last so it is on top.
    if app.pane.is_some() {
        pane::render(app, theme, frame, body);
    }
    if app.help {
        help::render(app, theme, frame, body);
    }
    if let Some(c) = app.confirm {
        confirm::render(app, c, theme, frame, body);
    }
}

fn too_small(area: Rect, theme: &Theme, frame: &mut Frame) {
    let text = format!(
        "Terminal too small: stationward needs at least {MIN_WIDTH}x{MIN_HEIGHT}, this is {}x{}. \
         Enlarge the window; your work is saved. q quits.",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.base)
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn render_header(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    for s in Screen::ALL {
        let style = if s == app.screen {
            theme.tab_active
        } else {
            theme.dim
        };
        spans.push(Span::styled(format!(" {} ", s.title()), style));
        spans.push(Span::raw(" "));
    }
    let used: usize = spans.iter().map(|s| width(&s.content)).sum();
    let host = if app.walkthrough.host.hostname.is_empty() {
        "-"
    } else {
        &app.walkthrough.host.hostname
    };
    let signed = if app.signed() { "SIGNED · " } else { "" };
    // The hostname is read from the inspected host: escaped, so a bidi override cannot reorder
    // the header.
    let right = crate::text::for_terminal(&format!(
        "{signed}{host} · {} {}",
        app.checklist.id, app.checklist.version
    ))
    .into_owned();
    let room = (area.width as usize).saturating_sub(used + 1);
    let right = truncate(&right, room);
    let pad = room.saturating_sub(width(&right));
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(right, theme.title));
    frame.render_widget(Line::from(spans), area);
}

fn render_status(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    if let Some(e) = &app.save_error {
        let text = format!(
            "NOT SAVED — kept in memory, retrying: {}",
            crate::text::for_terminal(e)
        );
        let line = truncate(&text, area.width as usize);
        let style = theme
            .fail
            .add_modifier(ratatui::style::Modifier::BOLD | ratatui::style::Modifier::REVERSED);
        frame.render_widget(Paragraph::new(line).style(style), area);
        return;
    }
    let text = match (&app.inspection, app.status.is_empty()) {
        (Inspection::Running { requested, done }, true) => {
            let waiting: Vec<&str> = requested
                .iter()
                .filter(|a| !done.contains(a))
                .map(|a| a.as_str())
                .collect();
            format!(
                "Inspecting {} of {} areas… still reading: {}",
                done.len(),
                requested.len(),
                waiting.join(", ")
            )
        }
        _ => app.status.clone(),
    };
    let line = truncate(&text, area.width as usize);
    frame.render_widget(Paragraph::new(line).style(theme.status_line), area);
}

fn render_footer(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let hints: Vec<(&str, &str)> = match app.focus {
        Focus::Note(_) => vec![
            ("Esc", "leave, note kept"),
            ("Enter", "new line"),
            ("C-c", "quit (saved)"),
        ],
        Focus::Filter(_) => vec![("Esc/Enter", "done"), ("C-u", "clear"), ("C-c", "quit")],
        Focus::Operator(_)
        | Focus::Passphrase(_)
        | Focus::NewOperator(_)
        | Focus::NewPassphrase { .. }
        | Focus::RepeatPassphrase { .. }
        | Focus::AttachPath(_)
        | Focus::DetachNumber(_)
        | Focus::CountersignOperator(_)
        | Focus::CountersignPassphrase { .. } => {
            vec![("Enter", "continue"), ("Esc", "cancel"), ("C-c", "quit")]
        }
        Focus::CountersignNote { .. } => vec![
            ("Enter", "approve"),
            ("C-r", "reject (note = reason)"),
            ("Esc", "cancel"),
        ],
        Focus::Keys => keymap::footer(&app.keymap, app.context(), |b| app.enabled(b)),
    };
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (key, help) in hints {
        let len = width(key) + width(help) + 3;
        if used + len > area.width as usize {
            break;
        }
        used += len;
        spans.push(Span::styled(key.to_string(), theme.key));
        spans.push(Span::styled(format!(" {help}  "), theme.dim));
    }
    frame.render_widget(Line::from(spans), area);
}

/// Label and style for a count of a status, e.g. `✘ 3`.
pub(super) fn count_span(glyph: &str, n: usize, style: ratatui::style::Style) -> Span<'static> {
    Span::styled(format!("{glyph} {n:<3} "), style)
}
