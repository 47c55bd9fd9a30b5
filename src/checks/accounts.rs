//! Checks over accounts facts (ICS-06 and ICS-07).
//!
//! Decisions worth knowing:
//! - "Usable password" = a hash that is present and not locked (`!`/`*`). Empty passwords
//!   have their own check, but an empty password also counts as "can log in" for
//!   `accounts.system_no_login` and `accounts.default_names`, since it is worse, not better.
//! - The account named `root` is not a "system account" for `accounts.system_no_login`: it
//!   needs a shell, and how root may log in is judged by `ssh.root_login` and the site's
//!   console policy. A system account is any other account with UID below UID_MIN or above
//!   UID_MAX (nobody) — including another UID 0 account such as `toor`, which counts.
//! - A person's account (for `accounts.password_aging`) has UID_MIN <= UID <= UID_MAX.
//! - sudo: both `NOPASSWD` and `!authenticate` (in a rule's Defaults or globally) fail.
//! - When /etc/shadow could not be read, the checks that need it are `unknown` with the
//!   reason, unless what is visible already fails (an empty field in /etc/passwd itself).

use super::{Area, CheckContext, Finding, Status};
use crate::host::Evidence;
use crate::inspect::Facts;
use crate::inspect::accounts::{
    AccountsFacts, FAILLOCK_CONF, GROUP, HashScheme, LOGIN_DEFS, PASSWD, PasswordSource,
    PasswordState, SHADOW, SUDOERS, UserAccount,
};
use crate::inspect::gap::AccountsGap;
use crate::policy::Policy;
use std::collections::BTreeSet;

pub const PRIVILEGED_GROUPS: [&str; 3] = ["sudo", "wheel", "admin"];

pub fn evaluate(facts: &Facts, policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let a = &facts.accounts;
    vec![
        uid0_only_root(facts, a),
        no_empty_passwords(facts, a),
        strong_hashes(facts, a),
        system_no_login(facts, a),
        default_names(facts, a, policy),
        sudo_nopasswd(facts, a),
        privileged_members(facts, a, policy),
        password_aging(facts, a, policy),
        lockout(facts, a),
    ]
}

fn evidence(facts: &Facts, subjects: &[&str]) -> Vec<Evidence> {
    facts.evidence_for(Area::Accounts, subjects)
}

fn login_defs_subjects(a: &AccountsFacts) -> Vec<&str> {
    let mut v: Vec<&str> = a.login_defs_files.iter().map(String::as_str).collect();
    if v.is_empty() {
        v.push(LOGIN_DEFS);
    }
    v
}

/// Lines of `files` that the parsers left out, for a finding's details.
fn skipped_in(a: &AccountsFacts, files: &[&str]) -> Vec<String> {
    a.skipped
        .iter()
        .filter(|s| files.iter().any(|f| s.starts_with(&format!("{f}:"))))
        .map(|s| format!("ignored: {s}"))
        .collect()
}

/// Account names for a summary line: the first few, then how many more (details list all).
fn names(users: &[&UserAccount]) -> String {
    const SHOWN: usize = 8;
    let mut out = users
        .iter()
        .take(SHOWN)
        .map(|u| &*u.name)
        .collect::<Vec<_>>()
        .join(", ");
    if users.len() > SHOWN {
        out.push_str(&format!(" and {} more", users.len() - SHOWN));
    }
    out
}

/// The ladder the account checks climb: a problem seen fails (or warns) whatever else could
/// not be read; otherwise anything unseen makes it unknown, with why; only then a pass. A
/// pass is never the default while something was not seen.
fn ladder(
    id: &str,
    problem: Option<(Status, String)>,
    unseen: Option<String>,
    pass: impl FnOnce() -> String,
) -> Finding {
    match (problem, unseen) {
        (Some((status, summary)), _) => Finding::new(id, status, summary),
        (None, Some(why)) => Finding::unknown(id, why),
        (None, None) => Finding::new(id, Status::Pass, pass()),
    }
}

/// Why the password state of `users` is not known (the shadow reason, normally).
fn unseen_passwords(a: &AccountsFacts, users: &[&UserAccount]) -> String {
    let why = a
        .unknown
        .get(&AccountsGap::Shadow)
        .cloned()
        .unwrap_or_else(|| "no usable /etc/shadow entry".to_string());
    if users.len() <= 5 {
        format!("{why} (password state of {} not seen)", names(users))
    } else {
        format!(
            "{why} (password state of {} accounts not seen)",
            users.len()
        )
    }
}

fn describe(u: &UserAccount) -> String {
    let shell = if u.shell.is_empty() {
        "/bin/sh (empty field)"
    } else {
        &u.shell
    };
    let hash = match u.hash_scheme {
        HashScheme::None | HashScheme::Unknown => String::new(),
        s => format!(", {s} hash"),
    };
    format!(
        "{} (UID {}, shell {shell}, password {}{hash}, {PASSWD}:{})",
        u.name,
        u.uid,
        u.password.as_str(),
        u.line
    )
}

