//! Firewall frontends from their configuration: which are present and enabled, and (for an
//! offline image) the inbound rules each would load at boot.

use super::{
    Backend, Chain, PortRange, Reach, Rule, Verdict, iptables_save, nft_text, parse_port_range,
};
use crate::host::{
    FileKind, Host, HostError, metadata_optional, read_dir_optional, read_link_optional,
    read_optional,
};
use std::cell::RefCell;
use std::collections::BTreeMap;

const NFTABLES_CONF: [&str; 2] = ["/etc/nftables.conf", "/etc/sysconfig/nftables.conf"];
const UFW_CONF: &str = "/etc/ufw/ufw.conf";
const UFW_DEFAULTS: &str = "/etc/default/ufw";
const FIREWALLD_CONF: &str = "/etc/firewalld/firewalld.conf";
const IPTABLES_FILES: [(&str, &str); 4] = [
    ("/etc/iptables/rules.v4", "ip"),
    ("/etc/iptables/rules.v6", "ip6"),
    ("/etc/sysconfig/iptables", "ip"),
    ("/etc/sysconfig/ip6tables", "ip6"),
];
/// Targets whose `.wants` directories enable firewall units.
const WANTS: [&str; 5] = ["sysinit", "basic", "multi-user", "network-pre", "network"];

/// Unit directories systemd reads enablement links from, most local first.
const UNIT_DIRS: [&str; 4] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Whether a systemd unit is enabled (an enablement link in a `*.wants` directory of any
/// unit path); a unit masked in /etc or /run (a link to /dev/null) is not, whatever links
/// remain. None when the host has no /etc/systemd/system to tell; an error when a link or
/// directory that exists could not be looked at (then whether it is enabled is not known).
pub fn unit_enabled(host: &dyn Host, unit: &str) -> Result<Option<bool>, HostError> {
    for dir in ["/etc/systemd/system", "/run/systemd/system"] {
        let p = format!("{dir}/{unit}");
        if metadata_optional(host, &p)?.is_some_and(|m| m.kind == FileKind::Symlink)
            && host.read_link(&p)? == "/dev/null"
        {
            return Ok(Some(false));
        }
    }
    for dir in UNIT_DIRS {
        for target in WANTS {
            let link = format!("{dir}/{target}.target.wants/{unit}");
            if metadata_optional(host, &link)?.is_some() {
                return Ok(Some(true));
            }
        }
    }
    Ok(metadata_optional(host, "/etc/systemd/system")?.map(|_| false))
}

/// [`unit_enabled`], an error noted in `unread` and taken as "not known".
fn enabled_or_note(host: &dyn Host, unit: &str, unread: &mut Vec<String>) -> Option<bool> {
    unit_enabled(host, unit).unwrap_or_else(|e| {
        unread.push(e.to_string());
        None
    })
}

fn enabled_any(host: &dyn Host, units: &[&str], unread: &mut Vec<String>) -> Option<bool> {
    let states: Vec<Option<bool>> = units
        .iter()
        .map(|u| enabled_or_note(host, u, unread))
        .collect();
    if states.contains(&Some(true)) {
        Some(true)
    } else if states.contains(&Some(false)) {
        Some(false)
    } else {
        None
    }
}

/// `read_optional`, an error noted in `unread` and taken as "not there".
fn read_or_note(host: &dyn Host, path: &str, unread: &mut Vec<String>) -> Option<String> {
    match read_optional(host, path) {
        Ok(f) => f.map(|f| f.text),
        Err(e) => {
            unread.push(e.to_string());
            None
        }
    }
}

/// `metadata_optional(..).is_some()`, an error noted in `unread`.
fn exists_or_note(host: &dyn Host, path: &str, unread: &mut Vec<String>) -> bool {
    match metadata_optional(host, path) {
        Ok(m) => m.is_some(),
        Err(e) => {
            unread.push(e.to_string());
            false
        }
    }
}

/// `read_dir_optional`, an error noted in `unread` and taken as empty.
fn list_or_note(host: &dyn Host, dir: &str, unread: &mut Vec<String>) -> Vec<String> {
    match read_dir_optional(host, dir) {
        Ok(n) => n.unwrap_or_default(),
        Err(e) => {
            unread.push(e.to_string());
            Vec::new()
        }
    }
}

/// The frontends present, and what exists but could not be read (each could be a frontend,
/// or what enables one).
pub fn detect(host: &dyn Host) -> (Vec<Backend>, Vec<String>) {
    let mut out = Vec::new();
    let mut unread = Vec::new();
    let nft_conf = NFTABLES_CONF
        .iter()
        .find(|p| exists_or_note(host, p, &mut unread));
    if let Some(path) = nft_conf {
        out.push(Backend {
            name: "nftables".into(),
            detected_by: vec![(*path).to_string()],
            enabled: enabled_or_note(host, "nftables.service", &mut unread),
            notes: Vec::new(),
        });
    }
    if let Some(text) = read_or_note(host, UFW_CONF, &mut unread) {
        let conf = parse_shell_vars(&text);
        let defaults = read_or_note(host, UFW_DEFAULTS, &mut unread)
            .map(|d| parse_shell_vars(&d))
            .unwrap_or_default();
        let mut notes = Vec::new();
        for key in ["DEFAULT_INPUT_POLICY", "IPV6"] {
            if let Some(v) = defaults.get(key) {
                notes.push(format!("{key}={v}"));
            }
        }
        out.push(Backend {
            name: "ufw".into(),
            detected_by: vec![UFW_CONF.into()],
            // ufw-init starts only on ENABLED=yes or YES (exactly), and only if ufw.service
            // runs it at boot.
            enabled: Some(
                conf.get("ENABLED")
                    .is_some_and(|v| v == "yes" || v == "YES")
                    && enabled_or_note(host, "ufw.service", &mut unread) != Some(false),
            ),
            notes,
        });
    }
    if let Some(text) = read_or_note(host, FIREWALLD_CONF, &mut unread) {
        let conf = parse_shell_vars(&text);
        let zone = conf
            .get("DefaultZone")
            .cloned()
            .unwrap_or_else(|| "public".into());
        let mut notes = vec![format!("DefaultZone={zone}")];
        if let Some(b) = conf.get("FirewallBackend") {
            notes.push(format!("FirewallBackend={b}"));
        }
        out.push(Backend {
            name: "firewalld".into(),
            detected_by: vec![FIREWALLD_CONF.into()],
            enabled: enabled_or_note(host, "firewalld.service", &mut unread),
            notes,
        });
    }
    let saved: Vec<String> = IPTABLES_FILES
        .iter()
        .filter(|(p, _)| exists_or_note(host, p, &mut unread))
        .map(|(p, _)| (*p).to_string())
        .collect();
    if !saved.is_empty() {
        out.push(Backend {
            name: "iptables-persistent".into(),
            detected_by: saved,
            enabled: enabled_any(
                host,
                &[
                    "netfilter-persistent.service",
                    "iptables.service",
                    "ip6tables.service",
                ],
                &mut unread,
            ),
            notes: Vec::new(),
        });
    }
    let alternative = match read_link_optional(host, "/etc/alternatives/iptables") {
        Ok(t) => t,
        Err(e) => {
            unread.push(e.to_string());
            None
        }
    };
    if let Some(target) = alternative {
        let name = if target.contains("legacy") {
            "iptables-legacy"
        } else {
            "iptables-nft"
        };
        out.push(Backend {
            name: name.into(),
            detected_by: vec![format!("/etc/alternatives/iptables -> {target}")],
            enabled: None,
            notes: Vec::new(),
        });
    }
    (out, unread)
}

/// `KEY=value` / `KEY="value"` lines (ufw.conf, /etc/default/ufw, firewalld.conf).
pub fn parse_shell_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(v);
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// What an offline frontend would load at boot: its chains, or why it would load nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub chains: Vec<Chain>,
    /// What makes the loader refuse the configuration (then `chains` is empty).
    pub errors: Vec<String>,
    /// Notes worth showing (dormant tables).
    pub notes: Vec<String>,
    /// Configuration that exists and could not be read: what loads is then not known.
    pub unread: Vec<String>,
}

