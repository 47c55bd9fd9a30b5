//! login.defs(5): `KEY value` lines; `#` starts a comment line.

/// One setting: key, value (quotes removed), 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginDefsSetting {
    pub key: String,
    pub value: String,
    pub line: usize,
}

pub fn parse_login_defs(text: &str) -> Vec<LoginDefsSetting> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // As shadow-utils' getdef.c: name, whitespace, value up to a double quote; a key
        // without a value is ignored; trailing text (even `# ...`) stays part of the value.
        let Some((key, rest)) = line.split_once([' ', '\t']) else {
            continue;
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = rest.trim_start_matches([' ', '\t', '"']);
        let value = value.split('"').next().unwrap_or_default().trim_end();
        out.push(LoginDefsSetting {
            key: key.to_string(),
            value: value.to_string(),
            line: i + 1,
        });
    }
    out
}

/// A numeric setting as shadow-utils reads it (decimal, or `0x`/leading-`0` octal forms).
pub fn numeric(value: &str) -> Option<i64> {
    let v = value.trim();
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    if v.len() > 1 && v.starts_with('0') && v.chars().all(|c| c.is_ascii_digit()) {
        return i64::from_str_radix(&v[1..], 8).ok();
    }
    v.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/accounts/debian12/etc/login.defs"
    ));

    #[test]
    fn real_debian_login_defs() {
        let s = parse_login_defs(DEBIAN);
        let get = |k: &str| s.iter().find(|x| x.key == k).map(|x| x.value.clone());
        assert_eq!(get("PASS_MAX_DAYS").as_deref(), Some("99999"));
        assert_eq!(get("UID_MIN").as_deref(), Some("1000"));
        assert_eq!(get("UID_MAX").as_deref(), Some("60000"));
        assert_eq!(get("ENCRYPT_METHOD").as_deref(), Some("SHA512"));
        assert_eq!(
            get("ENV_SUPATH").as_deref(),
            Some("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        );
        // Commented-out examples are not settings.
        assert_eq!(get("SYS_UID_MAX"), None);
        assert_eq!(get("MD5_CRYPT_ENAB"), None);
    }

    #[test]
    fn hostile_login_defs() {
        let text = "PASS_MAX_DAYS\t90 # trailing\n  UID_MIN   500\nBARE\nbad-key 1\n# X 1\nMAIL_DIR \"/var/mail\"\n\u{FFFD} 3\nK=V\n";
        let s = parse_login_defs(text);
        let keys: Vec<(&str, &str)> = s
            .iter()
            .map(|x| (x.key.as_str(), x.value.as_str()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("PASS_MAX_DAYS", "90 # trailing"),
                ("UID_MIN", "500"),
                ("MAIL_DIR", "/var/mail")
            ]
        );
        assert!(parse_login_defs("").is_empty());
        let big: String = (0..10_000).map(|i| format!("KEY{i} {i}\n")).collect();
        assert_eq!(parse_login_defs(&big).len(), 10_000);
    }

    #[test]
    fn numbers() {
        assert_eq!(numeric("99999"), Some(99999));
        assert_eq!(numeric(" 1000 "), Some(1000));
        assert_eq!(numeric("022"), Some(18));
        assert_eq!(numeric("0x10"), Some(16));
        assert_eq!(numeric("0"), Some(0));
        assert_eq!(numeric("-1"), Some(-1));
        assert_eq!(numeric("90 # trailing"), None);
        assert_eq!(numeric(""), None);
    }
}
