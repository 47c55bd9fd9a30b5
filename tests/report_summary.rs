#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The hardening summary: snapshots of the text and Markdown forms for a signed record and a
//! draft, 80-column text, draft marks on every page, well-formed self-contained HTML, JSON.

#[path = "fixtures/report/fixture.rs"]
mod fixture;

use stationward::report::{self, DRAFT_MARK, Format, Summary, TextOptions};

fn text(s: &Summary) -> String {
    report::render(s, Format::Text).unwrap()
}

#[test]
fn record_text_snapshot() {
    insta::assert_snapshot!("record_text", text(&fixture::record()));
}

#[test]
fn draft_text_snapshot() {
    insta::assert_snapshot!("draft_text", text(&fixture::draft()));
}

#[test]
fn record_markdown_snapshot() {
    insta::assert_snapshot!(
        "record_markdown",
        report::render(&fixture::record(), Format::Markdown).unwrap()
    );
}

#[test]
fn draft_markdown_snapshot() {
    insta::assert_snapshot!(
        "draft_markdown",
        report::render(&fixture::draft(), Format::Markdown).unwrap()
    );
}

fn all_summaries() -> Vec<(&'static str, Summary)> {
    vec![
        ("record", fixture::record()),
        ("draft", fixture::draft()),
        ("foreign", fixture::foreign_record()),
        ("hostile", hostile()),
    ]
}

/// Long words, markup, newlines and quotes everywhere a technician can type.
fn hostile() -> Summary {
    let mut s = fixture::draft();
    s.header.hostname =
        "icu-cs-01.a-very-long-fully-qualified-domain-name.example.hospital.internal".into();
    s.header.os = "<script>alert(1)</script> \"quoted\" & 'single' | pipes".into();
    for c in &mut s.controls {
        c.note = format!(
            "{}\nsecond line must not show <b>bold</b> https://example.org/{}",
            "x".repeat(200),
            c.id
        );
        c.title
            .push_str(" | with a pipe and `backticks` and *stars*");
    }
    if let Some(a) = s.areas.first_mut() {
        for f in &mut a.findings {
            f.details = (0..40)
                .map(|i| format!("detail {i} {}", "y".repeat(120)))
                .collect();
        }
    }
    s.waivers[0].justification = "z".repeat(300);
    s
}

#[test]
fn every_text_line_fits_80_columns() {
    for (name, s) in all_summaries() {
        for opts in [
            TextOptions::default(),
            TextOptions {
                form_feeds: true,
                ..TextOptions::default()
            },
        ] {
            let out = report::render_with(&s, Format::Text, &opts).unwrap();
            for (i, line) in out.lines().enumerate() {
                assert!(
                    line.chars().count() <= 80,
                    "{name}: line {} has {} columns: {line:?}",
                    i + 1,
                    line.chars().count()
                );
            }
        }
    }
}

#[test]
fn draft_mark_appears_at_least_every_60_lines_and_before_the_signatures() {
    for (name, s) in all_summaries().into_iter().filter(|(_, s)| s.draft) {
        let out = text(&s);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains(DRAFT_MARK), "{name}: header");
        let mut last = 0;
        for (i, l) in lines.iter().enumerate() {
            if l.contains(DRAFT_MARK) {
                assert!(
                    i - last <= 60,
                    "{name}: {} lines without the mark before line {}",
                    i - last,
                    i + 1
                );
                last = i;
            }
        }
        assert!(lines.len() - last <= 60, "{name}: tail without the mark");
        let sign = lines.iter().position(|l| *l == "SIGN-OFF").unwrap();
        assert!(
            lines[sign + 1].contains(DRAFT_MARK),
            "{name}: before the signature block"
        );
    }
}

