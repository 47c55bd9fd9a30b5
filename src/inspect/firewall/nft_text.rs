//! The nft text syntax of /etc/nftables.conf (offline images), read far enough for tables,
//! chains, hooks, policies and rule summaries: `table … { chain … { … } }` blocks, the
//! `add table/chain/rule` command forms, `define` variables and `include` lines.

use super::{Chain, PortRange, Reach, Rule, Verdict, parse_port_range, ports_reach};
use std::collections::{BTreeMap, BTreeSet};

const FAMILIES: [&str; 6] = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    /// `;` or a newline.
    Sep,
    Comma,
}

impl Tok {
    fn text(&self) -> &str {
        match self {
            Tok::Word(w) | Tok::Str(w) => w,
            Tok::Open => "{",
            Tok::Close => "}",
            Tok::Sep => ";",
            Tok::Comma => ",",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NftConfig {
    pub chains: Vec<Chain>,
    /// What makes `nft -f` refuse the file (then nothing of it is loaded).
    pub errors: Vec<String>,
    /// Tables left out because they are dormant.
    pub dormant: Vec<String>,
    /// `include` targets, as written (may hold a glob in the last component).
    pub includes: Vec<String>,
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                flush(&mut word, &mut out);
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push(Tok::Sep);
                        break;
                    }
                }
            }
            '"' => {
                flush(&mut word, &mut out);
                let mut s = String::new();
                for n in chars.by_ref() {
                    if n == '"' || n == '\n' {
                        break;
                    }
                    s.push(n);
                }
                out.push(Tok::Str(s));
            }
            '\\' if chars.peek() == Some(&'\n') => {
                chars.next();
            }
            '{' | '}' | ';' | '\n' | ',' => {
                flush(&mut word, &mut out);
                out.push(match c {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ',' => Tok::Comma,
                    _ => Tok::Sep,
                });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Splits a token run into statements at separators outside braces. A statement that opens
/// a block (`table x { … }`) ends with the block's closing brace.
fn statements(toks: &[Tok]) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut depth = 0usize;
    for t in toks {
        match t {
            Tok::Sep if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            Tok::Sep if depth > 0 && !is_block_statement(&cur) => {} // newline inside a set
            Tok::Open => {
                depth += 1;
                cur.push(Tok::Open);
            }
            Tok::Close => {
                if depth == 0 {
                    continue; // stray brace
                }
                depth -= 1;
                cur.push(Tok::Close);
                if depth == 0 && is_block_statement(&cur) {
                    out.push(std::mem::take(&mut cur));
                }
            }
            t => cur.push(t.clone()),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_block_statement(stmt: &[Tok]) -> bool {
    let skip = usize::from(matches!(
        stmt.first().map(Tok::text),
        Some("add" | "create")
    ));
    let rest = &stmt[skip.min(stmt.len())..];
    match rest.first().map_or("", Tok::text) {
        "table" | "chain" | "set" | "map" | "flowtable" => true,
        // Stateful objects (`counter name { … }`, `ct helper name { … }`) are blocks; rules
        // that start with the same words (`counter tcp dport { 22 } accept`) are not.
        "counter" | "quota" | "limit" | "secmark" | "synproxy" => rest.get(2) == Some(&Tok::Open),
        "ct" => {
            matches!(
                rest.get(1).map(Tok::text),
                Some("helper" | "timeout" | "expectation")
            ) && rest.get(3) == Some(&Tok::Open)
        }
        _ => false,
    }
}

/// Splits a block statement into its header and the tokens inside its outermost braces.
fn header_and_body(stmt: &[Tok]) -> (&[Tok], Option<&[Tok]>) {
    let Some(open) = stmt.iter().position(|t| *t == Tok::Open) else {
        return (stmt, None);
    };
    let end = if stmt.last() == Some(&Tok::Close) {
        stmt.len() - 1
    } else {
        stmt.len()
    };
    (&stmt[..open], Some(&stmt[open + 1..end.max(open + 1)]))
}

/// `[family] name` → (family, name); the family defaults to `ip` as in nft.
fn family_and_name(words: &[&str]) -> (String, String, usize) {
    match words {
        [f, n, ..] if FAMILIES.contains(f) => ((*f).to_string(), (*n).to_string(), 2),
        [n, ..] => ("ip".to_string(), (*n).to_string(), 1),
        [] => ("ip".to_string(), String::new(), 0),
    }
}

struct Parser {
    defines: BTreeMap<String, Vec<Tok>>,
    /// `/etc/services` of the image: name → port.
    services: BTreeMap<String, u16>,
    /// Named sets and maps: (family, table, name) → their elements, if any were given.
    sets: BTreeMap<(String, String, String), Option<Vec<Tok>>>,
    dormant: BTreeSet<(String, String)>,
    out: NftConfig,
    source: String,
}

/// Top-level commands nft accepts in a file.
const COMMANDS: [&str; 17] = [
    "table", "chain", "rule", "add", "create", "insert", "replace", "delete", "destroy", "flush",
    "define", "redefine", "undefine", "include", "list", "reset", "rename",
];

pub fn parse(text: &str, source: &str) -> NftConfig {
    parse_with_services(text, source, &BTreeMap::new())
}

/// [`parse`], resolving service names nft would look up in the image's `/etc/services`.
pub fn parse_with_services(
    text: &str,
    source: &str,
    services: &BTreeMap<String, u16>,
) -> NftConfig {
    let mut p = Parser {
        services: services.clone(),
        defines: BTreeMap::new(),
        sets: BTreeMap::new(),
        dormant: BTreeSet::new(),
        out: NftConfig::default(),
        source: source.to_string(),
    };
    let (toks, errors) = tokenize_checked(text);
    p.out.errors = errors;
    for stmt in statements(&toks) {
        p.top(&stmt);
    }
    p.finish();
    p.out
}

/// Tokens, and what nft's scanner would refuse: unbalanced braces, an unterminated string.
fn tokenize_checked(text: &str) -> (Vec<Tok>, Vec<String>) {
    let mut errors = Vec::new();
    let (mut in_string, mut in_comment, mut line) = (false, false, 1);
    for c in text.chars() {
        match c {
            '\n' => {
                if in_string {
                    errors.push(format!("line {line}: unterminated string"));
                    in_string = false;
                }
                in_comment = false;
                line += 1;
            }
            '"' if !in_comment => in_string = !in_string,
            '#' if !in_string => in_comment = true,
            _ => {}
        }
    }
    if in_string {
        errors.push(format!("line {line}: unterminated string"));
    }
    let toks = tokenize(text);
    let mut depth = 0i64;
    for t in &toks {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth < 0 {
                    errors.push("a `}` closes nothing".into());
                    depth = 0;
                }
            }
            _ => {}
        }
    }
    if depth > 0 {
        errors.push(format!("{depth} `{{` never closed"));
    }
    (toks, errors)
}

impl Parser {
    fn error(&mut self, e: String) {
        if self.out.errors.len() < 20 && !self.out.errors.contains(&e) {
            self.out.errors.push(e);
        }
    }

    fn expand(&mut self, toks: &[Tok]) -> Vec<Tok> {
        let mut out = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) if w.starts_with('$') => match self.defines.get(&w[1..]) {
                    Some(v) => out.extend(v.iter().cloned()),
                    None => {
                        self.error(format!("undefined variable {w}"));
                        out.push(t.clone());
                    }
                },
                t => out.push(t.clone()),
            }
        }
        out
    }

    /// Replaces `@set` with the set's elements when the file gives them; a set that is not
    /// declared in the table makes nft refuse the file.
    fn expand_sets(&mut self, family: &str, table: &str, toks: &[Tok]) -> Vec<Tok> {
        let mut out: Vec<Tok> = Vec::new();
        for t in toks {
            let updates = matches!(out.last().map(Tok::text), Some("add" | "update" | "delete"));
            match t {
                Tok::Word(w)
                    if w.starts_with('@') && w.len() > 1 && !w.contains(',') && updates =>
                {
                    let key = (family.to_string(), table.to_string(), w[1..].to_string());
                    if !self.sets.contains_key(&key) {
                        self.error(format!("set {w} does not exist in table {family} {table}"));
                    }
                    out.push(t.clone());
                }
                Tok::Word(w) if w.starts_with('@') && w.len() > 1 && !w.contains(',') => {
                    let key = (family.to_string(), table.to_string(), w[1..].to_string());
                    match self.sets.get(&key) {
                        Some(Some(elements)) => {
                            out.push(Tok::Open);
                            out.extend(elements.iter().cloned());
                            out.push(Tok::Close);
                        }
                        Some(None) => out.push(t.clone()),
                        None => {
                            self.error(format!("set {w} does not exist in table {family} {table}"));
                            out.push(t.clone());
                        }
                    }
                }
                t => out.push(t.clone()),
            }
        }
        out
    }

    fn top(&mut self, stmt: &[Tok]) {
        let words: Vec<&str> = stmt.iter().map(Tok::text).collect();
        match words.as_slice() {
            ["flush", "ruleset", ..] => {
                self.out.chains.clear();
                self.sets.clear();
                self.dormant.clear();
            }
            ["include", path, ..] => self.out.includes.push((*path).to_string()),
            ["define" | "redefine", name, "=", ..] => {
                let value = self.expand(&stmt[3..]);
                self.defines.insert((*name).to_string(), value);
            }
            ["table", ..] => self.table(&stmt[1..]),
            ["add" | "create", "table", ..] => self.table(&stmt[2..]),
            ["add" | "create", "chain", rest @ ..] | ["chain", rest @ ..] => {
                let skip = if words[0] == "chain" { 1 } else { 2 };
                let (family, table, used) = family_and_name(rest);
                let (header, body) = header_and_body(&stmt[skip + used..]);
                let name = match header.first() {
                    Some(Tok::Word(n)) => n.clone(),
                    _ => {
                        self.error(format!("`{}` names no chain", words.join(" ")));
                        return;
                    }
                };
                let body = body.map(<[Tok]>::to_vec).unwrap_or_default();
                self.chain(&family, &table, &name, &body);
            }
            ["add" | "create", "set" | "map", rest @ ..] => {
                let (family, table, used) = family_and_name(rest);
                let (header, body) = header_and_body(&stmt[2 + used..]);
                let name = header.first().map(Tok::text).unwrap_or_default();
                let elements = body.and_then(set_elements);
                self.sets
                    .insert((family, table, name.to_string()), elements);
            }
            ["add" | "create", "element", rest @ ..] => {
                let (family, table, used) = family_and_name(rest);
                let (header, body) = header_and_body(&stmt[2 + used..]);
                let name = header
                    .first()
                    .map(Tok::text)
                    .unwrap_or_default()
                    .to_string();
                let key = (family, table, name);
                match self.sets.get_mut(&key) {
                    Some(slot) => {
                        let mut all = slot.take().unwrap_or_default();
                        if let Some(b) = body {
                            if !all.is_empty() {
                                all.push(Tok::Comma);
                            }
                            all.extend(b.iter().filter(|t| **t != Tok::Sep).cloned());
                        }
                        *slot = Some(all);
                    }
                    None => self.error(format!("set {} does not exist", key.2)),
                }
            }
            ["add" | "insert" | "replace", "rule", rest @ ..] | ["rule", rest @ ..] => {
                let skip = if words[0] == "rule" { 1 } else { 2 };
                let (family, table, used) = family_and_name(rest);
                let Some(chain) = rest.get(used).map(|s| (*s).to_string()) else {
                    return;
                };
                if !self
                    .out
                    .chains
                    .iter()
                    .any(|c| c.family == family && c.table == table && c.name == chain)
                {
                    self.error(format!(
                        "rule added to chain {family} {table} {chain}, which does not exist"
                    ));
                }
                let mut body = &stmt[skip + 1 + used..];
                // `position N` / `index N` / `handle N` pick where the rule goes; order is
                // approximated (insert = first, add = last).
                while let [Tok::Word(k), _, tail @ ..] = body {
                    if matches!(k.as_str(), "position" | "index" | "handle") {
                        body = tail;
                    } else {
                        break;
                    }
                }
                let body = self.expand(body);
                let body = self.expand_sets(&family, &table, &body);
                let rules = self.rules_of(&body);
                let insert = words[0] == "insert";
                let c = self.chain_mut(&family, &table, &chain);
                c.rules += 1;
                if insert {
                    c.rule_summaries.splice(0..0, rules);
                } else {
                    c.rule_summaries.extend(rules);
                }
            }
            ["flush", "chain", rest @ ..] => {
                let (family, table, used) = family_and_name(rest);
                if let Some(name) = rest.get(used) {
                    let c = self.chain_mut(&family, &table, name);
                    c.rules = 0;
                    c.rule_summaries.clear();
                }
            }
            ["flush", "table", rest @ ..] => {
                let (family, table, _) = family_and_name(rest);
                for c in self
                    .out
                    .chains
                    .iter_mut()
                    .filter(|c| c.family == family && c.table == table)
                {
                    c.rules = 0;
                    c.rule_summaries.clear();
                }
            }
            ["delete" | "destroy", "table", rest @ ..] => {
                let (family, table, _) = family_and_name(rest);
                self.out
                    .chains
                    .retain(|c| !(c.family == family && c.table == table));
                self.dormant.remove(&(family, table));
            }
            [first, ..] if !COMMANDS.contains(first) => {
                self.error(format!("`{first}` is not an nft command"));
            }
            _ => {}
        }
    }

    fn table(&mut self, stmt: &[Tok]) {
        let (header, body) = header_and_body(stmt);
        let words: Vec<&str> = header.iter().map(Tok::text).collect();
        let (family, table, _) = family_and_name(&words);
        let Some(body) = body else {
            return;
        };
        self.check_terminated(&format!("table {family} {table}"), body);
        let parts = statements(body);
        // Sets first: rules may name a set declared further down the table.
        for s in &parts {
            let (head, inner) = header_and_body(s);
            if matches!(head.first().map(Tok::text), Some("set" | "map")) {
                let name = head.get(1).map(Tok::text).unwrap_or_default().to_string();
                let elements = inner.and_then(set_elements);
                if let Some(e) = interval_error(&name, inner.unwrap_or(&[]), elements.as_deref()) {
                    self.error(e);
                }
                self.sets
                    .insert((family.clone(), table.clone(), name), elements);
            }
        }
        for s in &parts {
            let (head, inner) = header_and_body(s);
            let words: Vec<&str> = head.iter().map(Tok::text).collect();
            match words.as_slice() {
                ["chain", name, ..] => {
                    let inner = inner.map(<[Tok]>::to_vec).unwrap_or_default();
                    self.chain(&family, &table, name, &inner);
                }
                ["flags", rest @ ..] => {
                    if rest.contains(&"dormant") {
                        self.dormant.insert((family.clone(), table.clone()));
                    } else {
                        self.dormant.remove(&(family.clone(), table.clone()));
                    }
                }
                // Sets, maps, flowtables, stateful objects and comments say nothing about
                // filtering.
                _ => {}
            }
        }
    }

    fn chain_mut(&mut self, family: &str, table: &str, name: &str) -> &mut Chain {
        let at = self
            .out
            .chains
            .iter()
            .position(|c| c.family == family && c.table == table && c.name == name);
        let idx = match at {
            Some(i) => i,
            None => {
                self.out.chains.push(Chain {
                    family: family.into(),
                    table: table.into(),
                    name: name.into(),
                    source: self.source.clone(),
                    ..Chain::default()
                });
                self.out.chains.len() - 1
            }
        };
        &mut self.out.chains[idx]
    }

    /// nft wants every item of a table or chain block ended by a newline or `;` before the
    /// closing brace (`chain c { … } }` and `{ … accept }` on one line are syntax errors).
    fn check_terminated(&mut self, what: &str, body: &[Tok]) {
        if body.last().is_some_and(|t| *t != Tok::Sep) {
            self.error(format!(
                "syntax error: the last item of {what} needs a newline or `;` before its `}}`"
            ));
        }
    }

    fn chain(&mut self, family: &str, table: &str, name: &str, body: &[Tok]) {
        self.check_terminated(&format!("chain {name}"), body);
        let body = self.expand(body);
        let body = self.expand_sets(family, table, &body);
        let mut rules = Vec::new();
        let mut count = 0;
        let mut hook = None;
        let mut chain_type = None;
        let mut policy = None;
        let mut priority = None;
        for s in statements(&body) {
            let words: Vec<&str> = s.iter().map(Tok::text).collect();
            match words.as_slice() {
                ["type", t, rest @ ..] => {
                    chain_type = Some((*t).to_string());
                    if !matches!(*t, "filter" | "nat" | "route") {
                        self.error(format!("chain {name}: unknown chain type `{t}`"));
                    }
                    match rest.iter().position(|w| *w == "hook") {
                        Some(i) => hook = rest.get(i + 1).map(|h| (*h).to_string()),
                        None => self.error(format!("chain {name}: `type` without `hook`")),
                    }
                    match rest.iter().position(|w| *w == "priority") {
                        Some(i) => {
                            let tail: Vec<&str> = rest[i + 1..]
                                .iter()
                                .copied()
                                .take_while(|w| *w != "policy")
                                .collect();
                            priority = super::parse_priority(&tail);
                        }
                        None => self.error(format!("chain {name}: `type` without `priority`")),
                    }
                    // `type … priority 0 policy drop` on one line is not valid nft, but a
                    // trailing `policy` is harmless to accept.
                    if let Some(i) = rest.iter().position(|w| *w == "policy") {
                        policy = rest.get(i + 1).map(|p| (*p).to_string());
                    }
                }
                ["policy", p, ..] => policy = Some((*p).to_string()),
                ["comment" | "devices" | "device" | "flags", ..] => {}
                _ => {
                    count += 1;
                    rules.extend(self.rules_of(&s));
                }
            }
        }
        if let Some(p) = &policy
            && !matches!(p.as_str(), "accept" | "drop")
        {
            self.error(format!(
                "chain {name}: policy must be accept or drop, not `{p}`"
            ));
        }
        let c = self.chain_mut(family, table, name);
        if hook.is_some() {
            c.hook = hook;
            c.chain_type = chain_type;
            c.priority = priority;
        }
        if policy.is_some() {
            c.policy = policy;
        } else if c.hook.is_some() && c.policy.is_none() {
            c.policy = Some("accept".into()); // nft's default for base chains
        }
        c.rules += count;
        c.rule_summaries.extend(rules);
    }

    /// The rules of one rule statement (one per verdict-map branch); a syntax error nft
    /// would refuse the file for is recorded as an error.
    fn rules_of(&mut self, toks: &[Tok]) -> Vec<Rule> {
        let mut out = Vec::new();
        for mut branch in expand_vmaps(toks) {
            let mut r = summarize(&branch);
            // Service names from the image's /etc/services, as nft resolves them at load.
            for _ in 0..8 {
                let Some(name) = r
                    .opaque
                    .as_deref()
                    .and_then(|o| o.strip_prefix(SERVICE))
                    .and_then(|o| o.split('`').next())
                    .map(str::to_string)
                else {
                    break;
                };
                let Some(port) = self.services.get(&name) else {
                    if !self.services.is_empty() {
                        self.error(format!(
                            "service name `{name}` is not in the image's /etc/services"
                        ));
                    }
                    break;
                };
                for t in &mut branch {
                    if matches!(t, Tok::Word(w) if *w == name) {
                        *t = Tok::Word(port.to_string());
                    }
                }
                r = summarize(&branch);
            }
            if let Some(e) = r.opaque.as_deref().and_then(|o| o.strip_prefix(SYNTAX)) {
                let text: Vec<&str> = toks.iter().map(Tok::text).collect();
                self.error(format!("syntax error: {e} in `{}`", text.join(" ")));
                r.opaque = Some(format!("syntax error: {e}"));
            }
            out.push(r);
        }
        out
    }

    /// Checks what nft checks once the whole file is read, and drops dormant tables (their
    /// chains are loaded but see no packets).
    fn finish(&mut self) {
        let mut missing = Vec::new();
        for c in &self.out.chains {
            for r in &c.rule_summaries {
                if let Some(t) = &r.target
                    && !self
                        .out
                        .chains
                        .iter()
                        .any(|d| d.family == c.family && d.table == c.table && d.name == *t)
                {
                    missing.push(format!(
                        "{}: {} to chain `{t}`, which does not exist",
                        c.label(),
                        r.verdict.as_str()
                    ));
                }
            }
        }
        for m in missing {
            self.error(m);
        }
        for (family, table) in &self.dormant {
            self.out
                .dormant
                .push(format!("{family} {table} (flags dormant)"));
        }
        let dormant = std::mem::take(&mut self.dormant);
        self.out
            .chains
            .retain(|c| !dormant.contains(&(c.family.clone(), c.table.clone())));
    }
}