/// nftables.conf with its `include "…"` lines inlined (depth-limited, globs in the last
/// path component), parsed. nft loads a file as one transaction: any error, a missing
/// include among them, and nothing of it is loaded.
pub fn offline_nftables(host: &dyn Host) -> Vec<Chain> {
    offline_nftables_loaded(host).chains
}

pub fn offline_nftables_loaded(host: &dyn Host) -> Loaded {
    let mut unread = Vec::new();
    let Some((path, text)) = NFTABLES_CONF
        .iter()
        .find_map(|p| read_or_note(host, p, &mut unread).map(|t| (*p, t)))
    else {
        return Loaded {
            unread,
            ..Loaded::default()
        };
    };
    let mut errors = Vec::new();
    let text = inline_includes(host, &text, 0, &mut errors, &mut unread);
    if !unread.is_empty() {
        return Loaded {
            unread,
            ..Loaded::default()
        };
    }
    // Why not an error: port names only; one nft could not resolve shows as a parse error.
    let services = host
        .read("/etc/services")
        .map(|f| nft_text::parse_services(&f.text))
        .unwrap_or_default();
    let conf = nft_text::parse_with_services(&text, path, &services);
    errors.extend(conf.errors.iter().map(|e| format!("{path}: {e}")));
    if errors.is_empty() {
        Loaded {
            chains: conf.chains,
            errors,
            notes: conf
                .dormant
                .iter()
                .map(|d| format!("dormant table {d} ignored"))
                .collect(),
            unread,
        }
    } else {
        Loaded {
            errors,
            ..Loaded::default()
        }
    }
}