fn uid0_only_root(facts: &Facts, a: &AccountsFacts) -> Finding {
    const ID: &str = "accounts.uid0_only_root";
    let ev = evidence(facts, &[PASSWD]);
    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    // glibc answers a lookup by name with the first line for that name: a later line that
    // repeats a name gives no login of its own. Such a line with UID 0 is for review, not a
    // second root.
    let first_of = |u: &UserAccount| a.users.iter().find(|x| x.name == u.name);
    let is_repeat = |u: &UserAccount| first_of(u).is_some_and(|f| f.line != u.line);
    let others: Vec<&UserAccount> = a
        .users
        .iter()
        .filter(|u| u.uid == 0 && &*u.name != "root" && !is_repeat(u))
        .collect();
    let repeats: Vec<String> = a
        .users
        .iter()
        .filter(|u| u.uid == 0 && is_repeat(u))
        .map(|u| {
            let first = first_of(u);
            format!(
                "review: {PASSWD}:{} repeats the name {} with UID 0; glibc uses the first line \
                 ({PASSWD}:{}, UID {}), so this line gives no login, but it should be removed",
                u.line,
                u.name,
                first.map_or(0, |f| f.line),
                first.map_or(0, |f| f.uid)
            )
        })
        .collect();
    let mut details: Vec<String> = others.iter().map(|u| describe(u)).collect();
    details.extend(repeats.iter().cloned());
    if !a.users.iter().any(|u| u.uid == 0 && &*u.name == "root") {
        details.push("no account named root has UID 0".into());
    }
    details.extend(skipped_in(a, &[PASSWD]));
    let f = if others.is_empty() && !repeats.is_empty() {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "Only root has UID 0, but {} repeated passwd line(s) carry UID 0 and need review",
                repeats.len()
            ),
        )
    } else if others.is_empty() {
        Finding::new(ID, Status::Pass, "Only root has UID 0")
    } else {
        let locked = others
            .iter()
            .filter(|u| u.password == PasswordState::Locked)
            .count();
        let note = if locked > 0 {
            format!(" ({locked} locked, still a second root)")
        } else {
            String::new()
        };
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "{} other account(s) have UID 0, the power of root: {}{note}",
                others.len(),
                names(&others)
            ),
        )
    };
    f.with_details(details).with_evidence(ev)
}

fn nullok_details(a: &AccountsFacts) -> Vec<String> {
    a.pam
        .nullok
        .iter()
        .map(|h| {
            format!(
                "PAM {} {} allows empty passwords ({}): {}",
                h.kind,
                h.module,
                h.args.join(" "),
                h.location()
            )
        })
        .collect()
}

fn pam_subjects(a: &AccountsFacts) -> Vec<&str> {
    a.pam.files.iter().map(String::as_str).collect()
}

fn no_empty_passwords(facts: &Facts, a: &AccountsFacts) -> Finding {
    const ID: &str = "accounts.no_empty_passwords";
    let mut subjects = vec![PASSWD, SHADOW];
    subjects.extend(pam_subjects(a));
    let ev = evidence(facts, &subjects);
    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let empty: Vec<&UserAccount> = a
        .users
        .iter()
        .filter(|u| u.password == PasswordState::Empty)
        .collect();
    let unseen: Vec<&UserAccount> = a
        .users
        .iter()
        .filter(|u| u.password == PasswordState::Unknown)
        .collect();
    let nullok = nullok_details(a);
    let mut details: Vec<String> = empty
        .iter()
        .map(|u| {
            let place = if u.password_source == PasswordSource::Passwd {
                PASSWD
            } else {
                SHADOW
            };
            format!(
                "{} (UID {}): empty password field in {place}",
                u.name, u.uid
            )
        })
        .collect();
    let f = ladder(
        ID,
        (!empty.is_empty()).then(|| {
            let how = if nullok.is_empty() {
                "PAM has no nullok, but other services may accept it"
            } else {
                "PAM nullok lets them log in with no password"
            };
            (
                Status::Fail,
                format!(
                    "{} account(s) have an empty password: {} ({how})",
                    empty.len(),
                    names(&empty)
                ),
            )
        }),
        (!unseen.is_empty()).then(|| unseen_passwords(a, &unseen)),
        || {
            format!(
                "No account has an empty password ({} checked)",
                a.users.len()
            )
        },
    );
    if !nullok.is_empty() && empty.is_empty() {
        details.push("note: nullok is set, so an account given an empty password later could log in without one".into());
    }
    details.extend(nullok);
    details.extend(skipped_in(a, &[PASSWD, SHADOW]));
    f.with_details(details).with_evidence(ev)
}

/// The hash new passwords will get, with where that is decided; weak when MD5/DES.
fn new_password_scheme(a: &AccountsFacts) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    const PAM_SCHEMES: [&str; 8] = [
        "md5",
        "bigcrypt",
        "sha256",
        "sha512",
        "blowfish",
        "gost_yescrypt",
        "yescrypt",
        "descrypt",
    ];
    let mut pam_decides = false;
    for h in &a.pam.password_hashing {
        for arg in h.args.iter().filter(|a| PAM_SCHEMES.contains(&a.as_str())) {
            pam_decides = true;
            let weak = matches!(arg.as_str(), "md5" | "bigcrypt" | "descrypt");
            out.push((
                format!("new passwords: pam_unix option {arg} at {}", h.location()),
                weak,
            ));
        }
    }
    match a.login_defs.get("ENCRYPT_METHOD") {
        Some(m) => {
            let origin = a
                .login_defs_origin
                .get("ENCRYPT_METHOD")
                .cloned()
                .unwrap_or_default();
            let weak = matches!(m.to_ascii_uppercase().as_str(), "MD5" | "DES");
            let used = if pam_decides {
                " (used by passwd/chpasswd tools; PAM option above wins at password change)"
            } else {
                ""
            };
            out.push((
                format!("new passwords: ENCRYPT_METHOD {m} at {origin}{used}"),
                weak,
            ));
        }
        None if !pam_decides && !a.unknown.contains_key(&AccountsGap::LoginDefs) => {
            out.push((
                "new passwords: ENCRYPT_METHOD not set in login.defs (tool defaults apply)".into(),
                false,
            ));
        }
        None => {}
    }
    out
}

