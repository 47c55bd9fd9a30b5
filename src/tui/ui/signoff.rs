//! Sign-off: the review before signing.

use super::count_span;
use crate::text::{for_terminal_lines, wrap};
use crate::tui::app::{App, Focus, Signing};
use crate::tui::theme::Theme;
use crate::walkthrough::Verdict;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The review part of the screen (counts, open controls, PASSED over failing or unknown
/// checks with their notes), wrapped to `width`: it scrolls above the signing part.
pub fn review_lines(app: &App, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Vec::new();
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
        // The glyphs alone when narrow, so the line is never cut.
        if width >= 70 {
            spans.push(Span::styled(format!("{word}  "), theme.dim));
        }
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
                for l in wrap(
                    "No control is marked PASSED over a failing or unknown check.",
                    width,
                    "  ",
                ) {
                    lines.push(Line::styled(l, theme.dim));
                }
            } else {
                for l in wrap(
                    "PASSED although a check fails or is unknown (justified in the note):",
                    width,
                    "  ",
                ) {
                    lines.push(Line::styled(l, theme.fail));
                }
                for c in flagged {
                    lines.push(Line::styled(format!("    ✘ {}:", c.id), theme.fail));
                    for l in wrap(&for_terminal_lines(&c.note), width, "        ") {
                        lines.push(Line::raw(l));
                    }
                }
            }
        }
    }

    lines
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2) as usize;
    let review = review_lines(app, theme, width);
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor = None;
    match &app.focus {
        Focus::Operator(field) => {
            lines.push(Line::from(vec![
                Span::raw("  Operator:   "),
                Span::styled(field.text(), theme.editor),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::Passphrase(field) => {
            lines.push(Line::raw(format!("  Operator:   {}", app.operator)));
            let masked = "•".repeat(field.text().chars().count());
            lines.push(Line::from(vec![
                Span::raw("  Passphrase: "),
                Span::styled(masked, theme.editor),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::NewOperator(field) => {
            lines.push(Line::styled("  New signing key", theme.title));
            lines.push(Line::from(vec![
                Span::raw("  Operator:   "),
                Span::styled(field.text(), theme.editor),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::NewPassphrase { operator, field }
        | Focus::RepeatPassphrase {
            operator, field, ..
        } => {
            let again = matches!(app.focus, Focus::RepeatPassphrase { .. });
            lines.push(Line::styled("  New signing key", theme.title));
            lines.push(Line::raw(format!("  Operator:   {operator}")));
            let masked = "•".repeat(field.text().chars().count());
            let label = if again {
                "  Again:      "
            } else {
                "  Passphrase: "
            };
            lines.push(Line::from(vec![
                Span::raw(label),
                Span::styled(masked, theme.editor),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::CountersignOperator(field) => {
            lines.push(Line::styled("  Countersign the signed record", theme.title));
            lines.push(Line::from(vec![
                Span::raw("  Reviewer:   "),
                Span::styled(field.text(), theme.editor),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::CountersignNote { operator, field } => {
            lines.push(Line::styled("  Countersign the signed record", theme.title));
            lines.push(Line::raw(format!("  Reviewer:   {operator}")));
            lines.push(Line::from(vec![
                Span::raw("  Note:       "),
                Span::styled(
                    crate::text::for_terminal(&field.text()).into_owned(),
                    theme.editor,
                ),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::CountersignPassphrase {
            operator,
            verdict,
            field,
            ..
        } => {
            lines.push(Line::styled(
                format!("  Countersign: {}", verdict.as_str()),
                theme.title,
            ));
            lines.push(Line::raw(format!("  Reviewer:   {operator}")));
            let masked = "•".repeat(field.text().chars().count());
            lines.push(Line::from(vec![
                Span::raw("  Passphrase: "),
                Span::styled(masked, theme.editor),
            ]));
            cursor = Some((lines.len() - 1, 14 + field.cursor().1));
        }
        Focus::Keys
        | Focus::Note(_)
        | Focus::Filter(_)
        | Focus::AttachPath(_)
        | Focus::DetachNumber(_) => {}
    }
    for c in &app.countersigns {
        for l in wrap(&format!("✔ {c}"), width, "  ") {
            lines.push(Line::styled(l, theme.pass));
        }
    }
    match &app.signing {
        Signing::Done(rec) => {
            lines.push(Line::styled(
                "  ✔ Signed and added to the ledger. This walkthrough is now read-only.",
                theme.pass,
            ));
            for l in wrap(&format!("Record: {}", rec.record.display()), width, "  ") {
                lines.push(Line::raw(l));
            }
            lines.push(Line::raw(format!("  Ledger head: {}", rec.seq)));
            for l in wrap(&format!("SHA-256: {}", rec.sha256), width, "  ") {
                lines.push(Line::raw(l));
            }
            for l in wrap(&format!("Key fingerprint: {}", rec.keyid), width, "  ") {
                lines.push(Line::styled(l, theme.dim));
            }
            lines.push(Line::styled(
                "  x writes the summary for printing (HTML and text).",
                theme.dim,
            ));
            let hint = "Write the head on the paper form: `stationward verify --expect-head SEQ:SHA256` \
                        proves later that the ledger still extends it.";
            for l in wrap(hint, width, "  ") {
                lines.push(Line::styled(l, theme.dim));
            }
        }
        Signing::InProgress => lines.push(Line::styled(
            format!("  Signing as {}…", app.operator),
            theme.dim,
        )),
        Signing::Failed(e) => {
            for l in wrap(&format!("✘ Not signed: {e}"), width, "  ") {
                lines.push(Line::styled(l, theme.fail));
            }
        }
        Signing::Idle if app.signed() => {
            for l in wrap(
                "This walkthrough is signed and read-only. `stationward tui --new` starts another.",
                width,
                "  ",
            ) {
                lines.push(Line::styled(l, theme.pass));
            }
        }
        Signing::Idle if matches!(app.focus, Focus::Keys) => {
            let text = if app.operators.is_empty() {
                "No signing key in this data directory yet: k makes one (operator id, passphrase twice)."
                    .to_string()
            } else {
                format!(
                    "Enter reviews what you sign, then asks for your key's passphrase. Keys here: {}. k makes another.",
                    app.operators.join(", ")
                )
            };
            for l in wrap(&text, width, "  ") {
                lines.push(Line::styled(l, theme.dim));
            }
        }
        Signing::Idle => {}
    }
    // The signing part keeps its place at the bottom (a prompt is never scrolled away);
    // the review above it scrolls when it is long.
    let sign_rows = (lines.len() as u16 + 2).min(area.height.saturating_sub(5));
    let [top, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(sign_rows)]).areas(area);
    let inner = top.height.saturating_sub(2);
    let max_scroll = (review.len() as u16).saturating_sub(inner);
    let scroll = app.signoff_scroll.min(max_scroll);
    let more = if scroll < max_scroll {
        " ↓/PgDn for more "
    } else {
        ""
    };
    frame.render_widget(
        Paragraph::new(review)
            .block(
                Block::bordered()
                    .title(Span::styled(" Review ", theme.title))
                    .title_bottom(Span::styled(more, theme.dim)),
            )
            .scroll((scroll, 0)),
        top,
    );
    if let Some((row, col)) = cursor {
        let x = bottom.x + 1 + col as u16;
        let y = bottom.y + 1 + row as u16;
        if y < bottom.bottom().saturating_sub(1) {
            frame.set_cursor_position(ratatui::layout::Position::new(
                x.min(bottom.right().saturating_sub(2)),
                y,
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(Span::styled(" Sign ", theme.title))),
        bottom,
    );
}
