//! Plain-text view of the effective policy for `policy show`.

use super::{Policy, WaiverState, WaiverTarget};
use crate::date::Date;
use crate::text::wrap;
use std::fmt::Write;

pub fn policy_text(p: &Policy, today: Date, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Site policy: {} ({})", p.name, p.role.as_str());
    let _ = writeln!(out, "  from {}", p.origin.display());
    if p.require_countersign {
        let _ = writeln!(
            out,
            "  sign-offs need a countersignature by another operator (require_countersign)"
        );
    }

    let _ = writeln!(out, "\nAllowed listeners");
    if p.allowed_listeners.is_empty() {
        let _ = writeln!(out, "  none: every non-loopback listener will be reported");
    }
    for l in &p.allowed_listeners {
        let process = l
            .process
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let head = format!("  {}/{}{process}", l.port, l.proto.as_str());
        if l.note.is_empty() {
            let _ = writeln!(out, "{head}");
        } else {
            let _ = writeln!(out, "{head} — {}", l.note);
        }
    }
    let ports: Vec<String> = p.hl7_ports.iter().map(u16::to_string).collect();
    let _ = writeln!(
        out,
        "  HL7/MLLP ports: {}",
        if ports.is_empty() {
            "none".into()
        } else {
            ports.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "  Routing between networks allowed: {}",
        if p.router { "yes" } else { "no" }
    );

    list(&mut out, "Allowed services", &p.allowed_services, width);
    list(
        &mut out,
        "Approved remote-access tools",
        &p.approved_remote_tools,
        width,
    );
    list(
        &mut out,
        "Default account names",
        &p.default_account_names,
        width,
    );

    windows_text(&mut out, &p.windows, width);

    let _ = writeln!(out, "\nThresholds");
    let _ = writeln!(
        out,
        "  Privileged group members at most: {}",
        p.max_privileged_members
    );
    let _ = writeln!(out, "  Password maximum age: {} days", p.password_max_days);
    let _ = writeln!(
        out,
        "  Package lists at most: {} days old",
        p.max_list_age_days
    );
    let _ = writeln!(
        out,
        "  Updates applied within: {} days",
        p.max_days_since_upgrade
    );

    let _ = writeln!(out, "\nPatch baseline");
    if p.patch_baseline.is_empty() {
        let _ = writeln!(out, "  none: every available update counts as pending");
    } else {
        for (name, version) in &p.patch_baseline {
            let _ = writeln!(out, "  {name} {version}");
        }
    }

    let _ = writeln!(out, "\nWaivers");
    if p.waivers.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for w in &p.waivers {
        let what = match &w.target {
            WaiverTarget::Check(id) => format!("check {id}"),
            WaiverTarget::Control(id) => format!("control {id}"),
        };
        let state = match w.state(today) {
            WaiverState::Active { days_left } => {
                format!("active, expires {} ({days_left} days left)", w.expires)
            }
            WaiverState::Expired { days_ago } => {
                format!(
                    "EXPIRED on {} ({days_ago} days ago) — no longer applied",
                    w.expires
                )
            }
        };
        let _ = writeln!(out, "  {what}: {state}");
        let _ = writeln!(out, "    approved by {}", w.approver);
        for line in wrap(&w.justification, width, "    ") {
            let _ = writeln!(out, "{line}");
        }
    }
    // Site files are untrusted text: escape controls and bidi overrides for the terminal.
    crate::text::for_terminal_lines(&out).into_owned()
}

/// The `[windows]` keys, shown only when a policy sets any of them.
fn windows_text(out: &mut String, w: &crate::policy::WindowsPolicy, width: usize) {
    if *w == crate::policy::WindowsPolicy::default() {
        return;
    }
    list(out, "Windows: allowed services", &w.allowed_services, width);
    let listeners: Vec<String> = w
        .allowed_listeners
        .iter()
        .map(|l| {
            let port = match (l.port, l.port_range) {
                (Some(p), _) => p.to_string(),
                (None, Some([lo, hi])) => format!("{lo}-{hi}"),
                (None, None) => "any port".to_string(),
            };
            format!("{}/{} {}", port, l.proto.as_str(), l.image)
        })
        .collect();
    list(out, "Windows: allowed listeners", &listeners, width);
    list(
        out,
        "Windows: accepted administrators",
        &w.admin_accounts,
        width,
    );
    list(out, "Windows: anti-malware services", &w.av_services, width);
    let baseline: Vec<String> = w
        .ubr_baseline
        .iter()
        .map(|(b, u)| format!("{b}.{u}"))
        .collect();
    list(
        out,
        "Windows: vendor-approved update level",
        &baseline,
        width,
    );
    let _ = writeln!(
        out,
        "  Anti-malware signatures at most: {} days old",
        w.max_signature_age_days
    );
}

fn list(out: &mut String, heading: &str, items: &[String], width: usize) {
    let _ = writeln!(out, "\n{heading}");
    if items.is_empty() {
        let _ = writeln!(out, "  none");
        return;
    }
    for line in wrap(&items.join(", "), width, "  ") {
        let _ = writeln!(out, "{line}");
    }
}
