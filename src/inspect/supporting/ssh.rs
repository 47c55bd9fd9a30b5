//! OpenSSH server configuration with `sshd -T` semantics: /etc/ssh/sshd_config with `Include`
//! expanded (globs in any path component), first value wins, options from the daemon's command
//! line (`/etc/default/ssh` `SSHD_OPTS`, unit `ExecStart`) before the file, and `Match` blocks
//! (including `Match all`) kept in order so a check can ask what one connection gets.
//! Every enabled sshd instance (`sshd -f other_config`) is its own `SshInstance`.

use super::origin;
use crate::host::{FileKind, Host, HostError, metadata_optional, read_dir_optional, read_optional};
use crate::inspect::gap::{ServicesGap, SshGap};
use crate::inspect::services::systemd::{self, UnitTree};
use crate::inspect::{Unseen, is_live};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
pub const DEFAULT_SSH: &str = "/etc/default/ssh";
const SSHD_T_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_INCLUDE_DEPTH: usize = 16;
/// The units Debian and RHEL ship for the main daemon (one reads /etc/ssh/sshd_config).
const MAIN_UNITS: [&str; 2] = ["ssh.service", "sshd.service"];

/// Keywords the checks read. Others are parsed but not kept, to keep the facts readable.
pub const KEPT: &[&str] = &[
    "permitrootlogin",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "usepam",
    "authenticationmethods",
    "permitemptypasswords",
    "pubkeyauthentication",
    "allowusers",
    "denyusers",
    "allowgroups",
    "denygroups",
];

/// Keywords whose lines add to a list instead of the first one winning (sshd appends them).
pub const LISTS: &[&str] = &["allowusers", "denyusers", "allowgroups", "denygroups"];

/// OpenSSH 9.2's compiled-in defaults for the kept keywords (what `sshd -T` prints when the
/// configuration sets nothing).
pub fn default_value(key: &str) -> &'static str {
    match key {
        "permitrootlogin" => "prohibit-password",
        "passwordauthentication" | "kbdinteractiveauthentication" | "pubkeyauthentication" => "yes",
        "usepam" | "permitemptypasswords" => "no",
        "authenticationmethods" => "any",
        _ => "",
    }
}

/// One directive line of an sshd configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshdDirective {
    /// Lower-case keyword, aliases folded (`challengeresponseauthentication` →
    /// `kbdinteractiveauthentication`).
    pub keyword: String,
    pub args: Vec<String>,
    /// `file:line`
    pub origin: String,
}

/// A setting and where it came from (`file:line`, `sshd -T`, `command line (...)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshSetting {
    pub value: String,
    pub origin: String,
}

/// A `Match` block and the settings it changes for the connections it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshMatchBlock {
    /// The criteria as written, e.g. `User vendor Address 10.0.0.0/8`.
    pub criteria: String,
    pub origin: String,
    pub settings: BTreeMap<String, SshSetting>,
}

/// One sshd daemon: its configuration file, command-line options and effective settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshInstance {
    /// `ssh.service`, or `sshd` when no unit names the daemon.
    pub name: String,
    /// The configuration file (`-f`), /etc/ssh/sshd_config unless the command line says.
    pub config: String,
    /// Where the command line came from (`/lib/systemd/system/ssh.service:9` ...), if known.
    pub command_line: Vec<String>,
    /// The daemon's arguments after the program name.
    #[serde(default)]
    pub args: Vec<String>,
    /// Every configuration file read, main file first, includes in sshd's order.
    pub config_files: Vec<String>,
    /// Global settings: command-line `-o` options first, then the file (first value wins).
    pub settings: BTreeMap<String, SshSetting>,
    /// Every Match block in order (those that set nothing we keep included: order matters).
    pub match_blocks: Vec<SshMatchBlock>,
    /// Includes not read, Match lines sshd would reject, unreadable files.
    pub problems: Vec<String>,
    /// The configuration file itself could not be read (why).
    pub unreadable: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshFacts {
    /// Whether /usr/sbin/sshd (or /usr/bin/sshd) exists.
    pub sshd_binary: bool,
    /// Whether /etc/ssh/sshd_config exists.
    pub config_present: bool,
    /// Every configuration file read, main file first, includes in sshd's order.
    pub config_files: Vec<String>,
    /// "sshd -T" (effective configuration from sshd itself) or "files".
    pub source: String,
    /// Global settings explicitly set (keywords lower-case; defaults are not filled in).
    pub settings: BTreeMap<String, SshSetting>,
    /// Match blocks that set a kept keyword.
    pub match_blocks: Vec<SshMatchBlock>,
    /// Every sshd daemon that would run: the main one first, then other enabled units that
    /// start sshd with another configuration.
    #[serde(default)]
    pub instances: Vec<SshInstance>,
    /// Supplementary and primary group names from /etc/passwd and /etc/group (for `Match
    /// Group`, `AllowGroups`, `DenyGroups`) of the accounts the configuration singles out: root,
    /// the users it names and the members of the groups it names; None when they could not be
    /// read.
    #[serde(default)]
    pub user_groups: Option<BTreeMap<String, Vec<String>>>,
    pub unknown: Unseen<SshGap>,
}

impl SshFacts {
    pub fn get(&self, key: &str) -> Option<&SshSetting> {
        self.settings.get(key)
    }
}

/// Splits one configuration line into keyword and arguments (`Key value`, `Key=value`,
/// double-quoted arguments, `#` starting a comment at a token boundary). None for blanks.
pub fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (key, rest) = match line.find(|c: char| c.is_whitespace() || c == '=') {
        Some(i) => (&line[..i], &line[i..]),
        None => (line, ""),
    };
    // One `=` with optional whitespace around it may separate keyword and value.
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Some((key.to_ascii_lowercase(), split_words(rest)))
}

/// Double-quote aware word splitting; `#` at a word start ends the line.
fn split_words(rest: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut quoted = false;
    for c in rest.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_token = true;
            }
            '#' if !quoted && !in_token => break,
            c if c.is_whitespace() && !quoted => {
                if in_token {
                    args.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            c => {
                cur.push(c);
                in_token = true;
            }
        }
    }
    if in_token {
        args.push(cur);
    }
    args
}

fn fold_alias(keyword: String) -> String {
    match keyword.as_str() {
        "challengeresponseauthentication" => "kbdinteractiveauthentication".to_string(),
        _ => keyword,
    }
}

/// Parses one file's directives in order, `Include` left in place for `expand_includes`.
pub fn parse_sshd_config(path: &str, text: &str) -> Vec<SshdDirective> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (keyword, args) = split_line(line)?;
            Some(SshdDirective {
                keyword: fold_alias(keyword),
                args,
                origin: origin(path, i + 1),
            })
        })
        .collect()
}

/// A directive with the `Match` block it sits in (`None`: global).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedDirective {
    pub directive: SshdDirective,
    /// Index into the match list returned with it.
    pub block: Option<usize>,
}

/// Returns the files an include pattern names, as (path, text or why it could not be read).
pub type IncludeReader<'a> = dyn FnMut(&str) -> Vec<(String, Result<String, String>)> + 'a;

/// The configuration with every `Include` expanded in place. `read(pattern)` returns the files
/// an include pattern names, as (path, text), in sshd's (sorted) order. After an included
/// file, the Match block that was active before the `Include` is active again, as in sshd.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpandedConfig {
    pub directives: Vec<ScopedDirective>,
    /// (criteria, origin) of each Match block, `Match all` included.
    pub blocks: Vec<(String, String)>,
    pub files: Vec<String>,
    /// Include patterns that matched nothing or could not be read.
    pub problems: Vec<String>,
}

pub fn expand_includes(
    main_path: &str,
    main_text: &str,
    read: &mut IncludeReader<'_>,
) -> ExpandedConfig {
    let mut out = ExpandedConfig::default();
    out.files.push(main_path.to_string());
    expand_into(main_path, main_text, None, 0, read, &mut out);
    out
}

