//! A finding opened from the Findings screen: summary, details, waiver and every piece of
//! evidence (paths, digests, commands) in full, scrollable.

use crate::text::{for_terminal_lines, wrap};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// The finding's text wrapped to `width` cells, escaped for the terminal.
pub fn lines(app: &App, check: &str, width: usize) -> Vec<String> {
    let text = app
        .finding_text(check)
        .unwrap_or_else(|| format!("{check}: no finding in this scan."));
    let text = for_terminal_lines(&text);
    let mut out = Vec::new();
    for para in text.lines() {
        // Keep the evidence's own indentation when wrapping.
        let indent: String = para.chars().take_while(|c| *c == ' ').collect();
        out.extend(wrap(para.trim_start(), width, &indent));
    }
    out
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(pane) = &app.pane else {
        return;
    };
    let width = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = lines(app, &pane.check, width)
        .into_iter()
        .enumerate()
        .map(|(i, l)| Line::styled(l, if i == 0 { theme.title } else { theme.base }))
        .collect();
    let inner = area.height.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(inner);
    let scroll = pane.scroll.min(max_scroll);
    let more = if scroll < max_scroll {
        " ↓/PgDn more · y copy · c control · Esc close "
    } else {
        " y copy · c control · Esc close "
    };
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", pane.check), theme.title))
        .title_bottom(Span::styled(more, theme.dim));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}
