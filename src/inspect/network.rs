//! Listening sockets: /proc/net/{tcp,tcp6,udp,udp6}, joined to the owning processes through
//! the `socket:[inode]` links under /proc/<pid>/fd (no `ss` needed).

use crate::host::{Host, HostError, HostKind};
use crate::inspect::Unseen;
use crate::inspect::gap::NetworkGap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A listener's transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// The socket tables read, with the protocol and IP version each one holds.
pub const PROC_NET_FILES: [(&str, Proto, bool); 4] = [
    ("/proc/net/tcp", Proto::Tcp, false),
    ("/proc/net/tcp6", Proto::Tcp, true),
    ("/proc/net/udp", Proto::Udp, false),
    ("/proc/net/udp6", Proto::Udp, true),
];

/// TCP_LISTEN in the kernel's state numbering.
const TCP_LISTEN: u8 = 0x0A;
/// TCP_CLOSE: an unconnected (bound) UDP socket reports this state.
const UDP_UNCONNECTED: u8 = 0x07;

/// A socket that accepts connections or datagrams from the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub proto: Proto,
    /// Local address as text (`0.0.0.0`, `::`, `127.0.0.1`, `fd00::1`).
    pub address: String,
    pub port: u16,
    /// Owning process; null when it could not be seen (another user's process without root,
    /// a kernel socket such as nfsd, or an offline image). When several processes hold the
    /// socket, this is the primary one: the lowest pid that is not init (PID 1), so a
    /// socket-activated sshd is named rather than systemd.
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// Every process holding the socket, by pid (e.g. systemd and sshd for socket activation).
    #[serde(default)]
    pub processes: Vec<SocketOwner>,
    /// Bound to a loopback address only (127.0.0.0/8, ::1): not reachable from the network.
    #[serde(default)]
    pub loopback: bool,
    /// 4 or 6: the socket table it came from.
    #[serde(default)]
    pub ip_version: u8,
    /// An IPv6 wildcard (`::`) socket: unless IPV6_V6ONLY is set on it (not visible in
    /// /proc), it receives IPv4 traffic as well.
    #[serde(default)]
    pub dual_stack: bool,
    #[serde(default)]
    pub inode: u64,
    #[serde(default)]
    pub uid: u32,
}

/// One process holding a listening socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketOwner {
    pub pid: u32,
    pub process: Option<String>,
}

