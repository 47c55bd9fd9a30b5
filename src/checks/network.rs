//! Checks over listening sockets: the allow-list, risky legacy ports, cleartext HL7.

use super::{Area, CheckContext, Finding, Status};
use crate::host::Evidence;
use crate::inspect::Facts;
use crate::inspect::gap::NetworkGap;
use crate::inspect::network::{Listener, NetworkFacts, PROC_NET_FILES};
use crate::policy::{AllowedListener, Policy, Proto};

pub fn evaluate(facts: &Facts, policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let evidence = network_evidence(facts);
    let net = &facts.network;
    let findings = match net.unknown.get(&NetworkGap::Listeners) {
        Some(why) => vec![
            Finding::unknown("network.listeners", why.clone()),
            Finding::unknown("network.risky_ports", why.clone()),
            Finding::unknown("network.hl7_cleartext", why.clone()),
        ],
        None => vec![
            listeners(net, policy),
            risky_ports(net),
            hl7_cleartext(net, policy),
        ],
    };
    findings
        .into_iter()
        .map(|f| f.with_evidence(evidence.clone()))
        .collect()
}

/// The socket tables read (and the process names looked up).
pub fn network_evidence(facts: &Facts) -> Vec<Evidence> {
    let mut subjects: Vec<&str> = PROC_NET_FILES.iter().map(|(p, _, _)| *p).collect();
    subjects.push("/proc/");
    facts.evidence_for(Area::Network, &subjects)
}

/// Whether the policy allows this listener: Some(true) allowed, Some(false) not, None when
/// the policy names a process and the owner could not be seen. A socket held by several
/// processes (socket activation: systemd and sshd) is allowed when ANY holder matches.
pub fn allowed_by_policy(l: &Listener, allow: &[AllowedListener]) -> Option<bool> {
    let owners = l.owner_names();
    let mut unseen_owner = false;
    for a in allow
        .iter()
        .filter(|a| a.port == l.port && a.proto == l.proto)
    {
        match &a.process {
            None => return Some(true),
            Some(want) if owners.iter().any(|have| process_matches(want, have)) => {
                return Some(true);
            }
            Some(_) if owners.is_empty() => unseen_owner = true,
            Some(_) => {}
        }
    }
    if unseen_owner { None } else { Some(false) }
}

/// /proc/<pid>/comm is cut to 15 bytes, so `systemd-resolved` shows as `systemd-resolve`.
fn process_matches(want: &str, have: &str) -> bool {
    want == have || (have.len() == 15 && want.starts_with(have))
}

fn exposed(net: &NetworkFacts) -> impl Iterator<Item = &Listener> {
    net.listeners.iter().filter(|l| !l.loopback)
}

fn listeners(net: &NetworkFacts, policy: &Policy) -> Finding {
    const ID: &str = "network.listeners";
    let mut outside = Vec::new();
    let mut unconfirmed = Vec::new();
    let mut ok = Vec::new();
    for l in exposed(net) {
        match allowed_by_policy(l, &policy.allowed_listeners) {
            Some(true) => ok.push(format!("allowed: {}", l.describe())),
            Some(false) => outside.push(format!("not in allow-list: {}", l.describe())),
            None => unconfirmed.push(format!(
                "owner not seen (policy names a process): {}",
                l.describe()
            )),
        }
    }
    let total = outside.len() + unconfirmed.len() + ok.len();
    let mut details = outside.clone();
    details.extend(unconfirmed.iter().cloned());
    details.extend(ok);
    if !outside.is_empty() {
        let ports: Vec<String> = exposed(net)
            .filter(|l| allowed_by_policy(l, &policy.allowed_listeners) == Some(false))
            .map(|l| format!("{}/{}", l.port, l.proto.as_str()))
            .collect();
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "{} of {total} network listener(s) not in the site allow-list: {}",
                outside.len(),
                dedup_join(ports)
            ),
        )
        .with_details(details)
    } else if !unconfirmed.is_empty() {
        let why = net
            .unknown
            .get(&NetworkGap::ListenerProcesses)
            .cloned()
            .unwrap_or_else(|| "owning process not visible".into());
        Finding::unknown(
            ID,
            format!(
                "cannot confirm the owning process of {} listener(s): {why}",
                unconfirmed.len()
            ),
        )
        .with_details(details)
    } else if total == 0 {
        Finding::new(
            ID,
            Status::Pass,
            "no listeners on network addresses (loopback only)",
        )
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!("all {total} network listener(s) are in the site allow-list"),
        )
        .with_details(details)
    }
}

/// Legacy or high-risk services that must not be reachable on a station.
/// (first port, last port, protocol: None = tcp and udp, what usually listens there)
const RISKY: &[(u16, u16, Option<Proto>, &str)] = &[
    (21, 21, None, "FTP"),
    (23, 23, None, "telnet"),
    (69, 69, None, "TFTP"),
    (111, 111, None, "RPC portmapper"),
    (135, 135, None, "MS RPC endpoint mapper"),
    (136, 139, None, "NetBIOS"),
    (445, 445, None, "SMB"),
    (512, 512, None, "rexec / biff"),
    (513, 513, None, "rlogin / rwho"),
    (514, 514, None, "rsh (tcp) / syslog receiver (udp)"),
    (161, 161, Some(Proto::Udp), "SNMP"),
    (2049, 2049, None, "NFS"),
    (3389, 3389, None, "RDP"),
    (5900, 5906, None, "VNC"),
    (6000, 6063, None, "X11"),
];

