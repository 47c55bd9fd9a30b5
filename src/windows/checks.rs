//! Every check, judged on the facts of a Windows snapshot.
//!
//! Identifiers only: accounts and groups by SID/RID, audit settings by subcategory GUID,
//! states by numeric or enum-name values. Display names are shown, never compared. A source
//! the snapshot could not see makes the checks that need it `unknown` with its reason; a
//! Linux-only check is `not_applicable` with the reason.

use super::WindowsFacts;
use super::de::parse_date;
use super::lifecycle::{self, Family};
use super::snapshot::{FileRef, FwRule, Listeners, RegValue, Seen, Service, SnapshotInfo, rid};
use crate::checks::{self, Area, CheckContext, Finding, Status};
use crate::date::Date;
use crate::host::Evidence;
use crate::policy::{Policy, Proto};
use serde_json::Value;

/// Runs every check of `areas` (registry order, Windows-only ids included).
pub fn evaluate(
    w: &WindowsFacts,
    areas: &[Area],
    policy: &Policy,
    ctx: &CheckContext,
) -> Vec<Finding> {
    let c = Ctx::new(w, policy, ctx);
    let mut out = Vec::new();
    for spec in checks::REGISTRY.iter().chain(checks::WINDOWS_ONLY) {
        if !areas.contains(&spec.area) {
            continue;
        }
        let mut f = c.check(spec.id);
        f.severity = spec.severity;
        out.push(f);
    }
    out
}

/// Collection time of the snapshot: ages (signatures, hotfixes, update searches) are judged
/// as of then, because that is the state the snapshot describes.
fn collected_at(info: &SnapshotInfo, ctx: &CheckContext) -> i64 {
    parse_date(&info.finished_utc).unwrap_or(ctx.now)
}

// `ctx` is the check context, named as in every other check module.
#[allow(clippy::struct_field_names)]
struct Ctx<'a> {
    w: &'a WindowsFacts,
    p: &'a Policy,
    ctx: &'a CheckContext,
    at: i64,
}

/// A registry value as the snapshot recorded it.
enum Reg<'a> {
    Value(&'a Value),
    /// Looked for on the station and not there.
    Absent,
    /// Not in the snapshot's list, or the registry source was not seen.
    NotCollected(String),
}

const LSA: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
const TS_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const TS_LOCAL: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
const RDP_TCP: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
const USBSTOR: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\USBSTOR";
const REMOVABLE: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices";
const REMOVABLE_DISK: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\RemovableStorageDevices\{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}";
const EXPLORER_POLICY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer";
const W32TIME_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\W32Time\Parameters";
const W32TIME_LOCAL: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\W32Time\Parameters";
const WEF: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\EventLog\EventForwarding\SubscriptionManager";
const FW_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall";
const FW_LOCAL: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";
const LANMAN: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters";
const MRXSMB10: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\mrxsmb10";
const WDIGEST: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest";
const DNSCLIENT: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\DNSClient";
const NETBT: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\NetBT\Parameters";
const SYSTEM_POLICY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System";

/// Services whose server side speaks a cleartext or legacy protocol.
const LEGACY_SERVICES: &[(&str, &str)] = &[
    ("TlntSvr", "Telnet server"),
    (
        "SimpTcp",
        "Simple TCP/IP services (echo, chargen, daytime, qotd)",
    ),
    ("FTPSVC", "IIS FTP server"),
    ("MSFTPSVC", "IIS 6 FTP server"),
    ("tftpd", "TFTP server"),
    ("SNMP", "SNMP agent (v1/v2c community strings in cleartext)"),
];

/// Microsoft services CIS recommends disabling on a station that does not need them.
const DISCOURAGED_SERVICES: &[&str] = &[
    "RemoteRegistry",
    "SSDPSRV",
    "upnphost",
    "WinRM",
    "RemoteAccess",
    "SharedAccess",
    "Browser",
    "icssvc",
    "lfsvc",
    "MapsBroker",
    "WMPNetworkSvc",
    "XblAuthManager",
    "XblGameSave",
    "XboxNetApiSvc",
    "IISADMIN",
    "W3SVC",
];

/// Remote-access tools: (policy name, service-name patterns, program DisplayName prefixes).
const REMOTE_TOOLS: &[(&str, &[&str], &[&str])] = &[
    ("teamviewer", &["TeamViewer*"], &["TeamViewer"]),
    ("anydesk", &["AnyDesk*"], &["AnyDesk"]),
    (
        "vnc",
        &[
            "tvnserver",
            "uvnc_service",
            "vncserver",
            "WinVNC*",
            "TigerVNC*",
        ],
        &["TightVNC", "UltraVNC", "RealVNC", "VNC Server", "TigerVNC"],
    ),
    ("splashtop", &["SplashtopRemoteService"], &["Splashtop"]),
    (
        "screenconnect",
        &["ScreenConnect Client*"],
        &["ScreenConnect", "ConnectWise Control"],
    ),
    ("logmein", &["LMIGuardianSvc", "LogMeIn"], &["LogMeIn"]),
    ("rustdesk", &["RustDesk"], &["RustDesk"]),
    ("dameware", &["dwmrcs"], &["DameWare"]),
    ("radmin", &["RServer3"], &["Radmin Server"]),
    (
        "beyondtrust",
        &["bomgar-*"],
        &["BeyondTrust Remote Support", "Bomgar"],
    ),
    (
        "chrome-remote-desktop",
        &["chromoting"],
        &["Chrome Remote Desktop"],
    ),
];

/// Anti-malware and EDR agent services recognised without policy (service names).
const AV_SERVICES: &[&str] = &[
    "SepMasterService",
    "mfemms",
    "McAfeeFramework",
    "ekrn",
    "CSFalconService",
    "SentinelAgent",
    "SAVService",
    "Sophos Endpoint Defense Service",
    "ntrtscan",
    "TmCCSF",
    "CylanceSvc",
    "WRSVC",
    "AVP*",
    "CbDefense",
    "xagt",
    "cyserver",
    "Trellix*",
];

/// Event-forwarding agents (service names).
const FORWARDERS: &[&str] = &[
    "nxlog",
    "winlogbeat",
    "SplunkForwarder",
    "WazuhSvc",
    "OssecSvc",
    "Elastic Agent",
    "fluent-bit",
    "SnareCore",
];

/// Advanced audit subcategories a station must record: (GUID, name, required bits).
const AUDIT_REQUIRED: &[(&str, &str, i64)] = &[
    ("{0CCE9215-69AE-11D9-BED3-505054503030}", "Logon", 3),
    (
        "{0CCE923F-69AE-11D9-BED3-505054503030}",
        "Credential Validation",
        3,
    ),
    (
        "{0CCE9235-69AE-11D9-BED3-505054503030}",
        "User Account Management",
        3,
    ),
    (
        "{0CCE9237-69AE-11D9-BED3-505054503030}",
        "Security Group Management",
        1,
    ),
    (
        "{0CCE922F-69AE-11D9-BED3-505054503030}",
        "Audit Policy Change",
        1,
    ),
    (
        "{0CCE9217-69AE-11D9-BED3-505054503030}",
        "Account Lockout",
        2,
    ),
];

const WUA_SECURITY: &str = "0fa1201d-4330-4fa8-8ae9-b877473b6441";
const WUA_CRITICAL: &str = "e6cf1350-c01b-414d-a61f-263d14d133b4";

const ADMINISTRATORS: &str = "S-1-5-32-544";
const PRIVILEGED_GROUPS: &[&str] = &[
    ADMINISTRATORS,
    "S-1-5-32-551",
    "S-1-5-32-555",
    "S-1-5-32-580",
];