#[test]
fn form_feeds_separate_pages_of_at_most_60_lines() {
    let s = hostile();
    let out = report::render_with(
        &s,
        Format::Text,
        &TextOptions {
            form_feeds: true,
            ..TextOptions::default()
        },
    )
    .unwrap();
    let pages: Vec<&str> = out.split('\u{c}').collect();
    assert!(pages.len() > 2, "hostile summary spans pages");
    for (i, p) in pages.iter().enumerate() {
        assert!(
            p.lines().count() <= 60,
            "page {} has {} lines",
            i + 1,
            p.lines().count()
        );
        assert!(
            p.lines().next().unwrap().contains(DRAFT_MARK),
            "page {} header",
            i + 1
        );
    }
}

#[test]
fn signed_record_is_not_marked_draft() {
    let s = fixture::record();
    assert!(!s.draft);
    for f in Format::ALL {
        let out = report::render(&s, f).unwrap();
        assert!(!out.contains(DRAFT_MARK), "{f} mentions draft");
    }
    let t = text(&s);
    assert!(t.contains("stationward verify --expect-head \\"));
    assert!(t.contains(&format!("17:{}", fixture::record_info().sha256)));
    assert!(t.contains("ssh-keygen -Y verify -f allowed_signers -I jdoe"));
    assert!(t.contains("sha256sum -c SHA256SUMS"));
    assert!(t.contains("SHA256:q3mN0tARealKeyFingerprintJustForTests0000000"));
}

#[test]
fn draft_markdown_is_marked_top_and_bottom() {
    let md = report::render(&fixture::draft(), Format::Markdown).unwrap();
    let first = md.lines().next().unwrap();
    let last = md.lines().last().unwrap();
    assert!(first.contains(DRAFT_MARK), "{first}");
    assert!(last.contains(DRAFT_MARK), "{last}");
}

#[test]
fn findings_are_ordered_failing_and_unknown_first() {
    let s = fixture::draft();
    let order: Vec<&str> = s.areas.iter().map(|a| a.area.as_str()).collect();
    assert_eq!(
        order,
        [
            "services",
            "accounts",
            "patches",
            "firewall",
            "network",
            "supporting"
        ]
    );
    for a in &s.areas {
        let ranks: Vec<u8> = a
            .findings
            .iter()
            .map(|f| report::summary::status_rank(f.status))
            .collect();
        assert!(
            ranks.windows(2).all(|w| w[0] <= w[1]),
            "{:?}: {ranks:?}",
            a.area
        );
    }
    let supporting = s.area(stationward::checks::Area::Supporting).unwrap();
    assert_eq!(supporting.findings[0].check, "logging.remote");
    assert_eq!(supporting.findings[1].check, "storage.encryption");
}

#[test]
fn waivers_show_expiry_and_expired_ones() {
    for s in [fixture::draft(), fixture::record()] {
        assert_eq!(s.waivers.len(), 2);
        let expired: Vec<bool> = s.waivers.iter().map(|w| w.expired).collect();
        assert_eq!(expired, [false, true]);
        let t = text(&s);
        assert!(t.contains("EXPIRED 2026-10-31"), "{t}");
        assert!(t.contains("expires 2027-03-31"));
        assert!(t.contains("Approved by CISO J. Okafor"));
    }
}

#[test]
fn counts_follow_verdicts() {
    let s = fixture::record();
    assert_eq!(s.counts.passed, 4);
    assert_eq!(s.counts.failed, 2);
    assert_eq!(s.counts.warned, 3);
    assert_eq!(s.counts.not_applicable, 2);
    assert_eq!(s.counts.not_assessed, 4);
    assert_eq!(s.counts.total(), s.controls.len());
}

#[test]
fn foreign_record_keeps_unknown_ids() {
    let s = fixture::foreign_record();
    let c = s.controls.iter().find(|c| c.id == "LOCAL-99").unwrap();
    assert_eq!(c.title, "LOCAL-99");
    let all: Vec<&str> = s
        .areas
        .iter()
        .flat_map(|a| &a.findings)
        .map(|f| f.check.as_str())
        .collect();
    assert!(all.contains(&"future.check"));
    // Without the checklist, areas come from the checks.
    let ics3 = s.controls.iter().find(|c| c.id == "ICS-03").unwrap();
    assert_eq!(ics3.area, Some(stationward::checks::Area::Firewall));
}