/// What a risky port is, or None when the port is not on the list.
pub fn risky_service(port: u16, proto: Proto) -> Option<&'static str> {
    RISKY
        .iter()
        .find(|(lo, hi, p, _)| (*lo..=*hi).contains(&port) && p.is_none_or(|p| p == proto))
        .map(|(_, _, _, what)| *what)
}

fn risky_ports(net: &NetworkFacts) -> Finding {
    const ID: &str = "network.risky_ports";
    let hits: Vec<(&Listener, &str)> = exposed(net)
        .filter_map(|l| risky_service(l.port, l.proto).map(|what| (l, what)))
        .collect();
    if hits.is_empty() {
        return Finding::new(
            ID,
            Status::Pass,
            "no risky legacy ports open on a network address",
        );
    }
    let ports = dedup_join(
        hits.iter()
            .map(|(l, what)| format!("{}/{} {what}", l.port, l.proto.as_str()))
            .collect(),
    );
    let details = hits
        .iter()
        .map(|(l, what)| format!("{what}: {}", l.describe()))
        .collect();
    Finding::new(
        ID,
        Status::Fail,
        format!("risky port(s) open on the network: {ports}"),
    )
    .with_details(details)
}

fn hl7_cleartext(net: &NetworkFacts, policy: &Policy) -> Finding {
    const ID: &str = "network.hl7_cleartext";
    let ports = dedup_join(policy.hl7_ports.iter().map(u16::to_string).collect());
    let on_hl7: Vec<&Listener> = net
        .listeners
        .iter()
        .filter(|l| l.proto == Proto::Tcp && policy.hl7_ports.contains(&l.port))
        .collect();
    let exposed: Vec<&&Listener> = on_hl7.iter().filter(|l| !l.loopback).collect();
    if !exposed.is_empty() {
        let details = exposed
            .iter()
            .map(|l| format!("HL7/MLLP listener: {} — attach TLS (e.g. MLLP over TLS, stunnel) or VPN/VLAN evidence", l.describe()))
            .collect();
        let list = dedup_join(exposed.iter().map(|l| format!("{}/tcp", l.port)).collect());
        return Finding::new(
            ID,
            Status::Warn,
            format!("HL7/MLLP listener on {list} is cleartext unless TLS or a VPN protects it: attach the evidence"),
        )
        .with_details(details);
    }
    if !on_hl7.is_empty() {
        let details = on_hl7
            .iter()
            .map(|l| format!("loopback only: {}", l.describe()))
            .collect();
        return Finding::new(
            ID,
            Status::Pass,
            "HL7/MLLP listener bound to loopback only (not reachable from the network, e.g. behind a TLS proxy)",
        )
        .with_details(details);
    }
    // No listener: the station receives no HL7 here. Outbound feeds are not visible as
    // listeners, so this is "does not apply" rather than "verified encrypted".
    Finding::new(
        ID,
        Status::NotApplicable,
        format!(
            "no HL7/MLLP listener on port(s) {ports}; outbound HL7 feeds are confirmed by hand (ICS-11)"
        ),
    )
}

