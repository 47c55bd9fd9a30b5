//! Host firewall: which frontends are present (ufw, firewalld, nftables, iptables) and the
//! effective inbound ruleset, read live with `nft -j list ruleset` (which includes
//! iptables-nft), `iptables-save` as a fallback and for legacy tables, or, for an offline
//! tree, from the configuration each enabled frontend loads at boot.

pub mod frontends;
pub mod iptables_save;
pub mod nft_json;
pub mod nft_text;

use crate::host::{DEFAULT_TIMEOUT, Host, HostKind, RunStatus};
use crate::inspect::Unseen;
use crate::inspect::gap::FirewallGap;
use crate::inspect::network::Proto;
use serde::{Deserialize, Serialize};

/// A firewall frontend or backend found on the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backend {
    /// ufw | firewalld | nftables | iptables-nft | iptables-legacy | iptables-persistent
    pub name: String,
    /// What showed it: config files, units, the live ruleset.
    pub detected_by: Vec<String>,
    /// Whether it starts at boot (ufw.conf ENABLED, the systemd unit's enablement link);
    /// null when that could not be told.
    pub enabled: Option<bool>,
    /// Settings worth showing (default policies, zone, IPv6 switch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
    Jump,
    Goto,
    Return,
    Continue,
    Queue,
    /// Counts, logs or marks only: the packet goes on to the next rule.
    #[default]
    None,
}

impl Verdict {
    pub fn is_deny(self) -> bool {
        matches!(self, Verdict::Drop | Verdict::Reject)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Drop => "drop",
            Verdict::Reject => "reject",
            Verdict::Jump => "jump",
            Verdict::Goto => "goto",
            Verdict::Return => "return",
            Verdict::Continue => "continue",
            Verdict::Queue => "queue",
            Verdict::None => "continue (no verdict)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

impl PortRange {
    pub fn one(p: u16) -> PortRange {
        PortRange { from: p, to: p }
    }

    pub fn contains(&self, p: u16) -> bool {
        (self.from..=self.to).contains(&p)
    }
}

/// What a rule matches and does, as far as the coverage checks need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub verdict: Verdict,
    /// Chain jumped to (jump/goto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Layer-4 protocols matched (tcp, udp, icmp, ipv6-icmp, ...); empty = any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<String>,
    /// Destination ports matched; empty = any port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dports: Vec<PortRange>,
    /// Only packets arriving on the loopback interface (`iif lo`, `-i lo`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub loopback_only: bool,
    /// Connection-tracking states matched (`established`, `related`, `new`, ...); empty = any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ct_states: Vec<String>,
    /// 4 or 6 when the rule only matches one IP version (an `ip saddr` match in an inet table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<u8>,
    /// Every other match (source address, interface, rate limit, undecoded iptables match):
    /// the rule applies to some packets only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// How the matches kept only as `conditions` relate to the default-deny probe (see
    /// [`Reach`]); None when the parser did not classify them, and then any condition
    /// counts as "may match some".
    #[serde(skip)]
    pub reach: Option<Reach>,
    /// A construct the parser does not understand: what the rule does is not known.
    #[serde(skip)]
    pub opaque: Option<String>,
    /// Matches only connections a NAT statement translated (`ct status dnat`, iptables
    /// `--ctstate DNAT`): conntrack sets that status only when a `dnat`/`snat`/`redirect`/
    /// `masquerade` rule rewrote the connection, so without one in the ruleset it matches no
    /// new connection. Kept as a condition too (it may match when the ruleset translates).
    #[serde(skip)]
    pub after_nat: bool,
    /// The rule rewrites addresses or ports (`dnat`, `snat`, `redirect`, `masquerade`,
    /// iptables `-j DNAT` ...): connections it matches get a NAT conntrack status.
    #[serde(skip)]
    pub translates: bool,
}

/// How a rule's matches relate to the default-deny probe: a new inbound TCP or UDP
/// connection, arriving on a network (not loopback) interface, from a source address no rule
/// names, to a port no rule names. Ordered: the meet of two matches is the smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Reach {
    /// No such connection matches (`ip saddr 10.0.0.0/8`, `tcp dport 22`, `iif lo`).
    Never,
    /// Some may match, or we cannot tell (`limit rate 5/second`, `fib daddr type local`).
    Some,
    /// Every such connection matches (`ct state new`, `tcp dport != 22`, `ip saddr 0.0.0.0/0`).
    Every,
}

/// Whether new inbound connections to ports nothing allows are denied, for one IP version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Dropped or rejected, whatever their source: the reason.
    Denied(String),
    /// Some are accepted: the rule or policy that accepts them.
    Admitted(String),
    /// The ruleset holds something we cannot judge: what.
    Unknown(String),
}

