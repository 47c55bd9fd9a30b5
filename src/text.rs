//! Plain-text layout helpers for 80-column output.

/// Word-wraps `text` to `width` columns (in chars), each line prefixed by `indent`.
/// Words longer than the width are broken so nothing runs past the margin.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let avail = width.saturating_sub(indent.chars().count()).max(10);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in para.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > avail {
                if len > 0 {
                    lines.push(format!("{indent}{line}"));
                    line.clear();
                    len = 0;
                }
                let rest = word.split_off(avail);
                lines.push(format!("{indent}{}", word.iter().collect::<String>()));
                word = rest;
            }
            let wlen = word.len();
            if len > 0 && len + 1 + wlen > avail {
                lines.push(format!("{indent}{line}"));
                line.clear();
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.extend(word);
            len += wlen;
        }
        lines.push(format!("{indent}{line}"));
    }
    lines
}

/// Cuts `text` to at most `width` chars, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
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
    fn truncates_with_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
