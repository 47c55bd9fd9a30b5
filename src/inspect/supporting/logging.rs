//! Audit logging (auditd rules) and log forwarding (rsyslog, syslog-ng, systemd-journal-upload).

use super::{drop_in_files, is_masked, origin};
use crate::host::{Host, HostError, metadata_optional, read_optional};
use crate::inspect::gap::{AuditGap, RemoteLogGap};
use crate::inspect::{Unseen, is_live};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const AUDIT_RULES: &str = "/etc/audit/audit.rules";
pub const AUDIT_RULES_D: &str = "/etc/audit/rules.d";
pub const RSYSLOG_CONF: &str = "/etc/rsyslog.conf";
pub const SYSLOG_NG_CONF: &str = "/etc/syslog-ng/syslog-ng.conf";
pub const JOURNAL_UPLOAD_CONF: &str = "/etc/systemd/journal-upload.conf";
const AUDITCTL_TIMEOUT: Duration = Duration::from_secs(5);

/// One audit rules file and how many rules (watches and syscall rules) it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRulesFile {
    pub path: String,
    pub rules: usize,
    /// `-e 2`: rules locked until reboot.
    pub immutable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFacts {
    /// Whether /sbin/auditd (or /usr/sbin/auditd) exists.
    pub daemon_binary: bool,
    /// /etc/audit/rules.d/*.rules, then /etc/audit/audit.rules.
    pub rules_files: Vec<AuditRulesFile>,
    /// Rules loaded in the kernel now (`auditctl -l`, live and root only).
    pub loaded_rules: Option<usize>,
    pub unknown: Unseen<AuditGap>,
}

impl AuditFacts {
    /// Rules auditd will load: augenrules compiles rules.d into audit.rules, so rules.d counts
    /// when it holds files, audit.rules otherwise.
    pub fn configured_rules(&self) -> usize {
        let from_d: Vec<&AuditRulesFile> = self
            .rules_files
            .iter()
            .filter(|f| f.path.starts_with(AUDIT_RULES_D))
            .collect();
        if from_d.is_empty() {
            self.rules_files
                .iter()
                .filter(|f| f.path == AUDIT_RULES)
                .map(|f| f.rules)
                .sum()
        } else {
            from_d.iter().map(|f| f.rules).sum()
        }
    }
}

/// Counts watch (`-w`) and syscall (`-a`/`-A`) rules; control lines (-D, -b, -f, -e, ...) are
/// not rules. Returns (rules, immutable).
pub fn count_audit_rules(text: &str) -> (usize, bool) {
    let mut rules = 0;
    let mut immutable = false;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        match first {
            "-w" | "-a" | "-A" | "--watch" => rules += 1,
            "-e" => immutable |= words.next() == Some("2"),
            _ => {}
        }
    }
    (rules, immutable)
}

/// Counts rules in `auditctl -l` output ("No rules" when empty).
pub fn count_auditctl_list(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("no rules"))
        .count()
}

pub fn collect_audit(host: &dyn Host) -> AuditFacts {
    let mut f = AuditFacts::default();
    for bin in ["/sbin/auditd", "/usr/sbin/auditd"] {
        match metadata_optional(host, bin) {
            Ok(Some(_)) => f.daemon_binary = true,
            Ok(None) => {}
            Err(e) => {
                f.unknown.insert(AuditGap::DaemonBinary, e.to_string());
            }
        }
    }
    let mut paths = match super::dir_files(host, AUDIT_RULES_D, ".rules") {
        Ok(p) => p,
        Err(e) => {
            f.unknown
                .insert(AuditGap::Rules(AUDIT_RULES_D.to_string()), e.to_string());
            Vec::new()
        }
    };
    paths.push(AUDIT_RULES.to_string());
    for path in paths {
        match host.read(&path) {
            Ok(t) => {
                let (rules, immutable) = count_audit_rules(&t.text);
                f.rules_files.push(AuditRulesFile {
                    path,
                    rules,
                    immutable,
                });
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                f.unknown
                    .insert(AuditGap::Rules(path.clone()), e.to_string());
            }
        }
    }
    if is_live(host) && host.privileged() && f.daemon_binary {
        let run = host.run(&["auditctl", "-l"], AUDITCTL_TIMEOUT);
        match run.unusable_reason() {
            None if run.exited_with(&[0]) => {
                f.loaded_rules = Some(count_auditctl_list(&run.stdout));
            }
            None => {
                f.unknown.insert(
                    AuditGap::Loaded,
                    format!("auditctl -l failed: {}", run.stderr.trim()),
                );
            }
            Some(why) => {
                f.unknown.insert(AuditGap::Loaded, why);
            }
        }
    }
    f
}

