//! sudoers(5): a pure per-file parser, and the include walk that follows `@include`,
//! `@includedir`, `#include` and `#includedir` the way sudo does.
//!
//! Include rules mirrored from sudoers(5): a relative path is taken from the directory of the
//! file that includes it; files in an included directory are read in lexical order, skipping
//! names that end in `~` or contain a `.` (editor backups, package leftovers such as
//! `foo.dpkg-old`); an include loop or a too-deep chain is reported, never followed.

use crate::host::{FileKind, Host};
use serde::{Deserialize, Serialize};

/// One logical line of a sudoers file (continuations joined), 1-based at its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SudoersItem {
    Include {
        path: String,
        line: usize,
    },
    IncludeDir {
        path: String,
        line: usize,
    },
    Defaults {
        binding: String,
        no_authenticate: bool,
        text: String,
        line: usize,
    },
    Alias {
        text: String,
        line: usize,
    },
    /// `who hosts = (runas) TAGS: commands`.
    UserSpec {
        who: String,
        nopasswd: bool,
        text: String,
        line: usize,
    },
    /// A line that fits none of the above (visudo would reject the file).
    Unparsed {
        text: String,
        line: usize,
    },
}

/// A user specification: who may run what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SudoGrant {
    pub file: String,
    pub line: usize,
    /// The user list as written: `root`, `%sudo`, `alice, bob`, `ADMINS`.
    pub who: String,
    pub text: String,
    pub nopasswd: bool,
}

/// A rule that lets sudo run without asking for a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SudoPasswordless {
    pub file: String,
    pub line: usize,
    /// `NOPASSWD` (a user specification tag) or `!authenticate` (a Defaults setting).
    pub kind: String,
    /// The user list, or the Defaults binding (`:nurse`, `@host`, empty for everyone).
    pub who: String,
    pub text: String,
}

impl SudoPasswordless {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// Everything sudo would read, starting at /etc/sudoers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SudoFacts {
    /// Whether /etc/sudoers exists on the inspected system.
    pub present: bool,
    /// Files read, in the order sudo reads them.
    pub files: Vec<String>,
    pub grants: Vec<SudoGrant>,
    pub passwordless: Vec<SudoPasswordless>,
    /// Files in an included directory that sudo skips (name contains `.` or ends in `~`).
    pub ignored_files: Vec<String>,
    /// Include loops or chains too deep, lines not understood (sudo itself may refuse such a file).
    pub problems: Vec<String>,
    /// Included files or directories that could not be read (or `%h` per-host includes):
    /// rules there are unseen.
    pub unreadable: Vec<String>,
}

const ALIAS_KEYWORDS: [&str; 5] = [
    "User_Alias",
    "Runas_Alias",
    "Host_Alias",
    "Cmnd_Alias",
    "Cmd_Alias",
];

/// Parses one sudoers file's text. Never fails: what it cannot place is `Unparsed`.
pub fn parse_sudoers(text: &str) -> Vec<SudoersItem> {
    let mut out = Vec::new();
    for (line, logical) in logical_lines(text) {
        let trimmed = logical.trim();
        if let Some(path) = directive(trimmed, "includedir") {
            out.push(SudoersItem::IncludeDir { path, line });
            continue;
        }
        if let Some(path) = directive(trimmed, "include") {
            out.push(SudoersItem::Include { path, line });
            continue;
        }
        let body = strip_comment(trimmed).trim();
        if body.is_empty() {
            continue;
        }
        let first = body.split_whitespace().next().unwrap_or_default();
        if let Some(binding) = first.strip_prefix("Defaults")
            && (binding.is_empty() || binding.starts_with([':', '@', '>', '!']))
        {
            let params = body[first.len()..].trim();
            let no_authenticate = split_top_level(params, ',').iter().any(|p| {
                p.trim()
                    .strip_prefix('!')
                    .is_some_and(|rest| rest.trim() == "authenticate")
            });
            out.push(SudoersItem::Defaults {
                binding: binding.to_string(),
                no_authenticate,
                text: body.to_string(),
                line,
            });
            continue;
        }
        if ALIAS_KEYWORDS.contains(&first) {
            out.push(SudoersItem::Alias {
                text: body.to_string(),
                line,
            });
            continue;
        }
        match body.split_once('=') {
            Some((lhs, rhs)) if !lhs.trim().is_empty() => out.push(SudoersItem::UserSpec {
                who: user_list(lhs),
                nopasswd: has_tag(rhs, "NOPASSWD"),
                text: body.to_string(),
                line,
            }),
            _ => out.push(SudoersItem::Unparsed {
                text: body.to_string(),
                line,
            }),
        }
    }
    out
}