fn glob(pattern: &str, text: &str) -> bool {
    crate::glob::star(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

fn is_loopback(addr: &str) -> bool {
    addr.starts_with("127.") || addr == "::1"
}

/// One listening endpoint with its owner.
struct WinListener {
    proto: Proto,
    address: String,
    port: u16,
    pid: Option<i64>,
    image: Option<String>,
    path: String,
}

impl WinListener {
    fn describe(&self) -> String {
        format!(
            "{}/{} on {} ({})",
            self.port,
            self.proto.as_str(),
            self.address,
            self.image.as_deref().unwrap_or("owner not seen")
        )
    }
}

/// Whether the effective firewall lets a listener be reached.
enum Reach {
    Blocked,
    Open(String),
    Unknown(String),
}

impl<'a> Ctx<'a> {
    fn new(w: &'a WindowsFacts, p: &'a Policy, ctx: &'a CheckContext) -> Ctx<'a> {
        Ctx {
            w,
            p,
            ctx,
            at: collected_at(&w.snapshot, ctx),
        }
    }

    fn check(&self, id: &str) -> Finding {
        match id {
            "host.identity" => self.identity(),
            "network.listeners" => self.listeners(),
            "network.risky_ports" => self.risky_ports(),
            "network.hl7_cleartext" => self.hl7(),
            "firewall.active" => self.fw_active(),
            "firewall.default_deny_inbound" => self.fw_default_deny(),
            "firewall.ipv6_parity" => Finding::new(
                id,
                Status::NotApplicable,
                "Windows Defender Firewall profiles and rules filter IPv4 and IPv6 alike (rules are dual-stack unless their addresses say otherwise)",
            ),
            "firewall.listeners_covered" => self.fw_covered(),
            "services.legacy_cleartext" => self.legacy_services(),
            "services.unexpected" => self.unexpected_services(),
            "patches.pending_security" => self.pending(true),
            "patches.pending_all" => self.pending(false),
            "patches.data_fresh" => self.data_fresh(),
            "patches.reboot_required" => self.reboot(),
            "patches.last_applied" => self.last_applied(),
            "patches.os_supported" => self.os_supported(),
            "accounts.uid0_only_root" => na(
                id,
                "UID 0 is a Unix notion; Windows administrators are reviewed in accounts.admin_members",
            ),
            "accounts.no_empty_passwords" => self.no_empty_passwords(),
            "accounts.strong_hashes" => na(
                id,
                "Windows keeps NT hashes in the SAM; LAN Manager hashes and the NTLM level are checked in os.security_options",
            ),
            "accounts.system_no_login" => na(
                id,
                "Windows service identities (LocalSystem, NetworkService, virtual accounts) have no interactive password logon to check here",
            ),
            "accounts.default_names" => self.default_names(),
            "accounts.sudo_nopasswd" => na(
                id,
                "sudo does not exist on Windows; elevation goes through UAC (os.security_options)",
            ),
            "accounts.privileged_members" => self.privileged_members(),
            "accounts.password_aging" => self.password_aging(),
            "accounts.lockout" => self.lockout(),
            "accounts.admin_members" => self.admin_members(),
            "accounts.builtin_accounts" => self.builtin_accounts(),
            "ssh.root_login" => self.ssh_root(),
            "ssh.password_auth" => self.ssh_password(),
            "remote.tools" => self.remote_tools(),
            "malware.present" => self.malware(),
            "mac.enforcing" => na(
                id,
                "AppArmor and SELinux are Linux; application control (WDAC/AppLocker) on Windows is assessed by hand under ICS-09",
            ),
            "logging.audit" => self.audit(),
            "logging.remote" => self.log_remote(),
            "time.sync" => self.time_sync(),
            "media.usb_storage" => self.usb(),
            "storage.encryption" => self.encryption(),
            "kernel.sysctl" => na(
                id,
                "Linux kernel parameters; Windows security options are checked in os.security_options",
            ),
            "os.security_options" => self.security_options(),
            other => Finding::unknown(
                other,
                "this check has no Windows implementation in this build",
            ),
        }
    }

    // ---- evidence ---------------------------------------------------------------------

    fn ev(&self, file: Option<&FileRef>, item: &str) -> Option<Evidence> {
        let file = file?;
        let base = format!(
            "{}/{}",
            self.w.snapshot.dir.trim_end_matches('/'),
            file.name
        );
        let path = if item.is_empty() {
            base
        } else {
            format!("{base}#{item}")
        };
        Some(Evidence::File {
            path,
            sha256: file.sha256.clone(),
            truncated: false,
        })
    }

    fn src_ev<T>(&self, seen: &Seen<T>, item: &str) -> Vec<Evidence> {
        let item = if item.is_empty() {
            seen.file().map(|f| f.method.clone()).unwrap_or_default()
        } else {
            item.to_string()
        };
        self.ev(seen.file(), &item).into_iter().collect()
    }

    fn reg_ev(&self, path: &str, name: &str) -> Vec<Evidence> {
        self.ev(self.w.sources.registry.file(), &format!("{path}\\{name}"))
            .into_iter()
            .collect()
    }

    // ---- registry -----------------------------------------------------------------------

    fn reg(&self, path: &str, name: &str) -> Reg<'a> {
        let values: &'a [RegValue] = match self.w.sources.registry.data() {
            Ok(v) => v,
            Err(why) => return Reg::NotCollected(format!("registry values not seen: {why}")),
        };
        match values
            .iter()
            .find(|v| v.path.eq_ignore_ascii_case(path) && v.name.eq_ignore_ascii_case(name))
        {
            Some(v) if v.exists => Reg::Value(&v.data),
            Some(_) => Reg::Absent,
            None => Reg::NotCollected(format!("{path}\\{name} is not in the snapshot")),
        }
    }

    /// A DWORD: Ok(Some) when set, Ok(None) when absent on the station, Err when not seen.
    fn dword(&self, path: &str, name: &str) -> Result<Option<i64>, String> {
        match self.reg(path, name) {
            Reg::Value(v) => super::de::int_value(v)
                .map(Some)
                .ok_or_else(|| format!("{path}\\{name} is not a number ({v})")),
            Reg::Absent => Ok(None),
            Reg::NotCollected(why) => Err(why),
        }
    }

    fn string_value(&self, path: &str, name: &str) -> Result<Option<String>, String> {
        match self.reg(path, name) {
            Reg::Value(Value::String(s)) => Ok(Some(s.clone())),
            Reg::Value(Value::Array(items)) => Ok(Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            Reg::Value(v) => Ok(Some(v.to_string())),
            Reg::Absent => Ok(None),
            Reg::NotCollected(why) => Err(why),
        }
    }

    /// Policy value if set, else the local value: how Windows merges Group Policy.
    fn effective_dword(
        &self,
        policy: (&str, &str),
        local: (&str, &str),
    ) -> Result<(Option<i64>, String), String> {
        match self.dword(policy.0, policy.1)? {
            Some(v) => Ok((
                Some(v),
                format!("{}\\{} = {v} (Group Policy)", policy.0, policy.1),
            )),
            None => {
                let l = self.dword(local.0, local.1)?;
                Ok((
                    l,
                    format!(
                        "{}\\{} not set; {}\\{} = {}",
                        policy.0,
                        policy.1,
                        local.0,
                        local.1,
                        l.map_or("absent".to_string(), |v| v.to_string())
                    ),
                ))
            }
        }
    }

    // ---- shared facts -------------------------------------------------------------------

    fn services(&self) -> Result<&'a [Service], String> {
        self.w
            .sources
            .services
            .data()
            .map(Vec::as_slice)
            .map_err(|why| format!("services not seen: {why}"))
    }

    fn service(&self, name: &str) -> Option<&'a Service> {
        self.services()
            .ok()?
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    fn listener_list(&self) -> Result<Vec<WinListener>, String> {
        let l: &Listeners = self
            .w
            .sources
            .listeners
            .data()
            .map_err(|why| format!("listeners not seen: {why}"))?;
        let owner = |pid: Option<i64>| {
            pid.and_then(|pid| l.processes.iter().find(|p| p.process_id == Some(pid)))
        };
        let mut out = Vec::new();
        for (proto, list) in [(Proto::Tcp, &l.tcp), (Proto::Udp, &l.udp)] {
            for e in list {
                let Some(port) = e.local_port.and_then(|p| u16::try_from(p).ok()) else {
                    continue;
                };
                let p = owner(e.owning_process);
                out.push(WinListener {
                    proto,
                    address: e.local_address.clone(),
                    port,
                    pid: e.owning_process,
                    image: p.map(|p| p.name.clone()).filter(|n| !n.is_empty()),
                    path: p.map(|p| p.executable_path.clone()).unwrap_or_default(),
                });
            }
        }
        out.sort_by(|a, b| (a.port, a.proto, &a.address).cmp(&(b.port, b.proto, &b.address)));
        out.dedup_by(|a, b| a.port == b.port && a.proto == b.proto && a.address == b.address);
        Ok(out)
    }

    fn listener_allowed(&self, l: &WinListener) -> bool {
        let image = l.image.as_deref();
        let bare = image.map(|i| {
            i.strip_suffix(".exe")
                .or_else(|| i.strip_suffix(".EXE"))
                .unwrap_or(i)
        });
        self.p
            .windows
            .allowed_listeners
            .iter()
            .any(|a| a.matches(l.port, l.proto, image))
            || self.p.allowed_listeners.iter().any(|a| {
                a.port == l.port
                    && a.proto == l.proto
                    && a.process.as_deref().is_none_or(|want| {
                        bare.is_some_and(|b| b.eq_ignore_ascii_case(want))
                            || image.is_some_and(|i| i.eq_ignore_ascii_case(want))
                    })
            })
    }

    fn rule_matches(&self, r: &FwRule, l: &WinListener, profiles: &[String]) -> bool {
        let yes = |s: &str| s.eq_ignore_ascii_case("true") || s == "1";
        let any = |s: &str| s.is_empty() || s.eq_ignore_ascii_case("any");
        if !yes(&r.enabled)
            || !r.direction.eq_ignore_ascii_case("inbound")
            || !r.action.eq_ignore_ascii_case("allow")
        {
            return false;
        }
        let profile_ok = r.profile.is_empty()
            || r.profile.iter().any(|p| {
                p.eq_ignore_ascii_case("any") || profiles.iter().any(|c| c.eq_ignore_ascii_case(p))
            });
        let proto_ok = any(&r.protocol)
            || match l.proto {
                Proto::Tcp => r.protocol.eq_ignore_ascii_case("tcp") || r.protocol == "6",
                Proto::Udp => r.protocol.eq_ignore_ascii_case("udp") || r.protocol == "17",
            };
        let port_ok = r.local_port.is_empty()
            || r.local_port.iter().any(|p| {
                if p.eq_ignore_ascii_case("any") {
                    return true;
                }
                if p.eq_ignore_ascii_case("RPCEPMap") {
                    return l.port == 135;
                }
                if p.eq_ignore_ascii_case("RPC") {
                    return l.port >= 49152;
                }
                match p.split_once('-') {
                    Some((lo, hi)) => match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
                        (Ok(lo), Ok(hi)) => (lo..=hi).contains(&l.port),
                        // An unreadable port expression may match: count the rule.
                        _ => true,
                    },
                    None => p.trim().parse::<u16>().map_or(true, |n| n == l.port),
                }
            });
        // Program and service conditions: when the owner is not known, the rule may apply.
        let program_ok = any(&r.program) || l.path.is_empty() || same_program(&r.program, &l.path);
        let service_ok = any(&r.service)
            || match (l.pid, self.services()) {
                (Some(pid), Ok(svcs)) => svcs
                    .iter()
                    .any(|s| s.process_id == Some(pid) && s.name.eq_ignore_ascii_case(&r.service)),
                _ => true,
            };
        profile_ok && proto_ok && port_ok && program_ok && service_ok
    }

    fn reach(&self, l: &WinListener) -> Reach {
        let fw = match self.w.sources.firewall.data() {
            Ok(fw) => fw,
            Err(why) => return Reach::Unknown(format!("firewall not seen: {why}")),
        };
        if fw.current_profiles.is_empty() {
            return Reach::Unknown(
                "the snapshot does not say which firewall profile is active".into(),
            );
        }
        for name in &fw.current_profiles {
            let Some(p) = fw
                .profiles
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
            else {
                return Reach::Unknown(format!("no state recorded for the active {name} profile"));
            };
            match gpo_bool(&p.enabled) {
                Some(false) => return Reach::Open(format!("the {name} firewall profile is off")),
                Some(true) => {}
                None => {
                    return Reach::Unknown(format!("{name} profile state is \"{}\"", p.enabled));
                }
            }
            if p.default_inbound_action.eq_ignore_ascii_case("allow") {
                return Reach::Open(format!("the {name} profile allows inbound by default"));
            }
        }
        match fw
            .rules
            .iter()
            .find(|r| self.rule_matches(r, l, &fw.current_profiles))
        {
            Some(r) => Reach::Open(format!("allowed by rule {}", r.name)),
            None => Reach::Blocked,
        }
    }

    // ---- host ---------------------------------------------------------------------------

    fn identity(&self) -> Finding {
        const ID: &str = "host.identity";
        let os = match self.w.sources.os.data() {
            Ok(os) => os,
            Err(why) => return Finding::unknown(ID, format!("could not identify the host: {why}")),
        };
        let details = vec![
            format!("computer name: {}", or_dash(&os.computer_name)),
            format!(
                "product: {} (EditionID {}, SKU {})",
                or_dash(&os.product_name),
                or_dash(&os.edition_id),
                os.sku.map_or("-".into(), |s| s.to_string())
            ),
            format!(
                "build: {}.{}",
                or_dash(&os.current_build),
                os.ubr.map_or("-".into(), |u| u.to_string())
            ),
            format!("installation type: {}", or_dash(&os.installation_type)),
            format!(
                "snapshot: {} ({}), collector {} {}",
                self.w.snapshot.dir,
                self.w.snapshot.digest(),
                self.w.snapshot.collector,
                self.w.snapshot.collector_version
            ),
            format!(
                "locale: system {}, UI {}",
                or_dash(&self.w.snapshot.system_locale),
                or_dash(&self.w.snapshot.ui_locale)
            ),
        ];
        let ev = self.src_ev(&self.w.sources.os, "");
        if os.computer_name.is_empty() || os.current_build.is_empty() {
            return Finding::unknown(ID, "the snapshot names no computer or build")
                .with_details(details)
                .with_evidence(ev);
        }
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "{} running {} (build {}); vendor, model and data flows are confirmed by hand",
                os.computer_name,
                super::os_label(os),
                super::build_label(os)
            ),
        )
        .with_details(details)
        .with_evidence(ev)
    }

    // ---- network ------------------------------------------------------------------------

    fn listeners(&self) -> Finding {
        const ID: &str = "network.listeners";
        let list = match self.listener_list() {
            Ok(l) => l,
            Err(why) => return Finding::unknown(ID, why),
        };
        let ev = self.src_ev(&self.w.sources.listeners, "");
        let exposed: Vec<&WinListener> = list.iter().filter(|l| !is_loopback(&l.address)).collect();
        let mut outside = Vec::new();
        let mut details = Vec::new();
        for l in &exposed {
            if self.listener_allowed(l) {
                details.push(format!("allowed: {}", l.describe()));
            } else {
                outside.push(format!("{}/{}", l.port, l.proto.as_str()));
                details.insert(0, format!("not in allow-list: {}", l.describe()));
            }
        }
        if !outside.is_empty() {
            outside.dedup();
            Finding::new(
                ID,
                Status::Warn,
                format!(
                    "{} of {} network listener(s) not in the site allow-list: {}",
                    outside.len(),
                    exposed.len(),
                    outside.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if exposed.is_empty() {
            Finding::new(
                ID,
                Status::Pass,
                "no listeners on network addresses (loopback only)",
            )
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                format!(
                    "all {} network listener(s) are in the site allow-list",
                    exposed.len()
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn risky_ports(&self) -> Finding {
        const ID: &str = "network.risky_ports";
        let list = match self.listener_list() {
            Ok(l) => l,
            Err(why) => return Finding::unknown(ID, why),
        };
        let mut ev = self.src_ev(&self.w.sources.listeners, "");
        ev.extend(self.src_ev(&self.w.sources.firewall, "ActiveStore"));
        let mut open = Vec::new();
        let mut unknown = Vec::new();
        let mut details = Vec::new();
        for l in list.iter().filter(|l| !is_loopback(&l.address)) {
            let Some(what) = crate::checks::network::risky_service(l.port, l.proto) else {
                continue;
            };
            match self.reach(l) {
                Reach::Open(why) => {
                    open.push(format!("{}/{} {what}", l.port, l.proto.as_str()));
                    details.push(format!("{what}: {} — reachable: {why}", l.describe()));
                }
                Reach::Blocked => details.push(format!(
                    "{what}: {} — listens, but no inbound rule of the active profile allows it",
                    l.describe()
                )),
                Reach::Unknown(why) => {
                    unknown.push(why.clone());
                    details.push(format!("{what}: {} — {why}", l.describe()));
                }
            }
        }
        open.dedup();
        if !open.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "risky port(s) reachable from the network: {}",
                    open.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if let Some(why) = unknown.first() {
            Finding::unknown(ID, format!("risky port(s) listen and the firewall cannot tell whether they are reachable: {why}"))
                .with_details(details)
                .with_evidence(ev)
        } else if details.is_empty() {
            Finding::new(
                ID,
                Status::Pass,
                "no risky legacy ports open on a network address",
            )
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                "risky ports listen only behind the firewall (no inbound rule of the active profile allows them)",
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn hl7(&self) -> Finding {
        const ID: &str = "network.hl7_cleartext";
        let list = match self.listener_list() {
            Ok(l) => l,
            Err(why) => return Finding::unknown(ID, why),
        };
        let ev = self.src_ev(&self.w.sources.listeners, "");
        let on: Vec<&WinListener> = list
            .iter()
            .filter(|l| l.proto == Proto::Tcp && self.p.hl7_ports.contains(&l.port))
            .collect();
        let exposed: Vec<&&WinListener> = on.iter().filter(|l| !is_loopback(&l.address)).collect();
        let ports: Vec<String> = self.p.hl7_ports.iter().map(u16::to_string).collect();
        if !exposed.is_empty() {
            let mut list: Vec<String> = exposed.iter().map(|l| format!("{}/tcp", l.port)).collect();
            list.dedup();
            return Finding::new(
                ID,
                Status::Warn,
                format!("HL7/MLLP listener on {} is cleartext unless TLS or a VPN protects it: attach the evidence", list.join(", ")),
            )
            .with_details(exposed.iter().map(|l| format!("HL7/MLLP listener: {}", l.describe())).collect())
            .with_evidence(ev);
        }
        if !on.is_empty() {
            return Finding::new(
                ID,
                Status::Pass,
                "HL7/MLLP listener bound to loopback only (not reachable from the network)",
            )
            .with_evidence(ev);
        }
        Finding::new(
            ID,
            Status::NotApplicable,
            format!("no HL7/MLLP listener on port(s) {}; outbound HL7 feeds are confirmed by hand (ICS-11)", ports.join(", ")),
        )
        .with_evidence(ev)
    }

    // ---- firewall -----------------------------------------------------------------------

    fn fw_active(&self) -> Finding {
        const ID: &str = "firewall.active";
        let fw = match self.w.sources.firewall.data() {
            Ok(f) => f,
            Err(why) => return Finding::unknown(ID, format!("firewall not seen: {why}")),
        };
        let mut ev = self.src_ev(
            &self.w.sources.firewall,
            "Get-NetFirewallProfile -PolicyStore ActiveStore",
        );
        let mut off = Vec::new();
        let mut unseen = Vec::new();
        let mut details = Vec::new();
        for (name, key) in [
            ("Domain", "DomainProfile"),
            ("Private", "StandardProfile"),
            ("Public", "PublicProfile"),
        ] {
            let active = fw
                .current_profiles
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name));
            let policy_key = if name == "Private" {
                "PrivateProfile"
            } else {
                key
            };
            let pol = self.dword(&format!("{FW_POLICY}\\{policy_key}"), "EnableFirewall");
            let local = self.dword(&format!("{FW_LOCAL}\\{key}"), "EnableFirewall");
            let show = |r: &Result<Option<i64>, String>| match r {
                Ok(Some(v)) => v.to_string(),
                Ok(None) => "not set".to_string(),
                Err(_) => "not collected".to_string(),
            };
            ev.extend(self.reg_ev(&format!("{FW_POLICY}\\{policy_key}"), "EnableFirewall"));
            let state = fw
                .profiles
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name));
            let effective = state.and_then(|p| gpo_bool(&p.enabled));
            let label = format!("{name}{}", if active { " (active)" } else { "" });
            details.push(format!(
                "{label}: effective {} (ActiveStore); policy EnableFirewall {}, local EnableFirewall {}",
                state.map_or("not recorded", |p| p.enabled.as_str()),
                show(&pol),
                show(&local)
            ));
            match effective {
                Some(true) => {}
                Some(false) => off.push(label),
                None => unseen.push(label),
            }
        }
        if !off.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "Windows Defender Firewall is off in the {} profile(s) (effective state; a station switches profile when its network changes)",
                    off.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if !unseen.is_empty() {
            Finding::unknown(
                ID,
                format!(
                    "no effective state for the {} profile(s)",
                    unseen.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else {
            Finding::new(ID, Status::Pass, "Windows Defender Firewall is on in the Domain, Private and Public profiles (effective state)")
                .with_details(details)
                .with_evidence(ev)
        }
    }

    fn fw_default_deny(&self) -> Finding {
        const ID: &str = "firewall.default_deny_inbound";
        let fw = match self.w.sources.firewall.data() {
            Ok(f) => f,
            Err(why) => return Finding::unknown(ID, format!("firewall not seen: {why}")),
        };
        let ev = self.src_ev(
            &self.w.sources.firewall,
            "Get-NetFirewallProfile -PolicyStore ActiveStore",
        );
        let mut bad = Vec::new();
        let mut unsure = Vec::new();
        let mut details = Vec::new();
        for name in ["Domain", "Private", "Public"] {
            let Some(p) = fw
                .profiles
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
            else {
                unsure.push(format!("{name}: not recorded"));
                continue;
            };
            details.push(format!(
                "{name}: enabled {}, DefaultInboundAction {}",
                p.enabled, p.default_inbound_action
            ));
            let action = p.default_inbound_action.to_ascii_lowercase();
            match (gpo_bool(&p.enabled), action.as_str()) {
                (Some(false), _) => bad.push(format!("{name} (profile off)")),
                (_, "allow") => bad.push(format!("{name} (inbound allowed by default)")),
                (Some(true), "block") => {}
                _ => unsure.push(format!(
                    "{name}: enabled {}, DefaultInboundAction {}",
                    p.enabled, p.default_inbound_action
                )),
            }
        }
        if !bad.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!("inbound is not denied by default in: {}", bad.join(", ")),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if !unsure.is_empty() {
            Finding::unknown(
                ID,
                format!(
                    "effective inbound default not determined: {}",
                    unsure.join("; ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                "every firewall profile blocks inbound by default (IPv4 and IPv6)",
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn fw_covered(&self) -> Finding {
        const ID: &str = "firewall.listeners_covered";
        let list = match self.listener_list() {
            Ok(l) => l,
            Err(why) => return Finding::unknown(ID, why),
        };
        let mut ev = self.src_ev(
            &self.w.sources.firewall,
            "Get-NetFirewallRule -PolicyStore ActiveStore",
        );
        ev.extend(self.src_ev(&self.w.sources.listeners, ""));
        let mut stray = Vec::new();
        let mut unknown = Vec::new();
        let mut details = Vec::new();
        for l in list.iter().filter(|l| !is_loopback(&l.address)) {
            match self.reach(l) {
                Reach::Blocked => details.push(format!("dropped: {}", l.describe())),
                Reach::Open(why) if self.listener_allowed(l) => {
                    details.push(format!("allowed on purpose: {} ({why})", l.describe()));
                }
                Reach::Open(why) => {
                    stray.push(format!("{}/{}", l.port, l.proto.as_str()));
                    details.insert(
                        0,
                        format!(
                            "reachable but not in the site allow-list: {} ({why})",
                            l.describe()
                        ),
                    );
                }
                Reach::Unknown(why) => unknown.push(why),
            }
        }
        stray.dedup();
        if !stray.is_empty() {
            Finding::new(ID, Status::Warn, format!("listener(s) reachable through the firewall without being in the site allow-list: {}", stray.join(", ")))
                .with_details(details)
                .with_evidence(ev)
        } else if let Some(why) = unknown.first() {
            Finding::unknown(ID, why.clone())
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                "every network listener is either allowed on purpose or dropped by the firewall",
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    // ---- services -----------------------------------------------------------------------

    fn legacy_services(&self) -> Finding {
        const ID: &str = "services.legacy_cleartext";
        let svcs = match self.services() {
            Ok(s) => s,
            Err(why) => return Finding::unknown(ID, why),
        };
        let ev = self.src_ev(&self.w.sources.services, "");
        let mut bad = Vec::new();
        let mut details = Vec::new();
        for (name, what) in LEGACY_SERVICES {
            if let Some(s) = svcs.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
                if s.running() || s.auto_start() {
                    bad.push(format!("{} ({what})", s.name));
                    details.push(format!("enabled: {}", s.describe()));
                } else {
                    details.push(format!("installed, not enabled: {}", s.describe()));
                }
            }
        }
        if bad.is_empty() {
            Finding::new(
                ID,
                Status::Pass,
                "no Telnet, FTP, TFTP, Simple TCP/IP or SNMP server enabled or running",
            )
            .with_details(details)
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "legacy cleartext server(s) enabled or running: {}",
                    bad.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn unexpected_services(&self) -> Finding {
        const ID: &str = "services.unexpected";
        let svcs = match self.services() {
            Ok(s) => s,
            Err(why) => return Finding::unknown(ID, why),
        };
        let ev = self.src_ev(&self.w.sources.services, "");
        let mut extra = Vec::new();
        let mut details = Vec::new();
        for s in svcs.iter().filter(|s| s.running() || s.auto_start()) {
            if LEGACY_SERVICES
                .iter()
                .any(|(n, _)| s.name.eq_ignore_ascii_case(n))
            {
                continue;
            }
            let third_party = !is_windows_binary(&s.path_name);
            let discouraged = DISCOURAGED_SERVICES
                .iter()
                .any(|d| s.name.eq_ignore_ascii_case(d));
            if !(third_party || discouraged) {
                continue;
            }
            if self.p.windows.service_allowed(&s.name) {
                details.push(format!("allowed: {}", s.describe()));
            } else {
                extra.push(s.name.clone());
                details.insert(
                    0,
                    format!(
                        "{}: {} — {}",
                        if discouraged {
                            "discouraged Microsoft service"
                        } else {
                            "not in the allow-list"
                        },
                        s.describe(),
                        if s.path_name.is_empty() {
                            "-"
                        } else {
                            &s.path_name
                        }
                    ),
                );
            }
        }
        if extra.is_empty() {
            Finding::new(ID, Status::Pass, "every enabled or running non-Windows service is in the site allow-list, and no discouraged Microsoft service runs")
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Warn,
                format!(
                    "{} service(s) enabled or running that the site policy does not list: {}",
                    extra.len(),
                    extra.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    // ---- patches ------------------------------------------------------------------------

    fn os_info(&self) -> Result<&'a super::snapshot::OsInfo, String> {
        self.w
            .sources
            .os
            .data()
            .map_err(|why| format!("OS facts not seen: {why}"))
    }

    fn pending(&self, security: bool) -> Finding {
        let id = if security {
            "patches.pending_security"
        } else {
            "patches.pending_all"
        };
        let patches = match self.w.sources.patches.data() {
            Ok(p) => p,
            Err(why) => return Finding::unknown(id, format!("patch facts not seen: {why}")),
        };
        let mut ev = self.src_ev(&self.w.sources.patches, "UpdateSearch");
        ev.extend(self.src_ev(&self.w.sources.os, "CurrentBuild.UBR"));
        let mut details = Vec::new();
        // A vendor-approved UBR baseline: below it, the station lacks approved security updates.
        let mut below = None;
        if security
            && let Ok(os) = self.os_info()
            && let Some(min) = self.p.windows.ubr_baseline.get(os.current_build.trim())
        {
            match os.ubr {
                Some(ubr) if ubr < i64::from(*min) => {
                    below = Some(format!(
                        "build {}.{ubr} is below the vendor-approved {}.{min}",
                        os.current_build, os.current_build
                    ));
                }
                Some(ubr) => details.push(format!(
                    "build {}.{ubr} is at or above the vendor-approved {}.{min}",
                    os.current_build, os.current_build
                )),
                None => {}
            }
        }
        let search = patches.update_search.as_ref();
        let counted = match search {
            Some(s) if s.ok => {
                let list: Vec<_> = s
                    .updates
                    .iter()
                    .filter(|u| {
                        !security
                            || u.categories.iter().any(|c| {
                                let c = c.trim_matches(['{', '}']).to_ascii_lowercase();
                                c == WUA_SECURITY || c == WUA_CRITICAL
                            })
                    })
                    .collect();
                for u in &list {
                    details.push(format!("pending: {} {}", u.kb, u.title));
                }
                Some(list.len())
            }
            Some(s) => {
                details.push(format!("Windows Update search failed: {}", s.reason));
                None
            }
            None => None,
        };
        if let Some(b) = below {
            details.insert(0, b.clone());
            return Finding::new(id, Status::Fail, b)
                .with_details(details)
                .with_evidence(ev);
        }
        let what = if security { "security" } else { "" };
        match counted {
            Some(0) => Finding::new(id, Status::Pass, format!("no pending {what} updates in the offline Windows Update search").replace("  ", " "))
                .with_details(details)
                .with_evidence(ev),
            Some(n) => Finding::new(
                id,
                if security { Status::Fail } else { Status::Warn },
                format!("{n} pending {what} update(s) in the offline Windows Update search").replace("  ", " "),
            )
            .with_details(details)
            .with_evidence(ev),
            None if !details.is_empty() && security && details.iter().any(|d| d.contains("at or above")) => {
                Finding::new(id, Status::Pass, details[0].clone()).with_details(details).with_evidence(ev)
            }
            None => Finding::unknown(
                id,
                "the snapshot holds no usable Windows Update search, and the site policy sets no UBR baseline for this build",
            )
            .with_details(details)
            .with_evidence(ev),
        }
    }

    fn data_fresh(&self) -> Finding {
        const ID: &str = "patches.data_fresh";
        let patches = match self.w.sources.patches.data() {
            Ok(p) => p,
            Err(why) => return Finding::unknown(ID, format!("patch facts not seen: {why}")),
        };
        let ev = self.src_ev(&self.w.sources.patches, "UpdateSearch.SearchedUtc");
        let Some(s) = patches.update_search.as_ref().filter(|s| s.ok) else {
            return Finding::unknown(ID, "the snapshot holds no Windows Update search to date")
                .with_evidence(ev);
        };
        let Some(at) = parse_date(&s.searched_utc) else {
            return Finding::unknown(ID, format!("unreadable search date \"{}\"", s.searched_utc))
                .with_evidence(ev);
        };
        let days = (self.at - at).div_euclid(86_400);
        let max = i64::from(self.p.max_list_age_days);
        if days > max {
            Finding::new(ID, Status::Warn, format!("the Windows Update metadata was {days} day(s) old at collection (policy: at most {max})"))
                .with_evidence(ev)
        } else {
            Finding::new(ID, Status::Pass, format!("the Windows Update metadata was {days} day(s) old at collection (policy: at most {max})"))
                .with_evidence(ev)
        }
    }

    fn reboot(&self) -> Finding {
        const ID: &str = "patches.reboot_required";
        let patches = match self.w.sources.patches.data() {
            Ok(p) => p,
            Err(why) => return Finding::unknown(ID, format!("patch facts not seen: {why}")),
        };
        let ev = self.src_ev(&self.w.sources.patches, "Reboot");
        let r = &patches.reboot;
        let mut details = vec![
            format!(
                "Component Based Servicing\\RebootPending: {}",
                yes_no(r.cbs_reboot_pending)
            ),
            format!(
                "WindowsUpdate\\Auto Update\\RebootRequired: {}",
                yes_no(r.windows_update_reboot_required)
            ),
            format!(
                "Session Manager\\PendingFileRenameOperations: {} (not counted: anti-malware and installers leave entries that never clear)",
                yes_no(r.pending_file_rename_operations)
            ),
        ];
        let pending: Vec<&str> = [
            (r.cbs_reboot_pending, "Component Based Servicing"),
            (r.windows_update_reboot_required, "Windows Update"),
        ]
        .iter()
        .filter(|(v, _)| *v == Some(true))
        .map(|(_, n)| *n)
        .collect();
        if !pending.is_empty() {
            Finding::new(
                ID,
                Status::Warn,
                format!("a reboot is pending ({})", pending.join(", ")),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if r.cbs_reboot_pending.is_none() || r.windows_update_reboot_required.is_none() {
            details.push("a reboot key was not recorded".into());
            Finding::unknown(ID, "the snapshot does not record both reboot-pending keys")
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                "no reboot pending (servicing and Windows Update keys absent)",
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn last_applied(&self) -> Finding {
        const ID: &str = "patches.last_applied";
        let patches = match self.w.sources.patches.data() {
            Ok(p) => p,
            Err(why) => return Finding::unknown(ID, format!("patch facts not seen: {why}")),
        };
        let ev = self.src_ev(&self.w.sources.patches, "HotFixes");
        let newest = patches
            .hot_fixes
            .iter()
            .filter_map(|h| parse_date(&h.installed_on).map(|t| (t, h)))
            .max_by_key(|(t, _)| *t);
        let unreadable = patches
            .hot_fixes
            .iter()
            .filter(|h| parse_date(&h.installed_on).is_none())
            .count();
        let mut details = Vec::new();
        if unreadable > 0 {
            details.push(format!(
                "{unreadable} hotfix date(s) empty or culture-formatted, not used"
            ));
        }
        let Some((t, h)) = newest else {
            return Finding::unknown(ID, "no hotfix installation date could be read")
                .with_details(details)
                .with_evidence(ev);
        };
        let days = (self.at - t).div_euclid(86_400);
        let max = i64::from(self.p.max_days_since_upgrade);
        let when = Date::from_unix_days(t.div_euclid(86_400));
        let summary = format!(
            "newest update {} installed {when}, {days} day(s) before collection (policy: at most {max})",
            h.hotfix_id
        );
        Finding::new(
            ID,
            if days > max {
                Status::Warn
            } else {
                Status::Pass
            },
            summary,
        )
        .with_details(details)
        .with_evidence(ev)
    }

    fn os_supported(&self) -> Finding {
        const ID: &str = "patches.os_supported";
        let os = match self.os_info() {
            Ok(o) => o,
            Err(why) => return Finding::unknown(ID, why),
        };
        let ev = self.src_ev(
            &self.w.sources.os,
            r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
        );
        let family = Family::classify(&os.edition_id, &os.installation_type, os.sku);
        let Ok(build) = os.current_build.trim().parse::<u32>() else {
            return Finding::unknown(ID, format!("unreadable build \"{}\"", os.current_build))
                .with_evidence(ev);
        };
        let Some((name, end)) = lifecycle::lookup(build, family) else {
            return Finding::unknown(
                ID,
                format!(
                    "build {build} ({}, {family:?}) is not in the shipped Windows lifecycle table",
                    os.edition_id
                ),
            )
            .with_evidence(ev);
        };
        let left = self.ctx.today.days_until(end);
        if left < 0 {
            Finding::new(
                ID,
                Status::Fail,
                format!("{name} (build {build}) has had no security updates since {end}"),
            )
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                format!("{name} (build {build}) receives security updates until {end}"),
            )
            .with_evidence(ev)
        }
    }

    // ---- accounts -----------------------------------------------------------------------

    fn no_empty_passwords(&self) -> Finding {
        const ID: &str = "accounts.no_empty_passwords";
        let users = match self.w.sources.users.data() {
            Ok(u) => u,
            Err(why) => return Finding::unknown(ID, format!("local accounts not seen: {why}")),
        };
        let mut ev = self.src_ev(&self.w.sources.users, "UserFlags");
        ev.extend(self.reg_ev(LSA, "LimitBlankPasswordUse"));
        let mut bad = Vec::new();
        let mut unseen = Vec::new();
        for u in users {
            if u.is_disabled() == Some(true) {
                continue;
            }
            match (u.is_disabled(), u.password_not_required()) {
                (Some(false), Some(true)) => bad.push(format!("{} ({})", u.name, u.sid)),
                (Some(false), Some(false)) => {}
                _ => unseen.push(u.name.clone()),
            }
        }
        let limit = match self.dword(LSA, "LimitBlankPasswordUse") {
            Ok(Some(v)) => format!("LimitBlankPasswordUse = {v}"),
            Ok(None) => "LimitBlankPasswordUse not set (default 1)".into(),
            Err(_) => "LimitBlankPasswordUse not collected".into(),
        };
        let details = vec![limit];
        if !bad.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "enabled account(s) that do not require a password (PASSWD_NOTREQD): {}",
                    bad.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if !unseen.is_empty() {
            Finding::unknown(
                ID,
                format!("account flags not recorded for: {}", unseen.join(", ")),
            )
            .with_details(details)
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                "every enabled local account requires a password (no PASSWD_NOTREQD)",
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn default_names(&self) -> Finding {
        const ID: &str = "accounts.default_names";
        let users = match self.w.sources.users.data() {
            Ok(u) => u,
            Err(why) => return Finding::unknown(ID, format!("local accounts not seen: {why}")),
        };
        let ev = self.src_ev(&self.w.sources.users, "");
        // Built-in accounts (RID 500, 501, 503, 504) are judged by RID in
        // accounts.builtin_accounts: their names are translated and can be renamed.
        let bad: Vec<String> = users
            .iter()
            .filter(|u| !matches!(u.rid(), Some(500 | 501 | 503 | 504)))
            .filter(|u| u.is_disabled() != Some(true))
            .filter(|u| {
                self.p
                    .default_account_names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&u.name))
            })
            .map(|u| u.name.clone())
            .collect();
        if bad.is_empty() {
            Finding::new(
                ID,
                Status::Pass,
                "no enabled local account has a default, vendor or generic name",
            )
            .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "enabled account(s) with a default or generic name: {}",
                    bad.join(", ")
                ),
            )
            .with_evidence(ev)
        }
    }

    fn group_members(&self, sid: &str) -> Result<Vec<&'a super::snapshot::Member>, String> {
        let groups = self
            .w
            .sources
            .groups
            .data()
            .map_err(|why| format!("local groups not seen: {why}"))?;
        groups
            .iter()
            .find(|g| g.sid.eq_ignore_ascii_case(sid))
            .map(|g| g.members.iter().collect())
            .ok_or_else(|| format!("group {sid} is not in the snapshot"))
    }

    fn privileged_members(&self) -> Finding {
        const ID: &str = "accounts.privileged_members";
        let ev = self.src_ev(&self.w.sources.groups, "");
        let mut all: Vec<String> = Vec::new();
        let mut details = Vec::new();
        for sid in PRIVILEGED_GROUPS {
            match self.group_members(sid) {
                Ok(members) => {
                    for m in members {
                        details.push(format!("{sid}: {} ({})", m.name, m.sid));
                        if !all.contains(&m.sid) {
                            all.push(m.sid.clone());
                        }
                    }
                }
                Err(why) if *sid == ADMINISTRATORS => return Finding::unknown(ID, why),
                Err(_) => {}
            }
        }
        let max = self.p.max_privileged_members;
        if all.len() > max {
            Finding::new(ID, Status::Warn, format!("{} distinct members in Administrators, Backup Operators, Remote Desktop Users and Remote Management Users (policy: at most {max}); review each", all.len()))
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                format!(
                    "{} distinct member(s) in the privileged local groups (policy: at most {max})",
                    all.len()
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn admin_members(&self) -> Finding {
        const ID: &str = "accounts.admin_members";
        let ev = self.src_ev(&self.w.sources.groups, ADMINISTRATORS);
        let members = match self.group_members(ADMINISTRATORS) {
            Ok(m) => m,
            Err(why) => return Finding::unknown(ID, why),
        };
        let approved = |m: &super::snapshot::Member| {
            self.p.windows.admin_accounts.iter().any(|a| {
                a.eq_ignore_ascii_case(&m.sid)
                    || a.eq_ignore_ascii_case(&m.name)
                    || m.name
                        .rsplit('\\')
                        .next()
                        .is_some_and(|n| a.eq_ignore_ascii_case(n))
            })
        };
        let mut extra = Vec::new();
        let mut details = Vec::new();
        for m in &members {
            let builtin = m.sid.starts_with("S-1-5-21-") && rid(&m.sid) == Some(500);
            if builtin {
                details.push(format!("built-in Administrator (RID 500): {}", m.sid));
            } else if approved(m) {
                details.push(format!("in the site policy: {} ({})", m.name, m.sid));
            } else {
                extra.push(format!("{} ({})", m.name, m.sid));
                details.insert(0, format!("not in the site policy: {} ({})", m.name, m.sid));
            }
        }
        if extra.is_empty() {
            Finding::new(ID, Status::Pass, "Administrators (S-1-5-32-544) holds only the built-in account and the policy's administrators")
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Warn,
                format!(
                    "member(s) of Administrators (S-1-5-32-544) beyond the site policy: {}",
                    extra.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn builtin_accounts(&self) -> Finding {
        const ID: &str = "accounts.builtin_accounts";
        let users = match self.w.sources.users.data() {
            Ok(u) => u,
            Err(why) => return Finding::unknown(ID, format!("local accounts not seen: {why}")),
        };
        let ev = self.src_ev(&self.w.sources.users, "RID 500/501");
        let find = |r: u32| {
            users
                .iter()
                .find(|u| u.sid.starts_with("S-1-5-21-") && u.rid() == Some(r))
        };
        let (admin, guest) = (find(500), find(501));
        let state = |u: Option<&super::snapshot::User>| match u {
            None => "not recorded".to_string(),
            Some(u) => format!(
                "{} ({}) {}",
                u.name,
                u.sid,
                match u.is_disabled() {
                    Some(true) => "disabled",
                    Some(false) => "enabled",
                    None => "state not recorded",
                }
            ),
        };
        let details = vec![
            format!("RID 500: {}", state(admin)),
            format!("RID 501: {}", state(guest)),
        ];
        let enabled = |u: Option<&super::snapshot::User>| {
            u.and_then(super::snapshot::User::is_disabled).map(|d| !d)
        };
        match (enabled(admin), enabled(guest)) {
            (_, Some(true)) => Finding::new(ID, Status::Fail, "the built-in Guest account (RID 501) is enabled")
                .with_details(details)
                .with_evidence(ev),
            (Some(true), Some(false)) => Finding::new(ID, Status::Warn, "the built-in Administrator account (RID 500) is enabled: use named administrator accounts")
                .with_details(details)
                .with_evidence(ev),
            (Some(false), Some(false)) => Finding::new(ID, Status::Pass, "built-in Administrator (RID 500) and Guest (RID 501) are disabled")
                .with_details(details)
                .with_evidence(ev),
            _ => Finding::unknown(ID, "the built-in Administrator or Guest account is not in the snapshot")
                .with_details(details)
                .with_evidence(ev),
        }
    }

    fn password_aging(&self) -> Finding {
        const ID: &str = "accounts.password_aging";
        let ap = match self.w.sources.account_policy.data() {
            Ok(a) => a,
            Err(why) => return Finding::unknown(ID, format!("account policy not seen: {why}")),
        };
        let ev = self.src_ev(
            &self.w.sources.account_policy,
            "[System Access] MaximumPasswordAge",
        );
        let max = self.p.password_max_days;
        match ap.maximum_password_age {
            None => Finding::unknown(ID, "MaximumPasswordAge not recorded").with_evidence(ev),
            Some(d) if d <= 0 => Finding::new(ID, Status::Warn, format!("passwords never expire (MaximumPasswordAge {d}; policy: at most {max} days, or a recorded waiver for shared clinical logins)")).with_evidence(ev),
            Some(d) if d > i64::from(max) => Finding::new(ID, Status::Warn, format!("passwords expire after {d} days (policy: at most {max})")).with_evidence(ev),
            Some(d) => Finding::new(ID, Status::Pass, format!("passwords expire after {d} days (policy: at most {max})")).with_evidence(ev),
        }
    }

    fn lockout(&self) -> Finding {
        const ID: &str = "accounts.lockout";
        let ap = match self.w.sources.account_policy.data() {
            Ok(a) => a,
            Err(why) => return Finding::unknown(ID, format!("account policy not seen: {why}")),
        };
        let ev = self.src_ev(
            &self.w.sources.account_policy,
            "[System Access] LockoutBadCount",
        );
        let details = vec![
            format!("LockoutDuration: {}", ap.lockout_duration.map_or("-".into(), |v| format!("{v} min"))),
            format!("ResetLockoutCount: {}", ap.reset_lockout_count.map_or("-".into(), |v| format!("{v} min"))),
            "a locked-out clinical account at the nurses' station is a patient-safety risk: agree threshold and duration with the vendor".into(),
        ];
        match ap.lockout_bad_count {
            None => Finding::unknown(ID, "LockoutBadCount not recorded")
                .with_details(details)
                .with_evidence(ev),
            Some(0) => Finding::new(
                ID,
                Status::Warn,
                "accounts never lock out after failed logons (LockoutBadCount 0)",
            )
            .with_details(details)
            .with_evidence(ev),
            Some(n) => Finding::new(
                ID,
                Status::Pass,
                format!("accounts lock out after {n} failed logons"),
            )
            .with_details(details)
            .with_evidence(ev),
        }
    }

    // ---- supporting ---------------------------------------------------------------------

    fn ssh_state(&self, id: &str) -> Result<Option<&'a str>, Box<Finding>> {
        let svc = match self.services() {
            Ok(_) => self.service("sshd"),
            Err(why) => return Err(Box::new(Finding::unknown(id, why))),
        };
        let config = self.w.sources.sshd_config.data().ok().map(String::as_str);
        match svc {
            None if config.is_none() => Err(Box::new(
                Finding::new(
                    id,
                    Status::NotApplicable,
                    "OpenSSH Server (sshd) is not installed",
                )
                .with_evidence(self.src_ev(&self.w.sources.services, "sshd")),
            )),
            Some(s) if s.disabled() && !s.running() => Err(Box::new(
                Finding::new(
                    id,
                    Status::Pass,
                    "OpenSSH Server (sshd) is installed but disabled: it accepts no logons",
                )
                .with_evidence(self.src_ev(&self.w.sources.services, "sshd")),
            )),
            _ => Ok(config),
        }
    }

    fn ssh_root(&self) -> Finding {
        const ID: &str = "ssh.root_login";
        match self.ssh_state(ID) {
            Err(f) => *f,
            Ok(_) => na(
                ID,
                "Windows has no root account; administrators' SSH access is reviewed under ssh.password_auth and accounts.admin_members",
            ),
        }
    }

    fn ssh_password(&self) -> Finding {
        const ID: &str = "ssh.password_auth";
        let config = match self.ssh_state(ID) {
            Err(f) => return *f,
            Ok(Some(c)) => c,
            Ok(None) => {
                let why = match self.w.sources.sshd_config.data() {
                    Err(w) => w.to_string(),
                    Ok(_) => String::new(),
                };
                return Finding::unknown(
                    ID,
                    format!("sshd runs but its configuration was not seen: {why}"),
                );
            }
        };
        let ev = self.src_ev(&self.w.sources.sshd_config, "");
        let directives = crate::inspect::supporting::ssh::parse_sshd_config("sshd_config", config);
        // First value wins in sshd; a Match block only applies to some connections.
        let mut global = None;
        let mut in_match = false;
        let mut reopen = Vec::new();
        for d in &directives {
            if d.keyword == "match" {
                in_match = true;
                continue;
            }
            if d.keyword == "passwordauthentication" {
                let v = d
                    .args
                    .first()
                    .map(|a| a.to_ascii_lowercase())
                    .unwrap_or_default();
                if in_match {
                    if v == "yes" {
                        reopen.push(d.origin.clone());
                    }
                } else if global.is_none() {
                    global = Some((v, d.origin.clone()));
                }
            }
        }
        match global {
            Some((v, o)) if v == "no" => {
                if reopen.is_empty() {
                    Finding::new(ID, Status::Pass, format!("SSH does not accept passwords (PasswordAuthentication no, {o})")).with_evidence(ev)
                } else {
                    Finding::new(ID, Status::Warn, format!("a Match block re-enables SSH passwords: {}", reopen.join(", "))).with_evidence(ev)
                }
            }
            Some((_, o)) => Finding::new(ID, Status::Fail, format!("SSH accepts passwords (PasswordAuthentication yes at {o})")).with_evidence(ev),
            None => Finding::new(ID, Status::Fail, "SSH accepts passwords (PasswordAuthentication not set, and OpenSSH's default is yes)").with_evidence(ev),
        }
    }

    fn remote_tools(&self) -> Finding {
        const ID: &str = "remote.tools";
        let svcs = match self.services() {
            Ok(s) => s,
            Err(why) => return Finding::unknown(ID, why),
        };
        let mut ev = self.src_ev(&self.w.sources.services, "");
        ev.extend(self.src_ev(&self.w.sources.programs, ""));
        ev.extend(self.reg_ev(TS_POLICY, "fDenyTSConnections"));
        ev.extend(self.reg_ev(TS_LOCAL, "fDenyTSConnections"));
        ev.extend(self.reg_ev(TS_POLICY, "UserAuthentication"));
        ev.extend(self.reg_ev(RDP_TCP, "UserAuthentication"));
        let approved = |name: &str| {
            self.p
                .approved_remote_tools
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name))
        };
        let mut bad = Vec::new();
        let mut details = Vec::new();
        let programs = self.w.sources.programs.data().ok();
        for (tool, services, names) in REMOTE_TOOLS {
            let mut found = Vec::new();
            for s in svcs
                .iter()
                .filter(|s| services.iter().any(|p| glob(p, &s.name)))
            {
                if !s.disabled() || s.running() {
                    found.push(format!("service {}", s.describe()));
                }
            }
            if let Some(progs) = programs {
                for p in progs.iter().filter(|p| {
                    names.iter().any(|n| {
                        p.display_name
                            .to_ascii_lowercase()
                            .starts_with(&n.to_ascii_lowercase())
                    })
                }) {
                    found.push(format!(
                        "installed program {} {}",
                        p.display_name, p.display_version
                    ));
                }
            }
            if found.is_empty() {
                continue;
            }
            if approved(tool) {
                details.push(format!("approved {tool}: {}", found.join("; ")));
            } else {
                bad.push(format!("{tool} ({})", found.join("; ")));
            }
        }
        // RDP: the Group Policy value wins over the local one; absent both, Windows denies.
        let rdp = self.effective_dword(
            (TS_POLICY, "fDenyTSConnections"),
            (TS_LOCAL, "fDenyTSConnections"),
        );
        let nla = self.effective_dword(
            (TS_POLICY, "UserAuthentication"),
            (RDP_TCP, "UserAuthentication"),
        );
        let mut unseen = None;
        match rdp {
            Err(why) => unseen = Some(format!("RDP state not seen: {why}")),
            Ok((deny, how)) => {
                let on = deny == Some(0);
                details.push(format!(
                    "RDP {}: {how}",
                    if on { "enabled" } else { "disabled" }
                ));
                if let Some(s) = self.service("TermService") {
                    details.push(format!("Remote Desktop Services: {}", s.describe()));
                }
                if on {
                    match &nla {
                        Ok((Some(1), how)) => {
                            details.push(format!("Network Level Authentication required: {how}"));
                            if !approved("rdp") {
                                bad.push("RDP enabled but not approved in the site policy".into());
                            }
                        }
                        Ok((v, how)) => {
                            let _ = v;
                            bad.push(format!(
                                "RDP enabled without Network Level Authentication ({how})"
                            ));
                        }
                        Err(why) => unseen = Some(format!("NLA state not seen: {why}")),
                    }
                }
            }
        }
        if !bad.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!("remote access not approved or unsafe: {}", bad.join("; ")),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if let Some(why) = unseen {
            Finding::unknown(ID, why)
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Pass,
                "no unapproved remote-access tool; RDP is off or approved with NLA",
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn malware(&self) -> Finding {
        const ID: &str = "malware.present";
        let mut ev = self.src_ev(&self.w.sources.defender, "MSFT_MpComputerStatus");
        ev.extend(self.src_ev(
            &self.w.sources.av_products,
            r"root\SecurityCenter2:AntiVirusProduct",
        ));
        ev.extend(self.src_ev(&self.w.sources.services, ""));
        let mut details = Vec::new();
        let mut third_party = Vec::new();
        match self.w.sources.av_products.data() {
            Ok(products) => {
                for p in products {
                    details.push(format!(
                        "Security Center: {} (productState {}: {}, {})",
                        p.display_name,
                        p.product_state.map_or("-".into(), |s| format!("0x{s:X}")),
                        match p.enabled() {
                            Some(true) => "on",
                            Some(false) => "off",
                            None => "?",
                        },
                        match p.up_to_date() {
                            Some(true) => "up to date",
                            Some(false) => "out of date",
                            None => "?",
                        },
                    ));
                    if p.enabled() == Some(true) && p.up_to_date() == Some(true) && !is_defender(p)
                    {
                        third_party.push(p.display_name.clone());
                    }
                }
            }
            Err(why) => details.push(format!("Security Center not seen: {why}")),
        }
        if let Ok(svcs) = self.services() {
            for s in svcs.iter().filter(|s| s.running()) {
                let known = AV_SERVICES.iter().any(|p| glob(p, &s.name))
                    || self.p.windows.av_services.iter().any(|p| glob(p, &s.name));
                if known {
                    details.push(format!("anti-malware service running: {}", s.describe()));
                    third_party.push(s.name.clone());
                }
            }
        }
        let defender = self.w.sources.defender.data();
        if let Ok(d) = defender {
            let on = d.am_service_enabled == Some(true)
                && d.antivirus_enabled == Some(true)
                && d.real_time_protection_enabled == Some(true);
            let normal =
                d.am_running_mode.is_empty() || d.am_running_mode.eq_ignore_ascii_case("normal");
            details.insert(0, format!(
                "Defender: service {}, antivirus {}, real-time protection {}, mode {}, signatures {} day(s) old",
                yes_no(d.am_service_enabled), yes_no(d.antivirus_enabled), yes_no(d.real_time_protection_enabled),
                or_dash(&d.am_running_mode),
                d.antivirus_signature_age.map_or("?".into(), |a| a.to_string())
            ));
            if on && normal {
                let max = i64::from(self.p.windows.max_signature_age_days);
                // The age as recorded, else from the last update date (at collection).
                let age = d.antivirus_signature_age.or_else(|| {
                    parse_date(&d.antivirus_signature_last_updated)
                        .map(|t| (self.at - t).div_euclid(86_400))
                });
                return match age {
                    Some(a) if a <= max => Finding::new(ID, Status::Pass, format!("Microsoft Defender Antivirus is on with real-time protection; signatures {a} day(s) old at collection"))
                        .with_details(details).with_evidence(ev),
                    Some(a) => Finding::new(ID, Status::Warn, format!("Microsoft Defender Antivirus is on, but its signatures were {a} day(s) old at collection (policy: at most {max})"))
                        .with_details(details).with_evidence(ev),
                    None => Finding::unknown(ID, "Defender is on, but its signature age is not recorded").with_details(details).with_evidence(ev),
                };
            }
        }
        if !third_party.is_empty() {
            third_party.dedup();
            return Finding::new(
                ID,
                Status::Pass,
                format!(
                    "third-party anti-malware active: {}",
                    third_party.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev);
        }
        match defender {
            Ok(d) if d.real_time_protection_enabled == Some(false) || d.antivirus_enabled == Some(false) || d.am_service_enabled == Some(false) => {
                Finding::new(ID, Status::Fail, "Microsoft Defender real-time protection is off and no other anti-malware is active")
                    .with_details(details)
                    .with_evidence(ev)
            }
            Ok(_) => Finding::unknown(ID, "Defender state incomplete (passive mode or values not recorded) and no other anti-malware seen")
                .with_details(details)
                .with_evidence(ev),
            Err(why) => Finding::unknown(ID, format!("Defender not seen ({why}) and no other anti-malware recognised"))
                .with_details(details)
                .with_evidence(ev),
        }
    }

    fn audit(&self) -> Finding {
        const ID: &str = "logging.audit";
        let settings = match self.w.sources.audit_policy.data() {
            Ok(s) => s,
            Err(why) => return Finding::unknown(ID, format!("audit policy not seen: {why}")),
        };
        let mut ev = self.src_ev(&self.w.sources.audit_policy, "AuditQuerySystemPolicy");
        ev.extend(self.reg_ev(LSA, "SCENoApplyLegacyAuditPolicy"));
        let mut missing = Vec::new();
        let mut details = Vec::new();
        for (guid, name, need) in AUDIT_REQUIRED {
            let have = settings
                .iter()
                .find(|s| s.subcategory_guid.trim().eq_ignore_ascii_case(guid))
                .and_then(|s| s.setting_value)
                .map_or(0, |v| if v == 4 { 0 } else { v & 3 });
            let word = |v: i64| match v {
                3 => "success and failure",
                1 => "success",
                2 => "failure",
                _ => "no auditing",
            };
            details.push(format!(
                "{name} {guid}: {} (needs {})",
                word(have),
                word(*need)
            ));
            if have & need != *need {
                missing.push(format!("{name} ({})", word(*need)));
            }
        }
        if let Ok(logs) = self.w.sources.eventlog.data()
            && let Some(sec) = logs
                .iter()
                .find(|l| l.log_name.eq_ignore_ascii_case("Security"))
        {
            details.push(format!(
                "Security log: {}, at most {} MB, {} (CIS asks at least 192 MB so events survive until they are forwarded)",
                match sec.is_enabled {
                    Some(true) => "enabled",
                    Some(false) => "DISABLED",
                    None => "state not recorded",
                },
                sec.maximum_size_in_bytes
                    .map_or("?".to_string(), |b| (b / (1024 * 1024)).to_string()),
                or_dash(&sec.log_mode)
            ));
            ev.extend(self.src_ev(&self.w.sources.eventlog, "Security"));
        }
        match self.dword(LSA, "SCENoApplyLegacyAuditPolicy") {
            Ok(Some(1)) => details.push("SCENoApplyLegacyAuditPolicy = 1 (subcategory settings are in force)".into()),
            Ok(v) => details.push(format!("SCENoApplyLegacyAuditPolicy = {} (legacy category settings may override subcategories)", v.map_or("not set".into(), |v| v.to_string()))),
            Err(_) => {}
        }
        if missing.is_empty() {
            Finding::new(ID, Status::Pass, "the advanced audit policy records logons, credential validation, account and audit-policy changes, and lockouts")
                .with_details(details)
                .with_evidence(ev)
        } else {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "audit subcategories not recorded as required: {}",
                    missing.join(", ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        }
    }

    fn log_remote(&self) -> Finding {
        const ID: &str = "logging.remote";
        let mut ev = self.reg_ev(WEF, "1");
        ev.extend(self.src_ev(&self.w.sources.services, ""));
        let wef = self.string_value(WEF, "1");
        let mut details = Vec::new();
        if let Ok(Some(v)) = &wef {
            details.push(format!(
                "Windows Event Forwarding subscription manager: {v}"
            ));
        }
        let agents: Vec<String> = match self.services() {
            Ok(s) => s
                .iter()
                .filter(|s| s.running() && FORWARDERS.iter().any(|f| glob(f, &s.name)))
                .map(|s| s.name.clone())
                .collect(),
            Err(_) => Vec::new(),
        };
        for a in &agents {
            details.push(format!("forwarding agent running: {a}"));
        }
        match (&wef, agents.is_empty()) {
            (Ok(Some(_)), _) | (_, false) => Finding::new(
                ID,
                Status::Pass,
                "event logs are forwarded (Windows Event Forwarding or an agent)",
            )
            .with_details(details)
            .with_evidence(ev),
            (Err(why), true) => Finding::unknown(ID, why.clone()).with_evidence(ev),
            (Ok(None), true) => match self.services() {
                Err(why) => Finding::unknown(ID, why).with_evidence(ev),
                Ok(_) => Finding::new(
                    ID,
                    Status::Fail,
                    "no Windows Event Forwarding subscription and no forwarding agent running",
                )
                .with_evidence(ev),
            },
        }
    }

    fn time_sync(&self) -> Finding {
        const ID: &str = "time.sync";
        let svc = match self.services() {
            Ok(_) => self.service("W32Time"),
            Err(why) => return Finding::unknown(ID, why),
        };
        let mut ev = self.src_ev(&self.w.sources.services, "W32Time");
        ev.extend(self.reg_ev(W32TIME_POLICY, "Type"));
        ev.extend(self.reg_ev(W32TIME_LOCAL, "Type"));
        let ty = match self.string_value(W32TIME_POLICY, "Type") {
            Ok(Some(t)) => Ok((t, "Group Policy")),
            Ok(None) => match self.string_value(W32TIME_LOCAL, "Type") {
                Ok(Some(t)) => Ok((t, "local")),
                Ok(None) => Err("W32Time Type not set".to_string()),
                Err(why) => Err(why),
            },
            Err(why) => Err(why),
        };
        let server = self
            .string_value(W32TIME_POLICY, "NtpServer")
            .ok()
            .flatten()
            .or_else(|| self.string_value(W32TIME_LOCAL, "NtpServer").ok().flatten());
        let mut details = Vec::new();
        if let Some(s) = svc {
            details.push(format!("Windows Time: {}", s.describe()));
        }
        if let Some(s) = &server {
            details.push(format!("NtpServer: {s}"));
        }
        let (ty, origin) = match ty {
            Ok(t) => t,
            Err(why) => {
                return Finding::unknown(ID, why)
                    .with_details(details)
                    .with_evidence(ev);
            }
        };
        details.push(format!("Type: {ty} ({origin})"));
        let syncs = matches!(
            ty.to_ascii_uppercase().as_str(),
            "NTP" | "NT5DS" | "ALLSYNC"
        );
        match svc {
            _ if !syncs => Finding::new(
                ID,
                Status::Fail,
                format!("Windows Time does not synchronise (Type {ty})"),
            )
            .with_details(details)
            .with_evidence(ev),
            None => Finding::new(
                ID,
                Status::Fail,
                "the Windows Time service (W32Time) is not installed",
            )
            .with_details(details)
            .with_evidence(ev),
            Some(s) if s.disabled() => Finding::new(
                ID,
                Status::Fail,
                "the Windows Time service (W32Time) is disabled",
            )
            .with_details(details)
            .with_evidence(ev),
            Some(s) if !s.running() => Finding::new(
                ID,
                Status::Warn,
                format!(
                    "Windows Time is set to {ty} but the service was not running at collection"
                ),
            )
            .with_details(details)
            .with_evidence(ev),
            Some(_) => Finding::new(
                ID,
                Status::Pass,
                format!(
                    "Windows Time synchronises ({ty}{})",
                    server.map_or(String::new(), |s| format!(" from {s}"))
                ),
            )
            .with_details(details)
            .with_evidence(ev),
        }
    }

    fn usb(&self) -> Finding {
        const ID: &str = "media.usb_storage";
        let mut ev = self.reg_ev(USBSTOR, "Start");
        ev.extend(self.reg_ev(REMOVABLE, "Deny_All"));
        ev.extend(self.reg_ev(EXPLORER_POLICY, "NoDriveTypeAutoRun"));
        let start = self.dword(USBSTOR, "Start");
        let deny_all = self.dword(REMOVABLE, "Deny_All");
        let deny_r = self.dword(REMOVABLE_DISK, "Deny_Read");
        let deny_w = self.dword(REMOVABLE_DISK, "Deny_Write");
        let autorun = self.dword(EXPLORER_POLICY, "NoDriveTypeAutoRun");
        let show = |r: &Result<Option<i64>, String>| match r {
            Ok(Some(v)) => v.to_string(),
            Ok(None) => "not set".into(),
            Err(_) => "not collected".into(),
        };
        let details = vec![
            format!("USBSTOR Start = {} (4 = driver disabled, 3 = enabled)", show(&start)),
            format!("RemovableStorageDevices Deny_All = {}", show(&deny_all)),
            format!("Removable disks Deny_Read = {}, Deny_Write = {}", show(&deny_r), show(&deny_w)),
            format!("NoDriveTypeAutoRun = {} (255 = AutoPlay off for every drive)", show(&autorun)),
            "disabled USB storage also stops the technician's own USB stick: plan another way onto the station".into(),
        ];
        let blocked = matches!(start, Ok(Some(4)))
            || matches!(deny_all, Ok(Some(1)))
            || (matches!(deny_r, Ok(Some(1))) && matches!(deny_w, Ok(Some(1))));
        if blocked {
            return if matches!(autorun, Ok(Some(255))) {
                Finding::new(
                    ID,
                    Status::Pass,
                    "USB mass storage is disabled and AutoPlay is off for every drive",
                )
                .with_details(details)
                .with_evidence(ev)
            } else {
                Finding::new(ID, Status::Warn, "USB mass storage is disabled, but AutoPlay is not turned off for every drive (NoDriveTypeAutoRun 255)").with_details(details).with_evidence(ev)
            };
        }
        let unseen = [&start, &deny_all]
            .into_iter()
            .find_map(|r| r.as_ref().err());
        match unseen {
            Some(why) => Finding::unknown(ID, why.clone()).with_details(details).with_evidence(ev),
            None => Finding::new(ID, Status::Fail, "USB mass storage is enabled (USBSTOR not disabled, no removable-storage deny policy)").with_details(details).with_evidence(ev),
        }
    }

    fn encryption(&self) -> Finding {
        const ID: &str = "storage.encryption";
        let vols = match self.w.sources.bitlocker.data() {
            Ok(v) => v,
            Err(why) => return Finding::unknown(ID, format!("BitLocker state not seen: {why}")),
        };
        let ev = self.src_ev(&self.w.sources.bitlocker, "Win32_EncryptableVolume");
        let os = vols.iter().find(|v| v.volume_type == Some(0)).or_else(|| {
            vols.iter()
                .find(|v| v.drive_letter.eq_ignore_ascii_case("C:"))
        });
        let Some(v) = os else {
            return Finding::unknown(ID, "no operating-system volume in the BitLocker facts")
                .with_evidence(ev);
        };
        let details = vec![format!(
            "volume {} — conversion status {}, protection status {}, {}% encrypted, key protectors {:?}",
            or_dash(&v.drive_letter),
            v.conversion_status.map_or("-".into(), |s| s.to_string()),
            v.protection_status.map_or("-".into(), |s| s.to_string()),
            v.encryption_percentage
                .map_or("-".into(), |s| s.to_string()),
            v.key_protectors
        )];
        let vol = or_dash(&v.drive_letter);
        match (v.conversion_status, v.protection_status) {
            (Some(1), Some(1)) => Finding::new(ID, Status::Pass, format!("the system volume {vol} is fully encrypted with BitLocker protection on")).with_details(details).with_evidence(ev),
            (Some(1), Some(0)) => Finding::new(ID, Status::Fail, format!("the system volume {vol} is encrypted but BitLocker protection is suspended (the key is stored in the clear)")).with_details(details).with_evidence(ev),
            (Some(0), _) => Finding::new(ID, Status::Fail, format!("the system volume {vol} is not encrypted")).with_details(details).with_evidence(ev),
            (Some(2 | 4), _) => Finding::new(ID, Status::Warn, format!("BitLocker encryption of {vol} is in progress or paused")).with_details(details).with_evidence(ev),
            (Some(3 | 5), _) => Finding::new(ID, Status::Fail, format!("BitLocker is decrypting {vol}")).with_details(details).with_evidence(ev),
            _ => Finding::unknown(ID, format!("BitLocker state of {vol} not determined")).with_details(details).with_evidence(ev),
        }
    }

    fn security_options(&self) -> Finding {
        const ID: &str = "os.security_options";
        // (what, path, value, default when absent, ok?)
        type Rule = (
            &'static str,
            &'static str,
            &'static str,
            Option<i64>,
            fn(i64) -> bool,
        );
        let rules: &[Rule] = &[
            (
                "blank passwords limited to console logon",
                LSA,
                "LimitBlankPasswordUse",
                Some(1),
                |v| v == 1,
            ),
            (
                "no LAN Manager hash stored",
                LSA,
                "NoLMHash",
                Some(1),
                |v| v == 1,
            ),
            (
                "NTLMv2 only, LM and NTLM refused (LmCompatibilityLevel 5)",
                LSA,
                "LmCompatibilityLevel",
                Some(3),
                |v| v >= 5,
            ),
            ("SMBv1 server off", LANMAN, "SMB1", None, |v| v == 0),
            (
                "SMBv1 client driver disabled or absent",
                MRXSMB10,
                "Start",
                Some(4),
                |v| v == 4,
            ),
            (
                "WDigest keeps no cleartext credentials",
                WDIGEST,
                "UseLogonCredential",
                Some(0),
                |v| v == 0,
            ),
            ("LLMNR off", DNSCLIENT, "EnableMulticast", Some(1), |v| {
                v == 0
            }),
            (
                "NetBIOS name queries by WINS only (NodeType 2)",
                NETBT,
                "NodeType",
                None,
                |v| v == 2,
            ),
            (
                "UAC on (EnableLUA)",
                SYSTEM_POLICY,
                "EnableLUA",
                Some(1),
                |v| v == 1,
            ),
        ];
        let mut bad = Vec::new();
        let mut unseen = Vec::new();
        let mut unseen_why = String::new();
        let mut details = Vec::new();
        let mut ev = Vec::new();
        for (what, path, name, default, ok) in rules {
            ev.extend(self.reg_ev(path, name));
            match self.dword(path, name) {
                Ok(Some(v)) => {
                    details.push(format!(
                        "{}: {path}\\{name} = {v}",
                        if ok(v) { "ok" } else { "NOT OK" }
                    ));
                    if !ok(v) {
                        bad.push(*what);
                    }
                }
                Ok(None) => {
                    match default {
                        // SMB1 value absent: on builds since 1709 SMBv1 is off unless the feature
                        // was added, which the mrxsmb10 driver shows.
                        None if *name == "SMB1" => {
                            let client = self.dword(MRXSMB10, "Start");
                            if matches!(client, Ok(None | Some(4))) {
                                details.push(format!("ok: {path}\\{name} not set and the SMBv1 driver is not installed"));
                            } else {
                                details.push(format!("NOT OK: {path}\\{name} not set and the SMBv1 feature is installed"));
                                bad.push(*what);
                            }
                        }
                        None => {
                            details.push(format!("NOT OK: {path}\\{name} not set"));
                            bad.push(*what);
                        }
                        Some(_) if *path == MRXSMB10 => {
                            details.push(format!(
                                "ok: {path}\\{name} absent: the SMBv1 client driver is not installed"
                            ));
                        }
                        Some(d) => {
                            let good = ok(*d);
                            details.push(format!(
                                "{}: {path}\\{name} not set (Windows default {d})",
                                if good { "ok" } else { "NOT OK" }
                            ));
                            if !good {
                                bad.push(*what);
                            }
                        }
                    }
                }
                Err(why) => {
                    details.push(format!("not seen: {why}"));
                    if unseen_why.is_empty() {
                        unseen_why = why;
                    }
                    unseen.push(*what);
                }
            }
        }
        if !bad.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "security option(s) not hardened; required: {}",
                    bad.join("; ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else if !unseen.is_empty() {
            Finding::unknown(
                ID,
                format!(
                    "{} security option(s) not seen ({unseen_why}): {}",
                    unseen.len(),
                    unseen.join("; ")
                ),
            )
            .with_details(details)
            .with_evidence(ev)
        } else {
            Finding::new(ID, Status::Pass, "blank-password, LM/NTLM, SMBv1, WDigest, LLMNR, NetBIOS and UAC settings are hardened")
                .with_details(details)
                .with_evidence(ev)
        }
    }
}

fn na(id: &str, why: &str) -> Finding {
    Finding::new(id, Status::NotApplicable, why)
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not recorded",
    }
}

/// `GpoBoolean` text: True/False, NotConfigured (None).
fn gpo_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Defender registers in Security Center with the `windowsdefender://` pseudo-path.
fn is_defender(p: &super::snapshot::AvProduct) -> bool {
    let n = p.display_name.to_ascii_lowercase();
    p.path_to_signed_product_exe
        .to_ascii_lowercase()
        .starts_with("windowsdefender:")
        || n.contains("windows defender")
        || n.contains("microsoft defender")
}

/// Whether a firewall rule's program names the listener's executable. `%SystemRoot%` and
/// `%windir%` match the Windows directory on any drive; any other variable cannot be resolved
/// from the snapshot, so the rule is taken to match (a rule wrongly counted as allowing only
/// makes a verdict stricter).
fn same_program(rule: &str, path: &str) -> bool {
    let norm = |p: &str| -> String {
        let p = p.trim().trim_matches('"').to_ascii_lowercase();
        for var in ["%systemroot%", "%windir%"] {
            if let Some(rest) = p.strip_prefix(var) {
                return format!("<windows>{rest}");
            }
        }
        let b = p.as_bytes();
        if b.len() > 10 && b[1] == b':' && p[2..].starts_with("\\windows\\") {
            return format!("<windows>{}", &p[10..]);
        }
        p
    };
    let (r, l) = (norm(rule), norm(path));
    r.contains('%') || r == l
}

/// A service binary shipped with Windows (under `%SystemRoot%`).
fn is_windows_binary(path_name: &str) -> bool {
    let p = path_name
        .trim()
        .trim_start_matches('"')
        .to_ascii_lowercase();
    // The drive letter is not judged: Windows may live on any drive.
    let after_drive = if p.len() > 2 && p.as_bytes()[1] == b':' {
        &p[2..]
    } else {
        ""
    };
    after_drive.starts_with("\\windows\\")
        || p.starts_with("%systemroot%\\")
        || p.starts_with("%windir%\\")
        || p.starts_with("\\systemroot\\")
        || p.starts_with("system32\\")
        // Defender's platform updates install outside %SystemRoot%.
        || after_drive.starts_with("\\programdata\\microsoft\\windows defender\\")
        || after_drive.starts_with("\\program files\\windows defender\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_match_across_drives_and_variables() {
        assert!(same_program(
            r"%SystemRoot%\system32\svchost.exe",
            r"C:\Windows\System32\svchost.exe"
        ));
        assert!(same_program(
            r"%windir%\system32\svchost.exe",
            r"D:\WINDOWS\system32\svchost.exe"
        ));
        assert!(same_program(
            r"%ProgramFiles%\Vendor\x.exe",
            r"C:\Other\y.exe"
        ));
        assert!(same_program(
            r"C:\Program Files\A\a.exe",
            r"c:\program files\a\A.EXE"
        ));
        assert!(!same_program(
            r"C:\Program Files\A\a.exe",
            r"C:\Program Files\B\b.exe"
        ));
    }

    #[test]
    fn windows_binaries_on_any_drive() {
        assert!(is_windows_binary(
            r"C:\Windows\system32\svchost.exe -k netsvcs"
        ));
        assert!(is_windows_binary(r"D:\WINDOWS\System32\spoolsv.exe"));
        assert!(is_windows_binary(r"%SystemRoot%\System32\lsass.exe"));
        assert!(is_windows_binary(
            r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18\MsMpEng.exe""#
        ));
        assert!(!is_windows_binary(
            r#""C:\Program Files\TeamViewer\TeamViewer_Service.exe""#
        ));
        assert!(!is_windows_binary(r"C:\Windows2\evil.exe"));
    }
}
