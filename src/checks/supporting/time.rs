//! `time.sync`: a time synchronisation daemon is configured and the clock is synchronised.

use super::{DaemonState, daemon_state, evidence};
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::TimeGap;
use crate::inspect::supporting::time::TimeSource;
use crate::policy::Policy;

const ID: &str = "time.sync";

struct Candidate {
    name: &'static str,
    state: DaemonState,
    /// Configured sources in words; empty when none are configured.
    sources: Vec<String>,
    /// Whether it has a configuration at all.
    configured: bool,
}

fn sources(list: Option<&Vec<TimeSource>>) -> Vec<String> {
    list.map(|v| {
        v.iter()
            .map(|s| format!("{} {} ({})", s.kind, s.address, s.origin))
            .collect()
    })
    .unwrap_or_default()
}

pub fn evaluate(facts: &Facts, _policy: &Policy, ctx: &CheckContext) -> Vec<Finding> {
    let t = &facts.supporting.time;
    let mut subjects: Vec<&str> = t.files.iter().map(String::as_str).collect();
    subjects.extend(["timedatectl", "chronyc"]);
    let ev = evidence(facts, &subjects, true);
    let mut cands = vec![
        Candidate {
            name: "chrony",
            state: daemon_state(facts, &["chrony"], &["chronyd"], &["chrony", "chronyd"]),
            sources: sources(t.chrony_sources.as_ref()),
            configured: t.chrony_sources.is_some(),
        },
        Candidate {
            name: "ntpd",
            state: daemon_state(
                facts,
                &["ntp", "ntpsec"],
                &["ntpd"],
                &["ntp", "ntpd", "ntpsec"],
            ),
            sources: sources(t.ntp_sources.as_ref()),
            configured: t.ntp_sources.is_some(),
        },
        Candidate {
            name: "systemd-timesyncd",
            state: daemon_state(
                facts,
                &["systemd-timesyncd"],
                &["systemd-timesyncd", "systemd-timesyn"],
                &["systemd-timesyncd"],
            ),
            sources: t.timesyncd.as_ref().map_or_else(Vec::new, |c| {
                if c.ntp.is_empty() {
                    vec![if c.fallback.is_empty() {
                        "compiled-in fallback servers (or DHCP)".to_string()
                    } else {
                        format!("fallback {}", c.fallback.join(" "))
                    }]
                } else {
                    vec![c.ntp.join(" ")]
                }
            }),
            configured: t.timesyncd.is_some(),
        },
    ];
    // Without a package list, "present" rests on the configuration alone.
    let no_package_list = cands.iter().any(|c| c.state.installed.is_none());
    // Present: installed (package) or, without a package list, configured.
    cands.retain(|c| {
        c.state.installed == Some(true) || (c.state.installed.is_none() && c.configured)
    });
    let mut details: Vec<String> = Vec::new();
    for c in &cands {
        details.push(format!(
            "{}: {}; sources: {}",
            c.name,
            c.state.describe_state(),
            if c.sources.is_empty() {
                "none".into()
            } else {
                c.sources.join(", ")
            }
        ));
    }
    match (&t.synchronized, t.unknown.get(&TimeGap::Synchronized)) {
        (Some(_), _) => details.push(t.sync_detail.clone()),
        (None, Some(why)) => details.push(format!("synchronisation state: {why}")),
        (None, None) => {}
    }
    let on: Vec<&Candidate> = cands
        .iter()
        .filter(|c| c.state.on() == Some(true))
        .collect();
    let unobserved: Vec<&Candidate> = cands.iter().filter(|c| c.state.on().is_none()).collect();
    let blind = t.unknown.get(&TimeGap::Config);
    if let Some(why) = blind {
        details.push(format!("configuration not read: {why}"));
    }
    let names = |v: &[&Candidate]| v.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
    let f = if t.synchronized == Some(true) {
        let by = if on.is_empty() {
            String::new()
        } else {
            format!(" by {}", names(&on))
        };
        Finding::new(
            ID,
            Status::Pass,
            format!("Clock is synchronised{by} ({})", t.sync_detail),
        )
    } else if let (true, true, Some(why)) = (cands.is_empty(), no_package_list, blind) {
        // No package list, and nothing configured as far as could be read: the unreadable
        // configuration may be a daemon's.
        Finding::unknown(
            ID,
            format!("No time daemon seen, and a time configuration could not be read: {why}"),
        )
    } else if cands.is_empty() {
        Finding::new(
            ID,
            Status::Fail,
            "No time synchronisation (chrony, ntpd or systemd-timesyncd) is installed",
        )
    } else if t.synchronized == Some(false) {
        if on.is_empty() {
            Finding::new(
                ID,
                Status::Fail,
                format!(
                    "Clock is not synchronised and no time daemon is running ({})",
                    t.sync_detail
                ),
            )
        } else {
            Finding::new(
                ID,
                Status::Warn,
                format!(
                    "{} is running but the clock is not synchronised: check that its servers are reachable",
                    names(&on)
                ),
            )
        }
    } else if let (Some(why), false) = (blind, on.is_empty() && unobserved.is_empty()) {
        // Which servers are configured (or that none are) rests on what could not be read.
        let up: Vec<&Candidate> = on.iter().chain(unobserved.iter()).copied().collect();
        Finding::unknown(
            ID,
            format!(
                "{} is set up, but its configuration could not be read: {why}",
                names(&up)
            ),
        )
    } else if let Some(c) = on
        .iter()
        .chain(unobserved.iter())
        .find(|c| c.sources.is_empty())
    {
        Finding::new(
            ID,
            Status::Warn,
            format!("{} has no time servers configured", c.name),
        )
    } else if !on.is_empty() && !ctx.live {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "{} is enabled with servers configured (offline image: configured, not observed)",
                names(&on)
            ),
        )
    } else if !on.is_empty() {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "{} is running with servers configured; synchronisation state could not be read",
                names(&on)
            ),
        )
    } else if !unobserved.is_empty() {
        Finding::new(
            ID,
            Status::Pass,
            format!(
                "{} is installed with servers configured (offline image: configured, not observed)",
                names(&unobserved)
            ),
        )
    } else {
        let states: Vec<String> = cands
            .iter()
            .map(|c| format!("{} is installed but {}", c.name, c.state.describe_state()))
            .collect();
        Finding::new(
            ID,
            Status::Fail,
            format!("No time daemon is running: {}", states.join("; ")),
        )
    };
    vec![f.with_details(details).with_evidence(ev)]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::inspect::supporting::time::{TimesyncdConfig, parse_sources};

    fn run(f: &Facts, live: bool) -> Finding {
        let out = evaluate(
            f,
            &Policy::builtin().unwrap_or_else(|e| panic!("{e}")),
            &ctx(live),
        );
        only(&out, ID).clone()
    }

    fn chrony_facts() -> Facts {
        let mut f = live(&["chrony"], &["chronyd"], &["chrony"]);
        f.supporting.time.chrony_sources = Some(parse_sources(
            "/etc/chrony/chrony.conf",
            "pool 2.debian.pool.ntp.org iburst\n",
        ));
        f
    }

    #[test]
    fn synchronised_chrony_passes() {
        let mut f = chrony_facts();
        f.supporting.time.synchronized = Some(true);
        f.supporting.time.sync_detail = "timedatectl: NTPSynchronized=yes".into();
        let r = run(&f, true);
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("by chrony"), "{}", r.summary);
    }

    #[test]
    fn unsynchronised_warns_and_nothing_fails() {
        let mut f = chrony_facts();
        f.supporting.time.synchronized = Some(false);
        f.supporting.time.sync_detail = "chronyc tracking: not synchronised".into();
        assert_status(&run(&f, true), Status::Warn);
        assert_status(&run(&live(&[], &[], &[]), true), Status::Fail);
    }

    #[test]
    fn this_build_machine_timesyncd_installed_not_running_fails() {
        // Debian 12 container: systemd-timesyncd installed, systemd not PID 1, nothing running.
        let mut f = live(&["systemd-timesyncd"], &[], &[]);
        f.supporting.time.timesyncd = Some(TimesyncdConfig {
            files: vec!["/etc/systemd/timesyncd.conf".into()],
            ..TimesyncdConfig::default()
        });
        f.supporting.time.unknown.insert(TimeGap::Synchronized, "timedatectl: System has not been booted with systemd as init system (PID 1). Can't operate.".into());
        assert_status(&run(&f, true), Status::Fail);
    }

    #[test]
    fn offline_configured_passes_with_wording() {
        let mut f = offline(&["chrony"]);
        f.supporting.time.chrony_sources = Some(parse_sources(
            "/etc/chrony/chrony.conf",
            "server 10.0.0.1 iburst\n",
        ));
        f.supporting.time.unknown.insert(
            TimeGap::Synchronized,
            "offline image: clock state not observable".into(),
        );
        let r = run(&f, false);
        assert_status(&r, Status::Pass);
        assert!(r.summary.contains("configured, not observed"));
        f.supporting.time.chrony_sources = Some(Vec::new());
        assert_status(&run(&f, false), Status::Warn);
    }

    #[test]
    fn an_unreadable_configuration_is_unknown_not_configured_servers() {
        // timesyncd's compiled-in fallback would pass; the unreadable file might set none.
        let mut f = offline(&["systemd-timesyncd"]);
        f.supporting.time.timesyncd = Some(TimesyncdConfig::default());
        assert_status(&run(&f, false), Status::Pass);
        f.supporting.time.unknown.insert(
            TimeGap::Config,
            "/etc/systemd/timesyncd.conf: permission denied".into(),
        );
        let r = run(&f, false);
        assert_status(&r, Status::Unknown);
        assert!(r.summary.contains("timesyncd.conf"), "{}", r.summary);
        // Nothing installed by the package list: the unreadable file cannot change that...
        let mut none = live(&[], &[], &[]);
        none.supporting
            .time
            .unknown
            .insert(TimeGap::Config, "x".into());
        assert_status(&run(&none, true), Status::Fail);
        // ...but an observed synchronised clock passes whatever the files say.
        let mut synced = chrony_facts();
        synced.supporting.time.synchronized = Some(true);
        synced
            .supporting
            .time
            .unknown
            .insert(TimeGap::Config, "x".into());
        assert_status(&run(&synced, true), Status::Pass);
    }
}
