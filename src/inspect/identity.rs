//! Host identity: hostname, OS release, kernel, and an app-specific machine id.

use crate::host::Host;
use crate::inspect::gap::IdentityGap;
use crate::inspect::{Unseen, is_live};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostIdentity {
    pub hostname: String,
    /// `PRETTY_NAME` from os-release.
    pub os: String,
    pub os_id: String,
    #[serde(default)]
    pub os_id_like: Vec<String>,
    pub os_version_id: String,
    #[serde(default)]
    pub os_codename: String,
    /// Running kernel release (`uname -r`); empty for an offline tree.
    pub kernel: String,
    pub arch: String,
    /// HMAC-SHA256 keyed by /etc/machine-id over "stationward": identifies the machine across
    /// records without disclosing the machine-id itself (as systemd's app-specific ids do).
    pub machine_id_hmac: String,
    pub unknown: Unseen<IdentityGap>,
}

pub fn collect(host: &dyn Host) -> HostIdentity {
    let mut id = HostIdentity::default();
    let live = is_live(host);

    let hostname_file = if live {
        "/proc/sys/kernel/hostname"
    } else {
        "/etc/hostname"
    };
    match host.read(hostname_file) {
        Ok(f) => id.hostname = parse_hostname(&f.text),
        Err(e) => {
            id.unknown.insert(IdentityGap::Hostname, e.to_string());
        }
    }

    // os-release(5): /etc/os-release takes precedence over /usr/lib/os-release, which is
    // read only when the former does not exist (an unreadable one is not "absent").
    match host.read("/etc/os-release").or_else(|e| {
        if e.is_not_found() {
            host.read("/usr/lib/os-release")
        } else {
            Err(e)
        }
    }) {
        Ok(f) => {
            let rel = parse_os_release(&f.text);
            let get = |k: &str| rel.get(k).cloned().unwrap_or_default();
            id.os = rel
                .get("PRETTY_NAME")
                .cloned()
                .unwrap_or_else(|| get("NAME"));
            id.os_id = get("ID");
            id.os_id_like = get("ID_LIKE")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            id.os_version_id = get("VERSION_ID");
            id.os_codename = get("VERSION_CODENAME");
        }
        Err(e) => {
            id.unknown.insert(IdentityGap::Os, e.to_string());
        }
    }

    if live {
        match host.read("/proc/sys/kernel/osrelease") {
            Ok(f) => id.kernel = f.text.trim().to_string(),
            Err(e) => {
                id.unknown.insert(IdentityGap::Kernel, e.to_string());
            }
        }
        id.arch = std::env::consts::ARCH.to_string();
    } else {
        id.unknown.insert(
            IdentityGap::Kernel,
            "offline image: no running kernel".into(),
        );
    }

    match host.read("/etc/machine-id") {
        Ok(f) if !f.text.trim().is_empty() => id.machine_id_hmac = machine_id_hmac(f.text.trim()),
        Ok(_) => {
            id.unknown
                .insert(IdentityGap::MachineId, "/etc/machine-id is empty".into());
        }
        Err(e) => {
            id.unknown.insert(IdentityGap::MachineId, e.to_string());
        }
    }
    id
}

pub fn parse_hostname(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default()
        .to_string()
}

/// os-release(5): `KEY=value` lines, values optionally quoted with shell-style escapes.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.insert(key.to_string(), unquote(value.trim()));
    }
    out
}

fn unquote(v: &str) -> String {
    let quoted = v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    if !quoted {
        return v.to_string();
    }
    let inner = &v[1..v.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// HMAC-SHA256(key = machine-id, message = "stationward"), hex.
pub fn machine_id_hmac(machine_id: &str) -> String {
    hmac_sha256(machine_id.as_bytes(), b"stationward")
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(msg);
    crate::host::hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes_comments_and_junk() {
        let text = "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\nbroken line\n=x\nNAME=\"a \\\"q\\\" b\"\n";
        let m = parse_os_release(text);
        assert_eq!(
            m.get("PRETTY_NAME").map(String::as_str),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(m.get("VERSION_ID").map(String::as_str), Some("12"));
        assert_eq!(m.get("NAME").map(String::as_str), Some("a \"q\" b"));
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        assert_eq!(
            hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hostname_skips_comments() {
        assert_eq!(parse_hostname("# x\n\n icu-cs-01 \n"), "icu-cs-01");
    }
}