/// Where logs are sent off the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogTarget {
    /// rsyslog | syslog-ng | journal-upload
    pub via: String,
    /// Host (and port) or URL.
    pub target: String,
    /// udp | tcp | tls | relp | http | https
    pub protocol: String,
    /// `file:line`
    pub origin: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteLogFacts {
    pub targets: Vec<LogTarget>,
    /// Configuration files read.
    pub files: Vec<String>,
    /// systemd-journal-upload.service linked into a target's .wants (enabled), from the files.
    pub journal_upload_wanted: bool,
    pub unknown: Unseen<RemoteLogGap>,
}

/// Lines without whole-line comments, keeping line numbers.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Forwarding actions in an rsyslog file: legacy `sel @host` / `@@host` / `:omrelp:host:port`
/// and RainerScript `action(type="omfwd" target="...")` (possibly over several lines).
pub fn parse_rsyslog(path: &str, text: &str) -> Vec<LogTarget> {
    let mut out = Vec::new();
    for (n, line) in content_lines(text) {
        if line.starts_with('$') || line.to_ascii_lowercase().contains("action(") {
            continue;
        }
        for (i, tok) in line.split_whitespace().enumerate() {
            if i == 0 && !line.starts_with('&') && !line.starts_with(':') {
                // The selector itself; actions follow it.
                if tok.starts_with('@') {
                    break;
                }
                continue;
            }
            if let Some(rest) = tok.strip_prefix(":omrelp:") {
                out.push(target("rsyslog", strip_template(rest), "relp", path, n));
            } else if let Some(rest) = tok.strip_prefix("@@") {
                out.push(target("rsyslog", strip_options(rest), "tcp", path, n));
            } else if let Some(rest) = tok.strip_prefix('@') {
                out.push(target("rsyslog", strip_options(rest), "udp", path, n));
            }
        }
    }
    // RainerScript actions: gather text without comment lines, remembering line starts.
    let mut joined = String::new();
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for (n, line) in content_lines(text) {
        starts.push((joined.len(), n));
        joined.push_str(line);
        joined.push('\n');
    }
    let lower = joined.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("action(") {
        let begin = from + pos + "action(".len();
        let end = closing_paren(&joined, begin).unwrap_or(joined.len());
        let params = parse_params(&joined[begin..end]);
        let get = |k: &str| {
            params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.clone())
        };
        let kind = get("type").unwrap_or_default().to_ascii_lowercase();
        if kind == "omfwd" || kind == "omrelp" {
            let host = get("target").unwrap_or_default();
            let port = get("port");
            let protocol = if kind == "omrelp" {
                "relp".to_string()
            } else if get("streamdriver")
                .is_some_and(|d| d.contains("tls") || d.contains("ossl") || d.contains("gtls"))
                && get("streamdrivermode").as_deref() == Some("1")
            {
                "tls".to_string()
            } else {
                get("protocol")
                    .unwrap_or_else(|| "udp".into())
                    .to_ascii_lowercase()
            };
            let line = starts
                .iter()
                .rev()
                .find(|(off, _)| *off <= from + pos)
                .map_or(0, |(_, n)| *n);
            if !host.is_empty() {
                let t = match port {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                };
                out.push(target("rsyslog", &t, &protocol, path, line));
            }
        }
        from = end.max(begin);
    }
    out
}

fn target(via: &str, t: &str, protocol: &str, path: &str, line: usize) -> LogTarget {
    LogTarget {
        via: via.to_string(),
        target: t.to_string(),
        protocol: protocol.to_string(),
        origin: origin(path, line),
    }
}