fn strong_hashes(facts: &Facts, a: &AccountsFacts) -> Finding {
    const ID: &str = "accounts.strong_hashes";
    let mut subjects = vec![PASSWD, SHADOW];
    subjects.extend(login_defs_subjects(a));
    subjects.extend(pam_subjects(a));
    let ev = evidence(facts, &subjects);
    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let usable: Vec<&UserAccount> = a.users.iter().filter(|u| u.usable_password()).collect();
    let weak: Vec<&UserAccount> = usable
        .iter()
        .copied()
        .filter(|u| u.hash_scheme.is_weak())
        .collect();
    let odd: Vec<&UserAccount> = usable
        .iter()
        .copied()
        .filter(|u| !u.hash_scheme.is_weak() && !u.hash_scheme.is_strong())
        .collect();
    let unseen: Vec<&UserAccount> = a
        .users
        .iter()
        .filter(|u| u.password == PasswordState::Unknown)
        .collect();
    let future = new_password_scheme(a);

    let mut details: Vec<String> = Vec::new();
    details.extend(
        weak.iter()
            .map(|u| format!("{}: {} hash (UID {})", u.name, u.hash_scheme, u.uid)),
    );
    details.extend(odd.iter().map(|u| {
        format!(
            "{}: unrecognised hash format, check by hand (UID {})",
            u.name, u.uid
        )
    }));
    let mut schemes: BTreeSet<&str> = BTreeSet::new();
    for u in &usable {
        schemes.insert(u.hash_scheme.as_str());
    }
    for u in a
        .users
        .iter()
        .filter(|u| u.password == PasswordState::Locked && u.hash_scheme.is_weak())
    {
        details.push(format!(
            "{}: locked, but keeps a {} hash that unlocking would restore",
            u.name, u.hash_scheme
        ));
    }
    details.extend(future.iter().map(|(d, weak)| {
        if *weak {
            format!("{d} — weak")
        } else {
            d.clone()
        }
    }));
    details.extend(skipped_in(a, &[SHADOW]));

    let weak_future: Vec<&String> = future.iter().filter(|(_, w)| *w).map(|(d, _)| d).collect();
    let f = if !weak.is_empty() {
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "{} password(s) use a breakable hash (DES/MD5): {}",
                weak.len(),
                names(&weak)
            ),
        )
    } else if !unseen.is_empty() {
        Finding::unknown(ID, unseen_passwords(a, &unseen))
    } else if !odd.is_empty() {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "{} password hash(es) in an unrecognised format: {}",
                odd.len(),
                names(&odd)
            ),
        )
    } else if !weak_future.is_empty() {
        Finding::new(
            ID,
            Status::Warn,
            "Existing hashes are strong, but new passwords would get a weak (MD5/DES) hash",
        )
    } else if usable.is_empty() {
        Finding::new(
            ID,
            Status::Pass,
            "No account has a usable password hash (all locked)",
        )
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "All {} usable password hash(es) use strong schemes ({})",
                usable.len(),
                schemes.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
    };
    f.with_details(details).with_evidence(ev)
}

fn system_no_login(facts: &Facts, a: &AccountsFacts) -> Finding {
    const ID: &str = "accounts.system_no_login";
    let mut subjects = vec![PASSWD, SHADOW];
    subjects.extend(login_defs_subjects(a));
    let ev = evidence(facts, &subjects);
    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let candidates: Vec<&UserAccount> = a
        .users
        .iter()
        .filter(|u| a.is_system(u) && u.login_shell)
        .collect();
    let (bad, unseen) = usable_and_unseen(&candidates);
    let mut details: Vec<String> = bad.iter().map(|u| describe(u)).collect();
    details.extend(
        candidates
            .iter()
            .filter(|u| u.password == PasswordState::Locked)
            .map(|u| {
                format!(
                    "{} (UID {}) has shell {} but its password is locked: fine",
                    u.name, u.uid, u.shell
                )
            }),
    );
    let range = format!("UID below {} or above {}", a.uid_min(), a.uid_max());
    details.push(format!(
        "system accounts: {range}, the account named root excluded (root's logins are judged by ssh.root_login and the console policy; other UID 0 accounts count)"
    ));
    if let Some(why) = a.unknown.get(&AccountsGap::LoginDefs) {
        details.push(format!(
            "login.defs not read ({why}); default UID_MIN 1000 / UID_MAX 60000 used"
        ));
    }
    details.extend(skipped_in(a, &[PASSWD, SHADOW]));
    let f = ladder(
        ID,
        (!bad.is_empty()).then(|| {
            (
                Status::Fail,
                format!(
                    "{} system account(s) have a login shell and a password: {}",
                    bad.len(),
                    names(&bad)
                ),
            )
        }),
        (!unseen.is_empty()).then(|| unseen_passwords(a, &unseen)),
        || {
            format!(
                "No system account has both a login shell and a password ({} with a shell, all locked)",
                candidates.len()
            )
        },
    );
    f.with_details(details).with_evidence(ev)
}