/// Joins backslash-continued lines; yields (first line number, joined text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        let trimmed_end = raw.trim_end();
        match trimmed_end.strip_suffix('\\') {
            // An escaped backslash at the end (`\\`) is not a continuation.
            Some(rest) if !rest.ends_with('\\') => {
                acc.push_str(rest);
                acc.push(' ');
                current = Some((start, acc));
            }
            _ => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

/// `@include PATH` / `#include PATH` (and the `includedir` forms): the path, unquoted.
fn directive(line: &str, word: &str) -> Option<String> {
    let rest = line
        .strip_prefix('@')
        .or_else(|| line.strip_prefix('#'))?
        .strip_prefix(word)?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim();
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"').unwrap_or(quoted.len());
        return Some(quoted[..end].to_string()).filter(|p| !p.is_empty());
    }
    // Unquoted: up to the first unescaped white space; `\ ` stands for a space.
    let mut path = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    path.push(n);
                }
            }
            c if c.is_whitespace() => break,
            c => path.push(c),
        }
    }
    Some(path).filter(|p| !p.is_empty())
}

/// Cuts a `#` comment, keeping `#123` user IDs and `#` inside quotes or after a backslash.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => in_quote = !in_quote,
            b'#' if !in_quote => {
                let uid = bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                    && (i == 0
                        || matches!(
                            bytes[i - 1],
                            b' ' | b'\t' | b',' | b'(' | b'=' | b':' | b'!'
                        ));
                // A line starting `#123` is a user ID only when it is a rule (has `=`).
                let uid = uid && (i > 0 || line.contains('='));
                if !uid {
                    return &line[..i];
                }
            }
            _ => {}
        }
        i += 1;
    }
    line
}

fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quote = false;
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quote = !in_quote,
            c if c == sep && !in_quote => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The user list of a user specification: the words before the host list (`alice, bob`).
fn user_list(lhs: &str) -> String {
    // Group white-space separated words that are joined by commas into list items.
    let mut items: Vec<String> = Vec::new();
    for word in lhs.split_whitespace() {
        match items.last_mut() {
            Some(last) if last.ends_with(',') || word.starts_with(',') => {
                last.push(' ');
                last.push_str(word);
            }
            _ => items.push(word.to_string()),
        }
    }
    items.first().cloned().unwrap_or_default()
}

/// Whether a command spec carries `TAG:` as a tag (not as part of a command path).
fn has_tag(rhs: &str, tag: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = rhs[from..].find(tag) {
        let at = from + pos;
        let before_ok = rhs[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ':' | ')' | '='));
        let after = rhs[at + tag.len()..].trim_start();
        if before_ok && after.starts_with(':') {
            return true;
        }
        from = at + tag.len();
    }
    false
}

/// Whether sudo reads a file found in an `@includedir` directory.
pub fn includedir_reads(name: &str) -> bool {
    !name.is_empty() && !name.contains('.') && !name.ends_with('~')
}

/// The parent directory of an absolute path (`/etc/sudoers` → `/etc`).
fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// An include path as sudo resolves it: relative paths from the including file's directory.
pub fn resolve_include(including_file: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let dir = parent_dir(including_file);
    if dir == "/" {
        format!("/{path}")
    } else {
        format!("{dir}/{path}")
    }
}

const MAX_DEPTH: usize = 16;
const MAX_FILES: usize = 512;

/// Reads /etc/sudoers (or `top`) and everything it includes, through `host`.
/// `Err` only when the top file itself cannot be read (the reason, e.g. "needs root to read
/// /etc/sudoers"); problems further down are listed in `problems`.
pub fn collect_sudoers(host: &dyn Host, top: &str) -> Result<SudoFacts, crate::host::HostError> {
    let text = host.read(top)?.text;
    let mut facts = SudoFacts {
        present: true,
        ..SudoFacts::default()
    };
    let mut stack = vec![top.to_string()];
    walk(host, top, &text, &mut stack, &mut facts);
    Ok(facts)
}