impl Listener {
    /// Names of every process seen holding the socket (the primary one when `processes` is
    /// empty, e.g. facts from an older scan).
    pub fn owner_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .processes
            .iter()
            .filter_map(|o| o.process.as_deref())
            .collect();
        if let Some(p) = self.process.as_deref()
            && !names.contains(&p)
        {
            names.insert(0, p);
        }
        names
    }

    /// `tcp 0.0.0.0:22 (sshd, pid 812)`: one line for a technician.
    pub fn describe(&self) -> String {
        let addr = if self.address.contains(':') {
            format!("[{}]:{}", self.address, self.port)
        } else {
            format!("{}:{}", self.address, self.port)
        };
        let mut owner = match (&self.process, self.pid) {
            (Some(name), Some(pid)) => format!("{name}, pid {pid}"),
            (None, Some(pid)) => format!("pid {pid}"),
            _ => "process not seen".to_string(),
        };
        let others: Vec<String> = self
            .processes
            .iter()
            .filter(|o| Some(o.pid) != self.pid)
            .map(|o| match &o.process {
                Some(name) => format!("{name}, pid {}", o.pid),
                None => format!("pid {}", o.pid),
            })
            .collect();
        if !others.is_empty() {
            owner.push_str(&format!("; also held by {}", others.join("; ")));
        }
        format!("{}/{} on {addr} ({owner})", self.port, self.proto.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkFacts {
    #[serde(default)]
    pub listeners: Vec<Listener>,
    pub unknown: Unseen<NetworkGap>,
}

/// One row of a /proc/net socket table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketEntry {
    pub local: IpAddr,
    pub local_port: u16,
    pub remote: IpAddr,
    pub remote_port: u16,
    pub state: u8,
    pub uid: u32,
    pub inode: u64,
}

/// Parses one /proc/net/{tcp,udp}[6] table. Malformed rows are skipped: the kernel never
/// writes them, so they only come from a damaged capture.
pub fn parse_proc_net(text: &str, ipv6: bool) -> Vec<SocketEntry> {
    text.lines()
        .filter_map(|line| parse_row(line, ipv6))
        .collect()
}

fn parse_row(line: &str, ipv6: bool) -> Option<SocketEntry> {
    let mut f = line.split_whitespace();
    let slot = f.next()?;
    if !slot.ends_with(':') {
        return None; // the header line, or garbage
    }
    let (local, local_port) = parse_endpoint(f.next()?, ipv6)?;
    let (remote, remote_port) = parse_endpoint(f.next()?, ipv6)?;
    let state = u8::from_str_radix(f.next()?, 16).ok()?;
    let _queues = f.next()?;
    let _timer = f.next()?;
    let _retransmits = f.next()?;
    let uid = f.next()?.parse().ok()?;
    let _timeout = f.next()?;
    let inode = f.next()?.parse().ok()?;
    Some(SocketEntry {
        local,
        local_port,
        remote,
        remote_port,
        state,
        uid,
        inode,
    })
}

/// `0100007F:0277` → 127.0.0.1:631. Addresses are written as 32-bit words in the host's
/// byte order; stationward decodes them as little-endian (x86, ARM, RISC-V).
fn parse_endpoint(s: &str, ipv6: bool) -> Option<(IpAddr, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let addr = if ipv6 {
        if addr.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, chunk) in bytes.chunks_mut(4).enumerate() {
            let word = u32::from_str_radix(addr.get(i * 8..i * 8 + 8)?, 16).ok()?;
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        IpAddr::V6(Ipv6Addr::from(bytes))
    } else {
        if addr.len() != 8 {
            return None;
        }
        let word = u32::from_str_radix(addr, 16).ok()?;
        IpAddr::V4(Ipv4Addr::from(word.to_le_bytes()))
    };
    Some((addr, port))
}

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
pub fn is_loopback(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|m| m.is_loopback()),
    }
}

/// The listening sockets among a table's rows: TCP in LISTEN, UDP bound and unconnected.
pub fn listeners_from(entries: &[SocketEntry], proto: Proto) -> Vec<Listener> {
    entries
        .iter()
        .filter(|e| e.local_port != 0)
        .filter(|e| match proto {
            Proto::Tcp => e.state == TCP_LISTEN,
            Proto::Udp => {
                e.state == UDP_UNCONNECTED && e.remote_port == 0 && e.remote.is_unspecified()
            }
        })
        .map(|e| {
            let (ip_version, dual_stack) = match e.local {
                IpAddr::V4(_) => (4, false),
                IpAddr::V6(a) => (6, a.is_unspecified()),
            };
            let address = match e.local {
                IpAddr::V6(a) => a
                    .to_ipv4_mapped()
                    .map_or_else(|| a.to_string(), |m| format!("::ffff:{m}")),
                IpAddr::V4(a) => a.to_string(),
            };
            Listener {
                proto,
                address,
                port: e.local_port,
                pid: None,
                process: None,
                processes: Vec::new(),
                loopback: is_loopback(&e.local),
                ip_version,
                dual_stack,
                inode: e.inode,
                uid: e.uid,
            }
        })
        .collect()
}

