//! `ssh.root_login`, `ssh.password_auth`.

use super::{daemon_state, evidence};
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::SshGap;
use crate::inspect::supporting::ssh::{
    ANY_ADDR4, ANY_HOST, ANY_LADDR, ANY_LPORT, ANY_RDOMAIN, ANY_USER, Conn, ConnView, Resolved,
    SshFacts, SshInstance, connections, parse_blocks, resolve, user_admitted,
};
use crate::policy::Policy;
use std::collections::BTreeMap;

const ROOT: &str = "ssh.root_login";
const PASSWORD: &str = "ssh.password_auth";

pub fn evaluate(facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let mut owned = facts.supporting.ssh.clone();
    if owned.instances.is_empty() && !owned.unknown.contains_key(&SshGap::Config) {
        // Facts from an older collector (or built by hand): the summary fields are the main
        // daemon.
        owned.instances.push(SshInstance {
            name: "sshd".into(),
            config: "/etc/ssh/sshd_config".into(),
            config_files: owned.config_files.clone(),
            settings: owned.settings.clone(),
            match_blocks: owned.match_blocks.clone(),
            ..SshInstance::default()
        });
    }
    let s = &owned;
    let mut subjects: Vec<&str> = vec!["/etc/ssh/", "/usr/sbin/sshd", "/usr/bin/sshd"];
    subjects.extend(s.config_files.iter().map(String::as_str));
    for i in &s.instances {
        subjects.extend(i.config_files.iter().map(String::as_str));
        subjects.extend(
            i.command_line
                .iter()
                .map(|c| c.rsplit_once(':').map_or(c.as_str(), |(p, _)| p)),
        );
    }
    let ev = evidence(facts, &subjects, true);
    let daemon = daemon_state(facts, &["openssh-server"], &["sshd"], &["ssh", "sshd"]);
    let installed = daemon.installed == Some(true) || s.sshd_binary;
    if !installed
        && (daemon.installed == Some(false) || !s.config_present)
        && let Some(why) = s.unknown.get(&SshGap::Binary)
    {
        let why = format!("could not tell whether sshd is installed: {why}");
        return vec![
            Finding::unknown(ROOT, why.clone()).with_evidence(ev.clone()),
            Finding::unknown(PASSWORD, why).with_evidence(ev),
        ];
    }
    if !installed && (daemon.installed == Some(false) || !s.config_present) {
        let why = "OpenSSH server is not installed (no openssh-server package, no sshd program)";
        return vec![
            Finding::new(ROOT, Status::NotApplicable, why).with_evidence(ev.clone()),
            Finding::new(PASSWORD, Status::NotApplicable, why).with_evidence(ev),
        ];
    }
    if s.source != "sshd -T"
        && s.settings.is_empty()
        && s.match_blocks.is_empty()
        && let Some(why) = s.unknown.get(&SshGap::Config)
    {
        let reason = if s.config_present {
            format!("could not read the SSH server configuration: {why}")
        } else {
            format!("sshd is installed but its configuration is missing: {why}")
        };
        return vec![
            Finding::unknown(ROOT, reason.clone()).with_evidence(ev.clone()),
            Finding::unknown(PASSWORD, reason).with_evidence(ev),
        ];
    }
    let mut common = vec![format!(
        "read from: {}",
        if s.source == "sshd -T" {
            "sshd -T (effective configuration); Match blocks from the files".to_string()
        } else {
            s.config_files.join(", ")
        }
    )];
    common.push(format!("sshd: {}", daemon.describe_state()));
    if s.instances.len() > 1 {
        common.push(format!(
            "sshd instances: {}",
            s.instances
                .iter()
                .map(|i| format!("{} (-f {})", i.name, i.config))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // Includes, and sshd's unit files or EnvironmentFiles, not read: any could set the option.
    let unread_parts: Vec<&str> = [SshGap::ConfigIncludes, SshGap::Units]
        .iter()
        .filter_map(|k| s.unknown.get(k).map(String::as_str))
        .collect();
    let unread_text = unread_parts.join("; ");
    let unread = (!unread_parts.is_empty()).then_some(&unread_text);
    if let Some(p) = unread {
        common.push(format!("not read: {p}"));
    }
    // A pass cannot stand on files that were not read.
    let unseen = |f: Finding| -> Finding {
        match unread {
            Some(p) if f.status == Status::Pass => {
                let details = f.details.clone();
                Finding::unknown(
                    &f.check,
                    format!("part of the SSH server configuration was not read: {p}"),
                )
                .with_details(details)
            }
            _ => f,
        }
    };
    vec![
        unseen(root_login(s, &common)).with_evidence(ev.clone()),
        unseen(password_auth(s, &common)).with_evidence(ev),
    ]
}

/// What one connection gets, and from where.
struct Judged {
    instance: String,
    conn: Conn,
    /// `PermitRootLogin yes (origin)` / `PasswordAuthentication yes (origin)`.
    why: String,
    /// The Match block that decided it, as `Match criteria (origin)`.
    block: Option<String>,
}

/// Per connection verdicts over every instance: who gets the bad value.
#[derive(Default)]
struct Outcome {
    bad: Vec<Judged>,
    /// Why the configuration cannot be judged (sshd would refuse it, too many combinations).
    undecided: Vec<String>,
}

fn block_name(inst: &SshInstance, r: &Resolved) -> Option<String> {
    r.block
        .and_then(|i| inst.match_blocks.get(i))
        .map(|b| format!("Match {} ({})", b.criteria, b.origin))
}

fn judge(
    s: &SshFacts,
    wanted: impl Fn(&Conn) -> bool,
    mut bad: impl FnMut(&ConnView<'_>) -> Result<Option<(String, Option<String>)>, String>,
) -> Outcome {
    let mut out = Outcome::default();
    for inst in &s.instances {
        if let Some(why) = &inst.unreadable {
            out.undecided
                .push(format!("{} ({}): {why}", inst.name, inst.config));
            continue;
        }
        let Some(conns) = connections(inst, s.user_groups.as_ref()) else {
            out.undecided.push(format!(
                "{}: too many Match combinations to try one by one",
                inst.name
            ));
            continue;
        };
        let blocks = match parse_blocks(inst) {
            Ok(b) => b,
            Err(e) => {
                out.undecided.push(format!(
                    "{}: {e}; sshd refuses to start with such a configuration",
                    inst.name
                ));
                continue;
            }
        };
        for conn in conns.into_iter().filter(|c| wanted(c)) {
            match ConnView::with_blocks(inst, &blocks, &conn).and_then(|view| bad(&view)) {
                Ok(Some((why, block))) => out.bad.push(Judged {
                    instance: inst.name.clone(),
                    conn,
                    why,
                    block,
                }),
                Ok(None) => {}
                Err(e) => {
                    out.undecided.push(format!(
                        "{}: {e}; sshd refuses to start with such a configuration",
                        inst.name
                    ));
                    break;
                }
            }
        }
    }
    out
}

/// `Match ... allows ... for vendor from 10.20.0.0; ...`, one entry per deciding block.
fn who(bad: &[&Judged], several: bool) -> String {
    let mut by_block: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for j in bad {
        let key = format!(
            "{}{}",
            if several {
                format!("{}: ", j.instance)
            } else {
                String::new()
            },
            j.block.clone().unwrap_or_else(|| j.why.clone())
        );
        let list = by_block.entry(key).or_default();
        let d = j.conn.describe();
        if !list.contains(&d) {
            list.push(d);
        }
    }
    by_block
        .into_iter()
        .map(|(k, v)| {
            let shown: Vec<String> = v.iter().take(6).cloned().collect();
            let more = if v.len() > 6 {
                format!(" and {} more", v.len() - 6)
            } else {
                String::new()
            };
            format!("{k} for {}{more}", shown.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn anyone<'a>(s: &'a SshFacts, user: &str) -> Option<(&'a SshInstance, Conn)> {
    let inst = s.instances.first()?;
    Some((
        inst,
        Conn {
            user: user.to_string(),
            groups: s
                .user_groups
                .as_ref()
                .and_then(|m| m.get(user).cloned())
                .unwrap_or_default(),
            groups_known: s.user_groups.is_some(),
            host: ANY_HOST.into(),
            addr: ANY_ADDR4.into(),
            laddr: ANY_LADDR.into(),
            lport: ANY_LPORT.into(),
            rdomain: ANY_RDOMAIN.into(),
        },
    ))
}

fn root_login(s: &SshFacts, common: &[String]) -> Finding {
    let several = s.instances.len() > 1;
    let mut odd: Vec<String> = Vec::new();
    let out = judge(
        s,
        |c| c.user == "root",
        |view| {
            let inst = view.inst;
            let r = view.get("permitrootlogin");
            if !matches!(
                r.value.as_str(),
                "yes" | "no" | "prohibit-password" | "without-password" | "forced-commands-only"
            ) {
                let o = format!(
                    "Unrecognised PermitRootLogin value '{}' ({})",
                    r.value, r.origin
                );
                if !odd.contains(&o) {
                    odd.push(o);
                }
                return Ok(None);
            }
            if r.value != "yes" || !view.admitted()? {
                return Ok(None);
            }
            Ok(Some((
                format!("PermitRootLogin yes ({})", r.origin),
                block_name(inst, &r),
            )))
        },
    );
    let mut details = Vec::new();
    let base = anyone(s, "root").and_then(|(inst, c)| resolve(inst, "permitrootlogin", &c).ok());
    if let Some(r) = &base {
        details.push(format!("PermitRootLogin {} ({})", r.value, r.origin));
    }
    let everyone: Vec<&Judged> = out.bad.iter().filter(|j| j.conn.is_anyone()).collect();
    let some: Vec<&Judged> = out.bad.iter().filter(|j| !j.conn.is_anyone()).collect();
    details.extend(
        out.bad
            .iter()
            .map(|j| format!("{}: {} gets {}", j.instance, j.conn.describe(), j.why)),
    );
    details.extend(odd.iter().cloned());
    details.extend(common.iter().cloned());
    let f = if !everyone.is_empty() {
        let j = everyone[0];
        Finding::new(
            ROOT,
            Status::Fail,
            format!(
                "SSH accepts direct root logins ({}{})",
                if several {
                    format!("{}: ", j.instance)
                } else {
                    String::new()
                },
                j.why
            ),
        )
    } else if !out.undecided.is_empty() {
        Finding::unknown(
            ROOT,
            format!(
                "cannot judge the SSH server configuration: {}",
                out.undecided.join("; ")
            ),
        )
    } else if !some.is_empty() {
        Finding::new(
            ROOT,
            Status::Warn,
            format!(
                "A Match block re-enables root login over SSH: {}",
                who(&some, several)
            ),
        )
    } else if !odd.is_empty() {
        Finding::new(ROOT, Status::Warn, odd.join("; "))
    } else {
        let (value, origin) = base.map_or_else(
            || ("prohibit-password".into(), "OpenSSH default".into()),
            |r| (r.value, r.origin),
        );
        let admitted =
            anyone(s, "root").is_none_or(|(inst, c)| user_admitted(inst, &c).unwrap_or(true));
        let summary = if admitted {
            match value.as_str() {
                "no" => format!("SSH refuses root logins (PermitRootLogin no, {origin})"),
                "forced-commands-only" => format!(
                    "Root may log in over SSH only with a key restricted to a forced command ({origin})"
                ),
                _ => format!(
                    "Root may log in over SSH with a key only, never a password (PermitRootLogin {value}, {origin})"
                ),
            }
        } else {
            format!(
                "SSH refuses root logins (AllowUsers/DenyUsers exclude root; PermitRootLogin {value}, {origin})"
            )
        };
        if value != "no" && admitted {
            details.push(
                "PermitRootLogin no with named administrator accounts gives a better audit trail"
                    .into(),
            );
        }
        Finding::new(ROOT, Status::Pass, summary)
    };
    f.with_details(details)
}

/// Whether an `AuthenticationMethods` value leaves any way to use a password.
fn methods_allow_password(methods: &str) -> bool {
    methods == "any"
        || methods.split_whitespace().any(|list| {
            list.split(',')
                .any(|m| m == "password" || m.starts_with("keyboard-interactive"))
        })
}

/// Whether `conn` can log in with a password, and the setting that lets it.
fn password_for(view: &ConnView<'_>) -> Result<Option<(String, Option<String>)>, String> {
    let inst = view.inst;
    let pa = view.get("passwordauthentication");
    let kbd = view.get("kbdinteractiveauthentication");
    let pam = view.get("usepam");
    let methods = view.get("authenticationmethods");
    let password_on = pa.value == "yes";
    // Keyboard-interactive asks for the password only through PAM on Linux.
    let kbd_on = kbd.value == "yes" && pam.value == "yes";
    let usable = if methods.value == "any" {
        password_on || kbd_on
    } else {
        methods.value.split_whitespace().any(|list| {
            list.split(',').any(|m| {
                (m == "password" && password_on)
                    || (m.starts_with("keyboard-interactive") && kbd_on)
            })
        })
    };
    if !usable || !view.admitted()? {
        return Ok(None);
    }
    // Name the setting that opened it, preferring one a Match block decided.
    let mut why = Vec::new();
    let mut block = None;
    let mut consider = |r: &Resolved, text: String| {
        why.push(text);
        if block.is_none() {
            block = block_name(inst, r);
        }
    };
    if methods.value != "any" {
        consider(
            &methods,
            format!(
                "AuthenticationMethods {} ({})",
                methods.value, methods.origin
            ),
        );
    }
    if password_on {
        let how = if pa.origin == "OpenSSH default" {
            "PasswordAuthentication not set, and OpenSSH's default is yes".to_string()
        } else {
            format!("PasswordAuthentication yes at {}", pa.origin)
        };
        consider(&pa, how);
    } else {
        consider(
            &kbd,
            format!(
                "keyboard-interactive PAM (KbdInteractiveAuthentication yes, {}; UsePAM yes, {})",
                kbd.origin, pam.origin
            ),
        );
        if block.is_none() {
            block = block_name(inst, &pam);
        }
    }
    Ok(Some((why.join("; "), block)))
}

fn password_auth(s: &SshFacts, common: &[String]) -> Finding {
    let several = s.instances.len() > 1;
    // root's logins are ssh.root_login's question.
    let out = judge(s, |c| c.user != "root", password_for);
    let mut details = Vec::new();
    if let Some((inst, c)) = anyone(s, ANY_USER) {
        for k in [
            "passwordauthentication",
            "kbdinteractiveauthentication",
            "usepam",
            "authenticationmethods",
        ] {
            if let Ok(r) = resolve(inst, k, &c) {
                let name = match k {
                    "passwordauthentication" => "PasswordAuthentication",
                    "kbdinteractiveauthentication" => "KbdInteractiveAuthentication",
                    "usepam" => "UsePAM",
                    _ => "AuthenticationMethods",
                };
                if k != "authenticationmethods" || r.value != "any" {
                    details.push(format!("{name} {} ({})", r.value, r.origin));
                }
            }
        }
        if resolve(inst, "permitemptypasswords", &c).is_ok_and(|r| r.value == "yes") {
            details
                .push("PermitEmptyPasswords yes: accounts without a password could log in".into());
        }
    }
    let everyone: Vec<&Judged> = out.bad.iter().filter(|j| j.conn.is_anyone()).collect();
    let some: Vec<&Judged> = out.bad.iter().filter(|j| !j.conn.is_anyone()).collect();
    details.extend(some.iter().map(|j| {
        format!(
            "{}: {} may use a password: {}",
            j.instance,
            j.conn.describe(),
            j.why
        )
    }));
    details.extend(common.iter().cloned());
    let f = if !everyone.is_empty() {
        let j = everyone[0];
        let prefix = if several {
            format!("{}: ", j.instance)
        } else {
            String::new()
        };
        let summary = match &j.block {
            Some(b) => format!("SSH accepts passwords from anyone ({prefix}{b}: {})", j.why),
            None => format!("SSH accepts passwords ({prefix}{})", j.why),
        };
        Finding::new(PASSWORD, Status::Fail, summary)
    } else if !out.undecided.is_empty() {
        Finding::unknown(
            PASSWORD,
            format!(
                "cannot judge the SSH server configuration: {}",
                out.undecided.join("; ")
            ),
        )
    } else if !some.is_empty() {
        Finding::new(
            PASSWORD,
            Status::Warn,
            format!(
                "A Match block re-enables SSH passwords: {}",
                who(&some, several)
            ),
        )
    } else {
        let methods = anyone(s, ANY_USER)
            .and_then(|(inst, c)| resolve(inst, "authenticationmethods", &c).ok())
            .filter(|r| r.value != "any" && !methods_allow_password(&r.value));
        match methods {
            Some(r) => Finding::new(
                PASSWORD,
                Status::Pass,
                format!(
                    "SSH requires {} (AuthenticationMethods, {}); passwords are not accepted",
                    r.value, r.origin
                ),
            ),
            None => Finding::new(
                PASSWORD,
                Status::Pass,
                "SSH accepts keys only: password and keyboard-interactive logins are off",
            ),
        }
    };
    f.with_details(details)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::ssh::{
        SshMatchBlock, effective_all, expand_includes, parse_sshd_t,
    };
    use std::collections::BTreeMap;

    fn with_config(mut facts: Facts, text: &str) -> Facts {
        let cfg = expand_includes("/etc/ssh/sshd_config", text, &mut |_| Vec::new());
        let (g, m) = effective_all(&cfg);
        facts.supporting.ssh = SshFacts {
            sshd_binary: true,
            config_present: true,
            config_files: cfg.files,
            source: "files".into(),
            settings: g,
            match_blocks: m,
            ..SshFacts::default()
        };
        facts
    }

    fn run(facts: &Facts) -> Vec<Finding> {
        evaluate(
            facts,
            &crate::policy::Policy::builtin().unwrap_or_else(|e| panic!("{e}")),
            &ctx(true),
        )
    }

    const DEBIAN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/supporting/ssh/debian12_sshd_config"
    ));

    #[test]
    fn debian_default_key_only_root_but_passwords_on() {
        let f = with_config(live(&["openssh-server"], &["sshd"], &["ssh"]), DEBIAN);
        let out = run(&f);
        assert_status(only(&out, ROOT), Status::Pass);
        let pw = only(&out, PASSWORD);
        assert_status(pw, Status::Fail);
        assert!(
            pw.summary.contains("OpenSSH's default is yes"),
            "{}",
            pw.summary
        );
    }

    #[test]
    fn hardened_passes_and_match_block_warns() {
        let text = "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM yes\n";
        let out = run(&with_config(live(&["openssh-server"], &[], &[]), text));
        assert_status(only(&out, ROOT), Status::Pass);
        assert_status(only(&out, PASSWORD), Status::Pass);
        // A Match for the vendor account does not concern root: sshd judges per connection.
        let vendor = format!(
            "{text}Match Address 10.0.0.0/8 User vendor\n PasswordAuthentication yes\n PermitRootLogin yes\n"
        );
        let out = run(&with_config(live(&["openssh-server"], &[], &[]), &vendor));
        assert_status(only(&out, ROOT), Status::Pass);
        let pw = only(&out, PASSWORD);
        assert_status(pw, Status::Warn);
        assert!(
            pw.summary.contains(
                "Match Address 10.0.0.0/8 User vendor (/etc/ssh/sshd_config:5) for vendor from 10.0.0.0"
            ),
            "{}",
            pw.summary
        );
        let text = format!(
            "{text}Match Address 10.0.0.0/8 User vendor,root\n PasswordAuthentication yes\n PermitRootLogin yes\n"
        );
        let out = run(&with_config(live(&["openssh-server"], &[], &[]), &text));
        let root = only(&out, ROOT);
        assert_status(root, Status::Warn);
        assert!(
            root.summary
                .contains("Match Address 10.0.0.0/8 User vendor,root (/etc/ssh/sshd_config:5) for root from 10.0.0.0"),
            "{}",
            root.summary
        );
        assert_status(only(&out, PASSWORD), Status::Warn);
    }

    #[test]
    fn root_yes_fails_and_kbd_pam_fails() {
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "PermitRootLogin yes\nPasswordAuthentication no\nUsePAM yes\n",
        ));
        assert_status(only(&out, ROOT), Status::Fail);
        // KbdInteractiveAuthentication defaults to yes: with PAM that asks for the password.
        assert_status(only(&out, PASSWORD), Status::Fail);
    }

    #[test]
    fn authentication_methods_publickey_only_passes() {
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "AuthenticationMethods publickey\n",
        ));
        assert_status(only(&out, PASSWORD), Status::Pass);
        assert!(methods_allow_password("publickey,password"));
        assert!(!methods_allow_password(
            "publickey publickey,gssapi-with-mic"
        ));
    }

    #[test]
    fn sshd_t_effective_config_is_used() {
        let mut f = with_config(live(&["openssh-server"], &[], &[]), "");
        f.supporting.ssh.settings = parse_sshd_t(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/supporting/ssh/sshd_T_debian12.stdout"
        )));
        f.supporting.ssh.source = "sshd -T".into();
        f.supporting.ssh.match_blocks.push(SshMatchBlock {
            criteria: "User x".into(),
            origin: "/etc/ssh/sshd_config:9".into(),
            settings: BTreeMap::new(),
        });
        let out = run(&f);
        assert_status(only(&out, ROOT), Status::Pass);
        assert!(only(&out, ROOT).summary.contains("without-password"));
        assert_status(only(&out, PASSWORD), Status::Fail);
    }

    #[test]
    fn not_installed_is_not_applicable_and_unreadable_is_unknown() {
        let out = run(&live(&[], &[], &[]));
        assert_status(only(&out, ROOT), Status::NotApplicable);
        assert_status(only(&out, PASSWORD), Status::NotApplicable);
        let mut f = live(&["openssh-server"], &[], &[]);
        f.supporting.ssh.sshd_binary = true;
        f.supporting.ssh.config_present = true;
        f.supporting.ssh.unknown.insert(
            SshGap::Config,
            "needs root to read /etc/ssh/sshd_config".into(),
        );
        let out = run(&f);
        assert_status(only(&out, ROOT), Status::Unknown);
        assert!(only(&out, PASSWORD).summary.contains("needs root"));
    }

    #[test]
    fn match_all_and_tightening_blocks() {
        let pam = "PasswordAuthentication no\nKbdInteractiveAuthentication no\n";
        // `Match all` opens passwords for everyone: a fail, naming the block.
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            &format!("{pam}Match all\n PasswordAuthentication yes\n PermitRootLogin yes\n"),
        ));
        assert_status(only(&out, ROOT), Status::Fail);
        let pw = only(&out, PASSWORD);
        assert_status(pw, Status::Fail);
        assert!(
            pw.summary.contains("Match all (/etc/ssh/sshd_config:3)"),
            "{}",
            pw.summary
        );
        // A Match that only tightens is not a warning.
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            &format!(
                "{pam}PermitRootLogin no\nMatch Address 10.0.0.0/8\n PasswordAuthentication no\n PermitRootLogin no\n"
            ),
        ));
        assert_status(only(&out, ROOT), Status::Pass);
        assert_status(only(&out, PASSWORD), Status::Pass);
        // An earlier block wins over a later one for the same connection.
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            &format!(
                "{pam}Match User *\n PasswordAuthentication no\nMatch User vendor\n PasswordAuthentication yes\n"
            ),
        ));
        assert_status(only(&out, PASSWORD), Status::Pass);
        // A Match that opens passwords for everyone but a few is still a fail.
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            &format!("{pam}Match User *,!admin\n PasswordAuthentication yes\n"),
        ));
        assert_status(only(&out, PASSWORD), Status::Fail);
    }

    #[test]
    fn authentication_methods_alternatives() {
        // The global list has no password, but a Match block re-allows it for one address.
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "AuthenticationMethods publickey\nMatch Address 10.1.0.0/16\n AuthenticationMethods publickey password\n",
        ));
        assert_status(only(&out, PASSWORD), Status::Warn);
        // A password alternative with password authentication off is no password.
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nAuthenticationMethods publickey password\n",
        ));
        assert_status(only(&out, PASSWORD), Status::Pass);
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "PasswordAuthentication yes\nAuthenticationMethods publickey,password\n",
        ));
        assert_status(only(&out, PASSWORD), Status::Fail);
    }

    #[test]
    fn allow_users_can_exclude_root() {
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "PermitRootLogin yes\nAllowUsers alice bob\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n",
        ));
        let root = only(&out, ROOT);
        assert_status(root, Status::Pass);
        assert!(root.summary.contains("exclude root"), "{}", root.summary);
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "PermitRootLogin yes\nDenyUsers root@192.0.2.*\n",
        ));
        // Denied from one range only: root still gets in from elsewhere (IPv6 here).
        assert_status(only(&out, ROOT), Status::Fail);
    }

    #[test]
    fn unjudgeable_match_is_unknown() {
        let out = run(&with_config(
            live(&["openssh-server"], &[], &[]),
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nMatch Address 10.0.0.1/8\n PasswordAuthentication yes\n",
        ));
        assert_status(only(&out, PASSWORD), Status::Unknown);
        assert!(only(&out, PASSWORD).summary.contains("host bits"));
    }

    #[test]
    fn hostile_match_blocks_are_bounded() {
        let mut text = String::from("PasswordAuthentication no\nKbdInteractiveAuthentication no\n");
        for i in 0..1000 {
            text.push_str(&format!(
                "Match User u{i} Address 10.{}.0.0/16\n PasswordAuthentication no\n",
                i % 250
            ));
        }
        let started = std::time::Instant::now();
        let out = run(&with_config(live(&["openssh-server"], &[], &[]), &text));
        assert_status(only(&out, PASSWORD), Status::Unknown);
        assert!(
            only(&out, PASSWORD)
                .summary
                .contains("too many Match combinations")
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // A handful of blocks is judged one connection at a time.
        let mut text = String::from("PasswordAuthentication no\nKbdInteractiveAuthentication no\n");
        for i in 0..20 {
            text.push_str(&format!(
                "Match User u{i} Address 10.{i}.0.0/16\n PasswordAuthentication no\n"
            ));
        }
        text.push_str("Match User u7 Address 10.7.0.0/16\n PasswordAuthentication yes\n");
        let out = run(&with_config(live(&["openssh-server"], &[], &[]), &text));
        // The earlier block for u7 from 10.7/16 wins: passwords stay off.
        assert_status(only(&out, PASSWORD), Status::Pass);
    }

    #[test]
    fn allow_groups_with_and_without_the_group_database() {
        let text =
            "PermitRootLogin yes\nAllowGroups staff\nUsePAM yes\nKbdInteractiveAuthentication no\n";
        let mut f = with_config(live(&["openssh-server"], &[], &[]), text);
        // Group database unseen: AllowGroups is not trusted to keep root out.
        let out = run(&f);
        assert_status(only(&out, ROOT), Status::Fail);
        let mut groups = BTreeMap::new();
        groups.insert("root".to_string(), vec!["root".to_string()]);
        groups.insert(
            "alice".to_string(),
            vec!["alice".to_string(), "staff".to_string()],
        );
        f.supporting.ssh.user_groups = Some(groups);
        let out = run(&f);
        // root is not in staff: sshd refuses it whatever PermitRootLogin says.
        assert_status(only(&out, ROOT), Status::Pass);
        // alice, a member, may use a password; users outside staff may not log in at all.
        let pw = only(&out, PASSWORD);
        assert_status(pw, Status::Warn);
        assert!(pw.summary.contains("for alice"), "{}", pw.summary);
    }
}
