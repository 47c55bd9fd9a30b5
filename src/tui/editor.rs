//! A small multi-line text field for notes, and a single-line one for filters.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextField {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
    multiline: bool,
}

/// What a key did to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Moved,
    /// Esc: leave the field (the text is kept).
    Leave,
    Ignored,
}

impl Drop for TextField {
    /// The same field type carries passphrases: wipe the characters when it goes.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for line in &mut self.lines {
            line.zeroize();
        }
    }
}

impl TextField {
    pub fn new(text: &str, multiline: bool) -> TextField {
        let mut lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
        if !multiline {
            lines = vec![lines.concat()];
        }
        let row = lines.len() - 1;
        let col = lines[row].len();
        TextField {
            lines,
            row,
            col,
            multiline,
        }
    }

    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.iter().collect()).collect()
    }

    /// Cursor as (row, column in chars).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// Inserts pasted text at the cursor. A single-line field takes line breaks as spaces
    /// (and drops a trailing one), so a paste never submits it.
    pub fn insert_str(&mut self, text: &str) -> Edit {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let text = if self.multiline {
            text
        } else {
            text.trim_end_matches('\n').replace('\n', " ")
        };
        let mut changed = false;
        for c in text.chars() {
            if c == '\n' {
                let rest = self.lines[self.row].split_off(self.col);
                self.row += 1;
                self.lines.insert(self.row, rest);
                self.col = 0;
            } else if c == '\t' || !c.is_control() {
                self.lines[self.row].insert(self.col, if c == '\t' { ' ' } else { c });
                self.col += 1;
            } else {
                continue;
            }
            changed = true;
        }
        if changed {
            Edit::Changed
        } else {
            Edit::Ignored
        }
    }

    /// The text wrapped to `width` terminal cells for display, and the cursor's (row, cell)
    /// within the wrapped lines. Long lines break between characters, by display width.
    pub fn wrapped(&self, width: usize) -> (Vec<String>, (usize, usize)) {
        use unicode_width::UnicodeWidthChar;
        let width = width.max(2);
        let mut out = Vec::new();
        let mut cursor = (0, 0);
        for (r, line) in self.lines.iter().enumerate() {
            let mut current = String::new();
            let mut used = 0;
            for (i, &c) in line.iter().enumerate() {
                let w = c.width().unwrap_or(0);
                if used + w > width {
                    out.push(std::mem::take(&mut current));
                    used = 0;
                }
                if r == self.row && i == self.col {
                    cursor = (out.len(), used);
                }
                current.push(c);
                used += w;
            }
            if r == self.row && self.col >= line.len() {
                // The cursor after the last character: on the next row when the line is full.
                if used >= width {
                    out.push(std::mem::take(&mut current));
                    used = 0;
                }
                cursor = (out.len(), used);
            }
            out.push(current);
        }
        (out, cursor)
    }

    pub fn handle(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => Edit::Leave,
            KeyCode::Enter if !self.multiline => Edit::Leave,
            KeyCode::Enter => {
                let rest = self.lines[self.row].split_off(self.col);
                self.row += 1;
                self.lines.insert(self.row, rest);
                self.col = 0;
                Edit::Changed
            }
            KeyCode::Char('u') if ctrl => {
                // Ctrl-U clears the current line, as in a shell.
                if self.lines[self.row].is_empty() {
                    return Edit::Ignored;
                }
                self.lines[self.row].clear();
                self.col = 0;
                Edit::Changed
            }
            KeyCode::Char(c) if !ctrl => {
                self.lines[self.row].insert(self.col, c);
                self.col += 1;
                Edit::Changed
            }
            KeyCode::Tab if self.multiline => {
                for _ in 0..2 {
                    self.lines[self.row].insert(self.col, ' ');
                    self.col += 1;
                }
                Edit::Changed
            }
            KeyCode::Backspace => {
                if self.col > 0 {
                    self.col -= 1;
                    self.lines[self.row].remove(self.col);
                } else if self.row > 0 {
                    let line = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.lines[self.row].len();
                    self.lines[self.row].extend(line);
                } else {
                    return Edit::Ignored;
                }
                Edit::Changed
            }
            KeyCode::Delete => {
                if self.col < self.lines[self.row].len() {
                    self.lines[self.row].remove(self.col);
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].extend(next);
                } else {
                    return Edit::Ignored;
                }
                Edit::Changed
            }
            KeyCode::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.lines[self.row].len();
                }
                Edit::Moved
            }
            KeyCode::Right => {
                if self.col < self.lines[self.row].len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
                Edit::Moved
            }
            KeyCode::Up if self.row > 0 => {
                self.row -= 1;
                self.col = self.col.min(self.lines[self.row].len());
                Edit::Moved
            }
            KeyCode::Down if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = self.col.min(self.lines[self.row].len());
                Edit::Moved
            }
            KeyCode::Home => {
                self.col = 0;
                Edit::Moved
            }
            KeyCode::End => {
                self.col = self.lines[self.row].len();
                Edit::Moved
            }
            _ => Edit::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(f: &mut TextField, s: &str) {
        for c in s.chars() {
            f.handle(&k(KeyCode::Char(c)));
        }
    }

    #[test]
    fn every_printable_key_is_text_including_command_letters() {
        let mut f = TextField::new("", true);
        typed(&mut f, "q n p 1 2 e / ? s");
        assert_eq!(f.text(), "q n p 1 2 e / ? s");
    }

    #[test]
    fn multiline_editing() {
        let mut f = TextField::new("ab", true);
        f.handle(&k(KeyCode::Enter));
        typed(&mut f, "cd");
        assert_eq!(f.text(), "ab\ncd");
        f.handle(&k(KeyCode::Home));
        f.handle(&k(KeyCode::Backspace));
        assert_eq!(f.text(), "abcd");
        assert_eq!(f.cursor(), (0, 2));
        f.handle(&k(KeyCode::Delete));
        assert_eq!(f.text(), "abd");
        assert_eq!(f.handle(&k(KeyCode::Esc)), Edit::Leave);
        assert_eq!(f.text(), "abd");
    }

    #[test]
    fn single_line_enter_leaves() {
        let mut f = TextField::new("a\nb", false);
        assert_eq!(f.text(), "ab");
        assert_eq!(f.handle(&k(KeyCode::Enter)), Edit::Leave);
    }

    #[test]
    fn paste_inserts_text_and_never_leaves_the_field() {
        let mut f = TextField::new("a", false);
        assert_eq!(f.insert_str("see ticket 4\n2 e\n"), Edit::Changed);
        assert_eq!(f.text(), "asee ticket 4 2 e");
        let mut m = TextField::new("", true);
        m.insert_str("one\r\ntwo\x1b[2J");
        assert_eq!(m.text(), "one\ntwo[2J");
        assert_eq!(m.cursor(), (1, 6));
    }

    #[test]
    fn long_lines_wrap_by_display_width_with_the_cursor() {
        let mut f = TextField::new("", true);
        f.insert_str("abcdef表表");
        let (lines, cursor) = f.wrapped(4);
        assert_eq!(lines, ["abcd", "ef表", "表"]);
        assert_eq!(cursor, (2, 2));
        f.handle(&k(KeyCode::Home));
        assert_eq!(f.wrapped(4).1, (0, 0));
        let full = TextField::new("abcd", true);
        assert_eq!(
            full.wrapped(4),
            (vec!["abcd".into(), String::new()], (1, 0))
        );
    }

    #[test]
    fn unicode_is_edited_by_character() {
        let mut f = TextField::new("é", true);
        typed(&mut f, "ü");
        f.handle(&k(KeyCode::Left));
        f.handle(&k(KeyCode::Backspace));
        assert_eq!(f.text(), "ü");
    }
}
