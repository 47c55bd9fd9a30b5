//! Findings: one table per area (checks, listeners, services, accounts, updates, firewall),
//! sortable and filterable. Only the rows on screen are built, so large tables stay fast.

use crate::text::{truncate, width};
use crate::tui::app::{App, Focus};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table};

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [tabs, filter, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    if app.tables.is_empty() {
        frame.render_widget(
            Paragraph::new("Inspection running… the tables fill in when it finishes.")
                .style(theme.dim)
                .block(Block::bordered()),
            body,
        );
        return;
    }
    let mut spans = Vec::new();
    for (i, t) in app.tables.iter().enumerate() {
        let style = if i == app.table_index {
            theme.tab_active
        } else {
            theme.dim
        };
        spans.push(Span::styled(
            format!(" {} {} ", t.title, t.rows.len()),
            style,
        ));
    }
    frame.render_widget(Line::from(spans), tabs);

    let view = app.table_view();
    let Some(table) = app.tables.get(app.table_index) else {
        return;
    };
    let arrow = if app.sort_reverse { "↓" } else { "↑" };
    // The checks table starts sorted by status (the one status order, worst first).
    let is_checks = table.title == crate::tui::tables::CHECKS;
    let sorted_by = app.sort_column.or(if is_checks { Some(0) } else { None });
    let sort = match sorted_by.and_then(|c| table.columns.get(c)) {
        Some(col) if app.sort_column.is_none() => {
            format!("by {col} {arrow}, worst first (o sorts)")
        }
        Some(col) => format!("sorted by {col} {arrow}"),
        None => "as found (o sorts)".to_string(),
    };
    let filter_text = match &app.focus {
        Focus::Filter(_) => format!("/{}", app.findings_filter),
        _ if app.findings_filter.is_empty() => String::new(),
        _ => format!("filter: {}", app.findings_filter),
    };
    let shown = format!("{} of {} rows · {sort}", view.len(), table.rows.len());
    let pad = (filter.width as usize).saturating_sub(width(&filter_text) + width(&shown));
    frame.render_widget(
        Line::from(vec![
            Span::styled(filter_text.clone(), theme.editor),
            Span::raw(" ".repeat(pad)),
            Span::styled(shown, theme.dim),
        ]),
        filter,
    );
    if let Focus::Filter(field) = &app.focus {
        let typed: String = field.text().chars().take(field.cursor().1).collect();
        frame.set_cursor_position(Position::new(filter.x + 1 + width(&typed) as u16, filter.y));
    }

    let block = Block::bordered().title(Span::styled(format!(" {} ", table.title), theme.title));
    if view.is_empty() {
        let msg = match (&table.unseen, table.rows.is_empty()) {
            (Some(reason), true) => format!("? UNKNOWN: {reason}"),
            (None, true) => "none found".to_string(),
            _ => "no row matches the filter".to_string(),
        };
        frame.render_widget(Paragraph::new(msg).block(block), body);
        return;
    }

    let inner_height = body.height.saturating_sub(3) as usize; // borders + header
    let selected = app.table_row.min(view.len() - 1);
    let top = selected.saturating_sub(inner_height.saturating_sub(1));
    let window = &view[top..view.len().min(top + inner_height)];

    // Column widths from the header and the rows on screen; the last column takes the rest.
    let inner_width = body.width.saturating_sub(2) as usize;
    let ncols = table.columns.len();
    // Header width counts the sort arrow.
    let mut widths: Vec<usize> = table.columns.iter().map(|c| width(c) + 1).collect();
    for &i in window {
        for (w, cell) in widths.iter_mut().zip(&table.rows[i]) {
            *w = (*w).max(width(cell)).min(40);
        }
    }
    let fixed: usize = widths[..ncols - 1].iter().map(|w| w + 1).sum();
    widths[ncols - 1] = inner_width.saturating_sub(fixed).max(4);

    let header = Row::new(table.columns.iter().enumerate().map(|(i, c)| {
        let mark = if Some(i) == sorted_by { arrow } else { "" };
        format!("{c}{mark}")
    }))
    .style(theme.title);
    let rows = window.iter().map(|&i| {
        let cells = table.rows[i]
            .iter()
            .zip(&widths)
            .map(|(c, w)| truncate(&crate::text::for_terminal(c), *w));
        let row = Row::new(cells);
        if i == view[selected] {
            row.style(theme.selected)
        } else {
            row
        }
    });
    let constraints: Vec<Constraint> = widths
        .iter()
        .map(|w| Constraint::Length(*w as u16))
        .collect();
    frame.render_widget(
        Table::new(rows, constraints).header(header).block(block),
        body,
    );
}