fn dedup_join(mut items: Vec<String>) -> String {
    let mut seen = std::collections::BTreeSet::new();
    items.retain(|i| seen.insert(i.clone()));
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::inspect::Unseen;

    fn l(proto: Proto, address: &str, port: u16, process: Option<&str>) -> Listener {
        let loopback = address.starts_with("127.") || address == "::1";
        Listener {
            proto,
            address: address.into(),
            port,
            pid: process.map(|_| 100),
            process: process.map(str::to_string),
            processes: Vec::new(),
            loopback,
            ip_version: if address.contains(':') { 6 } else { 4 },
            dual_stack: address == "::",
            inode: 1,
            uid: 0,
        }
    }

    fn facts(listeners: Vec<Listener>) -> Facts {
        let mut f = Facts {
            areas: vec![Area::Network],
            ..Facts::default()
        };
        f.network.listeners = listeners;
        f
    }

    fn ctx() -> CheckContext {
        CheckContext {
            today: Date::from_unix_days(20_454),
            now: 0,
            privileged: true,
            live: true,
        }
    }

    fn policy() -> Policy {
        Policy::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    fn status(fs: &[Finding], id: &str) -> Status {
        fs.iter()
            .find(|f| f.check == id)
            .map_or(Status::Unknown, |f| f.status)
    }

    #[test]
    fn allow_listed_listeners_pass() {
        let f = facts(vec![
            l(Proto::Tcp, "0.0.0.0", 22, Some("sshd")),
            l(Proto::Udp, "0.0.0.0", 123, Some("chronyd")),
            l(Proto::Tcp, "127.0.0.1", 631, Some("cupsd")),
        ]);
        let out = evaluate(&f, &policy(), &ctx());
        assert_eq!(status(&out, "network.listeners"), Status::Pass);
        assert_eq!(status(&out, "network.risky_ports"), Status::Pass);
        assert_eq!(status(&out, "network.hl7_cleartext"), Status::NotApplicable);
    }

    #[test]
    fn unlisted_or_wrong_process_warns() {
        let f = facts(vec![
            l(Proto::Tcp, "::", 22, Some("dropbear")),
            l(Proto::Tcp, "0.0.0.0", 8080, Some("python3")),
        ]);
        let out = evaluate(&f, &policy(), &ctx());
        let fl = out.iter().find(|f| f.check == "network.listeners");
        assert_eq!(fl.map(|f| f.status), Some(Status::Warn));
        assert!(fl.is_some_and(|f| f.summary.contains("22/tcp") && f.summary.contains("8080/tcp")));
    }

    #[test]
    fn socket_shared_with_init_is_allowed_when_any_owner_matches() {
        use crate::inspect::network::SocketOwner;
        // Socket activation: systemd (PID 1) and sshd both hold the socket on 22.
        let mut ssh = l(Proto::Tcp, "0.0.0.0", 22, Some("systemd"));
        ssh.pid = Some(1);
        ssh.processes = vec![
            SocketOwner {
                pid: 1,
                process: Some("systemd".into()),
            },
            SocketOwner {
                pid: 1187,
                process: Some("sshd".into()),
            },
        ];
        let out = evaluate(&facts(vec![ssh.clone()]), &policy(), &ctx());
        assert_eq!(status(&out, "network.listeners"), Status::Pass);
        // No owner matching the policy's process: still not allowed.
        ssh.processes.truncate(1);
        let out = evaluate(&facts(vec![ssh]), &policy(), &ctx());
        assert_eq!(status(&out, "network.listeners"), Status::Warn);
    }

    #[test]
    fn unseen_owner_of_a_process_pinned_port_is_unknown() {
        let mut f = facts(vec![l(Proto::Tcp, "0.0.0.0", 22, None)]);
        f.network.unknown.insert(
            NetworkGap::ListenerProcesses,
            "needs root to see which process owns 1 listening socket(s)".into(),
        );
        let out = evaluate(&f, &policy(), &ctx());
        let fl = out.iter().find(|f| f.check == "network.listeners");
        assert_eq!(fl.map(|f| f.status), Some(Status::Unknown));
        assert!(fl.is_some_and(|f| f.summary.contains("needs root")));
        // A port allowed without a process name needs no owner.
        let f = facts(vec![l(Proto::Tcp, "0.0.0.0", 2575, None)]);
        assert_eq!(
            status(&evaluate(&f, &policy(), &ctx()), "network.listeners"),
            Status::Pass
        );
    }

    #[test]
    fn risky_ports_fail_only_on_network_addresses() {
        let f = facts(vec![
            l(Proto::Tcp, "0.0.0.0", 23, Some("inetd")),
            l(Proto::Tcp, "::", 5901, Some("Xvnc")),
            l(Proto::Udp, "0.0.0.0", 161, Some("snmpd")),
            l(Proto::Tcp, "127.0.0.1", 445, Some("smbd")),
        ]);
        let out = evaluate(&f, &policy(), &ctx());
        let r = out.iter().find(|f| f.check == "network.risky_ports");
        assert_eq!(r.map(|f| f.status), Some(Status::Fail));
        let s = r.map(|f| f.summary.clone()).unwrap_or_default();
        assert!(
            s.contains("23/tcp telnet") && s.contains("5901/tcp VNC") && s.contains("161/udp SNMP")
        );
        assert!(!s.contains("445"));
        assert_eq!(risky_service(161, Proto::Tcp), None);
        assert_eq!(risky_service(6063, Proto::Tcp), Some("X11"));
        assert_eq!(risky_service(6064, Proto::Tcp), None);
    }

    #[test]
    fn hl7_listener_warns_loopback_passes() {
        let out = evaluate(
            &facts(vec![l(Proto::Tcp, "::", 2575, None)]),
            &policy(),
            &ctx(),
        );
        assert_eq!(status(&out, "network.hl7_cleartext"), Status::Warn);
        let out = evaluate(
            &facts(vec![l(Proto::Tcp, "127.0.0.1", 2575, None)]),
            &policy(),
            &ctx(),
        );
        assert_eq!(status(&out, "network.hl7_cleartext"), Status::Pass);
    }

    #[test]
    fn unseen_sockets_make_every_check_unknown() {
        let mut f = facts(Vec::new());
        f.network.unknown = Unseen::from([(
            NetworkGap::Listeners,
            "offline image: no live sockets".to_string(),
        )]);
        let out = evaluate(&f, &policy(), &ctx());
        assert_eq!(out.len(), 3);
        assert!(
            out.iter()
                .all(|f| f.status == Status::Unknown && f.summary.contains("offline image"))
        );
    }

    #[test]
    fn comm_truncation_matches() {
        assert!(process_matches("systemd-resolved", "systemd-resolve"));
        assert!(!process_matches("sshd", "ssh"));
    }
}