fn expand_into(
    path: &str,
    text: &str,
    inherited: Option<usize>,
    depth: usize,
    read: &mut IncludeReader<'_>,
    out: &mut ExpandedConfig,
) {
    let mut block = inherited;
    for d in parse_sshd_config(path, text) {
        match d.keyword.as_str() {
            "match" => {
                // `Match all` is a block like any other: it applies to every connection and
                // lasts until the next Match (it does not return to the global section).
                out.blocks.push((d.args.join(" "), d.origin.clone()));
                block = Some(out.blocks.len() - 1);
            }
            "include" => {
                if depth >= MAX_INCLUDE_DEPTH {
                    out.problems
                        .push(format!("{}: includes nested too deeply", d.origin));
                    continue;
                }
                for arg in &d.args {
                    let pattern = if arg.starts_with('/') {
                        arg.clone()
                    } else {
                        format!("/etc/ssh/{arg}")
                    };
                    for (file, text) in read(&pattern) {
                        match text {
                            Ok(text) => {
                                out.files.push(file.clone());
                                expand_into(&file, &text, block, depth + 1, read, out);
                            }
                            Err(why) => out.problems.push(format!("{}: {why}", d.origin)),
                        }
                    }
                }
            }
            _ => out.directives.push(ScopedDirective {
                directive: d,
                block,
            }),
        }
    }
}

fn record(map: &mut BTreeMap<String, SshSetting>, keyword: &str, args: &[String], origin: &str) {
    if !KEPT.contains(&keyword) {
        return;
    }
    let value = args.join(" ");
    if LISTS.contains(&keyword) {
        // sshd appends every AllowUsers/DenyUsers... line; user names stay case-sensitive.
        map.entry(keyword.to_string())
            .and_modify(|s| {
                s.value.push(' ');
                s.value.push_str(&value);
                s.origin.push_str(", ");
                s.origin.push_str(origin);
            })
            .or_insert(SshSetting {
                value,
                origin: origin.to_string(),
            });
    } else {
        map.entry(keyword.to_string()).or_insert(SshSetting {
            value: value.to_ascii_lowercase(),
            origin: origin.to_string(),
        });
    }
}

/// sshd's rule: the first value obtained for a keyword wins, globally and within each Match
/// block (list keywords accumulate). Returns the global settings and every Match block.
pub fn effective_all(cfg: &ExpandedConfig) -> (BTreeMap<String, SshSetting>, Vec<SshMatchBlock>) {
    let mut global = BTreeMap::new();
    let mut blocks: Vec<SshMatchBlock> = cfg
        .blocks
        .iter()
        .map(|(criteria, origin)| SshMatchBlock {
            criteria: criteria.clone(),
            origin: origin.clone(),
            settings: BTreeMap::new(),
        })
        .collect();
    for sd in &cfg.directives {
        let d = &sd.directive;
        let map = match sd.block.and_then(|i| blocks.get_mut(i)) {
            Some(b) => &mut b.settings,
            None => &mut global,
        };
        record(map, &d.keyword, &d.args, &d.origin);
    }
    (global, blocks)
}

/// `effective_all` without the Match blocks that set nothing kept.
pub fn effective(cfg: &ExpandedConfig) -> (BTreeMap<String, SshSetting>, Vec<SshMatchBlock>) {
    let (global, mut blocks) = effective_all(cfg);
    blocks.retain(|b| !b.settings.is_empty());
    (global, blocks)
}

/// Parses `sshd -T` output (`keyword value` per line, keywords lower-case).
pub fn parse_sshd_t(text: &str) -> BTreeMap<String, SshSetting> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some((k, v)) = line.trim().split_once(' ') else {
            continue;
        };
        let k = fold_alias(k.to_ascii_lowercase());
        if KEPT.contains(&k.as_str()) {
            let v = v.trim();
            let v = if LISTS.contains(&k.as_str()) {
                v.to_string()
            } else {
                v.to_ascii_lowercase()
            };
            out.entry(k).or_insert(SshSetting {
                value: v,
                origin: "sshd -T".into(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Match evaluation for one connection, as sshd's match_cfg_line does it.

/// The connection a Match block is judged against (what `sshd -T -C` takes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conn {
    pub user: String,
    /// The user's groups; empty for a user who does not exist (Match Group never matches).
    pub groups: Vec<String>,
    /// Whether `groups` came from the group database (false: it could not be read, so
    /// AllowGroups/DenyGroups are not trusted to keep this user out).
    pub groups_known: bool,
    pub host: String,
    pub addr: String,
    pub laddr: String,
    pub lport: String,
    pub rdomain: String,
}

/// sshd's match_pattern(): `*` and `?` wildcards.
fn glob_match(pattern: &str, text: &str) -> bool {
    super::wildcard(pattern, text)
}

/// sshd's match_pattern_list(): 1 when a pattern matches and no negated one does.
fn pattern_list(text: &str, list: &str, fold_case: bool) -> bool {
    let text = if fold_case {
        text.to_ascii_lowercase()
    } else {
        text.to_string()
    };
    let mut got = false;
    for p in list.split(',') {
        let (neg, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let p = if fold_case {
            p.to_ascii_lowercase()
        } else {
            p.to_string()
        };
        if glob_match(&p, &text) {
            if neg {
                return false;
            }
            got = true;
        }
    }
    got
}

/// `a.b.c.d/n` or `x::/n` containing `addr`; None when the pattern is not a CIDR.
fn cidr_contains(pattern: &str, addr: &str) -> Option<Result<bool, String>> {
    let (net, len) = match pattern.split_once('/') {
        Some((n, l)) => (n, Some(l)),
        None => (pattern, None),
    };
    let net: IpAddr = net.parse().ok()?;
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return Some(Ok(false));
    };
    let bits = match net {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let len = match len {
        None => bits,
        Some(l) => match l.parse::<u32>() {
            Ok(l) if l <= bits => l,
            _ => return Some(Err(format!("bad prefix length in {pattern}"))),
        },
    };
    let (n, a) = match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (
            u128::from(u32::from(n)) << 96,
            u128::from(u32::from(a)) << 96,
        ),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a)),
        _ => return Some(Ok(false)),
    };
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    if n & !mask != 0 {
        // sshd's addr_match_list rejects a network with host bits set.
        return Some(Err(format!("{pattern} has host bits set")));
    }
    Some(Ok(n & mask == a & mask))
}

/// sshd's addr_match_list(): CIDR or wildcard patterns, `!` negates.
fn addr_list(addr: &str, list: &str) -> Result<bool, String> {
    let mut got = false;
    for p in list.split(',') {
        let (neg, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let m = match cidr_contains(p, addr) {
            Some(r) => r?,
            None => {
                if p.contains('/') {
                    return Err(format!("bad address pattern {p}"));
                }
                glob_match(&p.to_ascii_lowercase(), &addr.to_ascii_lowercase())
            }
        };
        if m {
            if neg {
                return Ok(false);
            }
            got = true;
        }
    }
    Ok(got)
}

/// A Match line's criteria as (lower-case keyword, argument) pairs; `("all", "")` for
/// `Match all`. `Err` for a line sshd would refuse.
pub fn parse_criteria(criteria: &str) -> Result<Vec<(String, String)>, String> {
    let words = split_words(criteria);
    if words.is_empty() {
        return Err("Match with no criteria".into());
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let kw = words[i].to_ascii_lowercase();
        if kw == "all" {
            if words.len() != 1 {
                return Err("'all' cannot be combined with other Match criteria".into());
            }
            return Ok(vec![("all".into(), String::new())]);
        }
        let Some(arg) = words.get(i + 1) else {
            return Err(format!("Match keyword {kw} has no argument"));
        };
        i += 2;
        match kw.as_str() {
            "user" | "group" | "host" | "rdomain" => {}
            "address" | "localaddress" => {
                // Checked once here so a bad CIDR is refused whatever the connection.
                addr_list("0.0.0.0", arg)?;
            }
            "localport" => {
                if arg.parse::<u16>().is_err() {
                    return Err(format!("invalid LocalPort {arg}"));
                }
            }
            other => return Err(format!("unsupported Match criterion {other}")),
        }
        out.push((kw, arg.clone()));
    }
    Ok(out)
}

fn criteria_eval(parsed: &[(String, String)], conn: &Conn) -> Result<bool, String> {
    let mut result = true;
    for (kw, arg) in parsed {
        let m = match kw.as_str() {
            "all" => true,
            "user" => pattern_list(&conn.user, arg, false),
            "group" => conn.groups.iter().any(|g| pattern_list(g, arg, false)),
            "host" => pattern_list(&conn.host, arg, true),
            "address" => addr_list(&conn.addr, arg)?,
            "localaddress" => addr_list(&conn.laddr, arg)?,
            "localport" => conn.lport == *arg,
            "rdomain" => pattern_list(&conn.rdomain, arg, false),
            other => return Err(format!("unsupported Match criterion {other}")),
        };
        result &= m;
    }
    Ok(result)
}

/// Whether a Match line's criteria select `conn`. `Err` for a line sshd would refuse.
pub fn criteria_match(criteria: &str, conn: &Conn) -> Result<bool, String> {
    criteria_eval(&parse_criteria(criteria)?, conn)
}

/// Every Match block's criteria parsed once, for asking about many connections.
pub type ParsedBlocks = Vec<Vec<(String, String)>>;

pub fn parse_blocks(inst: &SshInstance) -> Result<ParsedBlocks, String> {
    inst.match_blocks
        .iter()
        .map(|b| parse_criteria(&b.criteria).map_err(|e| format!("{}: {e}", b.origin)))
        .collect()
}

/// A value as one connection gets it, with the Match block that decided it (None: global or
/// default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub value: String,
    pub origin: String,
    pub block: Option<usize>,
}

/// One connection against one daemon's configuration: which Match blocks select it, worked
/// out once (the values are then read without matching again).
#[derive(Debug, Clone)]
pub struct ConnView<'a> {
    pub inst: &'a SshInstance,
    pub conn: &'a Conn,
    hits: Vec<bool>,
}