/// Ports covered by a set of ranges (1..=65535; port 0 is never a connection's).
fn ports_covered(ranges: &[PortRange]) -> u32 {
    let mut r: Vec<(u32, u32)> = ranges
        .iter()
        .map(|p| (u32::from(p.from.max(1)), u32::from(p.to)))
        .filter(|(a, b)| a <= b)
        .collect();
    r.sort_unstable();
    let mut total = 0;
    let mut end = 0u32;
    for (a, b) in r {
        let a = a.max(end + 1);
        if b >= a {
            total += b - a + 1;
            end = b;
        }
    }
    total
}

/// A destination-port match as the probe sees it: every port → every connection; a range
/// wider than the well-known ports (more than 1024 ports) admits arbitrary ports, so it may
/// match; a narrower list names ports, and the probe's port is one no rule names.
pub fn ports_reach(ranges: &[PortRange]) -> Reach {
    match ports_covered(ranges) {
        65535.. => Reach::Every,
        1025.. => Reach::Some,
        _ => Reach::Never,
    }
}

fn proto_matches(p: &str, proto: &str) -> bool {
    let p = p.to_ascii_lowercase();
    p == proto
        || matches!(p.as_str(), "all" | "0" | "any")
        || (proto == "tcp" && p == "6")
        || (proto == "udp" && p == "17")
}

impl Rule {
    /// Records a match kept as a condition, with how it relates to the default-deny probe.
    pub fn condition(&mut self, text: String, reach: Reach) {
        self.conditions.push(text);
        self.narrow(reach);
    }

    /// Narrows the rule's reach by one more match.
    pub fn narrow(&mut self, reach: Reach) {
        self.reach = Some(self.reach.unwrap_or(Reach::Every).min(reach));
    }

    /// How this rule's matches relate to the default-deny probe over `proto` and `version`.
    pub fn probe_reach(&self, proto: &str, version: u8) -> Reach {
        if self.loopback_only || self.ip_version.is_some_and(|v| v != version) {
            return Reach::Never;
        }
        if !self.ct_states.is_empty() && !self.ct_states.iter().any(|s| s == "new") {
            return Reach::Never;
        }
        if !self.protocols.is_empty() && !self.protocols.iter().any(|p| proto_matches(p, proto)) {
            return Reach::Never;
        }
        let mut reach = self.reach.unwrap_or(if self.conditions.is_empty() {
            Reach::Every
        } else {
            Reach::Some
        });
        if !self.dports.is_empty() {
            reach = reach.min(ports_reach(&self.dports));
        }
        reach
    }

    /// Whether a new inbound connection from the network could match this rule at all.
    fn may_match_new(&self, version: u8) -> bool {
        !self.loopback_only
            && (self.ct_states.is_empty()
                || self
                    .ct_states
                    .iter()
                    .any(|s| s == "new" || s == "untracked"))
            && self.ip_version.is_none_or(|v| v == version)
    }

    /// Matches every new packet of this IP version (no protocol, port or other condition).
    pub fn unconditional(&self, version: u8) -> bool {
        self.may_match_new(version)
            && self.ct_states.is_empty()
            && self.protocols.is_empty()
            && self.dports.is_empty()
            && self.conditions.is_empty()
    }

    /// One line: `tcp dport 22,2575 accept`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.loopback_only {
            parts.push("iif lo".to_string());
        }
        if let Some(v) = self.ip_version {
            parts.push(if v == 4 { "ipv4".into() } else { "ipv6".into() });
        }
        if !self.ct_states.is_empty() {
            parts.push(format!("ct state {}", self.ct_states.join(",")));
        }
        if !self.protocols.is_empty() {
            parts.push(self.protocols.join(","));
        }
        if !self.dports.is_empty() {
            let ports: Vec<String> = self
                .dports
                .iter()
                .map(|r| {
                    if r.from == r.to {
                        r.from.to_string()
                    } else {
                        format!("{}-{}", r.from, r.to)
                    }
                })
                .collect();
            parts.push(format!("dport {}", ports.join(",")));
        }
        parts.extend(self.conditions.iter().cloned());
        parts.push(match (&self.target, self.verdict) {
            (Some(t), v) => format!("{} {t}", v.as_str()),
            (None, v) => v.as_str().to_string(),
        });
        parts.join(" ")
    }
}

/// A chain of the effective ruleset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// ip | ip6 | inet | arp | bridge | netdev
    pub family: String,
    pub table: String,
    pub name: String,
    /// Netfilter hook of a base chain (input, forward, output, prerouting, ...); null for a
    /// regular chain only reached by jump/goto.
    pub hook: Option<String>,
    /// Base-chain type: filter, nat, route (iptables: the table name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_type: Option<String>,
    /// accept | drop, for base chains.
    pub policy: Option<String>,
    /// Number of rules.
    pub rules: usize,
    #[serde(default)]
    pub rule_summaries: Vec<Rule>,
    /// Where it was read from (`nft -j list ruleset`, `/etc/nftables.conf`, ...).
    #[serde(default)]
    pub source: String,
    /// Base-chain priority (lower runs first); before conntrack (< -200) a packet has no
    /// connection state yet, so `ct` matches cannot match.
    #[serde(skip)]
    pub priority: Option<i64>,
}

