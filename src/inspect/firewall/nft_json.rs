//! `nft -j list ruleset` (libnftables JSON, schema version 1) → chains and rule summaries.

use super::{Chain, PortRange, Reach, Rule, Verdict, ports_reach, service_port};
use serde_json::Value;

pub const SOURCE: &str = "nft -j list ruleset";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NftRuleset {
    pub chains: Vec<Chain>,
    /// Some rule holds an `xt` expression: an iptables-nft match nft cannot show in full.
    pub has_xt: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NftJsonError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("no \"nftables\" array at the top level")]
    NoRuleset,
}

pub fn parse(text: &str) -> Result<NftRuleset, NftJsonError> {
    let v: Value = serde_json::from_str(text).map_err(|e| NftJsonError::NotJson(e.to_string()))?;
    let items = v
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or(NftJsonError::NoRuleset)?;
    let mut out = NftRuleset::default();
    // Named sets, to resolve `@name` in rules; dormant tables, whose chains see no packets.
    let mut sets: std::collections::BTreeMap<(String, String, String), Value> =
        std::collections::BTreeMap::new();
    let mut dormant = Vec::new();
    for item in items {
        if let Some(s) = item.get("set").or_else(|| item.get("map")) {
            let elements: Vec<Value> = s
                .get("elem")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            e.get("elem")
                                .and_then(|x| x.get("val"))
                                .unwrap_or(e)
                                .clone()
                        })
                        .collect()
                })
                .unwrap_or_default();
            sets.insert(
                (
                    text_of(s, "family"),
                    text_of(s, "table"),
                    text_of(s, "name"),
                ),
                serde_json::json!({ "set": elements }),
            );
        }
        if let Some(t) = item.get("table")
            && is_dormant(t.get("flags"), &text_of(t, "name"))
        {
            dormant.push((text_of(t, "family"), text_of(t, "name")));
        }
    }
    for item in items {
        if let Some(c) = item.get("chain") {
            out.chains.push(Chain {
                family: text_of(c, "family"),
                table: text_of(c, "table"),
                name: text_of(c, "name"),
                hook: c.get("hook").and_then(Value::as_str).map(str::to_string),
                chain_type: c.get("type").and_then(Value::as_str).map(str::to_string),
                policy: c.get("policy").and_then(Value::as_str).map(str::to_string),
                priority: c.get("prio").and_then(Value::as_i64),
                rules: 0,
                rule_summaries: Vec::new(),
                source: SOURCE.into(),
            });
        } else if let Some(r) = item.get("rule") {
            let (family, table, chain) = (
                text_of(r, "family"),
                text_of(r, "table"),
                text_of(r, "chain"),
            );
            let exprs = r
                .get("expr")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            let exprs: Vec<Value> = exprs
                .iter()
                .map(|e| resolve_sets(e, &family, &table, &sets))
                .collect();
            let mut rules = Vec::new();
            for branch in vmap_branches(&exprs) {
                let (rule, xt) = summarize(&branch);
                out.has_xt |= xt;
                rules.push(rule);
            }
            let existing = out
                .chains
                .iter_mut()
                .find(|c| c.family == family && c.table == table && c.name == chain);
            // nft lists a chain before its rules; a rule without one still counts.
            let target = match existing {
                Some(c) => c,
                None => {
                    out.chains.push(Chain {
                        family,
                        table,
                        name: chain,
                        source: SOURCE.into(),
                        ..Chain::default()
                    });
                    let last = out.chains.len() - 1;
                    &mut out.chains[last]
                }
            };
            target.rules += 1;
            target.rule_summaries.extend(rules);
        }
    }
    out.chains
        .retain(|c| !dormant.contains(&(c.family.clone(), c.table.clone())));
    Ok(out)
}

/// Table flags as `nft -j` prints them: `"dormant"` or a list holding it. nft 1.0.6 (Debian
/// 12) prints the table's own name instead of `dormant` in JSON (its text listing says
/// `flags dormant`; see tests/fixtures/firewall/nft-dormant-sets.json).
fn is_dormant(flags: Option<&Value>, table: &str) -> bool {
    let named = |v: &Value| v.as_str().is_some_and(|f| f == "dormant" || f == table);
    match flags {
        Some(Value::Array(a)) => a.iter().any(named),
        Some(v) => named(v),
        None => false,
    }
}

