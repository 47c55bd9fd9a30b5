//! Plain-text summary for the screen and `lp`: 80 columns, pages of at most 60 lines, a
//! running header on every page after the first (carrying the draft mark for a draft).

use super::summary::{DRAFT_MARK, KeyFinding, Summary, VerdictCounts};
use crate::checks::Status;
use crate::text::{pad, truncate, width as cells, wrap};
use crate::walkthrough::Verdict;

/// Every line of the text summary fits in this many columns.
pub const WIDTH: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Lines per page, running header included. A draft mark appears at least this often.
    pub page_lines: usize,
    /// Start each page after the first with a form feed (for `lp`).
    pub form_feeds: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            page_lines: 60,
            form_feeds: false,
        }
    }
}

/// Lines that belong together; a `keep` block moves whole to the next page rather than split.
struct Block {
    lines: Vec<String>,
    keep: bool,
    /// A table's column headings, repeated at the top of a page this block's rows start or
    /// continue on, so no page shows rows without saying what the columns are.
    columns: Vec<String>,
    /// The block begins with its table's own heading (the first row's block): moved whole to
    /// a new page it brings the heading along, so the columns are not added twice.
    heads_table: bool,
}

impl Block {
    fn keep(lines: Vec<String>) -> Block {
        Block {
            lines,
            keep: true,
            columns: Vec::new(),
            heads_table: false,
        }
    }

    /// A table row kept whole, under `columns`.
    fn row(lines: Vec<String>, columns: &[String], heads_table: bool) -> Block {
        Block {
            lines,
            keep: true,
            columns: columns.to_vec(),
            heads_table,
        }
    }
}

/// Most detail lines shown under one finding.
const MAX_DETAILS: usize = 8;