fn default_names(facts: &Facts, a: &AccountsFacts, policy: &Policy) -> Finding {
    const ID: &str = "accounts.default_names";
    let ev = evidence(facts, &[PASSWD, SHADOW]);
    if policy.default_account_names.is_empty() {
        return Finding::new(
            ID,
            Status::NotApplicable,
            "The site policy lists no default account names",
        )
        .with_evidence(ev);
    }
    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let present: Vec<&UserAccount> = a
        .users
        .iter()
        .filter(|u| {
            policy
                .default_account_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&u.name))
        })
        .collect();
    let (can_log_in, unseen) = usable_and_unseen(&present);
    let mut details: Vec<String> = can_log_in.iter().map(|u| describe(u)).collect();
    details.extend(
        present
            .iter()
            .filter(|u| u.password == PasswordState::Locked)
            .map(|u| {
                format!(
                    "{} (UID {}) exists but its password is locked",
                    u.name, u.uid
                )
            }),
    );
    let f = ladder(
        ID,
        (!can_log_in.is_empty()).then(|| {
            (
                Status::Warn,
                format!(
                    "{} default or generic account(s) can log in with a password: {} (rename, lock, or give each person their own)",
                    can_log_in.len(),
                    names(&can_log_in)
                ),
            )
        }),
        (!unseen.is_empty()).then(|| unseen_passwords(a, &unseen)),
        || {
            if present.is_empty() {
                "No account has a default or generic name from the site policy".to_string()
            } else {
                format!("Default-named accounts are locked: {}", names(&present))
            }
        },
    );
    f.with_details(details).with_evidence(ev)
}

fn sudo_nopasswd(facts: &Facts, a: &AccountsFacts) -> Finding {
    const ID: &str = "accounts.sudo_nopasswd";
    let mut subjects: Vec<&str> = vec![SUDOERS, "/etc/sudoers.d/"];
    subjects.extend(a.sudo.files.iter().map(String::as_str));
    let ev = evidence(facts, &subjects);
    if let Some(why) = a.unknown.get(&AccountsGap::Sudoers) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let s = &a.sudo;
    if !s.present {
        return Finding::new(
            ID,
            Status::NotApplicable,
            "sudo is not configured here (/etc/sudoers absent)",
        )
        .with_evidence(ev);
    }
    let mut details: Vec<String> = s
        .passwordless
        .iter()
        .map(|p| format!("{} at {}: {}", p.kind, p.location(), p.text))
        .collect();
    details.extend(s.overridden.iter().map(|p| format!("no effect: {p}")));
    details.extend(s.notes.iter().cloned());
    details.extend(
        s.insecure_files
            .iter()
            .map(|p| format!("skipped by sudo: {p}")),
    );
    details.extend(s.unreadable.iter().map(|p| format!("not read: {p}")));
    details.extend(s.problems.iter().map(|p| format!("problem: {p}")));
    details.push(format!("files read: {}", s.files.join(", ")));
    if !s.ignored_files.is_empty() {
        details.push(format!(
            "ignored by sudo (name has '.' or ends in '~'): {}",
            s.ignored_files.join(", ")
        ));
    }
    let f = if !s.passwordless.is_empty() {
        let who: BTreeSet<String> = s
            .passwordless
            .iter()
            .map(|p| {
                let who = if p.who.is_empty() {
                    "everyone".to_string()
                } else {
                    p.who.trim_start_matches(':').to_string()
                };
                format!("{who} ({})", p.kind)
            })
            .collect();
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "sudo runs commands without asking a password for: {}",
                who.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )
    } else if !s.unreadable.is_empty() {
        Finding::unknown(
            ID,
            format!(
                "part of the sudo configuration could not be read: {}",
                s.unreadable.join("; ")
            ),
        )
    } else if !s.problems.is_empty() {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "No NOPASSWD rules, but the sudoers files have {} problem(s) to fix",
                s.problems.len()
            ),
        )
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "sudo asks for a password in every rule ({} file(s) read)",
                s.files.len()
            ),
        )
    };
    f.with_details(details).with_evidence(ev)
}

fn privileged_members(facts: &Facts, a: &AccountsFacts, policy: &Policy) -> Finding {
    const ID: &str = "accounts.privileged_members";
    let mut subjects: Vec<&str> = vec![GROUP, PASSWD];
    subjects.extend(a.sudo.files.iter().map(String::as_str));
    let ev = evidence(facts, &subjects);
    if let Some(why) = a.unknown.get(&AccountsGap::Group) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let passwd_known = !a.unknown.contains_key(&AccountsGap::Passwd);
    let mut members: BTreeSet<String> = BTreeSet::new();
    let mut details: Vec<String> = Vec::new();
    for gname in PRIVILEGED_GROUPS {
        let Some(g) = a.group(gname) else {
            continue;
        };
        let mut listed: Vec<String> = Vec::new();
        for m in &g.members {
            if passwd_known && a.user(m).is_none() {
                details.push(format!("{gname}: {m} is listed but no such account exists (remove it before someone creates one)"));
            } else if m != "root" {
                listed.push(m.clone());
            }
        }
        for u in a
            .users
            .iter()
            .filter(|u| u.gid == g.gid && &*u.name != "root")
        {
            if !listed.iter().any(|l| **l == *u.name) {
                listed.push(format!("{} (primary group)", u.name));
            }
        }
        let granted: Vec<String> = a
            .sudo
            .grants
            .iter()
            .filter(|r| r.who.split(',').any(|w| w.trim() == format!("%{gname}")))
            .map(|r| format!("{}:{}", r.file, r.line))
            .collect();
        let grant = if granted.is_empty() {
            String::new()
        } else {
            format!(" — sudo granted at {}", granted.join(", "))
        };
        details.push(format!(
            "{gname} (GID {}): {}{grant}",
            g.gid,
            if listed.is_empty() {
                "no members".to_string()
            } else {
                listed.join(", ")
            }
        ));
        for m in listed {
            members.insert(m.trim_end_matches(" (primary group)").to_string());
        }
    }
    // Users granted sudo by name (not through a group or an alias).
    for r in &a.sudo.grants {
        for w in r.who.split(',').map(str::trim) {
            let alias = w
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if w.is_empty() || w == "root" || w.starts_with('%') || w.starts_with('+') || alias {
                continue;
            }
            details.push(format!(
                "sudoers grants {w} directly at {}:{}",
                r.file, r.line
            ));
            members.insert(w.trim_start_matches('#').to_string());
        }
    }
    if !passwd_known {
        details.push("/etc/passwd not read: members by primary group are not listed".into());
    }
    let list = members.iter().cloned().collect::<Vec<_>>().join(", ");
    let max = policy.max_privileged_members;
    // What was not seen could hold more administrators: a UID 0 or primary-group member in
    // /etc/passwd, a grant in sudoers or an unreadable include. Within the limit is then not
    // a pass.
    let mut unseen: Vec<String> = Vec::new();
    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        unseen.push(why.clone());
    }
    if let Some(why) = a.unknown.get(&AccountsGap::Sudoers) {
        unseen.push(why.clone());
    }
    unseen.extend(a.sudo.unreadable.iter().cloned());
    let f = if members.len() > max {
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "{} administrative accounts (policy allows {max}): {list}",
                members.len()
            ),
        )
    } else if !unseen.is_empty() {
        Finding::unknown(
            ID,
            format!(
                "{} administrative account(s) seen ({}), but not everything that grants it could be read: {}",
                members.len(),
                if list.is_empty() { "-" } else { &list },
                unseen.join("; ")
            ),
        )
    } else if members.is_empty() {
        Finding::new(
            ID,
            Status::Pass,
            "No accounts in sudo/wheel/admin or named in sudoers besides root",
        )
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "{} administrative account(s), within policy ({max}): {list}",
                members.len()
            ),
        )
    };
    f.with_details(details).with_evidence(ev)
}

