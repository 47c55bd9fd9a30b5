//! `iptables-save` / `ip6tables-save` output (also /etc/iptables/rules.v4 and ufw's
//! user.rules, which are in the same iptables-restore format) → chains and rule summaries.

use super::{Chain, PortRange, Reach, Rule, Verdict, parse_port_range, ports_reach};

const BUILTIN: [&str; 5] = ["INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"];

/// The iptables tables' netfilter priorities (raw runs before conntrack).
fn table_priority(table: &str) -> i64 {
    match table {
        "raw" => -300,
        "mangle" => -150,
        "nat" => -100,
        "security" => 50,
        _ => 0,
    }
}

/// Parses one save file. `family` is "ip" for IPv4 files and "ip6" for IPv6 ones.
pub fn parse(text: &str, family: &str, source: &str) -> Vec<Chain> {
    let mut chains: Vec<Chain> = Vec::new();
    let mut table = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line == "COMMIT" {
            continue;
        }
        if let Some(t) = line.strip_prefix('*') {
            table = t.trim().to_string();
            continue;
        }
        if let Some(decl) = line.strip_prefix(':') {
            let mut f = decl.split_whitespace();
            let (Some(name), Some(policy)) = (f.next(), f.next()) else {
                continue;
            };
            let builtin = policy != "-";
            // Declaring a chain again (iptables-restore --noflush, as ufw-init loads its
            // files) sets a built-in chain's policy and flushes a user chain.
            if let Some(c) = chains
                .iter_mut()
                .find(|c| c.table == table && c.name == name)
            {
                if builtin {
                    c.policy = Some(policy.to_ascii_lowercase());
                } else {
                    c.rules = 0;
                    c.rule_summaries.clear();
                }
                continue;
            }
            let hook = builtin.then(|| name.to_ascii_lowercase());
            chains.push(Chain {
                family: family.into(),
                table: table.clone(),
                name: name.into(),
                hook,
                chain_type: builtin.then(|| {
                    if table == "filter" {
                        "filter".to_string()
                    } else {
                        table.clone()
                    }
                }),
                policy: builtin.then(|| policy.to_ascii_lowercase()),
                rules: 0,
                rule_summaries: Vec::new(),
                source: source.into(),
                priority: builtin.then_some(table_priority(&table)),
            });
            continue;
        }
        let words = split_words(line);
        let (Some(cmd), Some(chain)) = (words.first(), words.get(1)) else {
            continue;
        };
        if cmd != "-A" && cmd != "-I" {
            continue;
        }
        let rule = summarize(&words[2..], &chains, &table);
        let at = chains
            .iter()
            .position(|c| c.table == table && &c.name == chain);
        let idx = match at {
            Some(i) => i,
            None => {
                // A built-in chain exists (policy ACCEPT) without being declared.
                let builtin = BUILTIN.contains(&chain.as_str());
                chains.push(Chain {
                    family: family.into(),
                    table: table.clone(),
                    name: chain.clone(),
                    source: source.into(),
                    hook: builtin.then(|| chain.to_ascii_lowercase()),
                    chain_type: builtin.then(|| table.clone()),
                    policy: builtin.then(|| "accept".to_string()),
                    priority: builtin.then_some(table_priority(&table)),
                    ..Chain::default()
                });
                chains.len() - 1
            }
        };
        let c = &mut chains[idx];
        c.rules += 1;
        if cmd == "-I" {
            c.rule_summaries.insert(0, rule);
        } else {
            c.rule_summaries.push(rule);
        }
    }
    chains
}

/// Targets iptables-restore knows without a user chain of that name.
const TARGETS: [&str; 22] = [
    "ACCEPT",
    "DROP",
    "REJECT",
    "RETURN",
    "QUEUE",
    "NFQUEUE",
    "LOG",
    "NFLOG",
    "MARK",
    "CONNMARK",
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "REDIRECT",
    "TPROXY",
    "CT",
    "NOTRACK",
    "TCPMSS",
    "TRACE",
    "DSCP",
    "ULOG",
    "SYNPROXY",
];

