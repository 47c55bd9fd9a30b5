//! Controls: the list with verdict marks, and the selected control in full.

use crate::checks::Finding;
use crate::text::{truncate, wrap};
use crate::tui::app::{App, Focus};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph};

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let list_width = if area.width >= 110 { 38 } else { 26 };
    let [list, detail] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(area);
    render_list(app, theme, frame, list);
    match &app.focus {
        Focus::Note(field) => {
            let wrapped = field
                .wrapped(detail.width.saturating_sub(3) as usize)
                .0
                .len();
            let rows = (wrapped as u16 + 2).clamp(5, detail.height / 2 + 1);
            let [top, editor] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(rows)]).areas(detail);
            render_detail(app, theme, frame, top);
            render_editor(field, theme, frame, editor);
        }
        Focus::AttachPath(field) | Focus::DetachNumber(field) => {
            let title = if matches!(app.focus, Focus::AttachPath(_)) {
                " Attach a file: its path — Enter attaches a copy, Esc cancels "
            } else {
                " Remove attachment number — Enter removes, Esc cancels "
            };
            let [top, prompt] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(detail);
            render_detail(app, theme, frame, top);
            render_prompt(field, title, theme, frame, prompt);
        }
        _ => render_detail(app, theme, frame, detail),
    }
}

/// A one-line text field in a box (the attachment prompts).
fn render_prompt(
    field: &crate::tui::editor::TextField,
    title: &str,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.editor)
        .title(Span::styled(title.to_string(), theme.editor));
    let inner = block.inner(area);
    let text = crate::text::for_terminal(&field.text()).into_owned();
    let width = inner.width.saturating_sub(1) as usize;
    let col = field.cursor().1;
    // Keep the cursor in view on a long path: show the tail.
    let skip = col.saturating_sub(width);
    let shown: String = text.chars().skip(skip).collect();
    frame.render_widget(Paragraph::new(Line::raw(shown)).block(block), area);
    frame.set_cursor_position(Position::new(inner.x + (col - skip) as u16, inner.y));
}

fn render_list(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let visible = app.visible_controls();
    let title = if app.signed() {
        " Signed: read-only ".to_string()
    } else if app.controls_filter.is_empty() {
        format!(
            " Controls {}/{} ",
            app.walkthrough.assessed(),
            app.walkthrough.controls.len()
        )
    } else {
        format!(" /{} ", app.controls_filter)
    };
    let inner_width = area.width.saturating_sub(2) as usize;
    let items: Vec<ListItem> = visible
        .iter()
        .map(|&i| {
            let c = &app.checklist.controls[i];
            let verdict = app
                .walkthrough
                .control(&c.id)
                .map(|r| r.verdict)
                .unwrap_or_default();
            let text = truncate(
                &format!("{} {}", c.id, c.title),
                inner_width.saturating_sub(2),
            );
            ListItem::new(Line::from(vec![
                Span::styled(format!("{} ", verdict.glyph()), theme.verdict(verdict)),
                Span::raw(text),
            ]))
        })
        .collect();
    let mut state =
        ListState::default().with_selected(visible.iter().position(|&i| i == app.selected));
    let list = List::new(items)
        .block(Block::bordered().title(Span::styled(title, theme.title)))
        .highlight_style(theme.selected);
    frame.render_stateful_widget(list, area, &mut state);
    if let Focus::Filter(field) = &app.focus {
        let typed: String = field.text().chars().take(field.cursor().1).collect();
        let x = area.x + 3 + crate::text::width(&typed) as u16;
        frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(2)), area.y));
    }
}