fn inline_includes(
    host: &dyn Host,
    text: &str,
    depth: usize,
    errors: &mut Vec<String>,
    unread: &mut Vec<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim();
        let target = t
            .strip_prefix("include")
            .map(str::trim)
            .and_then(|r| r.strip_prefix('"'))
            .and_then(|r| r.split('"').next());
        match target {
            Some(p) if depth < 4 => {
                let p = if p.starts_with('/') {
                    p.to_string()
                } else {
                    format!("/etc/{p}")
                };
                let globbed = p.contains(['*', '?', '[']);
                let files = match expand_glob(host, &p) {
                    Ok(f) => f,
                    Err(e) => {
                        unread.push(e.to_string());
                        Vec::new()
                    }
                };
                for file in files {
                    match host.read(&file) {
                        Ok(f) => {
                            out.push_str(&inline_includes(
                                host,
                                &f.text,
                                depth + 1,
                                errors,
                                unread,
                            ));
                            out.push('\n');
                        }
                        // nft refuses a missing include; a glob matching nothing is fine.
                        Err(e) if e.is_not_found() && !globbed => {
                            errors.push(format!("include \"{p}\": {e}"));
                        }
                        Err(e) if e.is_not_found() => {}
                        // nft (as root) may read what we could not: not known, not refused.
                        Err(e) => unread.push(e.to_string()),
                    }
                }
            }
            Some(p) => errors.push(format!("include \"{p}\": includes nest too deep to follow")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn expand_glob(host: &dyn Host, path: &str) -> Result<Vec<String>, HostError> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    if !name.contains('*') {
        return Ok(vec![path.to_string()]);
    }
    Ok(
        read_dir_optional(host, if dir.is_empty() { "/" } else { dir })?
            .unwrap_or_default()
            .into_iter()
            .filter(|n| crate::glob::star(name, n))
            .map(|n| format!("{dir}/{n}"))
            .collect(),
    )
}

/// /etc/iptables/rules.v4 and rules.v6 (or RHEL's /etc/sysconfig/iptables).
pub fn offline_iptables(host: &dyn Host) -> Vec<Chain> {
    offline_iptables_loaded(host).chains
}

/// The unit that loads each saved-rules file at boot.
fn iptables_loader(path: &str) -> &'static str {
    match path {
        "/etc/sysconfig/iptables" => "iptables.service",
        "/etc/sysconfig/ip6tables" => "ip6tables.service",
        _ => "netfilter-persistent.service",
    }
}

/// Each saved-rules file its own unit loads at boot (netfilter-persistent for Debian's
/// rules.v4/rules.v6; RHEL's iptables and ip6tables services separately), each with
/// `iptables-restore` semantics: a file it refuses loads nothing.
pub fn offline_iptables_loaded(host: &dyn Host) -> Loaded {
    let mut out = Loaded::default();
    for (path, family) in IPTABLES_FILES {
        let Some(text) = read_or_note(host, path, &mut out.unread) else {
            continue;
        };
        let unit = iptables_loader(path);
        if enabled_or_note(host, unit, &mut out.unread) == Some(false) {
            out.notes
                .push(format!("{path} not loaded: {unit} is not enabled"));
            continue;
        }
        let errors = iptables_save::restore_errors(&text);
        if errors.is_empty() {
            out.chains.extend(iptables_save::parse(&text, family, path));
        } else {
            out.errors
                .extend(errors.into_iter().map(|e| format!("{path}: {e}")));
        }
    }
    out
}

fn base_input(
    family: &str,
    table: &str,
    name: &str,
    policy: &str,
    mut rules: Vec<Rule>,
    source: &str,
) -> Chain {
    // REJECT is not a chain policy: it is an accept policy with a final reject rule.
    let policy = match policy.to_ascii_lowercase().as_str() {
        "drop" => "drop",
        "reject" => {
            rules.push(Rule {
                verdict: Verdict::Reject,
                ..Rule::default()
            });
            "accept"
        }
        _ => "accept",
    };
    Chain {
        family: family.into(),
        table: table.into(),
        name: name.into(),
        hook: Some("input".into()),
        chain_type: Some("filter".into()),
        policy: Some(policy.into()),
        rules: rules.len(),
        rule_summaries: rules,
        source: source.into(),
        priority: Some(0),
    }
}

fn established_and_loopback() -> Vec<Rule> {
    vec![
        Rule {
            verdict: Verdict::Accept,
            ct_states: vec!["established".into(), "related".into()],
            ..Rule::default()
        },
        Rule {
            verdict: Verdict::Accept,
            loopback_only: true,
            ..Rule::default()
        },
    ]
}

/// The ufw chains ufw-init itself creates before loading any file.
const UFW_CHAINS: [&str; 18] = [
    "before-logging-input",
    "before-logging-output",
    "before-logging-forward",
    "before-input",
    "before-output",
    "before-forward",
    "after-input",
    "after-output",
    "after-forward",
    "after-logging-input",
    "after-logging-output",
    "after-logging-forward",
    "reject-input",
    "reject-output",
    "reject-forward",
    "track-input",
    "track-output",
    "track-forward",
];
const UFW_USER_CHAINS: [&str; 8] = [
    "user-input",
    "user-output",
    "user-forward",
    "user-logging-input",
    "user-logging-output",
    "user-logging-forward",
    "user-limit",
    "user-limit-accept",
];

/// ufw as `ufw-init start` loads it (/lib/ufw/ufw-init-functions): its primary chains and
/// INPUT jumps, the reject and tracking chains the default policy asks for, before.rules,
/// after.rules and user.rules each restored with --noflush (a file iptables-restore refuses
/// adds nothing, the others still load), then the INPUT policy. With IPV6 other than
/// yes/YES, IPv6 gets policy DROP with only loopback accepted.
pub fn offline_ufw(host: &dyn Host) -> Vec<Chain> {
    offline_ufw_loaded(host).chains
}

pub fn offline_ufw_loaded(host: &dyn Host) -> Loaded {
    let unread = RefCell::new(Vec::new());
    let defaults = read_or_note(host, UFW_DEFAULTS, &mut unread.borrow_mut())
        .map(|d| parse_shell_vars(&d))
        .unwrap_or_default();
    let policy = defaults
        .get("DEFAULT_INPUT_POLICY")
        .cloned()
        .unwrap_or_default();
    let ipv6 = defaults
        .get("IPV6")
        .is_some_and(|v| v == "yes" || v == "YES");
    let read = |p: &str| read_or_note(host, p, &mut unread.borrow_mut());
    let mut out = Loaded::default();
    for (family, ty) in [("ip", ""), ("ip6", "6")] {
        if family == "ip6" && !ipv6 {
            out.chains.extend(iptables_save::parse(
                "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n",
                "ip6",
                "ufw-init (IPV6 off: IPv6 dropped)",
            ));
            continue;
        }
        let files = [
            format!("/etc/ufw/before{ty}.rules"),
            format!("/etc/ufw/after{ty}.rules"),
            format!("/etc/ufw/user{ty}.rules"),
        ];
        let (text, notes) = ufw_restore_text(
            &policy,
            ty,
            files.map(|f| {
                let t = read(&f);
                (f, t)
            }),
        );
        out.notes.extend(notes);
        out.chains.extend(iptables_save::parse(
            &text,
            family,
            &format!("ufw-init (/etc/default/ufw, /etc/ufw/before{ty}.rules, after{ty}.rules, user{ty}.rules)"),
        ));
    }
    out.unread = unread.into_inner();
    out
}

/// Everything ufw-init feeds iptables-restore for one IP version, as one text, and notes on
/// files it would skip.
fn ufw_restore_text(
    policy: &str,
    ty: &str,
    [before, after, user]: [(String, Option<String>); 3],
) -> (String, Vec<String>) {
    let chain = |n: &str| format!("ufw{ty}-{n}");
    let mut notes = Vec::new();
    let mut t = String::from("*filter\n");
    for c in UFW_CHAINS {
        t.push_str(&format!(":{} - [0:0]\n", chain(c)));
    }
    for c in [
        "before-logging-input",
        "before-input",
        "after-input",
        "after-logging-input",
        "reject-input",
        "track-input",
    ] {
        t.push_str(&format!("-A INPUT -j {}\n", chain(c)));
    }
    if policy == "REJECT" {
        t.push_str(&format!("-A {} -j REJECT\n", chain("reject-input")));
    }
    if policy == "ACCEPT" {
        for p in ["tcp", "udp"] {
            t.push_str(&format!(
                "-A {} -p {p} -m conntrack --ctstate NEW -j ACCEPT\n",
                chain("track-input")
            ));
        }
    }
    for c in ["logging-deny", "logging-allow", "skip-to-policy-input"] {
        t.push_str(&format!(":{} - [0:0]\n", chain(c)));
    }
    if matches!(policy, "DROP" | "ACCEPT" | "REJECT") {
        t.push_str(&format!(
            "-A {} -j {policy}\n",
            chain("skip-to-policy-input")
        ));
    }
    t.push_str("COMMIT\n");
    let mut existing: Vec<String> = UFW_CHAINS
        .iter()
        .chain(
            [
                "logging-deny",
                "logging-allow",
                "skip-to-policy-input",
                "skip-to-policy-output",
                "skip-to-policy-forward",
            ]
            .iter(),
        )
        .map(|c| chain(c))
        .collect();
    existing.extend(UFW_USER_CHAINS.iter().map(|c| chain(c)));
    for (path, text) in [before, after] {
        match text {
            Some(text) => {
                let errors = iptables_save::restore_errors_with(&text, &existing);
                if errors.is_empty() {
                    t.push_str(&text);
                    t.push('\n');
                } else {
                    notes.push(format!("{path} not loaded: {}", errors.join("; ")));
                }
            }
            None => notes.push(format!("{path} missing")),
        }
    }
    let (path, text) = user;
    match text {
        Some(text) => {
            t.push_str("*filter\n");
            for c in UFW_USER_CHAINS {
                t.push_str(&format!(":{} - [0:0]\n", chain(c)));
            }
            t.push_str("COMMIT\n");
            let errors = iptables_save::restore_errors_with(&text, &existing);
            if errors.is_empty() {
                t.push_str(&text);
                t.push('\n');
            } else {
                notes.push(format!("{path} not loaded: {}", errors.join("; ")));
            }
            t.push_str(&format!(
                "*filter\n-A {} -j {}\nCOMMIT\n",
                chain("before-input"),
                chain("user-input")
            ));
        }
        None => notes.push(format!("{path} missing")),
    }
    // The policy is set last; a value iptables-restore does not know (`drop`) is refused and
    // INPUT keeps the kernel's ACCEPT.
    let input = match policy {
        "DROP" | "REJECT" => "DROP",
        _ => "ACCEPT",
    };
    t.push_str(&format!("*filter\n:INPUT {input} [0:0]\nCOMMIT\n"));
    (t, notes)
}

/// The chains an enabled ufw loads, from its settings and user rule files.
pub fn ufw_chains(
    policy: &str,
    ipv6: bool,
    user_rules: &str,
    user6_rules: &str,
    source: &str,
) -> Vec<Chain> {
    let mut out = Vec::new();
    for (family, rules_text) in [("ip", user_rules), ("ip6", user6_rules)] {
        if family == "ip6" && !ipv6 {
            continue;
        }
        let mut rules = established_and_loopback();
        rules.push(Rule {
            verdict: Verdict::Jump,
            target: Some("ufw-user-input".into()),
            ..Rule::default()
        });
        out.push(base_input(
            family,
            "filter",
            "ufw-input",
            policy,
            rules,
            source,
        ));
        let mut user = iptables_save::parse(rules_text, family, source);
        if !user.iter().any(|c| c.name == "ufw-user-input") {
            user.push(Chain {
                family: family.into(),
                table: "filter".into(),
                name: "ufw-user-input".into(),
                source: source.into(),
                ..Chain::default()
            });
        }
        out.extend(user);
    }
    out
}

/// A firewalld zone file, as far as inbound filtering goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zone {
    /// default | ACCEPT | DROP | REJECT | %%REJECT%%
    pub target: String,
    pub services: Vec<String>,
    pub ports: Vec<(PortRange, String)>,
    pub rich_rules: usize,
    /// Interfaces bound to the zone (`<interface name="eth0"/>`).
    pub interfaces: Vec<String>,
    /// Source addresses bound to the zone (`<source address="10.0.0.0/8"/>`).
    pub sources: Vec<String>,
    pub rich: Vec<RichRule>,
}

/// A rich rule, as far as a new inbound connection goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RichRule {
    /// 4 or 6 (`family="ipv4"`).
    pub family: Option<u8>,
    /// `address`, `ipset` or `mac` of `<source>`, and whether it is inverted.
    pub source: Option<(String, bool)>,
    pub service: Option<String>,
    pub port: Option<(PortRange, String)>,
    pub protocol: Option<String>,
    /// accept | drop | reject | mark | … (the action element).
    pub action: String,
    /// Elements that limit the rule in ways not modelled (destination, source-port, limit).
    pub limited_by: Vec<String>,
}