/// nft's named priorities (ip, ip6, inet): `filter`, `raw - 10`, `-150`.
pub fn parse_priority(words: &[&str]) -> Option<i64> {
    let base = |w: &str| -> Option<i64> {
        Some(match w {
            "raw" => -300,
            "mangle" => -150,
            "dstnat" => -100,
            "filter" => 0,
            "security" => 50,
            "srcnat" => 100,
            n => n.parse().ok()?,
        })
    };
    match words {
        [w, "+", n, ..] => Some(base(w)? + n.parse::<i64>().ok()?),
        [w, "-", n, ..] => Some(base(w)? - n.parse::<i64>().ok()?),
        [w, ..] => {
            if let Some((a, b)) = w.split_once('+').filter(|(a, _)| !a.is_empty()) {
                return Some(base(a)? + b.parse::<i64>().ok()?);
            }
            if let Some((a, b)) = w.split_once('-').filter(|(a, _)| !a.is_empty()) {
                return Some(base(a)? - b.parse::<i64>().ok()?);
            }
            base(w)
        }
        [] => None,
    }
}

impl Chain {
    pub fn covers(&self, version: u8) -> bool {
        match self.family.as_str() {
            "inet" => true,
            "ip" => version == 4,
            "ip6" => version == 6,
            _ => false,
        }
    }

    fn is_input_filter(&self) -> bool {
        self.hook.as_deref() == Some("input")
            && self.chain_type.as_deref().is_none_or(|t| t == "filter")
    }

    pub fn label(&self) -> String {
        format!("{} {} {}", self.family, self.table, self.name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FirewallFacts {
    pub backends: Vec<Backend>,
    pub chains: Vec<Chain>,
    /// Where the chains came from, in the order read.
    #[serde(default)]
    pub sources: Vec<String>,
    /// False when IPv6 is off in the running kernel (then IPv6 needs no filtering); null
    /// when not known (offline image).
    #[serde(default)]
    pub ipv6_enabled: Option<bool>,
    /// Offline: why a frontend enabled at boot would load nothing (`nft -f` or
    /// `iptables-restore` refusing its file). Its rules are then not in `chains`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_errors: Vec<String>,
    pub unknown: Unseen<FirewallGap>,
}

/// How the inbound filter treats new connections to one port, for one IP version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortFate {
    /// Accepted by a rule naming the port (or a port range holding it).
    Allowed { rule: String },
    /// Accepted by a rule that names no port (`tcp accept`, `accept`).
    AcceptedBroadly { rule: String },
    /// Dropped or rejected, by a rule or the chain policy.
    Dropped { by: String },
    /// Reaches the socket: no rule decides and the policy accepts (or no input chain at all).
    Open { why: String },
}

/// The verdict for a port, with rules that might decide it for some sources only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortVerdict {
    pub fate: PortFate,
    /// Conditional rules that may accept it (`ip saddr 10.0.0.0/8 tcp dport 22 accept`).
    pub partial: Vec<String>,
}

/// Inbound default deny for one IP version: the reason when there is one.
impl FirewallFacts {
    pub fn input_chains(&self, version: u8) -> impl Iterator<Item = &Chain> {
        self.chains
            .iter()
            .filter(move |c| c.is_input_filter() && c.covers(version))
    }

    fn chain(&self, family: &str, table: &str, name: &str) -> Option<&Chain> {
        self.chains
            .iter()
            .find(|c| c.family == family && c.table == table && c.name == name)
    }

    /// `Some(reason)` when new inbound connections of this IP version to ports nothing allows
    /// are denied whatever their source (see [`FirewallFacts::inbound`]).
    pub fn default_deny(&self, version: u8) -> Option<String> {
        match self.inbound(version) {
            Inbound::Denied(why) => Some(why),
            _ => None,
        }
    }

    /// Base chains a new inbound packet of this IP version traverses: prerouting and input,
    /// in every table of its family and of `inet`.
    fn inbound_chains(&self, version: u8) -> impl Iterator<Item = &Chain> {
        self.chains.iter().filter(move |c| {
            matches!(c.hook.as_deref(), Some("input" | "prerouting")) && c.covers(version)
        })
    }

