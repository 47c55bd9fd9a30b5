//! Time synchronisation: chrony, ntpd/ntpsec and systemd-timesyncd configuration, and on a live
//! host whether the clock is synchronised now (`timedatectl`, `chronyc tracking`).

use super::{drop_in_files, expand_glob, is_masked, origin};
use crate::host::{Host, HostError, metadata_optional, read_optional};
use crate::inspect::gap::TimeGap;
use crate::inspect::{Unseen, is_live};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
pub const CHRONY_CONFS: &[&str] = &["/etc/chrony/chrony.conf", "/etc/chrony.conf"];
pub const NTP_CONFS: &[&str] = &["/etc/ntpsec/ntp.conf", "/etc/ntp.conf"];
pub const TIMESYNCD_CONF: &str = "/etc/systemd/timesyncd.conf";

/// A configured time source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSource {
    /// server | pool | peer | refclock
    pub kind: String,
    pub address: String,
    pub origin: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimesyncdConfig {
    /// `NTP=` servers (empty: timesyncd uses the fallback list or DHCP-provided servers).
    pub ntp: Vec<String>,
    /// `FallbackNTP=`; empty means the compiled-in default list.
    pub fallback: Vec<String>,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFacts {
    /// Sources in chrony's configuration; `None` when no chrony.conf was found.
    pub chrony_sources: Option<Vec<TimeSource>>,
    /// Sources in ntp.conf (ntpd or ntpsec); `None` when none was found.
    pub ntp_sources: Option<Vec<TimeSource>>,
    pub timesyncd: Option<TimesyncdConfig>,
    /// Whether the clock is synchronised now (live only).
    pub synchronized: Option<bool>,
    /// What said so, e.g. "timedatectl: NTPSynchronized=yes".
    pub sync_detail: String,
    pub files: Vec<String>,
    pub unknown: Unseen<TimeGap>,
}

/// An include-like directive of chrony.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChronyInclude {
    /// `confdir DIR...`: *.conf files
    ConfDir(String),
    /// `sourcedir DIR...`: *.sources files (source directives only)
    SourceDir(String),
    /// `include PATTERN`
    Include(String),
}

/// Source lines (`server`, `pool`, `peer`, `refclock`) of an NTP-style configuration file; the
/// same syntax serves chrony and ntpd.
pub fn parse_sources(path: &str, text: &str) -> Vec<TimeSource> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split(['#', '!', ';']).next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(kind) = words.next() else {
            continue;
        };
        let kind = kind.to_ascii_lowercase();
        if !matches!(kind.as_str(), "server" | "pool" | "peer" | "refclock") {
            continue;
        }
        let Some(address) = words.next() else {
            continue;
        };
        out.push(TimeSource {
            kind,
            address: address.to_string(),
            origin: origin(path, i + 1),
        });
    }
    out
}

/// chrony's include-like directives, in order.
pub fn chrony_includes(text: &str) -> Vec<ChronyInclude> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', '!', ';', '%']).next().unwrap_or_default();
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("confdir") => out.extend(words.map(|d| ChronyInclude::ConfDir(d.to_string()))),
            Some("sourcedir") => out.extend(words.map(|d| ChronyInclude::SourceDir(d.to_string()))),
            Some("include") => {
                out.extend(words.next().map(|p| ChronyInclude::Include(p.to_string())));
            }
            _ => {}
        }
    }
    out
}

/// Applies one timesyncd.conf(5) file: `[Time]` `NTP=` / `FallbackNTP=`; an empty assignment
/// resets the list, later assignments add to it.
pub fn apply_timesyncd(cfg: &mut TimesyncdConfig, path: &str, text: &str) {
    cfg.files.push(path.to_string());
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).to_string();
            continue;
        }
        if section != "Time" {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let list = match k.trim() {
            "NTP" => &mut cfg.ntp,
            "FallbackNTP" => &mut cfg.fallback,
            _ => continue,
        };
        let v = v.trim();
        if v.is_empty() {
            list.clear();
        } else {
            list.extend(v.split_whitespace().map(str::to_string));
        }
    }
}

/// `timedatectl show -p NTPSynchronized --value`: "yes" / "no".
pub fn parse_timedatectl(text: &str) -> Option<bool> {
    match text.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `chronyc -n tracking`: synchronised unless the leap status says otherwise.
pub fn parse_chronyc_tracking(text: &str) -> Option<bool> {
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if k.trim() == "Leap status" {
            let v = v.trim();
            return Some(!v.eq_ignore_ascii_case("not synchronised"));
        }
    }
    None
}