impl<'a> ConnView<'a> {
    /// `Err` when a Match line is one sshd would refuse.
    pub fn new(inst: &'a SshInstance, conn: &'a Conn) -> Result<ConnView<'a>, String> {
        ConnView::with_blocks(inst, &parse_blocks(inst)?, conn)
    }

    /// With the blocks parsed beforehand (`parse_blocks`).
    pub fn with_blocks(
        inst: &'a SshInstance,
        blocks: &ParsedBlocks,
        conn: &'a Conn,
    ) -> Result<ConnView<'a>, String> {
        let hits = blocks
            .iter()
            .map(|b| criteria_eval(b, conn))
            .collect::<Result<Vec<bool>, String>>()?;
        Ok(ConnView { inst, conn, hits })
    }

    /// The value of `key` for this connection: the first matching Match block that sets it,
    /// else the global (command line, then file) value, else OpenSSH's default. List
    /// keywords: every matching block's lines together when any sets it, else the global list.
    pub fn get(&self, key: &str) -> Resolved {
        let list = LISTS.contains(&key);
        let mut acc: Option<Resolved> = None;
        for (i, b) in self.inst.match_blocks.iter().enumerate() {
            if !self.hits.get(i).copied().unwrap_or(false) {
                continue;
            }
            let Some(s) = b.settings.get(key) else {
                continue;
            };
            if !list {
                return Resolved {
                    value: s.value.clone(),
                    origin: s.origin.clone(),
                    block: Some(i),
                };
            }
            match acc.as_mut() {
                Some(a) => {
                    a.value.push(' ');
                    a.value.push_str(&s.value);
                }
                None => {
                    acc = Some(Resolved {
                        value: s.value.clone(),
                        origin: s.origin.clone(),
                        block: Some(i),
                    });
                }
            }
        }
        if let Some(a) = acc {
            return a;
        }
        match self.inst.settings.get(key) {
            Some(s) => Resolved {
                value: s.value.clone(),
                origin: s.origin.clone(),
                block: None,
            },
            None => Resolved {
                value: default_value(key).to_string(),
                origin: "OpenSSH default".into(),
                block: None,
            },
        }
    }

    /// sshd's allowed_user() for the user and group lists: DenyUsers, AllowUsers (`user` or
    /// `user@host`, host matched against the host name and address), DenyGroups, AllowGroups.
    pub fn admitted(&self) -> Result<bool, String> {
        let conn = self.conn;
        let user_pat = |pat: &str| -> Result<bool, String> {
            match pat.split_once('@') {
                Some((u, h)) => Ok(pattern_list(&conn.user, u, false)
                    && (pattern_list(&conn.host, h, true) || addr_list(&conn.addr, h)?)),
                None => Ok(pattern_list(&conn.user, pat, false)),
            }
        };
        let deny = self.get("denyusers").value;
        for p in deny.split_whitespace() {
            if user_pat(p)? {
                return Ok(false);
            }
        }
        let allow = self.get("allowusers").value;
        if !allow.trim().is_empty() {
            let mut any = false;
            for p in allow.split_whitespace() {
                any |= user_pat(p)?;
            }
            if !any {
                return Ok(false);
            }
        }
        if !conn.groups_known {
            return Ok(true);
        }
        let in_group = |p: &str| conn.groups.iter().any(|g| pattern_list(g, p, false));
        if self
            .get("denygroups")
            .value
            .split_whitespace()
            .any(in_group)
        {
            return Ok(false);
        }
        let ag = self.get("allowgroups").value;
        if !ag.trim().is_empty() && !ag.split_whitespace().any(in_group) {
            return Ok(false);
        }
        Ok(true)
    }
}

/// `ConnView::get` for a single question.
pub fn resolve(inst: &SshInstance, key: &str, conn: &Conn) -> Result<Resolved, String> {
    Ok(ConnView::new(inst, conn)?.get(key))
}

/// `ConnView::admitted` for a single question.
pub fn user_admitted(inst: &SshInstance, conn: &Conn) -> Result<bool, String> {
    ConnView::new(inst, conn)?.admitted()
}

/// A stand-in name no pattern names: "any other user".
pub const ANY_USER: &str = "sw-any-user";
pub const ANY_HOST: &str = "unnamed.invalid";
pub const ANY_ADDR4: &str = "192.0.2.77";
pub const ANY_ADDR6: &str = "2001:db8::77";
pub const ANY_LADDR: &str = "198.51.100.1";
pub const ANY_LPORT: &str = "22";
pub const ANY_RDOMAIN: &str = "default";
const MAX_POINTS: usize = 20_000;
/// Connections × Match blocks: past this, the check says it cannot judge (hostile input).
const MAX_WORK: usize = 1_000_000;

/// A concrete value that a pattern matches (wildcards filled in), or None for `!` patterns.
fn instance_of(pattern: &str) -> String {
    pattern.replace(['*', '?'], "x")
}

/// A host address inside a CIDR (the network address, or one past it).
fn addr_instances(pattern: &str) -> Vec<String> {
    let p = pattern.trim_start_matches('!');
    let net = p.split('/').next().unwrap_or(p);
    match net.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => {
            let n = u32::from(a);
            vec![
                a.to_string(),
                std::net::Ipv4Addr::from(n.wrapping_add(1)).to_string(),
            ]
        }
        Ok(IpAddr::V6(a)) => {
            let n = u128::from(a);
            vec![
                a.to_string(),
                std::net::Ipv6Addr::from(n.wrapping_add(1)).to_string(),
            ]
        }
        Err(_) => vec![instance_of(p).replace('x', "1")],
    }
}

/// What a configuration singles out: the users, groups, hosts and addresses its Match blocks
/// and Allow/Deny lists name (patterns turned into a value they match).
#[derive(Debug, Default)]
struct Named {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    hosts: BTreeSet<String>,
    addrs: BTreeSet<String>,
    laddrs: BTreeSet<String>,
    lports: BTreeSet<String>,
    rdomains: BTreeSet<String>,
}