/// Replaces `"@name"` operands with the named set's elements (as an anonymous set).
fn resolve_sets(
    v: &Value,
    family: &str,
    table: &str,
    sets: &std::collections::BTreeMap<(String, String, String), Value>,
) -> Value {
    match v {
        Value::String(s) if s.starts_with('@') => sets
            .get(&(family.to_string(), table.to_string(), s[1..].to_string()))
            .filter(|set| set["set"].as_array().is_some_and(|a| !a.is_empty()))
            .cloned()
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| resolve_sets(x, family, table, sets))
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), resolve_sets(x, family, table, sets)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A rule with an anonymous verdict map, split into one expression list per branch:
/// `ct state vmap { established : accept }` → `ct state established accept`.
fn vmap_branches(exprs: &[Value]) -> Vec<Vec<Value>> {
    let at = exprs.iter().position(|e| {
        e.get("vmap")
            .and_then(|v| v.get("data"))
            .and_then(|d| d.get("set"))
            .is_some_and(Value::is_array)
    });
    let Some(i) = at else {
        return vec![exprs.to_vec()];
    };
    let vmap = &exprs[i]["vmap"];
    let key = vmap.get("key").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    for element in vmap["data"]["set"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
    {
        let Some([k, verdict]) = element.as_array().map(Vec::as_slice) else {
            continue;
        };
        let mut branch = exprs[..i].to_vec();
        branch.push(serde_json::json!({"match": {"op": "==", "left": key, "right": k}}));
        branch.push(verdict.clone());
        branch.extend(exprs[i + 1..].iter().cloned());
        out.extend(vmap_branches(&branch));
    }
    out
}

/// Folds a rule's expressions into a summary. Returns whether an `xt` expression was seen.
pub fn summarize(exprs: &[Value]) -> (Rule, bool) {
    let mut r = Rule::default();
    let mut xt = false;
    for e in exprs {
        let Some((key, body)) = e.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        match key.as_str() {
            "match" => match_expr(&mut r, body),
            "accept" => r.verdict = Verdict::Accept,
            "drop" => r.verdict = Verdict::Drop,
            "reject" => r.verdict = Verdict::Reject,
            "return" => r.verdict = Verdict::Return,
            "continue" => r.verdict = Verdict::Continue,
            "queue" => r.verdict = Verdict::Queue,
            "jump" | "goto" => {
                r.verdict = if key == "jump" {
                    Verdict::Jump
                } else {
                    Verdict::Goto
                };
                r.target = body
                    .get("target")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            "xt" => {
                xt = true;
                let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
                let name = body.get("name").and_then(Value::as_str).unwrap_or("?");
                match (kind, name) {
                    ("target", "REJECT") => r.verdict = Verdict::Reject,
                    ("target", "DROP") => r.verdict = Verdict::Drop,
                    ("target", "ACCEPT") => r.verdict = Verdict::Accept,
                    ("target", "LOG" | "NFLOG" | "MARK" | "CONNMARK") => {}
                    ("target", "DNAT" | "SNAT" | "MASQUERADE" | "REDIRECT" | "NETMAP") => {
                        r.translates = true;
                    }
                    ("match", "comment") => {}
                    _ => {
                        let what = format!("iptables {kind} {name} (not decoded by nft)");
                        r.opaque.get_or_insert_with(|| what.clone());
                        r.condition(what, Reach::Some);
                    }
                }
            }
            "counter" | "log" | "comment" | "mangle" | "notrack" | "set" | "nftrace" => {}
            "limit" | "quota" | "meter" | "ct count" => r.condition(key.clone(), Reach::Some),
            other => {
                // What a NAT statement does to the connection is not modelled either; it
                // also gives the connections it matches a NAT conntrack status.
                r.translates |= matches!(other, "dnat" | "snat" | "redirect" | "masquerade");
                r.opaque
                    .get_or_insert_with(|| format!("`{other}` statement not decoded"));
                r.condition(other.to_string(), Reach::Some);
            }
        }
    }
    (r, xt)
}

/// Whether a match operand is the whole address space (`0.0.0.0/0`, `::/0`).
fn whole_space(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            o.get("prefix")
                .and_then(|p| p.get("len"))
                .and_then(Value::as_u64)
                == Some(0)
                || o.get("set")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(whole_space))
        }
        Value::Array(a) => a.iter().any(whole_space),
        Value::String(s) => s == "0.0.0.0/0" || s == "::/0",
        _ => false,
    }
}