fn walk(host: &dyn Host, file: &str, text: &str, stack: &mut Vec<String>, facts: &mut SudoFacts) {
    facts.files.push(file.to_string());
    for item in parse_sudoers(text) {
        match item {
            SudoersItem::Include { path, line } => {
                if path.contains("%h") {
                    facts.unreadable.push(format!(
                        "{file}:{line}: include {path} uses %h (per-host file name); not followed"
                    ));
                    continue;
                }
                let target = resolve_include(file, &path);
                follow(host, file, line, &target, stack, facts);
            }
            SudoersItem::IncludeDir { path, line } => {
                let dir = resolve_include(file, &path);
                let names = match host.read_dir(&dir) {
                    Ok(names) => names,
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => {
                        facts
                            .unreadable
                            .push(format!("{file}:{line}: cannot list {dir}: {e}"));
                        continue;
                    }
                };
                let mut names = names;
                names.sort();
                for name in names {
                    let target = format!("{}/{name}", dir.trim_end_matches('/'));
                    if !includedir_reads(&name) {
                        facts.ignored_files.push(target);
                        continue;
                    }
                    if host
                        .metadata(&target)
                        .is_ok_and(|m| m.kind == FileKind::Dir)
                    {
                        continue;
                    }
                    follow(host, file, line, &target, stack, facts);
                }
            }
            SudoersItem::Defaults {
                binding,
                no_authenticate,
                text,
                line,
            } => {
                if no_authenticate {
                    facts.passwordless.push(SudoPasswordless {
                        file: file.to_string(),
                        line,
                        kind: "!authenticate".into(),
                        who: binding,
                        text,
                    });
                }
            }
            SudoersItem::Alias { .. } => {}
            SudoersItem::UserSpec {
                who,
                nopasswd,
                text,
                line,
            } => {
                if nopasswd {
                    facts.passwordless.push(SudoPasswordless {
                        file: file.to_string(),
                        line,
                        kind: "NOPASSWD".into(),
                        who: who.clone(),
                        text: text.clone(),
                    });
                }
                facts.grants.push(SudoGrant {
                    file: file.to_string(),
                    line,
                    who,
                    text,
                    nopasswd,
                });
            }
            SudoersItem::Unparsed { text, line } => {
                facts
                    .problems
                    .push(format!("{file}:{line}: line not understood: {text}"));
            }
        }
    }
}

