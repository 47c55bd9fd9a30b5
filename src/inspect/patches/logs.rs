//! Upgrade history: apt's history.log, dpkg.log and dnf's rpm log, for the last upgrade time.

#[allow(clippy::wildcard_imports)]
// one module split along its seams: the siblings share its words
use super::*;

/// What a package log says about upgrades.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogSummary {
    /// Unix time of the newest upgrade.
    pub newest_upgrade: Option<i64>,
    /// Unix time of the earliest entry of any kind.
    pub oldest_entry: Option<i64>,
}

impl LogSummary {
    pub(super) fn merge(&mut self, other: LogSummary) {
        self.newest_upgrade = self.newest_upgrade.max(other.newest_upgrade);
        self.oldest_entry = match (self.oldest_entry, other.oldest_entry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn saw(&mut self, t: i64, upgrade: bool) {
        self.oldest_entry = Some(self.oldest_entry.map_or(t, |o| o.min(t)));
        if upgrade {
            self.newest_upgrade = Some(self.newest_upgrade.map_or(t, |n| n.max(t)));
        }
    }
}

/// `YYYY-MM-DD` and `HH:MM:SS` as Unix time (the logs' local time read as UTC).
pub(super) fn log_time(date: &str, time: &str) -> Option<i64> {
    let date = Date::parse(date)?;
    let mut hms = time.splitn(3, ':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let s: i64 = hms.next()?.get(..2)?.parse().ok()?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(date.unix_days() * 86_400 + h * 3600 + m * 60 + s)
}

/// /var/log/apt/history.log: stanzas with `Start-Date: 2026-09-22  04:48:20` and, when
/// packages were upgraded, an `Upgrade:` line.
pub fn parse_apt_history(text: &str) -> LogSummary {
    let mut out = LogSummary::default();
    for stanza in text.split("\n\n") {
        let mut start = None;
        let mut upgraded = false;
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Start-Date:") {
                let mut f = v.split_whitespace();
                start = f.next().zip(f.next()).and_then(|(d, t)| log_time(d, t));
            } else if let Some(v) = line.strip_prefix("Upgrade:") {
                upgraded |= !v.trim().is_empty();
            }
        }
        if let Some(t) = start {
            out.saw(t, upgraded);
        }
    }
    out
}

/// /var/log/dpkg.log: `2026-09-22 04:48:20 upgrade curl:amd64 7.88.1-10+deb12u14 7.88.1-10+deb12u15`.
pub fn parse_dpkg_log(text: &str) -> LogSummary {
    let mut out = LogSummary::default();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(d), Some(t)) = (f.next(), f.next()) else {
            continue;
        };
        let Some(time) = log_time(d, t) else {
            continue;
        };
        out.saw(time, f.next() == Some("upgrade"));
    }
    out
}

/// /var/log/dnf.rpm.log: `2024-05-01T10:00:00+0000 SUBDEBUG Upgrade: openssl-1:3.0.7-27.el9.x86_64`.
pub fn parse_dnf_rpm_log(text: &str) -> LogSummary {
    let mut out = LogSummary::default();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(stamp) = f.next() else {
            continue;
        };
        let Some(time) = dnf_time(stamp) else {
            continue;
        };
        let upgrade = f
            .nth(1)
            .is_some_and(|w| w == "Upgrade:" || w == "Upgraded:");
        out.saw(time, upgrade);
    }
    out
}

/// `2024-05-01T10:00:00+0000`, `...Z` or `...+00:00` → Unix time (offset applied).
pub(super) fn dnf_time(stamp: &str) -> Option<i64> {
    let (date, rest) = stamp.split_once('T')?;
    let local = log_time(date, rest.get(..8)?)?;
    let offset = rest.get(8..).unwrap_or("");
    let offset_secs = match offset {
        "" | "Z" => 0,
        o => {
            let sign = match o.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    Some(local - offset_secs)
}

/// The names in a directory of package logs or metadata; one that exists and cannot be
/// listed goes to `unread` (a later update may be recorded there), never reads as empty.
pub(super) fn list_or_note(host: &dyn Host, dir: &str, unread: &mut Vec<HostError>) -> Vec<String> {
    match read_dir_optional(host, dir) {
        Ok(names) => names.unwrap_or_default(),
        Err(e) => {
            unread.push(e);
            Vec::new()
        }
    }
}

pub(super) fn set_last_upgrade(
    f: &mut PatchesFacts,
    logs: &LogSummary,
    source: &str,
    rotated: bool,
    looked_in: &str,
    unread: &[HostError],
) {
    if !unread.is_empty() {
        let why: Vec<String> = unread.iter().map(ToString::to_string).collect();
        f.unknown.insert(PatchesGap::Logs, why.join("; "));
    }
    f.logs_since = logs.oldest_entry.map(rfc3339_utc);
    match logs.newest_upgrade {
        Some(t) => {
            f.last_upgrade = Some(rfc3339_utc(t));
            f.last_upgrade_source = source.to_string();
        }
        None => {
            let mut why = format!("no upgrade recorded in {looked_in}");
            if rotated {
                why.push_str(" (older logs are compressed and not read)");
            }
            f.unknown.insert(PatchesGap::LastUpgrade, why);
        }
    }
}

pub(super) fn set_lists_time(f: &mut PatchesFacts, t: i64) {
    f.lists_updated = Some(rfc3339_utc(t));
    f.lists_age_days = Some(((unix_now_secs() - t) / 86_400).max(0));
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no error text")
}
