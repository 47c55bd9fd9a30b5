//! `host.identity`: the station could be identified (the rest of ICS-01 is manual).

use super::{CheckContext, Finding, Status};
use crate::inspect::Facts;
use crate::inspect::gap::IdentityGap;
use crate::policy::Policy;

pub fn evaluate(facts: &Facts, _policy: &Policy, _ctx: &CheckContext) -> Vec<Finding> {
    let id = &facts.identity;
    let evidence = facts.identity_evidence.clone();
    let mut missing: Vec<String> = Vec::new();
    if id.hostname.is_empty() {
        missing.push(reason(id, IdentityGap::Hostname));
    }
    if id.os.is_empty() {
        missing.push(reason(id, IdentityGap::Os));
    }
    let details = vec![
        format!("hostname: {}", or_dash(&id.hostname)),
        format!("os: {}", or_dash(&id.os)),
        format!(
            "kernel: {}",
            id.unknown
                .get(&IdentityGap::Kernel)
                .map_or(or_dash(&id.kernel), String::as_str)
        ),
        format!(
            "machine: {}",
            match (
                id.machine_id_hmac.get(..16),
                id.unknown.get(&IdentityGap::MachineId)
            ) {
                (Some(short), _) => short.to_string(),
                (None, Some(why)) => format!("unknown ({why})"),
                (None, None) => "-".to_string(),
            }
        ),
    ];
    let finding = if missing.is_empty() {
        Finding::new(
            "host.identity",
            Status::Pass,
            format!(
                "{} running {}; vendor, model and data flows are confirmed by hand",
                id.hostname, id.os
            ),
        )
    } else {
        Finding::unknown(
            "host.identity",
            format!("could not identify the host: {}", missing.join("; ")),
        )
    };
    vec![finding.with_details(details).with_evidence(evidence)]
}

fn reason(id: &crate::inspect::identity::HostIdentity, key: IdentityGap) -> String {
    id.unknown
        .get(&key)
        .cloned()
        .unwrap_or_else(|| format!("{key} not found"))
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::identity::HostIdentity;

    fn run(identity: HostIdentity) -> Finding {
        let facts = Facts {
            identity,
            ..Facts::default()
        };
        let policy = Policy::builtin().unwrap();
        let ctx = CheckContext {
            today: crate::date::Date::today_utc(),
            now: 0,
            privileged: true,
            live: false,
        };
        evaluate(&facts, &policy, &ctx).remove(0)
    }

    #[test]
    fn identified_host_passes_and_says_the_rest_is_manual() {
        let f = run(HostIdentity {
            hostname: "icu-cs-01".into(),
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            ..HostIdentity::default()
        });
        assert_eq!(f.status, Status::Pass);
        assert!(f.summary.contains("icu-cs-01") && f.summary.contains("by hand"));
    }

    #[test]
    fn an_unidentified_host_is_unknown_with_the_reason_never_a_pass() {
        let mut id = HostIdentity::default();
        id.unknown.insert(
            IdentityGap::Hostname,
            "needs root to read /etc/hostname".into(),
        );
        let f = run(id);
        assert_eq!(f.status, Status::Unknown);
        assert!(
            f.summary.contains("needs root to read /etc/hostname"),
            "{}",
            f.summary
        );
        assert!(f.summary.contains("os not found"), "{}", f.summary);
    }
}