/// `(o,z9)host:port;Template` → `host:port`
fn strip_options(s: &str) -> &str {
    let s = if s.starts_with('(') {
        s.find(')').map_or(s, |i| &s[i + 1..])
    } else {
        s
    };
    strip_template(s)
}

fn strip_template(s: &str) -> &str {
    s.split(';').next().unwrap_or(s)
}

/// Index of the `)` closing a parenthesis opened just before `begin`, skipping quoted text.
fn closing_paren(text: &str, begin: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut quote: Option<char> = None;
    for (i, c) in text[begin..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(begin + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `name="value" name2=value2` pairs (names lower-cased).
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .trim()
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let after = rest[eq + 1..].trim_start();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(i) => (&q[..i], &q[i + 1..]),
                None => (q, ""),
            }
        } else {
            let i = after
                .find(|c: char| c.is_whitespace())
                .unwrap_or(after.len());
            (&after[..i], &after[i..])
        };
        out.push((name, value.to_string()));
        rest = next;
    }
    out
}

/// Include patterns named in an rsyslog file (`$IncludeConfig`, `include(file="...")`).
pub fn rsyslog_includes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, line) in content_lines(text) {
        if let Some(rest) = line.strip_prefix("$IncludeConfig") {
            out.extend(rest.split_whitespace().next().map(str::to_string));
        } else if line.to_ascii_lowercase().starts_with("include(") {
            for (k, v) in parse_params(&line["include(".len()..]) {
                if k == "file" {
                    out.push(v.trim_end_matches(')').to_string());
                }
            }
        }
    }
    out
}

/// Network destinations of syslog-ng that some `log` statement in the same text uses.
pub fn parse_syslog_ng(path: &str, text: &str) -> Vec<LogTarget> {
    parse_syslog_ng_using(path, text, text)
}

/// As `parse_syslog_ng`, looking for `log` statements in `usage` (all files together), since a
/// destination may be defined in one file and used in another.
pub fn parse_syslog_ng_using(path: &str, text: &str, usage: &str) -> Vec<LogTarget> {
    let clean = strip_hash_comments(text);
    let usage = strip_hash_comments(usage);
    let line_of = |offset: usize| clean[..offset].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = find_word(&clean, "destination", from) {
        let after = pos + "destination".len();
        from = after;
        let rest = &clean[after..];
        let name_len = rest
            .trim_start()
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .unwrap_or(0);
        let skipped = rest.len() - rest.trim_start().len();
        let name = &rest[skipped..skipped + name_len];
        let after_name = rest[skipped + name_len..].trim_start();
        if name.is_empty() || !after_name.starts_with('{') {
            continue; // a reference like destination(d_x), not a definition
        }
        let body_start =
            after + skipped + name_len + (rest[skipped + name_len..].len() - after_name.len()) + 1;
        let body_end = closing_brace(&clean, body_start).unwrap_or(clean.len());
        let body = &clean[body_start..body_end];
        from = body_end;
        if !destination_used(&usage, name) {
            continue;
        }
        for driver in ["network", "syslog", "tcp6", "udp6", "tcp", "udp"] {
            let mut dfrom = 0;
            while let Some(dpos) = find_word(body, driver, dfrom) {
                dfrom = dpos + driver.len();
                let args = body[dfrom..].trim_start();
                let Some(args) = args.strip_prefix('(') else {
                    continue;
                };
                let host = first_arg(args);
                if host.is_empty() {
                    continue;
                }
                let lower_args = args.to_ascii_lowercase();
                let protocol = if lower_args.contains("transport(\"tls\")")
                    || lower_args.contains("transport(tls)")
                    || lower_args.contains("tls(")
                {
                    "tls"
                } else if lower_args.contains("transport(\"tcp\")")
                    || lower_args.contains("transport(tcp)")
                {
                    "tcp"
                } else {
                    match driver {
                        "tcp" | "tcp6" | "syslog" => "tcp",
                        _ => "udp",
                    }
                };
                let port = port_arg(args);
                let t = match port {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                };
                out.push(target(
                    "syslog-ng",
                    &t,
                    protocol,
                    path,
                    line_of(body_start + dpos),
                ));
            }
        }
    }
    out
}