fn rich_rules(xml: &str) -> Vec<RichRule> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<rule") {
        let seg_end = rest[start..]
            .find("</rule>")
            .map_or(rest.len(), |e| start + e + 7);
        let seg = &rest[start..seg_end];
        rest = &rest[seg_end..];
        let attrs = tags(seg, "rule").into_iter().next().unwrap_or_default();
        if rich_rule_refused(seg, &attrs).is_some() {
            continue; // firewalld warns and leaves the rule out of the zone
        }
        let family = match attrs.get("family").map(String::as_str) {
            Some("ipv4") => Some(4),
            Some("ipv6") => Some(6),
            _ => None,
        };
        let source = tags(seg, "source").into_iter().next().map(|a| {
            let what = ["address", "ipset", "mac"]
                .iter()
                .find_map(|k| a.get(*k).map(|v| format!("{k}={v}")))
                .unwrap_or_default();
            let invert = a
                .get("invert")
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes"));
            (what, invert)
        });
        let action = [
            "accept",
            "drop",
            "reject",
            "mark",
            "forward-port",
            "masquerade",
        ]
        .iter()
        .find(|t| !tags(seg, t).is_empty())
        .map_or_else(String::new, |t| (*t).to_string());
        let mut limited_by = Vec::new();
        for t in [
            "destination",
            "source-port",
            "limit",
            "icmp-block",
            "icmp-type",
            "tcp-mss-clamp",
        ] {
            if !tags(seg, t).is_empty() {
                limited_by.push(t.to_string());
            }
        }
        out.push(RichRule {
            family,
            source,
            service: tags(seg, "service")
                .into_iter()
                .find_map(|a| a.get("name").cloned()),
            port: ports_of(seg).into_iter().next(),
            protocol: tags(seg, "protocol")
                .into_iter()
                .find_map(|a| a.get("value").map(|v| v.to_ascii_lowercase())),
            action,
            limited_by,
        });
    }
    out
}

/// Why firewalld refuses a rich rule (its `Rich_Rule.check()`; the zone loads without it),
/// for the structural checks: a family other than ipv4/ipv6, an address without a family,
/// an address of the other family, a rule without element, source or destination, a rule
/// without action, log or audit.
fn rich_rule_refused(seg: &str, attrs: &BTreeMap<String, String>) -> Option<&'static str> {
    let has = |t: &str| !tags(seg, t).is_empty();
    let family = attrs.get("family").map(String::as_str);
    if family.is_some_and(|f| f != "ipv4" && f != "ipv6") {
        return Some("invalid family");
    }
    let source = tags(seg, "source").into_iter().next();
    let source_addr = source.as_ref().and_then(|a| a.get("address").cloned());
    let has_destination = has("destination");
    if family.is_none() && (source_addr.is_some() || has_destination || has("forward-port")) {
        return Some("an address without a family");
    }
    if let (Some(f), Some(a)) = (family, &source_addr)
        && (f == "ipv4") == a.contains(':')
    {
        return Some("an address of the other family");
    }
    let priority: i64 = attrs
        .get("priority")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    let element = [
        "service",
        "port",
        "protocol",
        "icmp-block",
        "icmp-type",
        "forward-port",
        "masquerade",
        "source-port",
        "tcp-mss-clamp",
    ]
    .iter()
    .any(|t| has(t));
    let log = has("log") || has("nflog");
    let action = ["accept", "drop", "reject", "mark"].iter().any(|t| has(t));
    if !element && (!log || priority == 0) {
        if !action {
            return Some("no element, no action");
        }
        if source.is_none() && !has_destination && priority == 0 {
            return Some("no element, no source, no destination");
        }
    }
    let self_acting = ["icmp-block", "forward-port", "masquerade", "tcp-mss-clamp"]
        .iter()
        .any(|t| has(t));
    if !self_acting && !log && !has("audit") && !action {
        return Some("no action, no log, no audit");
    }
    None
}

/// Why an XML text is not well-formed (what firewalld's parser refuses), as far as tags go:
/// every element closed in order, one root element, quoted attributes, comments and
/// processing instructions terminated.
pub fn xml_not_well_formed(xml: &str) -> Option<String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        if stack.is_empty() && !rest[..lt].trim().is_empty() {
            return Some("text outside the root element".into());
        }
        rest = &rest[lt..];
        let (skip_to, end) = if rest.starts_with("<!--") {
            ("-->", 4)
        } else if rest.starts_with("<?") {
            ("?>", 2)
        } else if rest.starts_with("<![CDATA[") {
            ("]]>", 9)
        } else if rest.starts_with("<!") {
            (">", 2)
        } else {
            ("", 0)
        };
        if end > 0 {
            match rest[end..].find(skip_to) {
                Some(at) => rest = &rest[end + at + skip_to.len()..],
                None => return Some(format!("`{}` not terminated", &rest[..end])),
            }
            continue;
        }
        // A tag: find its end outside quoted attribute values.
        let mut quote = None;
        let mut close = None;
        for (i, c) in rest.char_indices().skip(1) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '<') => return Some("`<` inside a tag".into()),
                (None, '>') => {
                    close = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            return Some("a tag is not closed".into());
        };
        let body = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = body.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Some(format!("`</{name}>` closes `<{open}>`")),
                None => return Some(format!("`</{name}>` closes nothing")),
            }
            continue;
        }
        let self_closing = body.ends_with('/');
        let body = body.trim_end_matches('/');
        let name = body.split(char::is_whitespace).next().unwrap_or("");
        if name.is_empty() {
            return Some("a tag without a name".into());
        }
        if let Some(why) = attributes_not_well_formed(&body[name.len()..]) {
            return Some(format!("`<{name}`: {why}"));
        }
        if stack.is_empty() {
            roots += 1;
            if roots > 1 {
                return Some("more than one root element".into());
            }
        }
        if !self_closing {
            stack.push(name);
        }
    }
    if stack.is_empty() && !rest.trim().is_empty() {
        return Some("text outside the root element".into());
    }
    if let Some(open) = stack.last() {
        return Some(format!("`<{open}>` is not closed"));
    }
    (roots == 0).then(|| "no root element".into())
}

/// Why the attribute part of a tag is not `name="value"` pairs (values in either quote).
fn attributes_not_well_formed(mut s: &str) -> Option<String> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return None;
        }
        let name_end = s
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(s.len());
        let name = &s[..name_end];
        s = s[name_end..].trim_start();
        let Some(after) = s.strip_prefix('=') else {
            return Some(format!("attribute `{name}` has no value"));
        };
        s = after.trim_start();
        let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            return Some(format!("the value of `{name}` is not quoted"));
        };
        let Some(end) = s[1..].find(q) else {
            return Some(format!("the value of `{name}` is not terminated"));
        };
        s = &s[end + 2..];
    }
}

/// Attributes of every `<tag …>` in an XML text (comments removed first).
fn tags<'a>(xml: &'a str, tag: &'a str) -> Vec<BTreeMap<String, String>> {
    let mut text = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<!--") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |end| &rest[start + end + 3..]);
    }
    text.push_str(rest);
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut s = text.as_str();
    while let Some(at) = s.find(&open) {
        s = &s[at + open.len()..];
        if !s.starts_with([' ', '\t', '\n', '\r', '/', '>']) {
            continue;
        }
        let body = &s[..s.find('>').unwrap_or(s.len())];
        out.push(attributes(body));
    }
    out
}

