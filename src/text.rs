//! Plain-text layout helpers for 80-column output. Widths are terminal cells
//! (`unicode-width`): a CJK character or an emoji takes two, a combining mark none.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Terminal cells `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Word-wraps `text` to `width` terminal cells, each line prefixed by `indent`.
/// Words wider than the line are broken between characters so nothing runs past the margin.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let avail = width.saturating_sub(self::width(indent)).max(10);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in para.split_whitespace() {
            let mut word = word.to_string();
            while self::width(&word) > avail {
                if len > 0 {
                    lines.push(format!("{indent}{line}"));
                    line.clear();
                    len = 0;
                }
                let (head, rest) = split_at_width(&word, avail);
                lines.push(format!("{indent}{head}"));
                word = rest.to_string();
            }
            let wlen = self::width(&word);
            if len > 0 && len + 1 + wlen > avail {
                lines.push(format!("{indent}{line}"));
                line.clear();
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.push_str(&word);
            len += wlen;
        }
        lines.push(format!("{indent}{line}"));
    }
    lines
}

/// Splits `text` after the most characters that fit in `cells` (at least one character, so
/// a double-width character in a one-cell space still makes progress).
pub fn split_at_width(text: &str, cells: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = char_width(c);
        if used + w > cells && i > 0 {
            return text.split_at(i);
        }
        used += w;
    }
    (text, "")
}

/// Cuts `text` to at most `width` terminal cells, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if self::width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` padded with spaces to `width` cells (cut first if wider).
pub fn pad(text: &str, width: usize) -> String {
    let mut out = truncate(text, width);
    let w = self::width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// Makes text from an untrusted source (an inspected file, a ledger, a note, a file name)
/// safe to print on a terminal: every control character (C0, DEL, C1) and the Unicode
/// bidirectional overrides are shown escaped (`\x1b`, `\u{202e}`), so no byte from outside can
/// move the cursor, change colours, set the window title or reorder what is shown.
/// Newlines and tabs are escaped too; use [`for_terminal_lines`] to keep line breaks.
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    escape_with(text, false)
}

/// As [`for_terminal`], but keeps `\n` (and `\t`) so multi-line notes print as lines.
pub fn for_terminal_lines(text: &str) -> std::borrow::Cow<'_, str> {
    escape_with(text, true)
}

fn needs_escape(c: char, keep_lines: bool) -> bool {
    if keep_lines && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_with(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| needs_escape(c, keep_lines)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c, keep_lines) {
            use std::fmt::Write;
            let code = u32::from(c);
            if code < 0x100 {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:x}}}");
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(for_terminal("plain"), "plain");
        assert_eq!(for_terminal("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(for_terminal("x\u{9b}31m"), "x\\x9b31m");
        assert_eq!(for_terminal("two\nlines"), "two\\x0alines");
        assert_eq!(for_terminal_lines("two\nlines\r"), "two\nlines\\x0d");
        assert_eq!(for_terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
    }

    #[test]
    fn wraps_within_width() {
        let lines = wrap("the quick brown fox jumps over the lazy dog", 16, "  ");
        assert_eq!(
            lines,
            [
                "  the quick",
                "  brown fox",
                "  jumps over the",
                "  lazy dog"
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 16));
    }

    #[test]
    fn breaks_overlong_words_and_keeps_paragraphs() {
        let lines = wrap("abcdefghijklmnopqrstuvwxyz\nnext", 12, "");
        assert_eq!(lines, ["abcdefghijkl", "mnopqrstuvwx", "yz", "next"]);
    }

    #[test]
    fn wide_characters_wrap_and_truncate_by_cells() {
        // Each of these takes two cells: 20 characters are 40 cells.
        let cjk = "監視装置の設定を確認しました監視装置の設定を";
        for l in wrap(cjk, 20, "") {
            assert!(width(&l) <= 20, "{l} is {} cells", width(&l));
        }
        assert_eq!(wrap(cjk, 20, "").len(), 3);
        let mixed = "ok 🔥🔥🔥 déjà vu 表";
        assert_eq!(width(mixed), 20);
        let t = truncate(mixed, 8);
        assert_eq!(t, "ok 🔥🔥…");
        assert!(width(&t) <= 8);
        assert_eq!(truncate("表表表", 4), "表…");
        assert_eq!(pad("表", 4), "表  ");
        assert_eq!(split_at_width("表x", 1), ("表", "x"));
    }

    #[test]
    fn truncates_with_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
