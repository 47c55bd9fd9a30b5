//! Accounts facts: local users and their password state, groups, login.defs, login shells,
//! sudo rules (with includes) and the PAM settings that decide empty passwords and lockout.
//!
//! Sources: /etc/passwd, /etc/shadow (root only; otherwise `unknown["shadow"]`), /etc/group,
//! login.defs (/etc/login.defs, else /usr/etc/login.defs, then `*.defs` drop-ins from
//! /usr/etc/login.defs.d and /etc/login.defs.d, as shadow-utils built with libeconf reads them),
//! /etc/shells, /etc/sudoers and its includes, and the PAM files in `PAM_FILES` plus the files
//! they include.

pub mod login_defs;
pub mod pam;
pub mod passwd;
pub mod sudoers;

pub use pam::{PamFacts, PamHit};
pub use passwd::{Days, GroupEntry, HashScheme, PasswordSource, PasswordState};
pub use sudoers::{SudoFacts, SudoGrant, SudoPasswordless};

use crate::host::Host;
use crate::inspect::Unseen;
use crate::inspect::gap::AccountsGap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const PASSWD: &str = "/etc/passwd";
pub const SHADOW: &str = "/etc/shadow";
pub const GROUP: &str = "/etc/group";
pub const SHELLS: &str = "/etc/shells";
pub const SUDOERS: &str = "/etc/sudoers";
pub const LOGIN_DEFS: &str = "/etc/login.defs";
pub const VENDOR_LOGIN_DEFS: &str = "/usr/etc/login.defs";
pub const FAILLOCK_CONF: &str = "/etc/security/faillock.conf";
/// PAM stacks read (Debian/Ubuntu `common-*`, RHEL `system-auth`/`password-auth`, and the
/// login and SSH entry points); files they include are read too.
pub const PAM_FILES: [&str; 6] = [
    "/etc/pam.d/common-auth",
    "/etc/pam.d/common-password",
    "/etc/pam.d/system-auth",
    "/etc/pam.d/password-auth",
    "/etc/pam.d/login",
    "/etc/pam.d/sshd",
];

/// shadow-utils defaults when login.defs does not set them.
pub const DEFAULT_UID_MIN: i64 = 1000;
pub const DEFAULT_UID_MAX: i64 = 60000;
pub const DEFAULT_PASS_MAX_DAYS: i64 = 99999;

/// A local account, from /etc/passwd joined with its /etc/shadow entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccount {
    /// `Box<str>` here and below, not `String`: a scan keeps every account, and 8 bytes each
    /// count at 500,000.
    pub name: Box<str>,
    pub uid: u32,
    pub gid: u32,
    #[serde(default)]
    pub gecos: Box<str>,
    pub home: Box<str>,
    /// Borrowed when it is a shell most accounts share ([`passwd::shared_shell`]).
    pub shell: std::borrow::Cow<'static, str>,
    /// The shell lets the account run commands (not nologin/false/sync...; empty = /bin/sh).
    pub login_shell: bool,
    pub password: PasswordState,
    /// yescrypt, sha512, sha256, bcrypt, md5, des, ... ; `none` when no hash; `unknown` when unseen.
    pub hash_scheme: HashScheme,
    /// Where the password field came from: `shadow`, `passwd` (hash or lock in /etc/passwd
    /// itself), or empty when unseen.
    #[serde(default)]
    pub password_source: PasswordSource,
    /// Shadow fields, in days (last change as days since 1970-01-01); `null` when unset/unseen.
    /// [`Days`], not `Option<i64>`: half the size, for 500,000 accounts.
    pub last_change_days: Days,
    pub min_days: Days,
    pub max_days: Days,
    pub warn_days: Days,
    pub inactive_days: Days,
    pub expire_days: Days,
    /// Line in /etc/passwd.
    pub line: u32,
}