    /// Judges "a new inbound TCP/UDP connection to a port nothing allows, from any address"
    /// the way the kernel does: every base chain of the prerouting and input hooks sees the
    /// packet in turn, an accept only ends its own chain, a drop anywhere is final. So the
    /// connection is denied when some base chain drops every such packet, and admitted when
    /// every chain may accept one. Matches we cannot decide are assumed to match (for an
    /// accept) or not to match (for a drop).
    pub fn inbound(&self, version: u8) -> Inbound {
        let mut unknown = None;
        let mut admitted = None;
        for proto in ["tcp", "udp"] {
            let mut denied = None;
            let mut chain_unknown = None;
            let mut chain_accept = None;
            let mut chains = 0;
            for c in self.inbound_chains(version) {
                chains += 1;
                match self.base_chain(c, proto, version) {
                    ChainResult::Deny(why) => {
                        denied = Some(why);
                        break;
                    }
                    ChainResult::Unknown(why) => {
                        chain_unknown = chain_unknown.or(Some(why));
                    }
                    ChainResult::Admit(why) => chain_accept = chain_accept.or(Some(why)),
                }
            }
            if denied.is_some() {
                continue;
            }
            if let Some(why) = chain_unknown {
                unknown = unknown.or(Some(format!("{proto}: {why}")));
            } else if chains == 0 {
                admitted = admitted.or(Some("no inbound filter chain".to_string()));
            } else if let Some(why) = chain_accept {
                admitted = admitted.or(Some(format!("{proto} accepted by {why}")));
            }
        }
        if let Some(why) = admitted {
            return Inbound::Admitted(why);
        }
        if let Some(why) = unknown {
            return Inbound::Unknown(why);
        }
        // Both protocols denied: name the TCP reason (they are almost always the same).
        for c in self.inbound_chains(version) {
            if let ChainResult::Deny(why) = self.base_chain(c, "tcp", version) {
                return Inbound::Denied(why);
            }
        }
        Inbound::Unknown("no chain decided".into())
    }

    fn base_chain(&self, c: &Chain, proto: &str, version: u8) -> ChainResult {
        let before_ct = c.priority.is_some_and(|p| p < -200);
        let out = self.eval_chain(c, proto, version, 0, before_ct);
        let mut accept = out.accept;
        let mut drop = out.drop;
        if out.fallthrough {
            if c.policy.as_deref() == Some("drop") {
                drop = drop.or(Some(format!("{}: policy drop", c.label())));
            } else {
                accept = accept.or(Some(format!(
                    "{}: no rule decides and the policy accepts",
                    c.label()
                )));
            }
        }
        if let Some(why) = accept {
            ChainResult::Admit(why)
        } else if let Some(why) = out.unknown {
            ChainResult::Unknown(why)
        } else {
            ChainResult::Deny(drop.unwrap_or_else(|| format!("{}: drops", c.label())))
        }
    }

    /// Whether some rule may give a connection a NAT conntrack status: one that translates,
    /// or one we do not understand (it might).
    pub fn may_translate(&self) -> bool {
        self.chains
            .iter()
            .flat_map(|c| &c.rule_summaries)
            .any(|r| r.translates || r.opaque.is_some())
    }

    fn eval_chain(
        &self,
        c: &Chain,
        proto: &str,
        version: u8,
        depth: usize,
        before_ct: bool,
    ) -> Outcomes {
        let mut out = Outcomes::default();
        if depth > 16 {
            out.unknown = Some(format!("{}: jumps nest deeper than 16", c.label()));
            return out;
        }
        for r in &c.rule_summaries {
            let mut reach = r.probe_reach(proto, version);
            if r.after_nat && !self.may_translate() {
                reach = Reach::Never; // no rule translates: no connection has that status
            }
            if before_ct
                && (!r.ct_states.is_empty() || r.conditions.iter().any(|c| c.starts_with("ct ")))
            {
                reach = Reach::Never; // no conntrack entry yet: `ct` matches break
            }
            if reach == Reach::Never {
                continue;
            }
            let every = reach == Reach::Every;
            let text = || format!("{}: `{}`", c.label(), r.describe());
            if let Some(why) = &r.opaque {
                out.unknown
                    .get_or_insert_with(|| format!("{}: {why}", c.label()));
                continue;
            }
            match r.verdict {
                Verdict::Accept | Verdict::Queue => {
                    out.accept.get_or_insert_with(text);
                    if every {
                        return out;
                    }
                }
                Verdict::Drop | Verdict::Reject => {
                    out.drop.get_or_insert_with(|| {
                        if r.unconditional(version) {
                            format!("{}: unconditional {} rule", c.label(), r.verdict.as_str())
                        } else {
                            text()
                        }
                    });
                    if every {
                        return out;
                    }
                }
                Verdict::Return => {
                    out.fallthrough = true;
                    if every {
                        return out;
                    }
                }
                Verdict::Jump | Verdict::Goto => {
                    let next = r
                        .target
                        .as_deref()
                        .and_then(|t| self.chain(&c.family, &c.table, t));
                    let Some(next) = next else {
                        out.unknown.get_or_insert_with(|| {
                            format!(
                                "{}: {} to a chain that is not there",
                                c.label(),
                                r.verdict.as_str()
                            )
                        });
                        continue;
                    };
                    let sub = self.eval_chain(next, proto, version, depth + 1, before_ct);
                    if out.accept.is_none() {
                        out.accept = sub.accept;
                    }
                    if out.drop.is_none() {
                        out.drop = sub.drop;
                    }
                    if out.unknown.is_none() {
                        out.unknown = sub.unknown;
                    }
                    if r.verdict == Verdict::Goto {
                        // A return in the goto target returns from this chain.
                        out.fallthrough |= sub.fallthrough;
                        if every {
                            return out;
                        }
                    } else if every && !sub.fallthrough {
                        return out;
                    }
                }
                Verdict::Continue | Verdict::None => {}
            }
        }
        out.fallthrough = true;
        out
    }