/// Why `iptables-restore` would refuse this file (it then loads nothing from it): a table
/// without `COMMIT`, a line it cannot read, a rule for a chain or target that does not
/// exist. Empty when we see no reason.
pub fn restore_errors(text: &str) -> Vec<String> {
    restore_errors_with(text, &[])
}

/// [`restore_errors`] for a file loaded with `--noflush` on top of chains that already exist.
pub fn restore_errors_with(text: &str, existing: &[String]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut table: Option<String> = None;
    let mut chains: Vec<String> = Vec::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let n = n + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(t) = line.strip_prefix('*') {
            if let Some(open) = &table {
                errors.push(format!("line {n}: table {open} has no COMMIT before *{t}"));
            }
            table = Some(t.trim().to_string());
            chains = ["INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"]
                .map(String::from)
                .to_vec();
            chains.extend(existing.iter().cloned());
            pending.clear();
            continue;
        }
        if table.is_none() {
            errors.push(format!(
                "line {n}: `{line}` outside a table (no `*filter` line)"
            ));
            continue;
        }
        if line == "COMMIT" {
            for (at, target) in pending.drain(..) {
                if !chains.contains(&target) {
                    errors.push(format!(
                        "line {at}: target or chain `{target}` does not exist"
                    ));
                }
            }
            table = None;
            continue;
        }
        if let Some(decl) = line.strip_prefix(':') {
            if let Some(name) = decl.split_whitespace().next() {
                chains.push(name.to_string());
            }
            continue;
        }
        let words = split_words(line);
        match words.first().map(String::as_str) {
            Some("-A" | "--append" | "-I" | "--insert") => {
                if let Some(c) = words.get(1) {
                    pending.push((n, c.clone()));
                }
                if let Some(j) = words
                    .iter()
                    .position(|w| w == "-j" || w == "--jump" || w == "-g" || w == "--goto")
                    && let Some(t) = words.get(j + 1)
                    && !TARGETS.contains(&t.as_str())
                {
                    pending.push((n, t.clone()));
                }
            }
            Some("-N" | "--new-chain") => {
                if let Some(c) = words.get(1) {
                    chains.push(c.clone());
                }
            }
            Some("-P" | "--policy" | "-F" | "--flush" | "-X" | "--delete-chain" | "-Z") => {}
            _ => errors.push(format!("line {n}: iptables-restore cannot read `{line}`")),
        }
    }
    if let Some(open) = table {
        errors.push(format!("table {open} has no COMMIT line"));
    }
    errors
}

/// How one iptables match option relates to the default-deny probe (a new connection from
/// an address no rule names, to a port no rule names, on a network interface).
fn option_reach(option: &str, value: &str, negated: bool) -> Reach {
    let whole = value == "0.0.0.0/0" || value == "::/0";
    match option {
        "-s" | "--source" | "--src" => {
            if whole == negated {
                Reach::Never
            } else {
                Reach::Every
            }
        }
        "-d" | "--destination" | "--dst" if whole => {
            if negated {
                Reach::Never
            } else {
                Reach::Every
            }
        }
        "-i" | "--in-interface" if negated && value == "lo" => Reach::Every,
        "--dport" | "--destination-port" | "--dports" | "--destination-ports" if negated => {
            let ranges: Option<Vec<PortRange>> = value.split(',').map(parse_port_range).collect();
            match ranges {
                Some(p) if ports_reach(&p) == Reach::Never => Reach::Every,
                _ => Reach::Some,
            }
        }
        "--ctstate" | "--state" if negated => {
            if value.split(',').any(|s| s.eq_ignore_ascii_case("new")) {
                Reach::Never
            } else {
                Reach::Every
            }
        }
        // Every new TCP connection opens with a SYN.
        "--syn" | "--tcp-flags" => Reach::Every,
        _ => Reach::Some,
    }
}