pub fn render_text(s: &Summary, opts: &TextOptions) -> String {
    let mut blocks = Vec::new();
    header(s, &mut blocks);
    verdicts(s, &mut blocks);
    controls(s, &mut blocks);
    findings(s, &mut blocks);
    waivers(s, &mut blocks);
    attachments(s, &mut blocks);
    attestation(s, &mut blocks);
    signatures(s, &mut blocks);

    let page_lines = opts.page_lines.max(10);
    let pages = paginate(blocks, page_lines);
    let total = pages.len();
    let mut out = String::new();
    for (i, page) in pages.into_iter().enumerate() {
        if i > 0 {
            if opts.form_feeds {
                out.push('\u{c}');
            }
            out.push_str(&running_header(s, i + 1, total));
            out.push_str("\n\n");
        }
        for line in page {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

fn running_header(s: &Summary, page: usize, total: usize) -> String {
    // The draft mark comes first so no hostname can push it off the line.
    let mark = if s.draft {
        format!("{DRAFT_MARK} · ")
    } else {
        String::new()
    };
    let right = format!("page {page}/{total}");
    let left = truncate(
        &format!("{mark}{} · hardening summary", s.header.hostname),
        WIDTH - 2 - cells(&right),
    );
    pad_between(&left, &right, WIDTH - 1)
}

/// `left`, spaces, `right`, `width` columns in all (or one space between when too long).
fn pad_between(left: &str, right: &str, width: usize) -> String {
    let used = cells(left) + cells(right);
    let gap = width.saturating_sub(used).max(1);
    format!("{left}{}{right}", " ".repeat(gap))
}

/// Splits blocks into pages of `page_lines` (the first page) or `page_lines - 2` (later pages,
/// which start with the running header and a blank line).
fn paginate(blocks: Vec<Block>, page_lines: usize) -> Vec<Vec<String>> {
    let mut pages: Vec<Vec<String>> = vec![Vec::new()];
    let capacity = |n: usize| if n == 0 { page_lines } else { page_lines - 2 };
    for block in blocks {
        let mut lines = block.lines;
        let columns = block.columns;
        let room = capacity(pages.len() - 1) - pages[pages.len() - 1].len();
        let moved = !block.heads_table && !columns.is_empty();
        let needed = lines.len() + if moved { columns.len() } else { 0 };
        if block.keep && lines.len() > room && needed <= capacity(1) {
            pages.push(if moved { columns.clone() } else { Vec::new() });
        }
        for line in lines.drain(..) {
            let n = pages.len() - 1;
            if pages[n].len() >= capacity(n) {
                // A row continued on the next page comes under the columns again.
                pages.push(columns.clone());
            }
            let n = pages.len() - 1;
            // No page starts with a blank line.
            if pages[n].is_empty() && n > 0 && line.trim().is_empty() {
                continue;
            }
            pages[n].push(line);
        }
    }
    if pages.len() > 1 && pages[pages.len() - 1].is_empty() {
        pages.pop();
    }
    pages
}

/// `label` in a 14-column gutter, `value` wrapped beside it.
fn field(label: &str, value: &str) -> Vec<String> {
    let pad = " ".repeat(14);
    let mut lines = wrap(if value.is_empty() { "-" } else { value }, WIDTH, &pad);
    if let Some(first) = lines.first_mut() {
        *first = format!("  {label:<12}{}", first.trim_start());
    }
    lines
}

fn draft_banner() -> String {
    format!("*** {DRAFT_MARK}: not an attestation, nothing here is recorded ***")
}

fn header(s: &Summary, blocks: &mut Vec<Block>) {
    let h = &s.header;
    let right = match &s.attestation {
        Some(a) => format!("signed record #{}", a.record.seq),
        None => DRAFT_MARK.to_string(),
    };
    let left = truncate(
        &format!("HARDENING SUMMARY — {}", dash(&h.hostname)),
        WIDTH - 1 - cells(&right),
    );
    let mut lines = vec![pad_between(&left, &right, WIDTH), "=".repeat(WIDTH)];
    if s.draft {
        lines.push(draft_banner());
    }
    lines.push(String::new());
    let station = match &h.role {
        Some(role) => format!("{} ({role})", dash(&h.hostname)),
        None => dash(&h.hostname).to_string(),
    };
    lines.extend(field("Station", &station));
    if let Some(site) = &h.site {
        lines.extend(field("Site", site));
    }
    lines.extend(field("OS", &h.os));
    lines.extend(field(
        "Kernel",
        if h.kernel.is_empty() {
            "- (offline tree or not recorded)"
        } else {
            &h.kernel
        },
    ));
    if let Some(root) = &h.root {
        lines.extend(field("Inspected", &format!("offline tree {root}")));
    }
    let list = &h.checklist;
    let title = list
        .title
        .as_ref()
        .map_or_else(String::new, |t| format!(" — {t}"));
    lines.extend(field(
        "Checklist",
        &format!("{} {}{title}", list.id, list.version),
    ));
    lines.extend(field("Digest", &list.digest));
    if let Some(note) = &list.note {
        lines.extend(field("Note", note));
    }
    lines.extend(field(
        "Operator",
        h.operator.as_deref().unwrap_or("- (not yet signed)"),
    ));
    lines.extend(field("Started", &h.started_at));
    if let Some(t) = &h.updated_at {
        lines.extend(field("Last change", t));
    }
    if let Some(t) = &h.scanned_at {
        lines.extend(field("Scanned", t));
    }
    lines.extend(field(
        "Signed",
        h.signed_at.as_deref().unwrap_or("- (draft)"),
    ));
    if h.privileged == Some(false) {
        lines.extend(field(
            "Privileges",
            "not root: checks that need root are reported as unknown",
        ));
    }
    lines.extend(field(
        "Tool",
        &format!("{} {}", h.tool.name, h.tool.version),
    ));
    lines.push(String::new());
    blocks.push(Block::keep(lines));
}

fn verdict_words(c: &VerdictCounts) -> String {
    let parts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| format!("{} {}", c.get(v), verdict_phrase(v)))
        .collect();
    parts.join(" · ")
}

/// `✔ passed`, `✘ failed` …, for counts.
pub(crate) fn verdict_phrase(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "✔ passed",
        Verdict::Failed => "✘ failed",
        Verdict::Warned => "! warned",
        Verdict::NotApplicable => "– n/a",
        Verdict::NotAssessed => "· not assessed",
    }
}

fn verdicts(s: &Summary, blocks: &mut Vec<Block>) {
    let mut lines = vec!["VERDICTS".to_string()];
    lines.extend(wrap(
        &format!(
            "{} controls: {}",
            s.counts.total(),
            verdict_words(&s.counts)
        ),
        WIDTH,
        "  ",
    ));
    if let Some(c) = &s.checks {
        lines.extend(wrap(
            &format!(
                "Checks: {} ✘ fail · {} ? unknown · {} ! warn · {} ✔ pass · {} – n/a · {} waived",
                c.fail, c.unknown, c.warn, c.pass, c.not_applicable, c.waived
            ),
            WIDTH,
            "  ",
        ));
    }
    lines.push(String::new());
    for a in &s.areas {
        let n = a.verdicts.total();
        if n == 0 {
            continue;
        }
        let glyphs: String = Verdict::ALL
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v.glyph(), a.verdicts.get(v)))
            .collect();
        let controls = format!("{n} control{}", if n == 1 { "" } else { "s" });
        lines.push(format!(
            "  {:<12}{controls:<13}{glyphs}",
            area_title(a.area)
        ));
    }
    lines.push(String::new());
    blocks.push(Block::keep(lines));
}