    /// What happens to a new connection from the network to `port`/`proto` over this IP version.
    pub fn port_verdict(&self, proto: Proto, port: u16, version: u8) -> PortVerdict {
        let mut partial = Vec::new();
        let mut allowed = None;
        let mut broad = None;
        let mut chains = 0;
        for c in self.input_chains(version) {
            chains += 1;
            match self.walk(c, proto.as_str(), port, version, 0, &mut partial) {
                Walk::Deny(by) => {
                    return PortVerdict {
                        fate: PortFate::Dropped { by },
                        partial,
                    };
                }
                Walk::Accept(rule, true) => allowed = allowed.or(Some(rule)),
                Walk::Accept(rule, false) => broad = broad.or(Some(rule)),
                Walk::Fallthrough if c.policy.as_deref() == Some("drop") => {
                    return PortVerdict {
                        fate: PortFate::Dropped {
                            by: format!("{}: policy drop", c.label()),
                        },
                        partial,
                    };
                }
                Walk::Fallthrough => {}
            }
        }
        let fate = if let Some(rule) = allowed {
            PortFate::Allowed { rule }
        } else if let Some(rule) = broad {
            PortFate::AcceptedBroadly { rule }
        } else if chains == 0 {
            PortFate::Open {
                why: "no inbound filter chain".into(),
            }
        } else {
            PortFate::Open {
                why: "no rule matches and the input policy accepts".into(),
            }
        };
        PortVerdict { fate, partial }
    }

    fn walk(
        &self,
        c: &Chain,
        proto: &str,
        port: u16,
        version: u8,
        depth: usize,
        partial: &mut Vec<String>,
    ) -> Walk {
        if depth > 16 {
            return Walk::Fallthrough;
        }
        for r in &c.rule_summaries {
            if !r.may_match_new(version)
                || (!r.protocols.is_empty() && !r.protocols.iter().any(|p| p == proto))
                || (!r.dports.is_empty() && !r.dports.iter().any(|d| d.contains(port)))
            {
                continue;
            }
            let names_port = !r.dports.is_empty();
            let text = format!("{}: {}", c.label(), r.describe());
            if !r.conditions.is_empty() {
                if r.verdict == Verdict::Accept
                    || matches!(r.verdict, Verdict::Jump | Verdict::Goto)
                {
                    partial.push(text.clone());
                }
                // An accept limited to some sources still counts as the port being allowed on
                // purpose when it names the port.
                if r.verdict == Verdict::Accept && names_port {
                    return Walk::Accept(text, true);
                }
                continue;
            }
            match r.verdict {
                Verdict::Accept => return Walk::Accept(text, names_port),
                Verdict::Drop | Verdict::Reject => return Walk::Deny(text),
                Verdict::Return => return Walk::Fallthrough,
                Verdict::Jump | Verdict::Goto => {
                    let next = r
                        .target
                        .as_deref()
                        .and_then(|t| self.chain(&c.family, &c.table, t));
                    let result = next.map_or(Walk::Fallthrough, |n| {
                        self.walk(n, proto, port, version, depth + 1, partial)
                    });
                    if r.verdict == Verdict::Goto || !matches!(result, Walk::Fallthrough) {
                        return result;
                    }
                }
                Verdict::Queue => return Walk::Accept(text, false),
                Verdict::Continue | Verdict::None => {}
            }
        }
        Walk::Fallthrough
    }