fn render_detail(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(control) = app.checklist.controls.get(app.selected) else {
        frame.render_widget(
            Paragraph::new("No control selected.").block(Block::bordered()),
            area,
        );
        return;
    };
    let record = app.walkthrough.control(&control.id);
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let push_wrapped = |lines: &mut Vec<Line>, text: &str, indent: &str, style| {
        for l in wrap(text, width, indent) {
            lines.push(Line::styled(l, style));
        }
    };

    push_wrapped(
        &mut lines,
        &format!("{}  {}", control.id, control.title),
        "",
        theme.title,
    );
    lines.push(Line::styled(
        format!(
            "area {} · severity {} · method {}",
            control.area,
            control.severity,
            control.method.as_str()
        ),
        theme.dim,
    ));
    let verdict = record.map(|r| r.verdict).unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled("Verdict: ", theme.title),
        Span::styled(verdict.label(), theme.verdict(verdict)),
    ]));
    let note = record.map(|r| r.note.as_str()).unwrap_or("");
    let flagged = verdict == crate::walkthrough::Verdict::Passed
        && !crate::walkthrough::Walkthrough::failing_checks(
            &app.checklist,
            &control.id,
            app.findings(),
        )
        .is_empty();
    if flagged {
        push_wrapped(
            &mut lines,
            "✘ PASSED over a failing or unknown check: the note says how it was verified.",
            "  ",
            theme.fail,
        );
    }
    if note.trim().is_empty() {
        let hint = if app.signed() {
            "Note: none"
        } else {
            "Note: none (e to write one)"
        };
        lines.push(Line::styled(hint, theme.dim));
    } else {
        lines.push(Line::styled("Note:", theme.title));
        let note = crate::text::for_terminal_lines(note);
        for para in note.lines() {
            push_wrapped(&mut lines, para, "  ", theme.base);
        }
    }

    let attachments = record.map_or(&[][..], |r| &r.attachments[..]);
    if attachments.is_empty() {
        if !app.signed() {
            lines.push(Line::styled(
                "Attachments: none (a attaches a file)",
                theme.dim,
            ));
        }
    } else {
        let hint = if app.signed() {
            ""
        } else {
            " (a attaches another, d removes one)"
        };
        lines.push(Line::styled(format!("Attachments{hint}:"), theme.title));
        for (i, a) in attachments.iter().enumerate() {
            push_wrapped(
                &mut lines,
                &format!(
                    "{}. {} · {} · {} bytes · sha256 {}",
                    i + 1,
                    crate::text::for_terminal(&a.name),
                    crate::text::for_terminal(&a.media_type),
                    a.size,
                    crate::text::for_terminal(&a.sha256)
                ),
                "     ",
                theme.base,
            );
        }
    }

    for waiver in app.policy.waivers_for(&control.id) {
        let state = match waiver.state(crate::date::Date::today_utc()) {
            crate::policy::WaiverState::Active { .. } => "waived",
            crate::policy::WaiverState::Expired { .. } => "EXPIRED waiver",
        };
        push_wrapped(
            &mut lines,
            &format!(
                "{state} until {} by {}: {}",
                waiver.expires, waiver.approver, waiver.justification
            ),
            "",
            theme.warn,
        );
    }

    lines.push(Line::from(""));
    lines.push(Line::styled("Automated findings", theme.title));
    if control.checks.is_empty() {
        lines.push(Line::styled(
            "  none: this control is assessed by the technician",
            theme.dim,
        ));
    } else if app.scan().is_none() {
        lines.push(Line::styled("  inspection running…", theme.dim));
    } else {
        for check in &control.checks {
            for f in app.findings().iter().filter(|f| &f.check == check) {
                finding_lines(f, theme, width, &mut lines);
            }
        }
    }

    lines.push(Line::from(""));
    lines.push(Line::styled("Objective", theme.title));
    push_wrapped(&mut lines, &control.objective, "  ", theme.base);
    lines.push(Line::styled("Why it matters", theme.title));
    push_wrapped(&mut lines, &control.rationale, "  ", theme.base);
    lines.push(Line::styled("Steps", theme.title));
    for (i, step) in control.steps.iter().enumerate() {
        push_wrapped(&mut lines, &format!("{}. {step}", i + 1), "  ", theme.base);
    }
    lines.push(Line::styled("Evidence to collect", theme.title));
    for e in &control.evidence {
        push_wrapped(&mut lines, &format!("• {e}"), "  ", theme.base);
    }
    if !control.references.is_empty() {
        lines.push(Line::styled("References", theme.title));
        push_wrapped(&mut lines, &control.references.join(", "), "  ", theme.dim);
    }

    let max_scroll = (lines.len() as u16).saturating_sub(area.height.saturating_sub(2));
    let scroll = app.detail_scroll.min(max_scroll);
    let more = if scroll < max_scroll {
        " PgDn for more "
    } else {
        ""
    };
    let block = Block::bordered().title_bottom(Span::styled(more, theme.dim));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

fn finding_lines(f: &Finding, theme: &Theme, width: usize, lines: &mut Vec<Line>) {
    lines.push(Line::from(vec![
        Span::styled(
            format!("  {:<10}", f.status.label()),
            theme.status(f.status),
        ),
        Span::raw(f.check.clone()),
    ]));
    // Summaries and details quote inspected files: escaped before they reach the terminal.
    for l in wrap(&crate::text::for_terminal(&f.summary), width, "    ") {
        lines.push(Line::raw(l));
    }
    for d in f.details.iter().take(6) {
        for l in wrap(&crate::text::for_terminal(&format!("- {d}")), width, "    ") {
            lines.push(Line::styled(l, theme.dim));
        }
    }
    if f.details.len() > 6 {
        lines.push(Line::styled(
            format!("    … {} more on the Findings screen", f.details.len() - 6),
            theme.dim,
        ));
    }
    if let Some(w) = &f.waiver {
        let state = if w.expired {
            "EXPIRED waiver"
        } else {
            "waived"
        };
        for l in wrap(
            &format!("{state} until {} by {}", w.expires, w.approver),
            width,
            "    ",
        ) {
            lines.push(Line::styled(l, theme.warn));
        }
    }
    if !f.evidence.is_empty() {
        let names: Vec<&str> = f.evidence.iter().map(|e| e.subject()).collect();
        for l in wrap(&format!("evidence: {}", names.join(", ")), width, "    ") {
            lines.push(Line::styled(l, theme.dim));
        }
    }
}

fn render_editor(
    field: &crate::tui::editor::TextField,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.editor)
        .title(Span::styled(" Note — Esc to leave (kept) ", theme.editor));
    let inner = block.inner(area);
    // Long lines wrap by display width; the cursor stays on the wrapped row it is on.
    let (wrapped, (row, col)) = field.wrapped(inner.width.saturating_sub(1) as usize);
    let top = row.saturating_sub(inner.height.saturating_sub(1) as usize);
    let lines: Vec<Line> = wrapped
        .into_iter()
        .skip(top)
        .map(|l| Line::raw(crate::text::for_terminal(&l).into_owned()))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
    let x = inner.x + col as u16;
    let y = inner.y + (row - top) as u16;
    frame.set_cursor_position(Position::new(x, y));
}
