//! The OpenSSH `allowed_signers` file (ssh-keygen(1), "ALLOWED SIGNERS"):
//! `principals [options] keytype base64 [comment]`, one signer per line.
//!
//! Principals and `namespaces=` are comma-separated pattern lists (`*`, `?`, and a leading `!`
//! to negate), as ssh-keygen matches them. `cert-authority` lines are recognised and never
//! match a plain key (stationward does not use certificates); `valid-after` / `valid-before`
//! (`YYYYMMDD[HHMM[SS]][Z]`) bound the time a key may sign at: the trust function
//! ([`super::trust`]) checks them at a record's `signedAt`, and at the current time for a new
//! signature. ssh-keygen reads a time without `Z` as local time; stationward reads every time
//! as UTC (stations and auditors in different zones must agree on one reading), so write `Z`.
//! Options follow ssh-keygen's grammar: values quoted, each clause once, no trailing comma; a
//! line ssh-keygen refuses is refused here, naming file, line and column.

use crate::diagnostic::SourceError;
use ssh_key::PublicKey;
use ssh_key::public::KeyData;
use std::path::{Path, PathBuf};

/// One line of `allowed_signers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line number.
    pub line: usize,
    pub principals: Vec<String>,
    /// The `namespaces=` patterns; `None` allows every namespace.
    pub namespaces: Option<Vec<String>>,
    pub cert_authority: bool,
    /// `valid-after`: Unix seconds; the key may not sign before.
    pub valid_after: Option<i64>,
    /// `valid-before`: Unix seconds; the key may not sign after.
    pub valid_before: Option<i64>,
    pub key: PublicKey,
}

impl AllowedSigner {
    pub fn matches_principal(&self, principal: &str) -> bool {
        match_pattern_list(principal, &self.principals)
    }

    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|list| match_pattern_list(namespace, list))
    }

    /// Whether `at` (Unix seconds) lies inside the line's validity window; both ends are
    /// inclusive, as in ssh-keygen.
    pub fn valid_at(&self, at: i64) -> bool {
        self.valid_after.is_none_or(|a| at >= a) && self.valid_before.is_none_or(|b| at <= b)
    }
}

/// Why `allowed_signers` does not authorize a key for a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No line holds this key.
    KeyNotListed,
    /// The key is listed, but only for these principals.
    PrincipalMismatch { listed: Vec<String> },
    /// The key is listed for the principal, but its `namespaces=` excludes the namespace.
    NamespaceNotAllowed,
    /// The key is listed for the principal and namespace, but not for this time.
    OutsideValidity { at: i64 },
}

impl Refusal {
    /// A sentence naming the principal and the file.
    pub fn describe(&self, principal: &str, file: &Path) -> String {
        match self {
            Refusal::KeyNotListed => format!("signing key is not in {}", file.display()),
            Refusal::PrincipalMismatch { listed } => format!(
                "signing key is listed in {} for {} but the record names operator \"{principal}\"",
                file.display(),
                listed.join(",")
            ),
            Refusal::NamespaceNotAllowed => format!(
                "{} does not allow namespace {} for \"{principal}\"",
                file.display(),
                super::NAMESPACE
            ),
            Refusal::OutsideValidity { at } => format!(
                "{} lists the key for \"{principal}\" only outside its valid-after/valid-before window, which excludes {}",
                file.display(),
                crate::date::rfc3339_utc(*at)
            ),
        }
    }
}

/// Largest `allowed_signers` accepted (thousands of lines).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigners {
    pub path: PathBuf,
    pub signers: Vec<AllowedSigner>,
}