fn controls(s: &Summary, blocks: &mut Vec<Block>) {
    let id_w = s
        .controls
        .iter()
        .map(|c| cells(&c.id))
        .max()
        .unwrap_or(6)
        .clamp(6, 16)
        + 2;
    let verdict_w = 16;
    let indent = " ".repeat(id_w + verdict_w);
    let heading = vec![
        "CONTROLS".to_string(),
        format!("{:<id_w$}{:<verdict_w$}{}", "ID", "VERDICT", "TITLE / NOTE"),
        format!(
            "{:<id_w$}{:<verdict_w$}{}",
            "-".repeat(id_w - 2),
            "-".repeat(verdict_w - 2),
            "-".repeat(WIDTH - id_w - verdict_w)
        ),
    ];
    let columns = heading[1..].to_vec();
    let mut first = true;
    for c in &s.controls {
        let mut lines = if first { heading.clone() } else { Vec::new() };
        let heads_table = first;
        first = false;
        let title = wrap(&c.title, WIDTH, &indent);
        for (i, t) in title.iter().enumerate() {
            if i == 0 {
                lines.push(format!(
                    "{}{:<verdict_w$}{}",
                    pad(&truncate(&c.id, id_w - 1), id_w),
                    c.verdict.label(),
                    t.trim_start()
                ));
            } else {
                lines.push(t.clone());
            }
        }
        let over = c.passed_over();
        if !over.is_empty() {
            lines.extend(wrap(
                &format!(
                    "✘ PASSED over a failing or unknown check ({}); the note says why:",
                    over.join(", ")
                ),
                WIDTH,
                &indent,
            ));
        }
        // The whole note, every line: nothing is cut silently.
        for (i, line) in c.note_lines().into_iter().enumerate() {
            let text = if i == 0 {
                format!("Note: {line}")
            } else {
                format!("      {line}")
            };
            lines.extend(wrap(&text, WIDTH, &indent));
        }
        blocks.push(Block::row(lines, &columns, heads_table));
    }
    blocks.push(Block::keep(vec![String::new()]));
}

pub(crate) fn area_title(area: crate::checks::Area) -> &'static str {
    use crate::checks::Area;
    match area {
        Area::Services => "Services",
        Area::Accounts => "Accounts",
        Area::Patches => "Patches",
        Area::Firewall => "Firewall",
        Area::Network => "Network",
        Area::Supporting => "Supporting",
    }
}

fn finding_lines(f: &KeyFinding) -> Vec<String> {
    let label_w = 12;
    let indent = " ".repeat(2 + label_w);
    let mut title = f.title.clone();
    if f.waived {
        title.push_str(" [waived]");
    }
    let mut lines = Vec::new();
    for (i, t) in wrap(&title, WIDTH, &indent).into_iter().enumerate() {
        if i == 0 {
            lines.push(format!(
                "  {:<label_w$}{}",
                f.status.label(),
                t.trim_start()
            ));
        } else {
            lines.push(t);
        }
    }
    lines.extend(wrap(&f.summary, WIDTH, &indent));
    let detail_indent = format!("{indent}  ");
    for d in f.details.iter().take(MAX_DETAILS) {
        let mut d = wrap(d, WIDTH, &detail_indent);
        if let Some(first) = d.first_mut() {
            *first = format!("{indent}- {}", first.trim_start());
        }
        lines.extend(d);
    }
    if f.details.len() > MAX_DETAILS {
        lines.push(format!(
            "{indent}… and {} more",
            f.details.len() - MAX_DETAILS
        ));
    }
    lines
}

