//! pam.d(5) files: which modules each stack uses, with which options.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One rule of a PAM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PamRule {
    /// auth | account | password | session (a leading `-` removed).
    pub kind: String,
    /// `required`, `[success=1 default=ignore]`, `include`, `substack`, ...
    pub control: String,
    /// Module path as written (`pam_unix.so`, `/lib/security/pam_faillock.so`), or the
    /// included file for `include`/`substack`.
    pub module: String,
    pub args: Vec<String>,
    pub line: usize,
}

impl PamRule {
    /// `pam_unix` for `/lib/x86_64-linux-gnu/security/pam_unix.so`.
    pub fn module_name(&self) -> &str {
        let base = self.module.rsplit('/').next().unwrap_or(&self.module);
        base.strip_suffix(".so").unwrap_or(base)
    }
}

/// A PAM file parsed: its rules, and the files it pulls in (`@include`, `include`, `substack`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PamFile {
    pub rules: Vec<PamRule>,
    pub includes: Vec<(String, usize)>,
}

/// Where a module or option was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PamHit {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub module: String,
    pub args: Vec<String>,
}

impl PamHit {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    pub fn from_rule(file: &str, r: &PamRule) -> PamHit {
        PamHit {
            file: file.to_string(),
            line: r.line,
            kind: r.kind.clone(),
            module: r.module_name().to_string(),
            args: r.args.clone(),
        }
    }
}

/// PAM settings that matter to the account checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PamFacts {
    /// PAM files read.
    pub files: Vec<String>,
    /// `pam_unix` rules with `nullok` / `nullok_secure`: empty passwords accepted there.
    pub nullok: Vec<PamHit>,
    /// `pam_faillock`, `pam_tally2` or `pam_tally` rules (any type; lockout needs `auth`).
    pub lockout: Vec<PamHit>,
    /// `pam_unix` password rules (their options choose the hash of new passwords).
    pub password_hashing: Vec<PamHit>,
    /// /etc/security/faillock.conf settings (`deny`, `unlock_time`, ...), when present.
    pub faillock_conf: BTreeMap<String, String>,
    /// The files each PAM file pulls in (`@include`, `include`, `substack`), as paths.
    #[serde(default)]
    pub includes: BTreeMap<String, Vec<String>>,
}

/// Whether one PAM stack (a file and what it includes) locks accounts after failed logins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackLockout {
    pub file: String,
    /// Why it locks (`pam_faillock preauth (deny=5) + authfail`), or None.
    pub locks: Option<String>,
    /// Why it does not, or what is missing (for the details).
    pub notes: Vec<String>,
}

/// pam_faillock's default `deny` (faillock.conf(5)).
pub const FAILLOCK_DEFAULT_DENY: u32 = 3;

impl PamFacts {
    /// Lockout modules placed in an `auth` stack (where they can count failures).
    pub fn auth_lockout(&self) -> impl Iterator<Item = &PamHit> {
        self.lockout.iter().filter(|h| h.kind == "auth")
    }

    /// The `deny` a pam_faillock line works with: its own `deny=` argument, else
    /// faillock.conf's, else 3. None when the value is not a number.
    pub fn faillock_deny(&self, hit: &PamHit) -> Option<u32> {
        let arg = hit.args.iter().rev().find_map(|a| a.strip_prefix("deny="));
        match arg.or(self.faillock_conf.get("deny").map(String::as_str)) {
            Some(v) => v.trim().parse().ok(),
            None => Some(FAILLOCK_DEFAULT_DENY),
        }
    }

    /// The file and every file it includes, transitively, in no particular order.
    fn stack_files(&self, file: &str) -> Vec<String> {
        let mut out = vec![file.to_string()];
        let mut i = 0;
        while i < out.len() && out.len() < 64 {
            for inc in self.includes.get(&out[i]).into_iter().flatten() {
                if !out.contains(inc) {
                    out.push(inc.clone());
                }
            }
            i += 1;
        }
        out
    }