impl AllowedSigners {
    /// Reads and parses `path`: a regular file (a final symlink is followed: the auditor's
    /// own file may be one) of at most [`MAX_FILE_BYTES`], never blocking.
    pub fn load(path: &Path) -> Result<AllowedSigners, SourceError> {
        let bytes = crate::fsread::read_small(path, MAX_FILE_BYTES, crate::fsread::Follow::Yes)
            .map_err(|e| SourceError::new(path, None, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| SourceError::new(path, None, "not UTF-8 text".to_string()))?;
        AllowedSigners::parse(path, &text)
    }

    /// Parses the text of an `allowed_signers` file; `path` is only used in errors.
    pub fn parse(path: &Path, text: &str) -> Result<AllowedSigners, SourceError> {
        let mut signers = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let col = raw.len() - trimmed.len() + 1;
            let err = |col: usize, msg: String| SourceError::new(path, Some((line_no, col)), msg);
            let fields = split_fields(trimmed).map_err(|m| err(col, m))?;
            let mut it = fields.into_iter();
            let Some((_, principals)) = it.next() else {
                continue;
            };
            let Some((opt_at, second)) = it.next() else {
                return Err(err(col, "missing key type and key".to_string()));
            };
            let (options, (key_at, keytype)) = if is_key_type(&second) {
                (None, (opt_at, second))
            } else {
                let Some(next) = it.next() else {
                    return Err(err(
                        col + opt_at,
                        "missing key type after options".to_string(),
                    ));
                };
                (Some((opt_at, second)), next)
            };
            let Some((b64_at, base64)) = it.next() else {
                return Err(err(
                    col + key_at,
                    format!("missing key data after {keytype}"),
                ));
            };
            let key = PublicKey::from_openssh(&format!("{keytype} {base64}"))
                .map_err(|e| err(col + key_at, format!("invalid {keytype} key: {e}")))?;
            let _ = b64_at;
            let mut namespaces = None;
            let mut cert_authority = false;
            let (mut valid_after, mut valid_before) = (None, None);
            if let Some((at, opts)) = options {
                // As ssh-keygen's sshsigopt_parse: option names are case-insensitive, each
                // clause at most once, and a value must be a quoted string.
                let mut seen: Vec<String> = Vec::new();
                // ssh-keygen skips empty options but refuses a trailing comma.
                if opts.ends_with(',') {
                    return Err(err(
                        col + at,
                        "unexpected end of options (a trailing comma)".to_string(),
                    ));
                }
                for opt in split_options(&opts).into_iter().filter(|o| !o.is_empty()) {
                    let (name, value) = match opt.split_once('=') {
                        Some((n, v)) => (n.to_ascii_lowercase(), Some(v)),
                        None => (opt.to_ascii_lowercase(), None),
                    };
                    if name != "cert-authority" {
                        if seen.contains(&name) {
                            return Err(err(col + at, format!("multiple \"{name}\" clauses")));
                        }
                        seen.push(name.clone());
                    }
                    let value = match value {
                        Some(v) => {
                            Some(dequote(v).map_err(|m| err(col + at, format!("{name}: {m}")))?)
                        }
                        None => None,
                    };
                    match (name.as_str(), value) {
                        ("cert-authority", None) => cert_authority = true,
                        ("namespaces", Some(v)) => {
                            namespaces = Some(split_list(&v));
                        }
                        ("valid-after", Some(v)) => {
                            valid_after =
                                Some(parse_time(&v).ok_or_else(|| err(col + at, bad_time(&v)))?);
                        }
                        ("valid-before", Some(v)) => {
                            valid_before =
                                Some(parse_time(&v).ok_or_else(|| err(col + at, bad_time(&v)))?);
                        }
                        _ => {
                            return Err(err(col + at, format!("unknown option \"{opt}\"")));
                        }
                    }
                }
            }
            let principals = split_list(&unquote(&principals));
            if principals.is_empty() {
                return Err(err(col, "no principals".to_string()));
            }
            signers.push(AllowedSigner {
                line: line_no,
                principals,
                namespaces,
                cert_authority,
                valid_after,
                valid_before,
                key,
            });
        }
        Ok(AllowedSigners {
            path: path.to_path_buf(),
            signers,
        })
    }

    /// Lines whose key is `key` (certificate authorities excluded).
    pub fn for_key<'a>(&'a self, key: &'a KeyData) -> impl Iterator<Item = &'a AllowedSigner> {
        self.signers
            .iter()
            .filter(move |s| !s.cert_authority && s.key.key_data() == key)
    }

    /// True when some line lists exactly this key for this principal (used to avoid
    /// duplicates).
    pub fn lists(&self, key: &KeyData, principal: &str) -> bool {
        self.for_key(key).any(|s| s.matches_principal(principal))
    }

    /// Whether `key` may sign as `principal` in the stationward namespace, ignoring validity
    /// windows (see [`AllowedSigners::authorize_at`]).
    pub fn authorize(&self, key: &KeyData, principal: &str) -> Result<(), Refusal> {
        self.authorize_inner(key, principal, None)
    }

    /// Whether `key` may sign as `principal` in the stationward namespace at `at` (Unix
    /// seconds): one line must list the key for the principal, allow the namespace and hold
    /// `at` inside its validity window.
    pub fn authorize_at(&self, key: &KeyData, principal: &str, at: i64) -> Result<(), Refusal> {
        self.authorize_inner(key, principal, Some(at))
    }

