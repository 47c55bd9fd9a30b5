//! `ssh.root_login`, `ssh.password_auth`.

use super::{daemon_state, evidence};
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::supporting::ssh::{SshFacts, SshSetting};
use crate::policy::Policy;

const ROOT: &str = "ssh.root_login";
const PASSWORD: &str = "ssh.password_auth";

pub fn evaluate(facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let s = &facts.supporting.ssh;
    let mut subjects: Vec<&str> = vec!["/etc/ssh/", "/usr/sbin/sshd", "/usr/bin/sshd"];
    subjects.extend(s.config_files.iter().map(String::as_str));
    let ev = evidence(facts, &subjects, true);
    let daemon = daemon_state(facts, &["openssh-server"], &["sshd"], &["ssh", "sshd"]);
    let installed = daemon.installed == Some(true) || s.sshd_binary;
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
        && let Some(why) = s.unknown.get("sshd_config")
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
    if let Some(p) = s.unknown.get("sshd_config_includes") {
        common.push(format!("not read: {p}"));
    }
    vec![
        root_login(s, &common).with_evidence(ev.clone()),
        password_auth(s, &common).with_evidence(ev),
    ]
}

fn setting<'a>(s: &'a SshFacts, key: &str, default: &'a str) -> (String, String) {
    match s.get(key) {
        Some(SshSetting { value, origin }) => (value.clone(), origin.clone()),
        None => (default.to_string(), "OpenSSH default".to_string()),
    }
}

fn root_login(s: &SshFacts, common: &[String]) -> Finding {
    let (value, origin) = setting(s, "permitrootlogin", "prohibit-password");
    let mut details = vec![format!("PermitRootLogin {value} ({origin})")];
    let reopening: Vec<String> = s
        .match_blocks
        .iter()
        .filter(|b| {
            b.settings
                .get("permitrootlogin")
                .is_some_and(|v| v.value == "yes")
        })
        .map(|b| {
            format!(
                "Match {} ({}) sets PermitRootLogin yes",
                b.criteria, b.origin
            )
        })
        .collect();
    details.extend(reopening.iter().cloned());
    details.extend(common.iter().cloned());
    let f = match value.as_str() {
        "yes" => Finding::new(
            ROOT,
            Status::Fail,
            format!("SSH accepts direct root logins (PermitRootLogin yes, {origin})"),
        ),
        _ if !reopening.is_empty() => Finding::new(
            ROOT,
            Status::Warn,
            format!(
                "A Match block re-enables root login over SSH: {}",
                reopening.join("; ")
            ),
        ),
        "no" => Finding::new(
            ROOT,
            Status::Pass,
            format!("SSH refuses root logins (PermitRootLogin no, {origin})"),
        ),
        "prohibit-password" | "without-password" => Finding::new(
            ROOT,
            Status::Pass,
            format!(
                "Root may log in over SSH with a key only, never a password (PermitRootLogin {value}, {origin})"
            ),
        ),
        "forced-commands-only" => Finding::new(
            ROOT,
            Status::Pass,
            format!(
                "Root may log in over SSH only with a key restricted to a forced command ({origin})"
            ),
        ),
        other => Finding::new(
            ROOT,
            Status::Warn,
            format!("Unrecognised PermitRootLogin value '{other}' ({origin})"),
        ),
    };
    if f.status == Status::Pass && value != "no" {
        details.push(
            "PermitRootLogin no with named administrator accounts gives a better audit trail"
                .into(),
        );
    }
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

fn password_auth(s: &SshFacts, common: &[String]) -> Finding {
    let (pa, pa_origin) = setting(s, "passwordauthentication", "yes");
    let (kbd, kbd_origin) = setting(s, "kbdinteractiveauthentication", "yes");
    let (pam, pam_origin) = setting(s, "usepam", "no");
    let (methods, methods_origin) = setting(s, "authenticationmethods", "any");
    let mut details = vec![
        format!("PasswordAuthentication {pa} ({pa_origin})"),
        format!("KbdInteractiveAuthentication {kbd} ({kbd_origin})"),
        format!("UsePAM {pam} ({pam_origin})"),
    ];
    if methods != "any" {
        details.push(format!(
            "AuthenticationMethods {methods} ({methods_origin})"
        ));
    }
    if s.get("permitemptypasswords")
        .is_some_and(|v| v.value == "yes")
    {
        details.push("PermitEmptyPasswords yes: accounts without a password could log in".into());
    }
    let kbd_passwords = |kbd: &str| kbd == "yes" && pam == "yes";
    let reopening: Vec<String> = s
        .match_blocks
        .iter()
        .filter(|b| {
            b.settings
                .get("passwordauthentication")
                .is_some_and(|v| v.value == "yes")
                || b.settings
                    .get("kbdinteractiveauthentication")
                    .is_some_and(|v| kbd_passwords(&v.value))
                || b.settings
                    .get("authenticationmethods")
                    .is_some_and(|v| methods_allow_password(&v.value) && v.value != "any")
        })
        .map(|b| format!("Match {} ({}) allows passwords", b.criteria, b.origin))
        .collect();
    details.extend(reopening.iter().cloned());
    details.extend(common.iter().cloned());
    let f = if !methods_allow_password(&methods) {
        Finding::new(
            PASSWORD,
            Status::Pass,
            format!(
                "SSH requires {methods} (AuthenticationMethods, {methods_origin}); passwords are not accepted"
            ),
        )
    } else if pa == "yes" {
        let how = if pa_origin == "OpenSSH default" {
            "not set, and OpenSSH's default is yes".to_string()
        } else {
            format!("yes at {pa_origin}")
        };
        Finding::new(
            PASSWORD,
            Status::Fail,
            format!("SSH accepts passwords (PasswordAuthentication {how})"),
        )
    } else if kbd_passwords(&kbd) {
        Finding::new(
            PASSWORD,
            Status::Fail,
            format!(
                "SSH accepts passwords through keyboard-interactive PAM (KbdInteractiveAuthentication yes, {kbd_origin})"
            ),
        )
    } else if !reopening.is_empty() {
        Finding::new(
            PASSWORD,
            Status::Warn,
            format!(
                "A Match block re-enables SSH passwords: {}",
                reopening.join("; ")
            ),
        )
    } else {
        Finding::new(
            PASSWORD,
            Status::Pass,
            "SSH accepts keys only: password and keyboard-interactive logins are off",
        )
    };
    f.with_details(details)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::ssh::{
        SshMatchBlock, effective, expand_includes, parse_sshd_t,
    };
    use std::collections::BTreeMap;

    fn with_config(mut facts: Facts, text: &str) -> Facts {
        let cfg = expand_includes("/etc/ssh/sshd_config", text, &mut |_| Vec::new());
        let (g, m) = effective(&cfg);
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
        let text = format!(
            "{text}Match Address 10.0.0.0/8 User vendor\n PasswordAuthentication yes\n PermitRootLogin yes\n"
        );
        let out = run(&with_config(live(&["openssh-server"], &[], &[]), &text));
        let root = only(&out, ROOT);
        assert_status(root, Status::Warn);
        assert!(
            root.summary
                .contains("Match Address 10.0.0.0/8 User vendor (/etc/ssh/sshd_config:5)"),
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
            "sshd_config".into(),
            "needs root to read /etc/ssh/sshd_config".into(),
        );
        let out = run(&f);
        assert_status(only(&out, ROOT), Status::Unknown);
        assert!(only(&out, PASSWORD).summary.contains("needs root"));
    }
}