    /// For every PAM file read, whether its stack locks accounts, the way pam_faillock
    /// behaves (checked with pamtester): failures are recorded only by an `authfail` line,
    /// and a locked account is refused only by a `preauth` or `authsucc` line whose `deny`
    /// is not 0 (each line reads its own `deny=` or faillock.conf's). The `account` line only
    /// clears the count after a successful login. pam_tally2/pam_tally in auth count as
    /// before (their own single line does both).
    pub fn lockout_stacks(&self) -> Vec<StackLockout> {
        let mut out = Vec::new();
        for file in &self.files {
            let files = self.stack_files(file);
            let hits: Vec<&PamHit> = self
                .lockout
                .iter()
                .filter(|h| files.contains(&h.file))
                .collect();
            if hits.is_empty() {
                continue;
            }
            let mut notes = Vec::new();
            let auth_fl = |mode: &str| -> Vec<&PamHit> {
                hits.iter()
                    .copied()
                    .filter(|h| {
                        h.kind == "auth"
                            && h.module == "pam_faillock"
                            && h.args.iter().any(|a| a == mode)
                    })
                    .collect()
            };
            let tally: Vec<&PamHit> = hits
                .iter()
                .copied()
                .filter(|h| h.kind == "auth" && h.module != "pam_faillock")
                .collect();
            let authfail = auth_fl("authfail");
            let checks: Vec<(&PamHit, &str)> = auth_fl("preauth")
                .into_iter()
                .map(|h| (h, "preauth"))
                .chain(auth_fl("authsucc").into_iter().map(|h| (h, "authsucc")))
                .collect();
            let live_checks: Vec<String> = checks
                .iter()
                .filter_map(|(h, mode)| match self.faillock_deny(h) {
                    Some(0) => {
                        notes.push(format!(
                            "pam_faillock {mode} at {} has deny = 0: it never refuses a locked account",
                            h.location()
                        ));
                        None
                    }
                    Some(n) => Some(format!("{mode} at {} (deny={n})", h.location())),
                    None => {
                        notes.push(format!(
                            "pam_faillock {mode} at {}: deny is not a number",
                            h.location()
                        ));
                        None
                    }
                })
                .collect();
            if authfail.is_empty() && hits.iter().any(|h| h.module == "pam_faillock") {
                notes.push(
                    "no auth pam_faillock authfail line: failed logins are never counted".into(),
                );
            }
            if checks.is_empty() && !authfail.is_empty() {
                notes.push(
                    "no auth pam_faillock preauth or authsucc line: a locked account is never refused"
                        .into(),
                );
            }
            let has_account = hits
                .iter()
                .any(|h| h.kind == "account" && h.module == "pam_faillock");
            let locks = if !authfail.is_empty() && !live_checks.is_empty() {
                if !has_account {
                    notes.push(
                        "no account pam_faillock line: a successful login does not clear the count, \
                         so failures add up across days"
                            .into(),
                    );
                }
                Some(format!(
                    "pam_faillock {} + authfail at {}",
                    live_checks.join(", "),
                    authfail[0].location()
                ))
            } else {
                tally
                    .first()
                    .map(|t| format!("{} at {}", t.module, t.location()))
            };
            out.push(StackLockout {
                file: file.clone(),
                locks,
                notes,
            });
        }
        out
    }

    /// Adds what `file`'s rules say to these facts.
    pub fn absorb(&mut self, file: &str, parsed: &PamFile) {
        self.files.push(file.to_string());
        let incs: Vec<String> = parsed
            .includes
            .iter()
            .map(|(inc, _)| {
                if inc.starts_with('/') {
                    inc.clone()
                } else {
                    format!("/etc/pam.d/{inc}")
                }
            })
            .collect();
        if !incs.is_empty() {
            self.includes.insert(file.to_string(), incs);
        }
        for r in &parsed.rules {
            let m = r.module_name();
            if m == "pam_unix" && r.args.iter().any(|a| a == "nullok" || a == "nullok_secure") {
                self.nullok.push(PamHit::from_rule(file, r));
            }
            if matches!(m, "pam_faillock" | "pam_tally2" | "pam_tally") {
                self.lockout.push(PamHit::from_rule(file, r));
            }
            if m == "pam_unix" && r.kind == "password" {
                self.password_hashing.push(PamHit::from_rule(file, r));
            }
        }
    }
}

const KINDS: [&str; 4] = ["auth", "account", "password", "session"];

pub fn parse_pam(text: &str) -> PamFile {
    let mut out = PamFile::default();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        let content = raw.split('#').next().unwrap_or_default();
        if let Some(rest) = raw.trim_end().strip_suffix('\\')
            && !raw.contains('#')
        {
            acc.push_str(rest);
            acc.push(' ');
            pending = Some((start, acc));
            continue;
        }
        acc.push_str(content);
        parse_rule(start, &acc, &mut out);
    }
    if let Some((start, acc)) = pending {
        parse_rule(start, &acc, &mut out);
    }
    out
}

