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

#[cfg(test)]
mod tests {
    use super::*;

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
