//! One self-contained, print-ready HTML file: inline CSS and SVG, nothing fetched, A4 and
//! Letter alike (`@page { size: auto }`). A draft carries a watermark that repeats on every
//! printed page and a running page header.

use super::summary::{AreaFindings, DRAFT_MARK, KeyFinding, Summary};
use super::text::{area_title, verdict_phrase};
use crate::checks::Status;
use crate::walkthrough::Verdict;
use std::fmt::Write;

/// Escapes text for HTML element content and double-quoted attributes.
/// Control characters and bidi overrides are first shown escaped (`\x1b`) as on the terminal:
/// the file may be printed to one, and a browser must not reorder what a signer saw either.
pub fn esc(s: &str) -> String {
    let s = crate::text::for_terminal_lines(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --pass:#1b7a36; --fail:#b3261e; --warn:#b45309; --na:#6b7785; --nass:#9aa3ad;
  --line:#c9ced6; --soft:#f3f5f8; --ink:#16191d; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 6mm; color: var(--ink);
  font: 10pt/1.4 "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; padding-bottom: 1mm; border-bottom: 1.5pt solid var(--ink);
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; page-break-after: avoid; }
p { margin: 1mm 0 2mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
thead { display: table-header-group; }
tr, li, .keep, .chart, .signoff, .cmd { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 0.5pt solid var(--line); }
th { background: var(--soft); font-weight: 600; }
table.facts th { width: 32mm; background: none; font-weight: 600; color: #3a414a; }
table.facts td, table.facts th { border: none; padding: 0.4mm 1.5mm; }
td.id { white-space: nowrap; font-weight: 600; }
td.verdict, .status { white-space: nowrap; font-weight: 700; }
.v-passed, .s-pass { color: var(--pass); } .v-failed, .s-fail { color: var(--fail); }
.v-warned, .s-warn { color: var(--warn); } .v-not_applicable, .s-not_applicable { color: var(--na); }
.v-not_assessed, .s-unknown { color: #5b6470; }
td.note { color: #333a42; font-size: 9pt; }
.over { color: var(--fail); font-weight: 700; white-space: normal; font-size: 8.5pt; }
.tail { break-inside: avoid; page-break-inside: avoid; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; font-size: 8.5pt; }
code { overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border: 0.5pt solid var(--line);
  padding: 1.5mm 2mm; margin: 0.5mm 0 2mm; }
ul.findings { list-style: none; padding: 0; margin: 0 0 2mm; }
ul.findings > li { padding: 1mm 0 1mm 27mm; text-indent: -27mm; border-bottom: 0.5pt solid var(--line); }
ul.findings > li .status { display: inline-block; width: 27mm; text-indent: 0; }
ul.details { margin: 0.5mm 0 0; padding-left: 5mm; text-indent: 0; font-size: 9pt; color: #333a42; }
p.passed { font-size: 9pt; color: #333a42; }
.expired { color: var(--fail); font-weight: 700; }
.banner { border: 1.5pt solid var(--fail); color: var(--fail); font-weight: 700; text-align: center;
  padding: 1.5mm; margin: 0 0 3mm; letter-spacing: 0.05em; }
.signed { border: 1pt solid var(--pass); color: var(--pass); font-weight: 700; text-align: center; padding: 1mm; margin: 0 0 3mm; }
.chart svg { width: 100%; max-width: 150mm; height: auto; display: block; }
.chart text { font: 11px "DejaVu Sans", Arial, sans-serif; fill: var(--ink); }
.b-passed { fill: var(--pass); } .b-failed { fill: var(--fail); } .b-warned { fill: var(--warn); }
.b-not_applicable { fill: var(--na); } .b-not_assessed { fill: #e6e9ee; stroke: var(--nass); stroke-width: 0.8; }
.signoff table td { border: none; padding: 5mm 1.5mm 0.5mm; }
.signoff .line { border-bottom: 0.8pt solid var(--ink); }
.signoff .who { width: 26mm; font-weight: 600; }
.signoff .cap { width: 18mm; color: #3a414a; text-align: right; }
footer { margin-top: 6mm; font-size: 8.5pt; color: #5b6470; }
.watermark { display: none; }
body.draft .watermark { display: flex; position: fixed; top: 0; left: 0; width: 100%; height: 100%;
  align-items: center; justify-content: center; pointer-events: none; z-index: 10; }
body.draft .watermark span { transform: rotate(-35deg); font-size: 42pt; font-weight: 800; white-space: nowrap;
  color: rgba(179, 38, 30, 0.13); letter-spacing: 0.06em; }
@page { size: auto; margin: 16mm 14mm 16mm 14mm; }
@media print {
  body { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The running header a draft prints in the page's top margin (Chromium 131+, and other
/// engines with CSS page margin boxes); the fixed watermark covers the rest.
fn draft_page_css() -> String {
    format!(
        "@page {{ @top-center {{ content: \"{DRAFT_MARK}\"; color: #b3261e; font: 700 9pt \"DejaVu Sans\", Arial, sans-serif; }} \
         @bottom-center {{ content: \"{DRAFT_MARK} — page \" counter(page) \" of \" counter(pages); color: #b3261e; font: 8pt \"DejaVu Sans\", Arial, sans-serif; }} }}\n"
    )
}

/// Text inside a double-quoted CSS string inside `<style>`: everything but letters,
/// digits, space and `-._:` as a CSS hex escape, so no quote, backslash, newline or `</style`
/// can end the string or the element.
pub fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_' | ':') {
            out.push(c);
        } else if c.is_control() {
            out.push_str("\\fffd ");
        } else {
            let _ = write!(out, "\\{:x} ", u32::from(c));
        }
    }
    out
}

fn signed_page_css(s: &Summary) -> String {
    let label = format!("{} — hardening summary", css_string(&s.header.hostname));
    format!(
        "@page {{ @bottom-center {{ content: \"{label} — page \" counter(page) \" of \" counter(pages); color: #5b6470; font: 8pt \"DejaVu Sans\", Arial, sans-serif; }} }}\n"
    )
}

fn verdict_class(v: Verdict) -> String {
    v.as_str().to_ascii_lowercase()
}

pub fn render_html(s: &Summary) -> String {
    let h = &s.header;
    let mut out = String::new();
    let host = if h.hostname.is_empty() {
        "-"
    } else {
        h.hostname.as_str()
    };
    let title = if s.draft {
        format!("Hardening summary — {host} ({DRAFT_MARK})")
    } else {
        format!("Hardening summary — {host}")
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body class=\"{}\">\n",
        esc(&title),
        if s.draft {
            draft_page_css()
        } else {
            signed_page_css(s)
        },
        if s.draft { "draft" } else { "record" }
    );
    if s.draft {
        let _ = writeln!(
            out,
            "<div class=\"watermark\" aria-hidden=\"true\"><span>{DRAFT_MARK}</span></div>"
        );
    }

    // Header.
    out.push_str("<header>\n");
    if s.draft {
        let _ = writeln!(
            out,
            "<div class=\"banner\">{DRAFT_MARK} — this summary is not an attestation; nothing in it is recorded or signed</div>"
        );
    } else if let Some(a) = &s.attestation {
        if let Some(notice) = &a.notice {
            let _ = writeln!(out, "<div class=\"banner\">{}</div>", esc(notice));
        }
        if let Some(review) = &a.review {
            let _ = writeln!(out, "<div class=\"banner\">{}</div>", esc(review));
        }
        let _ = writeln!(
            out,
            "<div class=\"signed\">✔ Signed record #{} — {}</div>",
            a.record.seq,
            esc(a.record.file_name())
        );
    }
    let _ = writeln!(out, "<h1>Hardening summary — {}</h1>", esc(host));
    out.push_str("<table class=\"facts\">\n<tbody>\n");
    let mut fact = |k: &str, v: &str| {
        let v = if v.is_empty() { "—" } else { v };
        let _ = writeln!(out, "<tr><th scope=\"row\">{k}</th><td>{v}</td></tr>");
    };
    let station = match &h.role {
        Some(role) => format!("{} ({})", esc(host), esc(role)),
        None => esc(host),
    };
    fact("Station", &station);
    if let Some(site) = &h.site {
        fact("Site", &esc(site));
    }
    fact("OS", &esc(&h.os));
    fact("Kernel", &esc(&h.kernel));
    if let Some(root) = &h.root {
        fact(
            "Inspected",
            &format!("offline tree <code>{}</code>", esc(root)),
        );
    }
    let list_title = h
        .checklist
        .title
        .as_ref()
        .map_or_else(String::new, |t| format!(" — {}", esc(t)));
    fact(
        "Checklist",
        &format!(
            "<code>{}</code> {}{list_title}",
            esc(&h.checklist.id),
            esc(&h.checklist.version)
        ),
    );
    fact(
        "Digest",
        &format!("<code>{}</code>", esc(&h.checklist.digest)),
    );
    if let Some(note) = &h.checklist.note {
        fact("Note", &esc(note));
    }
    fact(
        "Operator",
        &h.operator
            .as_deref()
            .map_or_else(|| "— (not yet signed)".to_string(), esc),
    );
    fact("Started", &esc(&h.started_at));
    if let Some(t) = &h.updated_at {
        fact("Last change", &esc(t));
    }
    if let Some(t) = &h.scanned_at {
        fact("Scanned", &esc(t));
    }
    fact(
        "Signed",
        &h.signed_at
            .as_deref()
            .map_or_else(|| "— (draft)".to_string(), esc),
    );
    if h.privileged == Some(false) {
        fact(
            "Privileges",
            "not root: checks that need root are reported as unknown",
        );
    }
    fact(
        "Tool",
        &format!("{} {}", esc(&h.tool.name), esc(&h.tool.version)),
    );
    out.push_str("</tbody>\n</table>\n</header>\n<main>\n");

    verdicts(s, &mut out);
    findings(s, &mut out);
    waivers(s, &mut out);
    attachments(s, &mut out);
    attestation(s, &mut out);
    // The sign-off block and the footer print together: never a last page with only the
    // footer on it.
    out.push_str("<div class=\"tail\">\n");
    signoff(s, &mut out);

    out.push_str("<footer>\n");
    if s.draft {
        let _ = writeln!(out, "<div class=\"banner\">{DRAFT_MARK}</div>");
    }
    let source = match &s.attestation {
        Some(a) => format!("ledger record {}", esc(a.record.file_name())),
        None => "an unsigned walkthrough".to_string(),
    };
    let _ = writeln!(
        out,
        "<p>Printed by {} {} from {source}.</p>\n</footer>\n</div>\n</main>\n</body>\n</html>",
        esc(&h.tool.name),
        esc(&h.tool.version)
    );
    out
}

fn verdicts(s: &Summary, out: &mut String) {
    out.push_str("<section id=\"verdicts\">\n<h2>Verdicts</h2>\n");
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| {
            format!(
                "<span class=\"v-{}\">{} {}</span>",
                verdict_class(v),
                s.counts.get(v),
                verdict_phrase(v)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<p>{} controls: {}.</p>",
        s.counts.total(),
        counts.join(" · ")
    );
    if let Some(c) = &s.checks {
        let _ = writeln!(
            out,
            "<p>Automated checks: <span class=\"s-fail\">{} ✘ fail</span> · <span class=\"s-unknown\">{} ? unknown</span> · <span class=\"s-warn\">{} ! warn</span> · <span class=\"s-pass\">{} ✔ pass</span> · {} – n/a · {} waived.</p>",
            c.fail, c.unknown, c.warn, c.pass, c.not_applicable, c.waived
        );
    }
    out.push_str(&chart(&s.areas));
    out.push_str(
        "<table class=\"controls\">\n<thead><tr><th>ID</th><th>Title</th><th>Verdict</th><th>Note</th></tr></thead>\n<tbody>\n",
    );
    for c in &s.controls {
        let over = c.passed_over();
        let mark = if over.is_empty() {
            String::new()
        } else {
            format!(
                "<br><span class=\"over\">✘ over a failing or unknown check ({})</span>",
                esc(&over.join(", "))
            )
        };
        let note: Vec<String> = c.note_lines().into_iter().map(esc).collect();
        let _ = writeln!(
            out,
            "<tr><td class=\"id\">{}</td><td>{}</td><td class=\"verdict v-{}\">{}{mark}</td><td class=\"note\">{}</td></tr>",
            esc(&c.id),
            esc(&c.title),
            verdict_class(c.verdict),
            c.verdict.label(),
            note.join("<br>")
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// A horizontal stacked bar per area: how many controls got each verdict. Counts are written
/// beside each bar and the legend carries glyphs, so colour is never the only signal.
pub fn chart(areas: &[AreaFindings]) -> String {
    let rows: Vec<&AreaFindings> = areas.iter().filter(|a| a.verdicts.total() > 0).collect();
    if rows.is_empty() {
        return String::new();
    }
    let max = rows
        .iter()
        .map(|a| a.verdicts.total())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (90.0_f64, 300.0_f64, 24.0_f64);
    let width = 560.0_f64;
    let legend_y = row_h * rows.len() as f64 + 14.0;
    let height = legend_y + 22.0;
    let mut svg = format!(
        "<div class=\"chart keep\">\n<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"chart-title\">\n<title id=\"chart-title\">Control verdicts per area</title>\n"
    );
    let unit = bar_w / max as f64;
    for (i, a) in rows.iter().enumerate() {
        let y = row_h * i as f64 + 4.0;
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + 13.0,
            area_title(a.area)
        );
        let mut x = label_w;
        let mut words = Vec::new();
        for v in Verdict::ALL {
            let n = a.verdicts.get(v);
            if n == 0 {
                continue;
            }
            let w = unit * n as f64;
            let _ = writeln!(
                svg,
                "<rect class=\"b-{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\"><title>{}: {n} {}</title></rect>",
                verdict_class(v),
                (w - 1.0).max(1.0),
                area_title(a.area),
                verdict_phrase(v)
            );
            x += w;
            words.push(format!("{n} {}", v.glyph()));
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w + bar_w + 8.0,
            y + 13.0,
            words.join("  ")
        );
    }
    let mut x = 0.0;
    for v in Verdict::ALL {
        let _ = writeln!(
            svg,
            "<rect class=\"b-{}\" x=\"{x:.1}\" y=\"{legend_y:.1}\" width=\"12\" height=\"12\"></rect><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            verdict_class(v),
            x + 16.0,
            legend_y + 10.5,
            verdict_phrase(v)
        );
        x += match v {
            Verdict::NotAssessed => 120.0,
            _ => 100.0,
        };
    }
    svg.push_str("</svg>\n</div>\n");
    svg
}

fn status_class(s: Status) -> &'static str {
    s.as_str()
}

fn findings(s: &Summary, out: &mut String) {
    out.push_str("<section id=\"findings\">\n<h2>Key findings</h2>\n");
    for a in &s.areas {
        let _ = writeln!(
            out,
            "<section class=\"area\">\n<h3>{}</h3>",
            area_title(a.area)
        );
        if a.findings.is_empty() {
            out.push_str("<p>No automated findings recorded for this area.</p>\n</section>\n");
            continue;
        }
        let attention: Vec<&KeyFinding> = a.attention().collect();
        if !attention.is_empty() {
            out.push_str("<ul class=\"findings\">\n");
            for f in attention {
                finding(f, out);
            }
            out.push_str("</ul>\n");
        }
        for (label, class, list) in [
            ("✔ PASS", "s-pass", a.passed().collect::<Vec<_>>()),
            ("– N/A", "s-not_applicable", a.not_applicable().collect()),
        ] {
            if !list.is_empty() {
                let titles: Vec<String> = list.iter().map(|f| esc(&f.title)).collect();
                let _ = writeln!(
                    out,
                    "<p class=\"passed\"><span class=\"status {class}\">{label}</span> {}</p>",
                    titles.join("; ")
                );
            }
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

fn finding(f: &KeyFinding, out: &mut String) {
    let waived = if f.waived { " (waived)" } else { "" };
    let _ = write!(
        out,
        "<li><span class=\"status s-{}\">{}</span><strong>{}</strong>{waived} — {}",
        status_class(f.status),
        f.status.label(),
        esc(&f.title),
        esc(&f.summary)
    );
    if !f.details.is_empty() {
        out.push_str("<ul class=\"details\">");
        for d in f.details.iter().take(12) {
            let _ = write!(out, "<li>{}</li>", esc(d));
        }
        if f.details.len() > 12 {
            let _ = write!(out, "<li>… and {} more</li>", f.details.len() - 12);
        }
        out.push_str("</ul>");
    }
    out.push_str("</li>\n");
}

fn waivers(s: &Summary, out: &mut String) {
    out.push_str("<section id=\"waivers\">\n<h2>Waivers</h2>\n");
    if s.waivers.is_empty() {
        out.push_str("<p>No waivers.</p>\n</section>\n");
        return;
    }
    out.push_str("<table>\n<thead><tr><th>Waived</th><th>Justification</th><th>Approver</th><th>Expires</th></tr></thead>\n<tbody>\n");
    for w in &s.waivers {
        let expires = if w.expired {
            format!(
                "<span class=\"expired\">EXPIRED {}</span><br>no longer applies",
                esc(&w.expires)
            )
        } else {
            esc(&w.expires)
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{expires}</td></tr>",
            esc(&w.target),
            esc(&w.justification),
            esc(&w.approver)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The attached files with their digests. Never fetched, embedded or rendered: an
/// attachment is untrusted bytes, and the page must print the same wherever it is opened.
fn attachments(s: &Summary, out: &mut String) {
    let attached: Vec<_> = s
        .controls
        .iter()
        .flat_map(|c| c.attachments.iter().map(move |a| (&c.id, a)))
        .collect();
    if attached.is_empty() {
        return;
    }
    out.push_str("<section id=\"attachments\">\n<h2>Attachments</h2>\n<p>Each file is <code>evidence/sha256/&lt;SHA-256&gt;</code> in the data directory.</p>\n");
    out.push_str("<table>\n<thead><tr><th>Control</th><th>File</th><th>Type</th><th>Bytes</th><th>SHA-256</th></tr></thead>\n<tbody>\n");
    for (id, a) in attached {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code class=\"digest\">{}</code></td></tr>",
            esc(id),
            esc(&a.name),
            esc(&a.media_type),
            a.size,
            esc(&a.sha256)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn attestation(s: &Summary, out: &mut String) {
    out.push_str("<section id=\"attestation\">\n<h2>Attestation</h2>\n");
    let Some(a) = &s.attestation else {
        out.push_str(
            "<p class=\"keep\"><strong>Not signed.</strong> This draft is in no ledger and proves nothing on its own. Sign the walkthrough on the Sign-off screen (or with <code>stationward attest</code>), then print the summary of the signed record.</p>\n</section>\n",
        );
        return;
    };
    let r = &a.record;
    let _ = writeln!(
        out,
        "<table class=\"facts keep\">\n<tbody>\n\
         <tr><th scope=\"row\">Record</th><td><code>{}</code></td></tr>\n\
         <tr><th scope=\"row\">Signed by</th><td>{}</td></tr>\n\
         <tr><th scope=\"row\">Signer key</th><td><code>{}</code></td></tr>\n\
         <tr><th scope=\"row\">Signed at</th><td>{}</td></tr>\n\
         <tr><th scope=\"row\">Ledger head</th><td>seq {}</td></tr>\n\
         <tr><th scope=\"row\">SHA-256</th><td><code>{}</code></td></tr>\n\
         {}</tbody>\n</table>",
        esc(r.file_name()),
        esc(&r.operator),
        esc(&r.keyid),
        esc(&r.signed_at),
        r.seq,
        esc(&r.sha256),
        a.trust.as_ref().map_or_else(String::new, |t| format!(
            "<tr><th scope=\"row\">Trusted by</th><td>{}</td></tr>\n",
            esc(t)
        ))
    );
    out.push_str("<p>To verify, in the data directory that holds <code>ledger/</code> and <code>allowed_signers</code>:</p>\n");
    for v in &a.verify {
        let _ = writeln!(
            out,
            "<div class=\"cmd\"><p>{}</p><pre><code>{}</code></pre></div>",
            esc(&v.purpose),
            esc(&v.command)
        );
    }
    out.push_str("</section>\n");
}

fn signoff(s: &Summary, out: &mut String) {
    out.push_str("<section id=\"signoff\" class=\"signoff\">\n<h2>Sign-off</h2>\n");
    if s.draft {
        let _ = writeln!(out, "<div class=\"banner\">{DRAFT_MARK}</div>");
    }
    out.push_str("<table>\n<tbody>\n");
    let countersigned = s
        .attestation
        .as_ref()
        .map_or(&[][..], |a| &a.countersignatures[..]);
    for who in ["Technician", "Supervisor"] {
        if who == "Supervisor" && !countersigned.is_empty() {
            for c in countersigned {
                let _ = writeln!(
                    out,
                    "<tr class=\"countersign\"><td class=\"who\">{who}</td><td colspan=\"4\">{} by {} (key <code>{}</code>) at {}, countersignature {}{}</td></tr>",
                    esc(&c.verdict),
                    esc(&c.operator),
                    esc(&c.keyid),
                    esc(&c.signed_at),
                    esc(&c.record_file),
                    if c.note.is_empty() {
                        String::new()
                    } else {
                        format!("<br>Note: {}", esc(&c.note))
                    }
                );
            }
            continue;
        }
        let _ = writeln!(
            out,
            "<tr><td class=\"who\">{who}</td><td class=\"cap\">name</td><td class=\"line\"></td><td class=\"cap\">signature</td><td class=\"line\"></td></tr>\n\
             <tr><td></td><td class=\"cap\">date</td><td class=\"line\"></td><td></td><td></td></tr>"
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn escapes_terminal_controls_and_bidi_overrides_but_keeps_lines() {
        assert_eq!(
            esc("cs\x1b]0;pwn\x07\u{202e}x\ny"),
            "cs\\x1b]0;pwn\\x07\\u{202e}x\ny"
        );
    }
}