/// nft refuses a named set holding ranges or prefixes unless it has `flags interval`.
fn interval_error(name: &str, body: &[Tok], elements: Option<&[Tok]>) -> Option<String> {
    let interval = body.iter().any(|t| t.text() == "interval");
    let ranged = elements?.iter().any(|t| match t {
        Tok::Word(w) => {
            w.contains('/')
                || w.split_once('-').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && a.chars().all(|c| c.is_ascii_digit())
                        && !b.is_empty()
                        && b.chars().all(|c| c.is_ascii_digit())
                })
        }
        _ => false,
    });
    (ranged && !interval).then(|| {
        format!("set {name}: ranges or prefixes need `flags interval` in the set declaration")
    })
}

/// The `elements = { … }` of a set or map body, when given.
fn set_elements(body: &[Tok]) -> Option<Vec<Tok>> {
    let at = body
        .iter()
        .position(|t| matches!(t, Tok::Word(w) if w == "elements"))?;
    let open = at + body[at..].iter().position(|t| *t == Tok::Open)?;
    let mut depth = 0;
    let mut out = Vec::new();
    for t in &body[open..] {
        match t {
            Tok::Open => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Tok::Sep => continue,
            _ => {}
        }
        out.push(t.clone());
    }
    Some(out)
}

