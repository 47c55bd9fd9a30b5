//! The firewall checks against real rulesets: each case loads rules into a fresh network
//! namespace with the real `nft` / `iptables-nft` / `iptables-legacy`, runs the built binary
//! inside it (`ip netns exec NS stationward scan --area firewall --format json`) and asserts
//! the firewall findings. Each case needs root, `ip`, `nft` and python3 (a listener): it is
//! `#[ignore]`d with that reason, and fails (never skips) when asked to run without them.

mod support;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_stationward");

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/firewall/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A network namespace, deleted when dropped (also when an assertion fails).
struct Netns(String);

impl Netns {
    fn create(case: &str) -> Result<Netns, String> {
        let name = format!("swt-{}-{case}", std::process::id());
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .map_err(|e| format!("ip netns add: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ip netns add failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let ns = Netns(name);
        ns.exec(&["ip", "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    fn exec(&self, argv: &[&str]) -> Result<String, String> {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(argv)
            .output()
            .map_err(|e| format!("{}: {e}", argv.join(" ")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{} failed: {}",
                argv.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// A TCP listener on `[::]:port` (dual stack) inside the namespace, if python3 is here.
    fn listen(&self, port: u16) -> Option<ChildGuard> {
        let script = format!(
            "import socket,time\ns=socket.socket(socket.AF_INET6)\ns.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\ns.bind(('::',{port}))\ns.listen()\ntime.sleep(60)\n"
        );
        let child = Command::new("ip")
            .args(["netns", "exec", &self.0, "python3", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let guard = ChildGuard(child);
        let needle = format!(":{port:04X} ");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if self
                .exec(&["cat", "/proc/net/tcp6"])
                .is_ok_and(|t| t.lines().any(|l| l.contains(&needle) && l.contains(" 0A ")))
            {
                return Some(guard);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn scan(&self) -> Value {
        let out = Command::new("ip")
            .args([
                "netns", "exec", &self.0, BIN, "scan", "--area", "firewall", "--format", "json",
            ])
            .output()
            .unwrap_or_else(|e| panic!("running {BIN}: {e}"));
        // 0 = nothing failed, 1 = a check failed; anything else is a real error.
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "scan exited {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("scan output is not JSON: {e}"))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status(scan: &Value, check: &str) -> String {
    scan["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["check"] == check))
        .and_then(|f| f["status"].as_str())
        .unwrap_or("missing")
        .to_string()
}

fn summary(scan: &Value, check: &str) -> String {
    scan["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["check"] == check))
        .and_then(|f| f["summary"].as_str())
        .unwrap_or("")
        .to_string()
}

/// Expected statuses of active, default_deny_inbound, ipv6_parity, listeners_covered.
fn assert_statuses(scan: &Value, expected: [&str; 4]) {
    let got: Vec<String> = [
        "firewall.active",
        "firewall.default_deny_inbound",
        "firewall.ipv6_parity",
        "firewall.listeners_covered",
    ]
    .iter()
    .map(|c| status(scan, c))
    .collect();
    assert_eq!(got, expected, "findings: {}", scan["findings"]);
}

/// Runs one case: `setup` commands inside the namespace, an optional listener on 8080, the
/// scan. Panics when the machine cannot run it (a missing tool, not root).
fn run_case(
    case: &str,
    tools: &[&str],
    setup: &[Vec<String>],
    with_listener: bool,
) -> (Value, bool) {
    let mut needed = tools.to_vec();
    needed.push("python3");
    support::require(&needed, true);
    let ns = Netns::create(case).unwrap_or_else(|why| panic!("{case}: {why}"));
    for cmd in setup {
        let argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
        if let Err(e) = ns.exec(&argv) {
            panic!("setting up {case}: {e}");
        }
    }
    let listener = if with_listener { ns.listen(8080) } else { None };
    let listening = listener.is_some();
    assert!(
        !with_listener || listening,
        "{case}: the python3 listener on 8080 did not come up"
    );
    let scan = ns.scan();
    drop(listener);
    (scan, listening)
}

fn nft_file(name: &str) -> Vec<String> {
    vec!["nft".into(), "-f".into(), fixture(name)]
}

fn cmd(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[test]
#[ignore = "needs root, ip, nft and python3 (run by CI with --include-ignored)"]
fn no_ruleset_fails_active_and_default_deny() {
    let (scan, listening) = run_case("none", &["ip", "nft"], &[], true);
    let covered = if listening { "warn" } else { "pass" };
    assert_statuses(&scan, ["fail", "fail", "not_applicable", covered]);
    if listening {
        assert!(summary(&scan, "firewall.listeners_covered").contains("8080/tcp"));
        let l = &scan["facts"]["network"]["listeners"];
        assert!(
            l.as_array().is_some_and(|a| a
                .iter()
                .any(|x| x["port"] == 8080 && x["process"] == "python3")),
            "{l}"
        );
    }
}

#[test]
#[ignore = "needs root, ip, nft and python3 (run by CI with --include-ignored)"]
fn inet_policy_drop_passes() {
    let (scan, _) = run_case(
        "inetdrop",
        &["ip", "nft"],
        &[nft_file("inet-drop.nft")],
        true,
    );
    // 8080 is not allowed by any rule: it is dropped by the policy, so it is covered.
    assert_statuses(&scan, ["pass", "pass", "pass", "pass"]);
    let chains = &scan["facts"]["firewall"]["chains"];
    assert!(chains.as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["family"] == "inet" && c["hook"] == "input" && c["policy"] == "drop")
    }));
}

#[test]
#[ignore = "needs root, ip, nft and python3 (run by CI with --include-ignored)"]
fn accept_all_policy_fails_default_deny() {
    let (scan, listening) = run_case(
        "acceptall",
        &["ip", "nft"],
        &[nft_file("accept-all.nft")],
        true,
    );
    let covered = if listening { "warn" } else { "pass" };
    assert_statuses(&scan, ["pass", "fail", "pass", covered]);
}

#[test]
#[ignore = "needs root, ip, nft and python3 (run by CI with --include-ignored)"]
fn ipv4_only_drop_warns_parity() {
    let (scan, _) = run_case(
        "v4only",
        &["ip", "nft"],
        &[nft_file("ipv4-only.nft")],
        false,
    );
    assert_statuses(&scan, ["pass", "fail", "warn", "pass"]);
    assert!(summary(&scan, "firewall.default_deny_inbound").contains("IPv6"));
}

#[test]
#[ignore = "needs root, ip, nft, iptables-nft and python3 (run by CI with --include-ignored)"]
fn iptables_nft_rules_are_read_through_nft() {
    let setup = [
        cmd("iptables-nft -P INPUT DROP"),
        cmd("iptables-nft -A INPUT -i lo -j ACCEPT"),
        cmd("iptables-nft -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        cmd("iptables-nft -A INPUT -p tcp --dport 22 -j ACCEPT"),
        cmd("iptables-nft -A INPUT -p tcp -m multiport --dports 2575,6661:6663 -j ACCEPT"),
        cmd("ip6tables-nft -A INPUT -i lo -j ACCEPT"),
        cmd("ip6tables-nft -A INPUT -p tcp --dport 22 -j ACCEPT"),
        cmd("ip6tables-nft -A INPUT -j REJECT"),
    ];
    let (scan, _) = run_case(
        "iptnft",
        &["ip", "nft", "iptables-nft", "ip6tables-nft"],
        &setup,
        true,
    );
    assert_statuses(&scan, ["pass", "pass", "pass", "pass"]);
    // The multiport match nft shows as an opaque xt expression was read from iptables-save.
    let chains = scan["facts"]["firewall"]["chains"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let input = chains
        .iter()
        .find(|c| c["family"] == "ip" && c["name"] == "INPUT");
    let decoded = input
        .and_then(|c| c["rule_summaries"].as_array())
        .is_some_and(|rs| {
            rs.iter().any(|r| {
                r["dports"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|p| p["from"] == 6661 && p["to"] == 6663))
            })
        });
    assert!(decoded, "{input:?}");
}

#[test]
#[ignore = "needs root, ip, nft, iptables-legacy and python3 (run by CI with --include-ignored)"]
fn iptables_legacy_rules_are_found_beside_nft() {
    let setup = [
        cmd("iptables-legacy -A INPUT -i lo -j ACCEPT"),
        cmd("iptables-legacy -A INPUT -p tcp --dport 22 -j ACCEPT"),
        cmd("iptables-legacy -A INPUT -j DROP"),
        cmd("ip6tables-legacy -P INPUT DROP"),
    ];
    let (scan, _) = run_case(
        "iptlegacy",
        &["ip", "nft", "iptables-legacy", "ip6tables-legacy"],
        &setup,
        false,
    );
    assert_statuses(&scan, ["pass", "pass", "pass", "pass"]);
    let sources = scan["facts"]["firewall"]["sources"].to_string();
    assert!(sources.contains("iptables-legacy-save"), "{sources}");
}