fn parse_rule(line: usize, text: &str, out: &mut PamFile) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if let Some(file) = text.strip_prefix("@include") {
        let file = file.trim();
        if !file.is_empty() {
            out.includes.push((file.to_string(), line));
        }
        return;
    }
    let mut rest = text;
    let Some(kind) = next_token(&mut rest) else {
        return;
    };
    let kind = kind.trim_start_matches('-').to_ascii_lowercase();
    if !KINDS.contains(&kind.as_str()) {
        return;
    }
    let Some(control) = next_token(&mut rest) else {
        return;
    };
    let Some(module) = next_token(&mut rest) else {
        return;
    };
    let mut args = Vec::new();
    while let Some(a) = next_token(&mut rest) {
        args.push(a);
    }
    if matches!(control.as_str(), "include" | "substack") {
        out.includes.push((module.clone(), line));
    }
    out.rules.push(PamRule {
        kind,
        control,
        module,
        args,
        line,
    });
}

/// A white-space separated token; `[ ... ]` is one token even with spaces inside.
fn next_token(rest: &mut &str) -> Option<String> {
    let s = rest.trim_start();
    if s.is_empty() {
        *rest = s;
        return None;
    }
    let end = if s.starts_with('[') {
        s.find(']').map_or(s.len(), |i| i + 1)
    } else {
        s.find(char::is_whitespace).unwrap_or(s.len())
    };
    let token = s[..end].to_string();
    *rest = &s[end..];
    Some(token)
}