/// `/etc/services` lines (`name port/proto aliases…`) → name and aliases → port.
pub fn parse_services(text: &str) -> BTreeMap<String, u16> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut f = line.split_whitespace();
        let (Some(name), Some(port)) = (f.next(), f.next()) else {
            continue;
        };
        let Some(Ok(port)) = port.split('/').next().map(str::parse::<u16>) else {
            continue;
        };
        for n in std::iter::once(name).chain(f) {
            out.entry(n.to_string()).or_insert(port);
        }
    }
    out
}

/// Marks an `opaque` reason that is a certain nft syntax error.
const SYNTAX: &str = "syntax: ";
/// Starts an `opaque` reason naming a service name we could not resolve.
const SERVICE: &str = "service name `";

/// Header fields nft knows, per selector; another word after the selector is a syntax error.
fn known_field(selector: &str, field: &str) -> bool {
    let fields: &[&str] = match selector {
        "tcp" => &[
            "sport", "dport", "sequence", "ackseq", "doff", "reserved", "flags", "window",
            "checksum", "urgptr", "option",
        ],
        "udp" | "udplite" => &["sport", "dport", "length", "checksum", "csumcov"],
        "th" => &["sport", "dport"],
        "sctp" => &["sport", "dport", "vtag", "checksum", "chunk"],
        "dccp" => &["sport", "dport", "type"],
        "ip" => &[
            "version",
            "hdrlength",
            "dscp",
            "ecn",
            "length",
            "id",
            "frag-off",
            "ttl",
            "protocol",
            "checksum",
            "saddr",
            "daddr",
            "option",
        ],
        "ip6" => &[
            "version",
            "dscp",
            "ecn",
            "flowlabel",
            "length",
            "nexthdr",
            "hoplimit",
            "saddr",
            "daddr",
        ],
        "ct" => &[
            "state",
            "direction",
            "status",
            "mark",
            "expiration",
            "helper",
            "label",
            "l3proto",
            "protocol",
            "bytes",
            "packets",
            "avgpkt",
            "zone",
            "count",
            "original",
            "reply",
            "id",
            "saddr",
            "daddr",
            "proto-src",
            "proto-dst",
            "event",
            "secmark",
            "timeout",
            "expectation",
        ],
        "meta" => &[
            "length",
            "protocol",
            "priority",
            "random",
            "mark",
            "iif",
            "iifname",
            "iiftype",
            "oif",
            "oifname",
            "oiftype",
            "skuid",
            "skgid",
            "nftrace",
            "rtclassid",
            "ibrname",
            "obrname",
            "pkttype",
            "cpu",
            "iifgroup",
            "oifgroup",
            "cgroup",
            "nfproto",
            "l4proto",
            "secpath",
            "time",
            "day",
            "hour",
            "broute",
            "ipsec",
            "sdif",
            "sdifname",
            "iifkind",
            "oifkind",
            "secmark",
        ],
        _ => return true,
    };
    fields.contains(&field)
}