impl UserAccount {
    /// A hash is present and not locked.
    pub fn usable_password(&self) -> bool {
        self.password == PasswordState::Set
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountsFacts {
    pub users: Vec<UserAccount>,
    pub groups: Vec<GroupEntry>,
    /// Effective login.defs settings (later files override earlier ones).
    pub login_defs: BTreeMap<String, String>,
    /// Where each effective setting came from, `file:line`.
    pub login_defs_origin: BTreeMap<String, String>,
    /// login.defs files applied, in order.
    pub login_defs_files: Vec<String>,
    /// Valid login shells listed in /etc/shells.
    pub shells: Vec<String>,
    /// Boxed to keep `AccountsFacts` small (it travels through the inspection threads).
    pub sudo: Box<SudoFacts>,
    pub pam: Box<PamFacts>,
    /// Lines left out of passwd/shadow/group, and other oddities, as `path:line: reason`.
    pub skipped: Vec<String>,
    pub unknown: Unseen<AccountsGap>,
}

impl AccountsFacts {
    fn login_def_number(&self, key: &str) -> Option<i64> {
        self.login_defs
            .get(key)
            .and_then(|v| login_defs::numeric(v))
    }

    /// UID_MIN from login.defs, or shadow-utils' default 1000.
    pub fn uid_min(&self) -> i64 {
        self.login_def_number("UID_MIN").unwrap_or(DEFAULT_UID_MIN)
    }

    /// UID_MAX from login.defs, or shadow-utils' default 60000.
    pub fn uid_max(&self) -> i64 {
        self.login_def_number("UID_MAX").unwrap_or(DEFAULT_UID_MAX)
    }

    /// PASS_MAX_DAYS from login.defs (shadow-utils' default 99999 when unset or not a number).
    pub fn pass_max_days(&self) -> i64 {
        self.login_def_number("PASS_MAX_DAYS")
            .unwrap_or(DEFAULT_PASS_MAX_DAYS)
    }

    /// A person's account: UID in UID_MIN..=UID_MAX.
    pub fn is_human(&self, u: &UserAccount) -> bool {
        let uid = i64::from(u.uid);
        uid >= self.uid_min() && uid <= self.uid_max()
    }

    /// A system account: UID below UID_MIN or above UID_MAX (e.g. nobody), except the account
    /// named `root` itself. Any other UID 0 account (`toor`) is a system account.
    pub fn is_system(&self, u: &UserAccount) -> bool {
        &*u.name != "root" && !self.is_human(u)
    }

    pub fn user(&self, name: &str) -> Option<&UserAccount> {
        self.users.iter().find(|u| &*u.name == name)
    }

    pub fn group(&self, name: &str) -> Option<&GroupEntry> {
        self.groups.iter().find(|g| g.name == name)
    }
}

pub fn collect(host: &dyn Host) -> AccountsFacts {
    let mut facts = AccountsFacts::default();

    // Passwd is joined entry by entry as it is parsed: parsed entries and joined accounts of
    // 500,000 users alive at once were the scan's peak memory. Files are read in the same
    // order as before (passwd, then shadow: the evidence order) and the notes keep theirs:
    // passwd's, shadow's, then the join's.
    let passwd = host.read(PASSWD);
    // The shadow entries borrow from its text, which lives until the join is done.
    let shadow_file = host.read(SHADOW);
    let (shadow, shadow_notes) = match &shadow_file {
        Ok(f) => {
            let (table, notes) = passwd::index_shadow(SHADOW, &f.text);
            (Some(table), notes)
        }
        Err(e) => {
            facts.unknown.insert(AccountsGap::Shadow, e.to_string());
            (None, Vec::new())
        }
    };
    match passwd {
        Ok(f) => {
            let mut passwd_notes = Vec::new();
            let mut join_notes = Vec::new();
            let entries = passwd::passwd_entries(PASSWD, &f.text, &mut passwd_notes);
            // Sized once from the line count: doubling a vector of 500,000 accounts held the
            // old and the new one at the peak.
            facts
                .users
                .reserve_exact(f.text.bytes().filter(|b| *b == b'\n').count() + 1);
            facts
                .users
                .extend(join_users(entries, shadow.as_ref(), &mut join_notes));
            facts.users.shrink_to_fit();
            drop(f);
            facts.skipped.extend(passwd_notes);
            facts.skipped.extend(shadow_notes);
            facts.skipped.extend(join_notes);
        }
        Err(e) => {
            facts.unknown.insert(AccountsGap::Passwd, e.to_string());
            facts.skipped.extend(shadow_notes);
        }
    }
    drop(shadow);
    drop(shadow_file);

    match host.read(GROUP) {
        Ok(f) => {
            let g = passwd::parse_group(GROUP, &f.text);
            facts.skipped.extend(g.skipped);
            facts.groups = g.entries;
        }
        Err(e) => {
            facts.unknown.insert(AccountsGap::Group, e.to_string());
        }
    }

    collect_login_defs(host, &mut facts);

    match host.read(SHELLS) {
        Ok(f) => facts.shells = parse_shells(&f.text),
        Err(e) => {
            facts.unknown.insert(AccountsGap::Shells, e.to_string());
        }
    }

    match sudoers::collect_sudoers(host, SUDOERS) {
        Ok(mut s) => {
            // Judge %group rules with the station's own group membership.
            if !facts.users.is_empty() {
                let m = membership(&facts, sudoers::singled_out(&s));
                sudoers::judge(&mut s, Some(&m));
            }
            facts.sudo = Box::new(s);
        }
        Err(e) if e.is_not_found() => {
            // No sudoers: sudo (if installed at all) grants nothing beyond root.
            facts.sudo = Box::default();
        }
        Err(e) => {
            facts.unknown.insert(AccountsGap::Sudoers, e.to_string());
        }
    }

    collect_pam(host, &mut facts);
    facts
}

/// Account name → the names of its primary and supplementary groups, for the accounts `keep`
/// accepts (given the name and those groups).
pub fn membership(
    facts: &AccountsFacts,
    keep: impl Fn(&str, &[String]) -> bool,
) -> BTreeMap<String, Vec<String>> {
    // Groups by GID (the first entry for a GID names it, as getgrgid(3) finds it first) and
    // supplementary members by account: a search of every group per account was quadratic.
    let mut by_gid: std::collections::HashMap<u32, &str> = std::collections::HashMap::new();
    let mut supplementary: std::collections::HashMap<&str, Vec<&str>> =
        std::collections::HashMap::new();
    for g in &facts.groups {
        by_gid.entry(g.gid).or_insert(g.name.as_str());
        for m in &g.members {
            supplementary
                .entry(m.as_str())
                .or_default()
                .push(g.name.as_str());
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut gs: Vec<String> = Vec::new();
    for u in &facts.users {
        if out.contains_key(&*u.name) {
            continue;
        }
        gs.clear();
        if let Some(g) = by_gid.get(&u.gid) {
            gs.push((*g).to_string());
        }
        for g in supplementary.get(&*u.name).into_iter().flatten() {
            if !gs.iter().any(|have| have == g) {
                gs.push((*g).to_string());
            }
        }
        if keep(&u.name, &gs) {
            out.insert(u.name.to_string(), std::mem::take(&mut gs));
        }
    }
    out
}

/// Joins passwd entries with shadow entries into accounts, one by one as `entries` yields
/// them. `shadow` is `None` when unreadable.
pub fn join_users<'a>(
    entries: impl IntoIterator<Item = passwd::PasswdEntry> + 'a,
    shadow: Option<&'a passwd::ShadowTable<'a>>,
    notes: &'a mut Vec<String>,
) -> impl Iterator<Item = UserAccount> + 'a {
    // By name through the table's sorted index (the first entry winning, as in getspnam(3)):
    // a linear search per account made 500,000 accounts quadratic (minutes).
    let find = move |name: &str| shadow.and_then(|t| t.get(name));
    // The entries are consumed, their strings moved: 500,000 accounts held twice over were
    // hundreds of MB at the peak.
    entries.into_iter().map(move |e| {
        let s = find(e.name.as_str());
        let login_shell = passwd::is_login_shell(&e.shell);
        // passwd is capped at 64 MiB: its line numbers fit in 32 bits.
        let (line, password_field) = (u32::try_from(e.line).unwrap_or(u32::MAX), e.password_field);
        let mut u = UserAccount {
            name: e.name.into(),
            uid: e.uid,
            gid: e.gid,
            gecos: e.gecos.into(),
            home: e.home.into(),
            shell: e.shell,
            login_shell,
            password: PasswordState::Unknown,
            hash_scheme: HashScheme::Unknown,
            password_source: PasswordSource::Unseen,
            last_change_days: Days::UNSET,
            min_days: Days::UNSET,
            max_days: Days::UNSET,
            warn_days: Days::UNSET,
            inactive_days: Days::UNSET,
            expire_days: Days::UNSET,
            line,
        };
        if let Some(s) = &s {
            u.last_change_days = s.last_change;
            u.min_days = s.min_days;
            u.max_days = s.max_days;
            u.warn_days = s.warn_days;
            u.inactive_days = s.inactive_days;
            u.expire_days = s.expire;
        }
        // pam_unix looks in shadow only when the passwd field is `x` (or `##name`).
        if password_field == "x" || password_field.starts_with("##") {
            match (shadow, s) {
                (Some(_), Some(s)) => {
                    let (state, scheme) = passwd::classify_password(s.hash);
                    u.password = state;
                    u.hash_scheme = scheme;
                    u.password_source = PasswordSource::Shadow;
                }
                (Some(_), None) => {
                    // No shadow entry: no password can match, so no password login.
                    u.password = PasswordState::Locked;
                    u.hash_scheme = HashScheme::None;
                    u.password_source = PasswordSource::Shadow;
                    notes.push(format!(
                        "{PASSWD}:{}: {} has no /etc/shadow entry",
                        line, u.name
                    ));
                }
                (None, _) => {}
            }
        } else {
            let (state, scheme) = passwd::classify_password(&password_field);
            u.password = state;
            u.hash_scheme = scheme;
            u.password_source = PasswordSource::Passwd;
            if state == PasswordState::Set {
                notes.push(format!(
                    "{PASSWD}:{}: {} keeps its password hash in the world-readable /etc/passwd",
                    line, u.name
                ));
            }
        }
        u
    })
}

/// /etc/shells: one absolute path per line; `#` comments.
pub fn parse_shells(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| l.starts_with('/'))
        .map(str::to_string)
        .collect()
}

fn collect_login_defs(host: &dyn Host, facts: &mut AccountsFacts) {
    // libeconf: /etc/login.defs replaces the vendor file; drop-ins then apply by name order,
    // an /etc drop-in replacing a /usr/etc one of the same name.
    let mut base: Option<(String, String)> = None;
    let mut reasons = Vec::new();
    for path in [LOGIN_DEFS, VENDOR_LOGIN_DEFS] {
        match host.read(path) {
            Ok(f) => {
                base = Some((path.to_string(), f.text));
                break;
            }
            Err(e) if e.is_not_found() => reasons.push(e.to_string()),
            // /etc/login.defs exists: it, not the vendor file, is what applies.
            Err(e) => {
                facts.unknown.insert(AccountsGap::LoginDefs, e.to_string());
                return;
            }
        }
    }
    let mut dropins: BTreeMap<String, String> = BTreeMap::new();
    for dir in ["/usr/etc/login.defs.d", "/etc/login.defs.d"] {
        match crate::host::read_dir_optional(host, dir) {
            Ok(names) => {
                for name in names.into_iter().flatten().filter(|n| n.ends_with(".defs")) {
                    dropins.insert(name.clone(), format!("{dir}/{name}"));
                }
            }
            // A drop-in not seen could override any setting: login.defs is not known.
            Err(e) => {
                facts.unknown.insert(AccountsGap::LoginDefs, e.to_string());
            }
        }
    }
    let mut sources: Vec<(String, String)> = base.into_iter().collect();
    for path in dropins.into_values() {
        match host.read(&path) {
            Ok(f) => sources.push((path, f.text)),
            // A drop-in not read could override any setting (libeconf skips only the absent).
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                facts.unknown.insert(AccountsGap::LoginDefs, e.to_string());
            }
        }
    }
    if sources.is_empty() {
        facts
            .unknown
            .insert(AccountsGap::LoginDefs, reasons.join("; "));
        return;
    }
    for (path, text) in sources {
        for s in login_defs::parse_login_defs(&text) {
            facts
                .login_defs_origin
                .insert(s.key.clone(), format!("{path}:{}", s.line));
            facts.login_defs.insert(s.key, s.value);
        }
        facts.login_defs_files.push(path);
    }
}