fn match_expr(r: &mut Rule, m: &Value) {
    let op = m.get("op").and_then(Value::as_str).unwrap_or("==");
    let left = m.get("left").unwrap_or(&Value::Null);
    let right = m.get("right").unwrap_or(&Value::Null);
    let positive = op == "==" || op == "in";
    let negative = op == "!=";
    let describe = || format!("{} {op} {}", compact(left), compact(right));
    if let Some(p) = left.get("payload") {
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("");
        let field = p.get("field").and_then(Value::as_str).unwrap_or("");
        if matches!(proto, "tcp" | "udp" | "sctp" | "dccp" | "udplite") {
            r.protocols = vec![proto.to_string()];
        }
        match (proto, field) {
            ("tcp" | "udp" | "sctp" | "dccp" | "udplite" | "th", "dport") if positive => {
                match ports(right) {
                    Some(p) => r.dports = p,
                    // A named set: the probe's port is one no rule names.
                    None => r.condition(describe(), Reach::Never),
                }
                return;
            }
            ("tcp" | "udp" | "sctp" | "dccp" | "udplite" | "th", "dport") if negative => {
                let reach = ports(right).map_or(Reach::Every, |p| {
                    if ports_reach(&p) == Reach::Never {
                        Reach::Every
                    } else {
                        Reach::Some
                    }
                });
                r.condition(describe(), reach);
                return;
            }
            ("tcp", "flags") => return, // every new connection starts with a SYN
            ("ip" | "ip6", "saddr") if positive || negative => {
                r.ip_version = Some(if proto == "ip" { 4 } else { 6 });
                let reach = if whole_space(right) == positive {
                    Reach::Every
                } else {
                    Reach::Never
                };
                r.condition(describe(), reach);
                return;
            }
            ("ip", "protocol") | ("ip6", "nexthdr") if positive => {
                r.ip_version = Some(if proto == "ip" { 4 } else { 6 });
                r.protocols = strings(right);
                return;
            }
            ("icmp", _) => r.protocols = vec!["icmp".into()],
            ("icmpv6", _) => r.protocols = vec!["ipv6-icmp".into()],
            ("ip", _) => r.ip_version = Some(4),
            ("ip6", _) => r.ip_version = Some(6),
            _ => {}
        }
        r.condition(describe(), Reach::Some);
        return;
    }
    if let Some(meta) = left.get("meta") {
        let key = meta.get("key").and_then(Value::as_str).unwrap_or("");
        match key {
            "l4proto" if positive => {
                // `meta l4proto tcp` beside a `tcp dport` match adds nothing.
                if r.protocols.is_empty() {
                    r.protocols = strings(right);
                }
                return;
            }
            "nfproto" if positive => {
                match right.as_str() {
                    Some("ipv4") => r.ip_version = Some(4),
                    Some("ipv6") => r.ip_version = Some(6),
                    _ => r.condition(describe(), Reach::Some),
                }
                return;
            }
            "iif" | "iifname" if positive && right.as_str() == Some("lo") => {
                r.loopback_only = true;
                return;
            }
            "iif" | "iifname" if negative && right.as_str() == Some("lo") => {
                r.condition(describe(), Reach::Every);
                return;
            }
            _ => {}
        }
        r.condition(describe(), Reach::Some);
        return;
    }
    if let Some(ct) = left.get("ct")
        && ct.get("key").and_then(Value::as_str) == Some("status")
        && positive
    {
        let statuses = strings(right);
        if !statuses.is_empty() && statuses.iter().all(|s| s == "dnat" || s == "snat") {
            r.after_nat = true;
        }
        r.condition(describe(), Reach::Some);
        return;
    }
    if let Some(ct) = left.get("ct")
        && ct.get("key").and_then(Value::as_str) == Some("state")
    {
        if positive {
            r.ct_states = strings(right);
            return;
        }
        if negative {
            let reach = if strings(right).iter().any(|s| s == "new") {
                Reach::Never
            } else {
                Reach::Every
            };
            r.condition(describe(), reach);
            return;
        }
    }
    r.condition(describe(), Reach::Some);
}

