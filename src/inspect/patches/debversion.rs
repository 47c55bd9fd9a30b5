//! Debian version ordering, as deb-version(7) and dpkg define it: `[epoch:]upstream[-revision]`,
//! compared epoch first (numerically), then upstream, then revision, each with dpkg's
//! alternating non-digit / digit rule where `~` sorts before everything, even the end.

use std::cmp::Ordering;

/// A version split into its three parts. Parsing never fails: a malformed epoch is treated as
/// part of the upstream version, as `dpkg --compare-versions` would refuse it but a
/// comparison must still order every string it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebVersion<'a> {
    pub epoch: u64,
    pub upstream: &'a str,
    pub revision: &'a str,
}

impl<'a> DebVersion<'a> {
    pub fn parse(v: &'a str) -> DebVersion<'a> {
        let v = v.trim();
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (e.parse().unwrap_or(u64::MAX), rest)
            }
            _ => (0, v),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        DebVersion {
            epoch,
            upstream,
            revision,
        }
    }
}

/// Orders two Debian version strings the way dpkg and apt do.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (DebVersion::parse(a), DebVersion::parse(b));
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision))
}

/// True when `a` is a newer version than `b`.
pub fn is_newer(a: &str, b: &str) -> bool {
    compare(a, b) == Ordering::Greater
}

/// dpkg's weight of one character in a non-digit run: `~` below the end of the string,
/// letters by ASCII, everything else after the letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // Non-digit run.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run: compare numerically without overflow (skip leading zeros, then length).
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let (da, db) = (&a[si..i], &b[sj..j]);
        let by_len = da.len().cmp(&db.len());
        if by_len != Ordering::Equal {
            return by_len;
        }
        let by_digits = da.cmp(db);
        if by_digits != Ordering::Equal {
            return by_digits;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn parts() {
        let v = DebVersion::parse("1:9.2p1-2+deb12u3");
        assert_eq!((v.epoch, v.upstream, v.revision), (1, "9.2p1", "2+deb12u3"));
        let v = DebVersion::parse("2.6.1");
        assert_eq!((v.epoch, v.upstream, v.revision), (0, "2.6.1", ""));
        let v = DebVersion::parse("1.0-beta-3");
        assert_eq!((v.upstream, v.revision), ("1.0-beta", "3"));
        let v = DebVersion::parse("x:1.0");
        assert_eq!((v.epoch, v.upstream), (0, "x:1.0"));
    }

    /// Pairs checked against `dpkg --compare-versions` on Debian 12.
    #[test]
    fn dpkg_ordering() {
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "1.0-0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0a", "1.0", Greater),
            ("1.0.", "1.0a", Greater),
            ("1:0.1", "9.9", Greater),
            ("0:1.0", "1.0", Equal),
            ("1.10", "1.9", Greater),
            ("1.010", "1.10", Equal),
            ("3.0.17-1~deb12u2", "3.0.15-1~deb12u1", Greater),
            ("20250419~deb12u2", "20230311+deb12u1", Greater),
            ("5.2.15-2+b13", "5.2.15-2+b8", Greater),
            ("1:2.66-4+deb12u3+b1", "1:2.66-4+deb12u2+b2", Greater),
            ("2025b-0+deb12u2", "2025b-0+deb12u1", Greater),
            ("2026f-0+deb12u1", "2026b-0+deb12u1", Greater),
            ("1:9.2p1-2+deb12u9", "1:9.2p1-2+deb12u10", Less),
            ("6.1.0-28", "6.1.0-9", Greater),
            ("1.0-1", "1.0-1~bpo12+1", Greater),
            (
                "99999999999999999999999",
                "99999999999999999999998",
                Greater,
            ),
            ("", "0", Equal),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn hostile_strings_do_not_panic() {
        for s in [
            "",
            ":",
            "-",
            "1:",
            ":-",
            "~~~",
            "\u{FFFD}1.0",
            "1.0\u{FFFD}-1",
            "a:b:c-d-e",
            "00000",
        ] {
            let _ = compare(s, "1.0");
            assert_eq!(compare(s, s), Equal);
        }
    }
}