/// Removes `#` comments outside double quotes, keeping line structure for origins.
fn strip_hash_comments(text: &str) -> String {
    let mut clean = String::with_capacity(text.len());
    for line in text.lines() {
        let mut quote = false;
        for c in line.chars() {
            match c {
                '"' => {
                    quote = !quote;
                    clean.push(c);
                }
                '#' if !quote => break,
                c => clean.push(c),
            }
        }
        clean.push('\n');
    }
    clean
}

/// Finds `word` at `from` or later, not inside a longer identifier.
fn find_word(text: &str, word: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = text.get(at..)?.find(word) {
        let pos = at + i;
        let before = text[..pos].chars().next_back();
        let after = text[pos + word.len()..].chars().next();
        let ident =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !ident(before) && !ident(after) {
            return Some(pos);
        }
        at = pos + word.len();
    }
    None
}

fn closing_brace(text: &str, begin: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut quote = false;
    for (i, c) in text[begin..].char_indices() {
        match c {
            '"' => quote = !quote,
            '{' if !quote => depth += 1,
            '}' if !quote => {
                depth -= 1;
                if depth == 0 {
                    return Some(begin + i);
                }
            }
            _ => {}
        }
    }
    None
}

fn first_arg(args: &str) -> String {
    let args = args.trim_start();
    if let Some(q) = args.strip_prefix('"').or_else(|| args.strip_prefix('\'')) {
        return q.split(['"', '\'']).next().unwrap_or_default().to_string();
    }
    let end = args
        .find(|c: char| c.is_whitespace() || c == ')' || c == '(')
        .unwrap_or(args.len());
    let word = &args[..end];
    // A bare word followed by `(` is an option (port(514)), not a host.
    if args[end..].trim_start().starts_with('(') {
        String::new()
    } else {
        word.to_string()
    }
}

fn port_arg(args: &str) -> Option<String> {
    let pos = find_word(args, "port", 0)?;
    let rest = args[pos + 4..].trim_start().strip_prefix('(')?;
    let end = rest.find(')')?;
    let p = rest[..end].trim().trim_matches('"');
    (!p.is_empty()).then(|| p.to_string())
}

fn destination_used(text: &str, name: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = find_word(text, "destination", from) {
        from = pos + 1;
        let rest = text[pos + "destination".len()..].trim_start();
        if let Some(r) = rest.strip_prefix('(')
            && r.trim_start().starts_with(name)
            && r.trim_start()[name.len()..].trim_start().starts_with(')')
        {
            return true;
        }
    }
    false
}

/// `URL=` of journal-upload.conf (`[Upload]` section); the last assignment wins, empty resets.
pub fn parse_journal_upload(path: &str, text: &str) -> Option<LogTarget> {
    let mut section = String::new();
    let mut found: Option<LogTarget> = None;
    for (n, line) in content_lines(text) {
        if line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).to_string();
            continue;
        }
        if section != "Upload" {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == "URL"
        {
            let v = v.trim();
            found = (!v.is_empty()).then(|| {
                let protocol = if v.starts_with("http://") {
                    "http"
                } else {
                    "https"
                };
                target("journal-upload", v, protocol, path, n)
            });
        }
    }
    found
}

