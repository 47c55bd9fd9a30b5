//! Checks over the host firewall: loaded, default-deny inbound for IPv4 and IPv6, IPv6 no
//! weaker than IPv4, and every network listener either allowed on purpose or dropped.

use super::network::{allowed_by_policy, network_evidence};
use super::{Area, CheckContext, Finding, Status};
use crate::host::Evidence;
use crate::inspect::Facts;
use crate::inspect::firewall::{FirewallFacts, Inbound, PortFate};
use crate::inspect::gap::{FirewallGap, NetworkGap};
use crate::inspect::network::Listener;
use crate::policy::{Policy, Proto};
use std::collections::BTreeSet;

const IDS: [&str; 4] = [
    "firewall.active",
    "firewall.default_deny_inbound",
    "firewall.ipv6_parity",
    "firewall.listeners_covered",
];

pub fn evaluate(facts: &Facts, policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let fw = &facts.firewall;
    let evidence: Vec<Evidence> = facts
        .evidence
        .get(&Area::Firewall)
        .cloned()
        .unwrap_or_default();
    if let Some(why) = fw.unknown.get(&FirewallGap::Ruleset) {
        return IDS
            .iter()
            .map(|id| Finding::unknown(id, why.clone()).with_evidence(evidence.clone()))
            .collect();
    }
    let mut with_net = evidence.clone();
    with_net.extend(network_evidence(facts));
    vec![
        active(facts, ctx).with_evidence(evidence.clone()),
        default_deny(fw, ctx).with_evidence(evidence.clone()),
        ipv6_parity(fw, facts).with_evidence(evidence),
        listeners_covered(facts, policy).with_evidence(with_net),
    ]
}

fn ipv6_off(fw: &FirewallFacts) -> bool {
    fw.ipv6_enabled == Some(false)
}

fn sources(fw: &FirewallFacts) -> String {
    if fw.sources.is_empty() {
        "no ruleset source".into()
    } else {
        fw.sources.join(", ")
    }
}

fn chain_lines(fw: &FirewallFacts) -> Vec<String> {
    // Base chains and chains holding rules; empty helper chains (ufw has many) are noise.
    fw.chains
        .iter()
        .filter(|c| c.hook.is_some() || c.rules > 0)
        .map(|c| {
            let hook = c
                .hook
                .as_deref()
                .map_or(String::new(), |h| format!(" hook {h}"));
            let policy = c
                .policy
                .as_deref()
                .map_or(String::new(), |p| format!(" policy {p}"));
            format!(
                "{}{hook}{policy}: {} rule(s) [{}]",
                c.label(),
                c.rules,
                c.source
            )
        })
        .collect()
}

fn backend_lines(facts: &Facts) -> Vec<String> {
    let mut out: Vec<String> = facts
        .firewall
        .backends
        .iter()
        .map(|b| {
            let enabled = match b.enabled {
                Some(true) => "enabled at boot",
                Some(false) => "not enabled at boot",
                None => "enablement unknown",
            };
            let notes = if b.notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", b.notes.join(", "))
            };
            format!(
                "frontend {}: {enabled}{notes}; seen in {}",
                b.name,
                b.detected_by.join(", ")
            )
        })
        .collect();
    for pkg in [
        "nftables",
        "iptables",
        "ufw",
        "firewalld",
        "iptables-persistent",
        "iptables-services",
    ] {
        if facts.packages.is_installed(pkg)
            && !facts.firewall.backends.iter().any(|b| b.name == pkg)
        {
            out.push(format!("package {pkg} installed"));
        }
    }
    out
}

/// Offline: a rule holding a construct we do not understand. nft might refuse the whole
/// file for it, so whether anything loads at boot is not known.
fn unsure_construct(fw: &FirewallFacts, ctx: &CheckContext) -> Option<String> {
    if ctx.live {
        return None; // the kernel already accepted the live ruleset
    }
    fw.chains.iter().find_map(|c| {
        c.rule_summaries
            .iter()
            .find_map(|r| r.opaque.as_ref())
            .map(|o| format!("{} ({}): {o}", c.label(), c.source))
    })
}

fn load_error_lines(fw: &FirewallFacts) -> Vec<String> {
    fw.load_errors
        .iter()
        .map(|e| format!("would not load at boot: {e}"))
        .collect()
}