fn named(inst: &SshInstance) -> Named {
    let mut users: BTreeSet<String> = BTreeSet::new();
    let mut groups: BTreeSet<String> = BTreeSet::new();
    let mut hosts: BTreeSet<String> = BTreeSet::new();
    let mut addrs: BTreeSet<String> = BTreeSet::new();
    let mut laddrs: BTreeSet<String> = BTreeSet::new();
    let mut lports: BTreeSet<String> = BTreeSet::new();
    let mut rdomains: BTreeSet<String> = BTreeSet::new();
    let note_users = |list: &str,
                      users: &mut BTreeSet<String>,
                      hosts: &mut BTreeSet<String>,
                      addrs: &mut BTreeSet<String>| {
        for p in list.split([',', ' ']).filter(|p| !p.is_empty()) {
            let p = p.trim_start_matches('!');
            match p.split_once('@') {
                Some((u, h)) => {
                    users.insert(instance_of(u));
                    if h.parse::<IpAddr>().is_ok() || h.contains('/') {
                        addrs.extend(addr_instances(h));
                    } else {
                        hosts.insert(instance_of(h));
                    }
                }
                None => {
                    users.insert(instance_of(p));
                }
            }
        }
    };
    for b in &inst.match_blocks {
        let words = split_words(&b.criteria);
        for pair in words.chunks(2) {
            let [kw, arg] = pair else { continue };
            let items = arg.split(',');
            match kw.to_ascii_lowercase().as_str() {
                "user" => users.extend(items.map(|p| instance_of(p.trim_start_matches('!')))),
                "group" => {
                    groups.extend(items.map(|p| p.trim_start_matches('!').to_string()));
                }
                "host" => hosts.extend(items.map(|p| instance_of(p.trim_start_matches('!')))),
                "address" => addrs.extend(items.flat_map(addr_instances)),
                "localaddress" => laddrs.extend(items.flat_map(addr_instances)),
                "localport" => lports.extend(items.map(str::to_string)),
                "rdomain" => rdomains.extend(items.map(|p| instance_of(p.trim_start_matches('!')))),
                _ => {}
            }
        }
        for k in ["allowusers", "denyusers"] {
            if let Some(s) = b.settings.get(k) {
                note_users(&s.value, &mut users, &mut hosts, &mut addrs);
            }
        }
        for k in ["allowgroups", "denygroups"] {
            if let Some(s) = b.settings.get(k) {
                groups.extend(s.value.split_whitespace().map(str::to_string));
            }
        }
    }
    for k in ["allowusers", "denyusers"] {
        if let Some(s) = inst.settings.get(k) {
            note_users(&s.value, &mut users, &mut hosts, &mut addrs);
        }
    }
    // Members of the groups AllowGroups/DenyGroups name are the users they let in or keep out.
    for k in ["allowgroups", "denygroups"] {
        if let Some(s) = inst.settings.get(k) {
            groups.extend(s.value.split_whitespace().map(str::to_string));
        }
    }
    Named {
        users,
        groups,
        hosts,
        addrs,
        laddrs,
        lports,
        rdomains,
    }
}

/// The connections worth asking about: for every attribute a Match block looks at, each value
/// its patterns name plus one that none names; users are root, the users named, members of the
/// groups named, and "any other user". The first connections (root / any other user from an
/// unnamed IPv4 or IPv6 address) stand for everyone not singled out.
/// None when there would be too many to try.
pub fn connections(
    inst: &SshInstance,
    user_groups: Option<&BTreeMap<String, Vec<String>>>,
) -> Option<Vec<Conn>> {
    let Named {
        users,
        groups: groups_named,
        hosts,
        addrs,
        laddrs,
        lports,
        rdomains,
    } = named(inst);
    // Members of the groups named (sshd asks the system's group database).
    let groups_of = |u: &str| -> Vec<String> {
        user_groups
            .and_then(|m| m.get(u).cloned())
            .unwrap_or_default()
    };
    let known = user_groups.is_some();
    let mut user_points: Vec<(String, Vec<String>, bool)> = Vec::new();
    let mut seen = BTreeSet::new();
    for u in ["root", ANY_USER]
        .into_iter()
        .map(str::to_string)
        .chain(users.iter().cloned())
    {
        if seen.insert(u.clone()) {
            let g = groups_of(&u);
            user_points.push((u, g, known));
        }
    }
    if !groups_named.is_empty() {
        match user_groups {
            Some(map) => {
                for (u, gs) in map {
                    if gs
                        .iter()
                        .any(|g| groups_named.iter().any(|p| pattern_list(g, p, false)))
                        && seen.insert(u.clone())
                    {
                        user_points.push((u.clone(), gs.clone(), true));
                    }
                }
            }
            None => {
                // Group database unseen: a stand-in member of each group named.
                for g in &groups_named {
                    let g = instance_of(g);
                    user_points.push((format!("(a member of {g})"), vec![g], true));
                }
            }
        }
    }
    let with_any = |set: BTreeSet<String>, any: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = any.iter().map(std::string::ToString::to_string).collect();
        v.extend(set.into_iter().filter(|s| !any.contains(&s.as_str())));
        v
    };
    let hosts = with_any(hosts, &[ANY_HOST]);
    let addrs = with_any(addrs, &[ANY_ADDR4, ANY_ADDR6]);
    let laddrs = with_any(laddrs, &[ANY_LADDR]);
    let lports = with_any(lports, &[ANY_LPORT]);
    let rdomains = with_any(rdomains, &[ANY_RDOMAIN]);
    let total = [
        hosts.len(),
        addrs.len(),
        laddrs.len(),
        lports.len(),
        rdomains.len(),
    ]
    .iter()
    .fold(user_points.len(), |acc, n| acc.saturating_mul(*n));
    // Each connection is matched against every block once: bound the work, not only the count.
    if total > MAX_POINTS || total.saturating_mul(inst.match_blocks.len().max(1)) > MAX_WORK {
        return None;
    }
    let mut out = Vec::with_capacity(total);
    // Address varies fastest after user so the stand-in connections come first.
    for h in &hosts {
        for la in &laddrs {
            for lp in &lports {
                for rd in &rdomains {
                    for (u, g, k) in &user_points {
                        for a in &addrs {
                            out.push(Conn {
                                user: u.clone(),
                                groups: g.clone(),
                                groups_known: *k,
                                host: h.clone(),
                                addr: a.clone(),
                                laddr: la.clone(),
                                lport: lp.clone(),
                                rdomain: rd.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    Some(out)
}

impl Conn {
    /// Whether this stands for "anyone from anywhere" rather than someone the Match blocks
    /// single out.
    pub fn is_anyone(&self) -> bool {
        (self.user == "root" || self.user == ANY_USER)
            && self.host == ANY_HOST
            && (self.addr == ANY_ADDR4 || self.addr == ANY_ADDR6)
            && self.laddr == ANY_LADDR
            && self.lport == ANY_LPORT
            && self.rdomain == ANY_RDOMAIN
    }

    /// `vendor from 10.20.0.0` for messages (stand-in values left out).
    pub fn describe(&self) -> String {
        let mut s = if self.user == ANY_USER {
            "any user".to_string()
        } else {
            self.user.clone()
        };
        if self.addr != ANY_ADDR4 && self.addr != ANY_ADDR6 {
            s.push_str(&format!(" from {}", self.addr));
        }
        if self.host != ANY_HOST {
            s.push_str(&format!(" from host {}", self.host));
        }
        if self.laddr != ANY_LADDR {
            s.push_str(&format!(" to {}", self.laddr));
        }
        if self.lport != ANY_LPORT {
            s.push_str(&format!(" on port {}", self.lport));
        }
        if self.rdomain != ANY_RDOMAIN {
            s.push_str(&format!(" in rdomain {}", self.rdomain));
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Collection.

/// Expands a path whose components may hold `*`/`?` (glob(3) as sshd's Include uses it) into
/// existing paths, sorted.
/// A directory on the way that exists and cannot be listed is an error, not "no match".
pub fn expand_glob_any(host: &dyn Host, pattern: &str) -> Result<Vec<String>, HostError> {
    if !pattern.contains(['*', '?']) {
        return Ok(vec![pattern.to_string()]);
    }
    let mut current = vec![String::new()];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for base in &current {
            let dir = if base.is_empty() {
                "/".to_string()
            } else {
                base.clone()
            };
            if part.contains(['*', '?']) {
                for n in read_dir_optional(host, &dir)?.unwrap_or_default() {
                    if (part.starts_with('.') || !n.starts_with('.')) && super::wildcard(part, &n) {
                        let p = format!("{base}/{n}");
                        if last
                            || metadata_optional(host, &p)?
                                .is_some_and(|m| m.kind != FileKind::File)
                        {
                            next.push(p);
                        }
                    }
                }
            } else {
                next.push(format!("{base}/{part}"));
            }
        }
        current = next;
    }
    current.sort();
    Ok(current)
}

/// `KEY=value` lines of an EnvironmentFile (quotes removed), as systemd reads them.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            out.insert(k.trim().to_string(), v.to_string());
        }
    }
    out
}

/// What an sshd command line changes: `-f FILE` and `-o Keyword=value` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshdArgs {
    pub config: Option<String>,
    pub options: Vec<(String, Vec<String>)>,
}

/// Reads sshd's own options from its arguments (after the program name).
pub fn parse_sshd_args(args: &[String]) -> SshdArgs {
    let mut out = SshdArgs::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let Some(flags) = a.strip_prefix('-') else {
            continue;
        };
        // Flags may be bundled (`-Do X=Y`); the first flag taking a value eats the rest.
        for (pos, c) in flags.char_indices() {
            if "cCEfgHhkoOpu".contains(c) {
                let rest = &flags[pos + 1..];
                let value = if rest.is_empty() {
                    i += 1;
                    args.get(i - 1).cloned()
                } else {
                    Some(rest.to_string())
                };
                match (c, value) {
                    ('f', Some(v)) => out.config = Some(v),
                    ('o', Some(v)) => {
                        if let Some((k, a)) = split_line(&v) {
                            out.options.push((fold_alias(k), a));
                        }
                    }
                    _ => {}
                }
                break;
            }
        }
    }
    out
}

/// Splits an ExecStart command line into words, the way systemd does (quotes, `$VAR` and
/// `${VAR}` from the environment split into words).
pub fn split_exec(line: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for w in split_unit_words(line) {
        if let Some(name) = w
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| w.strip_prefix('$'))
            .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            if let Some(v) = env.get(name) {
                out.extend(v.split_whitespace().map(str::to_string));
            }
            continue;
        }
        out.push(w);
    }
    out
}

fn split_unit_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\\', _) => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            ('"' | '\'', None) => {
                quote = Some(c);
                in_word = true;
            }
            (c, Some(q)) if c == q => quote = None,
            (c, None) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (c, _) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// A unit file's ExecStart command (the last one; an empty assignment resets) and
/// EnvironmentFile names, with drop-ins applied in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitExec {
    pub exec_start: Option<(String, String)>,
    pub env_files: Vec<String>,
    pub environment: BTreeMap<String, String>,
}

