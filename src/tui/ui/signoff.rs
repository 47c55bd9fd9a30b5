//! Sign-off: the review before signing.

use super::count_span;
use crate::text::wrap;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::walkthrough::Verdict;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::styled("Review", theme.title));
    let mut spans = vec![Span::raw("  ")];
    for (v, n) in app.walkthrough.counts() {
        let word = match v {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Warned => "warned",
            Verdict::NotApplicable => "n/a",
            Verdict::NotAssessed => "open",
        };
        spans.push(count_span(v.glyph(), n, theme.verdict(v)));
        spans.push(Span::styled(format!("{word}  "), theme.dim));
    }
    lines.push(Line::from(spans));

    let open: Vec<&str> = app
        .walkthrough
        .controls
        .iter()
        .filter(|c| c.verdict == Verdict::NotAssessed)
        .map(|c| c.id.as_str())
        .collect();
    if open.is_empty() {
        lines.push(Line::styled("  Every control has a verdict.", theme.pass));
    } else {
        for l in wrap(
            &format!("Not yet assessed ({}): {}", open.len(), open.join(", ")),
            width,
            "  ",
        ) {
            lines.push(Line::styled(l, theme.warn));
        }
    }

    match app.scan() {
        None => lines.push(Line::styled(
            "  Inspection still running: findings are not final yet.",
            theme.dim,
        )),
        Some(_) => {
            let flagged = app
                .walkthrough
                .passed_over_failures(&app.checklist, app.findings());
            if flagged.is_empty() {
                lines.push(Line::styled(
                    "  No control is marked PASSED over a failing check.",
                    theme.dim,
                ));
            } else {
                lines.push(Line::styled(
                    "  PASSED although an automated check fails (justified in the note):",
                    theme.fail,
                ));
                for c in flagged {
                    let first = c.note.lines().next().unwrap_or("");
                    for l in wrap(&format!("✘ {}: {first}", c.id), width, "    ") {
                        lines.push(Line::styled(l, theme.fail));
                    }
                }
            }
        }
    }

    lines.push(Line::from(""));
    lines.push(Line::styled("Sign", theme.title));
    for l in wrap(
        "Signing is not available in this build (pending: signed attestations). \
         Your walkthrough is saved after every change and resumes where you left off.",
        width,
        "  ",
    ) {
        lines.push(Line::styled(l, theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).block(Block::bordered()), area);
}