    /// True when some chain filters something (a rule, or a policy other than accept).
    pub fn filters_anything(&self) -> bool {
        self.chains
            .iter()
            .any(|c| c.rules > 0 || c.policy.as_deref().is_some_and(|p| p != "accept"))
    }
}

/// What a chain may do with the probe: each verdict it may reach, with the first rule
/// reaching it, and whether the probe may fall off its end (or return).
#[derive(Debug, Default)]
struct Outcomes {
    accept: Option<String>,
    drop: Option<String>,
    unknown: Option<String>,
    fallthrough: bool,
}

enum ChainResult {
    Deny(String),
    Admit(String),
    Unknown(String),
}

enum Walk {
    Accept(String, bool),
    Deny(String),
    Fallthrough,
}

/// Well-known service names nft and iptables accept in place of port numbers.
pub fn service_port(name: &str) -> Option<u16> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    Some(match name {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "tftp" => 69,
        "http" | "www" => 80,
        "sunrpc" => 111,
        "ntp" => 123,
        "netbios-ns" => 137,
        "netbios-dgm" => 138,
        "netbios-ssn" => 139,
        "snmp" => 161,
        "https" => 443,
        "microsoft-ds" => 445,
        "exec" => 512,
        "login" => 513,
        "shell" | "syslog" => 514,
        "nfs" => 2049,
        "hl7" => 2575,
        "ms-wbt-server" => 3389,
        "vnc" => 5900,
        _ => return None,
    })
}

/// `22`, `135:139`, `6661-6663`, `ssh` → a port range.
pub fn parse_port_range(s: &str) -> Option<PortRange> {
    let s = s.trim();
    // Service names hold dashes too (`ms-wbt-server`): the whole word first.
    if let Some(p) = service_port(s) {
        return Some(PortRange::one(p));
    }
    if let Some((a, b)) = s.split_once([':', '-']) {
        let (from, to) = (service_port(a)?, service_port(b)?);
        return (from <= to).then_some(PortRange { from, to });
    }
    service_port(s).map(PortRange::one)
}

// ---- collection -------------------------------------------------------------------------