fn password_aging(facts: &Facts, a: &AccountsFacts, policy: &Policy) -> Finding {
    const ID: &str = "accounts.password_aging";
    let mut subjects = vec![PASSWD, SHADOW];
    subjects.extend(login_defs_subjects(a));
    let ev = evidence(facts, &subjects);
    let limit = i64::from(policy.password_max_days);
    let mut problems: Vec<String> = Vec::new();
    let mut unseen: Vec<String> = Vec::new();
    let mut details: Vec<String> = Vec::new();

    match a.unknown.get(&AccountsGap::LoginDefs) {
        Some(why) => unseen.push(format!("login.defs: {why}")),
        None => {
            let max = a.pass_max_days();
            let origin = a
                .login_defs_origin
                .get("PASS_MAX_DAYS")
                .map_or("not set, shadow-utils default".to_string(), |o| {
                    format!("at {o}")
                });
            let line = format!("PASS_MAX_DAYS {max} ({origin})");
            if max < 0 || max > limit {
                problems.push(line);
            } else {
                details.push(line);
            }
        }
    }

    if let Some(why) = a.unknown.get(&AccountsGap::Passwd) {
        unseen.push(why.clone());
    } else {
        let people: Vec<&UserAccount> = a.users.iter().filter(|u| a.is_human(u)).collect();
        for u in &people {
            match u.password {
                PasswordState::Set => match u.max_days.get() {
                    Some(m) if (0..=limit).contains(&m) => {
                        details.push(format!("{}: expires after {m} days", u.name));
                    }
                    Some(m) => problems.push(format!(
                        "{}: maximum password age {m} days (policy {limit})",
                        u.name
                    )),
                    None => problems.push(format!("{}: no maximum password age set", u.name)),
                },
                PasswordState::Unknown => {
                    unseen.push(format!("{}: {}", u.name, unseen_passwords(a, &[u])));
                }
                PasswordState::Locked | PasswordState::Empty => {}
            }
        }
    }
    let note = "PASS_MAX_DAYS applies to accounts created later; `chage -M DAYS USER` sets existing ones. \
                Agree expiry with the vendor so a shared station login cannot expire during a shift.";

    let f = if !problems.is_empty() {
        let mut shown = problems
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if problems.len() > 3 {
            shown.push_str(&format!("; and {} more", problems.len() - 3));
        }
        Finding::new(
            ID,
            Status::Warn,
            format!("Password maximum age above the policy's {limit} days: {shown}"),
        )
    } else if !unseen.is_empty() {
        let shadow_why = a.unknown.get(&AccountsGap::Shadow).cloned();
        Finding::unknown(ID, shadow_why.unwrap_or_else(|| unseen.join("; ")))
    } else {
        Finding::new(
            ID,
            Status::Pass,
            format!("Passwords expire within {limit} days (login.defs and every person's account)"),
        )
    };
    let mut all = problems.clone();
    all.extend(details);
    all.extend(unseen.into_iter().map(|u| format!("not seen: {u}")));
    all.push(note.into());
    f.with_details(all).with_evidence(ev)
}

