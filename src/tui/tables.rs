//! The Findings screen's tables, built from the scan's facts by the field names of the scan
//! JSON contract, so each table shows exactly what `scan --format json` reports.

use crate::checks::{Finding, Status};
use crate::scan::Scan;
use serde_json::Value;
use std::cmp::Ordering;

/// Title of the table of checks (the first).
pub const CHECKS: &str = "Checks";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactTable {
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Why the table is empty when the fact could not be seen.
    pub unseen: Option<String>,
    /// Checks table: per row (waived, status), so the status column sorts in the project's
    /// one status order (fail, warn, unknown, pass, n/a; waived after), not by its text.
    pub status: Vec<(bool, Status)>,
}

/// (title, path of the array in facts, columns, area key whose `unknown` explains absence)
const SPECS: &[(&str, &[&str], &[&str])] = &[
    (
        "Listeners",
        &["network", "listeners"],
        &["proto", "address", "port", "pid", "process"],
    ),
    (
        "Services",
        &["services", "units"],
        &["name", "enabled", "active", "source"],
    ),
    (
        "Accounts",
        &["accounts", "users"],
        &["name", "uid", "shell", "password", "hash_scheme"],
    ),
    (
        "Updates",
        &["patches", "pending"],
        &["name", "installed", "candidate", "security"],
    ),
    (
        "Firewall",
        &["firewall", "chains"],
        &["family", "table", "name", "hook", "policy", "rules"],
    ),
];

pub fn build(scan: &Scan) -> Vec<FactTable> {
    let mut tables = vec![checks_table(&scan.findings)];
    let facts = serde_json::to_value(&scan.facts).unwrap_or(Value::Null);
    for (title, path, columns) in SPECS {
        let area = &facts[path[0]];
        let rows: Vec<Vec<String>> = match &area[path[1]] {
            Value::Array(items) => items
                .iter()
                .map(|item| columns.iter().map(|c| cell(&item[*c])).collect())
                .collect(),
            _ => Vec::new(),
        };
        let unseen = if rows.is_empty() {
            area["unknown"]
                .as_object()
                .and_then(|m| m.values().next())
                .and_then(Value::as_str)
                .map(str::to_string)
        } else {
            None
        };
        tables.push(FactTable {
            title,
            columns: columns.to_vec(),
            rows,
            unseen,
            status: Vec::new(),
        });
    }
    tables
}

fn checks_table(findings: &[Finding]) -> FactTable {
    // Worst first: what needs attention leads; registry order within a status.
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    ordered.sort_by_key(|f| (f.waived(), f.status));
    FactTable {
        title: CHECKS,
        status: ordered.iter().map(|f| (f.waived(), f.status)).collect(),
        columns: vec!["status", "check", "summary"],
        rows: ordered
            .into_iter()
            .map(|f| {
                let mut status = f.status.label().to_string();
                if f.waived() {
                    status.push_str(" (waived)");
                }
                vec![status, f.check.clone(), f.summary.clone()]
            })
            .collect(),
        unseen: None,
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            if a.iter().all(|x| x.is_string() || x.is_number()) {
                a.iter().map(cell).collect::<Vec<_>>().join(",")
            } else {
                a.len().to_string()
            }
        }
        Value::Object(_) => "…".into(),
    }
}

/// Rows matching `filter` (case-insensitive, any cell), sorted by `column` (None: as built).
pub fn view(table: &FactTable, filter: &str, column: Option<usize>, reverse: bool) -> Vec<usize> {
    let needle = filter.to_lowercase();
    let mut idx: Vec<usize> = (0..table.rows.len())
        .filter(|&i| {
            needle.is_empty()
                || table.rows[i]
                    .iter()
                    .any(|c| c.to_lowercase().contains(&needle))
        })
        .collect();
    let Some(column) = column else {
        if reverse {
            idx.reverse();
        }
        return idx;
    };
    let by_status = column == 0 && table.status.len() == table.rows.len();
    idx.sort_by(|&a, &b| {
        let ord = if by_status {
            table.status[a].cmp(&table.status[b])
        } else {
            compare(
                table.rows[a].get(column).map_or("", String::as_str),
                table.rows[b].get(column).map_or("", String::as_str),
            )
        };
        if reverse { ord.reverse() } else { ord }
    });
    idx
}

/// Numbers compare as numbers, everything else as text.
fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FactTable {
        FactTable {
            title: "t",
            columns: vec!["name", "port"],
            rows: vec![
                vec!["sshd".into(), "22".into()],
                vec!["mllp".into(), "2575".into()],
                vec!["vnc".into(), "5900".into()],
                vec!["ntp".into(), "123".into()],
            ],
            unseen: None,
            status: Vec::new(),
        }
    }

    #[test]
    fn the_status_column_sorts_in_the_one_status_order() {
        let findings = [
            Finding::new("a", Status::Pass, "p"),
            Finding::new("b", Status::NotApplicable, "n"),
            Finding::new("c", Status::Warn, "w"),
            Finding::new("d", Status::Fail, "f"),
            Finding::unknown("e", "u"),
        ];
        let t = checks_table(&findings);
        let statuses = |idx: Vec<usize>| -> Vec<String> {
            idx.into_iter().map(|i| t.rows[i][0].clone()).collect()
        };
        let want = ["✘ FAIL", "! WARN", "? UNKNOWN", "✔ PASS", "– N/A"];
        assert_eq!(statuses(view(&t, "", Some(0), false)), want);
        assert_eq!(statuses(view(&t, "", None, false)), want);
        let mut rev = want;
        rev.reverse();
        assert_eq!(statuses(view(&t, "", Some(0), true)), rev);
    }

    #[test]
    fn sorts_numbers_numerically_and_filters() {
        let t = table();
        assert_eq!(view(&t, "", Some(1), false), [0, 3, 1, 2]);
        assert_eq!(view(&t, "", Some(1), true), [2, 1, 3, 0]);
        assert_eq!(view(&t, "", Some(0), false), [1, 3, 0, 2]);
        assert_eq!(view(&t, "N", Some(0), false), [3, 2]);
        assert_eq!(view(&t, "", None, false), [0, 1, 2, 3]);
        assert!(view(&t, "telnet", Some(0), false).is_empty());
    }

    #[test]
    fn cells_render_json_values() {
        assert_eq!(cell(&Value::Null), "-");
        assert_eq!(cell(&serde_json::json!(true)), "yes");
        assert_eq!(cell(&serde_json::json!(["a", 1])), "a,1");
        assert_eq!(cell(&serde_json::json!([{"x": 1}])), "1");
    }
}
