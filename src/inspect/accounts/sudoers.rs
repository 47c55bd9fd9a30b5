//! sudoers(5): a pure per-file parser, and the include walk that follows `@include`,
//! `@includedir`, `#include` and `#includedir` the way sudo does.
//!
//! Include rules mirrored from sudoers(5): a relative path is taken from the directory of the
//! file that includes it; files in an included directory are read in lexical order, skipping
//! names that end in `~` or contain a `.` (editor backups, package leftovers such as
//! `foo.dpkg-old`); an include loop or a too-deep chain is reported, never followed.

use crate::host::{FileKind, Host, HostError};
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
        /// The last `authenticate` / `!authenticate` in this line: Some(false) for
        /// `!authenticate`, Some(true) for `authenticate`.
        authenticate: Option<bool>,
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
    /// Files sudo refuses to read for their owner or mode (`path: reason`).
    #[serde(default)]
    pub insecure_files: Vec<String>,
    /// NOPASSWD rules that never decide anything: a later rule for the same users and
    /// commands asks for the password (sudo uses the last matching rule), or a later
    /// `Defaults authenticate` undoes a `!authenticate` (`file:line: why`).
    #[serde(default)]
    pub overridden: Vec<String>,
    /// Defaults, aliases and user specifications in the order sudo reads them.
    /// What the reading could not judge, for the details.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(skip)]
    pub items: Vec<(String, SudoersItem)>,
    #[serde(skip)]
    check_owner: bool,
}