fn active(facts: &Facts, ctx: &CheckContext) -> Finding {
    const ID: &str = "firewall.active";
    let fw = &facts.firewall;
    let rules: usize = fw.chains.iter().map(|c| c.rules).sum();
    let mut details = load_error_lines(fw);
    details.extend(chain_lines(fw));
    details.extend(backend_lines(facts));
    if fw.filters_anything() {
        if let Some(what) = unsure_construct(fw, ctx) {
            return Finding::unknown(
                ID,
                format!(
                    "cannot tell whether the firewall configuration loads at boot: unsupported construct in {what}"
                ),
            )
            .with_details(details);
        }
        let how = if ctx.live {
            "loaded"
        } else {
            "configured to load at boot (offline image)"
        };
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "firewall ruleset {how}: {} chain(s), {rules} rule(s), from {}",
                fw.chains.len(),
                sources(fw)
            ),
        )
        .with_details(details)
    } else if let Some(e) = fw.load_errors.first() {
        Finding::new(
            ID,
            Status::Fail,
            format!("no firewall loads at boot: the configuration would be refused ({e})"),
        )
        .with_details(details)
    } else if !fw.chains.is_empty() {
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "firewall ruleset present but filters nothing: {} empty chain(s) with accept policy",
                fw.chains.len()
            ),
        )
        .with_details(details)
    } else {
        let why = if ctx.live {
            "no firewall ruleset is loaded".to_string()
        } else if fw.backends.is_empty() {
            "no firewall configuration found in the image".to_string()
        } else {
            format!("no firewall loads at boot ({})", sources(fw))
        };
        Finding::new(ID, Status::Fail, why).with_details(details)
    }
}

fn default_deny(fw: &FirewallFacts, ctx: &CheckContext) -> Finding {
    const ID: &str = "firewall.default_deny_inbound";
    let v4 = fw.inbound(4);
    let v6 = if ipv6_off(fw) {
        Inbound::Denied("IPv6 is disabled in the kernel".to_string())
    } else {
        fw.inbound(6)
    };
    let line = |name: &str, v: &Inbound| match v {
        Inbound::Denied(why) => format!("{name}: denied by default ({why})"),
        Inbound::Admitted(why) => format!(
            "{name}: NOT denied by default: a new connection to a port nothing allows is accepted ({why})"
        ),
        Inbound::Unknown(why) => format!("{name}: cannot tell ({why})"),
    };
    let mut details = load_error_lines(fw);
    details.push(line("IPv4", &v4));
    details.push(line("IPv6", &v6));
    let not_loaded = fw
        .load_errors
        .first()
        .map(|e| format!(" (the firewall configuration would not load at boot: {e})"))
        .unwrap_or_default();
    let admitted = |v: &Inbound| matches!(v, Inbound::Admitted(_));
    let finding = match (&v4, &v6) {
        (Inbound::Denied(_), Inbound::Denied(_)) => {
            if let Some(what) = unsure_construct(fw, ctx) {
                return Finding::unknown(
                    ID,
                    format!(
                        "cannot tell whether the firewall configuration loads at boot: unsupported construct in {what}"
                    ),
                )
                .with_details(details);
            }
            Finding::new(
                ID,
                Status::Pass,
                "inbound traffic is denied by default for IPv4 and IPv6",
            )
        }
        (a, b) if admitted(a) && admitted(b) => Finding::new(
            ID,
            Status::Fail,
            format!("inbound traffic is not denied by default, for IPv4 or IPv6{not_loaded}"),
        ),
        (a, _) if admitted(a) => Finding::new(
            ID,
            Status::Fail,
            format!("inbound IPv4 traffic is not denied by default{not_loaded}"),
        ),
        (_, b) if admitted(b) => Finding::new(
            ID,
            Status::Fail,
            format!("inbound IPv6 traffic is not denied by default{not_loaded}"),
        ),
        (Inbound::Unknown(why), _) | (_, Inbound::Unknown(why)) => Finding::unknown(
            ID,
            format!("cannot tell whether inbound traffic is denied by default: {why}"),
        ),
        _ => Finding::unknown(
            ID,
            "cannot tell whether inbound traffic is denied by default",
        ),
    };
    finding.with_details(details)
}

/// Ports worth comparing across IP versions: every port a rule names, and every listener.
fn probe_ports(facts: &Facts) -> BTreeSet<(Proto, u16)> {
    let mut out = BTreeSet::new();
    for c in &facts.firewall.chains {
        for r in &c.rule_summaries {
            let protos: Vec<Proto> = if r.protocols.is_empty() {
                vec![Proto::Tcp, Proto::Udp]
            } else {
                [Proto::Tcp, Proto::Udp]
                    .into_iter()
                    .filter(|p| r.protocols.iter().any(|x| x == p.as_str()))
                    .collect()
            };
            for p in protos {
                for d in &r.dports {
                    out.insert((p, d.from));
                    out.insert((p, d.to));
                }
            }
        }
    }
    for l in &facts.network.listeners {
        out.insert((l.proto, l.port));
    }
    out
}