fn collect_pam(host: &dyn Host, facts: &mut AccountsFacts) {
    let mut queue: Vec<String> = PAM_FILES.iter().rev().map(|s| (*s).to_string()).collect();
    let mut seen: Vec<String> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    while let Some(path) = queue.pop() {
        if seen.contains(&path) || seen.len() >= 64 {
            continue;
        }
        seen.push(path.clone());
        match host.read(&path) {
            Ok(f) => {
                let parsed = pam::parse_pam(&f.text);
                facts.pam.absorb(&path, &parsed);
                for (inc, _) in parsed.includes.iter().rev() {
                    let inc_path = if inc.starts_with('/') {
                        inc.clone()
                    } else {
                        format!("/etc/pam.d/{inc}")
                    };
                    queue.push(inc_path);
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => reasons.push(e.to_string()),
        }
    }
    if facts.pam.files.is_empty() {
        let why = if reasons.is_empty() {
            format!(
                "no PAM configuration found ({} absent)",
                PAM_FILES.join(", ")
            )
        } else {
            reasons.join("; ")
        };
        facts.unknown.insert(AccountsGap::Pam, why);
    }
    match crate::host::read_optional(host, FAILLOCK_CONF) {
        Ok(Some(f)) => facts.pam.faillock_conf = pam::parse_faillock_conf(&f.text),
        Ok(None) => {}
        Err(e) => {
            facts
                .unknown
                .insert(AccountsGap::FaillockConf, e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Root;

    /// A scan keeps every account (500,000 in the scale benchmark): the record's size is
    /// the scan's memory, so it does not grow unnoticed.
    #[test]
    fn an_account_record_stays_compact() {
        assert!(
            std::mem::size_of::<UserAccount>() <= 136,
            "{} bytes",
            std::mem::size_of::<UserAccount>()
        );
    }

    fn fixture(name: &str) -> Root {
        Root::new(format!(
            "{}/tests/fixtures/accounts/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
    }

    #[test]
    fn collects_the_real_debian_tree() {
        let f = collect(&fixture("debian12"));
        assert!(f.unknown.is_empty(), "{:?}", f.unknown);
        assert!(f.skipped.is_empty(), "{:?}", f.skipped);
        assert_eq!(f.users.len(), 24);
        let cloud = f.user("cloudsdk").cloned();
        assert_eq!(cloud.as_ref().map(|u| u.password), Some(PasswordState::Set));
        assert_eq!(
            cloud.as_ref().map(|u| u.hash_scheme.as_str()),
            Some("yescrypt")
        );
        let root = f.user("root").cloned();
        assert_eq!(
            root.map(|u| (u.password, u.hash_scheme, u.max_days.get())),
            Some((PasswordState::Locked, HashScheme::None, Some(99999)))
        );
        let pg = f.user("postgres").cloned();
        assert_eq!(
            pg.map(|u| (u.login_shell, u.password)),
            Some((true, PasswordState::Locked))
        );
        assert_eq!(f.uid_min(), 1000);
        assert_eq!(f.pass_max_days(), 99999);
        assert_eq!(
            f.login_defs_origin.get("PASS_MAX_DAYS").map(String::as_str),
            Some("/etc/login.defs:165")
        );
        assert!(f.shells.contains(&"/bin/bash".to_string()));
        assert_eq!(f.sudo.files, vec!["/etc/sudoers", "/etc/sudoers.d/README"]);
        assert!(f.sudo.passwordless.is_empty());
        assert_eq!(f.sudo.grants.len(), 2);
        assert!(f.sudo.problems.is_empty(), "{:?}", f.sudo.problems);
        assert_eq!(f.pam.nullok.len(), 1);
        assert!(f.pam.lockout.is_empty());
        // login includes common-auth, common-account, common-session, common-password.
        assert!(f.pam.files.contains(&"/etc/pam.d/login".to_string()));
        let json = serde_json::to_value(&f).unwrap_or_default();
        assert_eq!(json["users"][0]["password"], "locked");
        assert_eq!(json["users"][18]["name"], "cloudsdk");
        assert_eq!(json["users"][18]["hash_scheme"], "yescrypt");
    }

    #[test]
    fn collects_the_misconfigured_tree() {
        let f = collect(&fixture("misconfigured"));
        assert!(f.user("toor").is_some_and(|u| u.uid == 0));
        assert_eq!(
            f.user("guest").map(|u| u.password),
            Some(PasswordState::Empty)
        );
        assert_eq!(
            f.user("legacy").map(|u| (u.password, u.password_source)),
            Some((PasswordState::Empty, PasswordSource::Passwd))
        );
        assert_eq!(f.user("admin").map(|u| u.hash_scheme.as_str()), Some("des"));
        assert_eq!(
            f.user("hl7feed").map(|u| u.hash_scheme.as_str()),
            Some("md5")
        );
        assert!(
            f.skipped.iter().any(|s| s.starts_with("/etc/passwd:")),
            "{:?}",
            f.skipped
        );
        assert!(
            f.skipped.iter().any(|s| s.starts_with("/etc/shadow:")),
            "{:?}",
            f.skipped
        );
        // Drop-in overrides the base file.
        assert_eq!(
            f.login_defs.get("ENCRYPT_METHOD").map(String::as_str),
            Some("MD5")
        );
        assert_eq!(f.login_defs_files.len(), 2);
        // sudoers: includedir skips vendor.bak and old~, the relative include is found, the
        // loop is reported once and not followed.
        let kinds: Vec<(String, String)> = f
            .sudo
            .passwordless
            .iter()
            .map(|p| (p.kind.clone(), p.location()))
            .collect();
        assert!(
            kinds.contains(&("NOPASSWD".into(), "/etc/sudoers.d/vendor-service:2".into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("!authenticate".into(), "/etc/sudoers.local:3".into())),
            "{kinds:?}"
        );
        assert!(
            !kinds
                .iter()
                .any(|(_, l)| l.contains(".bak") || l.contains('~'))
        );
        assert!(
            f.sudo
                .ignored_files
                .iter()
                .any(|p| p.ends_with("vendor.bak"))
        );
        assert!(f.sudo.ignored_files.iter().any(|p| p.ends_with("old~")));
        assert_eq!(
            f.sudo
                .problems
                .iter()
                .filter(|p| p.contains("include loop"))
                .count(),
            1,
            "{:?}",
            f.sudo.problems
        );
        assert!(f.pam.lockout.is_empty());
        assert!(f.pam.files.contains(&"/etc/pam.d/sshd".to_string()));
    }

    #[test]
    fn unreadable_shadow_leaves_passwords_unknown() {
        let entries = passwd::parse_passwd(
            PASSWD,
            "root:x:0:0::/root:/bin/bash\nold:*:5:5::/:/bin/sh\n",
        )
        .entries;
        let mut notes = Vec::new();
        let users = join_users(entries.clone(), None, &mut notes).collect::<Vec<_>>();
        assert_eq!(users[0].password, PasswordState::Unknown);
        assert_eq!(users[0].hash_scheme, "unknown");
        // A lock in passwd itself is visible without shadow.
        assert_eq!(users[1].password, PasswordState::Locked);
        let users = join_users(entries, Some(&passwd::ShadowTable::default()), &mut notes)
            .collect::<Vec<_>>();
        assert_eq!(users[0].password, PasswordState::Locked);
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn missing_everything_is_unknown_not_empty() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = collect(&Root::new(dir.path()));
        for key in [
            AccountsGap::Passwd,
            AccountsGap::Shadow,
            AccountsGap::Group,
            AccountsGap::LoginDefs,
            AccountsGap::Shells,
            AccountsGap::Pam,
        ] {
            assert!(f.unknown.contains_key(&key), "{key}: {:?}", f.unknown);
        }
        assert!(!f.sudo.present);
        assert!(!f.unknown.contains_key(&AccountsGap::Sudoers));
    }

    #[test]
    fn sudo_membership_is_looked_up_only_for_those_the_rules_single_out() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap_or_else(|e| panic!("{e}"));
        let files = [
            (
                "passwd",
                "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\nbob:x:1001:1001::/:/bin/sh\ncarol:x:1002:50::/:/bin/sh\ndave:x:1003:1003::/:/bin/sh\n",
            ),
            ("group", "root:x:0:\nstaff:x:50:alice\nusers:x:100:dave\n"),
            (
                "sudoers",
                "%staff ALL=(ALL) NOPASSWD: ALL\nbob ALL=(ALL) ALL\nDefaults:dave !authenticate\ndave ALL=(ALL) /usr/bin/id\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(etc.join(name), text).unwrap_or_else(|e| panic!("{e}"));
        }
        let f = collect(&Root::new(dir.path()));
        let m = membership(&f, sudoers::singled_out(&f.sudo));
        // alice (a member of %staff), bob and dave (named), carol (staff is her primary group).
        let names: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(names, ["alice", "bob", "carol", "dave"]);
        assert_eq!(m["carol"], ["staff"]);
        assert_eq!(m["dave"], ["users"]);
        // The same verdicts as with every account's membership.
        let mut every = f.sudo.as_ref().clone();
        sudoers::judge(&mut every, Some(&membership(&f, |_, _| true)));
        assert_eq!(every.passwordless, f.sudo.passwordless);
        assert!(f.sudo.passwordless.iter().any(|p| p.who == "%staff"));
        assert!(
            f.sudo
                .passwordless
                .iter()
                .any(|p| p.kind == "!authenticate")
        );
    }

    #[test]
    fn shells_file() {
        assert_eq!(
            parse_shells("# x\n/bin/sh\n\nbash\n/bin/bash # c\n"),
            vec!["/bin/sh", "/bin/bash"]
        );
    }
}
