//! Text view of a scan: findings grouped by area, 80 columns, optional colour.

use super::Scan;
use crate::checks::{self, Area, Finding, Status};
use crate::text::{for_terminal, for_terminal_lines, wrap};
use std::fmt::Write;

/// How to draw status words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Never,
    Ansi,
}

/// Everything in a scan that came from the inspected host or a file (names, versions, reasons,
/// details) is escaped with `for_terminal`: no byte from outside reaches the terminal raw.
pub fn scan_text(scan: &Scan, width: usize, colour: Colour) -> String {
    let mut out = String::new();
    let h = &scan.host;
    let _ = writeln!(
        out,
        "stationward scan — {} ({})",
        for_terminal(dash(&h.hostname)),
        for_terminal(dash(&h.os))
    );
    let kernel = if h.kernel.is_empty() { "-" } else { &h.kernel };
    let source = match (&scan.facts.windows, &scan.root) {
        (Some(_), _) => "Windows snapshot".to_string(),
        (None, Some(r)) => format!("offline tree {}", for_terminal(r)),
        (None, None) => "live host".to_string(),
    };
    let _ = writeln!(
        out,
        "kernel {} · {source} · {}",
        for_terminal(kernel),
        for_terminal(&scan.scanned_at)
    );
    if let Some(w) = &scan.facts.windows {
        let dir = format!("snapshot {}", for_terminal(&w.snapshot.dir));
        for line in wrap(&dir, width, "") {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "digest {}", w.snapshot.digest());
    }
    if scan.facts.windows.is_some() && !scan.privileged {
        let _ = writeln!(
            out,
            "Snapshot collected without elevation: checks that need an administrator are reported as unknown."
        );
    } else if !scan.privileged {
        let _ = writeln!(
            out,
            "Not running as root: checks that need root are reported as unknown."
        );
    }
    let _ = writeln!(out, "policy {}", for_terminal(&scan.policy));

    for area in Area::ALL {
        let findings: Vec<&Finding> = scan
            .findings
            .iter()
            .filter(|f| checks::find(&f.check).is_some_and(|s| s.area == area))
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", area.as_str().to_uppercase());
        for f in findings {
            finding_text(&mut out, f, width, colour);
        }
    }
    let c = scan.counts();
    let _ = writeln!(
        out,
        "\n{} pass · {} warn · {} fail · {} unknown · {} n/a · {} waived",
        c.pass, c.warn, c.fail, c.unknown, c.not_applicable, c.waived
    );
    out
}

fn finding_text(out: &mut String, f: &Finding, width: usize, colour: Colour) {
    let label = format!("{:<10}", f.status.label());
    let painted = match colour {
        Colour::Never => label,
        Colour::Ansi => {
            let code = match f.status {
                Status::Pass => "32",
                Status::Warn => "33",
                Status::Fail => "31;1",
                Status::Unknown => "35",
                Status::NotApplicable => "2",
            };
            format!("\x1b[{code}m{label}\x1b[0m")
        }
    };
    let _ = writeln!(out, "  {painted} {}", for_terminal(&f.check));
    for line in wrap(&for_terminal_lines(&f.summary), width, "             ") {
        let _ = writeln!(out, "{line}");
    }
    for d in f.details.iter().take(12) {
        for (i, line) in wrap(&for_terminal(d), width, "               ")
            .into_iter()
            .enumerate()
        {
            if i == 0 {
                let _ = writeln!(out, "             - {}", line.trim_start());
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    if f.details.len() > 12 {
        let _ = writeln!(
            out,
            "             … and {} more (see --format json)",
            f.details.len() - 12
        );
    }
    if let Some(w) = &f.waiver {
        let state = if w.expired {
            "EXPIRED waiver"
        } else {
            "waived"
        };
        let text = format!(
            "{state} until {} by {}: {}",
            w.expires, w.approver, w.justification
        );
        for line in wrap(&for_terminal(&text), width, "             ") {
            let _ = writeln!(out, "{line}");
        }
    }
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