fn is_open(f: &PortFate) -> bool {
    !matches!(f, PortFate::Dropped { .. })
}

fn ipv6_parity(fw: &FirewallFacts, facts: &Facts) -> Finding {
    const ID: &str = "firewall.ipv6_parity";
    if ipv6_off(fw) {
        return Finding::new(
            ID,
            Status::Pass,
            "IPv6 is disabled in the kernel: nothing to filter",
        );
    }
    if !fw.filters_anything() {
        return Finding::new(
            ID,
            Status::NotApplicable,
            "no firewall rules for either IP version (see firewall.active)",
        );
    }
    let (v4, v6) = (fw.default_deny(4), fw.default_deny(6));
    let mut details = Vec::new();
    if v4.is_some() && v6.is_none() {
        details.push("IPv4 denies inbound by default; IPv6 does not".to_string());
    }
    for (proto, port) in probe_ports(facts) {
        let f4 = fw.port_verdict(proto, port, 4).fate;
        let f6 = fw.port_verdict(proto, port, 6).fate;
        if is_open(&f6) && !is_open(&f4) {
            details.push(format!(
                "{port}/{}: open over IPv6, dropped over IPv4",
                proto.as_str()
            ));
        }
    }
    if details.is_empty() {
        let how = match (&v4, &v6) {
            (Some(_), Some(_)) => "both deny by default",
            (None, Some(_)) => "IPv6 denies by default, IPv4 does not",
            _ => "neither denies by default (see firewall.default_deny_inbound)",
        };
        Finding::new(
            ID,
            Status::Pass,
            format!("IPv6 is filtered at least as strictly as IPv4: {how}"),
        )
    } else {
        Finding::new(
            ID,
            Status::Warn,
            format!("IPv6 is filtered less strictly than IPv4: {}", details[0]),
        )
        .with_details(details)
    }
}

/// The IP versions a listener receives: a `::` socket also gets IPv4 unless IPV6_V6ONLY.
fn versions(l: &Listener, fw: &FirewallFacts) -> Vec<u8> {
    let mapped_v4 = l.address.starts_with("::ffff:") && l.address.contains('.');
    let mut out = if l.ip_version == 4 || mapped_v4 {
        vec![4]
    } else if l.dual_stack {
        vec![6, 4]
    } else {
        vec![6]
    };
    if ipv6_off(fw) {
        out.retain(|v| *v == 4);
    }
    out
}

