//! The yes/no overlays: quitting an unsigned walkthrough, and the review before signing.

use crate::text::{for_terminal, for_terminal_lines, wrap};
use crate::tui::app::{App, Confirm, unknown_checks};
use crate::tui::theme::Theme;
use crate::walkthrough::Verdict;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// The lines of the sign-off review (also used by tests).
pub fn review_lines(app: &App, width: usize) -> Vec<(String, ReviewKind)> {
    let mut out = Vec::new();
    let mut push = |text: &str, indent: &str, kind| {
        for l in wrap(text, width, indent) {
            out.push((l, kind));
        }
    };
    let open: Vec<&str> = app
        .walkthrough
        .controls
        .iter()
        .filter(|c| c.verdict == Verdict::NotAssessed)
        .map(|c| c.id.as_str())
        .collect();
    if open.is_empty() {
        push("Every control has a verdict.", "", ReviewKind::Plain);
    } else {
        push(
            &format!(
                "{} of {} controls are open (NOT ASSESSED): {}",
                open.len(),
                app.walkthrough.controls.len(),
                open.join(", ")
            ),
            "",
            ReviewKind::Warn,
        );
    }
    let unknown = unknown_checks(app.findings());
    if unknown.is_empty() {
        push("No automated check is unknown.", "", ReviewKind::Plain);
    } else {
        let what = if unknown.len() == 1 {
            "1 check is unknown:".to_string()
        } else {
            format!("{} checks are unknown:", unknown.len())
        };
        push(&what, "", ReviewKind::Warn);
        for f in unknown {
            push(
                &for_terminal(&format!("? {}: {}", f.check, f.summary)),
                "  ",
                ReviewKind::Warn,
            );
        }
    }
    let flagged = app
        .walkthrough
        .passed_over_failures(&app.checklist, app.findings());
    if flagged.is_empty() {
        push(
            "No control is PASSED over a failing or unknown check.",
            "",
            ReviewKind::Plain,
        );
    } else {
        push(
            "PASSED although a check fails or is unknown, with the justification:",
            "",
            ReviewKind::Fail,
        );
        for c in flagged {
            push(&format!("✘ {}:", c.id), "  ", ReviewKind::Fail);
            push(&for_terminal_lines(&c.note), "      ", ReviewKind::Plain);
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKind {
    Plain,
    Warn,
    Fail,
}

pub fn render(app: &App, confirm: Confirm, theme: &Theme, frame: &mut Frame, area: Rect) {
    let popup_width = area.width.min(76);
    let inner_width = popup_width.saturating_sub(2) as usize;
    let (title, mut lines, question): (&str, Vec<Line>, &str) = match confirm {
        Confirm::Quit => (
            " Quit? ",
            wrap(
                "The walkthrough is not signed yet. Your work is saved after every change: \
                 `stationward tui` resumes it where you left off.",
                inner_width,
                "",
            )
            .into_iter()
            .map(Line::raw)
            .collect(),
            "y quits · n or Esc stays",
        ),
        Confirm::Sign => (
            " Review before signing ",
            review_lines(app, inner_width)
                .into_iter()
                .map(|(l, kind)| {
                    let style = match kind {
                        ReviewKind::Plain => theme.base,
                        ReviewKind::Warn => theme.warn,
                        ReviewKind::Fail => theme.fail,
                    };
                    Line::styled(l, style)
                })
                .collect(),
            "Sign this? y goes on to your key · n or Esc goes back",
        ),
    };
    lines.push(Line::from(""));
    lines.push(Line::styled(question.to_string(), theme.key));
    let rows = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Length(popup_width), Constraint::Length(rows));
    let inner_rows = rows.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(inner_rows);
    let scroll = app.confirm_scroll.min(max_scroll);
    let more = if scroll < max_scroll {
        " ↓/PgDn for more "
    } else {
        ""
    };
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .title_bottom(Span::styled(more, theme.dim));
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((scroll, 0)),
        popup,
    );
}