/// `socket:[16415]` → 16415.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// First line of /proc/<pid>/comm.
pub fn parse_comm(text: &str) -> Option<String> {
    let name = text.lines().next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

pub fn collect(host: &dyn Host) -> NetworkFacts {
    let mut facts = NetworkFacts::default();
    let offline = matches!(host.kind(), HostKind::Root(_));
    let mut read_any = false;
    let mut errors = Vec::new();
    for (path, proto, ipv6) in PROC_NET_FILES {
        match host.read(path) {
            Ok(f) => {
                read_any = true;
                facts
                    .listeners
                    .extend(listeners_from(&parse_proc_net(&f.text, ipv6), proto));
            }
            // No tcp6/udp6 simply means IPv6 is off in this kernel.
            Err(e) if e.is_not_found() && ipv6 => {}
            Err(e) => errors.push(e),
        }
    }
    if !read_any {
        let reason = if offline {
            "offline image: no live sockets".to_string()
        } else {
            errors.first().map_or_else(
                || "no socket tables found under /proc/net".into(),
                HostError::to_string,
            )
        };
        facts.unknown.insert(NetworkGap::Listeners, reason);
        return facts;
    }
    if let Some(e) = errors.first() {
        facts.unknown.insert(
            NetworkGap::Listeners,
            format!("socket table incomplete: {e}"),
        );
    }
    attach_processes(host, &mut facts, offline);
    facts.listeners.sort_by(|a, b| {
        (a.proto, a.port, a.ip_version, &a.address).cmp(&(
            b.proto,
            b.port,
            b.ip_version,
            &b.address,
        ))
    });
    facts.listeners.dedup();
    facts
}

/// The owner to name first: the lowest pid that is not init (PID 1, or a process called
/// systemd/init), else the lowest pid. `owners` is sorted by pid.
pub fn primary_owner(owners: &[SocketOwner]) -> Option<&SocketOwner> {
    let is_init =
        |o: &SocketOwner| o.pid == 1 || matches!(o.process.as_deref(), Some("systemd" | "init"));
    owners
        .iter()
        .find(|o| !is_init(o))
        .or_else(|| owners.first())
}

/// Finds the processes holding the listeners' sockets. Without root, other users'
/// /proc/<pid>/fd are unreadable: those listeners keep pid/process null and `unknown` says why.
fn attach_processes(host: &dyn Host, facts: &mut NetworkFacts, offline: bool) {
    let wanted: BTreeSet<u64> = facts
        .listeners
        .iter()
        .map(|l| l.inode)
        .filter(|i| *i != 0)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let pids: Vec<u32> = match host.read_dir("/proc") {
        Ok(names) => names.iter().filter_map(|n| n.parse().ok()).collect(),
        Err(e) => {
            let why = if offline {
                "offline image: no running processes".to_string()
            } else {
                e.to_string()
            };
            facts.unknown.insert(NetworkGap::ListenerProcesses, why);
            return;
        }
    };
    let mut owners: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    let mut denied = 0usize;
    for pid in pids {
        let dir = format!("/proc/{pid}/fd");
        let fds = match host.read_dir(&dir) {
            Ok(fds) => fds,
            Err(HostError::PermissionDenied(_)) => {
                denied += 1;
                continue;
            }
            Err(_) => continue, // exited meanwhile, or a kernel thread
        };
        for fd in fds {
            let Ok(link) = host.read_link(&format!("{dir}/{fd}")) else {
                continue;
            };
            if let Some(inode) = socket_inode(&link).filter(|i| wanted.contains(i)) {
                // Every holder is kept: socket activation shares one socket between
                // systemd (PID 1) and the daemon, a forking daemon with its workers.
                let held = owners.entry(inode).or_default();
                if !held.contains(&pid) {
                    held.push(pid);
                }
            }
        }
    }
    let mut names: BTreeMap<u32, Option<String>> = BTreeMap::new();
    for l in &mut facts.listeners {
        let Some(pids) = owners.get(&l.inode) else {
            continue;
        };
        let mut held: Vec<SocketOwner> = pids
            .iter()
            .map(|&pid| {
                let name = names.entry(pid).or_insert_with(|| {
                    host.read(&format!("/proc/{pid}/comm"))
                        .ok()
                        .and_then(|f| parse_comm(&f.text))
                });
                SocketOwner {
                    pid,
                    process: name.clone(),
                }
            })
            .collect();
        held.sort_by_key(|o| o.pid);
        if let Some(primary) = primary_owner(&held) {
            l.pid = Some(primary.pid);
            l.process = primary.process.clone();
        }
        l.processes = held;
    }
    let unseen = facts.listeners.iter().filter(|l| l.pid.is_none()).count();
    if unseen > 0 {
        let why = if offline {
            "offline image: no running processes".to_string()
        } else if denied > 0 {
            format!(
                "needs root to see which process owns {unseen} listening socket(s) ({denied} processes' descriptors unreadable)"
            )
        } else {
            format!(
                "{unseen} listening socket(s) belong to no visible process (kernel sockets, or another namespace)"
            )
        };
        facts.unknown.insert(NetworkGap::ListenerProcesses, why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/network/proc-net-tcp.txt"
    ));
    const TCP6: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/network/proc-net-tcp6.txt"
    ));
    const UDP: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/network/proc-net-udp.txt"
    ));
    const UDP6: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/network/proc-net-udp6.txt"
    ));

    fn short(ls: &[Listener]) -> Vec<String> {
        ls.iter()
            .map(|l| format!("{}:{} {}", l.address, l.port, l.loopback))
            .collect()
    }

    #[test]
    fn real_tcp_table_yields_listeners_only() {
        let l = listeners_from(&parse_proc_net(TCP, false), Proto::Tcp);
        assert_eq!(
            short(&l),
            [
                "10.77.0.1:23 false",
                "0.0.0.0:22 false",
                "127.0.0.1:631 true"
            ]
        );
        assert_eq!(l[1].inode, 16415);
        assert_eq!(l[1].ip_version, 4);
        // The established pair on 631 is not a listener.
        assert_eq!(parse_proc_net(TCP, false).len(), 5);
    }

    #[test]
    fn real_tcp6_table_decodes_addresses() {
        let l = listeners_from(&parse_proc_net(TCP6, true), Proto::Tcp);
        assert_eq!(
            short(&l),
            ["fd00:77::1:3389 false", ":::2575 false", "::1:5432 true"]
        );
        assert!(l[1].dual_stack);
        assert!(!l[0].dual_stack);
    }

    #[test]
    fn real_udp_tables_skip_connected_sockets() {
        let l = listeners_from(&parse_proc_net(UDP, false), Proto::Udp);
        assert_eq!(short(&l), ["0.0.0.0:161 false", "127.0.0.1:323 true"]);
        let l6 = listeners_from(&parse_proc_net(UDP6, true), Proto::Udp);
        assert_eq!(short(&l6), [":::123 false"]);
    }

    #[test]
    fn hostile_input_is_skipped_not_fatal() {
        assert!(parse_proc_net("", false).is_empty());
        let junk = "  sl  local_address\n   0: 0100007F:0277\n   1: 0100007F:zz77 00000000:0000 0A 0:0 0:0 0 0 0 1\n\u{FFFD}\u{FFFD}: x y z\n   2: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0 extra fields here\n   3: 0100007F0:0016 00000000:0000 0A a b c 0 0 7\n";
        let rows = parse_proc_net(junk, false);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].inode, 99);
        // Wrong address width for the table.
        assert!(parse_proc_net(TCP, true).is_empty());
        assert!(parse_proc_net(TCP6, false).is_empty());
    }

    #[test]
    fn ten_thousand_rows() {
        let mut big = String::from("  sl  local_address rem_address   st\n");
        for i in 0..10_000u32 {
            big.push_str(&format!(
                "{i}: 00000000:{:04X} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 {} 1 0\n",
                1024 + i % 60_000,
                i + 1
            ));
        }
        assert_eq!(
            listeners_from(&parse_proc_net(&big, false), Proto::Tcp).len(),
            10_000
        );
    }

    #[test]
    fn mapped_and_loopback_addresses() {
        assert!(is_loopback(
            &"::ffff:127.0.0.1"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        ));
        assert!(!is_loopback(&IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        let mapped = "0000000000000000FFFF00000100007F:0016";
        assert_eq!(
            parse_endpoint(mapped, true).map(|(a, _)| is_loopback(&a)),
            Some(true),
            "::ffff:127.0.0.1 is loopback"
        );
    }

    #[test]
    fn socket_links_and_comm() {
        assert_eq!(socket_inode("socket:[16415]"), Some(16415));
        assert_eq!(socket_inode("pipe:[16381]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
        assert_eq!(parse_comm("sshd\n"), Some("sshd".into()));
        assert_eq!(parse_comm("\n"), None);
    }

    #[test]
    fn offline_tree_without_proc_net_is_unknown() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let facts = collect(&crate::host::Root::new(dir.path()));
        assert_eq!(
            facts
                .unknown
                .get(&NetworkGap::Listeners)
                .map(String::as_str),
            Some("offline image: no live sockets")
        );
        assert!(facts.listeners.is_empty());
        Ok(())
    }

    #[test]
    fn offline_tree_with_captured_tables_and_fd_links() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let net = dir.path().join("proc/net");
        std::fs::create_dir_all(&net)?;
        std::fs::write(net.join("tcp"), TCP)?;
        std::fs::write(net.join("udp"), UDP)?;
        let fd = dir.path().join("proc/812/fd");
        std::fs::create_dir_all(&fd)?;
        std::os::unix::fs::symlink("socket:[16415]", fd.join("3"))?;
        std::fs::write(dir.path().join("proc/812/comm"), "sshd\n")?;
        let facts = collect(&crate::host::Root::new(dir.path()));
        let ssh = facts.listeners.iter().find(|l| l.port == 22);
        assert_eq!(ssh.and_then(|l| l.process.clone()), Some("sshd".into()));
        assert_eq!(ssh.and_then(|l| l.pid), Some(812));
        assert_eq!(facts.listeners.len(), 5);
        assert!(
            facts
                .unknown
                .get(&NetworkGap::ListenerProcesses)
                .is_some_and(|r| r.contains("offline"))
        );
        Ok(())
    }

    #[test]
    fn socket_activated_listener_keeps_every_owner() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let net = dir.path().join("proc/net");
        std::fs::create_dir_all(&net)?;
        std::fs::write(net.join("tcp"), TCP)?;
        for (pid, comm) in [(1, "systemd"), (1187, "sshd")] {
            let fd = dir.path().join(format!("proc/{pid}/fd"));
            std::fs::create_dir_all(&fd)?;
            std::os::unix::fs::symlink("socket:[16415]", fd.join("3"))?;
            std::fs::write(
                dir.path().join(format!("proc/{pid}/comm")),
                format!("{comm}\n"),
            )?;
        }
        let facts = collect(&crate::host::Root::new(dir.path()));
        let ssh = facts.listeners.iter().find(|l| l.port == 22);
        assert_eq!(ssh.and_then(|l| l.process.clone()), Some("sshd".into()));
        assert_eq!(ssh.and_then(|l| l.pid), Some(1187));
        let pids: Vec<u32> = ssh
            .map(|l| l.processes.iter().map(|o| o.pid).collect())
            .unwrap_or_default();
        assert_eq!(pids, vec![1, 1187]);
        assert_eq!(
            ssh.map(Listener::owner_names).unwrap_or_default(),
            vec!["systemd", "sshd"]
        );
        assert!(
            ssh.is_some_and(|l| l.describe().contains("also held by systemd, pid 1")),
            "{ssh:?}"
        );
        Ok(())
    }

    #[test]
    fn primary_owner_prefers_the_daemon_over_init() {
        let o = |pid, name: &str| SocketOwner {
            pid,
            process: Some(name.into()),
        };
        assert_eq!(
            primary_owner(&[o(1, "systemd"), o(900, "sshd")]).map(|x| x.pid),
            Some(900)
        );
        assert_eq!(primary_owner(&[o(1, "systemd")]).map(|x| x.pid), Some(1));
        // A forking daemon with its workers: the parent (lowest pid) is primary.
        assert_eq!(
            primary_owner(&[o(700, "apache2"), o(701, "apache2")]).map(|x| x.pid),
            Some(700)
        );
        assert_eq!(primary_owner(&[]), None);
    }

    #[test]
    fn live_host_sees_its_own_listener() -> std::io::Result<()> {
        let sock = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = sock.local_addr()?.port();
        let facts = collect(&crate::host::Live::new());
        let me = facts
            .listeners
            .iter()
            .find(|l| l.port == port && l.proto == Proto::Tcp);
        assert_eq!(me.and_then(|l| l.pid), Some(std::process::id()));
        assert!(me.is_some_and(|l| l.loopback));
        Ok(())
    }
}
