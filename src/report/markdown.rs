//! Markdown summary (CommonMark + GitHub tables). A draft carries the mark at top and bottom.

use super::summary::{DRAFT_MARK, KeyFinding, Summary};
use super::text::{area_title, verdict_phrase};
use crate::walkthrough::Verdict;
use std::fmt::Write;

/// Escapes text for inline Markdown (and table cells): no markup, no raw HTML, one line.
pub fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span that survives backticks inside.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let mut fence = "`".to_string();
    while s.contains(&fence) {
        fence.push('`');
    }
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn draft_note(out: &mut String) {
    let _ = writeln!(
        out,
        "> **{DRAFT_MARK}** — this summary is not an attestation; nothing in it is recorded or signed.\n"
    );
}

pub fn render_markdown(s: &Summary) -> String {
    let mut out = String::new();
    let h = &s.header;
    if s.draft {
        draft_note(&mut out);
    }
    let _ = writeln!(
        out,
        "# Hardening summary — {}\n",
        md_inline(if h.hostname.is_empty() {
            "-"
        } else {
            &h.hostname
        })
    );

    let mut rows: Vec<(&str, String)> = Vec::new();
    let station = match &h.role {
        Some(role) => format!("{} ({})", md_inline(&h.hostname), md_inline(role)),
        None => md_inline(&h.hostname),
    };
    rows.push(("Station", station));
    if let Some(site) = &h.site {
        rows.push(("Site", md_inline(site)));
    }
    rows.push(("OS", md_inline(&h.os)));
    rows.push(("Kernel", md_inline(&h.kernel)));
    if let Some(root) = &h.root {
        rows.push(("Inspected", format!("offline tree {}", code(root))));
    }
    let title = h
        .checklist
        .title
        .as_ref()
        .map_or_else(String::new, |t| format!(" — {}", md_inline(t)));
    rows.push((
        "Checklist",
        format!(
            "{} {}{title}",
            code(&h.checklist.id),
            md_inline(&h.checklist.version)
        ),
    ));
    rows.push(("Checklist digest", code(&h.checklist.digest)));
    if let Some(note) = &h.checklist.note {
        rows.push(("Checklist note", md_inline(note)));
    }
    rows.push((
        "Operator",
        h.operator
            .as_deref()
            .map_or_else(|| "— (not yet signed)".to_string(), md_inline),
    ));
    rows.push(("Started", md_inline(&h.started_at)));
    if let Some(t) = &h.updated_at {
        rows.push(("Last change", md_inline(t)));
    }
    if let Some(t) = &h.scanned_at {
        rows.push(("Scanned", md_inline(t)));
    }
    rows.push((
        "Signed",
        h.signed_at
            .as_deref()
            .map_or_else(|| "— (draft)".to_string(), md_inline),
    ));
    if h.privileged == Some(false) {
        rows.push((
            "Privileges",
            "not root: checks that need root are reported as unknown".into(),
        ));
    }
    rows.push((
        "Tool",
        format!("{} {}", md_inline(&h.tool.name), md_inline(&h.tool.version)),
    ));
    let _ = writeln!(out, "| | |\n|---|---|");
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {} |", if v.is_empty() { "—" } else { &v });
    }

    let _ = writeln!(out, "\n## Verdicts\n");
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| format!("{} {}", s.counts.get(v), verdict_phrase(v)))
        .collect();
    let _ = writeln!(
        out,
        "{} controls: {}.\n",
        s.counts.total(),
        counts.join(" · ")
    );
    if let Some(c) = &s.checks {
        let _ = writeln!(
            out,
            "Automated checks: {} ✘ fail · {} ? unknown · {} ! warn · {} ✔ pass · {} – n/a · {} waived.\n",
            c.fail, c.unknown, c.warn, c.pass, c.not_applicable, c.waived
        );
    }
    let _ = writeln!(out, "| ID | Title | Verdict | Note |\n|---|---|---|---|");
    for c in &s.controls {
        let over = c.passed_over();
        let verdict = if over.is_empty() {
            c.verdict.label().to_string()
        } else {
            format!(
                "{} **✘ over a failing or unknown check** ({})",
                c.verdict.label(),
                md_inline(&over.join(", "))
            )
        };
        // A table cell holds one line: the note's lines are joined with <br>, all of them.
        let note: Vec<String> = c.note_lines().into_iter().map(md_inline).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md_inline(&c.id),
            md_inline(&c.title),
            verdict,
            note.join("<br>")
        );
    }

    let _ = writeln!(out, "\n## Key findings");
    for a in &s.areas {
        let _ = writeln!(out, "\n### {}\n", area_title(a.area));
        if a.findings.is_empty() {
            let _ = writeln!(out, "No automated findings recorded for this area.");
            continue;
        }
        for f in a.attention() {
            finding(&mut out, f);
        }
        for (label, list) in [
            ("✔ PASS", a.passed().collect::<Vec<_>>()),
            ("– N/A", a.not_applicable().collect()),
        ] {
            if !list.is_empty() {
                let titles: Vec<String> = list.iter().map(|f| md_inline(&f.title)).collect();
                let _ = writeln!(out, "- {label}: {}", titles.join("; "));
            }
        }
    }

    let attached: Vec<_> = s
        .controls
        .iter()
        .flat_map(|c| c.attachments.iter().map(move |a| (&c.id, a)))
        .collect();
    if !attached.is_empty() {
        let _ = writeln!(
            out,
            "\n## Attachments\n\nEach file is `evidence/sha256/<SHA-256>` in the data directory.\n\n| Control | File | Type | Bytes | SHA-256 |\n|---|---|---|---|---|"
        );
        for (id, a) in attached {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(id),
                md_inline(&a.name),
                md_inline(&a.media_type),
                a.size,
                code(&a.sha256)
            );
        }
    }

    let _ = writeln!(out, "\n## Waivers\n");
    if s.waivers.is_empty() {
        let _ = writeln!(out, "No waivers.");
    } else {
        let _ = writeln!(
            out,
            "| Waived | Justification | Approver | Expires |\n|---|---|---|---|"
        );
        for w in &s.waivers {
            let expires = if w.expired {
                format!("**EXPIRED** {} (no longer applies)", md_inline(&w.expires))
            } else {
                md_inline(&w.expires)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {expires} |",
                code(&w.target),
                md_inline(&w.justification),
                md_inline(&w.approver)
            );
        }
    }

    let _ = writeln!(out, "\n## Attestation\n");
    match &s.attestation {
        None => {
            let _ = writeln!(
                out,
                "Not signed. This draft is in no ledger and proves nothing on its own. Sign the \
                 walkthrough on the Sign-off screen (or with `stationward attest`), then print \
                 the summary of the signed record."
            );
        }
        Some(a) => {
            let r = &a.record;
            if let Some(notice) = &a.notice {
                let _ = writeln!(out, "> **{}**\n", md_inline(notice));
            }
            if let Some(review) = &a.review {
                let _ = writeln!(out, "> **{}**\n", md_inline(review));
            }
            let _ = writeln!(out, "| | |\n|---|---|");
            let _ = writeln!(out, "| Record | {} |", code(r.file_name()));
            let _ = writeln!(out, "| Signed by | {} |", md_inline(&r.operator));
            let _ = writeln!(out, "| Signer key | {} |", code(&r.keyid));
            let _ = writeln!(out, "| Signed at | {} |", md_inline(&r.signed_at));
            let _ = writeln!(out, "| Ledger head | seq {} |", r.seq);
            let _ = writeln!(out, "| SHA-256 | {} |", code(&r.sha256));
            if let Some(trust) = &a.trust {
                let _ = writeln!(out, "| Trusted by | {} |", md_inline(trust));
            }
            let _ = writeln!(
                out,
                "\nTo verify, in the data directory that holds `ledger/` and `allowed_signers`:\n\n```sh"
            );
            for v in &a.verify {
                let _ = writeln!(out, "# {}\n{}", v.purpose, v.command);
            }
            let _ = writeln!(out, "```");
        }
    }

    let _ = writeln!(out, "\n## Sign-off\n");
    let countersigned = s
        .attestation
        .as_ref()
        .map_or(&[][..], |a| &a.countersignatures[..]);
    for who in ["Technician", "Supervisor"] {
        if who == "Supervisor" && !countersigned.is_empty() {
            for c in countersigned {
                let _ = writeln!(
                    out,
                    "**{who}** — {} by {} (key {}) at {}, countersignature {}{}\n",
                    md_inline(&c.verdict),
                    md_inline(&c.operator),
                    code(&c.keyid),
                    md_inline(&c.signed_at),
                    code(&c.record_file),
                    if c.note.is_empty() {
                        String::new()
                    } else {
                        format!(" — note: {}", md_inline(&c.note))
                    }
                );
            }
            continue;
        }
        let _ = writeln!(
            out,
            "**{who}** — name: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_ \
             signature: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_ \
             date: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\n"
        );
    }
    if s.draft {
        draft_note(&mut out);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn finding(out: &mut String, f: &KeyFinding) {
    let waived = if f.waived { " (waived)" } else { "" };
    let _ = writeln!(
        out,
        "- {} **{}**{waived} — {}",
        f.status.label(),
        md_inline(&f.title),
        md_inline(&f.summary)
    );
    for d in f.details.iter().take(12) {
        let _ = writeln!(out, "  - {}", md_inline(d));
    }
    if f.details.len() > 12 {
        let _ = writeln!(out, "  - … and {} more", f.details.len() - 12);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escaping_neutralises_markup() {
        assert_eq!(md_inline("a|b"), "a\\|b");
        assert_eq!(md_inline("<script>"), "&lt;script&gt;");
        assert_eq!(md_inline("x_y*z"), "x\\_y\\*z");
        assert_eq!(md_inline("two\nlines"), "two lines");
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
