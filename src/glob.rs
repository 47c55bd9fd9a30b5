//! The one wildcard matcher. `*` matches any run (empty too); where the caller's syntax has it,
//! `?` matches one character. No classes, no escapes: every caller's syntax is that small
//! (systemd unit and sysctl globs as we model them, sshd's `match_pattern`, OpenSSH
//! `allowed_signers` principals, the policy's `*` globs).
//!
//! A leaf module, so `inspect`, `policy`, `checks` and `attest` share it without importing
//! each other.

/// Whether `text` matches `pattern` where only `*` is special (the site policy's globs for
/// unit, service and product names: a `?` there is a literal character).
///
/// Over bytes, without a copy: with `*` the only special character, a byte match is a
/// character match (UTF-8 is self-synchronising: a literal run of whole characters can only
/// match at a character boundary). The policy's globs run against every unit of a host, up to
/// millions of times a scan.
pub fn star(pattern: &str, text: &str) -> bool {
    matches(pattern.as_bytes(), text.as_bytes(), &b'*', None)
}

/// Shell-style match with `*` and `?` (no character classes).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    // `?` is one character: bytes will do only when both are ASCII.
    if pattern.is_ascii() && text.is_ascii() {
        return matches(pattern.as_bytes(), text.as_bytes(), &b'*', Some(&b'?'));
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t, &'*', Some(&'?'))
}

/// [`wildcard`] over bytes, for formats that are not necessarily UTF-8.
pub fn wildcard_bytes(pattern: &[u8], text: &[u8]) -> bool {
    matches(pattern, text, &b'*', Some(&b'?'))
}

/// Greedy match with one backtrack point (the last `*`): linear in practice, never
/// exponential, since a later `*` makes every earlier choice final.
fn matches<T: PartialEq>(p: &[T], t: &[T], star: &T, one: Option<&T>) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != *star && (Some(&p[pi]) == one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == *star {
            back = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = back {
            pi = sp + 1;
            ti = st + 1;
            back = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == *star {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_globs() {
        assert!(star("getty@*", "getty@tty1"));
        assert!(star("systemd-*", "systemd-journald"));
        assert!(star("*d", "sshd"));
        assert!(star("a*b*c", "aXXbYYc"));
        assert!(star("*", ""));
        assert!(!star("a*", ""));
        assert!(!star("ab*ba", "aba"));
        assert!(!star("sshd", "sshd2"));
        // `?` is literal in the policy's globs.
        assert!(!star("ssh?", "sshd"));
        assert!(star("ssh?", "ssh?"));
    }

    /// Every pattern and text of up to four characters over a mixed alphabet: the byte
    /// match `star` uses agrees with a match over characters.
    #[test]
    fn star_over_bytes_is_star_over_characters() {
        fn all(alphabet: &[char], max: usize) -> Vec<String> {
            let mut out = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                let next: Vec<String> = last
                    .iter()
                    .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                    .collect();
                out.extend(next.iter().cloned());
                last = next;
            }
            out
        }
        let patterns = all(&['a', 'é', '*', '€'], 4);
        let texts = all(&['a', 'é', '€', '*'], 4);
        for p in &patterns {
            for t in &texts {
                let pc: Vec<char> = p.chars().collect();
                let tc: Vec<char> = t.chars().collect();
                assert_eq!(
                    star(p, t),
                    matches(&pc, &tc, &'*', None),
                    "pattern {p:?} text {t:?}"
                );
            }
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*.conf", "a.conf"));
        assert!(!wildcard("*.conf", "a.conf.bak"));
        assert!(wildcard("x?z*", "xyz"));
        assert!(!wildcard("x?z", "xz"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a", "b"));
        assert!(wildcard("a*b*c", "aXXbYYc"));
        assert!(wildcard("é?", "éa"));
        assert!(wildcard_bytes(b"ops-*", b"ops-alice"));
        assert!(!wildcard_bytes(b"ops-?", b"ops-al"));
    }
}