fn lockout(facts: &Facts, a: &AccountsFacts) -> Finding {
    const ID: &str = "accounts.lockout";
    let mut subjects = pam_subjects(a);
    subjects.push(FAILLOCK_CONF);
    let ev = evidence(facts, &subjects);
    if let Some(why) = a.unknown.get(&AccountsGap::Pam) {
        return Finding::unknown(ID, why.clone()).with_evidence(ev);
    }
    let p = &a.pam;
    let in_auth: Vec<String> = p
        .auth_lockout()
        .map(|h| {
            format!(
                "{} {} {} at {}",
                h.kind,
                h.module,
                h.args.join(" "),
                h.location()
            )
        })
        .collect();
    let mut details = in_auth.clone();
    details.extend(p.lockout.iter().filter(|h| h.kind != "auth").map(|h| {
        format!(
            "{} {} at {} (does not count failures by itself)",
            h.kind,
            h.module,
            h.location()
        )
    }));
    if !p.faillock_conf.is_empty() {
        let conf: Vec<String> = p
            .faillock_conf
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        details.push(format!("{FAILLOCK_CONF}: {}", conf.join(" ")));
    }
    details.push(format!("PAM files read: {}", p.files.join(", ")));
    details.push(
        "clinical note: agree the threshold and unlock time with the vendor; a lockout must never block \
         the account that shows live alarms"
            .into(),
    );
    let stacks = p.lockout_stacks();
    for st in &stacks {
        details.extend(st.notes.iter().map(|n| format!("{}: {n}", st.file)));
    }
    let locking: Vec<String> = stacks
        .iter()
        .filter_map(|st| st.locks.as_ref().map(|l| format!("{}: {l}", st.file)))
        .collect();
    let f = if in_auth.is_empty() {
        Finding::new(
            ID,
            Status::Warn,
            "No failed-login lockout: neither pam_faillock nor pam_tally2 is in the auth stack",
        )
    } else if locking.is_empty() {
        let why: BTreeSet<String> = stacks
            .iter()
            .flat_map(|st| st.notes.iter().cloned())
            .filter(|n| !n.starts_with("no account"))
            .collect();
        Finding::new(
            ID,
            Status::Warn,
            format!(
                "No failed-login lockout takes effect: {}",
                why.into_iter().collect::<Vec<_>>().join("; ")
            ),
        )
    } else if let Some(why) = a
        .unknown
        .get(&AccountsGap::FaillockConf)
        .filter(|_| p.auth_lockout().any(|h| h.module.contains("pam_faillock")))
    {
        // deny= and unlock_time= left to faillock.conf are not known: `deny = 0` there would
        // make the lockout a no-op.
        Finding::unknown(
            ID,
            format!("pam_faillock is in the auth stack, but its settings could not be read: {why}"),
        )
    } else {
        let modules: BTreeSet<&str> = p.auth_lockout().map(|h| h.module.as_str()).collect();
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "Failed-login lockout configured ({}): {}",
                modules.into_iter().collect::<Vec<_>>().join(", "),
                locking.join("; ")
            ),
        )
    };
    f.with_details(details).with_evidence(ev)
}