/// The first of `paths` that exists, read; one that exists and cannot be read is reported to
/// `unread` and the search goes on (a later one may be the configuration in use).
fn first_existing<'p>(
    host: &dyn Host,
    paths: &[&'p str],
    unread: &mut impl FnMut(HostError),
) -> Option<(&'p str, String)> {
    for path in paths {
        match read_optional(host, path) {
            Ok(Some(t)) => return Some((path, t.text)),
            Ok(None) => {}
            Err(e) => unread(e),
        }
    }
    None
}

pub fn collect(host: &dyn Host) -> TimeFacts {
    let mut f = TimeFacts::default();
    // A file or directory that exists and cannot be read hides servers (or their absence):
    // each such read is recorded, never taken as "not configured".
    let mut unread = |e: HostError| {
        f.unknown
            .entry(TimeGap::Config)
            .and_modify(|w| {
                w.push_str("; ");
                w.push_str(&e.to_string());
            })
            .or_insert_with(|| e.to_string());
    };
    let mut files = Vec::new();
    // chrony: the first configuration that exists, with confdir/sourcedir/include.
    let mut chrony_sources = None;
    if let Some((path, text)) = first_existing(host, CHRONY_CONFS, &mut unread) {
        files.push(path.to_string());
        let mut sources = parse_sources(path, &text);
        for inc in chrony_includes(&text) {
            let listed = match &inc {
                ChronyInclude::ConfDir(d) => super::dir_files(host, d, ".conf"),
                ChronyInclude::SourceDir(d) => super::dir_files(host, d, ".sources"),
                ChronyInclude::Include(p) => expand_glob(host, p),
            };
            let listed = match listed {
                Ok(l) => l,
                Err(e) => {
                    unread(e);
                    continue;
                }
            };
            for file in listed {
                match read_optional(host, &file) {
                    Ok(Some(t)) => {
                        sources.extend(parse_sources(&file, &t.text));
                        files.push(file);
                    }
                    Ok(None) => {}
                    Err(e) => unread(e),
                }
            }
        }
        chrony_sources = Some(sources);
    }
    let mut ntp_sources = None;
    if let Some((path, text)) = first_existing(host, NTP_CONFS, &mut unread) {
        files.push(path.to_string());
        ntp_sources = Some(parse_sources(path, &text));
    }
    let mut timesyncd_files = Vec::new();
    match metadata_optional(host, TIMESYNCD_CONF) {
        Ok(Some(_)) => timesyncd_files.push(TIMESYNCD_CONF.to_string()),
        Ok(None) => {}
        Err(e) => unread(e),
    }
    let drop_ins = drop_in_files(
        host,
        &[
            "/etc/systemd/timesyncd.conf.d",
            "/run/systemd/timesyncd.conf.d",
            "/usr/lib/systemd/timesyncd.conf.d",
        ],
        ".conf",
    );
    timesyncd_files.extend(drop_ins.files);
    for (_, e) in drop_ins.unlisted {
        unread(e);
    }
    let mut timesyncd = None;
    if !timesyncd_files.is_empty() {
        let mut cfg = TimesyncdConfig::default();
        for path in timesyncd_files {
            match read_optional(host, &path) {
                Ok(Some(t)) => {
                    apply_timesyncd(&mut cfg, &path, &t.text);
                    files.push(path);
                }
                Ok(None) => {}
                Err(_) if is_masked(host, &path) => {}
                Err(e) => unread(e),
            }
        }
        timesyncd = Some(cfg);
    }
    f.files = files;
    f.chrony_sources = chrony_sources;
    f.ntp_sources = ntp_sources;
    f.timesyncd = timesyncd;
    if is_live(host) {
        let run = host.run(
            &["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            QUERY_TIMEOUT,
        );
        if run.unusable_reason().is_none() && run.exited_with(&[0]) {
            f.synchronized = parse_timedatectl(&run.stdout);
            if let Some(s) = f.synchronized {
                f.sync_detail = format!(
                    "timedatectl: NTPSynchronized={}",
                    if s { "yes" } else { "no" }
                );
            }
        }
        let chronyc = host.metadata("/usr/bin/chronyc").is_ok();
        if f.synchronized.is_none() && chronyc {
            let run = host.run(&["chronyc", "-n", "tracking"], QUERY_TIMEOUT);
            if run.unusable_reason().is_none() && run.exited_with(&[0]) {
                f.synchronized = parse_chronyc_tracking(&run.stdout);
                if let Some(s) = f.synchronized {
                    f.sync_detail = format!(
                        "chronyc tracking: {}",
                        if s {
                            "synchronised"
                        } else {
                            "not synchronised"
                        }
                    );
                }
            }
        }
        if f.synchronized.is_none() {
            let why = match run.unusable_reason() {
                Some(why) => why,
                None => {
                    let err = run.stderr.lines().next().unwrap_or_default().trim();
                    if err.is_empty() {
                        "timedatectl gave no answer".to_string()
                    } else {
                        format!("timedatectl: {err}")
                    }
                }
            };
            f.unknown.insert(TimeGap::Synchronized, why);
        }
    } else {
        f.unknown.insert(
            TimeGap::Synchronized,
            "offline image: clock state not observable".into(),
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drop-in masked with a link to /dev/null is skipped, as systemd skips it; one that
    /// cannot be read leaves the servers unknown.
    #[test]
    fn masked_drop_ins_are_skipped_and_unreadable_ones_are_gaps() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = dir.path().join("etc/systemd/timesyncd.conf.d");
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("etc/systemd/timesyncd.conf"),
            "[Time]\nNTP=10.0.0.1\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("/dev/null", d.join("50-vendor.conf"))
            .unwrap_or_else(|e| panic!("{e}"));
        let root = crate::host::Root::new(dir.path());
        let f = collect(&root);
        assert!(!f.unknown.contains_key(&TimeGap::Config), "{:?}", f.unknown);
        assert_eq!(
            f.timesyncd.map(|c| c.ntp),
            Some(vec!["10.0.0.1".to_string()])
        );
        // Not a regular file where a drop-in should be: not read, and not taken as "no
        // servers set".
        std::fs::remove_file(d.join("50-vendor.conf")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(d.join("50-vendor.conf")).unwrap_or_else(|e| panic!("{e}"));
        let f = collect(&root);
        assert!(
            f.unknown
                .get(&TimeGap::Config)
                .is_some_and(|w| w.contains("50-vendor.conf")),
            "{:?}",
            f.unknown
        );
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/supporting/time/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn chrony_debian_default() {
        let text = fixture("debian12_chrony.conf");
        let s = parse_sources("/etc/chrony/chrony.conf", &text);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].kind.as_str(), s[0].address.as_str()),
            ("pool", "2.debian.pool.ntp.org")
        );
        assert_eq!(
            chrony_includes(&text),
            vec![
                ChronyInclude::ConfDir("/etc/chrony/conf.d".into()),
                ChronyInclude::SourceDir("/run/chrony-dhcp".into()),
                ChronyInclude::SourceDir("/etc/chrony/sources.d".into()),
            ]
        );
    }

    #[test]
    fn ntp_conf_sources() {
        let s = parse_sources("/etc/ntpsec/ntp.conf", &fixture("ntpsec_site.conf"));
        let kinds: Vec<&str> = s.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, vec!["server", "server", "pool"]);
        assert!(parse_sources("/x", "server\npool # nothing\n\u{FFFD}\n").is_empty());
        assert_eq!(
            parse_sources("/x", &"server 10.0.0.1 iburst\n".repeat(10_000)).len(),
            10_000
        );
    }

    #[test]
    fn timesyncd_debian_default_and_dropins() {
        let mut cfg = TimesyncdConfig::default();
        apply_timesyncd(
            &mut cfg,
            TIMESYNCD_CONF,
            &fixture("debian12_timesyncd.conf"),
        );
        assert!(cfg.ntp.is_empty() && cfg.fallback.is_empty());
        apply_timesyncd(
            &mut cfg,
            "/etc/systemd/timesyncd.conf.d/site.conf",
            "[Time]\nNTP=10.0.0.1 10.0.0.2\nNTP=10.0.0.3\n",
        );
        assert_eq!(cfg.ntp, vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        apply_timesyncd(&mut cfg, "/x", "[Time]\nNTP=\nFallbackNTP=pool.example\n");
        assert!(cfg.ntp.is_empty());
        assert_eq!(cfg.fallback, vec!["pool.example"]);
        assert_eq!(cfg.files.len(), 3);
    }

    #[test]
    fn sync_state_outputs() {
        assert_eq!(parse_timedatectl("yes\n"), Some(true));
        assert_eq!(parse_timedatectl("no\n"), Some(false));
        // Real output on this build machine (systemd not PID 1): nothing on stdout.
        assert_eq!(
            parse_timedatectl(&fixture("nosystemd_timedatectl.stdout")),
            None
        );
        assert_eq!(
            parse_chronyc_tracking(&fixture("chronyc_tracking_synced.stdout")),
            Some(true)
        );
        assert_eq!(
            parse_chronyc_tracking(&fixture("chronyc_tracking_unsynced.stdout")),
            Some(false)
        );
        assert_eq!(parse_chronyc_tracking("506 Cannot talk to daemon\n"), None);
    }
}