#[test]
fn json_round_trips() {
    for (name, s) in all_summaries() {
        let json = report::render(&s, Format::Json).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s, "{name}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["schema"], "stationward.summary/v1");
    }
    let v: serde_json::Value =
        serde_json::from_str(&report::render(&fixture::record(), Format::Json).unwrap()).unwrap();
    assert_eq!(v["attestation"]["seq"], 17);
    assert_eq!(v["attestation"]["record_file"], "ledger/000017.dsse.json");
    assert_eq!(v["controls"][2]["verdict"], "FAILED");
}

// ---- HTML ----------------------------------------------------------------------------------

const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link", "col", "wbr"];

/// Checks that every element this renderer emits is closed in order. Returns the tag names seen.
fn check_well_formed(html: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = html;
    let mut in_raw: Option<String> = None;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        if let Some(raw) = &in_raw {
            let close = format!("/{raw}>");
            if after.starts_with(&close) {
                stack.pop();
                in_raw = None;
                rest = &after[close.len()..];
            } else {
                rest = after;
            }
            continue;
        }
        if after.starts_with("!--") {
            let end = after.find("-->").ok_or("unclosed comment")?;
            rest = &after[end + 3..];
            continue;
        }
        if after.starts_with('!') {
            let end = after.find('>').ok_or("unclosed doctype")?;
            rest = &after[end + 1..];
            continue;
        }
        let gt = after.find('>').ok_or("unclosed tag")?;
        let tag = &after[..gt];
        if tag.contains('<') {
            return Err(format!("'<' inside tag: {tag}"));
        }
        rest = &after[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!("bad tag <{tag}>"));
        }
        // Attribute values are double-quoted and balanced.
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        seen.push(name.clone());
        if self_closing || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" || name == "script" {
            in_raw = Some(name.clone());
        }
        stack.push(name);
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements: {stack:?}"));
    }
    // No stray '>' in text would be harmless; a stray '<' is caught above.
    Ok(seen)
}

#[test]
fn tag_checker_catches_mistakes() {
    assert!(check_well_formed("<p><b>x</p></b>").is_err());
    assert!(check_well_formed("<div><p>x</p>").is_err());
    assert!(check_well_formed("<p>a < b</p>").is_err());
    assert!(check_well_formed("<p class=\"x>y</p>").is_err());
    assert!(check_well_formed("<!DOCTYPE html><meta charset=\"utf-8\"><p>x<br></p>").is_ok());
}

fn html(s: &Summary) -> String {
    report::render(s, Format::Html).unwrap()
}

