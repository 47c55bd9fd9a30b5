//! Site policy: what this site allows, the thresholds checks compare against, and waivers.

use crate::checks;
use crate::date::Date;
use crate::diagnostic::SourceError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const BUILTIN_POLICY: &str = include_str!("../assets/policy/central-station.toml");
pub const BUILTIN_POLICY_NAME: &str = "assets/policy/central-station.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    CentralStation,
    InterfaceHost,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CentralStation => "central-station",
            Role::InterfaceHost => "interface-host",
        }
    }
}

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

/// A listener the site expects: port and protocol, optionally the process that must own it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedListener {
    pub port: u16,
    pub proto: Proto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum WaiverTarget {
    Check(String),
    Control(String),
}

impl WaiverTarget {
    pub fn id(&self) -> &str {
        match self {
            WaiverTarget::Check(s) | WaiverTarget::Control(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub target: WaiverTarget,
    pub justification: String,
    pub approver: String,
    pub expires: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaiverState {
    Active { days_left: i64 },
    Expired { days_ago: i64 },
}

impl Waiver {
    /// A waiver is valid through its expiry date and expired the day after.
    pub fn state(&self, today: Date) -> WaiverState {
        let left = today.days_until(self.expires);
        if left >= 0 {
            WaiverState::Active { days_left: left }
        } else {
            WaiverState::Expired { days_ago: -left }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub name: String,
    pub role: Role,
    pub allowed_listeners: Vec<AllowedListener>,
    pub hl7_ports: Vec<u16>,
    pub router: bool,
    /// Unit or service names; `*` matches any run of characters.
    pub allowed_services: Vec<String>,
    pub approved_remote_tools: Vec<String>,
    pub default_account_names: Vec<String>,
    pub max_privileged_members: usize,
    pub password_max_days: u32,
    pub max_list_age_days: u32,
    pub max_days_since_upgrade: u32,
    /// Vendor-approved package versions; when set, "pending" means approved but not installed.
    pub patch_baseline: BTreeMap<String, String>,
    /// What a Windows station may have (`[windows]`); unused on Linux hosts.
    pub windows: WindowsPolicy,
    pub waivers: Vec<Waiver>,
    /// `[site] require_countersign`: a sign-off is complete only once another operator has
    /// countersigned it (`stationward countersign`); until then summaries show it as pending
    /// review.
    pub require_countersign: bool,
    pub origin: PathBuf,
}

/// A listener the site expects on a Windows station, by the owning image's file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsListener {
    /// One port; absent with `port_range` absent means any port of this image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `[first, last]`, e.g. `[49152, 65535]` for dynamic RPC endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<[u16; 2]>,
    pub proto: Proto,
    /// Image file name (`lsass.exe`), compared without case.
    pub image: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl WindowsListener {
    pub fn matches(&self, port: u16, proto: Proto, image: Option<&str>) -> bool {
        let port_ok = match (self.port, self.port_range) {
            (Some(p), _) => p == port,
            (None, Some([lo, hi])) => (lo..=hi).contains(&port),
            (None, None) => true,
        };
        port_ok && proto == self.proto && image.is_some_and(|i| i.eq_ignore_ascii_case(&self.image))
    }
}

/// Windows keys of the site policy (all optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowsPolicy {
    /// Service names (not display names); `*` matches any run of characters.
    pub allowed_services: Vec<String>,
    pub allowed_listeners: Vec<WindowsListener>,
    /// Members of Administrators (S-1-5-32-544) the site accepts: SIDs, or `DOMAIN\name` /
    /// `name` for vendor accounts.
    pub admin_accounts: Vec<String>,
    /// Anti-malware signatures older than this (days, at collection) are a warning.
    pub max_signature_age_days: u32,
    /// Service names of approved third-party anti-malware/EDR agents, beside the known list.
    pub av_services: Vec<String>,
    /// Vendor-approved update level per build: `"19044" = 5011` (the UBR).
    pub ubr_baseline: BTreeMap<String, u32>,
}

impl Default for WindowsPolicy {
    fn default() -> Self {
        WindowsPolicy {
            allowed_services: Vec::new(),
            allowed_listeners: Vec::new(),
            admin_accounts: Vec::new(),
            max_signature_age_days: 7,
            av_services: Vec::new(),
            ubr_baseline: BTreeMap::new(),
        }
    }
}

impl WindowsPolicy {
    pub fn service_allowed(&self, name: &str) -> bool {
        self.allowed_services
            .iter()
            .any(|pat| glob_match(&pat.to_ascii_lowercase(), &name.to_ascii_lowercase()))
    }
}

impl Policy {
    pub fn builtin() -> Result<Policy, SourceError> {
        parse(Path::new(BUILTIN_POLICY_NAME), BUILTIN_POLICY)
    }

    pub fn load(path: &Path) -> Result<Policy, SourceError> {
        let text = crate::input::read_text_file(path)?;
        parse(path, &text)
    }

    pub fn service_allowed(&self, name: &str) -> bool {
        let bare = name.strip_suffix(".service").unwrap_or(name);
        self.allowed_services.iter().any(|pat| {
            let pat = pat.strip_suffix(".service").unwrap_or(pat);
            glob_match(pat, bare)
        })
    }

    /// Waivers that name this check or control, expired ones included (they are shown, not applied).
    pub fn waivers_for<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Waiver> + 'a {
        self.waivers.iter().filter(move |w| w.target.id() == id)
    }
}

/// `*`-only glob: enough for unit names like `getty@*` or `systemd-*`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    site: RawSite,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default)]
    services: RawServices,
    #[serde(default)]
    remote: RawRemote,
    #[serde(default)]
    accounts: RawAccounts,
    #[serde(default)]
    patches: RawPatches,
    #[serde(default)]
    windows: WindowsPolicy,
    #[serde(default)]
    waiver: Vec<Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: Spanned<String>,
    role: Role,
    #[serde(default)]
    require_countersign: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    #[serde(default = "default_hl7_ports")]
    hl7_ports: Vec<u16>,
    #[serde(default)]
    router: bool,
    #[serde(default)]
    allow: Vec<AllowedListener>,
}

impl Default for RawNetwork {
    fn default() -> Self {
        RawNetwork {
            hl7_ports: default_hl7_ports(),
            router: false,
            allow: Vec::new(),
        }
    }
}

fn default_hl7_ports() -> Vec<u16> {
    vec![2575]
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServices {
    #[serde(default)]
    allowed: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRemote {
    #[serde(default)]
    approved_tools: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    #[serde(default)]
    default_names: Vec<String>,
    #[serde(default = "default_max_privileged")]
    max_privileged_members: usize,
    #[serde(default = "default_password_max_days")]
    password_max_days: u32,
}

impl Default for RawAccounts {
    fn default() -> Self {
        RawAccounts {
            default_names: Vec::new(),
            max_privileged_members: default_max_privileged(),
            password_max_days: default_password_max_days(),
        }
    }
}

fn default_max_privileged() -> usize {
    3
}
fn default_password_max_days() -> u32 {
    365
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatches {
    #[serde(default = "default_list_age")]
    max_list_age_days: u32,
    #[serde(default = "default_since_upgrade")]
    max_days_since_upgrade: u32,
    #[serde(default)]
    baseline: BTreeMap<String, String>,
}

impl Default for RawPatches {
    fn default() -> Self {
        RawPatches {
            max_list_age_days: default_list_age(),
            max_days_since_upgrade: default_since_upgrade(),
            baseline: BTreeMap::new(),
        }
    }
}

fn default_list_age() -> u32 {
    7
}
fn default_since_upgrade() -> u32 {
    45
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    #[serde(default)]
    check: Option<Spanned<String>>,
    #[serde(default)]
    control: Option<Spanned<String>>,
    justification: Spanned<String>,
    approver: Spanned<String>,
    expires: Spanned<toml::Value>,
}

/// Parses and validates a policy. Pure: `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Policy, SourceError> {
    let raw: RawPolicy =
        toml::from_str(text).map_err(|e| SourceError::from_toml(path, text, &e))?;
    let err =
        |span: std::ops::Range<usize>, msg: String| SourceError::at(path, text, Some(span), msg);

    if raw.site.name.get_ref().trim().is_empty() {
        return Err(err(raw.site.name.span(), "site name is empty".into()));
    }

    let mut waivers = Vec::with_capacity(raw.waiver.len());
    for spanned in raw.waiver {
        let whole = spanned.span();
        let w = spanned.into_inner();
        let target = match (w.check, w.control) {
            (Some(c), None) => {
                if checks::find(c.get_ref()).is_none() {
                    return Err(err(
                        c.span(),
                        format!("waiver names unknown check id \"{}\"", c.get_ref()),
                    ));
                }
                WaiverTarget::Check(c.into_inner())
            }
            (None, Some(c)) => {
                if c.get_ref().trim().is_empty() {
                    return Err(err(c.span(), "waiver control id is empty".into()));
                }
                WaiverTarget::Control(c.into_inner())
            }
            _ => {
                return Err(err(
                    whole,
                    "waiver must name exactly one of `check` or `control`".into(),
                ));
            }
        };
        let id = target.id().to_string();
        for (name, field) in [
            ("justification", &w.justification),
            ("approver", &w.approver),
        ] {
            if field.get_ref().trim().is_empty() {
                return Err(err(
                    field.span(),
                    format!("empty {name} in waiver for {id}"),
                ));
            }
        }
        let expires = waiver_date(w.expires.get_ref()).ok_or_else(|| {
            err(
                w.expires.span(),
                format!("bad expiry date in waiver for {id} (expected a date like 2027-03-31)"),
            )
        })?;
        waivers.push(Waiver {
            target,
            justification: w.justification.into_inner().trim().to_string(),
            approver: w.approver.into_inner().trim().to_string(),
            expires,
        });
    }

    Ok(Policy {
        name: raw.site.name.into_inner().trim().to_string(),
        role: raw.site.role,
        allowed_listeners: raw.network.allow,
        hl7_ports: raw.network.hl7_ports,
        router: raw.network.router,
        allowed_services: raw.services.allowed,
        approved_remote_tools: raw.remote.approved_tools,
        default_account_names: raw.accounts.default_names,
        max_privileged_members: raw.accounts.max_privileged_members,
        password_max_days: raw.accounts.password_max_days,
        max_list_age_days: raw.patches.max_list_age_days,
        max_days_since_upgrade: raw.patches.max_days_since_upgrade,
        patch_baseline: raw.patches.baseline,
        windows: raw.windows,
        waivers,
        require_countersign: raw.site.require_countersign,
        origin: path.to_path_buf(),
    })
}

/// A TOML local date (`2027-03-31`) or the same as a string; nothing with a time in it.
fn waiver_date(v: &toml::Value) -> Option<Date> {
    match v {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let d = dt.date?;
            Date::new(i32::from(d.year), d.month, d.day)
        }
        toml::Value::String(s) => Date::parse(s.trim()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_is_valid() {
        let p = Policy::builtin().map_err(|e| e.to_string());
        assert_eq!(p.as_ref().map(|p| p.hl7_ports.clone()), Ok(vec![2575]));
    }

    #[test]
    fn glob() {
        assert!(glob_match("getty@*", "getty@tty1"));
        assert!(glob_match("systemd-*", "systemd-journald"));
        assert!(glob_match("*d", "sshd"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxcyyb"));
        assert!(!glob_match("ssh", "sshd"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn waiver_expiry_is_inclusive() {
        let w = Waiver {
            target: WaiverTarget::Check("ssh.root_login".into()),
            justification: "j".into(),
            approver: "a".into(),
            expires: Date {
                year: 2026,
                month: 11,
                day: 25,
            },
        };
        let on = Date {
            year: 2026,
            month: 11,
            day: 25,
        };
        let after = Date {
            year: 2026,
            month: 11,
            day: 27,
        };
        assert_eq!(w.state(on), WaiverState::Active { days_left: 0 });
        assert_eq!(w.state(after), WaiverState::Expired { days_ago: 2 });
    }

    #[test]
    fn waiver_needs_exactly_one_target() {
        let text = "[site]\nname = \"x\"\nrole = \"central-station\"\n[[waiver]]\njustification = \"j\"\napprover = \"a\"\nexpires = 2027-01-01\n";
        let e = parse(Path::new("p.toml"), text)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("p.toml:4:1: waiver must name exactly one of `check` or `control`")
        );
    }
}

pub mod render;
