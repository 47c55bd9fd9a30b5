//! SysV init: scripts in /etc/init.d and their start/kill links in /etc/rc?.d. Pure helpers.

use std::collections::BTreeMap;

/// Runlevels whose `S` links mean "started at boot" on Debian (2-5) and Red Hat (3, 5).
pub const BOOT_RUNLEVELS: [u8; 4] = [2, 3, 4, 5];

/// Whether an entry of /etc/init.d is a service script (not helpers, docs or backups).
pub fn is_service_script(name: &str) -> bool {
    const NOT_SERVICES: &[&str] = &[
        "README",
        "skeleton",
        "functions",
        "rc",
        "rcS",
        "rc.local",
        "halt",
        "reboot",
        "single",
        "killall",
        "sendsigs",
        "umountfs",
        "umountnfs.sh",
        "umountroot",
        ".legacy-bootordering",
    ];
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('~')
        && !name.contains(".dpkg-")
        && !name.ends_with(".rpmsave")
        && !name.ends_with(".rpmnew")
        && !NOT_SERVICES.contains(&name)
}

/// A link in /etc/rcN.d: `S01xinetd -> ../init.d/xinetd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcLink {
    pub start: bool,
    /// The init script it runs (the link target's file name, else the name after `S01`).
    pub script: String,
}

/// Reads an rc link from its name and (possibly empty) target; None for anything else.
pub fn parse_rc_link(name: &str, target: &str) -> Option<RcLink> {
    let mut chars = name.chars();
    let start = match chars.next()? {
        'S' => true,
        'K' => false,
        _ => return None,
    };
    let rest = chars.as_str();
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let from_name = &rest[digits..];
    let from_target = target.rsplit('/').next().unwrap_or("");
    let script = if from_target.is_empty() {
        from_name
    } else {
        from_target
    };
    if script.is_empty() {
        return None;
    }
    Some(RcLink {
        start,
        script: script.to_string(),
    })
}

/// The daemon an init script starts, from its `DAEMON=` assignment (simple `$VAR` and
/// `${VAR}` references to earlier assignments are expanded). Empty when not stated.
pub fn script_daemon(text: &str) -> String {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(['"', '\'']);
        let value = expand(value, &vars);
        if name == "DAEMON" && !value.is_empty() {
            return value;
        }
        vars.insert(name.to_string(), value);
    }
    String::new()
}

fn expand(value: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').unwrap_or(braced.len());
            (&braced[..end], end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        out.push_str(vars.get(name).map_or("", String::as_str));
        rest = after.get(consumed..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XINETD_SCRIPT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/station/tree/etc/init.d/xinetd"
    ));
    const TFTPD_SCRIPT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/services/station/tree/etc/init.d/tftpd-hpa"
    ));

    #[test]
    fn daemons_of_real_scripts() {
        assert_eq!(script_daemon(XINETD_SCRIPT), "/usr/sbin/xinetd");
        assert_eq!(script_daemon(TFTPD_SCRIPT), "/usr/sbin/in.tftpd");
        assert_eq!(script_daemon("#!/bin/sh\nexit 0\n"), "");
        assert_eq!(
            script_daemon("D=/opt\nDAEMON=${D}/bin/x$UNSET\n"),
            "/opt/bin/x"
        );
        assert_eq!(script_daemon("DAEMON=${BROKEN\n"), "");
    }

    #[test]
    fn rc_links() {
        assert_eq!(
            parse_rc_link("S01xinetd", "../init.d/xinetd"),
            Some(RcLink {
                start: true,
                script: "xinetd".into()
            })
        );
        assert_eq!(
            parse_rc_link("K01tftpd-hpa", "").map(|l| (l.start, l.script)),
            Some((false, "tftpd-hpa".into()))
        );
        assert_eq!(
            parse_rc_link("S20x", "/etc/init.d/real").map(|l| l.script),
            Some("real".into())
        );
        assert_eq!(parse_rc_link("README", ""), None);
        assert_eq!(parse_rc_link("Sxx", ""), None);
        assert_eq!(parse_rc_link("S01", ""), None);
        assert_eq!(parse_rc_link("", ""), None);
        assert_eq!(
            parse_rc_link("S0\u{FFFD}", "").map(|l| l.script),
            Some("\u{FFFD}".into())
        );
    }

    #[test]
    fn script_names() {
        assert!(is_service_script("xinetd"));
        assert!(is_service_script("hwclock.sh"));
        assert!(!is_service_script("README"));
        assert!(!is_service_script("xinetd.dpkg-old"));
        assert!(!is_service_script(".depend.boot"));
        let big: String = (0..10_000)
            .map(|i| format!("V{i}=/usr/sbin/$V0\n"))
            .collect();
        assert_eq!(script_daemon(&big), "");
    }
}