/// Splits a rule line into words, honouring double quotes (`--comment "a b"`).
fn split_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn summarize(words: &[String], chains: &[Chain], table: &str) -> Rule {
    let mut r = Rule::default();
    let mut i = 0;
    let mut negate = false;
    let arg = |i: usize| words.get(i + 1).map_or("", String::as_str);
    while i < words.len() {
        let w = words[i].as_str();
        if w == "!" {
            negate = true;
            i += 1;
            continue;
        }
        let mut used = 2; // option and its value
        match w {
            "-p" | "--protocol" if !negate => {
                let p = arg(i).to_ascii_lowercase();
                r.protocols = vec![if p == "icmpv6" {
                    "ipv6-icmp".to_string()
                } else {
                    p
                }];
            }
            "--dport" | "--destination-port" | "--dports" | "--destination-ports" if !negate => {
                let ranges: Option<Vec<PortRange>> =
                    arg(i).split(',').map(parse_port_range).collect();
                match ranges {
                    Some(p) => r.dports = p,
                    None => r.condition(format!("{w} {}", arg(i)), Reach::Some),
                }
            }
            "-i" | "--in-interface" if !negate && arg(i) == "lo" => r.loopback_only = true,
            "--ctstate" | "--state" if !negate => {
                let states: Vec<String> = arg(i).split(',').map(str::to_ascii_lowercase).collect();
                // DNAT and SNAT are conntrack's virtual states (the connection was translated),
                // true beside NEW for a translated new connection: `--ctstate DNAT` matches
                // new connections when some rule translates them.
                let (virt, real): (Vec<String>, Vec<String>) =
                    states.into_iter().partition(|s| s == "dnat" || s == "snat");
                if virt.is_empty() || real.iter().any(|s| s == "new") {
                    r.ct_states = real;
                } else {
                    r.after_nat = true;
                    r.condition(format!("--ctstate {}", arg(i)), Reach::Some);
                }
            }
            "-m" | "--match" => {
                // The match's own options follow; only those that restrict traffic are kept.
                if !matches!(
                    arg(i),
                    "tcp"
                        | "udp"
                        | "multiport"
                        | "conntrack"
                        | "state"
                        | "comment"
                        | "icmp"
                        | "icmp6"
                ) {
                    r.condition(format!("-m {}", arg(i)), Reach::Some);
                }
            }
            "--comment" => {}
            "-j" | "--jump" | "-g" | "--goto" => {
                let t = arg(i);
                r.verdict = match t {
                    "ACCEPT" => Verdict::Accept,
                    "DROP" => Verdict::Drop,
                    "REJECT" => Verdict::Reject,
                    "RETURN" => Verdict::Return,
                    "QUEUE" | "NFQUEUE" => Verdict::Queue,
                    _ if chains.iter().any(|c| c.table == table && c.name == t)
                        || w.starts_with("-g")
                        || w == "--goto" =>
                    {
                        r.target = Some(t.to_string());
                        if w == "-g" || w == "--goto" {
                            Verdict::Goto
                        } else {
                            Verdict::Jump
                        }
                    }
                    _ => {
                        r.translates |=
                            matches!(t, "DNAT" | "SNAT" | "MASQUERADE" | "REDIRECT" | "NETMAP");
                        Verdict::None // LOG, MARK, DNAT, ...: no verdict
                    }
                };
                // Target options (--reject-with ...) end the interesting part.
                if r.verdict != Verdict::None {
                    break;
                }
            }
            _ if w.starts_with("--") || w.starts_with('-') => {
                let value = arg(i);
                let flag_only = value.starts_with('-') || value.is_empty() || w == "--syn";
                let reach = option_reach(w, if flag_only { "" } else { value }, negate);
                if flag_only {
                    used = 1;
                    r.condition(format!("{}{w}", if negate { "! " } else { "" }), reach);
                } else {
                    r.condition(
                        format!("{}{w} {value}", if negate { "! " } else { "" }),
                        reach,
                    );
                }
            }
            _ => used = 1, // stray word
        }
        negate = false;
        i += used;
    }
    r
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

    fn facts(v4: &str, v6: &str) -> FirewallFacts {
        let mut chains = parse(v4, "ip", "iptables-save");
        chains.extend(parse(v6, "ip6", "ip6tables-save"));
        FirewallFacts {
            chains,
            ..FirewallFacts::default()
        }
    }

    #[test]
    fn iptables_nft_save_decodes_multiport() {
        let f = facts(
            fixture!("iptables-nft-save.v4"),
            fixture!("iptables-nft-save.v6"),
        );
        let input = f
            .chains
            .iter()
            .find(|c| c.family == "ip" && c.name == "INPUT");
        assert_eq!(
            input.map(|c| (c.rules, c.policy.clone())),
            Some((6, Some("drop".into())))
        );
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 6662, 4).fate,
            PortFate::Allowed { .. }
        ));
        assert!(
            matches!(f.port_verdict(Proto::Tcp, 23, 4).fate, PortFate::Dropped { ref by } if by.contains("reject"))
        );
        assert!(f.default_deny(4).is_some());
        assert!(
            f.default_deny(6)
                .is_some_and(|w| w.contains("unconditional reject"))
        );
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 6).fate,
            PortFate::Allowed { .. }
        ));
    }

    #[test]
    fn legacy_save_with_user_chain_and_terminal_drop() {
        let f = facts(
            fixture!("iptables-legacy-save.v4"),
            fixture!("iptables-legacy-save.v6"),
        );
        assert!(
            f.default_deny(4)
                .is_some_and(|w| w.contains("unconditional drop"))
        );
        assert!(f.default_deny(6).is_some_and(|w| w.contains("policy drop")));
        let ssh = f.port_verdict(Proto::Tcp, 22, 4);
        assert!(
            matches!(ssh.fate, PortFate::Allowed { ref rule } if rule.contains("-s 10.20.0.0/24")),
            "{ssh:?}"
        );
        assert!(matches!(
            f.port_verdict(Proto::Udp, 161, 4).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 137, 4).fate,
            PortFate::Dropped { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 6).fate,
            PortFate::Dropped { .. }
        ));
    }

    fn judged(rules: &str) -> bool {
        let text =
            format!("*filter\n:INPUT DROP [0:0]\n:x - [0:0]\n{rules}\n-A x -j ACCEPT\nCOMMIT\n");
        assert!(restore_errors(&text).is_empty(), "{rules}");
        facts(&text, "").default_deny(4).is_some()
    }

    #[test]
    fn matches_judged_against_the_probe() {
        // With a DNAT rule in the nat table, `--ctstate DNAT` may match a new connection.
        let nat = "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT\n";
        assert!(restore_errors(nat).is_empty());
        assert!(facts(nat, "").default_deny(4).is_none());
        for admits in [
            "-A INPUT -m conntrack --ctstate NEW,DNAT -j ACCEPT",
            "-A INPUT -m state --state NEW -j ACCEPT",
            "-A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT",
            "-A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT",
            "-A INPUT ! -s 10.0.0.0/8 -j ACCEPT",
            "-A INPUT -s 0.0.0.0/0 -j ACCEPT",
            "-A INPUT -p tcp -m tcp ! --dport 22 -j ACCEPT",
            "-A INPUT -p tcp -m tcp --dport 1024:65535 -j ACCEPT",
            "-A INPUT -p tcp --syn -j ACCEPT",
            "-A INPUT ! -i lo -j ACCEPT",
            "-A INPUT -i eth0 -j ACCEPT",
            "-A INPUT -m limit --limit 5/sec -j ACCEPT",
            "-A INPUT -p tcp --sport 22 -j ACCEPT",
            "-A INPUT -j LOG --log-prefix \"x\"\n-A INPUT -j ACCEPT",
            "-A INPUT -j x",
        ] {
            assert!(!judged(admits), "{admits}");
        }
        for narrows in [
            // conntrack's virtual DNAT state: only connections a DNAT rule translated, and
            // no rule here translates.
            "-A INPUT -m conntrack --ctstate DNAT -j ACCEPT",
            "-A INPUT -m conntrack --ctstate ESTABLISHED,DNAT -j ACCEPT",
            "-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT",
            "-A INPUT -s 10.0.0.0/8 -j ACCEPT",
            "-A INPUT -i lo -j ACCEPT",
            "-A INPUT -p tcp -m multiport --dports 22,2575 -j ACCEPT",
            "-A INPUT -p icmp -j ACCEPT",
            "-A INPUT -p tcp ! --dport 22 -j DROP\n-A INPUT -p udp ! --dport 123 -j DROP\n-A INPUT -j ACCEPT",
        ] {
            assert!(judged(narrows), "{narrows}");
        }
    }

    #[test]
    fn files_iptables_restore_refuses() {
        let ok = "*filter\n:INPUT DROP [0:0]\n:x - [0:0]\n-A INPUT -j x\n-A FORWARD -j LOG\n-A x -p tcp --dport 22 -j ACCEPT\nCOMMIT\n";
        assert!(restore_errors(ok).is_empty());
        assert!(restore_errors(fixture!("iptables-nft-save.v4")).is_empty());
        assert!(restore_errors(fixture!("iptables-legacy-save.v6")).is_empty());
        for (text, what) in [
            (
                "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\n",
                "no COMMIT",
            ),
            ("*filter\n-A INPUT -j vendor\nCOMMIT\n", "vendor"),
            ("*filter\n-A ufw-input -j ACCEPT\nCOMMIT\n", "ufw-input"),
            ("*filter\nallow tcp 22\nCOMMIT\n", "cannot read"),
            ("-A INPUT -j ACCEPT\n", "outside a table"),
            ("*filter\n*nat\nCOMMIT\n", "no COMMIT"),
        ] {
            let e = restore_errors(text);
            assert!(e.iter().any(|x| x.contains(what)), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn hostile_lines() {
        assert!(parse("", "ip", "x").is_empty());
        let text = "*filter\n:INPUT\n:INPUT DROP [0:0]\n-A\n-A INPUT ! -p tcp -j ACCEPT\n-A INPUT -p tcp --dport nonsense -j ACCEPT\n-A INPUT -m comment --comment \"ssh \\\"x\\\" in\" -p tcp --dport 22 -j ACCEPT extra words\n-A NEWCHAIN -j DROP\n\u{FFFD}\u{FFFD}\n-A INPUT -j LOG --log-prefix \"x\"\nCOMMIT\n";
        let chains = parse(text, "ip", "x");
        assert_eq!(chains.len(), 2);
        let input = &chains[0];
        assert_eq!(input.rules, 4);
        assert!(
            input.rule_summaries[0]
                .conditions
                .iter()
                .any(|c| c.contains("! -p tcp"))
        );
        assert!(
            input.rule_summaries[1].dports.is_empty()
                && !input.rule_summaries[1].conditions.is_empty()
        );
        assert_eq!(input.rule_summaries[2].dports, [PortRange::one(22)]);
        assert!(input.rule_summaries[2].conditions.is_empty());
        assert_eq!(input.rule_summaries[3].verdict, Verdict::None);
    }

    #[test]
    fn ten_thousand_rules() {
        let mut text = String::from("*filter\n:INPUT DROP [0:0]\n");
        for i in 0..10_000u32 {
            text.push_str(&format!(
                "-A INPUT -p udp -m udp --dport {} -j ACCEPT\n",
                1 + i
            ));
        }
        let chains = parse(&text, "ip", "x");
        assert_eq!(chains[0].rules, 10_000);
    }
}
