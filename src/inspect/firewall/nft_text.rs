//! The nft text syntax of /etc/nftables.conf (offline images), read far enough for tables,
//! chains, hooks, policies and rule summaries: `table … { chain … { … } }` blocks, the
//! `add table/chain/rule` command forms, `define` variables and `include` lines.

use super::{Chain, PortRange, Rule, Verdict, parse_port_range};
use std::collections::BTreeMap;

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
    match rest.first().map(Tok::text).unwrap_or("") {
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
    out: NftConfig,
    source: String,
}

pub fn parse(text: &str, source: &str) -> NftConfig {
    let mut p = Parser {
        defines: BTreeMap::new(),
        out: NftConfig::default(),
        source: source.to_string(),
    };
    for stmt in statements(&tokenize(text)) {
        p.top(&stmt);
    }
    p.out
}

impl Parser {
    fn expand(&self, toks: &[Tok]) -> Vec<Tok> {
        let mut out = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) if w.starts_with('$') => match self.defines.get(&w[1..]) {
                    Some(v) => out.extend(v.iter().cloned()),
                    None => out.push(t.clone()),
                },
                t => out.push(t.clone()),
            }
        }
        out
    }

    fn top(&mut self, stmt: &[Tok]) {
        let words: Vec<&str> = stmt.iter().map(Tok::text).collect();
        match words.as_slice() {
            ["flush", "ruleset", ..] => self.out.chains.clear(),
            ["include", path, ..] => self.out.includes.push((*path).to_string()),
            ["define", name, "=", ..] => {
                let value = self.expand(&stmt[3..]);
                self.defines.insert((*name).to_string(), value);
            }
            ["table", ..] => self.table(&stmt[1..]),
            ["add" | "create", "table", ..] => self.table(&stmt[2..]),
            ["add" | "create", "chain", rest @ ..] => {
                let (family, table, used) = family_and_name(rest);
                let (header, body) = header_and_body(&stmt[2 + used..]);
                let name = header
                    .first()
                    .map(Tok::text)
                    .unwrap_or_default()
                    .to_string();
                self.chain(&family, &table, &name, body.unwrap_or(&[]));
            }
            ["add" | "insert", "rule", rest @ ..] => {
                let (family, table, used) = family_and_name(rest);
                let Some(chain) = rest.get(used).map(|s| (*s).to_string()) else {
                    return;
                };
                let mut body = &stmt[3 + used..];
                // `position N` / `index N` / `handle N` pick where the rule goes; order is
                // approximated (insert = first, add = last).
                while let [Tok::Word(k), _, tail @ ..] = body {
                    if matches!(k.as_str(), "position" | "index" | "handle") {
                        body = tail;
                    } else {
                        break;
                    }
                }
                let rule = summarize(&self.expand(body));
                let insert = words[0] == "insert";
                let c = self.chain_mut(&family, &table, &chain);
                c.rules += 1;
                if insert {
                    c.rule_summaries.insert(0, rule);
                } else {
                    c.rule_summaries.push(rule);
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
        for s in statements(body) {
            let (head, inner) = header_and_body(&s);
            // Sets, maps, flowtables, flags and comments say nothing about filtering.
            if head.first().map(Tok::text) == Some("chain") {
                let name = head.get(1).map(Tok::text).unwrap_or_default().to_string();
                self.chain(&family, &table, &name, inner.unwrap_or(&[]));
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

    fn chain(&mut self, family: &str, table: &str, name: &str, body: &[Tok]) {
        let body = self.expand(body);
        let mut rules = Vec::new();
        let mut hook = None;
        let mut chain_type = None;
        let mut policy = None;
        for s in statements(&body) {
            let words: Vec<&str> = s.iter().map(Tok::text).collect();
            match words.as_slice() {
                ["type", t, rest @ ..] => {
                    chain_type = Some((*t).to_string());
                    if let Some(i) = rest.iter().position(|w| *w == "hook") {
                        hook = rest.get(i + 1).map(|h| (*h).to_string());
                    }
                    // `type … priority 0 policy drop` on one line is not valid nft, but a
                    // trailing `policy` is harmless to accept.
                    if let Some(i) = rest.iter().position(|w| *w == "policy") {
                        policy = rest.get(i + 1).map(|p| (*p).to_string());
                    }
                }
                ["policy", p, ..] => policy = Some((*p).to_string()),
                ["comment", ..] | ["devices", ..] | ["device", ..] => {}
                _ => rules.push(summarize(&s)),
            }
        }
        let c = self.chain_mut(family, table, name);
        if hook.is_some() {
            c.hook = hook;
            c.chain_type = chain_type;
        }
        if policy.is_some() {
            c.policy = policy;
        } else if c.hook.is_some() && c.policy.is_none() {
            c.policy = Some("accept".into()); // nft's default for base chains
        }
        c.rules += rules.len();
        c.rule_summaries.extend(rules);
    }
}

/// Reads a value after a selector: `!= x`, `x`, `a,b`, `{ a, b }`. Returns the words and
/// whether the match was negated.
fn value(toks: &[Tok], i: &mut usize) -> (Vec<String>, bool) {
    let mut negated = false;
    while let Some(Tok::Word(w)) = toks.get(*i) {
        match w.as_str() {
            "!=" | "!" => negated = true,
            "==" | "eq" => {}
            _ => break,
        }
        *i += 1;
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
        _ => {}
    }
    (out, negated)
}

fn ports(words: &[String]) -> Option<Vec<PortRange>> {
    if words.is_empty() {
        return None;
    }
    words.iter().map(|w| parse_port_range(w)).collect()
}

/// Whether `summarize` has an arm for this word (other words become conditions).
fn is_known(w: &str, next: &str) -> bool {
    matches!(
        (w, next),
        ("tcp" | "udp" | "sctp" | "dccp" | "th", "dport")
            | ("meta", "l4proto" | "nfproto" | "iif" | "iifname")
            | ("ip", _)
            | ("ip6", _)
            | ("iif" | "iifname", _)
            | ("ct", "state")
            | ("icmp" | "icmpv6", _)
            | ("counter" | "log" | "comment", _)
            | (
                "accept" | "drop" | "return" | "continue" | "reject" | "queue" | "jump" | "goto",
                _
            )
    )
}

/// Summarizes one rule statement.
fn summarize(toks: &[Tok]) -> Rule {
    let mut r = Rule::default();
    let mut pending: Vec<String> = Vec::new();
    let mut i = 0;
    let flush = |pending: &mut Vec<String>, r: &mut Rule| {
        if !pending.is_empty() {
            r.conditions.push(pending.join(" "));
            pending.clear();
        }
    };
    while i < toks.len() {
        let w = toks[i].text().to_string();
        let next = toks.get(i + 1).map(Tok::text).unwrap_or("");
        i += 1;
        let known =
            !matches!(toks[i - 1], Tok::Open | Tok::Close | Tok::Comma) && is_known(&w, next);
        if known {
            flush(&mut pending, &mut r);
        }
        match (w.as_str(), next) {
            ("tcp" | "udp" | "sctp" | "dccp" | "th", "dport") => {
                i += 1;
                let (v, neg) = value(toks, &mut i);
                match ports(&v) {
                    Some(p) if !neg => {
                        if w != "th" {
                            r.protocols = vec![w.clone()];
                        }
                        r.dports = p;
                    }
                    _ => r.conditions.push(format!(
                        "{w} dport {}{}",
                        if neg { "!= " } else { "" },
                        v.join(",")
                    )),
                }
            }
            ("meta", "l4proto") | ("ip", "protocol") | ("ip6", "nexthdr") | ("meta", "nfproto") => {
                i += 1;
                let (v, neg) = value(toks, &mut i);
                if neg {
                    r.conditions.push(format!("{w} {next} != {}", v.join(",")));
                } else if next == "nfproto" {
                    r.ip_version = v.first().and_then(|f| match f.as_str() {
                        "ipv4" => Some(4),
                        "ipv6" => Some(6),
                        _ => None,
                    });
                } else {
                    if w == "ip" {
                        r.ip_version = Some(4);
                    } else if w == "ip6" {
                        r.ip_version = Some(6);
                    }
                    if r.protocols.is_empty() || w != "meta" {
                        r.protocols = v;
                    }
                }
            }
            ("ip" | "ip6", field) if !field.is_empty() => {
                i += 1;
                let (v, neg) = value(toks, &mut i);
                r.ip_version = Some(if w == "ip" { 4 } else { 6 });
                r.conditions.push(format!(
                    "{w} {field} {}{}",
                    if neg { "!= " } else { "" },
                    v.join(",")
                ));
            }
            ("meta", "iif" | "iifname") | ("iif" | "iifname", _) => {
                if w == "meta" {
                    i += 1;
                }
                let (v, neg) = value(toks, &mut i);
                if !neg && v == ["lo"] {
                    r.loopback_only = true;
                } else {
                    r.conditions.push(format!(
                        "iifname {}{}",
                        if neg { "!= " } else { "" },
                        v.join(",")
                    ));
                }
            }
            ("ct", "state") => {
                i += 1;
                let (v, neg) = value(toks, &mut i);
                if neg {
                    r.conditions.push(format!("ct state != {}", v.join(",")));
                } else {
                    r.ct_states = v;
                }
            }
            ("icmp" | "icmpv6", _) => {
                r.protocols = vec![if w == "icmp" {
                    "icmp".into()
                } else {
                    "ipv6-icmp".into()
                }];
                r.ip_version = Some(if w == "icmp" { 4 } else { 6 });
                pending.push(w);
            }
            ("counter", _) => {
                // counter [packets N bytes N]
                while matches!(toks.get(i).map(Tok::text), Some("packets" | "bytes")) {
                    i += 2;
                }
            }
            ("log" | "comment", _) => {
                // Their arguments are keyword/value pairs or a string; none changes the verdict.
                while let Some(t) = toks.get(i) {
                    let t = t.text();
                    if matches!(
                        t,
                        "prefix" | "level" | "group" | "snaplen" | "queue-threshold" | "flags"
                    ) {
                        i += 2;
                    } else if matches!(toks.get(i), Some(Tok::Str(_))) {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            ("accept" | "drop" | "return" | "continue", _) => {
                flush(&mut pending, &mut r);
                r.verdict = match w.as_str() {
                    "accept" => Verdict::Accept,
                    "drop" => Verdict::Drop,
                    "return" => Verdict::Return,
                    _ => Verdict::Continue,
                };
            }
            ("reject" | "queue", _) => {
                flush(&mut pending, &mut r);
                r.verdict = if w == "reject" {
                    Verdict::Reject
                } else {
                    Verdict::Queue
                };
                break; // the rest is the verdict's own arguments
            }
            ("jump" | "goto", target) => {
                flush(&mut pending, &mut r);
                r.verdict = if w == "jump" {
                    Verdict::Jump
                } else {
                    Verdict::Goto
                };
                r.target = Some(target.to_string());
                i += 1;
            }
            _ => pending.push(w),
        }
    }
    flush(&mut pending, &mut r);
    // Punctuation left in conditions is noise from unknown constructs.
    r.conditions.retain(|c| {
        !c.trim_matches(|ch: char| ch == '{' || ch == '}' || ch == ',' || ch == ';')
            .trim()
            .is_empty()
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::firewall::{FirewallFacts, PortFate};
    use crate::policy::Proto;

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