pub fn parse_unit_exec(path: &str, text: &str, into: &mut UnitExec) {
    let mut section = String::new();
    let mut pending = String::new();
    let mut start_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_empty() {
            start_line = i + 1;
        }
        if let Some(rest) = line.strip_suffix('\\') {
            pending.push_str(rest);
            pending.push(' ');
            continue;
        }
        // Borrowed unless continued: a copy of every line of 100,000 unit files was most of
        // the time spent finding the units that start sshd.
        let full: std::borrow::Cow<str> = if pending.is_empty() {
            line.into()
        } else {
            let mut p = std::mem::take(&mut pending);
            p.push_str(line);
            p.into()
        };
        let full = full.trim();
        if full.is_empty() || full.starts_with('#') || full.starts_with(';') {
            continue;
        }
        if full.starts_with('[') {
            section = full.to_string();
            continue;
        }
        if section != "[Service]" {
            continue;
        }
        let Some((k, v)) = full.split_once('=') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "ExecStart" => {
                into.exec_start = if v.is_empty() {
                    None
                } else {
                    Some((v.to_string(), origin(path, start_line)))
                }
            }
            "EnvironmentFile" => {
                if v.is_empty() {
                    into.env_files.clear();
                } else {
                    into.env_files.push(v.to_string());
                }
            }
            "Environment" => {
                for w in split_unit_words(v) {
                    if let Some((k, v)) = w.split_once('=') {
                        into.environment.insert(k.to_string(), v.to_string());
                    }
                }
            }
            _ => {}
        }
    }
}

/// The program and arguments of an ExecStart value (prefixes `-@:+!` dropped).
fn exec_words(value: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let v = value.trim_start_matches(['-', '@', ':', '+', '!']);
    split_exec(v, env)
}

fn is_sshd(program: &str) -> bool {
    program.rsplit('/').next() == Some("sshd")
}

fn note_unit(unknown: &mut Unseen<SshGap>, why: &str) {
    unknown
        .entry(SshGap::Units)
        .and_modify(|w| {
            w.push_str("; ");
            w.push_str(why);
        })
        .or_insert_with(|| why.to_string());
}

/// A service unit that may start sshd: its `ExecStart` runs sshd, or takes its program from
/// a variable an environment file may set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshdUnit {
    pub name: String,
    /// The unit file and its drop-ins: read again through the recorder when the unit does
    /// start sshd, as the evidence its verdicts rest on.
    pub files: Vec<String>,
    pub exec: UnitExec,
    /// Linked into a `.wants`/`.requires` directory (started at boot).
    pub enabled: bool,
}

/// What the scan of the unit directories tells the ssh collector. Every unit file is read
/// once, by that scan (the services area's), and only the few that may start sshd are kept:
/// with 100,000 units, reading them all a second time here was a quarter of a scan's work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshdUnits {
    /// In name order.
    pub units: Vec<SshdUnit>,
    /// Why some unit files or directories could not be read, or the scan failed: any of them
    /// could start sshd with options that override the configuration file.
    pub unseen: Option<String>,
}

impl SshdUnits {
    /// The service units (not templates) whose file, with its drop-ins as the manager
    /// applies them, may start sshd; `unknown` is what the scan could not read.
    pub fn from_tree(tree: &UnitTree, unknown: &Unseen<ServicesGap>) -> SshdUnits {
        // Each unit is parsed without naming its files, and again with them only when it
        // may start sshd: 100,000 paths and origins made for nothing were most of this work.
        let exec_of = |l: &systemd::Loaded, path: Option<&str>| {
            let mut exec = UnitExec::default();
            parse_unit_exec(path.unwrap_or_default(), l.text, &mut exec);
            for d in &l.dropins {
                if let Some(text) = &d.text {
                    let at = if path.is_some() { d.path.as_str() } else { "" };
                    parse_unit_exec(at, text, &mut exec);
                }
            }
            exec
        };
        let units = systemd::loaded_units(tree)
            .filter(|l| l.name().ends_with(".service") && !l.name().contains('@'))
            .filter_map(|l| {
                let probe = exec_of(&l, None);
                let (line, _) = probe.exec_start.as_ref()?;
                // Without a `$`, the environment files cannot change the program.
                let may_be_sshd = line.contains('$')
                    || exec_words(line, &probe.environment)
                        .first()
                        .is_some_and(|p| is_sshd(p));
                if !may_be_sshd {
                    return None;
                }
                let path = l.path();
                let mut files = vec![path.clone()];
                files.extend(
                    l.dropins
                        .iter()
                        .filter(|d| d.text.is_some())
                        .map(|d| d.path.clone()),
                );
                Some(SshdUnit {
                    name: l.name().to_string(),
                    enabled: tree.links.iter().any(|k| k.name == l.name()),
                    exec: exec_of(&l, Some(&path)),
                    files,
                })
            })
            .collect();
        let reasons: Vec<&str> = unknown.values().map(String::as_str).collect();
        SshdUnits {
            units,
            unseen: (!reasons.is_empty()).then(|| reasons.join("; ")),
        }
    }

    /// The scan of the unit directories failed: no unit is known.
    pub fn failed(why: &str) -> SshdUnits {
        SshdUnits {
            units: Vec::new(),
            unseen: Some(format!(
                "the unit directories could not be inspected: {why}"
            )),
        }
    }

    /// Reads the unit directories through `host` (not recorded: services records them).
    pub fn scan(host: &dyn Host) -> SshdUnits {
        let mut unknown = Unseen::new();
        let tree = systemd::scan(host.unrecorded().unwrap_or(host), &mut unknown);
        SshdUnits::from_tree(&tree, &unknown)
    }
}