    fn authorize_inner(
        &self,
        key: &KeyData,
        principal: &str,
        at: Option<i64>,
    ) -> Result<(), Refusal> {
        let lines: Vec<&AllowedSigner> = self.for_key(key).collect();
        if lines.is_empty() {
            return Err(Refusal::KeyNotListed);
        }
        let for_principal: Vec<&&AllowedSigner> = lines
            .iter()
            .filter(|s| s.matches_principal(principal))
            .collect();
        if for_principal.is_empty() {
            let mut listed: Vec<String> = lines.iter().flat_map(|s| s.principals.clone()).collect();
            listed.dedup();
            return Err(Refusal::PrincipalMismatch { listed });
        }
        let in_namespace: Vec<&&&AllowedSigner> = for_principal
            .iter()
            .filter(|s| s.allows_namespace(super::NAMESPACE))
            .collect();
        if in_namespace.is_empty() {
            return Err(Refusal::NamespaceNotAllowed);
        }
        match at {
            Some(t) if !in_namespace.iter().any(|s| s.valid_at(t)) => {
                Err(Refusal::OutsideValidity { at: t })
            }
            _ => Ok(()),
        }
    }

    /// Distinct keys listed (not certificate authorities) with the stationward namespace
    /// allowed for at least one principal.
    pub fn keys(&self) -> Vec<&PublicKey> {
        let mut out: Vec<&PublicKey> = Vec::new();
        for s in &self.signers {
            if !s.cert_authority
                && s.allows_namespace(super::NAMESPACE)
                && !out.iter().any(|k| k.key_data() == s.key.key_data())
            {
                out.push(&s.key);
            }
        }
        out
    }
}

fn bad_time(v: &str) -> String {
    format!("invalid time \"{v}\" (expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, then Z)")
}

/// `YYYYMMDD[HHMM[SS]][Z]` as Unix seconds, read as UTC.
pub fn parse_time(v: &str) -> Option<i64> {
    let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<u32>().ok());
    let date = crate::date::Date::new(
        i32::try_from(num(0..4)?).ok()?,
        u8::try_from(num(4..6)?).ok()?,
        u8::try_from(num(6..8)?).ok()?,
    )?;
    let (h, m, s) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        _ => (num(8..10)?, num(10..12)?, num(12..14)?),
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let midnight = date.unix_days() * 86_400;
    Some(midnight + i64::from(h * 3600 + m * 60 + s))
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-") || s.starts_with("ecdsa-sha2-") || s.starts_with("sk-")
}

/// Splits on unquoted whitespace, keeping quotes; returns each field with its byte offset.
fn split_fields(line: &str) -> Result<Vec<(usize, String)>, String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            if let Some(s) = start.take() {
                fields.push((s, std::mem::take(&mut current)));
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        current.push(c);
    }
    if quoted {
        return Err("unterminated quote".to_string());
    }
    if let Some(s) = start {
        fields.push((s, current));
    }
    Ok(fields)
}

/// Splits options on commas outside quotes.
fn split_options(opts: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in opts.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out
}