/// Why sudo would refuse to read an included file (sudo_secure_file: owner UID 0, not
/// world-writable, group-writable only by GID 0).
/// An owner and mode that cannot be looked at are an error: whether sudo reads the file is
/// then not known (the caller records it as unreadable).
fn insecure(host: &dyn Host, path: &str, check_owner: bool) -> Result<Option<String>, HostError> {
    let Some(m) = crate::host::metadata_optional(host, path)? else {
        return Ok(None);
    };
    if m.kind != FileKind::File || !check_owner {
        return Ok(None);
    }
    if m.uid != 0 {
        return Ok(Some(format!("owned by UID {}, sudo skips it", m.uid)));
    }
    if m.mode & 0o002 != 0 {
        return Ok(Some("world-writable, sudo skips it".into()));
    }
    if m.mode & 0o020 != 0 && m.gid != 0 {
        return Ok(Some(format!(
            "writable by group {} (not root's), sudo skips it",
            m.gid
        )));
    }
    Ok(None)
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
            let mut authenticate = None;
            for p in split_top_level(params, ',') {
                let p = p.trim();
                if p == "authenticate" {
                    authenticate = Some(true);
                } else if p
                    .strip_prefix('!')
                    .is_some_and(|rest| rest.trim() == "authenticate")
                {
                    authenticate = Some(false);
                }
            }
            out.push(SudoersItem::Defaults {
                binding: binding.to_string(),
                no_authenticate: authenticate == Some(false),
                authenticate,
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

/// Joins backslash-continued lines; yields (first line number, joined text). A backslash
/// inside a comment does not continue the line (sudo's lexer drops the comment first).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        let trimmed_start = raw.trim_start();
        // `#include`/`#includedir` are directives, not comments.
        let is_directive = directive(trimmed_start, "include").is_some()
            || directive(trimmed_start, "includedir").is_some();
        let code = if is_directive {
            raw
        } else {
            strip_comment(raw)
        };
        let commented = code.len() != raw.len();
        let trimmed_end = code.trim_end();
        match trimmed_end.strip_suffix('\\') {
            // An escaped backslash at the end (`\\`) is not a continuation.
            Some(rest) if !rest.ends_with('\\') && !commented => {
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
/// People × rules judged one by one; past this every passwordless line counts.
const MAX_JUDGED: usize = 1_000_000;
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
    // sudo skips included files not owned by root, writable by others, or writable by a group
    // other than root's. An offline tree that does not keep ownership (its /etc/sudoers is not
    // owned by UID 0) cannot show which: then owners and modes are not judged.
    facts.check_owner = match host.metadata(top) {
        Ok(m) if m.uid == 0 => true,
        Ok(_) => {
            facts.notes.push(format!(
                "{top} is not owned by UID 0 here (a copied tree?): files sudo would skip for their owner or mode are not identified"
            ));
            false
        }
        // Read but not looked at: say why, not that it has another owner.
        Err(e) => {
            facts.notes.push(format!(
                "{e}: its owner could not be seen, so files sudo would skip for their owner or mode are not identified"
            ));
            false
        }
    };
    let mut stack = vec![top.to_string()];
    walk(host, top, &text, &mut stack, &mut facts);
    judge(&mut facts, None);
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
            SudoersItem::Defaults { .. } | SudoersItem::Alias { .. } => {
                facts.items.push((file.to_string(), item));
            }
            SudoersItem::UserSpec {
                ref who,
                nopasswd,
                ref text,
                line,
            } => {
                facts.grants.push(SudoGrant {
                    file: file.to_string(),
                    line,
                    who: who.clone(),
                    text: text.clone(),
                    nopasswd,
                });
                facts.items.push((file.to_string(), item));
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
    match insecure(host, target, facts.check_owner) {
        Ok(None) => {}
        Ok(Some(why)) => {
            facts.insecure_files.push(format!("{target}: {why}"));
            return;
        }
        Err(e) => {
            facts
                .unreadable
                .push(format!("{from}:{line}: included {target}: {e}"));
            return;
        }
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

// ---------------------------------------------------------------------------------------------
// What sudo decides for each user: Defaults in file order (the last applicable
// `authenticate` wins), and for each command the last matching rule.

/// One command of a user specification, with the runas list, host list and tags in force.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    file: String,
    line: usize,
    users: String,
    hosts: String,
    /// Normalised runas spec, `(root)` when none is given.
    runas: String,
    command: String,
    negated: bool,
    /// Some(true) NOPASSWD, Some(false) PASSWD, None: the `authenticate` default decides.
    nopasswd: Option<bool>,
    text: String,
}

/// Splits `users hosts` (each a comma list, white space allowed after commas).
fn lhs_lists(lhs: &str) -> (String, String) {
    let mut items: Vec<String> = Vec::new();
    for word in lhs.split_whitespace() {
        match items.last_mut() {
            Some(last) if last.ends_with(',') || word.starts_with(',') => last.push_str(word),
            _ => items.push(word.to_string()),
        }
    }
    let users = items.first().cloned().unwrap_or_default();
    let hosts = items.get(1).cloned().unwrap_or_else(|| "ALL".into());
    (users, hosts)
}

const TAGS: [&str; 18] = [
    "NOPASSWD",
    "PASSWD",
    "NOEXEC",
    "EXEC",
    "SETENV",
    "NOSETENV",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
    "NOTBEFORE",
    "NOTAFTER",
];

fn entries_of(file: &str, line: usize, text: &str) -> Vec<Entry> {
    let Some((lhs, rhs)) = text.split_once('=') else {
        return Vec::new();
    };
    let (users, hosts) = lhs_lists(lhs);
    let mut out = Vec::new();
    let mut runas = "(root)".to_string();
    let mut nopasswd: Option<bool> = None;
    for item in split_top_level(rhs, ',') {
        let mut rest = item.trim();
        if let Some(r) = rest.strip_prefix('(') {
            let end = r.find(')').unwrap_or(r.len());
            let spec: String = r[..end].chars().filter(|c| !c.is_whitespace()).collect();
            runas = if spec.is_empty() {
                "(root)".into()
            } else {
                format!("({spec})")
            };
            // A new runas spec starts a new set of tags? No: sudo carries tags on.
            rest = r.get(end + 1..).unwrap_or("").trim_start();
        }
        // Options such as ROLE=, TYPE=, CWD=, CHROOT=, TIMEOUT= come before the tags.
        loop {
            let word = rest.split_whitespace().next().unwrap_or("");
            if let Some((k, _)) = word.split_once('=')
                && !k.is_empty()
                && k.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            {
                rest = rest[word.len()..].trim_start();
                continue;
            }
            let Some((tag, after)) = rest.split_once(':') else {
                break;
            };
            let tag = tag.trim();
            if !TAGS.contains(&tag) {
                break;
            }
            match tag {
                "NOPASSWD" => nopasswd = Some(true),
                "PASSWD" => nopasswd = Some(false),
                _ => {}
            }
            rest = after.trim_start();
        }
        let (negated, command) = match rest.strip_prefix('!') {
            Some(c) => (true, c.trim()),
            None => (false, rest),
        };
        let command: String = command.split_whitespace().collect::<Vec<_>>().join(" ");
        if command.is_empty() {
            continue;
        }
        out.push(Entry {
            file: file.to_string(),
            line,
            users: users.clone(),
            hosts: hosts.clone(),
            runas: runas.clone(),
            command,
            negated,
            nopasswd,
            text: text.to_string(),
        });
    }
    out
}

/// A person sudo is asked about: a name and the groups they are in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Who {
    name: String,
    groups: Vec<String>,
    /// Shown in findings (`alice`, `a member of %vendor`, `any other user`).
    label: String,
}

/// sudo's userlist_matches(): the last item that matches decides (a `!` item excludes).
fn user_list_matches(
    list: &str,
    who: &Who,
    aliases: &std::collections::BTreeMap<String, String>,
    depth: usize,
) -> bool {
    let mut result = None;
    for item in list.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (neg, name) = match item.strip_prefix('!') {
            Some(n) => (true, n.trim()),
            None => (false, item),
        };
        let m = if name == "ALL" {
            true
        } else if let Some(g) = name.strip_prefix('%') {
            let g = g.trim_start_matches(':');
            who.groups.iter().any(|x| x == g)
        } else if let Some(members) = aliases.get(name) {
            depth < 8 && user_list_matches(members, who, aliases, depth + 1)
        } else {
            name == who.name
        };
        if m {
            result = Some(!neg);
        }
    }
    result == Some(true)
}

/// Every user name, group and alias member a sudoers list mentions.
fn list_names(
    list: &str,
    names: &mut std::collections::BTreeSet<String>,
    groups: &mut std::collections::BTreeSet<String>,
) {
    for item in list.split(',') {
        let name = item.trim().trim_start_matches('!').trim();
        if name.is_empty() || name == "ALL" {
            continue;
        }
        if let Some(g) = name.strip_prefix('%') {
            groups.insert(g.trim_start_matches(':').to_string());
        } else {
            names.insert(name.to_string());
        }
    }
}

fn runas_covers(later: &str, earlier: &str) -> bool {
    later == earlier
        || later == "(ALL:ALL)"
        || (later == "(ALL)" && !earlier.contains(':'))
        || (later == "(ALL)" && earlier.ends_with(":)"))
}

fn covers(later: &Entry, earlier: &Entry) -> bool {
    (later.hosts == "ALL" || later.hosts == earlier.hosts)
        && runas_covers(&later.runas, &earlier.runas)
        && (later.command == "ALL" || later.command == earlier.command)
}

/// What the sudoers rules say about whom: user aliases, user specifications, Defaults with
/// their authenticate setting, and the users and groups named anywhere.
struct Gathered {
    aliases: std::collections::BTreeMap<String, String>,
    entries: Vec<Entry>,
    defaults: Vec<(String, usize, String, bool, String)>,
    names: std::collections::BTreeSet<String>,
    groups: std::collections::BTreeSet<String>,
}

fn gather(facts: &SudoFacts) -> Gathered {
    use std::collections::{BTreeMap, BTreeSet};
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut defaults: Vec<(String, usize, String, bool, String)> = Vec::new();
    for (file, item) in &facts.items {
        match item {
            SudoersItem::Alias { text, .. } => {
                if let Some(rest) = text.strip_prefix("User_Alias") {
                    for def in split_top_level(rest, ':') {
                        if let Some((name, members)) = def.split_once('=') {
                            aliases.insert(name.trim().to_string(), members.trim().to_string());
                        }
                    }
                }
            }
            SudoersItem::UserSpec { text, line, .. } => {
                entries.extend(entries_of(file, *line, text));
            }
            SudoersItem::Defaults {
                binding,
                authenticate: Some(a),
                text,
                line,
                ..
            } => defaults.push((file.clone(), *line, binding.clone(), *a, text.clone())),
            _ => {}
        }
    }
    // The people to ask about.
    let mut names = BTreeSet::new();
    let mut groups = BTreeSet::new();
    for e in &entries {
        list_names(&e.users, &mut names, &mut groups);
    }
    for (_, _, b, _, _) in &defaults {
        if let Some(list) = b.strip_prefix(':') {
            list_names(list, &mut names, &mut groups);
        }
    }
    for members in aliases.values() {
        list_names(members, &mut names, &mut groups);
    }
    Gathered {
        aliases,
        entries,
        defaults,
        names,
        groups,
    }
}

/// The accounts [`judge`] asks about by name: those the rules name and the members of the
/// groups they name. Only their membership needs to be looked up (a map of every account of
/// a 500,000-account station was tens of MB).
pub fn singled_out(facts: &SudoFacts) -> impl Fn(&str, &[String]) -> bool {
    let Gathered { names, groups, .. } = gather(facts);
    move |user: &str, gs: &[String]| names.contains(user) || gs.iter().any(|g| groups.contains(g))
}

/// Recomputes `passwordless` with sudo's rules: for each user (named ones, members of the
/// groups named, a stand-in member of each group, and any other user), the Defaults that
/// apply in file order decide `authenticate`, and a NOPASSWD command counts only when no
/// later rule for that user covers it. `membership` maps account names to their groups.
pub fn judge(
    facts: &mut SudoFacts,
    membership: Option<&std::collections::BTreeMap<String, Vec<String>>>,
) {
    use std::collections::BTreeSet;
    let Gathered {
        aliases,
        entries,
        defaults,
        names,
        groups,
    } = gather(facts);
    let groups_of = |n: &str| -> Vec<String> {
        membership
            .and_then(|m| m.get(n).cloned())
            .unwrap_or_default()
    };
    let mut people: Vec<Who> = names
        .iter()
        .filter(|n| !aliases.contains_key(*n))
        .map(|n| Who {
            name: n.clone(),
            groups: groups_of(n),
            label: n.clone(),
        })
        .collect();
    if let Some(m) = membership {
        for (n, gs) in m {
            if !names.contains(n) && gs.iter().any(|g| groups.contains(g)) {
                people.push(Who {
                    name: n.clone(),
                    groups: gs.clone(),
                    label: n.clone(),
                });
            }
        }
    }
    for g in &groups {
        people.push(Who {
            name: format!("(a member of %{g})"),
            groups: vec![g.clone()],
            label: format!("a member of %{g}"),
        });
    }
    people.push(Who {
        name: "(any other user)".into(),
        groups: Vec::new(),
        label: "any other user".into(),
    });

    let mut passwordless: Vec<SudoPasswordless> = Vec::new();
    let mut overridden: BTreeSet<String> = BTreeSet::new();
    if people.len().saturating_mul(entries.len().max(1)) > MAX_JUDGED {
        // Too large to judge user by user: every NOPASSWD and !authenticate counts, as if
        // nothing later undid it (never a pass by omission).
        let note = format!(
            "{} people x {} rules is too many to judge one by one; every NOPASSWD and !authenticate is counted",
            people.len(),
            entries.len()
        );
        if !facts.notes.contains(&note) {
            facts.notes.push(note);
        }
        for e in entries
            .iter()
            .filter(|e| e.nopasswd == Some(true) && !e.negated)
        {
            if !passwordless
                .iter()
                .any(|p| p.file == e.file && p.line == e.line)
            {
                passwordless.push(SudoPasswordless {
                    file: e.file.clone(),
                    line: e.line,
                    kind: "NOPASSWD".into(),
                    who: e.users.clone(),
                    text: e.text.clone(),
                });
            }
        }
        for d in defaults.iter().filter(|d| !d.3) {
            passwordless.push(SudoPasswordless {
                file: d.0.clone(),
                line: d.1,
                kind: "!authenticate".into(),
                who: d.2.clone(),
                text: d.4.clone(),
            });
        }
        facts.passwordless = passwordless;
        return;
    }
    let push = |p: SudoPasswordless, list: &mut Vec<SudoPasswordless>| {
        if !list
            .iter()
            .any(|q| q.file == p.file && q.line == p.line && q.kind == p.kind)
        {
            list.push(p);
        }
    };
    for who in &people {
        // Generic, host and user Defaults in file order; a host-bound `authenticate` is not
        // trusted to apply (the host name is not known here), a host-bound `!authenticate` is.
        let mut auth: Option<&(String, usize, String, bool, String)> = None;
        for d in &defaults {
            let applies = match d.2.chars().next() {
                None => true,
                Some('@') => !d.3,
                Some(':') => user_list_matches(&d.2[1..], who, &aliases, 0),
                _ => false,
            };
            if applies {
                if let Some(prev) = auth
                    && !prev.3
                    && d.3
                {
                    overridden.insert(format!(
                        "{}:{}: {} is undone by {}:{} ({})",
                        prev.0, prev.1, prev.4, d.0, d.1, d.4
                    ));
                }
                auth = Some(d);
            }
        }
        let authenticate = auth.is_none_or(|d| d.3);
        let mine: Vec<&Entry> = entries
            .iter()
            .filter(|e| user_list_matches(&e.users, who, &aliases, 0))
            .collect();
        let passwordless_entry =
            |e: &Entry| -> bool { !e.negated && e.nopasswd.unwrap_or(!authenticate) };
        for (i, e) in mine.iter().enumerate() {
            if !passwordless_entry(e) {
                continue;
            }
            if let Some(later) = mine[i + 1..].iter().rev().find(|l| covers(l, e)) {
                // sudo uses the last rule that matches: this one never decides.
                if !passwordless_entry(later) {
                    overridden.insert(format!(
                        "{}:{}: {} {} never applies to {}: the later rule at {}:{} decides ({})",
                        e.file,
                        e.line,
                        if e.nopasswd == Some(true) {
                            "NOPASSWD"
                        } else {
                            "!authenticate for"
                        },
                        e.command,
                        who.label,
                        later.file,
                        later.line,
                        later.text
                    ));
                }
                continue;
            }
            let p = if e.nopasswd == Some(true) {
                SudoPasswordless {
                    file: e.file.clone(),
                    line: e.line,
                    kind: "NOPASSWD".into(),
                    who: e.users.clone(),
                    text: e.text.clone(),
                }
            } else {
                // sudo never asks root for a password: `!authenticate` changes nothing for root.
                if who.name == "root" {
                    continue;
                }
                let Some(d) = auth else { continue };
                SudoPasswordless {
                    file: d.0.clone(),
                    line: d.1,
                    kind: "!authenticate".into(),
                    who: d.2.clone(),
                    text: d.4.clone(),
                }
            };
            push(p, &mut passwordless);
        }
    }
    // Runas- and command-bound `!authenticate` apply after the rule matched: counted unless a
    // later line with the same binding sets `authenticate` again.
    for (i, d) in defaults.iter().enumerate() {
        if d.3 || !d.2.starts_with(['>', '!']) {
            continue;
        }
        if defaults[i + 1..].iter().any(|l| l.2 == d.2 && l.3) {
            continue;
        }
        push(
            SudoPasswordless {
                file: d.0.clone(),
                line: d.1,
                kind: "!authenticate".into(),
                who: d.2.clone(),
                text: d.4.clone(),
            },
            &mut passwordless,
        );
    }
    passwordless.sort_by(|a, b| {
        let pos = |p: &SudoPasswordless| facts.files.iter().position(|f| *f == p.file);
        (pos(a), a.line).cmp(&(pos(b), b.line))
    });
    facts.passwordless = passwordless;
    facts.overridden = overridden.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// /etc/sudoers read, its owner not seen (EACCES on the stat alone): the note names why,
    /// and does not say the file has another owner.
    #[test]
    fn an_owner_not_seen_is_named_not_guessed() -> std::io::Result<()> {
        use crate::host::{CommandRun, FileMeta, FileText, HostKind, Oversize, ProcessInfo};
        struct NoStat<'a>(&'a dyn Host);
        impl Host for NoStat<'_> {
            fn kind(&self) -> HostKind {
                self.0.kind()
            }
            fn read_limited(&self, p: &str, cap: u64, o: Oversize) -> Result<FileText, HostError> {
                self.0.read_limited(p, cap, o)
            }
            fn read_dir(&self, p: &str) -> Result<Vec<String>, HostError> {
                self.0.read_dir(p)
            }
            fn metadata(&self, p: &str) -> Result<FileMeta, HostError> {
                if p == "/etc/sudoers" {
                    return Err(HostError::PermissionDenied(p.into()));
                }
                self.0.metadata(p)
            }
            fn read_link(&self, p: &str) -> Result<String, HostError> {
                self.0.read_link(p)
            }
            fn run(&self, argv: &[&str], t: std::time::Duration) -> CommandRun {
                self.0.run(argv, t)
            }
            fn privileged(&self) -> bool {
                true
            }
            fn processes(&self) -> Result<Vec<ProcessInfo>, HostError> {
                self.0.processes()
            }
        }
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("etc"))?;
        std::fs::write(dir.path().join("etc/sudoers"), "root ALL=(ALL) ALL\n")?;
        let root = crate::host::Root::new(dir.path());
        let facts = collect_sudoers(&NoStat(&root), "/etc/sudoers")
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        assert!(
            facts
                .notes
                .iter()
                .any(|n| n.contains("owner could not be seen")),
            "{:?}",
            facts.notes
        );
        assert!(
            !facts.notes.iter().any(|n| n.contains("not owned by UID 0")),
            "{:?}",
            facts.notes
        );
        Ok(())
    }

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

    fn judged(text: &str, membership: &[(&str, &[&str])]) -> SudoFacts {
        let mut f = SudoFacts {
            present: true,
            files: vec!["/etc/sudoers".into()],
            ..SudoFacts::default()
        };
        for item in parse_sudoers(text) {
            if matches!(
                item,
                SudoersItem::Defaults { .. }
                    | SudoersItem::Alias { .. }
                    | SudoersItem::UserSpec { .. }
            ) {
                f.items.push(("/etc/sudoers".into(), item));
            }
        }
        let m: std::collections::BTreeMap<String, Vec<String>> = membership
            .iter()
            .map(|(u, gs)| {
                (
                    u.to_string(),
                    gs.iter().map(std::string::ToString::to_string).collect(),
                )
            })
            .collect();
        judge(&mut f, Some(&m));
        f
    }

    fn lines(f: &SudoFacts) -> Vec<(String, usize)> {
        f.passwordless
            .iter()
            .map(|p| (p.kind.clone(), p.line))
            .collect()
    }

    #[test]
    fn last_matching_rule_wins() {
        // A later rule for the same user and commands asks for the password: no effect.
        let f = judged(
            "alice ALL=(ALL) NOPASSWD: /usr/bin/id\nalice ALL=(ALL) ALL\n",
            &[],
        );
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
        assert_eq!(f.overridden.len(), 1, "{:?}", f.overridden);
        // The other order: the NOPASSWD rule is last and decides.
        let f = judged(
            "alice ALL=(ALL) ALL\nalice ALL=(ALL) NOPASSWD: /usr/bin/id\n",
            &[],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 2)]);
        // A later rule for a group the user is in covers the user; for other members too.
        let f = judged(
            "alice ALL=(ALL) NOPASSWD: ALL\n%sudo ALL=(ALL:ALL) ALL\n",
            &[("alice", &["sudo"])],
        );
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
        // Without the membership the group rule does not reach alice.
        let f = judged(
            "alice ALL=(ALL) NOPASSWD: ALL\n%sudo ALL=(ALL:ALL) ALL\n",
            &[],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 1)]);
        // A later rule for other commands does not cover this one.
        let f = judged(
            "alice ALL=(ALL) NOPASSWD: /usr/bin/id\nalice ALL=(ALL) /usr/bin/true\n",
            &[],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 1)]);
        // A later rule excluding the user (ALL, !alice) does not cover alice.
        let f = judged(
            "alice ALL=(ALL) NOPASSWD: ALL\nALL, !alice ALL=(ALL) ALL\n",
            &[],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 1)]);
        // Tags carry over to the following commands; PASSWD turns it off again.
        let f = judged(
            "bob ALL=(root) NOPASSWD: /usr/bin/id, PASSWD: /usr/bin/true\nbob ALL=(root) /usr/bin/id\n",
            &[],
        );
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
    }

    #[test]
    fn defaults_authenticate_in_file_order() {
        let rules = "alice ALL=(ALL) /usr/bin/true\n";
        let f = judged(
            &format!("{rules}Defaults !authenticate\nDefaults authenticate\n"),
            &[],
        );
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
        assert_eq!(f.overridden.len(), 1, "{:?}", f.overridden);
        let f = judged(
            &format!("{rules}Defaults authenticate\nDefaults !authenticate\n"),
            &[],
        );
        assert_eq!(lines(&f), vec![("!authenticate".to_string(), 3)]);
        // File order, not binding order: a later generic line beats an earlier user line.
        let f = judged(
            &format!(
                "{rules}Defaults !authenticate\nDefaults:alice authenticate\nDefaults !authenticate\n"
            ),
            &[],
        );
        assert_eq!(lines(&f), vec![("!authenticate".to_string(), 4)]);
        let f = judged(
            &format!("{rules}Defaults !authenticate\nDefaults:alice authenticate\n"),
            &[],
        );
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
        // A user-bound !authenticate for someone without rules grants nothing.
        let f = judged(&format!("{rules}Defaults:bob !authenticate\n"), &[]);
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
        // sudo never asks root: !authenticate with rules only for root changes nothing.
        let f = judged("root ALL=(ALL:ALL) ALL\nDefaults !authenticate\n", &[]);
        assert!(f.passwordless.is_empty(), "{:?}", f.passwordless);
        // Runas-bound: counted unless the same binding turns it back on.
        let f = judged(&format!("{rules}Defaults>root !authenticate\n"), &[]);
        assert_eq!(lines(&f), vec![("!authenticate".to_string(), 2)]);
    }

    #[test]
    fn many_rules_are_bounded() {
        let big: String = (0..5_000)
            .map(|i| format!("user{i} ALL=(ALL) ALL\n"))
            .collect::<String>()
            + "user7 ALL=(ALL) NOPASSWD: /usr/bin/id\nuser7 ALL=(ALL) ALL\n";
        let started = std::time::Instant::now();
        let f = judged(&big, &[]);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // Too many to judge one by one: the NOPASSWD line counts although a later rule covers it.
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 5_001)]);
        assert!(!f.notes.is_empty());
    }

    #[test]
    fn comment_lines_do_not_continue() {
        let f = judged(
            "# a comment that ends in a backslash \\\nbob ALL=(ALL) NOPASSWD: ALL\n",
            &[],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 2)]);
        let f = judged(
            "bob ALL=(ALL) ALL # trailing comment \\\ncarol ALL=(ALL) NOPASSWD: ALL\n",
            &[],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 2)]);
        // A real continuation still joins.
        let f = judged("dave ALL=(ALL) \\\n NOPASSWD: ALL\n", &[]);
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 1)]);
    }

    #[test]
    fn user_aliases_and_negation() {
        let f = judged(
            "User_Alias VENDORS = acme, %field\nVENDORS ALL=(ALL) NOPASSWD: ALL\n",
            &[("tech", &["field"])],
        );
        assert_eq!(lines(&f), vec![("NOPASSWD".to_string(), 2)]);
        let who = Who {
            name: "acme".into(),
            groups: vec![],
            label: "acme".into(),
        };
        let mut aliases = std::collections::BTreeMap::new();
        aliases.insert("V".to_string(), "acme".to_string());
        assert!(user_list_matches("V", &who, &aliases, 0));
        assert!(!user_list_matches("ALL, !acme", &who, &aliases, 0));
        assert!(user_list_matches("!acme, ALL", &who, &aliases, 0));
    }
}