/// The daemons to judge: (name, command-line arguments, where they came from).
fn daemons(
    host: &dyn Host,
    units: &SshdUnits,
    unknown: &mut Unseen<SshGap>,
) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    if let Some(why) = &units.unseen {
        note_unit(unknown, why);
    }
    let mut main_found = false;
    for unit in &units.units {
        let (name, ue) = (&unit.name, &unit.exec);
        let Some((exec, exec_origin)) = &ue.exec_start else {
            continue;
        };
        let mut env = ue.environment.clone();
        let mut sources = vec![exec_origin.clone()];
        let mut env_unread = Vec::new();
        for ef in &ue.env_files {
            let (optional, f) = match ef.strip_prefix('-') {
                Some(f) => (true, f),
                None => (false, ef.as_str()),
            };
            match host.read(f) {
                Ok(t) => {
                    env.extend(parse_env_file(&t.text));
                    sources.push(f.to_string());
                }
                Err(e) if optional && e.is_not_found() => {}
                Err(e) => {
                    if !e.is_not_found() {
                        env_unread.push(e.clone());
                    }
                    unknown.insert(SshGap::Env(f.to_string()), e.to_string());
                }
            }
        }
        let words = exec_words(exec, &env);
        let Some(program) = words.first() else {
            continue;
        };
        if !is_sshd(program) {
            continue;
        }
        // The same files again, recorded: what the verdicts rest on. (What could not be read
        // was noted by the scan.)
        for f in &unit.files {
            let _ = host.read(f);
        }
        // Options of sshd's own unit not seen: they could override the configuration file.
        for e in &env_unread {
            note_unit(unknown, &e.to_string());
        }
        let main = MAIN_UNITS.contains(&name.as_str());
        if main {
            if main_found {
                continue; // both ssh.service and sshd.service start sshd: one main daemon
            }
            main_found = true;
        } else if !unit.enabled {
            continue;
        }
        out.push((name.clone(), words[1..].to_vec(), sources));
    }
    if !main_found {
        // No unit file: the init script or a plain `sshd` reads /etc/default/ssh's SSHD_OPTS.
        let mut args = Vec::new();
        let mut sources = Vec::new();
        match read_optional(host, DEFAULT_SSH) {
            Ok(Some(f)) => {
                if let Some(opts) = parse_env_file(&f.text).get("SSHD_OPTS") {
                    args = split_unit_words(opts);
                    sources.push(DEFAULT_SSH.to_string());
                }
            }
            Ok(None) => {}
            Err(e) => note_unit(unknown, &e.to_string()),
        }
        out.insert(0, ("sshd".to_string(), args, sources));
    } else if let Some(pos) = out.iter().position(|d| MAIN_UNITS.contains(&d.0.as_str())) {
        let main = out.remove(pos);
        out.insert(0, main);
    }
    out
}

fn read_instance(
    host: &dyn Host,
    name: &str,
    args: &[String],
    sources: Vec<String>,
) -> SshInstance {
    let parsed = parse_sshd_args(args);
    let config = parsed
        .config
        .clone()
        .unwrap_or_else(|| SSHD_CONFIG.to_string());
    let mut inst = SshInstance {
        name: name.to_string(),
        config: config.clone(),
        command_line: sources,
        args: args.to_vec(),
        ..SshInstance::default()
    };
    let cmd_origin = format!(
        "command line of {name}{}",
        if inst.command_line.is_empty() {
            String::new()
        } else {
            format!(" ({})", inst.command_line.join(", "))
        }
    );
    let mut settings = BTreeMap::new();
    for (k, a) in &parsed.options {
        record(&mut settings, k, a, &cmd_origin);
    }
    let main = match host.read(&config) {
        Ok(f) => f,
        Err(e) => {
            inst.unreadable = Some(e.to_string());
            inst.settings = settings;
            return inst;
        }
    };
    let mut read = |pattern: &str| -> Vec<(String, Result<String, String>)> {
        match expand_glob_any(host, pattern) {
            Ok(paths) => paths
                .into_iter()
                .filter_map(|p| match host.read(&p) {
                    Ok(f) => Some((p, Ok(f.text))),
                    Err(e) if e.is_not_found() => None,
                    Err(e) => Some((p, Err(e.to_string()))),
                })
                .collect(),
            Err(e) => vec![(pattern.to_string(), Err(e.to_string()))],
        }
    };
    let cfg = expand_includes(&config, &main.text, &mut read);
    let (global, blocks) = effective_all(&cfg);
    for (k, s) in global {
        if LISTS.contains(&k.as_str()) {
            // The command line's list lines come first; the file's are added after them.
            let args: Vec<String> = vec![s.value.clone()];
            record(&mut settings, &k, &args, &s.origin);
        } else {
            settings.entry(k).or_insert(s);
        }
    }
    let probe = Conn {
        user: ANY_USER.into(),
        groups: Vec::new(),
        groups_known: true,
        host: ANY_HOST.into(),
        addr: ANY_ADDR4.into(),
        laddr: ANY_LADDR.into(),
        lport: ANY_LPORT.into(),
        rdomain: ANY_RDOMAIN.into(),
    };
    for b in &blocks {
        if let Err(e) = criteria_match(&b.criteria, &probe) {
            inst.problems.push(format!(
                "{}: Match {}: {e} (sshd refuses to start with this configuration)",
                b.origin, b.criteria
            ));
        }
    }
    inst.problems.extend(cfg.problems);
    inst.config_files = cfg.files;
    inst.settings = settings;
    inst.match_blocks = blocks;
    inst
}