/// How a selector compares with its operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    /// Relational or bitwise (`> 1024`, `& 0x3 == 1`): matches some packets.
    Other,
}

/// Reads `[op] value` after a selector; None when no value follows.
fn operand(toks: &[Tok], i: &mut usize) -> Option<(Op, Vec<String>)> {
    let mut op = Op::Eq;
    while let Some(Tok::Word(w)) = toks.get(*i) {
        match w.as_str() {
            "!=" | "ne" | "!" => {
                if op == Op::Eq {
                    op = Op::Ne;
                }
                *i += 1;
            }
            "==" | "eq" => *i += 1,
            "<" | ">" | "<=" | ">=" | "lt" | "gt" | "le" | "ge" => {
                op = Op::Other;
                *i += 1;
            }
            "&" | "|" | "^" | "and" | "or" | "xor" | ">>" | "<<" => {
                op = Op::Other;
                *i += 2;
            }
            _ => break,
        }
    }
    let mut out = Vec::new();
    match toks.get(*i) {
        Some(Tok::Open) => {
            *i += 1;
            let mut depth = 1;
            while let Some(t) = toks.get(*i) {
                *i += 1;
                match t {
                    Tok::Open => depth += 1,
                    Tok::Close => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Word(w) | Tok::Str(w) => out.push(w.clone()),
                    _ => {}
                }
            }
        }
        Some(Tok::Word(w) | Tok::Str(w)) => {
            out.push(w.clone());
            *i += 1;
            while let (Some(Tok::Comma), Some(Tok::Word(w))) = (toks.get(*i), toks.get(*i + 1)) {
                out.push(w.clone());
                *i += 2;
            }
        }
        _ => return None,
    }
    Some((op, out))
}

fn ports(words: &[String]) -> Option<Vec<PortRange>> {
    if words.is_empty() {
        return None;
    }
    words.iter().map(|w| parse_port_range(w)).collect()
}

/// Whether a value list names the whole address space.
fn whole_space(v: &[String]) -> bool {
    v.iter().any(|a| a == "0.0.0.0/0" || a == "::/0")
}

/// A named set nothing resolved (declared without elements, or filled at run time).
fn named_sets(v: &[String]) -> bool {
    !v.is_empty() && v.iter().all(|w| w.starts_with('@'))
}

/// Concatenations (`ip saddr . tcp dport`) and maps are matched as a whole: some packets.
fn compound(v: &[String]) -> bool {
    v.iter()
        .any(|w| w == "." || w == ":" || w == "map" || w == "vmap")
}

/// `meta` keys nft also accepts without the `meta` prefix.
const BARE_META: [&str; 18] = [
    "iif",
    "iifname",
    "iiftype",
    "oif",
    "oifname",
    "oiftype",
    "mark",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "ibrname",
    "obrname",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
];

/// Selectors read generically (`selector field [op] value`): they match some packets.
const OTHER_SELECTORS: [&str; 20] = [
    "ether", "vlan", "arp", "rt", "exthdr", "ah", "esp", "comp", "socket", "osf", "ipsec", "dst",
    "hbh", "frag", "mh", "srh", "cgroupv2", "tunnel", "dccp", "sctp",
];

fn is_l4(w: &str) -> bool {
    matches!(w, "tcp" | "udp" | "udplite" | "sctp" | "dccp" | "th")
}