#[test]
fn html_is_well_formed() {
    for (name, s) in all_summaries() {
        let out = html(&s);
        let seen = check_well_formed(&out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(seen.contains(&"svg".to_string()), "{name}: chart");
        assert!(out.starts_with("<!DOCTYPE html>"));
        assert_eq!(out.matches("<html").count(), 1);
        assert_eq!(out.matches("<body").count(), 1);
        // Page-level classes must not reuse a component's class: `.signed` styles the banner
        // (green, bold, boxed) and once turned the whole signed page green.
        let body = out
            .split("<body")
            .nth(1)
            .and_then(|b| b.split('>').next())
            .unwrap_or("");
        assert!(!body.contains("signed"), "{name}: <body{body}>");
    }
}

#[test]
fn html_is_self_contained() {
    for (name, s) in all_summaries() {
        let out = html(&s);
        let lower = out.to_ascii_lowercase();
        for bad in [
            "<link", "@import", "url(", "<script", "<img", "<iframe", "<object", "<a ",
        ] {
            assert!(!lower.contains(bad), "{name}: contains {bad}");
        }
        // The hostile fixture carries a URL in a note, printed in full (every line of a note
        // is): it may appear as text, never inside a tag where it could load or link.
        for (i, _) in lower.match_indices("http") {
            let before = &lower[..i];
            let open = before.rfind('<');
            let close = before.rfind('>');
            assert!(
                open.is_none() || close > open,
                "{name}: a URL inside a tag at byte {i}"
            );
        }
        for attr in ["src=", "href=", "xlink:href="] {
            for (i, _) in lower.match_indices(attr) {
                let v = &lower[i + attr.len()..];
                assert!(
                    !(v.starts_with("\"//") || v.starts_with("'//")),
                    "{name}: protocol-relative {attr}"
                );
                assert!(
                    v.starts_with("\"#") || v.starts_with("\"data:"),
                    "{name}: external {attr}"
                );
            }
        }
        let mut from = 0;
        while let Some(i) = lower[from..].find("url(") {
            let v = lower[from + i + 4..].trim_start_matches(['"', '\'']);
            assert!(
                v.starts_with("data:") || v.starts_with('#'),
                "{name}: external url("
            );
            from += i + 4;
        }
    }
}

#[test]
fn html_prints_cleanly() {
    let out = html(&fixture::draft());
    assert!(out.contains("@page { size: auto;"));
    assert!(out.contains("break-inside: avoid"));
    assert!(out.contains("thead { display: table-header-group; }"));
    // Draft: a fixed watermark (repeated on every printed page) and page-margin running header.
    assert!(out.contains(
        "<div class=\"watermark\" aria-hidden=\"true\"><span>DRAFT — NOT SIGNED</span></div>"
    ));
    assert!(out.contains("position: fixed"));
    assert!(out.contains("@top-center { content: \"DRAFT — NOT SIGNED\""));
    let signed = html(&fixture::record());
    assert!(!signed.contains("class=\"watermark\""));
    assert!(signed.contains("ssh-keygen -Y verify"));
}

#[test]
fn html_escapes_what_technicians_type() {
    let out = html(&hostile());
    assert!(!out.contains("<script>alert(1)</script>"));
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!out.contains("<b>bold</b>"));
    // Every line of a note is printed, escaped.
    assert!(out.contains("second line must not show &lt;b&gt;bold&lt;/b&gt;"));
}

#[test]
fn summary_command_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.html");
    let printed = report::summary_command(&fixture::record(), Format::Html, Some(&path)).unwrap();
    assert!(printed.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("Hardening summary — icu-cs-01"));
    let err = report::summary_command(
        &fixture::record(),
        Format::Text,
        Some(&dir.path().join("missing/dir/x.txt")),
    )
    .unwrap_err();
    assert!(err.to_string().contains("missing/dir/x.txt"), "{err}");
}

/// Writes the fixture summaries for scripts/render-summary.sh when asked.
#[test]
fn write_fixture_outputs_when_asked() {
    let Ok(dir) = std::env::var("STATIONWARD_REPORT_OUT") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, s) in [("record", fixture::record()), ("draft", fixture::draft())] {
        for f in Format::ALL {
            let ext = match f {
                Format::Text => "txt",
                Format::Markdown => "md",
                Format::Html => "html",
                Format::Json => "json",
            };
            std::fs::write(
                dir.join(format!("{name}.{ext}")),
                report::render(&s, f).unwrap(),
            )
            .unwrap();
        }
    }
}

#[test]
fn attestation_block_fits_80_columns_with_long_names() {
    let mut info = fixture::record_info();
    info.operator = "Maria-Anna Oyelaran-Vasquez, biomed".into();
    info.record_file = format!(
        "/var/lib/{}/ledger/000017.dsse.json",
        "very-long-directory".repeat(4)
    );
    let s = Summary::from_parts(fixture::record_parts(), None, Some(info));
    let out = text(&s);
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    // The quoted operator name is never split by a line continuation.
    assert!(
        out.contains("-I 'Maria-Anna Oyelaran-Vasquez, biomed'"),
        "{out}"
    );
}
