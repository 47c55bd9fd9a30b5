#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! What issue 12 asks of the summaries the Sign-off screen writes: every line of a note in
//! every format, PASSED over a failing or unknown check marked as the Sign-off screen marks
//! it, 80 columns by display width (CJK, emoji), and an HTML footer that prints with the
//! sign-off block.

#[path = "fixtures/report/fixture.rs"]
mod fixture;

use stationward::report::{self, Format, Summary};
use stationward::text::width;

/// The draft fixture with a three-line note on ICS-02 and CJK/emoji on ICS-07 (PASSED while
/// accounts.lockout is unknown).
fn summary() -> Summary {
    let mut s = fixture::draft();
    for c in &mut s.controls {
        match c.id.as_str() {
            "ICS-02" => {
                c.note = "first line\n\n  second line: vendor ticket 4411\nthird line: removal booked 2026-12-03"
                    .into();
            }
            "ICS-07" => {
                c.note = "ロックアウトは手動で確認しました (pam_faillock deny=5) 🔒✅ 監視装置の設定を確認しました。ファイアウォールは上流にあります"
                    .into();
            }
            _ => {}
        }
    }
    s
}

#[test]
fn multi_line_notes_print_in_full_in_every_format() {
    let s = summary();
    for f in Format::ALL {
        let out = report::render(&s, f).unwrap();
        for want in [
            "first line",
            "second line: vendor ticket 4411",
            "third line: removal booked 2026-12-03",
        ] {
            assert!(out.contains(want), "{f}: {want} missing");
        }
    }
}

#[test]
fn passed_over_a_failing_or_unknown_check_is_marked_in_every_summary() {
    let s = summary();
    let ics07 = s.controls.iter().find(|c| c.id == "ICS-07").unwrap();
    assert_eq!(ics07.passed_over(), ["accounts.lockout"]);
    for (f, mark) in [
        (Format::Text, "✘ PASSED over a failing or unknown check"),
        (
            Format::Markdown,
            "**✘ over a failing or unknown check** (accounts.lockout)",
        ),
        (
            Format::Html,
            "<span class=\"over\">✘ over a failing or unknown check (accounts.lockout)</span>",
        ),
    ] {
        let out = report::render(&s, f).unwrap();
        assert!(out.contains(mark), "{f}: no mark\n{out}");
        assert_eq!(out.matches(mark).count(), 1, "{f}: only ICS-07 is marked");
    }
}

#[test]
fn the_text_summary_keeps_80_columns_by_display_width_with_cjk_and_emoji() {
    let out = report::render(&summary(), Format::Text).unwrap();
    for line in out.lines() {
        assert!(width(line) <= 80, "{} cells: {line}", width(line));
    }
    // Nothing of the note is lost to the wrapping.
    let joined: String = out.split_whitespace().collect();
    for piece in [
        "ロックアウトは手動で確認しました",
        "🔒✅",
        "ファイアウォールは上流にあります",
    ] {
        assert!(joined.contains(piece), "{piece} missing:\n{out}");
    }
}

#[test]
fn the_html_footer_prints_with_the_sign_off_block_not_alone() {
    let out = report::render(&summary(), Format::Html).unwrap();
    let tail = out.find("<div class=\"tail\">").expect("a tail block");
    let signoff = out.find("<section id=\"signoff\"").unwrap();
    let footer = out.find("<footer>").unwrap();
    let tail_end = out.rfind("</div>\n</main>").unwrap();
    assert!(
        tail < signoff && signoff < footer && footer < tail_end,
        "{out}"
    );
    assert!(out.contains(".tail { break-inside: avoid; page-break-inside: avoid; }"));
}