/// Expands anonymous verdict maps into one rule per branch:
/// `ct state vmap { established : accept, invalid : drop }` →
/// `ct state established accept`, `ct state invalid drop`.
fn expand_vmaps(toks: &[Tok]) -> Vec<Vec<Tok>> {
    let Some(k) = toks
        .iter()
        .position(|t| matches!(t, Tok::Word(w) if w == "vmap"))
    else {
        return vec![toks.to_vec()];
    };
    if toks.get(k + 1) != Some(&Tok::Open) {
        return vec![toks.to_vec()];
    }
    let mut depth = 0;
    let mut end = toks.len();
    for (j, t) in toks.iter().enumerate().skip(k + 1) {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    end = j;
                    break;
                }
            }
            _ => {}
        }
    }
    let body = &toks[k + 2..end.min(toks.len())];
    let tail = toks.get(end + 1..).unwrap_or(&[]);
    let mut elements: Vec<Vec<Tok>> = vec![Vec::new()];
    let mut d = 0;
    for t in body {
        match t {
            Tok::Comma if d == 0 => elements.push(Vec::new()),
            t => {
                if *t == Tok::Open {
                    d += 1;
                } else if *t == Tok::Close {
                    d -= 1;
                }
                if let Some(last) = elements.last_mut() {
                    last.push(t.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    for e in elements {
        let colon = e.iter().position(
            |t| matches!(t, Tok::Word(w) if w == ":" || (w.ends_with(':') && w.len() > 1)),
        );
        let Some(c) = colon else { continue };
        let mut key: Vec<Tok> = e[..c].to_vec();
        if let Tok::Word(w) = &e[c]
            && w != ":"
        {
            key.push(Tok::Word(w.trim_end_matches(':').to_string()));
        }
        let mut branch = toks[..k].to_vec();
        branch.push(Tok::Open);
        branch.extend(key);
        branch.push(Tok::Close);
        branch.extend(e[c + 1..].iter().cloned());
        branch.extend(tail.iter().cloned());
        out.extend(expand_vmaps(&branch));
    }
    out
}

/// Summarizes one rule statement (after verdict maps are expanded).
fn summarize(toks: &[Tok]) -> Rule {
    let mut r = Rule {
        reach: Some(Reach::Every),
        ..Rule::default()
    };
    let mut i = 0;
    while i < toks.len() {
        let start = i;
        let w = toks[i].text().to_string();
        let next = toks.get(i + 1).map_or("", Tok::text).to_string();
        if !matches!(toks[i], Tok::Word(_)) {
            i += 1;
            continue;
        }
        i += 1;
        let clause = |i: usize| -> String {
            toks[start..i.min(toks.len())]
                .iter()
                .map(Tok::text)
                .collect::<Vec<_>>()
                .join(" ")
        };
        match w.as_str() {
            "accept" | "drop" | "return" | "continue" => {
                r.verdict = match w.as_str() {
                    "accept" => Verdict::Accept,
                    "drop" => Verdict::Drop,
                    "return" => Verdict::Return,
                    _ => Verdict::Continue,
                };
            }
            "reject" | "queue" => {
                r.verdict = if w == "reject" {
                    Verdict::Reject
                } else {
                    Verdict::Queue
                };
                break; // the rest is the verdict's own arguments
            }
            "jump" | "goto" => {
                r.verdict = if w == "jump" {
                    Verdict::Jump
                } else {
                    Verdict::Goto
                };
                r.target = Some(next.clone());
                i += 1;
            }
            "counter" => {
                while matches!(
                    toks.get(i).map(Tok::text),
                    Some("packets" | "bytes" | "name")
                ) {
                    i += 2;
                }
            }
            "log" => {
                while let Some(t) = toks.get(i) {
                    if matches!(
                        t.text(),
                        "prefix" | "level" | "group" | "snaplen" | "queue-threshold" | "flags"
                    ) {
                        i += 2;
                    } else {
                        break;
                    }
                }
            }
            "comment" => i += 1,
            "notrack" => {}
            "limit" | "quota" => {
                // limit rate [over] 10/second [burst 5 packets]; quota [over|until] 10 mbytes
                while let Some(t) = toks.get(i) {
                    let t = t.text();
                    if matches!(
                        t,
                        "rate" | "over" | "until" | "burst" | "packets" | "bytes" | "name"
                    ) || t.starts_with(|c: char| c.is_ascii_digit())
                        || t.contains('/')
                        || t.ends_with("bytes")
                    {
                        i += 1;
                    } else {
                        break;
                    }
                }
                r.condition(clause(i), Reach::Some);
            }
            "add" | "update" | "delete" => {
                // add @set { ip saddr } : updates a set, no verdict
                i += 1;
                let _ = operand(toks, &mut i);
            }
            "flow" => i += 2,
            "snat" | "masquerade" => {
                r.translates = true;
                break;
            }
            "dup" => break,
            "dnat" | "redirect" | "tproxy" | "synproxy" | "fwd" | "xt" | "numgen" | "jhash"
            | "symhash" => {
                r.translates |= w == "dnat" || w == "redirect";
                r.opaque = Some(format!(
                    "`{w}` statement (what it does to the connection is not modelled)"
                ));
                break;
            }
            "ip" | "ip6" => {
                if !known_field(&w, &next) {
                    r.opaque = Some(format!("{SYNTAX}`{w} {next}` is not a {w} header field"));
                    break;
                }
                i += 1;
                if toks.get(i).map(Tok::text) == Some("set") {
                    i += 1;
                    set_value(toks, &mut i);
                    continue;
                }
                let v4 = w == "ip";
                let Some((op, v)) = operand(toks, &mut i) else {
                    r.opaque = Some(format!("`{}` (incomplete match)", clause(i)));
                    break;
                };
                let c = clause(i);
                match next.as_str() {
                    "saddr" | "daddr" if compound(&v) => r.condition(c, Reach::Some),
                    "saddr" => {
                        r.ip_version = Some(if v4 { 4 } else { 6 });
                        let reach = match op {
                            Op::Eq if whole_space(&v) => Reach::Every,
                            Op::Eq => Reach::Never,
                            Op::Ne if whole_space(&v) => Reach::Never,
                            Op::Ne => Reach::Every,
                            Op::Other => Reach::Some,
                        };
                        r.condition(c, reach);
                    }
                    "daddr" => {
                        r.ip_version = Some(if v4 { 4 } else { 6 });
                        let reach = match op {
                            Op::Eq if whole_space(&v) => Reach::Every,
                            Op::Ne if whole_space(&v) => Reach::Never,
                            _ => Reach::Some,
                        };
                        r.condition(c, reach);
                    }
                    "protocol" | "nexthdr" => {
                        r.ip_version = Some(if v4 { 4 } else { 6 });
                        l4_match(&mut r, op, &v, c);
                    }
                    "version" => r.ip_version = Some(if v4 { 4 } else { 6 }),
                    _ => {
                        r.ip_version = Some(if v4 { 4 } else { 6 });
                        r.condition(c, Reach::Some);
                    }
                }
            }
            l4 if is_l4(l4) => {
                if !known_field(l4, &next) {
                    r.opaque = Some(format!("{SYNTAX}`{l4} {next}` is not a {l4} header field"));
                    break;
                }
                i += 1;
                if l4 != "th" {
                    r.protocols = vec![l4.to_string()];
                }
                if next == "option" {
                    r.opaque = Some(format!(
                        "`{}` (TCP options are not modelled)",
                        clause(toks.len())
                    ));
                    break;
                }
                if toks.get(i).map(Tok::text) == Some("set") {
                    i += 1;
                    set_value(toks, &mut i);
                    continue;
                }
                let Some((op, v)) = operand(toks, &mut i) else {
                    r.opaque = Some(format!("`{}` (incomplete match)", clause(i)));
                    break;
                };
                let c = clause(i);
                match (next.as_str(), op) {
                    ("dport", _) if compound(&v) => r.condition(c, Reach::Some),
                    ("dport", Op::Eq) => match ports(&v) {
                        Some(p) => r.dports = p,
                        None if named_sets(&v) => r.condition(c, Reach::Never),
                        None => {
                            // A service name we do not know: nft resolves it through
                            // /etc/services at load time and refuses the file if it cannot.
                            let unknown = v.iter().find(|w| {
                                !w.starts_with('@')
                                    && parse_port_range(w).is_none()
                                    && w.chars().any(|c| c.is_ascii_alphabetic())
                            });
                            if let Some(name) = unknown {
                                r.opaque = Some(format!(
                                    "{SERVICE}{name}` (nft looks it up in /etc/services when loading)"
                                ));
                                break;
                            }
                            r.condition(c, Reach::Some);
                        }
                    },
                    ("dport", Op::Ne) => {
                        let reach = match ports(&v) {
                            Some(p) if ports_reach(&p) == Reach::Never => Reach::Every,
                            None if named_sets(&v) => Reach::Every,
                            _ => Reach::Some,
                        };
                        r.condition(c, reach);
                    }
                    ("flags", _) => {} // every new TCP connection opens with a SYN
                    ("sport", Op::Ne) => r.condition(c, Reach::Every),
                    _ => r.condition(c, Reach::Some),
                }
            }
            "icmp" | "icmpv6" | "igmp" => {
                r.protocols = vec![if w == "icmpv6" {
                    "ipv6-icmp".into()
                } else {
                    w.clone()
                }];
                r.ip_version = Some(if w == "icmpv6" { 6 } else { 4 });
                i += 1;
                let _ = operand(toks, &mut i);
                r.conditions.push(clause(i));
            }
            "ct" => {
                if !known_field("ct", &next) {
                    r.opaque = Some(format!("{SYNTAX}`ct {next}` is not a conntrack key"));
                    break;
                }
                i += 1;
                if matches!(next.as_str(), "original" | "reply") {
                    if matches!(toks.get(i).map(Tok::text), Some("ip" | "ip6")) {
                        i += 1;
                    }
                    i += 1;
                }
                if toks.get(i).map(Tok::text) == Some("set") {
                    i += 1;
                    set_value(toks, &mut i);
                    continue;
                }
                if next == "count" {
                    let _ = operand(toks, &mut i);
                    if toks.get(i).map(Tok::text) == Some("over") {
                        i += 1;
                    }
                    let _ = operand(toks, &mut i);
                    r.condition(clause(i), Reach::Some);
                    continue;
                }
                let Some((op, v)) = operand(toks, &mut i) else {
                    r.opaque = Some(format!("`{}` (incomplete match)", clause(i)));
                    break;
                };
                let c = clause(i);
                let v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
                match (next.as_str(), op) {
                    ("state", _)
                        if v.iter().any(|x| {
                            !matches!(
                                x.as_str(),
                                "new" | "established" | "related" | "invalid" | "untracked"
                            ) && !x.starts_with('@')
                        }) =>
                    {
                        r.opaque = Some(format!("{SYNTAX}`{c}` is not a conntrack state"));
                        break;
                    }
                    ("state", Op::Eq) => r.ct_states = v,
                    ("state", Op::Ne) if v.iter().any(|s| s == "new") => {
                        r.condition(c, Reach::Never);
                    }
                    ("state", Op::Ne) => r.condition(c, Reach::Every),
                    ("status", Op::Eq) => {
                        r.after_nat = !v.is_empty() && v.iter().all(|s| s == "dnat" || s == "snat");
                        r.condition(c, Reach::Some);
                    }
                    _ => r.condition(c, Reach::Some),
                }
            }
            "meta" => {
                if !known_field("meta", &next) {
                    r.opaque = Some(format!("{SYNTAX}`meta {next}` is not a meta key"));
                    break;
                }
                i += 1;
                meta_clause(&mut r, &next, toks, &mut i, start);
            }
            key if BARE_META.contains(&key) => {
                meta_clause(&mut r, key, toks, &mut i, start);
            }
            "fib" => {
                while let Some(t) = toks.get(i) {
                    i += 1;
                    if matches!(t.text(), "oif" | "oifname" | "type") {
                        break;
                    }
                }
                let _ = operand(toks, &mut i);
                r.condition(clause(i), Reach::Some);
            }
            sel if OTHER_SELECTORS.contains(&sel) || sel.starts_with('@') => {
                if !sel.starts_with('@') {
                    i += 1;
                }
                if toks.get(i).map(Tok::text) == Some("set") {
                    i += 1;
                    set_value(toks, &mut i);
                    continue;
                }
                if operand(toks, &mut i).is_none() {
                    r.opaque = Some(format!("`{}` (incomplete match)", clause(i)));
                    break;
                }
                r.condition(clause(i), Reach::Some);
            }
            _ => {
                r.opaque = Some(format!("{SYNTAX}unknown keyword `{w}`"));
                break;
            }
        }
    }
    r
}

/// The value of a `… set VALUE` statement (`meta mark set ct mark`, `ct mark set 0x1`).
fn set_value(toks: &[Tok], i: &mut usize) {
    if matches!(toks.get(*i).map(Tok::text), Some("meta" | "ct")) {
        *i += 2;
    } else {
        *i += 1;
    }
    while matches!(
        toks.get(*i).map(Tok::text),
        Some("or" | "and" | "xor" | "|" | "&" | "^")
    ) {
        *i += 2;
    }
}

/// `ip protocol`, `ip6 nexthdr`, `meta l4proto` matches.
fn l4_match(r: &mut Rule, op: Op, v: &[String], clause: String) {
    let v: Vec<String> = v.iter().map(|s| s.to_ascii_lowercase()).collect();
    match op {
        Op::Eq if !compound(&v) && !named_sets(&v) => {
            // `meta l4proto tcp` beside a `tcp dport` match adds nothing.
            if r.protocols.is_empty() {
                r.protocols = v;
            } else {
                r.protocols.retain(|p| v.contains(p));
                if r.protocols.is_empty() {
                    r.condition(clause, Reach::Never);
                }
            }
        }
        Op::Ne
            if !v
                .iter()
                .any(|p| matches!(p.as_str(), "tcp" | "udp" | "6" | "17"))
                && !named_sets(&v) =>
        {
            r.condition(clause, Reach::Every);
        }
        _ => r.condition(clause, Reach::Some),
    }
}

/// `meta KEY …` (or a bare meta key): a match or a `set` statement.
fn meta_clause(r: &mut Rule, key: &str, toks: &[Tok], i: &mut usize, start: usize) {
    let clause = |i: usize| -> String {
        toks[start..i.min(toks.len())]
            .iter()
            .map(Tok::text)
            .collect::<Vec<_>>()
            .join(" ")
    };
    if toks.get(*i).map(Tok::text) == Some("set") {
        *i += 1;
        set_value(toks, i);
        return;
    }
    let Some((op, v)) = operand(toks, i) else {
        r.opaque = Some(format!("`{}` (incomplete match)", clause(*i)));
        return;
    };
    let c = clause(*i);
    let lo = v == ["lo"];
    match (key, op) {
        ("iif" | "iifname", Op::Eq) if lo => r.loopback_only = true,
        ("iif" | "iifname", Op::Ne) if lo => r.condition(c, Reach::Every),
        ("l4proto", _) => l4_match(r, op, &v, c),
        ("nfproto", Op::Eq | Op::Ne) if v.len() == 1 => {
            let v4 = v[0] == "ipv4";
            let v6 = v[0] == "ipv6";
            if (v4 && op == Op::Eq) || (v6 && op == Op::Ne) {
                r.ip_version = Some(4);
            } else if (v6 && op == Op::Eq) || (v4 && op == Op::Ne) {
                r.ip_version = Some(6);
            } else {
                r.condition(c, Reach::Some);
            }
        }
        ("pkttype", Op::Eq) if v == ["host"] => {}
        ("pkttype", Op::Eq) if !v.iter().any(|t| t == "host") => r.condition(c, Reach::Never),
        ("pkttype", Op::Ne) if v == ["host"] => r.condition(c, Reach::Never),
        ("pkttype", Op::Ne) if !v.iter().any(|t| t == "host") => r.condition(c, Reach::Every),
        _ => r.condition(c, Reach::Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::firewall::{FirewallFacts, Inbound, PortFate};
    use crate::inspect::network::Proto;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/firewall/",
                $name
            ))
        };
    }

    fn facts(text: &str) -> FirewallFacts {
        FirewallFacts {
            chains: parse(text, "/etc/nftables.conf").chains,
            ..FirewallFacts::default()
        }
    }

    fn summary(chains: &[Chain]) -> Vec<String> {
        chains
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {:?} {:?} {}",
                    c.family, c.table, c.name, c.hook, c.policy, c.rules
                )
            })
            .collect()
    }

    /// The text and JSON forms of the same ruleset (loaded by nft itself) agree.
    fn same_as_json(text: &str, json: &str) {
        let t = parse(text, "x").chains;
        let j = crate::inspect::firewall::nft_json::parse(json)
            .unwrap_or_else(|e| panic!("{e}"))
            .chains;
        assert_eq!(summary(&t), summary(&j));
        for (a, b) in t.iter().zip(&j) {
            let ra: Vec<String> = a.rule_summaries.iter().map(Rule::describe).collect();
            let rb: Vec<String> = b.rule_summaries.iter().map(Rule::describe).collect();
            assert_eq!(ra.len(), rb.len());
            for (x, y) in a.rule_summaries.iter().zip(&b.rule_summaries) {
                assert_eq!(
                    (
                        x.verdict,
                        &x.protocols,
                        &x.dports,
                        x.loopback_only,
                        x.ip_version
                    ),
                    (
                        y.verdict,
                        &y.protocols,
                        &y.dports,
                        y.loopback_only,
                        y.ip_version
                    ),
                    "{ra:?} vs {rb:?}"
                );
            }
        }
    }

    #[test]
    fn text_agrees_with_nft_json() {
        same_as_json(fixture!("inet-drop.nft"), fixture!("nft-inet-drop.json"));
        same_as_json(fixture!("accept-all.nft"), fixture!("nft-accept-all.json"));
        same_as_json(fixture!("ipv4-only.nft"), fixture!("nft-ipv4-only.json"));
        same_as_json(
            fixture!("jump-reject.nft"),
            fixture!("nft-jump-reject.json"),
        );
    }

    #[test]
    fn rules_starting_like_objects_stay_whole() {
        let c = parse(
            "table inet t {\n counter hits { }\n chain c {\n  counter tcp dport { 22, 80 } accept\n  ct state { established } accept\n }\n}\n",
            "x",
        );
        assert_eq!(c.chains.len(), 1);
        assert_eq!(c.chains[0].rules, 2);
        assert_eq!(c.chains[0].rule_summaries[0].verdict, Verdict::Accept);
    }

    #[test]
    fn debian_default_config_filters_nothing() {
        let f = facts(fixture!("nftables-debian-default.conf"));
        assert_eq!(f.chains.len(), 3);
        assert!(!f.filters_anything());
        assert_eq!(f.default_deny(4), None);
    }

    #[test]
    fn defines_sets_and_ssh_source_rule() {
        let f = facts(fixture!("inet-drop.nft"));
        let ssh = f.port_verdict(Proto::Tcp, 22, 4);
        assert!(
            matches!(ssh.fate, PortFate::Allowed { ref rule } if rule.contains("10.20.0.0/24")),
            "{ssh:?}"
        );
        assert!(f.default_deny(6).is_some());
    }

    #[test]
    fn command_forms_and_includes() {
        let text = "include \"/etc/nftables.d/*.nft\"\nadd table inet fw\nadd chain inet fw in { type filter hook input priority 0 ; policy drop ; }\nadd rule inet fw in tcp dport { 22,\n 2575 } accept\ninsert rule inet fw in ct state established accept\nadd chain fw x\nflush chain inet fw nothing\ndelete table ip gone\n";
        let c = parse(text, "x");
        assert_eq!(c.includes, ["/etc/nftables.d/*.nft"]);
        assert_eq!(
            summary(&c.chains)[0],
            "inet fw in Some(\"input\") Some(\"drop\") 2"
        );
        assert_eq!(c.chains[0].rule_summaries[0].ct_states, ["established"]);
        assert_eq!(
            c.chains[0].rule_summaries[1].dports,
            [PortRange::one(22), PortRange::one(2575)]
        );
        assert_eq!(c.chains[1].family, "ip");
    }

    #[test]
    fn hostile_text() {
        assert!(parse("", "x").chains.is_empty());
        let junk = "table inet t {\n chain c {\n type filter hook input priority 0; policy drop;\n tcp dport { 22, \u{FFFD} } accept\n }}}}\n\"unterminated\n{{{\ntable\nadd rule\nchain orphan { drop; }\n";
        let c = parse(junk, "x");
        assert_eq!(c.chains.len(), 1);
        assert_eq!(c.chains[0].policy.as_deref(), Some("drop"));
        assert_eq!(c.chains[0].rules, 1);
        // A port list with an unreadable element is not trusted as a port match.
        assert!(c.chains[0].rule_summaries[0].dports.is_empty());
        assert!(!c.chains[0].rule_summaries[0].conditions.is_empty());
    }

    /// One input chain (policy drop) holding `rules`, plus a helper chain `x` that accepts.
    fn judged(rules: &str) -> (Inbound, Inbound) {
        let text = format!(
            "table inet t {{\n chain c {{\n  type filter hook input priority 0; policy drop;\n{rules}\n }}\n chain x {{\n  accept\n }}\n}}\n"
        );
        let conf = parse(&text, "x");
        assert!(conf.errors.is_empty(), "{rules}: {:?}", conf.errors);
        let f = FirewallFacts {
            chains: conf.chains,
            ..FirewallFacts::default()
        };
        (f.inbound(4), f.inbound(6))
    }

    fn denied(i: &Inbound) -> bool {
        matches!(i, Inbound::Denied(_))
    }

    fn admitted(i: &Inbound) -> bool {
        matches!(i, Inbound::Admitted(_))
    }

    #[test]
    fn matches_that_admit_every_new_connection() {
        for rules in [
            "ct state new accept",
            "ct state new,established accept",
            "ct state != established accept",
            "ct state vmap { established : accept, new : accept }",
            "tcp dport 1-65535 accept\nudp dport 0-65535 accept",
            "tcp dport 1024-65535 accept",
            "tcp dport != 233 accept",
            "udp dport != { 161, 162 } accept\ntcp dport != 23 accept",
            "iifname != \"wg0\" accept",
            "iifname \"eth0\" accept",
            "counter accept",
            "log prefix \"in \" accept",
            "meta mark set 0x10 accept",
            "limit rate 5/second accept",
            "meta l4proto { tcp, udp } accept",
            "meta l4proto vmap { tcp : accept, udp : accept }",
            "fib daddr type local accept",
            "meta pkttype host accept",
            "jump x",
            "goto x",
            "accept",
        ] {
            let (v4, v6) = judged(rules);
            assert!(admitted(&v4) && admitted(&v6), "{rules}: {v4:?} {v6:?}");
        }
    }

    #[test]
    fn matches_that_narrow_to_some_connections() {
        for rules in [
            "ct state established,related accept",
            "ct state vmap { established : accept, related : accept, invalid : drop }",
            "iif lo accept",
            "tcp dport 22 accept",
            "tcp dport { 22, 2575, 6661-6663 } accept",
            "tcp dport vmap { 22 : accept, 80 : drop }",
            "ip saddr 10.0.0.0/8 accept\nip6 saddr fd00::/8 accept",
            "tcp flags syn tcp dport 22 accept",
            "meta l4proto ipv6-icmp accept\nip protocol icmp accept",
            "icmpv6 type { nd-neighbor-solicit, echo-request } accept",
            "limit rate over 10/second drop",
            "fib saddr . iif oif missing drop",
            "iifname vmap { \"lo\" : accept }",
        ] {
            let (v4, v6) = judged(rules);
            assert!(denied(&v4) && denied(&v6), "{rules}: {v4:?} {v6:?}");
        }
    }

    #[test]
    fn ct_status_dnat_matches_only_translated_connections() {
        // No rule translates: no new connection has a NAT status (firewalld's input chain).
        for rules in ["ct status dnat accept", "ct status { dnat, snat } accept"] {
            let (v4, v6) = judged(rules);
            assert!(denied(&v4) && denied(&v6), "{rules}: {v4:?} {v6:?}");
        }
        let (v4, _) = judged("ct status assured accept");
        assert!(admitted(&v4), "{v4:?}");
        // A dnat rule elsewhere: translated connections may reach the accept.
        let text = "table inet t {\n chain c {\n  type filter hook input priority 0; policy drop;\n  ct status dnat accept\n }\n chain fwd {\n  tcp dport 8080 dnat ip to 10.0.0.1:80\n }\n}\n";
        let conf = parse(text, "x");
        assert!(conf.errors.is_empty(), "{:?}", conf.errors);
        let f = FirewallFacts {
            chains: conf.chains,
            ..FirewallFacts::default()
        };
        assert!(!denied(&f.inbound(4)), "{:?}", f.inbound(4));
    }

    #[test]
    fn one_ip_version_only() {
        let (v4, v6) = judged("meta nfproto ipv6 accept");
        assert!(denied(&v4) && admitted(&v6));
        let (v4, v6) = judged("ip saddr 0.0.0.0/0 accept");
        assert!(admitted(&v4) && denied(&v6));
        let (v4, v6) = judged("ip saddr != 10.0.0.0/8 accept");
        assert!(admitted(&v4) && denied(&v6));
        let (v4, v6) = judged("ip protocol tcp accept");
        assert!(admitted(&v4) && denied(&v6));
    }

    #[test]
    fn constructs_we_do_not_model_are_unknown() {
        let (v4, _) = judged("meta l4proto tcp tproxy to :8080");
        assert!(
            matches!(v4, Inbound::Unknown(ref w) if w.contains("tproxy")),
            "{v4:?}"
        );
        let (v4, _) = judged("tcp option maxseg size 1460 accept");
        assert!(matches!(v4, Inbound::Unknown(_)), "{v4:?}");
        let (v4, _) = judged("tcp dport bgp accept");
        assert!(
            matches!(v4, Inbound::Unknown(ref w) if w.contains("/etc/services")),
            "{v4:?}"
        );
        // With the image's /etc/services the name is a port like any other.
        let services = parse_services("# x\nbgp\t\t179/tcp\npostgresql 5432/tcp postgres # db\n");
        assert_eq!(services.get("postgres"), Some(&5432));
        let conf = parse_with_services(
            "table inet t {\n chain c {\n  type filter hook input priority 0; policy drop;\n  tcp dport { bgp, postgres } accept\n }\n}\n",
            "x",
            &services,
        );
        assert_eq!(
            conf.chains[0].rule_summaries[0].dports,
            [PortRange::one(179), PortRange::one(5432)]
        );
        let conf = parse_with_services(
            "table inet t {\n chain c {\n  type filter hook input priority 0; policy drop;\n  tcp dport nosuchsvc accept\n }\n}\n",
            "x",
            &services,
        );
        assert!(
            conf.errors.iter().any(|e| e.contains("nosuchsvc")),
            "{:?}",
            conf.errors
        );
    }

    #[test]
    fn verdicts_across_base_chains_and_hooks() {
        let facts_of = |text: &str| FirewallFacts {
            chains: parse(text, "x").chains,
            ..FirewallFacts::default()
        };
        // An accept ends only its own chain; a drop in any base chain of the hook is final.
        let f = facts_of(
            "table inet a { chain i { type filter hook input priority 0; policy accept; accept } }\ntable inet b { chain i { type filter hook input priority 10; policy drop; } }\n",
        );
        assert!(f.default_deny(4).is_some() && f.default_deny(6).is_some());
        // A prerouting drop denies too, whatever input says.
        let f = facts_of(
            "table inet a { chain p { type filter hook prerouting priority mangle; policy drop; } chain i { type filter hook input priority 0; policy accept; } }\n",
        );
        assert!(f.default_deny(4).is_some_and(|w| w.contains("policy drop")));
        // Before conntrack (raw priority) `ct state new` matches nothing.
        let pre = |prio: &str| {
            facts_of(&format!(
                "table inet a {{ chain p {{ type filter hook prerouting priority {prio}; policy accept; ct state new drop }} }}\n"
            ))
        };
        assert_eq!(pre("raw").default_deny(4), None);
        assert_eq!(pre("-300").default_deny(4), None);
        assert!(pre("mangle").default_deny(4).is_some());
        assert!(pre("filter - 10").default_deny(4).is_some());
        // Forward and output chains do not protect the station.
        let f = facts_of(
            "table inet a { chain f { type filter hook forward priority 0; policy drop; } chain i { type filter hook input priority 0; policy accept; } }\n",
        );
        assert_eq!(f.default_deny(4), None);
        // A policy drop never outweighs an earlier accept.
        let f = facts_of(
            "table inet a { chain i { type filter hook input priority 0; policy drop; counter accept } }\n",
        );
        assert_eq!(f.default_deny(6), None);
    }

    #[test]
    fn dormant_tables_are_not_loaded() {
        let c = parse(
            "table inet m { flags dormant\n chain i { type filter hook input priority 0; policy drop; } }\ntable inet f { chain i { type filter hook input priority 0; policy accept; } }\n",
            "x",
        );
        assert_eq!(c.chains.len(), 1);
        assert_eq!(c.chains[0].table, "f");
        assert_eq!(c.dormant, ["inet m (flags dormant)"]);
    }

    #[test]
    fn named_sets_resolve_from_the_file() {
        let text = "table inet t {\n set p { type inet_service; flags interval; elements = { 22, 1-65535 } }\n set s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 } }\n set d { type ipv4_addr; flags dynamic; }\n chain c {\n  type filter hook input priority 0; policy drop;\n  ip saddr @s accept\n  ip saddr @d accept\n  tcp dport @p accept\n }\n}\n";
        let conf = parse(text, "x");
        assert!(conf.errors.is_empty(), "{:?}", conf.errors);
        let f = FirewallFacts {
            chains: conf.chains,
            ..FirewallFacts::default()
        };
        assert!(
            matches!(f.inbound(4), Inbound::Admitted(ref w) if w.contains("1-65535")),
            "{:?}",
            f.inbound(4)
        );
    }

    #[test]
    fn files_nft_refuses() {
        let chain = |rules: &str| {
            format!(
                "table inet t {{\n chain c {{\n  type filter hook input priority 0; policy drop;\n  {rules}\n }}\n}}\n"
            )
        };
        for (text, what) in [
            (chain("tcp dport 22 acept"), "acept"),
            (chain("tcp dprot 22 accept"), "dprot"),
            (chain("ip saddr $ADMIN accept"), "$ADMIN"),
            (chain("jump vendor"), "vendor"),
            (chain("ip saddr @admins accept"), "@admins"),
            (chain("meta foo 1 accept"), "foo"),
            (chain("ct statee new accept"), "statee"),
            (chain("ct state neww accept"), "neww"),
            (
                "table inet t {\n chain c {\n  type filter hook input priority 0; policy drop;\n"
                    .to_string(),
                "never closed",
            ),
            (
                "table inet t { chain c { type filter hook input priority 0; policy block; } }\n"
                    .to_string(),
                "block",
            ),
            (
                "table inet t { chain c { type filter priority 0; } }\n".to_string(),
                "hook",
            ),
            (
                "table inet t { set p { type inet_service; elements = { 22, 6661-6663 } } }\n"
                    .to_string(),
                "interval",
            ),
            ("tabel inet t { }\n".to_string(), "tabel"),
            (
                "table inet t { chain c { comment \"unterminated\n } }\n".to_string(),
                "unterminated",
            ),
            ("add rule inet t c accept\n".to_string(), "does not exist"),
            (
                "table inet a { chain c { type filter hook input priority 0; } }\n".to_string(),
                "needs a newline",
            ),
            (
                "table inet a {\n chain c { type filter hook input priority 0; accept }\n}\n"
                    .to_string(),
                "needs a newline",
            ),
        ] {
            let c = parse(&text, "x");
            assert!(
                c.errors.iter().any(|e| e.contains(what)),
                "{text:?}: {:?}",
                c.errors
            );
        }
        for ok in [
            fixture!("inet-drop.nft"),
            fixture!("accept-all.nft"),
            fixture!("ipv4-only.nft"),
            fixture!("jump-reject.nft"),
            fixture!("nftables-debian-default.conf"),
        ] {
            assert!(
                parse(ok, "x").errors.is_empty(),
                "{ok}: {:?}",
                parse(ok, "x").errors
            );
        }
    }

    #[test]
    fn ten_thousand_rules() {
        let mut text = String::from(
            "table ip t {\n chain in {\n  type filter hook input priority 0; policy drop;\n",
        );
        for i in 0..10_000u32 {
            text.push_str(&format!(
                "  # rule {i}\n  udp dport {} counter packets 0 bytes 0 accept\n",
                1 + i
            ));
        }
        text.push_str(" }\n}\n");
        let c = parse(&text, "x");
        assert_eq!(c.chains[0].rules, 10_000);
        assert!(
            c.chains[0]
                .rule_summaries
                .iter()
                .all(|r| r.conditions.is_empty())
        );
    }
}