/// Accounts whose password works (set, or empty), and those whose password state could not
/// be read: the two groups the login checks report on.
fn usable_and_unseen<'a>(
    users: &[&'a UserAccount],
) -> (Vec<&'a UserAccount>, Vec<&'a UserAccount>) {
    let usable = users
        .iter()
        .copied()
        .filter(|u| matches!(u.password, PasswordState::Set | PasswordState::Empty))
        .collect();
    let unseen = users
        .iter()
        .copied()
        .filter(|u| u.password == PasswordState::Unknown)
        .collect();
    (usable, unseen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Root;
    use crate::inspect::{Recorder, accounts};

    fn facts_for(tree: &str) -> Facts {
        let root = Root::new(format!(
            "{}/tests/fixtures/accounts/{tree}",
            env!("CARGO_MANIFEST_DIR")
        ));
        let rec = Recorder::new(&root);
        let accounts = accounts::collect(&rec);
        let mut facts = Facts {
            accounts,
            areas: vec![Area::Accounts],
            ..Facts::default()
        };
        facts.evidence.insert(Area::Accounts, rec.evidence());
        facts
    }

    fn policy() -> Policy {
        Policy::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    fn ctx() -> CheckContext {
        CheckContext {
            today: crate::date::Date::new(2025, 6, 1).unwrap_or_else(|| panic!("date")),
            now: 0,
            privileged: true,
            live: false,
        }
    }

    fn run(facts: &Facts) -> Vec<Finding> {
        evaluate(facts, &policy(), &ctx())
    }

    fn get<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
        fs.iter()
            .find(|f| f.check == id)
            .unwrap_or_else(|| panic!("no finding {id}"))
    }

    fn status(fs: &[Finding], id: &str) -> Status {
        get(fs, id).status
    }

    #[test]
    fn real_debian_station() {
        let fs = run(&facts_for("debian12"));
        assert_eq!(fs.len(), 9);
        assert_eq!(status(&fs, "accounts.uid0_only_root"), Status::Pass);
        let empty = get(&fs, "accounts.no_empty_passwords");
        assert_eq!(empty.status, Status::Pass);
        assert!(
            empty
                .details
                .iter()
                .any(|d| d.contains("/etc/pam.d/common-auth:17")),
            "{:?}",
            empty.details
        );
        assert_eq!(status(&fs, "accounts.strong_hashes"), Status::Pass);
        let sys = get(&fs, "accounts.system_no_login");
        assert_eq!(sys.status, Status::Pass);
        assert!(
            sys.details.iter().any(|d| d.starts_with("postgres")),
            "{:?}",
            sys.details
        );
        assert_eq!(status(&fs, "accounts.default_names"), Status::Pass);
        assert_eq!(status(&fs, "accounts.sudo_nopasswd"), Status::Pass);
        assert_eq!(status(&fs, "accounts.privileged_members"), Status::Pass);
        // PASS_MAX_DAYS 99999 and cloudsdk without a maximum age.
        let aging = get(&fs, "accounts.password_aging");
        assert_eq!(aging.status, Status::Warn);
        assert!(
            aging.summary.contains("PASS_MAX_DAYS 99999"),
            "{}",
            aging.summary
        );
        assert!(
            aging
                .summary
                .contains("cloudsdk: maximum password age 99999"),
            "{}",
            aging.summary
        );
        assert_eq!(status(&fs, "accounts.lockout"), Status::Warn);
        // Every finding carries evidence from the files it read.
        for f in &fs {
            assert!(!f.evidence.is_empty(), "{} has no evidence", f.check);
        }
        let ev = &get(&fs, "accounts.uid0_only_root").evidence;
        assert!(ev.iter().all(|e| e.subject() == "/etc/passwd"));
    }

    #[test]
    fn misconfigured_station_fails() {
        let fs = run(&facts_for("misconfigured"));
        let uid0 = get(&fs, "accounts.uid0_only_root");
        assert_eq!(uid0.status, Status::Fail);
        assert!(
            uid0.summary.contains("toor") && uid0.summary.contains("locked"),
            "{}",
            uid0.summary
        );
        assert!(
            uid0.details.iter().any(|d| d.contains("too few fields")),
            "{:?}",
            uid0.details
        );

        let empty = get(&fs, "accounts.no_empty_passwords");
        assert_eq!(empty.status, Status::Fail);
        assert!(
            empty.summary.contains("guest, legacy") && empty.summary.contains("nullok"),
            "{}",
            empty.summary
        );

        let hashes = get(&fs, "accounts.strong_hashes");
        assert_eq!(hashes.status, Status::Fail);
        assert!(
            hashes.summary.contains("hl7feed, admin"),
            "{}",
            hashes.summary
        );
        assert!(
            hashes
                .details
                .iter()
                .any(|d| d.contains("ENCRYPT_METHOD MD5") && d.ends_with("weak")),
            "{:?}",
            hashes.details
        );

        let sys = get(&fs, "accounts.system_no_login");
        assert_eq!(sys.status, Status::Fail);
        assert!(
            sys.summary.contains("hl7feed") && !sys.summary.contains("root"),
            "{}",
            sys.summary
        );

        let names = get(&fs, "accounts.default_names");
        assert_eq!(names.status, Status::Warn);
        assert!(
            names.summary.contains("nurse, admin, guest, service"),
            "{}",
            names.summary
        );

        let sudo = get(&fs, "accounts.sudo_nopasswd");
        assert_eq!(sudo.status, Status::Fail);
        assert!(
            sudo.summary.contains("service (NOPASSWD)")
                && sudo.summary.contains("nurse (!authenticate)"),
            "{}",
            sudo.summary
        );
        assert!(
            sudo.details
                .iter()
                .any(|d| d.contains("/etc/sudoers.d/vendor-service:2"))
        );
        assert!(sudo.details.iter().any(|d| d.contains("include loop")));
        assert!(
            sudo.evidence
                .iter()
                .any(|e| e.subject() == "/etc/sudoers.local")
        );

        let privileged = get(&fs, "accounts.privileged_members");
        assert_eq!(privileged.status, Status::Warn);
        assert!(
            privileged
                .summary
                .starts_with("4 administrative accounts (policy allows 3)"),
            "{}",
            privileged.summary
        );
        assert!(
            privileged.details.iter().any(|d| d.contains("ghost")),
            "{:?}",
            privileged.details
        );

        let aging = get(&fs, "accounts.password_aging");
        assert_eq!(aging.status, Status::Warn);
        assert!(
            aging.summary.contains("nurse") && !aging.summary.contains("jsmith"),
            "{}",
            aging.summary
        );

        assert_eq!(status(&fs, "accounts.lockout"), Status::Warn);
    }

    #[test]
    fn hardened_rhel_station_passes() {
        let fs = run(&facts_for("rhel9"));
        for f in &fs {
            assert_eq!(
                f.status,
                Status::Pass,
                "{}: {} {:?}",
                f.check,
                f.summary,
                f.details
            );
        }
        let p = get(&fs, "accounts.privileged_members");
        assert!(p.summary.contains("biomed1, biomed2"), "{}", p.summary);
        let l = get(&fs, "accounts.lockout");
        assert!(l.summary.contains("pam_faillock"));
        assert!(
            l.details.iter().any(|d| d.contains("deny=5")),
            "{:?}",
            l.details
        );
        assert!(
            l.evidence
                .iter()
                .any(|e| e.subject() == "/etc/pam.d/password-auth")
        );
    }

    #[test]
    fn unreadable_shadow_gives_unknown_with_reason() {
        let mut facts = facts_for("debian12");
        let reason = "needs root to read /etc/shadow".to_string();
        facts
            .accounts
            .unknown
            .insert(AccountsGap::Shadow, reason.clone());
        for u in &mut facts.accounts.users {
            u.password = PasswordState::Unknown;
            u.hash_scheme = HashScheme::Unknown;
            u.max_days = crate::inspect::accounts::Days::UNSET;
        }
        let fs = run(&facts);
        assert_eq!(status(&fs, "accounts.uid0_only_root"), Status::Pass);
        for id in [
            "accounts.no_empty_passwords",
            "accounts.strong_hashes",
            "accounts.system_no_login",
        ] {
            let f = get(&fs, id);
            assert_eq!(f.status, Status::Unknown, "{id}");
            assert!(f.summary.starts_with(&reason), "{id}: {}", f.summary);
        }
        // PASS_MAX_DAYS 99999 is visible without root: that alone warns.
        assert_eq!(status(&fs, "accounts.password_aging"), Status::Warn);
        facts
            .accounts
            .login_defs
            .insert("PASS_MAX_DAYS".into(), "90".into());
        let fs = run(&facts);
        let aging = get(&fs, "accounts.password_aging");
        assert_eq!(aging.status, Status::Unknown);
        assert_eq!(aging.summary, reason);
    }

    #[test]
    fn empty_field_in_passwd_fails_even_without_shadow() {
        let mut facts = facts_for("misconfigured");
        facts
            .accounts
            .unknown
            .insert(AccountsGap::Shadow, "needs root to read /etc/shadow".into());
        for u in facts
            .accounts
            .users
            .iter_mut()
            .filter(|u| u.password_source == PasswordSource::Shadow)
        {
            u.password = PasswordState::Unknown;
        }
        let fs = run(&facts);
        let f = get(&fs, "accounts.no_empty_passwords");
        assert_eq!(f.status, Status::Fail);
        assert!(f.summary.contains("legacy"));
    }

    #[test]
    fn nothing_readable_is_unknown_never_pass() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = Root::new(dir.path());
        let facts = Facts {
            accounts: accounts::collect(&root),
            areas: vec![Area::Accounts],
            ..Facts::default()
        };
        let fs = run(&facts);
        for f in &fs {
            match f.check.as_str() {
                "accounts.sudo_nopasswd" => assert_eq!(f.status, Status::NotApplicable),
                _ => assert_eq!(f.status, Status::Unknown, "{}: {}", f.check, f.summary),
            }
        }
        assert!(
            get(&fs, "accounts.uid0_only_root")
                .summary
                .contains("/etc/passwd does not exist")
        );
    }

    #[test]
    fn sudoers_unreadable_is_unknown() {
        let mut facts = facts_for("debian12");
        facts.accounts.unknown.insert(
            AccountsGap::Sudoers,
            "needs root to read /etc/sudoers".into(),
        );
        let fs = run(&facts);
        let f = get(&fs, "accounts.sudo_nopasswd");
        assert_eq!(
            (f.status, f.summary.as_str()),
            (Status::Unknown, "needs root to read /etc/sudoers")
        );
        facts.accounts.unknown.remove(&AccountsGap::Sudoers);
        facts
            .accounts
            .sudo
            .unreadable
            .push("/etc/sudoers:54: included /etc/sudoers.d/x: needs root to read it".into());
        assert_eq!(
            status(&run(&facts), "accounts.sudo_nopasswd"),
            Status::Unknown
        );
    }

    #[test]
    fn privileged_count_follows_policy() {
        let facts = facts_for("rhel9");
        let mut p = policy();
        p.max_privileged_members = 1;
        let fs = evaluate(&facts, &p, &ctx());
        let f = get(&fs, "accounts.privileged_members");
        assert_eq!(f.status, Status::Warn);
        assert!(f.summary.contains("(policy allows 1)"));
    }

    #[test]
    fn strong_hashes_warns_on_weak_future_scheme_only() {
        let mut facts = facts_for("rhel9");
        facts
            .accounts
            .login_defs
            .insert("ENCRYPT_METHOD".into(), "DES".into());
        facts.accounts.pam.password_hashing.clear();
        let fs = run(&facts);
        let f = get(&fs, "accounts.strong_hashes");
        assert_eq!(f.status, Status::Warn, "{:?}", f.details);
    }

    #[test]
    fn default_names_respect_empty_policy() {
        let facts = facts_for("misconfigured");
        let mut p = policy();
        p.default_account_names.clear();
        let fs = evaluate(&facts, &p, &ctx());
        assert_eq!(
            get(&fs, "accounts.default_names").status,
            Status::NotApplicable
        );
    }

    fn with_passwd(text: &str) -> Facts {
        let mut facts = facts_for("debian12");
        let p = crate::inspect::accounts::passwd::parse_passwd(PASSWD, text);
        facts.accounts.users = accounts::join_users(p.entries, None, &mut Vec::new()).collect();
        facts
    }

    #[test]
    fn uid0_fields_as_glibc_reads_them() {
        // `-0`, `+0` and ` 0` are UID 0 to glibc (getent shows them as root's peers).
        for uid in ["-0", "+0", " 0", "000"] {
            let fs = run(&with_passwd(&format!(
                "root:x:0:0:root:/root:/bin/bash\nmaint:x:{uid}:0::/root:/bin/bash\n"
            )));
            let f = get(&fs, "accounts.uid0_only_root");
            assert_eq!(f.status, Status::Fail, "{uid:?}");
            assert!(f.summary.contains("maint"), "{}", f.summary);
        }
        // `-1` and `0x0` make glibc ignore the line: not an account.
        for uid in ["-1", "0x0"] {
            let fs = run(&with_passwd(&format!(
                "root:x:0:0:root:/root:/bin/bash\nmaint:x:{uid}:0::/root:/bin/bash\n"
            )));
            assert_eq!(
                status(&fs, "accounts.uid0_only_root"),
                Status::Pass,
                "{uid:?}"
            );
        }
    }

    #[test]
    fn repeated_name_with_uid0_is_for_review() {
        let fs = run(&with_passwd(
            "root:x:0:0:root:/root:/bin/bash\nsvc:x:1000:1000::/home/svc:/bin/bash\nsvc:x:0:0::/root:/bin/bash\n",
        ));
        let f = get(&fs, "accounts.uid0_only_root");
        assert_eq!(f.status, Status::Warn, "{}", f.summary);
        assert!(
            f.details
                .iter()
                .any(|d| d.contains("/etc/passwd:3 repeats the name svc")),
            "{:?}",
            f.details
        );
        // The first line decides: UID 0 first is a second root.
        let fs = run(&with_passwd(
            "root:x:0:0:root:/root:/bin/bash\nsvc:x:0:0::/root:/bin/bash\nsvc:x:1000:1000::/home/svc:/bin/bash\n",
        ));
        assert_eq!(status(&fs, "accounts.uid0_only_root"), Status::Fail);
    }
}