fn listeners_covered(facts: &Facts, policy: &Policy) -> Finding {
    const ID: &str = "firewall.listeners_covered";
    if let Some(why) = facts.network.unknown.get(&NetworkGap::Listeners) {
        return Finding::unknown(ID, format!("listeners not known: {why}"));
    }
    let fw = &facts.firewall;
    let mut gaps = Vec::new();
    let mut gap_ports = Vec::new();
    let mut ok = Vec::new();
    for l in facts.network.listeners.iter().filter(|l| !l.loopback) {
        let mut problems = Vec::new();
        let mut fine = Vec::new();
        for v in versions(l, fw) {
            let verdict = fw.port_verdict(l.proto, l.port, v);
            let ip = if v == 4 { "IPv4" } else { "IPv6" };
            match verdict.fate {
                PortFate::Dropped { by } => fine.push(format!("{ip} dropped ({by})")),
                PortFate::Allowed { rule } => match allowed_by_policy(l, &policy.allowed_listeners)
                {
                    Some(false) => problems.push(format!(
                        "{ip} allowed by `{rule}` but not in the site allow-list"
                    )),
                    Some(true) => fine.push(format!("{ip} allowed by `{rule}`")),
                    None => fine.push(format!(
                        "{ip} allowed by `{rule}` (port in allow-list; process not confirmed)"
                    )),
                },
                PortFate::AcceptedBroadly { rule } => {
                    problems.push(format!("{ip} accepted by `{rule}`, which names no port"));
                }
                PortFate::Open { why } => {
                    let note = if v == 4 && l.ip_version == 6 {
                        " (:: socket also receives IPv4 unless IPV6_V6ONLY)"
                    } else {
                        ""
                    };
                    problems.push(format!("{ip} reachable: {why}{note}"));
                }
            }
            for p in verdict.partial {
                fine.push(format!("{ip} conditionally accepted by `{p}`"));
            }
        }
        if problems.is_empty() {
            ok.push(format!("covered: {} — {}", l.describe(), fine.join("; ")));
        } else {
            gap_ports.push(format!("{}/{}", l.port, l.proto.as_str()));
            gaps.push(format!(
                "NOT covered: {} — {}",
                l.describe(),
                problems.join("; ")
            ));
        }
    }
    let total = gaps.len() + ok.len();
    gap_ports.dedup();
    let mut details = gaps.clone();
    details.extend(ok);
    if total == 0 {
        Finding::new(
            ID,
            Status::Pass,
            "no listeners on network addresses to cover",
        )
    } else if gaps.is_empty() {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "all {total} network listener(s) are allowed on purpose or dropped by the firewall"
            ),
        )
        .with_details(details)
    } else {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "{} listener(s) reachable without a matching allow rule and allow-list entry: {}",
                gaps.len(),
                gap_ports.join(", ")
            ),
        )
        .with_details(details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::inspect::Unseen;
    use crate::inspect::firewall::{iptables_save, nft_json};

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/firewall/",
                $name
            ))
        };
    }

    fn ctx(live: bool) -> CheckContext {
        CheckContext {
            today: Date::from_unix_days(20_454),
            now: 0,
            privileged: true,
            live,
        }
    }

    fn policy() -> Policy {
        Policy::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    fn listener(proto: Proto, address: &str, port: u16, process: Option<&str>) -> Listener {
        Listener {
            proto,
            address: address.into(),
            port,
            pid: process.map(|_| 1),
            process: process.map(str::to_string),
            processes: Vec::new(),
            loopback: address.starts_with("127.") || address == "::1",
            ip_version: if address.contains(':') { 6 } else { 4 },
            dual_stack: address == "::",
            inode: 1,
            uid: 0,
        }
    }

    fn from_nft(json: &str, listeners: Vec<Listener>) -> Facts {
        let mut f = Facts {
            areas: vec![Area::Firewall, Area::Network],
            ..Facts::default()
        };
        f.firewall.chains = nft_json::parse(json)
            .unwrap_or_else(|e| panic!("{e}"))
            .chains;
        f.firewall.sources = vec!["nft -j list ruleset".into()];
        f.firewall.ipv6_enabled = Some(true);
        f.network.listeners = listeners;
        f
    }

    fn statuses(f: &Facts) -> Vec<(String, Status)> {
        evaluate(f, &policy(), &ctx(true))
            .into_iter()
            .map(|x| (x.check, x.status))
            .collect()
    }

    fn status_of(f: &Facts, id: &str) -> Status {
        statuses(f)
            .into_iter()
            .find(|(c, _)| c == id)
            .map_or(Status::Unknown, |(_, s)| s)
    }

    fn station_listeners() -> Vec<Listener> {
        vec![
            listener(Proto::Tcp, "0.0.0.0", 22, Some("sshd")),
            listener(Proto::Tcp, "::", 2575, Some("hl7d")),
            listener(Proto::Udp, "0.0.0.0", 123, Some("chronyd")),
            listener(Proto::Tcp, "127.0.0.1", 631, Some("cupsd")),
        ]
    }

    #[test]
    fn empty_ruleset_fails_everything_it_should() {
        let f = from_nft(fixture!("nft-empty.json"), station_listeners());
        assert_eq!(
            statuses(&f),
            [
                ("firewall.active".to_string(), Status::Fail),
                ("firewall.default_deny_inbound".to_string(), Status::Fail),
                ("firewall.ipv6_parity".to_string(), Status::NotApplicable),
                ("firewall.listeners_covered".to_string(), Status::Warn),
            ]
        );
    }

    #[test]
    fn inet_default_drop_passes() {
        let f = from_nft(fixture!("nft-inet-drop.json"), station_listeners());
        let out = evaluate(&f, &policy(), &ctx(true));
        for x in &out {
            assert_eq!(
                x.status,
                Status::Pass,
                "{}: {} {:?}",
                x.check,
                x.summary,
                x.details
            );
        }
    }

    #[test]
    fn accept_all_fails_deny_and_warns_listeners() {
        let f = from_nft(fixture!("nft-accept-all.json"), station_listeners());
        assert_eq!(status_of(&f, "firewall.active"), Status::Pass);
        assert_eq!(status_of(&f, "firewall.default_deny_inbound"), Status::Fail);
        assert_eq!(status_of(&f, "firewall.ipv6_parity"), Status::Pass);
        let out = evaluate(&f, &policy(), &ctx(true));
        let lc = out.iter().find(|x| x.check == "firewall.listeners_covered");
        assert_eq!(lc.map(|x| x.status), Some(Status::Warn));
        assert!(lc.is_some_and(|x| x.summary.contains("2575/tcp")
            && x.summary.contains("123/udp")
            && !x.summary.contains("22/tcp")));
    }

    #[test]
    fn ipv4_only_drop_warns_parity() {
        let f = from_nft(fixture!("nft-ipv4-only.json"), station_listeners());
        assert_eq!(status_of(&f, "firewall.default_deny_inbound"), Status::Fail);
        let out = evaluate(&f, &policy(), &ctx(true));
        let p = out.iter().find(|x| x.check == "firewall.ipv6_parity");
        assert_eq!(p.map(|x| x.status), Some(Status::Warn));
        assert!(p.is_some_and(|x| x.details.iter().any(|d| d.contains("5900/tcp"))));
        // The :: HL7 listener is allowed over IPv4 but open over IPv6 under an accept policy.
        assert_eq!(status_of(&f, "firewall.listeners_covered"), Status::Warn);
    }

    #[test]
    fn disabled_ipv6_needs_no_ipv6_rules() {
        let mut f = from_nft(
            fixture!("nft-ipv4-only.json"),
            vec![listener(Proto::Tcp, "0.0.0.0", 22, Some("sshd"))],
        );
        f.firewall.ipv6_enabled = Some(false);
        assert!(
            statuses(&f).iter().all(|(_, s)| *s == Status::Pass),
            "{:?}",
            statuses(&f)
        );
    }

    #[test]
    fn allowed_port_outside_policy_warns() {
        let mut f = from_nft(
            fixture!("nft-jump-reject.json"),
            vec![listener(Proto::Udp, "::", 161, Some("snmpd"))],
        );
        f.network
            .listeners
            .push(listener(Proto::Tcp, "::", 22, Some("sshd")));
        let out = evaluate(&f, &policy(), &ctx(true));
        let lc = out.iter().find(|x| x.check == "firewall.listeners_covered");
        assert_eq!(lc.map(|x| x.status), Some(Status::Warn));
        assert!(
            lc.is_some_and(|x| x.summary.contains("161/udp") && !x.summary.contains("22/tcp")),
            "{lc:?}"
        );
    }

    #[test]
    fn iptables_legacy_rules() {
        let mut f = from_nft(
            fixture!("nft-empty.json"),
            vec![listener(Proto::Tcp, "0.0.0.0", 22, Some("sshd"))],
        );
        f.firewall.chains = iptables_save::parse(
            fixture!("iptables-legacy-save.v4"),
            "ip",
            "iptables-legacy-save",
        );
        f.firewall.chains.extend(iptables_save::parse(
            fixture!("iptables-legacy-save.v6"),
            "ip6",
            "ip6tables-legacy-save",
        ));
        assert!(
            statuses(&f).iter().all(|(_, s)| *s == Status::Pass),
            "{:?}",
            statuses(&f)
        );
    }

    #[test]
    fn unreadable_ruleset_is_unknown_with_reason() {
        let mut f = from_nft(fixture!("nft-empty.json"), Vec::new());
        f.firewall.unknown = Unseen::from([(
            FirewallGap::Ruleset,
            "needs root to read the firewall ruleset (nft: Operation not permitted (you must be root))".to_string(),
        )]);
        let out = evaluate(&f, &policy(), &ctx(true));
        assert_eq!(out.len(), 4);
        assert!(
            out.iter()
                .all(|x| x.status == Status::Unknown && x.summary.contains("needs root"))
        );
    }

    #[test]
    fn unknown_listeners_leave_coverage_unknown() {
        let mut f = from_nft(fixture!("nft-inet-drop.json"), Vec::new());
        f.network.unknown = Unseen::from([(
            NetworkGap::Listeners,
            "offline image: no live sockets".to_string(),
        )]);
        let out = evaluate(&f, &policy(), &ctx(false));
        let lc = out.iter().find(|x| x.check == "firewall.listeners_covered");
        assert_eq!(lc.map(|x| x.status), Some(Status::Unknown));
        assert!(
            out.iter()
                .any(|x| x.check == "firewall.active" && x.summary.contains("offline image"))
        );
    }
}