/// Account name → group names (primary and supplementary) from /etc/passwd and /etc/group,
/// for the accounts `keep` accepts (given the name and its groups).
///
/// Only the accounts a configuration singles out are kept: a map of every account built
/// beside the accounts area's own list was 120 MB of a 500,000-account scan's peak.
fn read_user_groups(
    host: &dyn Host,
    keep: impl Fn(&str, &[&str]) -> bool,
) -> Option<BTreeMap<String, Vec<String>>> {
    let passwd = host.read("/etc/passwd").ok()?.text;
    let group = host.read("/etc/group").ok()?.text;
    // Borrowed from the texts; only the kept accounts' names are copied.
    let mut gid_name: BTreeMap<&str, &str> = BTreeMap::new();
    let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in group.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 3 || f[0].is_empty() {
            continue;
        }
        gid_name.entry(f[2]).or_insert(f[0]);
        for m in f.get(3).unwrap_or(&"").split(',').filter(|m| !m.is_empty()) {
            members.entry(m).or_default().push(f[0]);
        }
    }
    // (name, primary GID) of a passwd line with at least four fields, without a vector per
    // line: this runs over every account.
    fn fields(line: &str) -> Option<(&str, &str)> {
        let mut f = line.splitn(5, ':');
        let name = f.next().filter(|n| !n.is_empty())?;
        let (_, _, gid) = (f.next()?, f.next()?, f.next()?);
        Some((name, gid))
    }
    fn groups_of<'t>(
        gid_name: &BTreeMap<&'t str, &'t str>,
        members: &BTreeMap<&'t str, Vec<&'t str>>,
        name: &str,
        gid: &str,
        gs: &mut Vec<&'t str>,
    ) {
        gs.clear();
        if let Some(g) = gid_name.get(gid) {
            gs.push(g);
        }
        for g in members.get(name).into_iter().flatten() {
            if !gs.contains(g) {
                gs.push(g);
            }
        }
    }
    // Two passes, so that no set of every name is built: the accounts some entry of which
    // `keep` accepts, then, for those few, the first entry of each (the one getpwnam(3)
    // returns) decides.
    let mut gs: Vec<&str> = Vec::new();
    let mut candidates: BTreeSet<&str> = BTreeSet::new();
    for (name, gid) in passwd.lines().filter_map(fields) {
        groups_of(&gid_name, &members, name, gid, &mut gs);
        if keep(name, &gs) {
            candidates.insert(name);
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut decided: BTreeSet<&str> = BTreeSet::new();
    for (name, gid) in passwd.lines().filter_map(fields) {
        if !candidates.contains(name) || !decided.insert(name) {
            continue;
        }
        groups_of(&gid_name, &members, name, gid, &mut gs);
        if keep(name, &gs) {
            out.insert(
                name.to_string(),
                gs.iter().map(|g| (*g).to_string()).collect(),
            );
        }
    }
    Some(out)
}

/// The accounts any instance's configuration singles out: root, the users it names, and the
/// members of the groups it names ([`connections`] asks about no one else by name).
fn singled_out(instances: &[SshInstance]) -> impl Fn(&str, &[&str]) -> bool {
    let mut users: BTreeSet<String> = BTreeSet::from(["root".to_string()]);
    let mut groups: BTreeSet<String> = BTreeSet::new();
    for inst in instances {
        let n = named(inst);
        users.extend(n.users);
        groups.extend(n.groups);
    }
    move |user: &str, gs: &[&str]| {
        users.contains(user)
            || gs
                .iter()
                .any(|g| groups.iter().any(|p| pattern_list(g, p, false)))
    }
}

pub fn collect(host: &dyn Host) -> SshFacts {
    collect_with(host, &SshdUnits::scan(host))
}

/// As [`collect`], with the units that may start sshd already found by the unit scan.
pub fn collect_with(host: &dyn Host, units: &SshdUnits) -> SshFacts {
    let mut facts = SshFacts::default();
    for bin in ["/usr/sbin/sshd", "/usr/bin/sshd"] {
        match metadata_optional(host, bin) {
            Ok(Some(_)) => facts.sshd_binary = true,
            Ok(None) => {}
            Err(e) => {
                facts.unknown.insert(SshGap::Binary, e.to_string());
            }
        }
    }
    for (name, args, sources) in daemons(host, units, &mut facts.unknown) {
        facts
            .instances
            .push(read_instance(host, &name, &args, sources));
    }
    facts.user_groups = read_user_groups(host, singled_out(&facts.instances));
    // The main instance fills the summary fields the rest of the program reads.
    let Some(main) = facts.instances.first().cloned() else {
        return facts;
    };
    match host.metadata(&main.config) {
        Ok(_) => facts.config_present = true,
        Err(e) => facts.config_present = !e.is_not_found(),
    }
    if let Some(why) = &main.unreadable {
        facts.unknown.insert(SshGap::Config, why.clone());
        return facts;
    }
    facts.config_files = main.config_files.clone();
    let problems: Vec<String> = facts
        .instances
        .iter()
        .flat_map(|i| i.problems.iter().cloned())
        .collect();
    if !problems.is_empty() {
        facts
            .unknown
            .insert(SshGap::ConfigIncludes, problems.join("; "));
    }
    facts.settings = main.settings.clone();
    facts.match_blocks = main
        .match_blocks
        .iter()
        .filter(|b| !b.settings.is_empty())
        .cloned()
        .collect();
    facts.source = "files".into();
    // The effective global configuration from sshd itself, when we may ask it (needs root to
    // read the host keys; never on an offline tree).
    if is_live(host) && host.privileged() && facts.sshd_binary {
        // Only which path to run: sshd -T reports its own failure if that one cannot run.
        let program = if host.metadata("/usr/sbin/sshd").is_ok() {
            "/usr/sbin/sshd"
        } else {
            "/usr/bin/sshd"
        };
        let mut argv: Vec<String> = vec![program.to_string(), "-T".to_string()];
        // The daemon's own -f and -o options, so sshd judges what it really runs with.
        let mut i = 0;
        while i < main.args.len() {
            let a = &main.args[i];
            if (a == "-f" || a == "-o") && i + 1 < main.args.len() {
                argv.push(a.clone());
                argv.push(main.args[i + 1].clone());
                i += 2;
                continue;
            }
            if a.starts_with("-f") || a.starts_with("-o") {
                argv.push(a.clone());
            }
            i += 1;
        }
        let argv_ref: Vec<&str> = argv.iter().map(String::as_str).collect();
        let run = host.run(&argv_ref, SSHD_T_TIMEOUT);
        if run.unusable_reason().is_none() && run.exited_with(&[0]) {
            let t = parse_sshd_t(&run.stdout);
            if t.contains_key("permitrootlogin") && t.contains_key("passwordauthentication") {
                facts.settings = t.clone();
                facts.source = "sshd -T".into();
                if let Some(first) = facts.instances.first_mut() {
                    first.settings = t;
                }
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/debian12_sshd_config"
    ));
    const HARDENED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/hardened_sshd_config"
    ));
    const DROPIN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/vendor_match.conf"
    ));
    const SSHD_T: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/sshd_T_debian12.stdout"
    ));

    fn no_includes(_: &str) -> Vec<(String, Result<String, String>)> {
        Vec::new()
    }

    #[test]
    fn split_line_forms() {
        assert_eq!(
            split_line("PermitRootLogin no"),
            Some(("permitrootlogin".into(), vec!["no".into()]))
        );
        assert_eq!(
            split_line("  PasswordAuthentication=yes"),
            Some(("passwordauthentication".into(), vec!["yes".into()]))
        );
        assert_eq!(
            split_line("Key = v # comment"),
            Some(("key".into(), vec!["v".into()]))
        );
        assert_eq!(
            split_line("Banner \"/etc/my banner\""),
            Some(("banner".into(), vec!["/etc/my banner".into()]))
        );
        assert_eq!(split_line("# PermitRootLogin yes"), None);
        assert_eq!(split_line("   "), None);
        assert_eq!(split_line("UsePAM"), Some(("usepam".into(), vec![])));
    }

    #[test]
    fn debian_default_sets_nothing_about_root_or_passwords() {
        let cfg = expand_includes(SSHD_CONFIG, DEBIAN, &mut no_includes);
        let (g, m) = effective(&cfg);
        assert!(m.is_empty());
        assert!(!g.contains_key("permitrootlogin"));
        assert!(!g.contains_key("passwordauthentication"));
        assert_eq!(g["kbdinteractiveauthentication"].value, "no");
        assert_eq!(g["usepam"].value, "yes");
        assert_eq!(g["usepam"].origin, "/etc/ssh/sshd_config:85");
    }

    #[test]
    fn first_value_wins_and_includes_come_first() {
        let mut read = |p: &str| {
            assert_eq!(p, "/etc/ssh/sshd_config.d/*.conf");
            vec![(
                "/etc/ssh/sshd_config.d/50-vendor.conf".to_string(),
                Ok(DROPIN.to_string()),
            )]
        };
        let cfg = expand_includes(SSHD_CONFIG, HARDENED, &mut read);
        assert_eq!(cfg.files.len(), 2);
        let (g, m) = effective(&cfg);
        // The drop-in is included at the top, so its global value wins over the main file's.
        assert_eq!(g["permitrootlogin"].value, "prohibit-password");
        assert_eq!(
            g["permitrootlogin"].origin,
            "/etc/ssh/sshd_config.d/50-vendor.conf:3"
        );
        assert_eq!(g["passwordauthentication"].value, "no");
        // The Match block in the drop-in ends with that file.
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].criteria, "User vendorsvc Address 10.20.0.0/16");
        assert_eq!(m[0].settings["passwordauthentication"].value, "yes");
        assert_eq!(m[1].criteria, "Group sftponly");
        assert!(!m[1].settings.contains_key("permitrootlogin"));
    }

    #[test]
    fn match_all_is_a_block_and_aliases_fold() {
        // sshd -T: `Match all` applies to every connection until the next Match; it is not a
        // return to the global section, so its values override the global ones.
        let text = "PasswordAuthentication no\nMatch User a\nPasswordAuthentication yes\nMatch all\nPasswordAuthentication no\nPermitRootLogin yes\nChallengeResponseAuthentication yes\n";
        let (g, m) = effective_all(&expand_includes("/x", text, &mut no_includes));
        assert_eq!(g["passwordauthentication"].value, "no");
        assert!(!g.contains_key("permitrootlogin"));
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].criteria, "all");
        assert_eq!(m[1].settings["kbdinteractiveauthentication"].value, "yes");
        let inst = SshInstance {
            settings: g,
            match_blocks: m,
            ..SshInstance::default()
        };
        let mut c = conn("a", "192.0.2.1");
        // The first matching block wins: user a keeps its password.
        assert_eq!(
            resolve(&inst, "passwordauthentication", &c).unwrap().value,
            "yes"
        );
        assert_eq!(
            resolve(&inst, "passwordauthentication", &c).unwrap().block,
            Some(0)
        );
        c.user = "root".into();
        let r = resolve(&inst, "permitrootlogin", &c).unwrap();
        assert_eq!((r.value.as_str(), r.block), ("yes", Some(1)));
        assert_eq!(
            resolve(&inst, "usepam", &c).unwrap().origin,
            "OpenSSH default"
        );
    }

    fn conn(user: &str, addr: &str) -> Conn {
        Conn {
            user: user.into(),
            groups: Vec::new(),
            groups_known: true,
            host: ANY_HOST.into(),
            addr: addr.into(),
            laddr: ANY_LADDR.into(),
            lport: ANY_LPORT.into(),
            rdomain: ANY_RDOMAIN.into(),
        }
    }

    #[test]
    fn match_criteria_like_sshd() {
        let mut c = conn("vendor", "10.20.3.4");
        c.groups = vec!["staff".into()];
        assert!(criteria_match("User vendor Address 10.20.0.0/16", &c).unwrap());
        assert!(!criteria_match("User vendor Address 10.21.0.0/16", &c).unwrap());
        assert!(criteria_match("User *,!root", &c).unwrap());
        assert!(!criteria_match("User !vendor,*", &c).unwrap());
        assert!(criteria_match("Group staff", &c).unwrap());
        assert!(!criteria_match("Group wheel", &c).unwrap());
        assert!(criteria_match("Address 10.20.*", &c).unwrap());
        assert!(!criteria_match("Address !10.20.3.4,10.0.0.0/8", &c).unwrap());
        assert!(criteria_match("Host unnamed.INVALID", &c).unwrap());
        assert!(criteria_match("LocalPort 22", &c).unwrap());
        assert!(criteria_match("ALL", &c).unwrap());
        assert!(criteria_match("all User x", &c).is_err());
        assert!(criteria_match("Address 10.20.0.1/16", &c).is_err());
        assert!(criteria_match("Bogus x", &c).is_err());
        assert!(criteria_match("User", &c).is_err());
        let v6 = conn("x", "2001:db8::77");
        assert!(criteria_match("Address 2001:db8::/32", &v6).unwrap());
        assert!(!criteria_match("Address 0.0.0.0/0", &v6).unwrap());
    }

    #[test]
    fn allow_and_deny_users() {
        let mut inst = SshInstance::default();
        record(
            &mut inst.settings,
            "allowusers",
            &["alice".into(), "bob@10.0.0.0/8".into()],
            "/x:1",
        );
        record(&mut inst.settings, "allowusers", &["carol".into()], "/x:2");
        let mut c = conn("bob", "10.1.1.1");
        assert!(user_admitted(&inst, &c).unwrap());
        c.addr = "192.0.2.1".into();
        assert!(!user_admitted(&inst, &c).unwrap());
        c.user = "carol".into();
        assert!(user_admitted(&inst, &c).unwrap());
        c.user = "root".into();
        assert!(!user_admitted(&inst, &c).unwrap());
        let mut inst = SshInstance::default();
        record(&mut inst.settings, "denyusers", &["ro*".into()], "/x:1");
        assert!(!user_admitted(&inst, &c).unwrap());
        c.user = "alice".into();
        assert!(user_admitted(&inst, &c).unwrap());
    }

    #[test]
    fn only_the_accounts_a_configuration_singles_out_keep_their_groups() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let mut passwd = String::from("root:x:0:0::/root:/bin/sh\nvendor:x:900:900::/:/bin/sh\n");
        passwd.push_str("nurse:x:1001:1001::/:/bin/sh\nclerk:x:1002:100::/:/bin/sh\n");
        passwd.push_str("nurse:x:1003:1003::/:/bin/sh\n");
        std::fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\nusers:x:100:\nstaff:x:50:nurse\nvendor:x:900:\n",
        )
        .unwrap();
        let text = "Match User vendor\n PasswordAuthentication yes\nMatch Group sta*\n PermitRootLogin yes\n";
        let (g, m) = effective_all(&expand_includes("/x", text, &mut no_includes));
        let inst = SshInstance {
            settings: g,
            match_blocks: m,
            ..SshInstance::default()
        };
        let host = crate::host::Root::new(dir.path());
        let map = read_user_groups(&host, singled_out(std::slice::from_ref(&inst))).unwrap();
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        // clerk is neither named nor in a group named; nurse's first entry counts.
        assert_eq!(names, ["nurse", "root", "vendor"]);
        assert_eq!(map["nurse"], ["staff"]);
        assert_eq!(map["vendor"], ["vendor"]);
        // The connections asked about are those a full map gives.
        let full = read_user_groups(&host, |_, _| true).unwrap();
        assert_eq!(full.len(), 4);
        assert_eq!(
            connections(&inst, Some(&map)),
            connections(&inst, Some(&full))
        );
    }

    #[test]
    fn connections_cover_named_users_and_addresses() {
        let text = "Match User vendor Address 10.20.0.0/16\n PasswordAuthentication yes\nMatch Group staff\n PermitRootLogin yes\n";
        let (g, m) = effective_all(&expand_includes("/x", text, &mut no_includes));
        let inst = SshInstance {
            settings: g,
            match_blocks: m,
            ..SshInstance::default()
        };
        let mut groups = BTreeMap::new();
        groups.insert("nurse".to_string(), vec!["staff".to_string()]);
        let cs = connections(&inst, Some(&groups)).unwrap();
        assert!(cs[0].is_anyone());
        assert!(
            cs.iter()
                .any(|c| c.user == "vendor" && c.addr == "10.20.0.0")
        );
        assert!(
            cs.iter()
                .any(|c| c.user == "nurse" && c.groups == vec!["staff".to_string()])
        );
        assert!(cs.iter().any(|c| c.user == ANY_USER && c.addr == ANY_ADDR6));
        let cs = connections(&inst, None).unwrap();
        assert!(cs.iter().any(|c| c.user == "(a member of staff)"));
    }

    #[test]
    fn command_line_and_units() {
        let a = parse_sshd_args(&[
            "-D".into(),
            "-f".into(),
            "/etc/ssh/other".into(),
            "-oPasswordAuthentication=yes".into(),
            "-o".into(),
            "PermitRootLogin yes".into(),
        ]);
        assert_eq!(a.config.as_deref(), Some("/etc/ssh/other"));
        assert_eq!(
            a.options,
            vec![
                (
                    "passwordauthentication".to_string(),
                    vec!["yes".to_string()]
                ),
                ("permitrootlogin".to_string(), vec!["yes".to_string()])
            ]
        );
        let env = parse_env_file("# x\nSSHD_OPTS=\"-o PasswordAuthentication=yes\"\n");
        assert_eq!(
            split_exec("/usr/sbin/sshd -D $SSHD_OPTS", &env),
            vec!["/usr/sbin/sshd", "-D", "-o", "PasswordAuthentication=yes"]
        );
        let mut ue = UnitExec::default();
        parse_unit_exec(
            "/u",
            "[Unit]\nExecStart=/bin/false\n[Service]\nEnvironmentFile=-/etc/default/ssh\nExecStart=/usr/sbin/sshd -D \\\n  -f /etc/ssh/b\n",
            &mut ue,
        );
        assert_eq!(
            ue.exec_start,
            Some((
                "/usr/sbin/sshd -D  -f /etc/ssh/b".to_string(),
                "/u:5".to_string()
            ))
        );
        parse_unit_exec(
            "/d",
            "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -p 2222\n",
            &mut ue,
        );
        assert_eq!(ue.exec_start.map(|e| e.1), Some("/d:3".to_string()));
        assert_eq!(ue.env_files, vec!["-/etc/default/ssh"]);
    }

    #[test]
    fn include_loops_stop() {
        let mut read = |p: &str| vec![(p.to_string(), Ok("Include /etc/ssh/loop\n".to_string()))];
        let cfg = expand_includes("/etc/ssh/loop", "Include loop\n", &mut read);
        assert!(!cfg.problems.is_empty());
        let mut read_err = |p: &str| vec![(p.to_string(), Err("needs root".to_string()))];
        let cfg = expand_includes("/x", "Include a.conf\n", &mut read_err);
        assert_eq!(cfg.problems, vec!["/x:1: needs root".to_string()]);
    }

    #[test]
    fn sshd_t_output() {
        let t = parse_sshd_t(SSHD_T);
        assert_eq!(t["permitrootlogin"].value, "without-password");
        assert_eq!(t["passwordauthentication"].value, "yes");
        assert_eq!(t["kbdinteractiveauthentication"].value, "no");
        assert_eq!(t["usepam"].value, "yes");
    }

    #[test]
    fn hostile_input() {
        assert!(parse_sshd_config("/x", "").is_empty());
        let weird = "PermitRootLogin \u{FFFD}yes extra fields\nPasswordAuth\n\"unterminated\n#\n";
        let d = parse_sshd_config("/x", weird);
        assert_eq!(d[0].args, vec!["\u{FFFD}yes", "extra", "fields"]);
        let big = "X11Forwarding no\n".repeat(10_000) + "PermitRootLogin yes\n";
        let (g, _) = effective(&expand_includes("/x", &big, &mut no_includes));
        assert_eq!(g["permitrootlogin"].origin, "/x:10001");
    }
}
