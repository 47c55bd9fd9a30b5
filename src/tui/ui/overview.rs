//! Overview: the station, the six areas' counts, walkthrough progress.

use super::count_span;
use crate::checks::Area;
use crate::scan::StatusCounts;
use crate::tui::app::{App, Inspection};
use crate::tui::theme::Theme;
use crate::walkthrough::Verdict;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph};

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [station, areas, progress, hint] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(3),
        Constraint::Min(0),
    ])
    .areas(area);
    render_station(app, theme, frame, station);
    render_areas(app, theme, frame, areas);
    render_progress(app, theme, frame, progress);
    let next = app
        .walkthrough
        .controls
        .iter()
        .find(|c| c.verdict == Verdict::NotAssessed)
        .map_or_else(
            || {
                "Every control has a verdict: review and sign on the Sign-off screen (s)."
                    .to_string()
            },
            |c| {
                format!(
                    "Enter: walk the controls, starting at {}. ?: all keys.",
                    c.id
                )
            },
        );
    let lines = vec![
        Line::styled(next, theme.dim),
        Line::styled(app.notice.clone(), theme.status_line),
    ];
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        hint,
    );
}

fn render_station(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(" Station ", theme.title));
    let mut lines = Vec::new();
    // Host facts come from the inspected files: controls and bidi overrides shown escaped.
    let dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            crate::text::for_terminal(s).into_owned()
        }
    };
    match app.scan() {
        Some(scan) => {
            let h = &scan.host;
            let source = match (&scan.facts.windows, &scan.root) {
                (Some(w), _) => format!("Windows snapshot {}", w.snapshot.digest()),
                (None, Some(r)) => format!("offline tree {r}"),
                (None, None) => "live host".to_string(),
            };
            lines.push(Line::from(format!(
                "{} · {}",
                dash(&h.hostname),
                dash(&h.os)
            )));
            lines.push(Line::from(format!(
                "kernel {} · {}",
                dash(&h.kernel),
                crate::text::for_terminal(&source)
            )));
            let privilege = match (&scan.root, scan.privileged) {
                (Some(_), _) => "files as stored; live-only facts unknown",
                (None, true) => "read with full privileges",
                (None, false) => "NOT root: root-only facts are unknown",
            };
            lines.push(Line::from(format!(
                "{privilege} · scanned {}",
                scan.scanned_at
            )));
        }
        None => {
            lines.push(Line::from(dash(&app.walkthrough.host.hostname)));
            lines.push(Line::from(Span::styled("inspection running…", theme.dim)));
            lines.push(Line::from(""));
        }
    }
    lines.push(Line::from(format!(
        "policy: {} ({})",
        app.policy.name,
        app.policy.role.as_str()
    )));
    lines.push(Line::from(format!(
        "checklist: {} {}",
        app.checklist.title, app.checklist.version
    )));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_areas(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(" Automated checks by area ", theme.title));
    let lines: Vec<Line> = Area::ALL
        .iter()
        .map(|&a| {
            let mut spans = vec![Span::styled(format!("{:<11}", a.as_str()), theme.title)];
            match &app.inspection {
                Inspection::Done(scan) => {
                    let c: StatusCounts = scan.counts_for(a);
                    spans.push(count_span("✘", c.fail, theme.fail));
                    spans.push(count_span("!", c.warn, theme.warn));
                    spans.push(count_span("?", c.unknown, theme.unknown));
                    spans.push(count_span("✔", c.pass, theme.pass));
                    spans.push(count_span("–", c.not_applicable, theme.na));
                    if c.waived > 0 {
                        spans.push(Span::styled(format!("{} waived", c.waived), theme.dim));
                    }
                }
                Inspection::Running { done, .. } => {
                    let word = if done.contains(&a) {
                        "read, checking…"
                    } else {
                        "reading…"
                    };
                    spans.push(Span::styled(word, theme.dim));
                }
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_progress(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let total = app.walkthrough.controls.len().max(1);
    let done = app.walkthrough.assessed();
    let counts = app.walkthrough.counts();
    let detail: Vec<String> = counts
        .iter()
        .filter(|(v, n)| *n > 0 && *v != Verdict::NotAssessed)
        .map(|(v, n)| format!("{} {n}", v.glyph()))
        .collect();
    let signed = match app.walkthrough.stage {
        crate::walkthrough::Stage::Signed { seq } => {
            format!("  · SIGNED (record {seq}), read-only")
        }
        crate::walkthrough::Stage::InProgress => String::new(),
    };
    let label = format!(
        "{done} of {total} controls assessed  {}{signed}",
        detail.join("  ")
    );
    let gauge = Gauge::default()
        .block(Block::bordered().title(Span::styled(" Walkthrough ", theme.title)))
        .gauge_style(theme.pass)
        .ratio(done as f64 / total as f64)
        .label(label);
    frame.render_widget(gauge, area);
}
