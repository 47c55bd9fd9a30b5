//! The one wildcard matcher. `*` matches any run (empty too); where the caller's syntax has it,
//! `?` matches one character. No classes, no escapes: every caller's syntax is that small
//! (systemd unit and sysctl globs as we model them, sshd's `match_pattern`, OpenSSH
//! `allowed_signers` principals, the policy's `*` globs).
//!
//! A leaf module, so `inspect`, `policy`, `checks` and `attest` share it without importing
//! each other.

/// Whether `text` matches `pattern` where only `*` is special (the site policy's globs for
/// unit, service and product names: a `?` there is a literal character).
pub fn star(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t, &'*', None)
}

/// Shell-style match with `*` and `?` (no character classes).
pub fn wildcard(pattern: &str, text: &str) -> bool {
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