fn findings(s: &Summary, blocks: &mut Vec<Block>) {
    let mut first = true;
    for a in &s.areas {
        let mut head = Vec::new();
        if first {
            head.push("KEY FINDINGS".to_string());
            first = false;
        }
        let counts = if a.verdicts.total() > 0 {
            format!(" (controls: {})", short_verdicts(&a.verdicts))
        } else {
            String::new()
        };
        head.push(truncate(
            &format!("{}{counts}", area_title(a.area).to_uppercase()),
            WIDTH,
        ));
        if a.findings.is_empty() {
            head.push("  No automated findings recorded for this area.".into());
            head.push(String::new());
            blocks.push(Block::keep(head));
            continue;
        }
        let mut pending_head = Some(head);
        let mut area_blocks = Vec::new();
        for f in a.attention() {
            let mut lines = pending_head.take().unwrap_or_default();
            lines.extend(finding_lines(f));
            area_blocks.push(lines);
        }
        // The passed list stays with the area's last finding (or its heading).
        let mut tail = pending_head
            .take()
            .or_else(|| area_blocks.pop())
            .unwrap_or_default();
        for (label, list) in [
            (Status::Pass.label(), a.passed().collect::<Vec<_>>()),
            (Status::NotApplicable.label(), a.not_applicable().collect()),
        ] {
            if list.is_empty() {
                continue;
            }
            let titles: Vec<&str> = list.iter().map(|f| f.title.as_str()).collect();
            let indent = " ".repeat(14);
            for (i, t) in wrap(&titles.join("; "), WIDTH, &indent)
                .into_iter()
                .enumerate()
            {
                if i == 0 {
                    tail.push(format!("  {label:<12}{}", t.trim_start()));
                } else {
                    tail.push(t);
                }
            }
        }
        tail.push(String::new());
        area_blocks.push(tail);
        blocks.extend(area_blocks.into_iter().map(Block::keep));
    }
}

fn short_verdicts(c: &VerdictCounts) -> String {
    Verdict::ALL
        .iter()
        .filter(|&&v| c.get(v) > 0)
        .map(|&v| format!("{} {}", c.get(v), verdict_phrase(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn waivers(s: &Summary, blocks: &mut Vec<Block>) {
    let mut head = vec!["WAIVERS".to_string()];
    if s.waivers.is_empty() {
        head.push("  No waivers.".into());
        head.push(String::new());
        blocks.push(Block::keep(head));
        return;
    }
    let mut pending = Some(head);
    for w in &s.waivers {
        let mut lines = pending.take().unwrap_or_default();
        let state = if w.expired {
            format!("EXPIRED {} — no longer applies", w.expires)
        } else {
            format!("expires {}", w.expires)
        };
        let left = truncate(&format!("  {}", w.target), WIDTH - 2 - cells(&state));
        lines.push(pad_between(&left, &state, WIDTH));
        lines.extend(wrap(&w.justification, WIDTH, "    "));
        lines.extend(wrap(&format!("Approved by {}", w.approver), WIDTH, "    "));
        blocks.push(Block::keep(lines));
    }
    blocks.push(Block::keep(vec![String::new()]));
}

/// Every attached file with its digest (printed only when there are any). The file itself
/// is `evidence/sha256/<sha256>` in the data directory; the summary never opens it.
fn attachments(s: &Summary, blocks: &mut Vec<Block>) {
    let mut pending = Some(vec![
        "ATTACHMENTS (each is evidence/sha256/<SHA-256> in the data directory)".to_string(),
    ]);
    for c in &s.controls {
        for a in &c.attachments {
            let mut lines = pending.take().unwrap_or_default();
            lines.extend(wrap(
                &format!("{}: {} ({}, {} bytes)", c.id, a.name, a.media_type, a.size),
                WIDTH,
                "    ",
            ));
            lines.push(format!("    SHA-256 {}", a.sha256));
            blocks.push(Block::keep(lines));
        }
    }
    if pending.is_none() {
        blocks.push(Block::keep(vec![String::new()]));
    }
}

/// Splits at spaces outside single quotes (the only quoting `shell_quote` produces).
fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in cmd.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.push(c);
            }
            ' ' if !quoted => words.push(std::mem::take(&mut word)),
            _ => word.push(c),
        }
    }
    words.push(word);
    words
}