/// An option's value as ssh's `opt_dequote` reads it: `"..."`, with nothing after the
/// closing quote (no escapes: a quote ends the value).
fn dequote(v: &str) -> Result<String, String> {
    let inner = v.strip_prefix('"').ok_or("missing start quote")?;
    let (value, rest) = inner.split_once('"').ok_or("missing end quote")?;
    if !rest.is_empty() {
        return Err(format!("unexpected text after the closing quote: {rest}"));
    }
    Ok(value.to_string())
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// ssh's `match_pattern_list`: a negated match wins, otherwise any positive match.
pub fn match_pattern_list(value: &str, patterns: &[String]) -> bool {
    let mut matched = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(value.as_bytes(), neg.as_bytes()) {
                return false;
            }
        } else if glob(value.as_bytes(), p.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// `*` and `?` wildcards, as OpenSSH's `match_pattern` (see [`crate::glob`]).
fn glob(value: &[u8], pattern: &[u8]) -> bool {
    crate::glob::wildcard_bytes(pattern, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    fn parse(text: &str) -> Result<AllowedSigners, SourceError> {
        AllowedSigners::parse(Path::new("allowed_signers"), text)
    }

    #[test]
    fn parses_principals_and_namespaces() {
        let text = format!(
            "# comment\n\nalice,bob namespaces=\"stationward-attestation-v1,git\" {KEY} alice@station\n  carol {KEY}\n"
        );
        let s = parse(&text).unwrap();
        assert_eq!(s.signers.len(), 2);
        assert_eq!(s.signers[0].principals, ["alice", "bob"]);
        assert_eq!(s.signers[0].line, 3);
        assert_eq!(
            s.signers[0].namespaces.as_deref().unwrap(),
            ["stationward-attestation-v1", "git"]
        );
        assert!(s.signers[1].namespaces.is_none());
        let key = s.signers[0].key.key_data().clone();
        assert!(s.authorize(&key, "bob").is_ok());
        assert!(s.authorize(&key, "carol").is_ok());
        assert_eq!(
            s.authorize(&key, "dave"),
            Err(Refusal::PrincipalMismatch {
                listed: vec!["alice".into(), "bob".into(), "carol".into()]
            })
        );
    }

    #[test]
    fn namespace_restriction() {
        let s = parse(&format!("alice namespaces=\"git\" {KEY}\n")).unwrap();
        let key = s.signers[0].key.key_data().clone();
        assert_eq!(
            s.authorize(&key, "alice"),
            Err(Refusal::NamespaceNotAllowed)
        );
        assert!(s.keys().is_empty());
    }

    #[test]
    fn cert_authority_never_matches_plain_key() {
        let s = parse(&format!("*@example.com cert-authority {KEY}\n")).unwrap();
        let key = s.signers[0].key.key_data().clone();
        assert_eq!(
            s.authorize(&key, "a@example.com"),
            Err(Refusal::KeyNotListed)
        );
    }

    #[test]
    fn patterns() {
        let pats: Vec<String> = vec!["*.tech".into(), "!bad.tech".into()];
        assert!(match_pattern_list("a.tech", &pats));
        assert!(!match_pattern_list("bad.tech", &pats));
        assert!(!match_pattern_list("a.other", &pats));
        assert!(glob(b"abc", b"a?c"));
        assert!(glob(b"abc", b"*"));
        assert!(!glob(b"abc", b"ab"));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("alice\n").unwrap_err();
        assert_eq!(e.position, Some((1, 1)));
        let e = parse(&format!("ok {KEY}\nbob ssh-ed25519 AAAA!!\n")).unwrap_err();
        assert_eq!(e.position, Some((2, 5)));
        assert!(e.message.contains("invalid ssh-ed25519 key"), "{e}");
        let e = parse(&format!("bob frobnicate {KEY}\n")).unwrap_err();
        assert!(
            e.to_string().contains("unknown option \"frobnicate\""),
            "{e}"
        );
        let e = parse("bob namespaces=\"x ssh-ed25519 AAAA\n").unwrap_err();
        assert!(e.to_string().contains("unterminated quote"), "{e}");
    }

    #[test]
    fn options_are_refused_as_ssh_keygen_refuses_them() {
        let ns = "stationward-attestation-v1";
        for (opts, needle) in [
            (
                format!("namespaces=\"other\",namespaces=\"{ns}\""),
                "multiple \"namespaces\" clauses",
            ),
            (
                format!("valid-after=\"20200101\",Valid-After=\"20200102\",namespaces=\"{ns}\""),
                "multiple \"valid-after\" clauses",
            ),
            (format!("namespaces={ns}"), "missing start quote"),
            ("valid-before=20300101Z".to_string(), "missing start quote"),
            (format!("namespaces=\"{ns}\"x"), "after the closing quote"),
            (format!("namespaces=\"{ns}\","), "trailing comma"),
        ] {
            let e = parse(&format!("# c\nalice {opts} {KEY}\n")).unwrap_err();
            assert_eq!(e.position, Some((2, 7)), "{opts}: {e}");
            assert!(e.to_string().contains(needle), "{opts}: {e}");
            assert!(e.to_string().starts_with("allowed_signers:2:7: "), "{e}");
        }
        let ok = parse(&format!(
            "alice ,NAMESPACES=\"{ns}\",,valid-after=\"20200101\" {KEY}\n"
        ))
        .unwrap();
        assert_eq!(ok.signers[0].namespaces.as_deref().unwrap(), [ns]);
    }

    #[test]
    fn hostile_input() {
        assert!(parse("").unwrap().signers.is_empty());
        assert!(parse("\u{fffd}\u{fffd} \u{fffd}\n").is_err());
        let many = format!("alice {KEY}\n").repeat(10_000);
        assert_eq!(parse(&many).unwrap().signers.len(), 10_000);
    }
}