pub fn collect_remote(host: &dyn Host) -> RemoteLogFacts {
    let mut f = RemoteLogFacts::default();
    // What exists and could not be read, by daemon: it could hold the forwarding rule.
    let unread = |f: &mut RemoteLogFacts, key: RemoteLogGap, e: HostError| {
        f.unknown
            .entry(key)
            .and_modify(|w| {
                w.push_str("; ");
                w.push_str(&e.to_string());
            })
            .or_insert_with(|| e.to_string());
    };
    // rsyslog: the main file, what it includes, and the usual drop-in directory.
    let main = match read_optional(host, RSYSLOG_CONF) {
        Ok(m) => m,
        Err(e) => {
            unread(&mut f, RemoteLogGap::Rsyslog, e);
            None
        }
    };
    if let Some(main) = main {
        f.files.push(RSYSLOG_CONF.into());
        f.targets.extend(parse_rsyslog(RSYSLOG_CONF, &main.text));
        let mut patterns = rsyslog_includes(&main.text);
        patterns.push("/etc/rsyslog.d/*.conf".into());
        let mut seen = vec![RSYSLOG_CONF.to_string()];
        for pattern in patterns {
            let paths = match super::expand_glob(host, &pattern) {
                Ok(p) => p,
                Err(e) => {
                    unread(&mut f, RemoteLogGap::Rsyslog, e);
                    Vec::new()
                }
            };
            for path in paths {
                if seen.contains(&path) {
                    continue;
                }
                seen.push(path.clone());
                match read_optional(host, &path) {
                    Ok(Some(t)) => {
                        f.files.push(path.clone());
                        f.targets.extend(parse_rsyslog(&path, &t.text));
                    }
                    Ok(None) => {}
                    Err(e) => unread(&mut f, RemoteLogGap::Rsyslog, e),
                }
            }
        }
    }
    // syslog-ng: the main file and conf.d (the Debian layout includes it).
    let mut ng = vec![SYSLOG_NG_CONF.to_string()];
    match super::dir_files(host, "/etc/syslog-ng/conf.d", ".conf") {
        Ok(p) => ng.extend(p),
        Err(e) => unread(&mut f, RemoteLogGap::SyslogNg, e),
    }
    let mut ng_texts: Vec<(String, String)> = Vec::new();
    for p in ng {
        match read_optional(host, &p) {
            Ok(Some(t)) => ng_texts.push((p, t.text)),
            Ok(None) => {}
            Err(e) => unread(&mut f, RemoteLogGap::SyslogNg, e),
        }
    }
    // Destinations may be defined in one file and used in another: parse them together.
    if !ng_texts.is_empty() {
        let all: String = ng_texts
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        for (path, text) in &ng_texts {
            f.files.push(path.clone());
            f.targets.extend(parse_syslog_ng_using(path, text, &all));
        }
    }
    // systemd-journal-upload: the main file then drop-ins; the last URL= wins.
    let mut upload: Option<LogTarget> = None;
    let mut upload_files = vec![JOURNAL_UPLOAD_CONF.to_string()];
    let drop_ins = drop_in_files(
        host,
        &[
            "/etc/systemd/journal-upload.conf.d",
            "/run/systemd/journal-upload.conf.d",
            "/usr/lib/systemd/journal-upload.conf.d",
        ],
        ".conf",
    );
    upload_files.extend(drop_ins.files);
    for (_, e) in drop_ins.unlisted {
        unread(&mut f, RemoteLogGap::JournalUpload, e);
    }
    for path in upload_files {
        match read_optional(host, &path) {
            Ok(Some(t)) => {
                f.files.push(path.clone());
                if let Some(u) = parse_journal_upload(&path, &t.text) {
                    upload = Some(u);
                }
            }
            Ok(None) => {}
            Err(_) if is_masked(host, &path) => {}
            Err(e) => unread(&mut f, RemoteLogGap::JournalUpload, e),
        }
    }
    f.targets.extend(upload);
    for w in [
        "multi-user.target.wants",
        "graphical.target.wants",
        "default.target.wants",
    ] {
        let link = format!("/etc/systemd/system/{w}/systemd-journal-upload.service");
        match metadata_optional(host, &link) {
            Ok(Some(_)) => f.journal_upload_wanted = true,
            Ok(None) => {}
            Err(e) => unread(&mut f, RemoteLogGap::JournalUpload, e),
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/supporting/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn audit_rules_debian_default_has_none() {
        let (rules, immutable) = count_audit_rules(&fixture("audit/debian12_rules.d_audit.rules"));
        assert_eq!((rules, immutable), (0, false));
        let (rules, immutable) = count_audit_rules(&fixture("audit/cis_hardening.rules"));
        assert_eq!(rules, 9);
        assert!(immutable);
        assert_eq!(count_auditctl_list("No rules\n"), 0);
        assert_eq!(
            count_auditctl_list(
                "-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S adjtimex -k time\n"
            ),
            2
        );
        assert_eq!(count_audit_rules("-w\n\u{FFFD}\n-e\n"), (1, false));
    }

    #[test]
    fn configured_rules_prefer_rules_d() {
        let f = AuditFacts {
            rules_files: vec![
                AuditRulesFile {
                    path: "/etc/audit/rules.d/a.rules".into(),
                    rules: 3,
                    immutable: false,
                },
                AuditRulesFile {
                    path: AUDIT_RULES.into(),
                    rules: 7,
                    immutable: false,
                },
            ],
            ..AuditFacts::default()
        };
        assert_eq!(f.configured_rules(), 3);
        let only_main = AuditFacts {
            rules_files: vec![AuditRulesFile {
                path: AUDIT_RULES.into(),
                rules: 7,
                immutable: false,
            }],
            ..AuditFacts::default()
        };
        assert_eq!(only_main.configured_rules(), 7);
    }

    #[test]
    fn rsyslog_debian_default_forwards_nothing() {
        let text = fixture("remote_logging/debian12_rsyslog.conf");
        assert!(parse_rsyslog(RSYSLOG_CONF, &text).is_empty());
        assert_eq!(rsyslog_includes(&text), vec!["/etc/rsyslog.d/*.conf"]);
    }

    #[test]
    fn rsyslog_forwarding_forms() {
        let t = parse_rsyslog(
            "/etc/rsyslog.d/60-forward.conf",
            &fixture("remote_logging/forward_rsyslog.conf"),
        );
        let got: Vec<(&str, &str, &str)> = t
            .iter()
            .map(|t| (t.target.as_str(), t.protocol.as_str(), t.origin.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "loghost.example.org",
                    "udp",
                    "/etc/rsyslog.d/60-forward.conf:3"
                ),
                (
                    "[2001:db8::5]:10514",
                    "tcp",
                    "/etc/rsyslog.d/60-forward.conf:4"
                ),
                (
                    "siem.example.org:2514",
                    "relp",
                    "/etc/rsyslog.d/60-forward.conf:5"
                ),
                ("10.1.2.3:6514", "tls", "/etc/rsyslog.d/60-forward.conf:7"),
                ("10.1.2.4:514", "tcp", "/etc/rsyslog.d/60-forward.conf:15"),
            ]
        );
    }

    #[test]
    fn syslog_ng_network_destinations_in_use() {
        assert!(
            parse_syslog_ng(
                SYSLOG_NG_CONF,
                &fixture("remote_logging/debian12_syslog-ng.conf")
            )
            .is_empty()
        );
        let t = parse_syslog_ng(
            "/etc/syslog-ng/conf.d/remote.conf",
            &fixture("remote_logging/forward_syslog-ng.conf"),
        );
        let got: Vec<(&str, &str)> = t
            .iter()
            .map(|t| (t.target.as_str(), t.protocol.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("10.9.8.7:6514", "tls"), ("logs.example.org", "udp")]
        );
    }

    #[test]
    fn journal_upload_url() {
        assert_eq!(
            parse_journal_upload(
                JOURNAL_UPLOAD_CONF,
                &fixture("remote_logging/debian12_journal-upload.conf")
            ),
            None
        );
        let u = parse_journal_upload("/x", "[Upload]\nURL=https://logs.example.org:19532\n");
        assert_eq!(
            u.map(|u| (u.target, u.protocol)),
            Some(("https://logs.example.org:19532".into(), "https".into()))
        );
        assert_eq!(
            parse_journal_upload("/x", "[Upload]\nURL=http://a\nURL=\n"),
            None
        );
        assert_eq!(parse_journal_upload("/x", "[Other]\nURL=http://a\n"), None);
    }

    #[test]
    fn hostile_logging_input() {
        let junk = "action(type=\"omfwd\" target=\"\u{FFFD}\n*.* @\n:omrelp:\n&\n@@(o\ndestination d { network(\n";
        let _ = parse_rsyslog("/x", junk);
        let _ = parse_syslog_ng("/x", junk);
        let big = "*.* @h\n".repeat(10_000);
        assert_eq!(parse_rsyslog("/x", &big).len(), 10_000);
        assert!(parse_rsyslog("/x", "").is_empty());
        assert!(parse_syslog_ng("/x", "").is_empty());
    }
}