/// A shell command broken into lines ending ` \\`, continuation lines indented. An option
/// stays with its argument, and a redirection with its file.
pub(crate) fn command_lines(cmd: &str, width: usize, indent: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut joining = false;
    for word in shell_words(cmd) {
        let word = word.as_str();
        match units.last_mut() {
            Some(last) if joining => {
                last.push(' ');
                last.push_str(word);
                joining = false;
            }
            _ => {
                units.push(word.to_string());
                joining = word.starts_with('-') && word.len() <= 3 || word == "<" || word == ">";
            }
        }
    }
    let cont = format!("{indent}    ");
    let room = width.saturating_sub(2); // room for the continuation mark
    let mut lines: Vec<String> = Vec::new();
    let mut line = format!("{indent}$");
    let mut empty = true;
    for unit in units {
        if !empty && cells(&line) + 1 + cells(&unit) > room {
            line.push_str(" \\");
            lines.push(line);
            line = cont.clone();
            empty = true;
        }
        if !(empty && line == cont) {
            line.push(' ');
        }
        line.push_str(&unit);
        empty = false;
    }
    lines.push(line);
    // A single word wider than the page (a very long path) is broken rather than overflow.
    lines
        .into_iter()
        .flat_map(|l| {
            if cells(&l) <= width {
                vec![l]
            } else {
                wrap(&l, width, &cont)
            }
        })
        .collect()
}

fn attestation(s: &Summary, blocks: &mut Vec<Block>) {
    let mut lines = vec!["ATTESTATION".to_string()];
    let Some(a) = &s.attestation else {
        lines.extend(wrap(
            "Not signed. This draft is in no ledger and proves nothing on its own. Sign the \
             walkthrough on the Sign-off screen (or with `stationward attest`), then print the \
             summary of the signed record.",
            WIDTH,
            "  ",
        ));
        lines.push(String::new());
        blocks.push(Block::keep(lines));
        return;
    };
    let r = &a.record;
    if let Some(notice) = &a.notice {
        lines.extend(wrap(&format!("*** {notice} ***"), WIDTH, "  "));
    }
    if let Some(review) = &a.review {
        lines.extend(wrap(&format!("*** {review} ***"), WIDTH, "  "));
    }
    lines.extend(field("Record", r.file_name()));
    lines.extend(field("Signed by", &r.operator));
    lines.extend(field("Signer key", &r.keyid));
    lines.extend(field("Signed at", &r.signed_at));
    lines.extend(field("Ledger head", &format!("seq {}", r.seq)));
    lines.extend(field("SHA-256", &r.sha256));
    if let Some(trust) = &a.trust {
        lines.extend(field("Trusted by", trust));
    }
    lines.push(String::new());
    blocks.push(Block::keep(lines));
    let mut lines = wrap(
        "To verify, in the data directory that holds ledger/ and allowed_signers:",
        WIDTH,
        "  ",
    );
    for (i, v) in a.verify.iter().enumerate() {
        let mut one = if i == 0 {
            std::mem::take(&mut lines)
        } else {
            Vec::new()
        };
        one.extend(wrap(&format!("# {}", v.purpose), WIDTH, "    "));
        one.extend(command_lines(&v.command, WIDTH, "    "));
        blocks.push(Block::keep(one));
    }
    blocks.push(Block::keep(vec![String::new()]));
}