fn attributes(body: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut s = body;
    while let Some(eq) = s.find('=') {
        let key = s[..eq]
            .trim()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("")
            .to_string();
        let after = s[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(end) = after[1..].find(q) else {
            break;
        };
        out.insert(key, after[1..=end].to_string());
        s = &after[end + 2..];
    }
    out
}

pub fn parse_firewalld_zone(xml: &str) -> Zone {
    let target = tags(xml, "zone")
        .first()
        .and_then(|a| a.get("target").cloned())
        .unwrap_or_else(|| "default".into());
    // Services and ports inside a rich rule apply to that rule's sources only.
    let mut plain = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<rule") {
        plain.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</rule>")
            .map_or("", |end| &rest[start + end + 7..]);
    }
    plain.push_str(rest);
    Zone {
        target,
        services: tags(&plain, "service")
            .into_iter()
            .filter_map(|a| a.get("name").cloned())
            .collect(),
        ports: ports_of(&plain),
        rich_rules: tags(xml, "rule").len(),
        interfaces: tags(&plain, "interface")
            .into_iter()
            .filter_map(|a| a.get("name").cloned())
            .collect(),
        sources: tags(&plain, "source")
            .into_iter()
            .filter_map(|a| a.get("address").or_else(|| a.get("ipset")).cloned())
            .collect(),
        rich: rich_rules(xml),
    }
}

/// `<port port="22" protocol="tcp"/>` entries (zone and service files alike).
pub fn ports_of(xml: &str) -> Vec<(PortRange, String)> {
    tags(xml, "port")
        .into_iter()
        .filter_map(|a| {
            Some((
                parse_port_range(a.get("port")?)?,
                a.get("protocol")?.to_ascii_lowercase(),
            ))
        })
        .collect()
}

/// Whether an address names every address (`0.0.0.0/0`, `::/0`).
fn whole_space(a: &str) -> bool {
    let a = a.strip_prefix("address=").unwrap_or(a);
    a == "0.0.0.0/0" || a == "::/0"
}

/// firewalld's inbound dispatch (nftables backend): a connection from a source bound to a
/// zone goes to that zone, else one arriving on an interface bound to a zone goes there,
/// else to the default zone. The probe comes from an address no zone names and may arrive
/// on any interface, so every zone with an interface is a place it may land.
pub fn offline_firewalld(host: &dyn Host) -> Vec<Chain> {
    offline_firewalld_loaded(host).chains
}

/// A zone or service file under /etc/firewalld that firewalld cannot parse: it then refuses
/// the whole user configuration (firewalld.conf included) and runs its stock configuration.
fn firewalld_user_refused(host: &dyn Host, unread: &mut Vec<String>) -> Option<String> {
    for kind in ["zones", "services"] {
        let dir = format!("/etc/firewalld/{kind}");
        let mut names = list_or_note(host, &dir, unread);
        names.sort();
        for name in names.iter().filter(|n| n.ends_with(".xml")) {
            let path = format!("{dir}/{name}");
            if let Some(text) = read_or_note(host, &path, unread)
                && let Some(why) = xml_not_well_formed(&text)
            {
                return Some(format!("{path} is not well-formed XML: {why}"));
            }
        }
    }
    None
}

