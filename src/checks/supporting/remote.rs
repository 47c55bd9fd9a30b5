//! `remote.tools`: only approved remote-access tools are present.

use super::evidence;
use crate::checks::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::RemoteToolsGap;
use crate::inspect::supporting::products::{Detected, detect};
use crate::inspect::supporting::remote::REMOTE_TOOLS;
use crate::policy::Policy;

const ID: &str = "remote.tools";

fn approved(d: &Detected, policy: &Policy) -> bool {
    let Some(product) = REMOTE_TOOLS.iter().find(|p| p.key == d.key) else {
        return false;
    };
    policy
        .approved_remote_tools
        .iter()
        .any(|a| product.names().any(|n| n.eq_ignore_ascii_case(a.trim())))
}

pub fn evaluate(facts: &Facts, policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let paths: Vec<&str> = REMOTE_TOOLS
        .iter()
        .flat_map(|p| p.paths.iter().copied())
        .collect();
    let mut subjects = paths.clone();
    subjects.push("/opt/");
    let ev = evidence(facts, &subjects, true);
    let packages_seen = facts.packages.unseen().is_none();
    let processes_seen = facts.processes.unknown.is_empty();
    let services_seen = super::services_seen(facts);
    let found = detect(
        REMOTE_TOOLS,
        &facts.packages,
        &facts.processes.list,
        &facts.services.units,
        &facts.supporting.remote_tools.paths_found,
    );
    let mut looked = vec!["install paths".to_string()];
    if packages_seen {
        looked.push(format!("installed packages ({})", facts.packages.manager));
    }
    if processes_seen {
        looked.push("running processes".into());
    }
    if services_seen {
        looked.push("service units".into());
    }
    let mut looked = format!("looked at: {}", looked.join(", "));
    let paths_unseen = facts
        .supporting
        .remote_tools
        .unknown
        .get(&RemoteToolsGap::InstallPaths);
    if let Some(why) = paths_unseen {
        looked.push_str(&format!("; install paths not all seen: {why}"));
    }
    let (ok, bad): (Vec<&Detected>, Vec<&Detected>) =
        found.iter().partition(|d| approved(d, policy));
    let line = |d: &Detected| format!("{}: {}", d.name, d.signs.join("; "));
    let mut details: Vec<String> = bad
        .iter()
        .map(|d| format!("not approved — {}", line(d)))
        .collect();
    details.extend(ok.iter().map(|d| format!("approved — {}", line(d))));
    details.push(looked);
    let names = |v: &[&Detected]| {
        v.iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let f = if !bad.is_empty() {
        Finding::new(
            ID,
            Status::Fail,
            format!(
                "Remote-access tools not approved by the site policy: {}",
                names(&bad)
            ),
        )
    } else if !ok.is_empty() {
        Finding::new(
            ID,
            Status::Pass,
            format!("Only approved remote-access tools found: {}", names(&ok)),
        )
    } else if !packages_seen && !processes_seen {
        let why = facts
            .packages
            .unknown
            .values()
            .chain(facts.processes.unknown.values())
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        Finding::unknown(
            ID,
            format!(
                "could not look for remote-access tools: neither packages nor processes were visible ({why})"
            ),
        )
    } else if let Some(why) = paths_unseen {
        // A tool installed outside the package manager and not running shows only by its path.
        Finding::unknown(
            ID,
            format!("no remote-access tool found, but install paths could not be looked at: {why}"),
        )
    } else {
        Finding::new(
            ID,
            Status::Pass,
            "No remote desktop or remote-support tool (VNC, RDP, TeamViewer, AnyDesk, ...) found",
        )
    };
    vec![f.with_details(details).with_evidence(ev)]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    fn policy(approved: &[&str]) -> Policy {
        let mut p = Policy::builtin().unwrap_or_else(|e| panic!("{e}"));
        p.approved_remote_tools = approved.iter().map(|s| (*s).to_string()).collect();
        p
    }

    #[test]
    fn clean_host_passes() {
        let out = evaluate(
            &live(&["openssh-server"], &["sshd"], &["ssh"]),
            &policy(&[]),
            &ctx(true),
        );
        assert_status(only(&out, ID), Status::Pass);
    }

    #[test]
    fn unapproved_tools_fail_and_approved_pass() {
        let mut f = live(&["x11vnc"], &["teamviewerd"], &["teamviewerd"]);
        f.supporting.remote_tools.paths_found = vec!["/opt/screenconnect-1a2b3c".into()];
        let out = evaluate(&f, &policy(&["x11vnc"]), &ctx(true));
        let r = only(&out, ID);
        assert_status(r, Status::Fail);
        assert!(
            r.summary.contains("TeamViewer") && r.summary.contains("ScreenConnect"),
            "{}",
            r.summary
        );
        assert!(!r.summary.contains("x11vnc"), "{}", r.summary);
        assert!(r.details.iter().any(|d| d.starts_with("approved — x11vnc")));
        let out = evaluate(
            &live(&["x11vnc"], &[], &[]),
            &policy(&["X11VNC"]),
            &ctx(true),
        );
        assert_status(only(&out, ID), Status::Pass);
    }

    #[test]
    fn nothing_visible_is_unknown() {
        let mut f = offline(&[]);
        f.packages.manager.clear();
        f.packages.unknown.insert(
            crate::inspect::gap::PackagesGap::Packages,
            "no dpkg or rpm package database found".into(),
        );
        let out = evaluate(&f, &policy(&[]), &ctx(false));
        assert_status(only(&out, ID), Status::Unknown);
    }

    #[test]
    fn install_paths_not_seen_are_unknown_not_none_found() {
        let mut f = live(&[], &[], &[]);
        assert_status(
            only(&evaluate(&f, &policy(&[]), &ctx(true)), ID),
            Status::Pass,
        );
        f.supporting.remote_tools.unknown.insert(
            RemoteToolsGap::InstallPaths,
            "/opt: permission denied".into(),
        );
        let out = evaluate(&f, &policy(&[]), &ctx(true));
        let r = only(&out, ID);
        assert_status(r, Status::Unknown);
        assert!(r.summary.contains("/opt"), "{}", r.summary);
    }
}