fn follow(
    host: &dyn Host,
    from: &str,
    line: usize,
    target: &str,
    stack: &mut Vec<String>,
    facts: &mut SudoFacts,
) {
    if stack.iter().any(|s| s == target) {
        facts.problems.push(format!(
            "{from}:{line}: include loop ({} -> {target}); sudo refuses such a configuration",
            stack.join(" -> ")
        ));
        return;
    }
    if stack.len() >= MAX_DEPTH {
        facts.problems.push(format!(
            "{from}:{line}: includes nested deeper than {MAX_DEPTH}; {target} not read"
        ));
        return;
    }
    if facts.files.len() >= MAX_FILES {
        facts.problems.push(format!(
            "{from}:{line}: more than {MAX_FILES} sudoers files; {target} not read"
        ));
        return;
    }
    match host.read(target) {
        Ok(f) => {
            stack.push(target.to_string());
            walk(host, target, &f.text, stack, facts);
            stack.pop();
        }
        Err(e) => facts
            .unreadable
            .push(format!("{from}:{line}: included {target}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/sudoers"
    ));

    #[test]
    fn real_debian_sudoers() {
        let items = parse_sudoers(DEBIAN);
        let specs: Vec<(String, bool, usize)> = items
            .iter()
            .filter_map(|i| match i {
                SudoersItem::UserSpec {
                    who,
                    nopasswd,
                    line,
                    ..
                } => Some((who.clone(), *nopasswd, *line)),
                _ => None,
            })
            .collect();
        assert_eq!(
            specs,
            vec![("root".into(), false, 47), ("%sudo".into(), false, 50)]
        );
        assert!(items.contains(&SudoersItem::IncludeDir {
            path: "/etc/sudoers.d".into(),
            line: 54
        }));
        assert!(
            !items
                .iter()
                .any(|i| matches!(i, SudoersItem::Unparsed { .. })),
            "{items:?}"
        );
        // The commented-out `#Defaults:%sudo env_keep` lines are comments.
        let defaults = items
            .iter()
            .filter(|i| matches!(i, SudoersItem::Defaults { .. }))
            .count();
        assert_eq!(defaults, 4);
    }

    #[test]
    fn tags_defaults_and_comments() {
        let text = "\
# %sudo ALL=(ALL:ALL) NOPASSWD: ALL\n\
alice ALL=(ALL) NOPASSWD: ALL\n\
bob, carol ALL = (root) PASSWD: /bin/ls, NOPASSWD:/usr/bin/systemctl restart hl7\n\
dave ALL=(ALL) /opt/NOPASSWD:/bin/x\n\
#1000 ALL=(ALL) NOPASSWD: ALL\n\
#1011624 is a bug number\n\
Defaults:nurse !authenticate\n\
Defaults\t! authenticate, env_reset\n\
Defaults env_keep += \"A, !authenticate\"\n\
Defaultsfoo bar\n\
Cmnd_Alias RESTART = /usr/bin/systemctl restart hl7 # comment\n\
erin ALL=(ALL) ALL # NOPASSWD: in a comment\n\
frank ALL=(ALL) \\\n   NOPASSWD: \\\n   ALL\n\
@include \"/etc/sudo ers.local\"\n\
#include sudoers.local\n\
@includedir   /etc/sudoers.d\n\
#includedir\n\
#includefoo /x\n";
        let items = parse_sudoers(text);
        let nopasswd: Vec<(String, usize)> = items
            .iter()
            .filter_map(|i| match i {
                SudoersItem::UserSpec {
                    who,
                    nopasswd: true,
                    line,
                    ..
                } => Some((who.clone(), *line)),
                _ => None,
            })
            .collect();
        assert_eq!(
            nopasswd,
            vec![
                ("alice".into(), 2),
                ("bob, carol".into(), 3),
                ("#1000".into(), 5),
                ("frank".into(), 13)
            ]
        );
        let noauth: Vec<(String, usize)> = items
            .iter()
            .filter_map(|i| match i {
                SudoersItem::Defaults {
                    binding,
                    no_authenticate: true,
                    line,
                    ..
                } => Some((binding.clone(), *line)),
                _ => None,
            })
            .collect();
        assert_eq!(noauth, vec![(":nurse".into(), 7), (String::new(), 8)]);
        assert!(items.contains(&SudoersItem::Include {
            path: "/etc/sudo ers.local".into(),
            line: 16
        }));
        assert!(items.contains(&SudoersItem::Include {
            path: "sudoers.local".into(),
            line: 17
        }));
        assert!(items.contains(&SudoersItem::IncludeDir {
            path: "/etc/sudoers.d".into(),
            line: 18
        }));
        // `Defaultsfoo bar` has no `=`: not understood.
        assert!(items.contains(&SudoersItem::Unparsed {
            text: "Defaultsfoo bar".into(),
            line: 10
        }));
        assert_eq!(
            items
                .iter()
                .filter(|i| matches!(i, SudoersItem::Unparsed { .. }))
                .count(),
            1
        );
    }

    #[test]
    fn hostile_sudoers_text() {
        assert!(parse_sudoers("").is_empty());
        let items = parse_sudoers("\u{FFFD}\u{FFFD} ALL=(ALL) NOPASSWD: ALL\ntrailing \\");
        assert!(matches!(
            &items[0],
            SudoersItem::UserSpec { nopasswd: true, .. }
        ));
        assert!(matches!(&items[1], SudoersItem::Unparsed { .. }));
        let big: String = (0..10_000)
            .map(|i| format!("user{i} ALL=(ALL) ALL\n"))
            .collect();
        assert_eq!(parse_sudoers(&big).len(), 10_000);
        assert!(parse_sudoers("= = =\n@include\n\"unterminated # x\n").len() <= 3);
    }

    #[test]
    fn include_rules() {
        assert_eq!(
            resolve_include("/etc/sudoers", "sudoers.local"),
            "/etc/sudoers.local"
        );
        assert_eq!(
            resolve_include("/etc/sudoers.d/vendor", "extra"),
            "/etc/sudoers.d/extra"
        );
        assert_eq!(resolve_include("/sudoers", "x"), "/x");
        assert_eq!(resolve_include("/etc/sudoers", "/opt/x"), "/opt/x");
        assert!(includedir_reads("vendor"));
        assert!(includedir_reads("README"));
        assert!(!includedir_reads("vendor.bak"));
        assert!(!includedir_reads("vendor~"));
        assert!(!includedir_reads("vendor.dpkg-dist"));
    }
}