/// [`offline_firewalld`], with what firewalld would say about the configuration.
pub fn offline_firewalld_loaded(host: &dyn Host) -> Loaded {
    let mut notes = Vec::new();
    let unread = RefCell::new(Vec::new());
    let refused = firewalld_user_refused(host, &mut unread.borrow_mut());
    let dirs: &[&str] = match &refused {
        Some(why) => {
            notes.push(format!(
                "firewalld refuses its configuration ({why}): it runs the stock configuration of /usr/lib/firewalld"
            ));
            &["/usr/lib/firewalld"]
        }
        None => &["/etc/firewalld", "/usr/lib/firewalld"],
    };
    let conf = match refused {
        Some(_) => BTreeMap::new(),
        None => read_or_note(host, FIREWALLD_CONF, &mut unread.borrow_mut())
            .map(|t| parse_shell_vars(&t))
            .unwrap_or_default(),
    };
    // An /etc file that cannot be read must not fall through to the stock /usr/lib one.
    let read_first = |kind: &str, name: &str| {
        dirs.iter()
            .map(|d| format!("{d}/{kind}/{name}.xml"))
            .find_map(|p| read_or_note(host, &p, &mut unread.borrow_mut()).map(|t| (p, t)))
    };
    let mut names: Vec<String> = dirs
        .iter()
        .flat_map(|d| list_or_note(host, &format!("{d}/zones"), &mut unread.borrow_mut()))
        .filter_map(|n| n.strip_suffix(".xml").map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    // A default zone that exists nowhere: firewalld takes public, else external, else block.
    let configured = conf
        .get("DefaultZone")
        .cloned()
        .unwrap_or_else(|| "public".into());
    let Some((default, default_path)) = std::iter::once(configured.as_str())
        .chain(["public", "external", "block"])
        .find_map(|z| read_first("zones", z).map(|(p, _)| (z.to_string(), p)))
    else {
        return Loaded {
            notes,
            unread: unread.take(),
            ..Loaded::default()
        };
    };
    if default != configured {
        notes.push(format!(
            "DefaultZone={configured} is no zone: firewalld uses {default}"
        ));
    }
    let mut dispatch = established_and_loopback();
    let mut chains = Vec::new();
    for name in names.iter().chain(std::iter::once(&default)) {
        let Some((path, xml)) = read_first("zones", name) else {
            continue;
        };
        let zone = parse_firewalld_zone(&xml);
        let is_default = *name == default;
        let goto = |reach: Reach, cond: String| {
            let mut r = Rule {
                verdict: Verdict::Goto,
                target: Some(format!("zone {name}")),
                ..Rule::default()
            };
            r.condition(cond, reach);
            r
        };
        let mut used = is_default;
        for src in &zone.sources {
            if whole_space(src) {
                let mut r = goto(Reach::Every, format!("source {src}"));
                r.ip_version = Some(if src.contains(':') { 6 } else { 4 });
                dispatch.insert(2, r);
                used = true;
            }
        }
        for i in &zone.interfaces {
            if i == "lo" {
                continue;
            }
            dispatch.push(goto(Reach::Some, format!("iifname {i}")));
            used = true;
        }
        if !used
            || chains
                .iter()
                .any(|c: &Chain| c.name == format!("zone {name}"))
        {
            continue;
        }
        let mut services = BTreeMap::new();
        for s in zone
            .services
            .iter()
            .chain(zone.rich.iter().filter_map(|r| r.service.as_ref()))
        {
            if let Some((_, xml)) = read_first("services", s) {
                services.insert(s.clone(), ports_of(&xml));
            }
        }
        let mut rules = zone_rules(&zone, &services);
        rules.push(Rule {
            verdict: match zone.target.as_str() {
                "ACCEPT" => Verdict::Accept,
                "DROP" => Verdict::Drop,
                _ => Verdict::Reject,
            },
            ..Rule::default()
        });
        chains.push(Chain {
            family: "inet".into(),
            table: "firewalld".into(),
            name: format!("zone {name}"),
            rules: rules.len(),
            rule_summaries: rules,
            source: path,
            ..Chain::default()
        });
    }
    dispatch.push(Rule {
        verdict: Verdict::Goto,
        target: Some(format!("zone {default}")),
        ..Rule::default()
    });
    let mut out = vec![base_input(
        "inet",
        "firewalld",
        "filter_INPUT",
        "accept",
        dispatch,
        &default_path,
    )];
    out.extend(chains);
    Loaded {
        chains: out,
        notes,
        unread: unread.take(),
        ..Loaded::default()
    }
}

/// The rules a zone holds for new inbound connections, deny rich rules first (firewalld's
/// `_deny` chain runs before `_allow`), without the zone's target.
fn zone_rules(zone: &Zone, services: &BTreeMap<String, Vec<(PortRange, String)>>) -> Vec<Rule> {
    let accept = |range: PortRange, proto: &str| Rule {
        verdict: Verdict::Accept,
        protocols: vec![proto.to_string()],
        dports: vec![range],
        ..Rule::default()
    };
    let mut deny = Vec::new();
    let mut allow = Vec::new();
    for s in &zone.services {
        match services.get(s) {
            Some(ports) => allow.extend(ports.iter().map(|(r, p)| accept(*r, p))),
            None => allow.push(Rule {
                verdict: Verdict::Accept,
                conditions: vec![format!("service {s} (definition not found)")],
                ..Rule::default()
            }),
        }
    }
    allow.extend(zone.ports.iter().map(|(r, p)| accept(*r, p)));
    for rich in &zone.rich {
        let verdict = match rich.action.as_str() {
            "accept" => Verdict::Accept,
            "drop" => Verdict::Drop,
            "reject" => Verdict::Reject,
            _ => continue, // mark, forward-port, masquerade: no inbound verdict
        };
        let mut r = Rule {
            verdict,
            ip_version: rich.family,
            ..Rule::default()
        };
        if let Some((src, invert)) = &rich.source {
            // The probe's source is one no rule names: it is outside every named source,
            // inside an inverted one.
            let inside = whole_space(src) != *invert;
            r.condition(
                format!("source {}{src}", if *invert { "NOT " } else { "" }),
                if inside { Reach::Every } else { Reach::Never },
            );
        }
        if let Some(p) = &rich.protocol {
            r.protocols = vec![p.clone()];
        }
        if let Some((range, proto)) = &rich.port {
            r.protocols = vec![proto.clone()];
            r.dports = vec![*range];
        }
        for what in &rich.limited_by {
            r.condition(what.clone(), Reach::Some);
        }
        match rich.service.as_ref().map(|s| (s, services.get(s))) {
            None => (if verdict == Verdict::Accept {
                &mut allow
            } else {
                &mut deny
            })
            .push(r),
            Some((_, Some(ports))) => {
                for (range, proto) in ports {
                    let mut x = r.clone();
                    x.protocols = vec![proto.clone()];
                    x.dports = vec![*range];
                    (if verdict == Verdict::Accept {
                        &mut allow
                    } else {
                        &mut deny
                    })
                    .push(x);
                }
            }
            Some((s, None)) => {
                r.condition(format!("service {s} (definition not found)"), Reach::Some);
                (if verdict == Verdict::Accept {
                    &mut allow
                } else {
                    &mut deny
                })
                .push(r);
            }
        }
    }
    let mut rules = established_and_loopback();
    rules.extend(deny);
    rules.extend(allow);
    rules
}

/// A zone as the inbound chain firewalld builds from it.
pub fn firewalld_chain(
    name: &str,
    zone: &Zone,
    services: &BTreeMap<String, Vec<(PortRange, String)>>,
    source: &str,
) -> Chain {
    let rules = zone_rules(zone, services);
    let policy = match zone.target.as_str() {
        "DROP" => "drop",
        "ACCEPT" => "accept",
        _ => "reject", // default, REJECT, %%REJECT%%
    };
    base_input(
        "inet",
        "firewalld",
        &format!("zone {name}"),
        policy,
        rules,
        source,
    )
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

    #[test]
    fn ufw_shipped_defaults() {
        let conf = parse_shell_vars(fixture!("ufw/ufw.conf"));
        assert_eq!(conf.get("ENABLED").map(String::as_str), Some("no"));
        let d = parse_shell_vars(fixture!("ufw/default-ufw"));
        assert_eq!(
            d.get("DEFAULT_INPUT_POLICY").map(String::as_str),
            Some("DROP")
        );
        assert_eq!(d.get("IPV6").map(String::as_str), Some("yes"));
        let chains = ufw_chains(
            "DROP",
            true,
            fixture!("ufw/user.rules"),
            fixture!("ufw/user6.rules"),
            "t",
        );
        let f = FirewallFacts {
            chains,
            ..FirewallFacts::default()
        };
        assert!(f.default_deny(4).is_some() && f.default_deny(6).is_some());
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 4).fate,
            PortFate::Dropped { .. }
        ));
    }

    #[test]
    fn ufw_user_rule_and_reject_policy() {
        let chains = ufw_chains(
            "REJECT",
            false,
            fixture!("ufw/user-allow-ssh.rules"),
            "",
            "t",
        );
        let f = FirewallFacts {
            chains,
            ..FirewallFacts::default()
        };
        assert!(f.default_deny(4).is_some_and(|w| w.contains("reject")));
        assert_eq!(f.default_deny(6), None);
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 4).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Udp, 2575, 4).fate,
            PortFate::Allowed { .. }
        ));
    }

    #[test]
    fn firewalld_zones_and_services() {
        let public = parse_firewalld_zone(fixture!("firewalld/public.xml"));
        assert_eq!(
            (public.target.as_str(), public.services.as_slice()),
            (
                "default",
                ["ssh".to_string(), "dhcpv6-client".to_string()].as_slice()
            )
        );
        assert_eq!(
            parse_firewalld_zone(fixture!("firewalld/drop.xml")).target,
            "DROP"
        );
        assert_eq!(
            parse_firewalld_zone(fixture!("firewalld/block.xml")).target,
            "%%REJECT%%"
        );
        assert_eq!(
            parse_firewalld_zone(fixture!("firewalld/trusted.xml")).target,
            "ACCEPT"
        );
        let services = BTreeMap::from([
            ("ssh".to_string(), ports_of(fixture!("firewalld/ssh.xml"))),
            (
                "dhcpv6-client".to_string(),
                ports_of(fixture!("firewalld/dhcpv6-client.xml")),
            ),
        ]);
        let f = FirewallFacts {
            chains: vec![firewalld_chain("public", &public, &services, "t")],
            ..FirewallFacts::default()
        };
        assert!(f.default_deny(6).is_some_and(|w| w.contains("reject")));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 22, 6).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Udp, 546, 4).fate,
            PortFate::Allowed { .. }
        ));
        assert!(matches!(
            f.port_verdict(Proto::Tcp, 2575, 4).fate,
            PortFate::Dropped { .. }
        ));
        let custom = parse_firewalld_zone(fixture!("firewalld/station-zone.xml"));
        assert_eq!(custom.ports, [(PortRange::one(2575), "tcp".to_string())]);
        assert_eq!(custom.rich_rules, 1);
        assert!(custom.services.is_empty());
        assert_eq!(custom.target, "DROP");
    }

    #[test]
    fn hostile_config() {
        assert!(parse_shell_vars("").is_empty());
        let v = parse_shell_vars("# c\nA=\"x\nB\n=y\n\u{FFFD}=z\nC= 'q' \nD=\"unterminated\n");
        assert_eq!(v.get("A").map(String::as_str), Some("\"x"));
        assert_eq!(v.len(), 3);
        let z = parse_firewalld_zone(
            "<zone target=\"DROP\"><!-- <port port=\"1\" protocol=\"tcp\"/> --><port port='x' protocol='tcp'/><port port=\"7\"/><service name=\"a\"/><servicex name=\"b\"/><port port=\"9\" protocol=\"udp\"",
        );
        assert_eq!(z.target, "DROP");
        assert_eq!(z.services, ["a"]);
        assert_eq!(z.ports, [(PortRange::one(9), "udp".to_string())]);
        assert_eq!(parse_firewalld_zone("").target, "default");
    }

    /// A tree with ufw's packaged files (fixtures) and the given settings.
    fn ufw_tree(enabled: &str, defaults: &str, user: &str) -> std::io::Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(etc.join("ufw"))?;
        std::fs::create_dir_all(etc.join("default"))?;
        std::fs::create_dir_all(etc.join("systemd/system/multi-user.target.wants"))?;
        std::os::unix::fs::symlink(
            "/usr/lib/systemd/system/ufw.service",
            etc.join("systemd/system/multi-user.target.wants/ufw.service"),
        )?;
        std::fs::write(etc.join("ufw/ufw.conf"), format!("ENABLED={enabled}\n"))?;
        std::fs::write(etc.join("default/ufw"), defaults)?;
        std::fs::write(etc.join("ufw/user.rules"), user)?;
        std::fs::write(etc.join("ufw/user6.rules"), fixture!("ufw/user6.rules"))?;
        Ok(dir)
    }

    #[test]
    fn ufw_as_ufw_init_loads_it() -> std::io::Result<()> {
        let judge = |dir: &tempfile::TempDir| {
            let host = crate::host::Root::new(dir.path());
            let f = FirewallFacts {
                chains: offline_ufw(&host),
                ..FirewallFacts::default()
            };
            (f.inbound(4), f.inbound(6))
        };
        let denied = |i: &Inbound| matches!(i, Inbound::Denied(_));
        // IPV6=no: ufw-init still sets ip6tables INPUT DROP.
        let d = ufw_tree(
            "yes",
            "IPV6=no\nDEFAULT_INPUT_POLICY=\"DROP\"\n",
            fixture!("ufw/user-allow-ssh.rules"),
        )?;
        let (v4, v6) = judge(&d);
        assert!(denied(&v4) && denied(&v6), "{v4:?} {v6:?}");
        // ACCEPT adds conntrack NEW accepts to ufw-track-input.
        let d = ufw_tree(
            "yes",
            "IPV6=yes\nDEFAULT_INPUT_POLICY=\"ACCEPT\"\n",
            fixture!("ufw/user.rules"),
        )?;
        assert!(matches!(judge(&d).0, Inbound::Admitted(_)));
        // A policy iptables-restore does not know leaves INPUT at ACCEPT.
        let d = ufw_tree(
            "yes",
            "IPV6=yes\nDEFAULT_INPUT_POLICY=\"drop\"\n",
            fixture!("ufw/user.rules"),
        )?;
        assert!(matches!(judge(&d).0, Inbound::Admitted(_)));
        // REJECT: policy DROP plus a reject rule.
        let d = ufw_tree(
            "yes",
            "IPV6=yes\nDEFAULT_INPUT_POLICY=\"REJECT\"\n",
            fixture!("ufw/user.rules"),
        )?;
        let (v4, v6) = judge(&d);
        assert!(denied(&v4) && denied(&v6));
        // ENABLED: exactly yes or YES, and ufw.service not masked.
        for (value, on) in [("yes", true), ("YES", true), ("Yes", false), ("no", false)] {
            let d = ufw_tree(value, "IPV6=yes\n", fixture!("ufw/user.rules"))?;
            let host = crate::host::Root::new(d.path());
            let b = detect(&host).0;
            assert_eq!(b[0].enabled, Some(on), "{value}");
        }
        let d = ufw_tree("yes", "IPV6=yes\n", fixture!("ufw/user.rules"))?;
        std::os::unix::fs::symlink("/dev/null", d.path().join("etc/systemd/system/ufw.service"))?;
        assert_eq!(
            detect(&crate::host::Root::new(d.path())).0[0].enabled,
            Some(false)
        );
        Ok(())
    }

    /// A tree with firewalld whose default zone is the station zone fixture (target DROP),
    /// plus extra zone files.
    fn firewalld_judged(
        station_rich: &str,
        zones: &[(&str, &str)],
    ) -> std::io::Result<(Inbound, Inbound)> {
        let dir = tempfile::tempdir()?;
        let z = dir.path().join("etc/firewalld/zones");
        std::fs::create_dir_all(&z)?;
        std::fs::create_dir_all(dir.path().join("usr/lib/firewalld/services"))?;
        std::fs::write(
            dir.path().join("usr/lib/firewalld/services/ssh.xml"),
            fixture!("firewalld/ssh.xml"),
        )?;
        std::fs::write(
            dir.path().join("etc/firewalld/firewalld.conf"),
            "DefaultZone=station\n",
        )?;
        std::fs::write(
            z.join("station.xml"),
            fixture!("firewalld/station-zone.xml")
                .replace("</zone>", &format!("{station_rich}</zone>")),
        )?;
        for (name, xml) in zones {
            std::fs::write(z.join(format!("{name}.xml")), xml)?;
        }
        let host = crate::host::Root::new(dir.path());
        let f = FirewallFacts {
            chains: offline_firewalld(&host),
            ..FirewallFacts::default()
        };
        Ok((f.inbound(4), f.inbound(6)))
    }

    #[test]
    fn firewalld_zones_bound_to_interfaces_and_sources_and_rich_rules() -> std::io::Result<()> {
        let denied = |i: &Inbound| matches!(i, Inbound::Denied(_));
        let admitted = |i: &Inbound| matches!(i, Inbound::Admitted(_));
        let trusted = fixture!("firewalld/trusted.xml");
        let bound = |what: &str| trusted.replace("</zone>", &format!("{what}</zone>"));
        let (v4, v6) = firewalld_judged("", &[("trusted", trusted)])?;
        assert!(denied(&v4) && denied(&v6), "{v4:?} {v6:?}");
        // An interface in the trusted zone: connections arriving there are accepted.
        let (v4, v6) = firewalld_judged("", &[("trusted", &bound("<interface name=\"eth0\"/>"))])?;
        assert!(admitted(&v4) && admitted(&v6), "{v4:?}");
        // A trusted source subnet is not "any address"; the whole address space is.
        let (v4, _) = firewalld_judged(
            "",
            &[("trusted", &bound("<source address=\"10.0.0.0/8\"/>"))],
        )?;
        assert!(denied(&v4), "{v4:?}");
        let (v4, v6) = firewalld_judged(
            "",
            &[("trusted", &bound("<source address=\"0.0.0.0/0\"/>"))],
        )?;
        assert!(admitted(&v4) && denied(&v6), "{v4:?} {v6:?}");
        // Rich rules accepting everything from a source. firewalld refuses (and leaves out)
        // a rule without element, source or destination, and an address without a family
        // or of the other family (scripts/oracle/firewalld.sh checks these against firewalld).
        for (rich, v4_open, v6_open) in [
            ("<rule><accept/></rule>", false, false),
            (
                "<rule><source address=\"0.0.0.0/0\"/><accept/></rule>",
                false,
                false,
            ),
            (
                "<rule family=\"ipv4\"><source address=\"::/0\"/><accept/></rule>",
                false,
                false,
            ),
            (
                "<rule family=\"ipv6\"><source address=\"::/0\"/><accept/></rule>",
                false,
                true,
            ),
            (
                "<rule family=\"ipv4\"><source address=\"10.0.0.0/8\"/><log/><accept/></rule>",
                false,
                false,
            ),
            (
                "<rule family=\"ipv4\"><source address=\"0.0.0.0/0\"/><accept/></rule>",
                true,
                false,
            ),
            (
                "<rule family=\"ipv4\"><source address=\"10.0.0.0/8\" invert=\"true\"/><accept/></rule>",
                true,
                false,
            ),
            (
                "<rule family=\"ipv6\"><source address=\"fd00::/8\"/><accept/></rule>",
                false,
                false,
            ),
            (
                "<rule family=\"ipv4\"><port port=\"1024-65535\" protocol=\"tcp\"/><accept/></rule>",
                true,
                false,
            ),
            (
                "<rule><service name=\"ssh\"/><accept/></rule>",
                false,
                false,
            ),
            (
                "<rule><accept><limit value=\"10/m\"/></accept></rule>",
                false,
                false,
            ),
            (
                "<rule><protocol value=\"tcp\"/><accept><limit value=\"10/m\"/></accept></rule>",
                true,
                true,
            ),
            ("<rule><drop/></rule><rule><accept/></rule>", false, false),
        ] {
            let (v4, v6) = firewalld_judged(rich, &[])?;
            assert_eq!(
                (admitted(&v4), admitted(&v6)),
                (v4_open, v6_open),
                "{rich}: {v4:?} {v6:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn firewalld_rich_rules_it_refuses() {
        let refused = |rule: &str| {
            let attrs = tags(rule, "rule").into_iter().next().unwrap_or_default();
            rich_rule_refused(rule, &attrs)
        };
        for rule in [
            "<rule><accept/></rule>",
            "<rule family=\"ipv5\"><port port=\"1\" protocol=\"tcp\"/><accept/></rule>",
            "<rule><source address=\"10.0.0.0/8\"/><accept/></rule>",
            "<rule><destination address=\"10.0.0.1\"/><accept/></rule>",
            "<rule family=\"ipv6\"><source address=\"10.0.0.0/8\"/><accept/></rule>",
            "<rule family=\"ipv4\"><source address=\"10.0.0.0/8\"/></rule>",
            "<rule><service name=\"ssh\"/></rule>",
        ] {
            assert!(refused(rule).is_some(), "{rule}");
        }
        for rule in [
            "<rule><service name=\"ssh\"/><accept/></rule>",
            "<rule family=\"ipv4\"><source address=\"10.0.0.0/8\"/><accept/></rule>",
            "<rule><source ipset=\"vendors\"/><drop/></rule>",
            "<rule><icmp-block name=\"echo-request\"/></rule>",
            "<rule><service name=\"ssh\"/><log/></rule>",
            "<rule priority=\"-1\"><log/><drop/></rule>",
        ] {
            assert_eq!(refused(rule), None, "{rule}");
        }
        // Refused rules are left out of the zone.
        let z = parse_firewalld_zone(
            "<zone><rule><accept/></rule><rule><service name=\"ssh\"/><accept/></rule></zone>",
        );
        assert_eq!(z.rich.len(), 1);
        assert_eq!(z.rich[0].service.as_deref(), Some("ssh"));
    }

    #[test]
    fn xml_well_formedness_as_firewalld_parses_it() {
        for ok in [
            fixture!("firewalld/public.xml"),
            fixture!("firewalld/station-zone.xml"),
            fixture!("firewalld/ssh.xml"),
            "<zone/>",
            "<?xml version=\"1.0\"?>\n<!-- a > b -->\n<zone a='1' b = \"x>y\"><x/></zone>\n",
        ] {
            assert_eq!(xml_not_well_formed(ok), None, "{ok}");
        }
        for bad in [
            "",
            "<zone>",
            "<zone><service name=\"ssh\"></zone>",
            "<zone target=DROP></zone>",
            "<zone target></zone>",
            "<zone></zone><zone></zone>",
            "<zone></zone> junk",
            "junk <zone></zone>",
            "<zone><!-- open </zone>",
            "<zone name=\"a></zone>",
            "</zone>",
        ] {
            assert!(xml_not_well_formed(bad).is_some(), "{bad:?}");
        }
    }

    /// A firewalld tree: the stock zones and services in /usr/lib, `etc` files on top.
    fn firewalld_tree(etc: &[(&str, &str)]) -> std::io::Result<tempfile::TempDir> {
        let dir = tempfile::tempdir()?;
        let lib = dir.path().join("usr/lib/firewalld");
        std::fs::create_dir_all(lib.join("zones"))?;
        std::fs::create_dir_all(lib.join("services"))?;
        for (z, xml) in [
            ("public", fixture!("firewalld/public.xml")),
            ("trusted", fixture!("firewalld/trusted.xml")),
            ("block", fixture!("firewalld/block.xml")),
            ("drop", fixture!("firewalld/drop.xml")),
        ] {
            std::fs::write(lib.join(format!("zones/{z}.xml")), xml)?;
        }
        std::fs::write(lib.join("services/ssh.xml"), fixture!("firewalld/ssh.xml"))?;
        std::fs::write(
            lib.join("services/dhcpv6-client.xml"),
            fixture!("firewalld/dhcpv6-client.xml"),
        )?;
        for (path, text) in etc {
            let p = dir.path().join("etc/firewalld").join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, text)?;
        }
        Ok(dir)
    }

    #[test]
    fn firewalld_default_zone_and_refused_configuration() -> std::io::Result<()> {
        let judged = |etc: &[(&str, &str)]| -> std::io::Result<(Inbound, Vec<String>)> {
            let dir = firewalld_tree(etc)?;
            let loaded = offline_firewalld_loaded(&crate::host::Root::new(dir.path()));
            let notes = loaded.notes.clone();
            let f = FirewallFacts {
                chains: loaded.chains,
                ..FirewallFacts::default()
            };
            Ok((f.inbound(4), notes))
        };
        let denied = |i: &Inbound| matches!(i, Inbound::Denied(_));
        // The stock configuration: public.
        let (v4, notes) = judged(&[])?;
        assert!(denied(&v4) && notes.is_empty(), "{v4:?} {notes:?}");
        // DefaultZone=trusted is taken as written.
        let (v4, _) = judged(&[("firewalld.conf", "DefaultZone=trusted\n")])?;
        assert!(!denied(&v4), "{v4:?}");
        // A default zone that exists nowhere: firewalld uses public.
        let (v4, notes) = judged(&[("firewalld.conf", "DefaultZone=nowhere\n")])?;
        assert!(denied(&v4), "{v4:?}");
        assert!(notes[0].contains("uses public"), "{notes:?}");
        // A broken /etc file: the whole user configuration is refused (firewalld.conf's
        // DefaultZone=trusted and the ACCEPT override of public with it); stock public runs.
        let (v4, notes) = judged(&[
            ("firewalld.conf", "DefaultZone=trusted\n"),
            ("zones/public.xml", "<zone target=\"ACCEPT\">"),
        ])?;
        assert!(denied(&v4), "{v4:?}");
        assert!(
            notes[0].contains("/etc/firewalld/zones/public.xml"),
            "{notes:?}"
        );
        let (v4, _) = judged(&[
            ("zones/public.xml", "<zone target=\"ACCEPT\"></zone>"),
            (
                "services/hl7.xml",
                "<service><port port=\"2575\"></service>",
            ),
        ])?;
        assert!(denied(&v4), "{v4:?}");
        // The same override, well-formed: accepted as written.
        let (v4, _) = judged(&[("zones/public.xml", "<zone target=\"ACCEPT\"></zone>")])?;
        assert!(!denied(&v4), "{v4:?}");
        Ok(())
    }

    #[test]
    fn offline_tree_with_enabled_nftables() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(etc.join("systemd/system/sysinit.target.wants"))?;
        std::fs::create_dir_all(etc.join("nftables.d"))?;
        std::os::unix::fs::symlink(
            "/lib/systemd/system/nftables.service",
            etc.join("systemd/system/sysinit.target.wants/nftables.service"),
        )?;
        std::fs::write(
            etc.join("nftables.conf"),
            "flush ruleset\ninclude \"/etc/nftables.d/*.nft\"\n",
        )?;
        std::fs::write(
            etc.join("nftables.d/10-station.nft"),
            fixture!("inet-drop.nft"),
        )?;
        let host = crate::host::Root::new(dir.path());
        let b = detect(&host).0;
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].name.as_str(), b[0].enabled), ("nftables", Some(true)));
        let chains = offline_nftables(&host);
        assert_eq!(chains.len(), 3);
        assert_eq!(chains[0].policy.as_deref(), Some("drop"));
        Ok(())
    }
}