pub fn collect(host: &dyn Host) -> FirewallFacts {
    let (backends, unread) = frontends::detect(host);
    let mut facts = FirewallFacts {
        backends,
        ..FirewallFacts::default()
    };
    if !unread.is_empty() {
        // Offline, the frontends decide the ruleset (see `offline_ruleset`); live, only the
        // report's list of frontends is short.
        facts
            .unknown
            .insert(FirewallGap::Frontends, unread.join("; "));
    }
    let live = host.kind() == HostKind::Live;
    if live {
        facts.ipv6_enabled = Some(ipv6_enabled(host));
    }
    let nft = host.run(&["nft", "-j", "list", "ruleset"], DEFAULT_TIMEOUT);
    match (&nft.status, nft_json::parse(&nft.stdout)) {
        (RunStatus::Exited(0), Ok(ruleset)) => {
            facts.sources.push("nft -j list ruleset".into());
            let has_xt = ruleset.has_xt;
            facts.chains = ruleset.chains;
            if has_xt {
                enrich_from_iptables_save(host, &mut facts);
            }
            note_backend(&mut facts, "nftables", "nft -j list ruleset");
        }
        (RunStatus::Exited(0), Err(e)) => {
            facts.unknown.insert(
                FirewallGap::Ruleset,
                format!("could not parse `nft -j list ruleset` output: {e}"),
            );
            return facts;
        }
        (RunStatus::Exited(_), _) if is_permission_error(&nft.stderr) => {
            facts.unknown.insert(
                FirewallGap::Ruleset,
                format!(
                    "needs root to read the firewall ruleset (nft: {})",
                    first_line(&nft.stderr)
                ),
            );
            return facts;
        }
        (RunStatus::NotRun(_), _) => {
            // Offline tree without a captured ruleset: read what would be loaded at boot.
            offline_ruleset(host, &mut facts);
            return facts;
        }
        _ => {
            // nft missing or failing: the iptables view (nft or legacy backend, whichever
            // `iptables-save` is).
            if !iptables_fallback(host, &mut facts, &["iptables-save"], &["ip6tables-save"]) {
                let why = nft
                    .unusable_reason()
                    .unwrap_or_else(|| format!("nft failed: {}", first_line(&nft.stderr)));
                facts.unknown.insert(FirewallGap::Ruleset, why);
                return facts;
            }
        }
    }
    if live {
        legacy_tables(host, &mut facts);
    }
    facts
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

fn is_permission_error(stderr: &str) -> bool {
    stderr.contains("Operation not permitted")
        || stderr.contains("Permission denied")
        || stderr.contains("must be root")
}

fn note_backend(facts: &mut FirewallFacts, name: &str, by: &str) {
    if let Some(b) = facts.backends.iter_mut().find(|b| b.name == name) {
        if !b.detected_by.iter().any(|d| d == by) {
            b.detected_by.push(by.to_string());
        }
    } else {
        facts.backends.push(Backend {
            name: name.into(),
            detected_by: vec![by.into()],
            ..Backend::default()
        });
    }
}

fn ipv6_enabled(host: &dyn Host) -> bool {
    match host.read("/proc/sys/net/ipv6/conf/all/disable_ipv6") {
        Ok(f) => f.text.trim() != "1",
        Err(_) => false, // no IPv6 in this kernel (ipv6.disable=1)
    }
}

/// Runs `v4`/`v6` save commands and adds their chains. False when neither gave a ruleset.
fn iptables_fallback(host: &dyn Host, facts: &mut FirewallFacts, v4: &[&str], v6: &[&str]) -> bool {
    let mut any = false;
    // v4 and v6 are independent: run together, so a stuck one costs one timeout, not two.
    let runs = crate::host::run_all(host, &[v4, v6], DEFAULT_TIMEOUT);
    for ((argv, family), run) in [(v4, "ip"), (v6, "ip6")].into_iter().zip(runs) {
        if run.exited_with(&[0]) {
            any = true;
            let source = argv.join(" ");
            facts
                .chains
                .extend(iptables_save::parse(&run.stdout, family, &source));
            facts.sources.push(source);
        } else if run.status != RunStatus::Missing && is_permission_error(&run.stderr) {
            facts.unknown.insert(
                FirewallGap::Ruleset,
                format!(
                    "needs root to read the firewall ruleset ({}: {})",
                    argv.join(" "),
                    first_line(&run.stderr)
                ),
            );
        }
    }
    if any {
        facts.unknown.remove(&FirewallGap::Ruleset);
        let name = if v4.first().is_some_and(|p| p.contains("legacy")) {
            "iptables-legacy"
        } else {
            "iptables"
        };
        note_backend(facts, name, &v4.join(" "));
    }
    any
}

/// iptables-nft rules whose matches nft shows as opaque `xt` expressions (multiport,
/// conntrack) are read again from iptables-save, which prints them in full.
fn enrich_from_iptables_save(host: &dyn Host, facts: &mut FirewallFacts) {
    note_backend(
        facts,
        "iptables-nft",
        "nft -j list ruleset (xt expressions)",
    );
    let pairs = [(["iptables-save"], "ip"), (["ip6tables-save"], "ip6")];
    let runs = crate::host::run_all(host, &[&pairs[0].0, &pairs[1].0], DEFAULT_TIMEOUT);
    for ((argv, family), run) in pairs.into_iter().zip(runs) {
        if !run.exited_with(&[0]) {
            continue;
        }
        for saved in iptables_save::parse(&run.stdout, family, argv[0]) {
            if let Some(c) = facts.chains.iter_mut().find(|c| {
                c.family == saved.family && c.table == saved.table && c.name == saved.name
            }) && c.rules == saved.rules
            {
                c.rule_summaries = saved.rule_summaries;
                c.source = format!("{} + {}", c.source, argv[0]);
            }
        }
    }
}

/// Legacy x_tables live beside nftables and are invisible to `nft`: read them when the
/// kernel has legacy tables registered.
fn legacy_tables(host: &dyn Host, facts: &mut FirewallFacts) {
    let has = |p: &str| host.read(p).is_ok_and(|f| !f.text.trim().is_empty());
    if !has("/proc/net/ip_tables_names") && !has("/proc/net/ip6_tables_names") {
        return;
    }
    iptables_fallback(
        host,
        facts,
        &["iptables-legacy-save"],
        &["ip6tables-legacy-save"],
    );
}

/// Offline: each enabled frontend's boot-time configuration.
fn offline_ruleset(host: &dyn Host, facts: &mut FirewallFacts) {
    let mut skipped = Vec::new();
    // A frontend not seen, or a file of one not read: what loads at boot is not known.
    let mut unread: Vec<String> = facts
        .unknown
        .get(&FirewallGap::Frontends)
        .cloned()
        .into_iter()
        .collect();
    let backends = facts.backends.clone();
    for b in &backends {
        if b.enabled == Some(false) {
            skipped.push(format!("{} (configured but not enabled at boot)", b.name));
            continue;
        }
        let loaded = match b.name.as_str() {
            "nftables" => frontends::offline_nftables_loaded(host),
            "iptables-persistent" => frontends::offline_iptables_loaded(host),
            "ufw" => frontends::offline_ufw_loaded(host),
            "firewalld" => frontends::offline_firewalld_loaded(host),
            _ => continue,
        };
        facts.load_errors.extend(loaded.errors);
        unread.extend(loaded.unread);
        if let Some(first) = loaded.chains.first() {
            facts.sources.push(first.source.clone());
        }
        if let Some(fb) = facts.backends.iter_mut().find(|x| x.name == b.name) {
            fb.notes.extend(loaded.notes);
        }
        facts.chains.extend(loaded.chains);
    }
    if facts.chains.is_empty() && !skipped.is_empty() {
        facts
            .sources
            .push(format!("offline image: {}", skipped.join(", ")));
    }
    if !unread.is_empty() {
        facts.unknown.insert(
            FirewallGap::Ruleset,
            format!(
                "could not read the firewall configuration: {}",
                unread.join("; ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verdict: Verdict) -> Rule {
        Rule {
            verdict,
            ..Rule::default()
        }
    }

    fn chain(
        family: &str,
        name: &str,
        hook: Option<&str>,
        policy: Option<&str>,
        rules: Vec<Rule>,
    ) -> Chain {
        Chain {
            family: family.into(),
            table: "t".into(),
            name: name.into(),
            hook: hook.map(str::to_string),
            chain_type: hook.map(|_| "filter".to_string()),
            policy: policy.map(str::to_string),
            rules: rules.len(),
            rule_summaries: rules,
            source: "test".into(),
            priority: None,
        }
    }

    fn tcp(port: u16, verdict: Verdict) -> Rule {
        Rule {
            protocols: vec!["tcp".into()],
            dports: vec![PortRange::one(port)],
            ..rule(verdict)
        }
    }

    #[test]
    fn policy_drop_and_terminal_rules() {
        let f = FirewallFacts {
            chains: vec![
                chain(
                    "ip",
                    "in",
                    Some("input"),
                    Some("drop"),
                    vec![tcp(22, Verdict::Accept)],
                ),
                chain(
                    "ip6",
                    "in",
                    Some("input"),
                    Some("accept"),
                    vec![tcp(22, Verdict::Accept), rule(Verdict::Reject)],
                ),
            ],
            ..FirewallFacts::default()
        };
        assert!(f.default_deny(4).is_some_and(|w| w.contains("policy drop")));
        assert!(
            f.default_deny(6)
                .is_some_and(|w| w.contains("unconditional reject"))
        );
        assert_eq!(
            f.port_verdict(Proto::Tcp, 22, 6).fate,
            PortFate::Allowed {
                rule: "ip6 t in: tcp dport 22 accept".into()
            }
        );
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 23, 4).fate,
            PortFate::Dropped { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Udp, 22, 6).fate,
            PortFate::Dropped { .. }
        ));
    }

    #[test]
    fn accept_before_drop_is_not_default_deny() {
        let f = FirewallFacts {
            chains: vec![chain(
                "inet",
                "in",
                Some("input"),
                None,
                vec![rule(Verdict::Accept), rule(Verdict::Drop)],
            )],
            ..FirewallFacts::default()
        };
        assert_eq!(f.default_deny(4), None);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 80, 4).fate,
            PortFate::AcceptedBroadly { .. }
        ));
    }

    #[test]
    fn jumps_and_gotos_are_followed() {
        let f = FirewallFacts {
            chains: vec![
                chain(
                    "ip",
                    "in",
                    Some("input"),
                    Some("accept"),
                    vec![
                        Rule {
                            target: Some("user".into()),
                            ..rule(Verdict::Jump)
                        },
                        Rule {
                            target: Some("deny".into()),
                            ..rule(Verdict::Goto)
                        },
                    ],
                ),
                chain(
                    "ip",
                    "user",
                    None,
                    None,
                    vec![tcp(2575, Verdict::Accept), rule(Verdict::Return)],
                ),
                chain("ip", "deny", None, None, vec![rule(Verdict::Drop)]),
            ],
            ..FirewallFacts::default()
        };
        assert!(f.default_deny(4).is_some_and(|w| w.contains("deny")));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 2575, 4).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 4).fate,
            PortFate::Dropped { .. }
        ));
        assert_eq!(f.default_deny(6), None);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 6).fate,
            PortFate::Open { .. }
        ));
    }

    #[test]
    fn jump_loops_terminate() {
        let f = FirewallFacts {
            chains: vec![chain(
                "ip",
                "in",
                Some("input"),
                None,
                vec![Rule {
                    target: Some("in".into()),
                    ..rule(Verdict::Jump)
                }],
            )],
            ..FirewallFacts::default()
        };
        assert_eq!(f.default_deny(4), None);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 1, 4).fate,
            PortFate::Open { .. }
        ));
    }

    #[test]
    fn ports_and_service_names() {
        assert_eq!(
            parse_port_range("135:139"),
            Some(PortRange { from: 135, to: 139 })
        );
        assert_eq!(parse_port_range("ssh"), Some(PortRange::one(22)));
        assert_eq!(
            parse_port_range("ms-wbt-server"),
            Some(PortRange::one(3389))
        );
        assert_eq!(parse_port_range("9:1"), None);
        assert_eq!(parse_port_range("bogus"), None);
        assert_eq!(parse_port_range("70000"), None);
    }
}