/// Port numbers, service names, ranges and anonymous sets; None for a named set or map.
fn ports(v: &Value) -> Option<Vec<PortRange>> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(|p| vec![PortRange::one(p)]),
        Value::String(s) => service_port(s).map(|p| vec![PortRange::one(p)]),
        Value::Object(o) => {
            if let Some(set) = o.get("set").and_then(Value::as_array) {
                let mut out = Vec::new();
                for item in set {
                    out.extend(ports(item)?);
                }
                Some(out)
            } else if let Some([a, b]) = o.get("range").and_then(Value::as_array).map(Vec::as_slice)
            {
                let (a, b) = (ports(a)?, ports(b)?);
                Some(vec![PortRange {
                    from: a.first()?.from,
                    to: b.first()?.to,
                }])
            } else {
                None
            }
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(ports(item)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.get("set").map(strings).unwrap_or_default(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// A short, readable rendering of a JSON expression operand for condition text.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => {
            if let Some(p) = o.get("payload") {
                format!("{} {}", text_of(p, "protocol"), text_of(p, "field"))
            } else if let Some(m) = o.get("meta") {
                format!("meta {}", text_of(m, "key"))
            } else if let Some(c) = o.get("ct") {
                format!("ct {}", text_of(c, "key"))
            } else if let Some(p) = o.get("prefix") {
                format!(
                    "{}/{}",
                    compact(p.get("addr").unwrap_or(&Value::Null)),
                    compact(p.get("len").unwrap_or(&Value::Null))
                )
            } else if let Some(s) = o.get("set") {
                format!("{{ {} }}", compact(s))
            } else if let Some(r) = o.get("range") {
                compact(r).replace(", ", "-")
            } else {
                o.keys().next().cloned().unwrap_or_default()
            }
        }
        Value::Array(a) => a.iter().map(compact).collect::<Vec<_>>().join(", "),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::firewall::{FirewallFacts, PortFate};
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
        let rs = parse(text).unwrap_or_else(|e| panic!("{e}"));
        FirewallFacts {
            chains: rs.chains,
            ..FirewallFacts::default()
        }
    }

    #[test]
    fn empty_ruleset_has_no_chains() {
        let rs = parse(fixture!("nft-empty.json")).unwrap_or_else(|e| panic!("{e}"));
        assert!(rs.chains.is_empty());
        assert!(!facts(fixture!("nft-empty.json")).filters_anything());
    }

    #[test]
    fn inet_drop_ruleset() {
        let f = facts(fixture!("nft-inet-drop.json"));
        assert_eq!(f.chains.len(), 3);
        let input = &f.chains[0];
        assert_eq!(
            (input.hook.as_deref(), input.policy.as_deref(), input.rules),
            (Some("input"), Some("drop"), 10)
        );
        assert!(f.default_deny(4).is_some() && f.default_deny(6).is_some());
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 6662, 6).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Udp, 123, 4).fate,
            PortFate::Allowed { .. }
        ));
        let ssh = f.port_verdict(Proto::Tcp, 22, 4);
        assert!(
            matches!(ssh.fate, PortFate::Allowed { ref rule } if rule.contains("10.20.0.0/24")),
            "{ssh:?}"
        );
        // The ssh rule names an IPv4 source: over IPv6 port 22 falls to the policy.
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 6).fate,
            PortFate::Dropped { .. }
        ));
        assert!(
            matches!(f.port_verdict(Proto::Tcp, 23, 4).fate, PortFate::Dropped { ref by } if by.contains("reject"))
        );
        let icmp = &input.rule_summaries[4];
        assert_eq!(
            (icmp.ip_version, icmp.protocols.as_slice()),
            (Some(4), ["icmp".to_string()].as_slice())
        );
    }

    #[test]
    fn accept_all_and_ipv4_only() {
        let f = facts(fixture!("nft-accept-all.json"));
        assert!(f.filters_anything());
        assert_eq!(f.default_deny(4), None);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 80, 4).fate,
            PortFate::Open { .. }
        ));
        let f = facts(fixture!("nft-ipv4-only.json"));
        assert!(f.default_deny(4).is_some());
        assert_eq!(f.default_deny(6), None);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 5900, 6).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 5900, 4).fate,
            PortFate::Dropped { .. }
        ));
    }

    #[test]
    fn jump_and_terminal_reject() {
        let f = facts(fixture!("nft-jump-reject.json"));
        assert!(f.default_deny(6).is_some_and(|w| w.contains("reject")));
        assert!(f.default_deny(4).is_some_and(|w| w.contains("policy drop")));
        assert!(matches!(
            f.port_verdict(Proto::Udp, 514, 6).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 4).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 2575, 4).fate,
            PortFate::Dropped { .. }
        ));
    }

    #[test]
    fn firewalld_ruleset_and_ct_status_dnat() {
        // firewalld's input chain accepts `ct status dnat` before its zones: no rule of the
        // stock ruleset translates, so no new connection has that status.
        let f = facts(fixture!("nft-firewalld.json"));
        assert!(f.default_deny(4).is_some_and(|w| w.contains("reject")));
        assert!(f.default_deny(6).is_some());
        // With a dnat rule anywhere (a firewalld forward-port), translated connections reach
        // that accept.
        let dnat = r#"{"nftables": [
          {"chain": {"family": "inet", "table": "t", "name": "in", "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
          {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [{"match": {"op": "in", "left": {"ct": {"key": "status"}}, "right": "dnat"}}, {"accept": null}]}},
          {"chain": {"family": "inet", "table": "t", "name": "fwd"}},
          {"rule": {"family": "inet", "table": "t", "chain": "fwd", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}}, {"dnat": {"addr": "10.0.0.1", "port": 80}}]}}
        ]}"#;
        let f = facts(dnat);
        assert!(f.default_deny(4).is_none());
        let no_dnat = dnat.replace(
            r#"{"dnat": {"addr": "10.0.0.1", "port": 80}}"#,
            r#"{"accept": null}"#,
        );
        assert!(facts(&no_dnat).default_deny(4).is_some());
        // Other statuses are not narrowed.
        let assured = no_dnat.replace(r#""right": "dnat""#, r#""right": "assured""#);
        assert!(facts(&assured).default_deny(4).is_none());
    }

    #[test]
    fn iptables_nft_xt_expressions() {
        let rs = parse(fixture!("nft-iptables-nft.json")).unwrap_or_else(|e| panic!("{e}"));
        assert!(rs.has_xt);
        let f = FirewallFacts {
            chains: rs.chains,
            ..FirewallFacts::default()
        };
        // The multiport accept is opaque here: it might accept any port, so nft's view
        // alone cannot show a default deny for IPv4 (the live scan re-reads iptables-save).
        assert!(
            matches!(f.inbound(4), crate::inspect::firewall::Inbound::Unknown(ref w) if w.contains("not decoded by nft")),
            "{:?}",
            f.inbound(4)
        );
        let saved = crate::inspect::firewall::iptables_save::parse(
            fixture!("iptables-nft-save.v4"),
            "ip",
            "iptables-save",
        );
        let mut decoded = f.clone();
        for c in &mut decoded.chains {
            if let Some(s) = saved
                .iter()
                .find(|s| s.family == c.family && s.name == c.name)
            {
                c.rule_summaries = s.rule_summaries.clone();
            }
        }
        assert!(
            decoded.default_deny(4).is_some(),
            "{:?}",
            decoded.inbound(4)
        );
        // ip6 INPUT ends in an xt REJECT target: a terminal reject.
        assert!(f.default_deny(6).is_some_and(|w| w.contains("reject")));
        // multiport is opaque in nft's JSON: 2575 is only partly visible.
        let hl7 = f.port_verdict(Proto::Tcp, 2575, 4);
        assert!(matches!(hl7.fate, PortFate::Dropped { .. }));
        assert!(hl7.partial.iter().any(|p| p.contains("multiport")));
    }

    #[test]
    fn verdict_maps_are_split_into_branches() {
        let rs = |expr: &str| {
            let json = format!(
                r#"{{"nftables": [{{"chain": {{"family": "inet", "table": "f", "name": "input", "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}}}, {{"rule": {{"family": "inet", "table": "f", "chain": "input", "expr": {expr}}}}}]}}"#
            );
            FirewallFacts {
                chains: parse(&json).unwrap_or_else(|e| panic!("{e}")).chains,
                ..FirewallFacts::default()
            }
        };
        // As `nft -j list ruleset` prints `ct state vmap { invalid : drop, established : accept, related : accept }`.
        let f = rs(
            r#"[{"vmap":{"key":{"ct":{"key":"state"}},"data":{"set":[["invalid",{"drop":null}],["established",{"accept":null}],["related",{"accept":null}]]}}}]"#,
        );
        assert_eq!(f.chains[0].rules, 1);
        assert_eq!(f.chains[0].rule_summaries.len(), 3);
        assert!(f.default_deny(4).is_some() && f.default_deny(6).is_some());
        let f = rs(
            r#"[{"vmap":{"key":{"meta":{"key":"l4proto"}},"data":{"set":[["tcp",{"accept":null}],["udp",{"accept":null}]]}}}]"#,
        );
        assert_eq!(f.default_deny(4), None);
    }

    #[test]
    fn dormant_tables_and_named_sets() {
        // Captured: dormant-sets.nft loaded with nft 1.0.6 and listed with `nft -j`.
        let rs = parse(fixture!("nft-dormant-sets.json")).unwrap_or_else(|e| panic!("{e}"));
        assert!(rs.chains.iter().all(|c| c.table == "b"), "{:?}", rs.chains);
        let f = FirewallFacts {
            chains: rs.chains,
            ..FirewallFacts::default()
        };
        // @s holds 0.0.0.0/0: every IPv4 source. @p holds 1024-65535: arbitrary ports.
        assert!(
            matches!(f.inbound(4), crate::inspect::firewall::Inbound::Admitted(ref w) if w.contains("0.0.0.0/0")),
            "{:?}",
            f.inbound(4)
        );
        assert!(
            matches!(f.inbound(6), crate::inspect::firewall::Inbound::Admitted(ref w) if w.contains("1024-65535")),
            "{:?}",
            f.inbound(6)
        );
        let text = crate::inspect::firewall::nft_text::parse(fixture!("dormant-sets.nft"), "x");
        assert!(text.errors.is_empty(), "{:?}", text.errors);
        assert_eq!(text.dormant, ["inet a (flags dormant)"]);
    }

    #[test]
    fn hostile_json() {
        assert!(parse("").is_err());
        assert!(parse("{\"nftables\": 3}").is_err());
        assert!(parse("{\"nftables\": [{\"metainfo\": {}}").is_err());
        assert!(parse("\u{FFFD}{}").is_err());
        // Unknown objects, rules without their chain, malformed expressions.
        let odd = r#"{"nftables":[{"set":{"name":"x"}},{"rule":{"family":"inet","table":"t","chain":"c","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":{"@":"ports"}}},{"accept":null},7,"x",{}]}},{"chain":{"family":"ip","name":5}}]}"#;
        let rs = parse(odd).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rs.chains.len(), 2);
        assert_eq!(rs.chains[0].rules, 1);
        assert_eq!(rs.chains[0].rule_summaries[0].protocols, ["tcp"]);
        assert!(rs.chains[0].rule_summaries[0].dports.is_empty());
        assert!(!rs.chains[0].rule_summaries[0].conditions.is_empty());
    }

    #[test]
    fn ten_thousand_rules() {
        let mut items = vec![r#"{"chain":{"family":"inet","table":"f","name":"input","hook":"input","type":"filter","policy":"drop"}}"#.to_string()];
        for i in 0..10_000u32 {
            items.push(format!(
                r#"{{"rule":{{"family":"inet","table":"f","chain":"input","expr":[{{"match":{{"op":"==","left":{{"payload":{{"protocol":"tcp","field":"dport"}}}},"right":{}}}}},{{"accept":null}}]}}}}"#,
                1 + i % 60_000
            ));
        }
        let text = format!("{{\"nftables\":[{}]}}", items.join(","));
        let f = facts(&text);
        assert_eq!(f.chains[0].rules, 10_000);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 10_000, 4).fate,
            PortFate::Allowed { .. }
        ));
    }
}