/// faillock.conf(5): `key = value` or bare flags; `#` comments.
pub fn parse_faillock_conf(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .map_or((line, ""), |(k, v)| (k.trim(), v.trim()));
        if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN_AUTH: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/pam.d/common-auth"
    ));
    const DEBIAN_PASSWORD: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/pam.d/common-password"
    ));
    const DEBIAN_LOGIN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/pam.d/login"
    ));
    const DEBIAN_FAILLOCK: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/security/faillock.conf"
    ));
    const RHEL_SYSTEM_AUTH: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/rhel9/etc/pam.d/system-auth"
    ));

    #[test]
    fn real_debian_common_auth() {
        let f = parse_pam(DEBIAN_AUTH);
        let mods: Vec<&str> = f.rules.iter().map(PamRule::module_name).collect();
        assert_eq!(mods, vec!["pam_unix", "pam_deny", "pam_permit", "pam_cap"]);
        assert_eq!(f.rules[0].control, "[success=1 default=ignore]");
        assert_eq!(f.rules[0].args, vec!["nullok"]);
        let mut facts = PamFacts::default();
        facts.absorb("/etc/pam.d/common-auth", &f);
        assert_eq!(facts.nullok.len(), 1);
        assert_eq!(facts.nullok[0].location(), "/etc/pam.d/common-auth:17");
        assert!(facts.lockout.is_empty());
    }

    #[test]
    fn real_debian_password_login_and_faillock_conf() {
        let p = parse_pam(DEBIAN_PASSWORD);
        let mut facts = PamFacts::default();
        facts.absorb("/etc/pam.d/common-password", &p);
        assert_eq!(facts.password_hashing.len(), 1);
        assert_eq!(facts.password_hashing[0].args, vec!["obscure", "yescrypt"]);

        let l = parse_pam(DEBIAN_LOGIN);
        let inc: Vec<&str> = l.includes.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            inc,
            vec![
                "common-auth",
                "common-account",
                "common-session",
                "common-password"
            ]
        );
        assert!(l.rules.iter().any(|r| r.module_name() == "pam_selinux"
            && r.control == "[success=ok ignore=ignore module_unknown=ignore default=bad]"));
        // Every setting in Debian's faillock.conf is commented out.
        assert!(parse_faillock_conf(DEBIAN_FAILLOCK).is_empty());
    }

    #[test]
    fn rhel_faillock_stack() {
        let f = parse_pam(RHEL_SYSTEM_AUTH);
        let mut facts = PamFacts::default();
        facts.absorb("/etc/pam.d/system-auth", &f);
        assert_eq!(facts.auth_lockout().count(), 2);
        assert!(facts.lockout.iter().any(|h| h.kind == "account"));
        assert!(facts.nullok.is_empty());
    }

    #[test]
    fn hostile_pam_text() {
        let text = "#auth required pam_faillock.so preauth\n\
                    -auth  [default=die  success=ok] /usr/lib64/security/pam_faillock.so authfail deny=5\n\
                    auth\n\
                    auth required\n\
                    bogus required pam_x.so\n\
                    password sufficient pam_unix.so \\\n  sha512 nullok # comment nullok_secure\n\
                    auth include system-auth\n\
                    \u{FFFD} \u{FFFD}\n\
                    AUTH required pam_tally2.so deny=3\n";
        let f = parse_pam(text);
        assert_eq!(f.rules.len(), 4, "{:?}", f.rules);
        assert_eq!(f.rules[0].control, "[default=die  success=ok]");
        assert_eq!(f.rules[0].module_name(), "pam_faillock");
        assert_eq!(f.rules[1].args, vec!["sha512", "nullok"]);
        assert_eq!(f.rules[1].line, 6);
        assert_eq!(f.includes, vec![("system-auth".to_string(), 8)]);
        let mut facts = PamFacts::default();
        facts.absorb("/x", &f);
        assert_eq!(facts.auth_lockout().count(), 2);
        assert_eq!(facts.nullok.len(), 1);
        assert!(parse_pam("").rules.is_empty());
        let big: String = (0..10_000).map(|_| "auth required pam_unix.so\n").collect();
        assert_eq!(parse_pam(&big).rules.len(), 10_000);
    }

    #[test]
    fn faillock_conf_values() {
        let c = parse_faillock_conf(
            "# deny = 9\ndeny = 5\nunlock_time=900\neven_deny_root\n silent # x\n= bad\n",
        );
        assert_eq!(c.get("deny").map(String::as_str), Some("5"));
        assert_eq!(c.get("unlock_time").map(String::as_str), Some("900"));
        assert_eq!(c.get("even_deny_root").map(String::as_str), Some(""));
        assert!(c.contains_key("silent"));
        assert_eq!(c.len(), 4);
    }

    fn stacks(auth: &str, conf: &str) -> Vec<StackLockout> {
        let mut facts = PamFacts::default();
        facts.absorb("/etc/pam.d/login", &parse_pam("@include common-auth\n"));
        facts.absorb("/etc/pam.d/common-auth", &parse_pam(auth));
        facts.faillock_conf = parse_faillock_conf(conf);
        facts.lockout_stacks()
    }

    fn locks(auth: &str, conf: &str) -> bool {
        let s = stacks(auth, conf);
        assert!(
            s.iter().all(|x| x.locks.is_some() == s[0].locks.is_some()),
            "{s:?}"
        );
        s[0].locks.is_some()
    }

    #[test]
    fn faillock_needs_authfail_and_a_check_with_deny() {
        // Each verdict was checked with pamtester: six wrong passwords, then the right one.
        let full = "auth required pam_faillock.so preauth\nauth [success=1 default=ignore] pam_unix.so\nauth [default=die] pam_faillock.so authfail\nauth sufficient pam_faillock.so authsucc\nauth requisite pam_deny.so\naccount required pam_faillock.so\n";
        assert!(locks(full, ""));
        // deny = 0 in faillock.conf disables every line.
        assert!(!locks(full, "deny = 0\n"));
        // deny=0 on preauth alone: authsucc still refuses with the default deny.
        assert!(locks(&full.replace("preauth", "preauth deny=0"), ""));
        // No authfail: failures are never recorded.
        let no_authfail = "auth required pam_faillock.so preauth\nauth [success=1 default=ignore] pam_unix.so\nauth requisite pam_deny.so\n";
        assert!(!locks(no_authfail, ""));
        // authfail with no preauth/authsucc: nothing refuses the locked account.
        let authfail_only = "auth [success=2 default=ignore] pam_unix.so\nauth [default=die] pam_faillock.so authfail\nauth requisite pam_deny.so\n";
        assert!(!locks(authfail_only, ""));
        // RHEL layout with deny=0 on both lines.
        let rhel = "auth required pam_faillock.so preauth silent deny=0\nauth sufficient pam_unix.so\nauth required pam_faillock.so authfail deny=0\nauth required pam_deny.so\n";
        assert!(!locks(rhel, "deny = 5\n"));
        assert!(locks(&rhel.replace(" deny=0", ""), "deny = 5\n"));
        // Without the account line it still locks (noted in the details).
        let s = stacks(&full.replace("account required pam_faillock.so\n", ""), "");
        assert!(s[0].locks.is_some());
        assert!(
            s[0].notes.iter().any(|n| n.starts_with("no account")),
            "{s:?}"
        );
        // The service file sees the lines of the file it includes.
        assert_eq!(s[0].file, "/etc/pam.d/login");
    }
}
