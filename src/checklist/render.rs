//! Plain-text views of checklists for the terminal and `lp` (80 columns).

use super::{Checklist, Control};
use crate::text::{truncate, wrap};
use std::fmt::Write;

/// One line per control under a header naming the checklist.
pub fn list_text(list: &Checklist, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} — {}", list.id, list.version, list.title);
    let _ = writeln!(out, "  from {}", list.origin.display());
    let _ = writeln!(out, "{:<8} {:<10} {:<8} TITLE", "ID", "AREA", "SEVERITY");
    for c in &list.controls {
        let title_width = width.saturating_sub(29);
        let _ = writeln!(
            out,
            "{:<8} {:<10} {:<8} {}",
            c.id,
            c.area.as_str(),
            c.severity.as_str(),
            truncate(&c.title, title_width)
        );
    }
    // Site files are untrusted text: escape controls and bidi overrides for the terminal.
    crate::text::for_terminal_lines(&out).into_owned()
}

/// The whole control, wrapped to `width`.
pub fn control_text(list: &Checklist, c: &Control, width: usize) -> String {
    let mut out = String::new();
    for line in wrap(&format!("{}  {}", c.id, c.title), width, "") {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "{} {} · area {} · severity {} · method {}",
        list.id,
        list.version,
        c.area,
        c.severity,
        c.method.as_str()
    );
    section(&mut out, "Objective", &[c.objective.as_str()], width, false);
    section(
        &mut out,
        "Why it matters",
        &[c.rationale.as_str()],
        width,
        false,
    );
    let checks: Vec<&str> = c.checks.iter().map(String::as_str).collect();
    if checks.is_empty() {
        section(
            &mut out,
            "Automated checks",
            &["none — assessed by the technician"],
            width,
            false,
        );
    } else {
        section(&mut out, "Automated checks", &checks, width, true);
    }
    let steps: Vec<&str> = c.steps.iter().map(String::as_str).collect();
    section(&mut out, "Steps", &steps, width, true);
    let evidence: Vec<&str> = c.evidence.iter().map(String::as_str).collect();
    section(&mut out, "Evidence to collect", &evidence, width, true);
    if !c.references.is_empty() {
        section(
            &mut out,
            "References",
            &[c.references.join(", ").as_str()],
            width,
            false,
        );
    }
    // Site files are untrusted text: escape controls and bidi overrides for the terminal.
    crate::text::for_terminal_lines(&out).into_owned()
}

fn section(out: &mut String, heading: &str, items: &[&str], width: usize, bullets: bool) {
    let _ = writeln!(out, "\n{heading}");
    for (i, item) in items.iter().enumerate() {
        if bullets {
            let marker = format!("  {}. ", i + 1);
            let pad = " ".repeat(marker.chars().count());
            let lines = wrap(item, width, &pad);
            for (j, line) in lines.iter().enumerate() {
                if j == 0 {
                    let _ = writeln!(out, "{marker}{}", line.trim_start());
                } else {
                    let _ = writeln!(out, "{line}");
                }
            }
        } else {
            for line in wrap(item, width, "  ") {
                let _ = writeln!(out, "{line}");
            }
        }
    }
}