fn signatures(s: &Summary, blocks: &mut Vec<Block>) {
    let mut lines = vec!["SIGN-OFF".to_string()];
    if s.draft {
        lines.push(draft_banner());
    }
    lines.push(String::new());
    let countersigned = s
        .attestation
        .as_ref()
        .map_or(&[][..], |a| &a.countersignatures[..]);
    for who in ["Technician", "Supervisor"] {
        if who == "Supervisor" && !countersigned.is_empty() {
            // Name, verdict, key and time on lines of their own: the key never wraps.
            for c in countersigned {
                lines.push(format!(
                    "  {who:<12}{} by {}, countersignature {}",
                    c.verdict, c.operator, c.record_file
                ));
                lines.push(format!("  {:<12}key {}", "", c.keyid));
                lines.push(format!("  {:<12}at {}", "", c.signed_at));
                if !c.note.is_empty() {
                    lines.extend(wrap(&format!("Note: {}", c.note), WIDTH, &" ".repeat(14)));
                }
                lines.push(String::new());
            }
            continue;
        }
        lines.push(format!(
            "  {who:<12}name {}  signature {}",
            "_".repeat(26),
            "_".repeat(22)
        ));
        lines.push(String::new());
        lines.push(format!("  {:<12}date {}", "", "_".repeat(16)));
        lines.push(String::new());
    }
    let source = match &s.attestation {
        Some(a) => format!("ledger record {}", a.record.file_name()),
        None => "an unsigned walkthrough".to_string(),
    };
    lines.extend(wrap(
        &format!(
            "Printed by {} {} from {source}.",
            s.header.tool.name, s.header.tool.version
        ),
        WIDTH,
        "",
    ));
    blocks.push(Block::keep(lines));
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_wrap_within_width() {
        let cmd = format!("stationward verify --expect-head 17:{}", "a".repeat(64));
        let lines = command_lines(&cmd, WIDTH, "    ");
        assert!(lines.iter().all(|l| cells(l) <= WIDTH), "{lines:?}");
        assert_eq!(lines[0], "    $ stationward verify --expect-head \\");
        assert!(lines[1].trim_start().starts_with("17:"));
    }

    #[test]
    fn paginate_keeps_blocks_whole_and_caps_pages() {
        let blocks: Vec<Block> = (0..10)
            .map(|i| Block::keep(vec![format!("b{i}"); 15]))
            .collect();
        let pages = paginate(blocks, 60);
        assert!(pages[0].len() <= 60);
        assert!(pages.iter().skip(1).all(|p| p.len() <= 58));
        // 4 blocks of 15 fit the first page, 3 fit each later page.
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [60, 45, 45]);
    }

    #[test]
    fn table_columns_head_every_page_a_row_lands_on() {
        let columns = vec!["ID  VERDICT".to_string(), "--  -------".to_string()];
        let mut blocks = vec![Block::keep(vec!["intro".to_string(); 5])];
        let mut first = vec!["CONTROLS".to_string()];
        first.extend(columns.clone());
        first.push("r0".into());
        blocks.push(Block::row(first, &columns, true));
        for i in 1..30 {
            blocks.push(Block::row(
                vec![format!("r{i}"), format!("  r{i} note")],
                &columns,
                false,
            ));
        }
        // One row longer than a page: it continues under the columns.
        blocks.push(Block::row(vec!["long".to_string(); 25], &columns, false));
        let pages = paginate(blocks, 12);
        assert_eq!(pages[0][5..8], ["CONTROLS", "ID  VERDICT", "--  -------"]);
        for (n, page) in pages.iter().enumerate().skip(1) {
            assert_eq!(page[..2], columns[..], "page {}: {page:?}", n + 1);
            assert!(page.len() <= 10, "page {}: {page:?}", n + 1);
            assert_eq!(page.iter().filter(|l| **l == columns[0]).count(), 1);
        }
        // Every row is there once.
        let rows: usize = pages
            .iter()
            .flatten()
            .filter(|l| l.starts_with('r'))
            .count();
        assert_eq!(rows, 30);
    }

    #[test]
    fn a_table_that_starts_a_page_brings_its_own_heading() {
        let columns = vec!["ID".to_string()];
        let blocks = vec![
            Block::keep(vec!["x".to_string(); 9]),
            Block::row(
                vec!["CONTROLS".into(), "ID".into(), "r0".into()],
                &columns,
                true,
            ),
        ];
        let pages = paginate(blocks, 10);
        assert_eq!(pages[1], ["CONTROLS", "ID", "r0"]);
    }

    #[test]
    fn oversized_blocks_split() {
        let pages = paginate(vec![Block::keep(vec!["x".to_string(); 130])], 60);
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [60, 58, 12]);
    }
}
